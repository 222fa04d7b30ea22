// The platform model: what the emulator resolves from a devicetree.
import * as assert from 'assert';
import { loadDeviceTree, formatDiagnostic } from '../../emulator/platform/dts';
import { buildPlatform } from '../../emulator/platform/model';
import { DEVICE_MODEL_NAMES } from '../../emulator/devices/registry';
import { loadPlatform } from '../../emulator/runner/platforms';

function model(body: string) {
  const text = `/dts-v1/;\n/ {\n\tdmalab,arch = "arm64";\n\t#address-cells = <2>;\n\t#size-cells = <2>;\n${body}\n};\n`;
  const tree = loadDeviceTree(text, 'test.dts');
  return buildPlatform(tree, 'test.dts', 'test', { deviceModels: DEVICE_MODEL_NAMES });
}

const errors = (p: ReturnType<typeof model>) => p.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic);

const RAM = `memory@880000000 { device_type = "memory"; reg = <0x8 0x80000000 0x0 0x40000000>; };
gic: intc { compatible = "arm,gic-v3"; interrupt-controller; #interrupt-cells = <3>; };`;

describe('platform model', () => {
  it('memory above 4 GiB, reg through nested ranges, GIC interrupts', () => {
    const p = model(`${RAM}
      bus@f0000000 { compatible = "simple-bus"; #address-cells = <1>; #size-cells = <1>; ranges = <0x0 0x0 0xf0000000 0x1000000>; interrupt-parent = <&gic>;
        sub { compatible = "simple-bus"; #address-cells = <1>; #size-cells = <1>; ranges = <0x100 0x10000 0x2000>;
          dad@100 { compatible = "dmalab,dad"; reg = <0x100 0x1000>; interrupts = <0 7 4>, <1 3 1>; };
        };
      };`);
    assert.deepStrictEqual(errors(p), []);
    assert.deepStrictEqual(p.memory, [{ base: 0x8_8000_0000, size: 0x4000_0000 }]);
    const d = p.devices[0];
    assert.deepStrictEqual(d.reg, [{ base: 0xf001_0000, size: 0x1000 }]);
    assert.strictEqual(d.busId, 'f0010000.dad');
    assert.deepStrictEqual(d.irqs, [{ line: 39, trigger: 'level' }, { line: 19, trigger: 'edge' }]);
    assert.strictEqual(d.coherent, false, 'arm64 default is non-coherent');
  });

  it('dma-ranges compose through every bus level into bus→CPU windows and a bus limit', () => {
    const p = model(`${RAM}
      outer { compatible = "simple-bus"; #address-cells = <2>; #size-cells = <2>; ranges; dma-ranges = <0x0 0x0 0x8 0x80000000 0x0 0x40000000>;
        inner { compatible = "simple-bus"; #address-cells = <1>; #size-cells = <1>; ranges = <0x0 0x0 0x0 0x10000000>; dma-ranges = <0x10000000 0x0 0x0 0x20000000>; dma-coherent;
          dad@1000 { compatible = "dmalab,dad"; reg = <0x1000 0x1000>; };
        };
      };`);
    assert.deepStrictEqual(errors(p), []);
    const d = p.devices[0];
    assert.deepStrictEqual(d.dmaRanges, [{ bus: 0x1000_0000, cpu: 0x8_8000_0000, size: 0x2000_0000 }]);
    assert.strictEqual(d.busDmaLimit, 0x3000_0000);
    assert.strictEqual(d.coherent, true);
  });

  it('iommus, reserved-memory pools and knobs', () => {
    const p = model(`${RAM}
      reserved-memory { #address-cells = <2>; #size-cells = <2>; ranges;
        cma: pool@8a0000000 { compatible = "shared-dma-pool"; reg = <0x8 0xa0000000 0x0 0x100000>; no-map; };
        tlb: tlb@8a0100000 { compatible = "restricted-dma-pool"; reg = <0x8 0xa0100000 0x0 0x400000>; };
      };
      smmu: iommu@9050000 { compatible = "arm,smmu-v3"; reg = <0x0 0x9050000 0x0 0x20000>; #iommu-cells = <1>; };
      soc { compatible = "simple-bus"; #address-cells = <1>; #size-cells = <1>; ranges = <0x0 0x0 0x0 0x40000000>;
        dad@1000 { compatible = "dmalab,dad"; reg = <0x1000 0x1000>; iommus = <&smmu 0x42>; memory-region = <&cma>, <&tlb>; dmalab,dma-bits = <40>; };
      };`);
    assert.deepStrictEqual(errors(p), []);
    const d = p.devices[0];
    assert.strictEqual(d.iommu?.streamId, 0x42);
    assert.strictEqual(d.iommu?.desc.kind, 'smmuv3');
    assert.strictEqual(d.memoryRegion?.kind, 'shared-dma-pool');
    assert.strictEqual(d.memoryRegion?.noMap, true);
    assert.strictEqual(d.restrictedPool?.base, 0x8_a010_0000);
    assert.strictEqual(d.knob('dmalab,dma-bits', 32), 40);
  });

  it('reports cell-count, translation, reference and knob errors with positions, and keeps going', () => {
    const p = model(`${RAM}
      soc { compatible = "simple-bus"; #address-cells = <1>; #size-cells = <1>;
        dad@1000 { compatible = "dmalab,dad"; reg = <0x1000 0x1000 0x5>; };
        edu@2000 { compatible = "qemu,edu"; reg = <0x2000 0x1000>; dmalab,dma-bits = "wide"; interrupts = <1 2>; };
      };
      reserved-memory { #address-cells = <2>; #size-cells = <2>; ranges;
        bad@0 { compatible = "shared-dma-pool"; reg = <0x0 0x0 0x0 0x1000>; no-map; reusable; };
      };`);
    const e = errors(p);
    assert.ok(e.some((m) => /test\.dts:\d+:\d+: error: reg of \/soc\/dad@1000 has 3 cells, not a multiple of #address-cells \(1\) \+ #size-cells \(1\)/.test(m)), e.join('\n'));
    assert.ok(e.some((m) => /cannot be translated: \/soc has no "ranges" property/.test(m)), e.join('\n'));
    assert.ok(e.some((m) => /dmalab,dma-bits of \/soc\/edu@2000 must be one 32-bit cell/.test(m)), e.join('\n'));
    assert.ok(e.some((m) => /interrupts of \/soc\/edu@2000: no interrupt-parent/.test(m)), e.join('\n'));
    assert.ok(e.some((m) => /"no-map" and "reusable" cannot both be set/.test(m)), e.join('\n'));
    assert.ok(e.some((m) => /is not inside a memory bank/.test(m)), e.join('\n'));
  });

  it('the built-in platforms load without errors and describe what they say', () => {
    const x86 = loadPlatform('x86-64-vtd');
    assert.strictEqual(x86.arch, 'x86_64');
    assert.ok(x86.devices.every((d) => d.coherent && d.iommu?.desc.kind === 'vtd'));
    const arm64 = loadPlatform('arm64-smmu-noncoherent');
    assert.ok(arm64.devices.every((d) => !d.coherent && d.iommu?.desc.kind === 'smmuv3'));
    const arm32 = loadPlatform('arm32-swiotlb');
    assert.ok(arm32.devices.every((d) => !d.coherent && !d.iommu && d.busDmaLimit === 0x2000_0000));
    assert.ok(arm32.memory.some((m) => m.base >= 0x1_0000_0000), 'RAM above 4 GiB');
    for (const p of [x86, arm64, arm32]) {
      assert.ok(p.devices.some((d) => d.name.startsWith('dad@')) && p.devices.some((d) => d.name.startsWith('edu@')));
    }
  });
});

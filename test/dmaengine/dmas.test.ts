// `dmas` / `dma-names` as Linux resolves them: the platform model parses the specifiers with the
// controllers' #dma-cells (errors at their positions), and dma_request_chan(dev, name) tries every
// entry of that name from a rotating start, -EPROBE_DEFER for a controller without a driver.
import * as assert from 'assert';
import { loadDeviceTree, formatDiagnostic } from '../../emulator/platform/dts';
import { buildPlatform } from '../../emulator/platform/model';
import { DEVICE_MODEL_NAMES } from '../../emulator/devices/registry';
import { Kernel } from '../../emulator/kernel/kernel';
import { bindKernel } from '../../emulator/api/current';
import { setFrameResolver } from '../../emulator/kernel/call-site';
import * as L from '../../emulator/api/linux/index';
import type { DmaChan } from '../../emulator/api/linux/index';

function platform(socBody: string) {
  const text = `/dts-v1/;
/ {
	dmalab,arch = "arm64";
	#address-cells = <2>;
	#size-cells = <2>;
	interrupt-parent = <&gic>;
	memory@40000000 { device_type = "memory"; reg = <0x0 0x40000000 0x0 0x40000000>; };
	gic: interrupt-controller@8000000 { compatible = "arm,gic-v3"; reg = <0x0 0x8000000 0x0 0x10000>; interrupt-controller; #interrupt-cells = <3>; };
	soc {
		compatible = "simple-bus";
		#address-cells = <1>;
		#size-cells = <1>;
		ranges = <0x0 0x0 0x0 0x40000000>;
		dmac: dma-controller@10200000 { compatible = "arm,pl080", "arm,primecell"; reg = <0x10200000 0x1000>; interrupts = <0 42 4>; #dma-cells = <2>; };
		other: dma@10400000 { compatible = "intel,ioat"; reg = <0x10400000 0x1000>; interrupts = <0 44 4>; #dma-cells = <1>; };
${socBody}
	};
};
`;
  return buildPlatform(loadDeviceTree(text, 'dmas.dts'), 'dmas.dts', 'dmas', { deviceModels: DEVICE_MODEL_NAMES });
}

const diags = (p: ReturnType<typeof platform>, severity: 'error' | 'warning') => p.diagnostics.filter((d) => d.severity === severity).map(formatDiagnostic);

describe('dmas and dma-names', () => {
  afterEach(() => bindKernel(undefined));

  it('the model reads each specifier with its controller\'s #dma-cells, empty entries included', () => {
    const p = platform(`serial@10300000 { compatible = "dmalab,uart"; reg = <0x10300000 0x1000>; dmas = <&dmac 0 1>, <0>, <&other 7>; dma-names = "tx", "none", "rx"; };`);
    assert.deepStrictEqual(diags(p, 'error'), []);
    const u = p.devices.find((d) => d.name.startsWith('serial'))!;
    assert.deepStrictEqual(u.dmaNames, ['tx', 'none', 'rx']);
    assert.deepStrictEqual(u.dmas.map((s) => [s.index, s.controller?.path, s.args]), [
      [0, '/soc/dma-controller@10200000', [0, 1]],
      [1, undefined, []],
      [2, '/soc/dma@10400000', [7]],
    ]);
  });

  it('broken specifiers are errors at their position; a missing dma-names is a warning', () => {
    const cells = platform(`serial@10300000 { compatible = "dmalab,uart"; reg = <0x10300000 0x1000>; dmas = <&dmac 0 1>, <&dmac 5>; dma-names = "tx", "rx"; };`);
    assert.ok(diags(cells, 'error').some((m) => /^dmas\.dts:\d+:\d+: error: dmas of \/soc\/serial@10300000: entry 1 needs 2 cells after the phandle \(#dma-cells of \/soc\/dma-controller@10200000\), found 1/.test(m)), diags(cells, 'error').join('\n'));
    const noCells = platform(`serial@10300000 { compatible = "dmalab,uart"; reg = <0x10300000 0x1000>; dmas = <&gic 0>; dma-names = "tx"; };`);
    assert.ok(diags(noCells, 'error').some((m) => /entry 0 points at \/interrupt-controller@8000000, which has no #dma-cells \(not a DMA controller\)/.test(m)), diags(noCells, 'error').join('\n'));
    const names = platform(`serial@10300000 { compatible = "dmalab,uart"; reg = <0x10300000 0x1000>; dmas = <&dmac 0 1>, <&dmac 1 1>; dma-names = "tx"; };`);
    assert.ok(diags(names, 'error').some((m) => /dma-names of \/soc\/serial@10300000 has 1 name for 2 dmas entries/.test(m)));
    const unnamed = platform(`serial@10300000 { compatible = "dmalab,uart"; reg = <0x10300000 0x1000>; dmas = <&dmac 0 1>; };`);
    assert.deepStrictEqual(diags(unnamed, 'error'), []);
    assert.ok(diags(unnamed, 'warning').some((m) => /dmas of \/soc\/serial@10300000 without dma-names/.test(m)));
  });

  it('dma_request_chan: duplicates of a name share out, a controller without a driver defers, no dma-names fails', () => {
    const p = platform(`serial@10300000 { compatible = "dmalab,uart"; reg = <0x10300000 0x1000>; interrupts = <0 43 4>; dmas = <&dmac 3 1>, <&dmac 4 1>, <&other 0>; dma-names = "tx", "tx", "rx"; };
		serial@10500000 { compatible = "dmalab,uart"; reg = <0x10500000 0x1000>; interrupts = <0 45 4>; dmas = <&dmac 6 1>; };`);
    assert.deepStrictEqual(diags(p, 'error'), []);
    const k = new Kernel(p, { seed: 1, checks: true });
    setFrameResolver(undefined);
    bindKernel(k);
    const uart = k.deviceByName('serial@10300000')!;
    const a = L.dma_request_chan(uart, 'tx') as DmaChan;
    const b = L.dma_request_chan(uart, 'tx') as DmaChan;
    assert.ok(!L.IS_ERR(a) && !L.IS_ERR(b));
    assert.deepStrictEqual([a.chan_id, b.chan_id].sort(), [3, 4], 'both "tx" entries, one each');
    assert.strictEqual(L.PTR_ERR(L.dma_request_chan(uart, 'tx')), -L.ENODEV, 'both taken');
    assert.strictEqual(L.PTR_ERR(L.dma_request_chan(uart, 'rx')), -L.EPROBE_DEFER, 'the I/OAT engine registers no devicetree translation');
    const bare = k.deviceByName('serial@10500000')!;
    assert.strictEqual(L.PTR_ERR(L.dma_request_chan(bare, 'tx')), -L.ENODEV);
    const log = k.trace.events.filter((e) => e.kind === 'log').map((e) => (e as { text: string }).text);
    assert.ok(log.includes("of_dma_request_slave_channel: dma-names property of node '/soc/serial@10500000' missing or empty"), log.join('\n'));
  });
});

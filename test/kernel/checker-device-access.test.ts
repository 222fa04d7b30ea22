// The checker's view of device accesses: each access is attributed to the live mapping it falls in.
import * as assert from 'assert';
import * as path from 'path';
import { boot, device } from '../helpers/kernel';
import { DMA_FROM_DEVICE, DMA_TO_DEVICE } from '../../emulator/kernel/dma/dir';
import { GFP_KERNEL } from '../../emulator/kernel/gfp';
import { bindKernel } from '../../emulator/api/current';
import * as linux from '../../emulator/api/linux/index';

const NO_IOMMU = path.join(__dirname, '..', '..', 'bench', 'platforms', 'x86-64-noiommu.dts');

describe('checker: device accesses', () => {
  afterEach(() => bindKernel(undefined));

  it('a buffer mapped twice at the same device address (dma-direct): both mappings live, each unmapped by its own call', () => {
    const k = boot(NO_IOMMU);
    const dev = device(k, 'dad');
    const buf = k.kmalloc.kmalloc(4096, GFP_KERNEL)!;
    const bytes = new Uint8Array(64);
    const ids = (from: number) => k.findings.slice(from).map((f) => f.id);
    const first = k.dma.mapPage(dev, buf.phys, 4096, DMA_TO_DEVICE, 0, 'single', 'test', undefined);
    k.dma.mappingError(dev, first);
    k.bus.deviceRead(dev.dma.port, first, bytes, 0, 64, undefined); // the device reads the TO_DEVICE mapping
    const second = k.dma.mapPage(dev, buf.phys, 4096, DMA_FROM_DEVICE, 0, 'single', 'test', undefined);
    k.dma.mappingError(dev, second);
    assert.strictEqual(second, first, 'dma-direct: the same address');
    assert.strictEqual(k.debug!.entries(dev).length, 2, 'both mappings are live');
    let n = k.findings.length;
    k.bus.deviceWrite(dev.dma.port, second, bytes, 0, 64, undefined);
    assert.deepStrictEqual(ids(n), [], 'a write goes to the newest mapping there, FROM_DEVICE: legal');
    // the unmap names its mapping by direction; the other stays
    k.dma.unmapPage(dev, second, 4096, DMA_FROM_DEVICE, 0, 'single', 'test', undefined);
    n = k.findings.length;
    k.bus.deviceWrite(dev.dma.port, second, bytes, 0, 64, undefined);
    assert.deepStrictEqual(ids(n), ['device-write-to-device-read-only'], 'only the TO_DEVICE mapping is left');
    n = k.findings.length;
    k.dma.unmapPage(dev, first, 4096, DMA_TO_DEVICE, 0, 'single', 'test', undefined);
    assert.deepStrictEqual(ids(n), [], 'the second unmap finds its own mapping: no unmap-unknown');
    k.bus.deviceWrite(dev.dma.port, first, bytes, 0, 64, undefined);
    assert.deepStrictEqual(ids(n), ['device-access-after-unmap']);
    assert.strictEqual(k.debug!.entries(dev).length, 0);
  });

  it('the same buffer mapped twice TO_DEVICE and unmapped twice is clean, and a leak of one of them is still a leak', () => {
    const k = boot(NO_IOMMU);
    const dev = device(k, 'dad');
    const buf = k.kmalloc.kmalloc(4096, GFP_KERNEL)!;
    const a = k.dma.mapPage(dev, buf.phys, 4096, DMA_TO_DEVICE, 0, 'single', 'test', undefined);
    k.dma.mappingError(dev, a);
    const b = k.dma.mapPage(dev, buf.phys, 4096, DMA_TO_DEVICE, 0, 'single', 'test', undefined);
    k.dma.mappingError(dev, b);
    const c = k.dma.mapPage(dev, buf.phys, 4096, DMA_TO_DEVICE, 0, 'single', 'test', undefined);
    k.dma.mappingError(dev, c);
    k.dma.unmapPage(dev, a, 4096, DMA_TO_DEVICE, 0, 'single', 'test', undefined);
    k.dma.unmapPage(dev, b, 4096, DMA_TO_DEVICE, 0, 'single', 'test', undefined);
    assert.deepStrictEqual(k.findings.map((f) => f.id), []);
    assert.strictEqual(k.debug!.driverUnbound(dev, undefined), 1, 'the third mapping leaked');
    assert.deepStrictEqual(k.findings.map((f) => f.id), ['leak-at-remove']);
  });

  it('IOVAs: below 4 GiB first for the PCI functions behind VT-d, the top of the mask for platform devices behind an SMMU', () => {
    for (const [platform, high] of [['x86-64-vtd', false], ['arm64-smmu-noncoherent', true]] as const) {
      const k = boot(platform);
      const dev = device(k, 'dad');
      assert.strictEqual(linux.dma_set_mask_and_coherent(dev, linux.DMA_BIT_MASK(64)), 0);
      const buf = k.kmalloc.kmalloc(4096, GFP_KERNEL)!;
      const dma = k.dma.mapPage(dev, buf.phys, 4096, DMA_FROM_DEVICE, 0, 'single', 'test', undefined);
      assert.strictEqual(dma >= 2 ** 32, high, `${platform}: ${dma.toString(16)}`);
      bindKernel(undefined);
    }
  });

  it('a DMA mask wider than the device drives: the fault names the mapping the device cut to its address width', () => {
    const k = boot('arm64-smmu-noncoherent');
    const dev = device(k, 'dad'); // dmalab,dma-bits = <32>
    linux.dma_set_mask_and_coherent(dev, linux.DMA_BIT_MASK(64));
    const buf = k.kmalloc.kmalloc(4096, GFP_KERNEL)!;
    const dma = k.dma.mapPage(dev, buf.phys, 4096, DMA_FROM_DEVICE, 0, 'single', 'test', undefined);
    k.dma.mappingError(dev, dma);
    // what a 32-bit device emits for that address
    assert.strictEqual(k.bus.deviceWrite(dev.dma.port, dma % 2 ** 32, new Uint8Array(64), 0, 64, undefined), 0);
    const f = k.findings.find((x) => x.id === 'iommu-fault');
    assert.ok(f, k.findings.map((x) => x.id).join());
    assert.match(f.message, new RegExp(`the device drives 32 address bits, so the mapping at 0x0*${dma.toString(16)} reached it as 0x0*${(dma % 2 ** 32).toString(16)}: the driver's 64-bit DMA mask is wider than the device can address \\(DMA_BIT_MASK\\(32\\)\\)`));
    assert.match(f.related[0].message, /mapped here .* under the 64-bit mask/);
  });
});

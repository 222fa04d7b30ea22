// The checker's view of device accesses: each access is attributed to the live mapping it falls in.
import * as assert from 'assert';
import * as path from 'path';
import { boot, device } from '../helpers/kernel';
import { DMA_BIDIRECTIONAL, DMA_FROM_DEVICE, DMA_TO_DEVICE } from '../../emulator/kernel/dma/dir';
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

  describe('bounced buffers (swiotlb): bytes a sync did not copy', () => {
    function bounced(dir: number) {
      const k = boot('arm32-swiotlb');
      const dev = device(k, 'dad');
      const buf = linux.kmalloc(4096, linux.GFP_KERNEL)!;
      const dma = linux.dma_map_single(dev, buf, 4096, dir);
      linux.dma_mapping_error(dev, dma);
      assert.notStrictEqual(k.debug!.entries(dev)[0].bounce, undefined, 'the buffer is bounced');
      return { k, dev, buf, dma, ids: () => k.findings.map((f) => f.id) };
    }

    it('TO_DEVICE: the device reads bytes the CPU wrote after a sync that covered fewer of them', () => {
      const { k, dev, buf, dma, ids } = bounced(DMA_TO_DEVICE);
      linux.dma_sync_single_for_cpu(dev, dma, 4096, DMA_TO_DEVICE);
      buf.writeBytes(0, new Uint8Array(4096).fill(7));
      linux.dma_sync_single_for_device(dev, dma, 256, DMA_TO_DEVICE); // only the first 256 reach the slot
      k.bus.deviceRead(dev.dma.port, Number(dma), new Uint8Array(256), 0, 256, undefined);
      assert.deepStrictEqual(ids(), [], 'the synced part is fresh');
      const got = new Uint8Array(4096);
      k.bus.deviceRead(dev.dma.port, Number(dma), got, 0, 4096, undefined);
      assert.deepStrictEqual(ids(), ['dirty-cache-not-flushed']);
      assert.match(k.findings[0].message, /device read 4096 bytes at offset 0 of a bounced buffer .* 3840 bytes of which the CPU had written since they were last copied there/);
      assert.deepStrictEqual([got[255], got[256]], [7, 0x5a], 'and past the sync it got the old bytes (the poison copied at map time)');
      linux.dma_sync_single_for_device(dev, dma, 4096, DMA_TO_DEVICE);
      k.bus.deviceRead(dev.dma.port, Number(dma) + 256, new Uint8Array(64), 0, 64, undefined);
      assert.strictEqual(k.findings.length, 1, 'a full sync refreshes the slot');
    });

    it('FROM_DEVICE: the CPU reads bytes the device wrote that a partial sync did not copy back', () => {
      const { k, dev, buf, dma, ids } = bounced(DMA_FROM_DEVICE);
      k.bus.deviceWrite(dev.dma.port, Number(dma), new Uint8Array(4096).fill(9), 0, 4096, undefined);
      linux.dma_sync_single_for_cpu(dev, dma, 256, DMA_FROM_DEVICE);
      assert.strictEqual(buf.read8(255), 9);
      assert.deepStrictEqual(ids(), []);
      assert.strictEqual(buf.read8(1000), 0x5a, 'still the poison kmalloc left: the old bytes');
      assert.deepStrictEqual(ids(), ['cpu-read-stale']);
      assert.match(k.findings[0].message, /CPU read 1 byte at offset 1000 of a bounced buffer .* that the device wrote in its swiotlb slot and no dma_sync_\*_for_cpu or dma_unmap_\* copied back/);
    });

    it('a bounced buffer above 64 KiB (kept out of the per-page index) is tracked the same way', () => {
      const k = boot('arm32-swiotlb');
      const dev = device(k, 'dad');
      const buf = linux.kmalloc(128 << 10, linux.GFP_KERNEL)!;
      const dma = linux.dma_map_single(dev, buf, 128 << 10, DMA_FROM_DEVICE);
      linux.dma_mapping_error(dev, dma);
      assert.notStrictEqual(k.debug!.entries(dev)[0].bounce, undefined, 'the buffer is bounced');
      k.bus.deviceWrite(dev.dma.port, Number(dma), new Uint8Array(128 << 10).fill(9), 0, 128 << 10, undefined);
      linux.dma_sync_single_for_cpu(dev, dma, 4096, DMA_FROM_DEVICE);
      buf.read8(100000);
      assert.deepStrictEqual(k.findings.map((f) => f.id), ['cpu-read-stale']);
    });

    it('BIDIRECTIONAL, used as Linux means it: full syncs both ways, no finding', () => {
      const { k, dev, buf, dma, ids } = bounced(DMA_BIDIRECTIONAL);
      k.bus.deviceWrite(dev.dma.port, Number(dma), new Uint8Array(4096).fill(3), 0, 4096, undefined);
      linux.dma_sync_single_for_cpu(dev, dma, 4096, DMA_BIDIRECTIONAL);
      assert.strictEqual(buf.read8(4000), 3);
      buf.write8(10, 4);
      linux.dma_sync_single_for_device(dev, dma, 4096, DMA_BIDIRECTIONAL);
      k.bus.deviceRead(dev.dma.port, Number(dma), new Uint8Array(4096), 0, 4096, undefined);
      linux.dma_unmap_single(dev, dma, 4096, DMA_BIDIRECTIONAL);
      assert.deepStrictEqual(ids(), []);
    });
  });

  it('two mappings at one address: the map-error check marks the mapping just made, a device write goes to the one that allows it', () => {
    const k = boot(NO_IOMMU);
    const dev = device(k, 'dad');
    const buf = k.kmalloc.kmalloc(4096, GFP_KERNEL)!;
    const a = k.dma.mapPage(dev, buf.phys, 4096, DMA_BIDIRECTIONAL, 0, 'single', 'test', undefined);
    const b = k.dma.mapPage(dev, buf.phys, 4096, DMA_TO_DEVICE, 0, 'single', 'test', undefined);
    k.dma.mappingError(dev, b); // only the second is checked
    const [ea, eb] = k.debug!.entries(dev).sort((x, y) => x.id - y.id);
    assert.deepStrictEqual([ea.mapErr, eb.mapErr], ['not-checked', 'checked']);
    k.bus.deviceWrite(dev.dma.port, a, new Uint8Array(16), 0, 16, undefined);
    assert.deepStrictEqual(k.findings.map((f) => f.id), [], 'the BIDIRECTIONAL mapping allows the write');
  });
});

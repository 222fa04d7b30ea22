// The checker's view of device accesses: each access is attributed to the live mapping it falls in.
import * as assert from 'assert';
import * as path from 'path';
import { boot, device } from '../helpers/kernel';
import { DMA_FROM_DEVICE, DMA_TO_DEVICE } from '../../emulator/kernel/dma/dir';
import { GFP_KERNEL } from '../../emulator/kernel/gfp';
import { bindKernel } from '../../emulator/api/current';

const NO_IOMMU = path.join(__dirname, '..', '..', 'bench', 'platforms', 'x86-64-noiommu.dts');

describe('checker: device accesses', () => {
  afterEach(() => bindKernel(undefined));

  it('a buffer mapped again at the same device address (dma-direct): accesses follow the newer mapping, and its unmap', () => {
    const k = boot(NO_IOMMU);
    const dev = device(k, 'dad');
    const buf = k.kmalloc.kmalloc(4096, GFP_KERNEL)!;
    const bytes = new Uint8Array(64);
    const first = k.dma.mapPage(dev, buf.phys, 4096, DMA_TO_DEVICE, 0, 'single', 'test', undefined);
    k.dma.mappingError(dev, first);
    k.bus.deviceRead(dev.dma.port, first, bytes, 0, 64, undefined); // the device reads the TO_DEVICE mapping
    const second = k.dma.mapPage(dev, buf.phys, 4096, DMA_FROM_DEVICE, 0, 'single', 'test', undefined);
    k.dma.mappingError(dev, second);
    assert.strictEqual(second, first, 'dma-direct: the same address');
    const ids = (from: number) => k.findings.slice(from).map((f) => f.id);
    let n = k.findings.length;
    k.bus.deviceWrite(dev.dma.port, second, bytes, 0, 64, undefined);
    assert.deepStrictEqual(ids(n), [], 'a write into the FROM_DEVICE mapping is legal');
    k.dma.unmapPage(dev, second, 4096, DMA_FROM_DEVICE, 0, 'single', 'test', undefined);
    n = k.findings.length;
    k.bus.deviceWrite(dev.dma.port, second, bytes, 0, 64, undefined);
    assert.deepStrictEqual(ids(n), ['device-access-after-unmap']);
  });
});

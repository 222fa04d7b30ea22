// Property tests of the DMA layer's invariants under random sequences of operations:
// the IOMMU page tables always describe exactly the live mappings, swiotlb slots all come back,
// and a device transfer moves exactly the bytes of its source.
import * as assert from 'assert';
import fc from 'fast-check';
import { boot, device } from '../helpers/kernel';
import { DMA_BIDIRECTIONAL, DMA_FROM_DEVICE, DMA_MAPPING_ERROR, DMA_TO_DEVICE } from '../../emulator/kernel/dma/dir';
import { GFP_KERNEL } from '../../emulator/kernel/gfp';
import { bindKernel } from '../../emulator/api/current';

const DIRS = [DMA_TO_DEVICE, DMA_FROM_DEVICE, DMA_BIDIRECTIONAL];
const op = fc.record({ map: fc.boolean(), size: fc.integer({ min: 1, max: 3 * 4096 + 17 }), offset: fc.integer({ min: 0, max: 4095 }), dir: fc.constantFrom(...DIRS), pick: fc.nat() });

describe('DMA layer invariants', () => {
  afterEach(() => bindKernel(undefined));

  it('IOMMU page tables always match the live mappings', () => {
    fc.assert(
      fc.property(fc.constantFrom('x86-64-vtd', 'arm64-smmu-noncoherent'), fc.array(op, { maxLength: 40 }), (plat, ops) => {
        const k = boot(plat);
        const dev = device(k, 'dad');
        const buf = k.kmalloc.kmalloc(4 << 20, GFP_KERNEL)!;
        const live: { dma: number; size: number; phys: number; dir: number }[] = [];
        for (const o of ops) {
          if (o.map || live.length === 0) {
            const phys = buf.phys + o.offset + (o.pick % 64) * 0x10000;
            const dma = k.dma.mapPage(dev, phys, o.size, o.dir, 0, 'single', 'test', undefined);
            assert.notStrictEqual(dma, DMA_MAPPING_ERROR);
            k.dma.mappingError(dev, dma);
            live.push({ dma, size: o.size, phys, dir: o.dir });
          } else {
            const m = live.splice(o.pick % live.length, 1)[0];
            k.dma.unmapPage(dev, m.dma, m.size, m.dir, 0, 'single', 'test', undefined);
          }
          // every page of every live mapping translates to its buffer with the direction's permission
          const expected = new Map<number, { phys: number; write: boolean }>();
          for (const m of live) {
            for (let p = m.dma - (m.dma % 4096); p < m.dma + m.size; p += 4096) {
              const t = k.machine.iommus.values().next().value!.lookup(dev.dma.port.streamId, p);
              assert.ok(t, `IOVA ${p.toString(16)} of a live mapping does not translate`);
              assert.strictEqual(t.phys, m.phys - (m.dma % 4096) + (p - (m.dma - (m.dma % 4096))));
              expected.set(p, { phys: t.phys, write: m.dir !== DMA_TO_DEVICE });
            }
          }
          // and nothing else is mapped
          const leaves = [...dev.dma.domain!.leaves()];
          assert.strictEqual(leaves.length, expected.size, 'stale or missing page-table entries');
          for (const l of leaves) assert.ok(expected.has(l.iova), `IOVA ${l.iova.toString(16)} mapped without a live mapping`);
          assert.strictEqual(k.debug!.entries(dev).length, live.length);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('swiotlb slots all return to the pool, and never overlap while in use', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const k = boot('arm32-swiotlb');
        const dev = device(k, 'dad');
        const pool = k.swiotlb!;
        const buf = k.kmalloc.kmalloc(4 << 20, GFP_KERNEL)!; // above 4 GiB: every mapping bounces
        const live: { dma: number; size: number; dir: number }[] = [];
        for (const o of ops) {
          if (o.map || live.length === 0) {
            const dma = k.dma.mapPage(dev, buf.phys + o.offset + (o.pick % 64) * 0x10000, o.size, o.dir, 0, 'single', 'test', undefined);
            assert.notStrictEqual(dma, DMA_MAPPING_ERROR);
            k.dma.mappingError(dev, dma);
            assert.ok(k.direct.bounceSlot(dev, dma) !== undefined, 'a high buffer must bounce');
            for (const m of live) assert.ok(dma + o.size <= m.dma || m.dma + m.size <= dma, 'bounce slots overlap');
            live.push({ dma, size: o.size, dir: o.dir });
          } else {
            const m = live.splice(o.pick % live.length, 1)[0];
            k.dma.unmapPage(dev, m.dma, m.size, m.dir, 0, 'single', 'test', undefined);
          }
          const slots = live.reduce((s, m) => s + Math.ceil(m.size / 2048), 0);
          assert.strictEqual(pool.used, slots);
        }
        for (const m of live) k.dma.unmapPage(dev, m.dma, m.size, m.dir, 0, 'single', 'test', undefined);
        assert.strictEqual(pool.used, 0);
      }),
      { numRuns: 40 },
    );
  });

  it('bounce buffers carry data both ways', () => {
    const k = boot('arm32-swiotlb');
    const dev = device(k, 'dad');
    const buf = k.kmalloc.kmalloc(8192, GFP_KERNEL)!;
    const data = Uint8Array.from({ length: 8192 }, (_, i) => (i * 7) & 0xff);
    k.cpu.write(buf.kva, data, 0, data.length);
    const dma = k.dma.mapPage(dev, buf.phys, 8192, DMA_BIDIRECTIONAL, 0, 'single', 'test', undefined);
    const slot = k.direct.bounceSlot(dev, dma)!;
    const seen = new Uint8Array(8192);
    k.bus.deviceRead(dev.dma.port, dma, seen, 0, 8192, undefined);
    assert.deepStrictEqual(seen, data, 'the device reads the original through the slot');
    k.bus.deviceWrite(dev.dma.port, dma, new Uint8Array(8192).fill(0xee), 0, 8192, undefined);
    k.dma.unmapPage(dev, dma, 8192, DMA_BIDIRECTIONAL, 0, 'single', 'test', undefined);
    const back = new Uint8Array(8192);
    k.cpu.read(buf.kva, back, 0, 8192);
    assert.ok(back.every((b) => b === 0xee), 'unmap copied the device data back');
    assert.ok(slot >= 0x8000_0000 && slot < 0x9000_0000, 'the slot is in low memory');
  });
});

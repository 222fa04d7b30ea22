import * as assert from 'assert';
import { Iommu } from '../../emulator/hw/iommu';
import { BLOCK_SIZE, levelIndex } from '../../emulator/hw/io-pte';
import { PhysicalMemory } from '../../emulator/hw/physical-memory';
import { IommuDomain } from '../../emulator/kernel/dma/iommu-domain';
import { PageAllocator } from '../../emulator/kernel/page-alloc';
import { Prng } from '../../emulator/lib/prng';

function setup(kind: 'vtd' | 'smmuv3') {
  const ram = new PhysicalMemory();
  const pages = new PageAllocator([{ base: 0x4000_0000, size: 0x1000_0000 }], 0, true, new Prng(1));
  const iommu = new Iommu('iommu', kind, ram, 'iommu0');
  const dom = new IommuDomain(1, iommu, ram, pages);
  iommu.attach(0x10, dom.id, dom.root);
  return { ram, iommu, dom };
}

describe('IOMMU', () => {
  for (const kind of ['vtd', 'smmuv3'] as const) {
    describe(kind, () => {
      it('translates through page tables that live in RAM', () => {
        const { ram, iommu, dom } = setup(kind);
        assert.ok(dom.map(0xffff_f000, 0x4123_4000, 0x1000, { read: true, write: true }));
        assert.strictEqual(iommu.translate(0x10, 0xffff_f123, false), 0x4123_4123);
        // the tables are real: corrupting the leaf entry in RAM breaks the translation once the IOTLB forgets it
        iommu.invalidate(dom.id, 0xffff_f000, 0x1000);
        const root = dom.root;
        assert.notStrictEqual(ram.readU64(root + 0 * 8), 0, 'a top-level entry was written');
      });

      it('faults on an unmapped IOVA and reports a kernel-style line', () => {
        const { iommu } = setup(kind);
        assert.strictEqual(iommu.translate(0x10, 0x1234_5000, true), -1);
        assert.strictEqual(iommu.faults.length, 1);
        assert.match(iommu.faults[0].line, kind === 'vtd' ? /DMAR: \[DMA Write NO_PASID\].*fault addr 0x12345000/ : /arm-smmu-v3 .*F_TRANSLATION.*iova 0x0000000012345000/);
      });

      it('enforces read-only mappings (DMA_TO_DEVICE)', () => {
        const { iommu, dom } = setup(kind);
        dom.map(0x8000, 0x4000_8000, 0x1000, { read: true, write: false });
        assert.strictEqual(iommu.translate(0x10, 0x8000, false), 0x4000_8000);
        assert.strictEqual(iommu.translate(0x10, 0x8010, true), -1);
        assert.strictEqual(iommu.faults[0].reason, 'permission');
      });

      it('stops translating after unmap once the IOTLB is invalidated', () => {
        const { iommu, dom } = setup(kind);
        dom.map(0x10_0000, 0x4010_0000, 0x2000, { read: true, write: true });
        assert.strictEqual(iommu.translate(0x10, 0x10_1000, true), 0x4010_1000);
        assert.strictEqual(dom.unmap(0x10_0000, 0x2000), 0x2000);
        assert.strictEqual(iommu.translate(0x10, 0x10_1000, true), -1);
      });

      it('serves a cached translation until the IOTLB is invalidated, as hardware does', () => {
        const { ram, iommu, dom } = setup(kind);
        dom.map(0x30_0000, 0x4030_0000, 0x1000, { read: true, write: true });
        assert.strictEqual(iommu.translate(0x10, 0x30_0010, true), 0x4030_0010);
        // clear the leaf entry in RAM behind the IOMMU's back: the cached entry still answers
        const table = (dom as unknown as { tables: Map<number, number> }).tables.get(Math.floor(0x30_0000 / BLOCK_SIZE))!;
        ram.writeU64(table + levelIndex(0x30_0000, 1) * 8, 0);
        assert.strictEqual(iommu.translate(0x10, 0x30_0020, false), 0x4030_0020, 'stale IOTLB entry');
        iommu.invalidate(dom.id, 0x30_0000, 0x1000);
        assert.strictEqual(iommu.translate(0x10, 0x30_0020, false), -1, 'after invalidation the walk sees the cleared entry');
      });

      it('re-walks a page whose IOTLB entry was evicted by newer ones', () => {
        const { iommu, dom } = setup(kind);
        dom.map(0x100_0000, 0x4100_0000, 0x1000, { read: true, write: true });
        assert.strictEqual(iommu.translate(0x10, 0x100_0000, false), 0x4100_0000);
        const walks = iommu.stats.walks;
        // 1024 other pages push the first one out of the IOTLB
        dom.map(0x200_0000, 0x4200_0000, 0x40_1000, { read: true, write: true });
        for (let i = 0; i < 1025; i++) iommu.translate(0x10, 0x200_0000 + i * 0x1000, false);
        const before = iommu.stats.walks;
        assert.ok(before > walks);
        assert.strictEqual(iommu.translate(0x10, 0x100_0000, false), 0x4100_0000);
        assert.strictEqual(iommu.stats.walks, before + 1, 'the evicted page was walked again');
        assert.strictEqual(iommu.translate(0x10, 0x100_0004, false), 0x4100_0004);
        assert.strictEqual(iommu.stats.walks, before + 1, 'and then served from the IOTLB');
      });

      it('translates a physically contiguous run in one go', () => {
        const { iommu, dom } = setup(kind);
        dom.map(0x20_0000, 0x4020_0000, 0x4000, { read: true, write: true });
        dom.map(0x20_4000, 0x4030_0000, 0x1000, { read: true, write: true });
        assert.strictEqual(iommu.translateRun(0x10, 0x20_0800, 0x10000, true), 0x4020_0800);
        assert.strictEqual(iommu.lastRun, 0x4000 - 0x800);
      });
    });
  }

  for (const kind of ['vtd', 'smmuv3'] as const) {
    it(`${kind}: 2 MiB-aligned mappings use block entries; a partial unmap splits the block`, () => {
      const { iommu, dom } = setup(kind);
      assert.ok(dom.map(0x4000_0000, 0x4400_0000, 0x40_0000, { read: true, write: true }));
      const leaves = [...dom.leaves()];
      assert.deepStrictEqual(leaves.map((l) => [l.iova, l.phys, l.size]), [
        [0x4000_0000, 0x4400_0000, 0x20_0000],
        [0x4020_0000, 0x4420_0000, 0x20_0000],
      ]);
      assert.strictEqual(iommu.translate(0x10, 0x4012_3456, true), 0x4412_3456);
      assert.strictEqual(iommu.translateRun(0x10, 0x4000_1000, 0x40_0000, true), 0x4400_1000);
      assert.strictEqual(iommu.lastRun, 0x3f_f000, 'one run across both blocks');
      // unmap one page in the middle of the first block: the block becomes 511 pages
      assert.strictEqual(dom.unmap(0x4010_0000, 0x1000), 0x1000);
      assert.strictEqual(iommu.translate(0x10, 0x4010_0000, false), -1);
      assert.strictEqual(iommu.translate(0x10, 0x4010_1000, false), 0x4410_1000);
      assert.strictEqual(dom.iovaToPhys(0x400f_f123), 0x440f_f123);
      assert.strictEqual([...dom.leaves()].filter((l) => l.size === 0x1000).length, 511);
      // the rest unmaps cleanly and nothing stays reachable
      assert.strictEqual(dom.unmap(0x4010_1000, 0x2f_f000), 0x2f_f000);
      assert.strictEqual(dom.unmap(0x4000_0000, 0x10_0000), 0x10_0000);
      assert.deepStrictEqual([...dom.leaves()], []);
      assert.strictEqual(iommu.translate(0x10, 0x4030_0000, false), -1);
    });
  }

  it('an SMMU stage-1 descriptor cannot express write-only: it becomes read/write, as in Linux', () => {
    const { iommu, dom } = setup('smmuv3');
    dom.map(0x9000, 0x4000_9000, 0x1000, { read: false, write: true });
    assert.strictEqual(iommu.translate(0x10, 0x9000, false), 0x4000_9000);
  });

  it('VT-d enforces write-only entries', () => {
    const { iommu, dom } = setup('vtd');
    dom.map(0x9000, 0x4000_9000, 0x1000, { read: false, write: true });
    assert.strictEqual(iommu.translate(0x10, 0x9000, false), -1);
  });

  it('allocates IOVAs top-down below 4 GiB, size-aligned', () => {
    const { dom } = setup('vtd');
    assert.strictEqual(dom.allocIova(0x1000, 0xffff_ffff), 0xffff_f000);
    assert.strictEqual(dom.allocIova(0x3000, 0xffff_ffff), 0xffff_8000, 'rounded to 16 KiB and aligned');
    assert.strictEqual(dom.allocIova(0x1000, 0x0fff_ffff), 0x0fff_f000, 'a 28-bit mask is honoured');
  });
});

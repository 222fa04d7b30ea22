/**
 * An IOMMU DMA domain as the kernel manages it: an IOVA allocator (top-down, size-aligned, tried
 * below 4 GiB first for PCI devices like dma-iommu), and io-pgtable code that writes real page-table entries into
 * RAM for the IOMMU to walk. After every unmap the IOTLB is invalidated for the range.
 */
import { ExtentAllocator } from '../../lib/extents';
import type { PhysicalMemory } from '../../hw/physical-memory';
import type { Iommu } from '../../hw/iommu';
import { BLOCK_SIZE, IO_LEVELS, IO_PAGE_SIZE, IOVA_BITS, Prot, levelIndex } from '../../hw/io-pte';
import { PAGE_SIZE, PageAllocator } from '../page-alloc';
import { GFP_KERNEL } from '../gfp';

const FOUR_GIB = 0x1_0000_0000;
/** Requests below this many pages are rounded up to a power of two (the IOVA rcache sizes). */
const IOVA_RANGE_CACHE_MAX_PAGES = 32;
/** IOVAs kept per size in the range cache. */
const RCACHE_DEPTH = 128;

export interface IovaAlloc {
  iova: number;
  size: number;
}

export class IommuDomain {
  readonly root: number;
  private iovas: ExtentAllocator;
  private allocs = new Map<number, number>();
  /**
   * The IOVA range caches (iova_rcache): freed ranges of up to 32 pages stay reserved and are
   * handed out again first, per size, as dma-iommu does. Bounded per size.
   */
  private rcache = new Map<number, number[]>();
  /** JS-side index of tables already in RAM: `${level}:${prefix}` → table phys. The truth is the RAM. */
  private tables = new Map<number, number>();
  tablePages: number[] = [];
  mappedBytes = 0;

  constructor(
    readonly id: number,
    readonly iommu: Iommu,
    private readonly ram: PhysicalMemory,
    private readonly pages: PageAllocator,
  ) {
    this.root = this.newTable();
    // IOVA 0 is never handed out
    this.iovas = new ExtentAllocator(IO_PAGE_SIZE, 2 ** IOVA_BITS);
  }

  /** Allocate IOVA space for `size` bytes under `limit` (inclusive highest address). Returns -1 when none fits. */
  allocIova(size: number, limit: number): number {
    let pages = Math.ceil(size / IO_PAGE_SIZE);
    if (pages < IOVA_RANGE_CACHE_MAX_PAGES) pages = 2 ** Math.ceil(Math.log2(pages));
    const bytes = pages * IO_PAGE_SIZE;
    const align = 2 ** Math.ceil(Math.log2(pages)) * IO_PAGE_SIZE;
    const ceiling = Math.min(limit + 1, 2 ** IOVA_BITS);
    const cached = pages <= IOVA_RANGE_CACHE_MAX_PAGES ? this.rcache.get(pages) : undefined;
    if (cached && cached.length && cached[cached.length - 1] + bytes <= ceiling) {
      const iova = cached.pop()!;
      this.allocs.set(iova, bytes);
      return iova;
    }
    let iova = -1;
    // dma-iommu tries a 32-bit (SAC) address first only for PCI devices: the functions behind VT-d
    // here; the platform devices behind an SMMU get the top of what their mask allows
    if (ceiling > FOUR_GIB && this.iommu.kind === 'vtd') iova = this.iovas.alloc(bytes, align, 'high', FOUR_GIB);
    if (iova < 0) iova = this.iovas.alloc(bytes, align, 'high', ceiling);
    if (iova >= 0) this.allocs.set(iova, bytes);
    return iova;
  }

  /** The IOVA allocation starting at `iova`, if any. */
  iovaAllocAt(iova: number): IovaAlloc | undefined {
    const size = this.allocs.get(iova);
    return size === undefined ? undefined : { iova, size };
  }

  freeIova(iova: number): boolean {
    const size = this.allocs.get(iova);
    if (size === undefined) return false;
    this.allocs.delete(iova);
    const pages = size / IO_PAGE_SIZE;
    if (pages <= IOVA_RANGE_CACHE_MAX_PAGES) {
      let c = this.rcache.get(pages);
      if (!c) this.rcache.set(pages, (c = []));
      if (c.length < RCACHE_DEPTH) {
        c.push(iova); // stays reserved in the allocator, like an IOVA in a magazine
        return true;
      }
    }
    this.iovas.release(iova, size);
    return true;
  }

  /**
   * Write entries for [iova, iova+size) → [phys, ...): a 2 MiB block wherever both addresses are
   * 2 MiB-aligned and a whole block remains (as io-pgtable picks the largest page size that fits),
   * 4 KiB pages elsewhere. Returns false if something in the range was already mapped.
   */
  map(iova: number, phys: number, size: number, prot: Prot): boolean {
    const fmt = this.iommu.format;
    let leaf = -1;
    for (let off = 0; off < size; ) {
      const va = iova + off;
      if (va % BLOCK_SIZE === 0 && (phys + off) % BLOCK_SIZE === 0 && size - off >= BLOCK_SIZE) {
        const l2 = this.tableAt(va, 2, true);
        const at = l2 + levelIndex(va, 2) * 8;
        const cur = fmt.upper(this.ram.readU64(at));
        if (cur < 0) {
          this.ram.writeU64(at, fmt.encodeBlock(phys + off, prot));
          off += BLOCK_SIZE;
          leaf = -1;
          continue;
        }
        if (cur % 4 !== 0) return false; // a block is already there
        // a (possibly empty) page table is already there: map its pages one by one
      }
      const idx = levelIndex(va, 1);
      if (leaf < 0 || idx === 0) leaf = this.leafTable(va, true);
      if (leaf < 0) return false; // inside an existing block
      const at = leaf + idx * 8;
      if (fmt.leaf(this.ram.readU64(at)) >= 0) return false;
      this.ram.writeU64(at, fmt.encodeLeaf(phys + off, prot));
      off += IO_PAGE_SIZE;
    }
    this.mappedBytes += size;
    return true;
  }

  /**
   * Clear entries; stops at the first address that was not mapped. A block only partly unmapped is
   * split into a table of pages first (as io-pgtable does). Returns bytes unmapped; invalidates the
   * IOTLB and the paging-structure caches for them.
   */
  unmap(iova: number, size: number): number {
    const fmt = this.iommu.format;
    let done = 0;
    let leaf = -1;
    while (done < size) {
      const va = iova + done;
      const idx = levelIndex(va, 1);
      if (leaf < 0 || idx === 0) {
        // entering a 2 MiB region: a known page table, a block, or nothing
        leaf = this.tables.get(Math.floor(va / BLOCK_SIZE)) ?? -1;
        if (leaf < 0) {
          const l2 = this.tableAt(va, 2, false);
          if (l2 < 0) break;
          const at2 = l2 + levelIndex(va, 2) * 8;
          const e2 = fmt.upper(this.ram.readU64(at2));
          if (e2 < 0) break;
          if (e2 % 4 !== 0) {
            if (va % BLOCK_SIZE === 0 && size - done >= BLOCK_SIZE) {
              this.ram.writeU64(at2, 0);
              done += BLOCK_SIZE;
              continue;
            }
            this.splitBlock(at2, va - (va % BLOCK_SIZE), e2);
          }
          leaf = this.leafTable(va, false);
          if (leaf < 0) break;
        }
      }
      const at = leaf + idx * 8;
      if (fmt.leaf(this.ram.readU64(at)) < 0) break;
      this.ram.writeU64(at, 0);
      done += IO_PAGE_SIZE;
    }
    this.mappedBytes -= done;
    if (done > 0) this.iommu.invalidate(this.id, iova, done);
    return done;
  }

  /** Software walk (iommu_iova_to_phys). */
  iovaToPhys(iova: number): number {
    const leaf = this.tables.get(Math.floor(iova / BLOCK_SIZE));
    if (leaf !== undefined) {
      const e = this.iommu.format.leaf(this.ram.readU64(leaf + levelIndex(iova, 1) * 8));
      return e < 0 ? -1 : e - (e % 4) + (iova % IO_PAGE_SIZE);
    }
    const l2 = this.tableAt(iova, 2, false);
    if (l2 < 0) return -1;
    const e2 = this.iommu.format.upper(this.ram.readU64(l2 + levelIndex(iova, 2) * 8));
    if (e2 < 0) return -1;
    if (e2 % 4 !== 0) return e2 - (e2 % 4) + (iova % BLOCK_SIZE);
    const e = this.iommu.format.leaf(this.ram.readU64(e2 + levelIndex(iova, 1) * 8));
    return e < 0 ? -1 : e - (e % 4) + (iova % IO_PAGE_SIZE);
  }

  /** Every valid leaf or block, for panels: [iova, phys, size, read, write]. */
  *leaves(): Generator<{ iova: number; phys: number; size: number; read: boolean; write: boolean }> {
    const fmt = this.iommu.format;
    const ram = this.ram;
    const walk = function* (table: number, level: number, base: number): Generator<{ iova: number; phys: number; size: number; read: boolean; write: boolean }> {
      const span = 2 ** (12 + 9 * (level - 1));
      for (let i = 0; i < 512; i++) {
        const pte = ram.readU64(table + i * 8);
        if (pte === 0) continue;
        const e = level === 1 ? fmt.leaf(pte) : fmt.upper(pte);
        if (e < 0) continue;
        const iova = base + i * span;
        if (level === 1 || e % 4 !== 0) yield { iova, phys: e - (e % 4), size: span, read: (e % 4 & 1) !== 0, write: (e % 4 & 2) !== 0 };
        else yield* walk(e, level - 1, iova);
      }
    };
    yield* walk(this.root, IO_LEVELS, 0);
  }

  /** Replace a block entry by a table of pages with the same mapping and permissions. */
  private splitBlock(at2: number, blockIova: number, e2: number): void {
    const fmt = this.iommu.format;
    const t = this.newTable();
    const perm = e2 % 4;
    const base = e2 - perm;
    const prot = { read: (perm & 1) !== 0, write: (perm & 2) !== 0 };
    for (let i = 0; i < 512; i++) this.ram.writeU64(t + i * 8, fmt.encodeLeaf(base + i * IO_PAGE_SIZE, prot));
    this.ram.writeU64(at2, fmt.encodeTable(t));
    this.tables.set(Math.floor(blockIova / BLOCK_SIZE), t);
    this.iommu.invalidate(this.id, blockIova, BLOCK_SIZE);
  }

  /** The table that holds `iova`'s entry at `level` (2 = the table of 2 MiB entries), -1 if absent. */
  private tableAt(iova: number, level: number, create: boolean): number {
    const fmt = this.iommu.format;
    let table = this.root;
    for (let l = IO_LEVELS; l > level; l--) {
      const at = table + levelIndex(iova, l) * 8;
      const e = fmt.upper(this.ram.readU64(at));
      if (e >= 0 && e % 4 === 0) table = e;
      else {
        if (!create || e >= 0) return -1;
        const t = this.newTable();
        this.ram.writeU64(at, fmt.encodeTable(t));
        table = t;
      }
    }
    return table;
  }

  /** The level-1 table for `iova` (cached per 2 MiB region); -1 if absent or the region is a block. */
  private leafTable(iova: number, create: boolean): number {
    const key = Math.floor(iova / BLOCK_SIZE);
    const cached = this.tables.get(key);
    if (cached !== undefined) return cached;
    const l2 = this.tableAt(iova, 2, create);
    if (l2 < 0) return -1;
    const fmt = this.iommu.format;
    const at = l2 + levelIndex(iova, 2) * 8;
    const e = fmt.upper(this.ram.readU64(at));
    let table: number;
    if (e >= 0) {
      if (e % 4 !== 0) return -1;
      table = e;
    } else {
      if (!create) return -1;
      table = this.newTable();
      this.ram.writeU64(at, fmt.encodeTable(table));
    }
    this.tables.set(key, table);
    return table;
  }

  private newTable(): number {
    const p = this.pages.alloc(0, GFP_KERNEL, 'iommu-pgtable');
    if (p < 0) throw new Error('out of memory for IOMMU page tables');
    this.ram.fill(p, 0, PAGE_SIZE);
    this.tablePages.push(p);
    return p;
  }
}

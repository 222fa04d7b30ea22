/**
 * An IOMMU DMA domain as the kernel manages it: an IOVA allocator (top-down, size-aligned, tried
 * below 4 GiB first like dma-iommu), and io-pgtable code that writes real page-table entries into
 * RAM for the IOMMU to walk. After every unmap the IOTLB is invalidated for the range.
 */
import { ExtentAllocator } from '../../lib/extents';
import type { PhysicalMemory } from '../../hw/physical-memory';
import type { Iommu } from '../../hw/iommu';
import { IO_LEVELS, IO_PAGE_SIZE, IOVA_BITS, Prot, levelIndex } from '../../hw/io-pte';
import { PAGE_SIZE, PageAllocator } from '../page-alloc';
import { GFP_KERNEL } from '../gfp';

const FOUR_GIB = 0x1_0000_0000;
/** Requests below this many pages are rounded up to a power of two (the IOVA rcache sizes). */
const IOVA_RANGE_CACHE_MAX_PAGES = 32;

export interface IovaAlloc {
  iova: number;
  size: number;
}

export class IommuDomain {
  readonly root: number;
  private iovas: ExtentAllocator;
  private allocs = new Map<number, number>();
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
    let iova = -1;
    if (ceiling > FOUR_GIB) iova = this.iovas.alloc(bytes, align, 'high', FOUR_GIB);
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
    this.iovas.release(iova, size);
    return true;
  }

  /** Write leaf entries for [iova, iova+size) → [phys, ...). Returns false if an entry was already valid. */
  map(iova: number, phys: number, size: number, prot: Prot): boolean {
    const fmt = this.iommu.format;
    let leaf = -1;
    for (let off = 0; off < size; off += IO_PAGE_SIZE) {
      const idx = levelIndex(iova + off, 1);
      if (leaf < 0 || idx === 0) leaf = this.leafTable(iova + off, true);
      const at = leaf + idx * 8;
      if (fmt.leaf(this.ram.readU64(at)) >= 0) return false;
      this.ram.writeU64(at, fmt.encodeLeaf(phys + off, prot));
    }
    this.mappedBytes += size;
    return true;
  }

  /** Clear leaf entries; stops at the first entry that was not mapped. Returns bytes unmapped. Invalidates the IOTLB. */
  unmap(iova: number, size: number): number {
    const fmt = this.iommu.format;
    let done = 0;
    let leaf = -1;
    for (; done < size; done += IO_PAGE_SIZE) {
      const idx = levelIndex(iova + done, 1);
      if (leaf < 0 || idx === 0) leaf = this.leafTable(iova + done, false);
      if (leaf < 0) break;
      const at = leaf + idx * 8;
      if (fmt.leaf(this.ram.readU64(at)) < 0) break;
      this.ram.writeU64(at, 0);
    }
    this.mappedBytes -= done;
    if (done > 0) this.iommu.invalidate(this.id, iova, done);
    return done;
  }

  /** Software walk (iommu_iova_to_phys). */
  iovaToPhys(iova: number): number {
    const leaf = this.leafTable(iova, false);
    if (leaf < 0) return -1;
    const e = this.iommu.format.leaf(this.ram.readU64(leaf + levelIndex(iova, 1) * 8));
    return e < 0 ? -1 : e - (e % 4) + (iova % IO_PAGE_SIZE);
  }

  /** Every valid leaf, for panels: [iova, phys, read, write]. */
  *leaves(): Generator<{ iova: number; phys: number; read: boolean; write: boolean }> {
    const fmt = this.iommu.format;
    const walk = function* (this: IommuDomain, table: number, level: number, base: number): Generator<{ iova: number; phys: number; read: boolean; write: boolean }> {
      for (let i = 0; i < 512; i++) {
        const pte = this.ram.readU64(table + i * 8);
        if (pte === 0) continue;
        const d = fmt.decode(pte, level === 1);
        if (!d.valid) continue;
        const iova = base + i * 2 ** (12 + 9 * (level - 1));
        if (level === 1) yield { iova, phys: d.addr, read: d.read, write: d.write };
        else yield* walk.call(this, d.addr, level - 1, iova);
      }
    };
    yield* walk.call(this, this.root, IO_LEVELS, 0);
  }

  private leafTable(iova: number, create: boolean): number {
    const key = Math.floor(iova / 2 ** 21);
    const cached = this.tables.get(key);
    if (cached !== undefined) return cached;
    const fmt = this.iommu.format;
    let table = this.root;
    for (let level = IO_LEVELS; level > 1; level--) {
      const at = table + levelIndex(iova, level) * 8;
      const d = fmt.decode(this.ram.readU64(at), false);
      if (d.valid) table = d.addr;
      else {
        if (!create) return -1;
        const t = this.newTable();
        this.ram.writeU64(at, fmt.encodeTable(t));
        table = t;
      }
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

/**
 * Physical page frames by zone (ZONE_DMA, ZONE_DMA32, ZONE_NORMAL), allocated in naturally aligned
 * power-of-two blocks like the buddy allocator, highest addresses first (so ordinary GFP_KERNEL
 * memory sits where a 32-bit device cannot reach it, when the machine has such memory). Every
 * allocated page remembers its owner, which the checker and the panels read.
 */
import { ExtentAllocator } from '../lib/extents';
import { Prng } from '../lib/prng';
import { __GFP_DMA, __GFP_DMA32 } from './gfp';

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;
export const MAX_PAGE_ORDER = 10;

export type ZoneName = 'DMA' | 'DMA32' | 'Normal';

export type PageUse = 'slab' | 'pages' | 'kmalloc-large' | 'vmalloc' | 'stack' | 'dma-coherent' | 'iommu-pgtable' | 'swiotlb' | 'user' | 'dma-pool' | 'reserved';

export interface PageBlock {
  phys: number;
  pages: number;
  use: PageUse;
  /** Set by the owner (a slab, a vmalloc area...) for lookups. */
  owner?: unknown;
}

interface Zone {
  name: ZoneName;
  start: number;
  end: number;
  free: ExtentAllocator;
}

const FOUR_GIB = 0x1_0000_0000;

export class PageAllocator {
  readonly zones: Zone[] = [];
  private owners = new Map<number, PageBlock>();
  allocatedPages = 0;

  constructor(
    banks: readonly { base: number; size: number }[],
    zoneDmaLimit: number,
    hasDma32: boolean,
    private readonly prng: Prng,
  ) {
    const top = banks.reduce((m, b) => Math.max(m, b.base + b.size), 0);
    const bounds: [ZoneName, number, number][] = [];
    if (zoneDmaLimit > 0) bounds.push(['DMA', 0, zoneDmaLimit]);
    if (hasDma32 && zoneDmaLimit < FOUR_GIB) bounds.push(['DMA32', zoneDmaLimit, FOUR_GIB]);
    const normalStart = hasDma32 ? Math.max(FOUR_GIB, zoneDmaLimit) : zoneDmaLimit;
    bounds.push(['Normal', normalStart, Math.max(top, normalStart)]);
    for (const [name, s, e] of bounds) {
      const lo = Math.max(s, banks.reduce((m, b) => Math.min(m, b.base), Infinity));
      if (e <= lo) continue;
      const free = new ExtentAllocator(lo, e);
      // holes between banks are not memory
      let cursor = lo;
      for (const b of [...banks].sort((x, y) => x.base - y.base)) {
        const hs = cursor;
        const he = Math.min(b.base, e);
        if (he > hs) free.reserve(hs, he - hs);
        cursor = Math.max(cursor, b.base + b.size);
      }
      if (cursor < e) free.reserve(cursor, e - cursor);
      if (free.free > 0) this.zones.push({ name, start: lo, end: e, free });
    }
  }

  /** Remove a range from the allocator for good (reserved-memory, the kernel image). */
  reserve(phys: number, size: number, use: PageUse): boolean {
    for (const z of this.zones) {
      const s = Math.max(phys, z.start);
      const e = Math.min(phys + size, z.end);
      if (e > s && !z.free.reserve(s, e - s)) return false;
    }
    this.setOwner({ phys, pages: Math.ceil(size / PAGE_SIZE), use });
    return true;
  }

  /** Zones an allocation may use, preferred first (the zonelist). */
  zonelist(gfp: number): Zone[] {
    const want: ZoneName[] = gfp & __GFP_DMA ? ['DMA'] : gfp & __GFP_DMA32 ? ['DMA32', 'DMA'] : ['Normal', 'DMA32', 'DMA'];
    const out: Zone[] = [];
    for (const n of want) for (const z of this.zones) if (z.name === n) out.push(z);
    return out;
  }

  /**
   * Allocate 2^order pages, naturally aligned. `limit` (exclusive physical end) narrows the
   * search, `scatter` picks a seeded random block (vmalloc backing). Returns phys or -1.
   */
  alloc(order: number, gfp: number, use: PageUse, opts: { limit?: number; scatter?: boolean } = {}): number {
    if (order < 0 || order > MAX_PAGE_ORDER) return -1;
    const size = PAGE_SIZE << order;
    for (const z of this.zonelist(gfp)) {
      const phys = z.free.alloc(size, size, opts.scatter ? 'random' : 'high', opts.limit ?? Infinity, (n) => this.prng.below(n));
      if (phys >= 0) {
        this.allocatedPages += 1 << order;
        this.setOwner({ phys, pages: 1 << order, use });
        return phys;
      }
    }
    return -1;
  }

  /** Allocate `pages` contiguous pages (not rounded to a power of two), aligned to `align` bytes. */
  allocContig(pages: number, gfp: number, use: PageUse, align = PAGE_SIZE, limit = Infinity): number {
    for (const z of this.zonelist(gfp)) {
      const phys = z.free.alloc(pages * PAGE_SIZE, align, 'high', limit);
      if (phys >= 0) {
        this.allocatedPages += pages;
        this.setOwner({ phys, pages, use });
        return phys;
      }
    }
    return -1;
  }

  free(phys: number): PageBlock | undefined {
    const b = this.owners.get(Math.floor(phys / PAGE_SIZE));
    if (!b || b.phys !== phys) return undefined;
    for (let i = 0; i < b.pages; i++) this.owners.delete(Math.floor(phys / PAGE_SIZE) + i);
    for (const z of this.zones) {
      if (phys >= z.start && phys < z.end) {
        z.free.release(phys, b.pages * PAGE_SIZE);
        break;
      }
    }
    this.allocatedPages -= b.pages;
    return b;
  }

  /** The block owning a physical address, if allocated. */
  blockAt(phys: number): PageBlock | undefined {
    return this.owners.get(Math.floor(phys / PAGE_SIZE));
  }

  zoneOf(phys: number): ZoneName | undefined {
    return this.zones.find((z) => phys >= z.start && phys < z.end)?.name;
  }

  freeBytes(): number {
    return this.zones.reduce((s, z) => s + z.free.free, 0);
  }

  private setOwner(b: PageBlock): void {
    const first = Math.floor(b.phys / PAGE_SIZE);
    for (let i = 0; i < b.pages; i++) this.owners.set(first + i, b);
  }
}

export function orderFor(bytes: number): number {
  let order = 0;
  while (PAGE_SIZE << order < bytes) order++;
  return order;
}

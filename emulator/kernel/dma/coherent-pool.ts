/**
 * A per-device coherent memory pool from a `shared-dma-pool` reserved-memory region
 * (dma_alloc_from_dev_coherent): page-granular, first fit, naturally aligned like the kernel's
 * bitmap allocator.
 */
import { ExtentAllocator } from '../../lib/extents';
import { PAGE_SIZE, orderFor } from '../page-alloc';

export class CoherentPool {
  private alloc: ExtentAllocator;
  private sizes = new Map<number, number>();

  constructor(
    readonly name: string,
    readonly base: number,
    readonly size: number,
    /** no-map regions are outside the linear map and reach the CPU through an uncached remap. */
    readonly noMap: boolean,
  ) {
    this.alloc = new ExtentAllocator(base, base + size);
  }

  take(bytes: number): number {
    const sz = PAGE_SIZE << orderFor(bytes);
    const phys = this.alloc.alloc(sz, sz, 'low');
    if (phys >= 0) this.sizes.set(phys, sz);
    return phys;
  }

  give(phys: number): boolean {
    const sz = this.sizes.get(phys);
    if (sz === undefined) return false;
    this.sizes.delete(phys);
    this.alloc.release(phys, sz);
    return true;
  }

  contains(phys: number): boolean {
    return phys >= this.base && phys < this.base + this.size;
  }
}

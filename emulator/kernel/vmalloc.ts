/**
 * vmalloc: virtually contiguous, physically scattered memory. Each page comes from a seeded random
 * place, so a vmalloc buffer is never one physical run (which is why it must not be DMA-mapped as
 * one).
 */
import type { KernelAddressSpace } from './address-space';
import { PAGE_SIZE, PageAllocator } from './page-alloc';
import { GFP_KERNEL } from './gfp';

export interface VmArea {
  kva: number;
  size: number;
  pages: number[];
  use: 'vmalloc' | 'dma-coherent' | 'ioremap';
}

export class Vmalloc {
  readonly areas = new Map<number, VmArea>();
  /** Called before an area is unmapped: the kernel's full barrier (the CPU's posted stores land first). */
  barrier?: () => void;

  constructor(
    private readonly pages: PageAllocator,
    private readonly as: KernelAddressSpace,
  ) {}

  vmalloc(size: number): VmArea | null {
    if (!Number.isFinite(size) || size <= 0) return null;
    const n = Math.ceil(size / PAGE_SIZE);
    const frames: number[] = [];
    for (let i = 0; i < n; i++) {
      const p = this.pages.alloc(0, GFP_KERNEL, 'vmalloc', { scatter: true });
      if (p < 0) {
        for (const f of frames) this.pages.free(f);
        return null;
      }
      frames.push(p);
    }
    const kva = this.as.vmapPages(frames, true);
    if (kva < 0) {
      for (const f of frames) this.pages.free(f);
      return null;
    }
    const area: VmArea = { kva, size, pages: frames, use: 'vmalloc' };
    this.areas.set(kva, area);
    return area;
  }

  /**
   * Map existing pages (a coherent buffer's remap); the pages stay owned by the caller. `weak`:
   * uncached but weakly ordered (Normal non-cacheable; see VmapPage).
   */
  remap(frames: number[], size: number, cached: boolean, weak = false): VmArea | null {
    const kva = this.as.vmapPages(frames, cached, true, weak);
    if (kva < 0) return null;
    const area: VmArea = { kva, size, pages: frames, use: 'dma-coherent' };
    this.areas.set(kva, area);
    return area;
  }

  /** Unmap an area; frees its pages when it owned them (vmalloc). */
  vfree(kva: number): VmArea | undefined {
    const area = this.areas.get(kva);
    if (!area) return undefined;
    this.barrier?.();
    this.areas.delete(kva);
    this.as.vunmap(kva, area.pages.length);
    if (area.use === 'vmalloc') for (const f of area.pages) this.pages.free(f);
    return area;
  }

  areaAt(kva: number): VmArea | undefined {
    for (const a of this.areas.values()) if (kva >= a.kva && kva < a.kva + a.pages.length * PAGE_SIZE) return a;
    return undefined;
  }
}

/**
 * The kernel's virtual address space: the linear map of RAM (kmalloc, page allocations, stacks),
 * the vmalloc area (vmalloc, remapped coherent buffers, ioremap), with per-page cacheability.
 * Internally a kernel virtual address is a number offset from `base` (so 64-bit kernel addresses
 * stay exact); `Ptr.va` shows the full bigint.
 */
import { ExtentAllocator } from '../lib/extents';
import type { Arch } from '../platform/model';
import { PAGE_SIZE } from './page-alloc';

export interface Layout {
  /** Added to internal offsets to give the architectural address. */
  base: bigint;
  /** Linear map: where the first RAM byte appears (internal offset). */
  pageOffset: number;
  /** Linear map keeps phys - memstart (arm64, arm per bank) or phys (x86). */
  linearFromZero: boolean;
  vmallocStart: number;
  vmallocEnd: number;
}

export const LAYOUTS: Record<Arch, Layout> = {
  // 0xffff888000000000 direct map, 0xffffc90000000000 vmalloc
  x86_64: { base: 0xffff_0000_0000_0000n, pageOffset: 0x8880_0000_0000, linearFromZero: true, vmallocStart: 0xc900_0000_0000, vmallocEnd: 0xe900_0000_0000 },
  // 0xffff000000000000 linear map, 0xffff800080000000 vmalloc
  arm64: { base: 0xffff_0000_0000_0000n, pageOffset: 0, linearFromZero: false, vmallocStart: 0x8000_8000_0000, vmallocEnd: 0xfbfd_fe7f_0000 },
  // 0xc0000000 lowmem, 0xf0000000 vmalloc
  arm: { base: 0n, pageOffset: 0xc000_0000, linearFromZero: false, vmallocStart: 0xf000_0000, vmallocEnd: 0xff80_0000 },
};

interface Segment {
  va: number;
  phys: number;
  size: number;
}

export interface VmapPage {
  phys: number;
  cached: boolean;
  /**
   * Uncached but weakly ordered (Arm "Normal non-cacheable", what Linux maps dma_alloc_coherent
   * memory with on a non-coherent platform): the CPU may post stores to it and read it ahead
   * (write-buffer.ts). Uncached pages without it are strictly ordered.
   */
  weak?: boolean;
}

/** Where a kernel virtual address leads. */
export interface Translation {
  phys: number;
  cached: boolean;
  /** Uncached and weakly ordered (see VmapPage.weak). */
  weak?: boolean;
}

export class KernelAddressSpace {
  private linear: Segment[] = [];
  readonly vmallocArea: ExtentAllocator;
  /** vmalloc-area page table: virtual page number → backing page. */
  private vmap = new Map<number, VmapPage>();

  constructor(
    readonly layout: Layout,
    banks: readonly { base: number; size: number }[],
  ) {
    const sorted = [...banks].sort((a, b) => a.base - b.base);
    const memstart = sorted[0]?.base ?? 0;
    let next = layout.pageOffset;
    for (const b of sorted) {
      const va = layout.linearFromZero ? layout.pageOffset + b.base : layout.base === 0n ? next : layout.pageOffset + (b.base - memstart);
      this.linear.push({ va, phys: b.base, size: b.size });
      next = va + b.size;
    }
    this.vmallocArea = new ExtentAllocator(layout.vmallocStart, layout.vmallocEnd);
  }

  /** Full architectural address of an internal offset. */
  va(kva: number): bigint {
    return this.layout.base + BigInt(kva);
  }

  /** Internal offset of an architectural address, or -1 if it is not a kernel address. */
  fromVa(va: bigint): number {
    const off = va - this.layout.base;
    if (off < 0n || off > 0x1f_ffff_ffff_ffffn) return -1;
    return Number(off);
  }

  /** Linear-map address of a RAM physical address (lowmem), or -1. */
  linearVa(phys: number): number {
    for (const s of this.linear) if (phys >= s.phys && phys < s.phys + s.size) return s.va + (phys - s.phys);
    return -1;
  }

  isLinear(kva: number): boolean {
    for (const s of this.linear) if (kva >= s.va && kva < s.va + s.size) return true;
    return false;
  }

  isVmalloc(kva: number): boolean {
    return kva >= this.layout.vmallocStart && kva < this.layout.vmallocEnd;
  }

  /**
   * Physical address behind a kernel virtual address, with its cacheability, or undefined
   * (unmapped: the access would oops).
   */
  translate(kva: number): Translation | undefined {
    const t: Translation = { phys: 0, cached: false };
    if (!this.translateInto(kva, t)) return undefined;
    if (!t.weak) delete t.weak;
    return t;
  }

  /** translate() into a caller's record (the CPU's load/store path: no allocation). False: unmapped. */
  translateInto(kva: number, out: Translation): boolean {
    for (const s of this.linear) {
      if (kva >= s.va && kva < s.va + s.size) {
        out.phys = s.phys + (kva - s.va);
        out.cached = true;
        out.weak = false;
        return true;
      }
    }
    if (this.isVmalloc(kva)) {
      const p = this.vmap.get(Math.floor(kva / PAGE_SIZE));
      if (p) {
        out.phys = p.phys + (kva % PAGE_SIZE);
        out.cached = p.cached;
        out.weak = p.weak === true;
        return true;
      }
    }
    return false;
  }

  /** Map pages contiguously in the vmalloc area (vmap). Returns the start, or -1 when the area is full. */
  vmapPages(pages: readonly number[], cached: boolean, guard = true, weak = false): number {
    const size = (pages.length + (guard ? 1 : 0)) * PAGE_SIZE; // a guard page after each area, as vmalloc does
    const start = this.vmallocArea.alloc(size, PAGE_SIZE, 'low');
    if (start < 0) return -1;
    const vpn = start / PAGE_SIZE;
    pages.forEach((phys, i) => this.vmap.set(vpn + i, weak && !cached ? { phys, cached, weak } : { phys, cached }));
    return start;
  }

  /** Reserve vmalloc-area addresses with no pages behind them (ioremap windows). */
  reserveArea(bytes: number): number {
    return this.vmallocArea.alloc(Math.ceil(bytes / PAGE_SIZE) * PAGE_SIZE + PAGE_SIZE, PAGE_SIZE, 'low');
  }

  releaseArea(start: number, bytes: number): void {
    this.vmallocArea.release(start, Math.ceil(bytes / PAGE_SIZE) * PAGE_SIZE + PAGE_SIZE);
  }

  vunmap(start: number, npages: number, guard = true): number[] {
    const vpn = start / PAGE_SIZE;
    const phys: number[] = [];
    for (let i = 0; i < npages; i++) {
      const p = this.vmap.get(vpn + i);
      if (p) phys.push(p.phys);
      this.vmap.delete(vpn + i);
    }
    this.vmallocArea.release(start, (npages + (guard ? 1 : 0)) * PAGE_SIZE);
    return phys;
  }
}

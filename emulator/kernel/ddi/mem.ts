/**
 * Memory for DDI drivers.
 *
 * ddi_dma_mem_alloc(9F): physically contiguous pages the handle's device can reach directly (inside
 * [dma_attr_addr_lo, dma_attr_addr_hi] on the bus, within the bus's dma-ranges, aligned to
 * dma_attr_align), anywhere in RAM when an IOMMU translates for the device. DDI_DMA_CONSISTENT memory
 * of a non-coherent device is mapped uncached, as consistent memory is; DDI_DMA_STREAMING memory is
 * cached and needs ddi_dma_sync.
 *
 * kmem_alloc(9F): small buffers come from the slab allocator (physically contiguous, within a
 * page); larger ones, as from illumos' kmem arenas, are virtually contiguous pages from anywhere in
 * RAM, so binding one without an IOMMU gives a cookie per physical run.
 */
import { KernelOops } from '../cpu';
import type { Device } from '../device';
import { GFP_ATOMIC, GFP_KERNEL } from '../gfp';
import type { Kernel } from '../kernel';
import { PAGE_SIZE } from '../page-alloc';
import { hex } from '../../lib/hex';
import type { DmaAttr } from './attr';
import { DDI_DMA_CONSISTENT } from './consts';
import type { DdiResource, DevInfo } from './devinfo';

/** A ddi_dma_mem_alloc allocation (its ddi_acc_handle_t). */
export class DmaMemory implements DdiResource {
  freed = false;
  /** @internal the instance that holds it */
  owner?: DevInfo;

  constructor(
    /** @internal */ readonly k: Kernel,
    /** @internal */ readonly phys: number,
    /** @internal */ readonly pages: number,
    /** @internal */ readonly kva: number,
    /** @internal */ readonly remapped: boolean,
    readonly length: number,
  ) {}

  get what(): string {
    return `${this.length} bytes of ddi_dma_mem_alloc memory (ddi_dma_mem_free)`;
  }

  release(): void {
    if (this.freed) return;
    this.freed = true;
    if (this.remapped) this.k.vmalloc.vfree(this.kva);
    this.k.pages.free(this.phys);
  }

  toString(): string {
    return `ddi_acc_handle_t(dma memory ${hex(this.k.as.va(this.kva))}, ${this.length} bytes)`;
  }
}

/** The CPU physical range behind bus addresses [busLo, busHi] of a device (its first dma-ranges window that overlaps). */
function physWindow(dev: Device, busLo: number, busHi: number): { lo: number; hi: number } | undefined {
  const ranges = dev.dma.port.dmaRanges;
  if (ranges.length === 0) return busLo <= busHi ? { lo: busLo, hi: busHi } : undefined;
  for (const w of ranges) {
    const s = Math.max(busLo, w.bus);
    const e = Math.min(busHi, w.bus + w.size - 1);
    if (s <= e) return { lo: s - w.bus + w.cpu, hi: e - w.bus + w.cpu };
  }
  return undefined;
}

/** ddi_dma_mem_alloc: the memory, or why there is none. */
export function dmaMemAlloc(k: Kernel, dev: Device, attr: DmaAttr, length: number, flags: number): DmaMemory | string {
  if (!(attr.align > 0 && 2 ** Math.round(Math.log2(attr.align)) === attr.align)) return `dma_attr_align ${hex(attr.align)} is not a power of two`;
  const pages = Math.ceil(length / PAGE_SIZE);
  const align = Math.max(PAGE_SIZE, attr.align);
  let phys: number;
  if (dev.dma.domain) {
    phys = k.pages.allocContig(pages, GFP_KERNEL, 'dma-coherent', align);
  } else {
    const win = physWindow(dev, attr.lo, Math.min(attr.hi, dev.dma.busDmaLimit));
    if (!win) return `no RAM the device reaches at bus addresses [${hex(attr.lo)}, ${hex(attr.hi)}]`;
    phys = k.pages.allocContig(pages, GFP_KERNEL, 'dma-coherent', align, win.hi + 1);
    if (phys >= 0 && phys < win.lo) {
      k.pages.free(phys);
      phys = -1;
    }
  }
  if (phys < 0) return `out of memory for ${pages} contiguous pages the device can reach`;
  const bytes = pages * PAGE_SIZE;
  const frames: number[] = [];
  for (let off = 0; off < bytes; off += PAGE_SIZE) frames.push(phys + off);
  const uncached = (flags & DDI_DMA_CONSISTENT) !== 0 && !dev.dma.coherent;
  let kva = uncached ? -1 : k.as.linearVa(phys);
  let remapped = false;
  if (kva < 0) {
    // nothing of these pages may linger in the cache behind an uncached mapping
    if (uncached) k.cache.flush(phys, bytes);
    const area = k.vmalloc.remap(frames, bytes, !uncached);
    if (!area) {
      k.pages.free(phys);
      return 'out of kernel virtual space';
    }
    kva = area.kva;
    remapped = true;
  }
  return new DmaMemory(k, phys, pages, kva, remapped, bytes);
}

/** kmem_alloc: the kernel virtual address, or -1. */
export function kmemAlloc(k: Kernel, size: number, sleep: boolean): number {
  if (size <= PAGE_SIZE) {
    const o = k.kmalloc.kmalloc(size, sleep ? GFP_KERNEL : GFP_ATOMIC);
    return o ? o.kva : -1;
  }
  const a = k.vmalloc.vmalloc(size);
  return a ? a.kva : -1;
}

/** kmem_free: the size must be the one allocated, as illumos' allocator checks. */
export function kmemFree(k: Kernel, kva: number, size: number): void {
  if (k.as.isVmalloc(kva)) {
    const a = k.vmalloc.areas.get(kva);
    if (!a || a.use !== 'vmalloc') throw new KernelOops(`kernel memory allocator: invalid free: kmem_free(${hex(k.as.va(kva))}) is not the start of a kmem_alloc buffer`);
    if (a.size !== size) throw new KernelOops(`kernel memory allocator: bad free size: kmem_free(${hex(k.as.va(kva))}, ${size}) of a ${a.size}-byte buffer`);
    k.vmalloc.vfree(kva);
    return;
  }
  const t = k.as.isLinear(kva) ? k.as.translate(kva) : undefined;
  const obj = t ? k.kmalloc.objectAt(t.phys) : undefined;
  if (!t || !obj || obj.phys !== t.phys) throw new KernelOops(`kernel memory allocator: invalid free: kmem_free(${hex(k.as.va(kva))}) is not the start of a kmem_alloc buffer (double free?)`);
  if (obj.size !== size) throw new KernelOops(`kernel memory allocator: bad free size: kmem_free(${hex(k.as.va(kva))}, ${size}) of a ${obj.size}-byte buffer`);
  k.kmalloc.kfree(t.phys);
}

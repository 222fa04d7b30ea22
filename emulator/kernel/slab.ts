/**
 * kmalloc: size-class caches of objects packed into slab pages (so two small objects share cache
 * lines, as in the kernel), larger requests straight from the page allocator. Objects come from
 * the linear map and are physically contiguous. New objects are poisoned with 0x5a through the
 * CPU (as slab debugging does), freed ones are reused last-in first-out.
 */
import type { Cpu } from './cpu';
import type { KernelAddressSpace } from './address-space';
import { MAX_PAGE_ORDER, PAGE_SIZE, PageAllocator, orderFor } from './page-alloc';
import { __GFP_DMA, __GFP_DMA32, __GFP_ZERO } from './gfp';

const SIZE_CLASSES = [8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192];
export const KMALLOC_MAX_CACHE_SIZE = 8192;
export const KMALLOC_MAX_SIZE = PAGE_SIZE << MAX_PAGE_ORDER;
export const POISON_INUSE = 0x5a;

export interface KObject {
  kva: number;
  phys: number;
  /** Bytes the caller asked for. */
  size: number;
  /** Bytes actually reserved (the size class or whole pages). */
  objSize: number;
  cache?: string;
}

class SlabCache {
  /** Free object physical addresses, most recently freed last. */
  private free: number[] = [];
  readonly slabBytes: number;

  constructor(
    readonly name: string,
    readonly objSize: number,
    private readonly gfp: number,
  ) {
    this.slabBytes = Math.max(PAGE_SIZE, objSize * 2 <= PAGE_SIZE ? PAGE_SIZE : objSize * 2);
  }

  take(pages: PageAllocator): number {
    if (this.free.length === 0) {
      const phys = pages.alloc(orderFor(this.slabBytes), this.gfp, 'slab');
      if (phys < 0) return -1;
      const block = pages.blockAt(phys)!;
      block.owner = this;
      for (let off = this.slabBytes - this.objSize; off >= 0; off -= this.objSize) {
        if (off + this.objSize <= this.slabBytes) this.free.push(phys + off);
      }
      // objects are handed out lowest address first
      this.free.sort((a, b) => b - a);
    }
    return this.free.pop()!;
  }

  give(phys: number): void {
    this.free.push(phys);
  }
}

export class Kmalloc {
  private caches = new Map<string, SlabCache>();
  /** Live objects by physical start. */
  private live = new Map<number, KObject>();
  /** Live objects by slab-page for neighbourhood queries: page → starts. */
  readonly minAlign: number;

  constructor(
    private readonly pages: PageAllocator,
    private readonly as: KernelAddressSpace,
    private readonly cpu: Cpu,
    /** ARCH_KMALLOC_MINALIGN: the smallest object and alignment. */
    minAlign: number,
    /** Told about gfp fix-ups and failures (dmesg). */
    private readonly warn: (msg: string) => void,
  ) {
    this.minAlign = minAlign;
  }

  kmalloc(size: number, gfp: number): KObject | null {
    if (!Number.isFinite(size) || size < 0 || !Number.isInteger(size)) return null;
    if (size === 0) return null; // ZERO_SIZE_PTR in the kernel; treated as a failed allocation here
    if (gfp & __GFP_DMA32) {
      this.warn(`Unexpected gfp: 0x4 (GFP_DMA32). Fixing up to gfp: 0x${(gfp & ~__GFP_DMA32).toString(16)}. Fix your code!`);
      gfp &= ~__GFP_DMA32;
    }
    if (size > KMALLOC_MAX_SIZE) {
      this.warn(`kmalloc: allocation of ${size} bytes exceeds KMALLOC_MAX_SIZE (${KMALLOC_MAX_SIZE})`);
      return null;
    }
    let obj: KObject;
    if (size > KMALLOC_MAX_CACHE_SIZE) {
      const order = orderFor(size);
      const phys = this.pages.alloc(order, gfp, 'kmalloc-large');
      if (phys < 0) return null;
      obj = { kva: this.as.linearVa(phys), phys, size, objSize: PAGE_SIZE << order };
    } else {
      const cls = SIZE_CLASSES.find((c) => c >= size && c >= this.minAlign && c % this.minAlign === 0) ?? KMALLOC_MAX_CACHE_SIZE;
      const name = `${gfp & __GFP_DMA ? 'dma-' : ''}kmalloc-${cls >= 1024 ? `${cls / 1024}k` : cls}`;
      let cache = this.caches.get(name);
      if (!cache) {
        cache = new SlabCache(name, cls, gfp & __GFP_DMA);
        this.caches.set(name, cache);
      }
      const phys = cache.take(this.pages);
      if (phys < 0) return null;
      obj = { kva: this.as.linearVa(phys), phys, size, objSize: cls, cache: name };
      if (!(gfp & __GFP_ZERO)) this.cpu.fill(obj.kva, POISON_INUSE, cls);
    }
    if (obj.kva < 0) {
      // highmem has no linear address; kmalloc never returns it
      this.pages.free(obj.phys);
      return null;
    }
    if (gfp & __GFP_ZERO) this.cpu.fill(obj.kva, 0, obj.objSize);
    this.live.set(obj.phys, obj);
    return obj;
  }

  /** Free by physical start. Returns the object, or undefined when it was not a live kmalloc object. */
  kfree(phys: number): KObject | undefined {
    const obj = this.live.get(phys);
    if (!obj) return undefined;
    this.live.delete(phys);
    if (obj.cache) this.caches.get(obj.cache)!.give(phys);
    else this.pages.free(phys);
    return obj;
  }

  objectAt(phys: number): KObject | undefined {
    const block = this.pages.blockAt(phys);
    if (!block) return undefined;
    if (block.use === 'kmalloc-large') return this.live.get(block.phys);
    if (block.use !== 'slab') return undefined;
    const cache = block.owner as SlabCache;
    const start = block.phys + Math.floor((phys - block.phys) / cache.objSize) * cache.objSize;
    return this.live.get(start);
  }

  liveObjects(): IterableIterator<KObject> {
    return this.live.values();
  }
}

/**
 * Kernel memory: kmalloc (physically contiguous, from slab caches or pages), vmalloc (virtually
 * contiguous, physically scattered), page allocations, stack buffers, and the CPU copy helpers.
 * Every byte a driver touches goes through the emulated MMU and data cache.
 */
import { KernelOops } from '../../kernel/cpu';
import { Ptr } from '../../kernel/ptr';
import { UserPtr } from '../../kernel/chardev';
import { PAGE_SIZE, MAX_PAGE_ORDER } from '../../kernel/page-alloc';
import { __GFP_ZERO } from '../../kernel/gfp';
import { K } from '../current';
import { hex } from '../../lib/hex';
import { ptrArg } from './args';

export { Ptr };
export * from '../../kernel/gfp';
export { PAGE_SIZE, MAX_PAGE_ORDER };
export const PAGE_SHIFT = 12;

/** `struct page`: a physical page frame (from `virt_to_page` or `alloc_pages`). */
export class Page {
  constructor(/** @internal */ readonly phys: number) {}
  get pfn(): number {
    return this.phys / PAGE_SIZE;
  }
  toString(): string {
    return `page(pfn ${hex(this.pfn)})`;
  }
}


function wrap(kva: number): Ptr {
  return new Ptr(K().cpu, kva);
}

/** `kmalloc(size, gfp)`: physically contiguous memory (up to 4 MiB), not zeroed (slab poison 0x5a). Null on failure. */
export function kmalloc(size: number, gfp: number): Ptr | null {
  const k = K();
  k.gfpCheck(gfp, 'kmalloc');
  const o = k.kmalloc.kmalloc(size, gfp);
  return o ? wrap(o.kva) : null;
}

/** `kzalloc(size, gfp)`: kmalloc, zeroed. */
export function kzalloc(size: number, gfp: number): Ptr | null {
  return kmalloc(size, gfp | __GFP_ZERO);
}

/** `kcalloc(n, size, gfp)` */
export function kcalloc(n: number, size: number, gfp: number): Ptr | null {
  return kzalloc(n * size, gfp);
}

/** `kfree(p)`: free a kmalloc pointer (null is allowed). */
export function kfree(p: Ptr | null | undefined): void {
  if (p === null || p === undefined) return;
  const k = K();
  const ptr = ptrArg(p, 'kfree');
  const t = k.as.isLinear(ptr.kva) ? k.as.translate(ptr.kva) : undefined;
  if (!t || !k.kmalloc.kfree(t.phys)) throw new KernelOops(`kernel BUG at mm/slub.c: kfree(${hex(ptr.va)}): not the start of a live kmalloc object (double free, or a pointer kmalloc did not return)`);
}

/** `vmalloc(size)`: virtually contiguous memory built from scattered pages. Never DMA-map it as one buffer. */
export function vmalloc(size: number): Ptr | null {
  const k = K();
  k.gfpCheck(0xcc0, 'vmalloc');
  const a = k.vmalloc.vmalloc(size);
  return a ? wrap(a.kva) : null;
}

/** `vzalloc(size)` */
export function vzalloc(size: number): Ptr | null {
  const p = vmalloc(size);
  if (p) K().cpu.fill(p.kva, 0, size);
  return p;
}

/** `vfree(p)` */
export function vfree(p: Ptr | null): void {
  if (!p) return;
  const ptr = ptrArg(p, 'vfree');
  const a = K().vmalloc.vfree(ptr.kva);
  if (!a) throw new KernelOops(`vfree(${hex(ptr.va)}): not a vmalloc area (Trying to vfree() nonexistent vm area)`);
}

/** `__get_free_pages(gfp, order)`: 2^order physically contiguous, naturally aligned pages. Null on failure. */
export function __get_free_pages(gfp: number, order: number): Ptr | null {
  const k = K();
  k.gfpCheck(gfp, '__get_free_pages');
  const phys = k.pages.alloc(order, gfp, 'pages');
  if (phys < 0) return null;
  const kva = k.as.linearVa(phys);
  if (gfp & __GFP_ZERO) k.cpu.fill(kva, 0, PAGE_SIZE << order);
  return wrap(kva);
}

/** `get_zeroed_page(gfp)` */
export function get_zeroed_page(gfp: number): Ptr | null {
  return __get_free_pages(gfp | __GFP_ZERO, 0);
}

/** `free_pages(addr, order)` */
export function free_pages(p: Ptr, order: number): void {
  const k = K();
  const ptr = ptrArg(p, 'free_pages');
  const t = k.as.translate(ptr.kva);
  const b = t ? k.pages.blockAt(t.phys) : undefined;
  if (!t || !b || b.phys !== t.phys || b.use !== 'pages') throw new KernelOops(`free_pages(${hex(ptr.va)}): not an allocation from __get_free_pages`);
  if (b.pages !== 1 << order) throw new KernelOops(`free_pages(${hex(ptr.va)}, ${order}): the block has order ${Math.log2(b.pages)}`);
  k.pages.free(t.phys);
}

/** `alloc_pages(gfp, order)`: a struct page for DMA with `dma_map_page`. */
export function alloc_pages(gfp: number, order: number): Page | null {
  const k = K();
  k.gfpCheck(gfp, 'alloc_pages');
  const phys = k.pages.alloc(order, gfp, 'pages');
  return phys < 0 ? null : new Page(phys);
}

/** `__free_pages(page, order)` */
export function __free_pages(page: Page, order: number): void {
  const k = K();
  const b = k.pages.blockAt(page.phys);
  if (!b || b.phys !== page.phys || b.pages !== 1 << order) throw new KernelOops(`__free_pages(${page}, ${order}): not an allocated block of that order`);
  k.pages.free(page.phys);
}

/** `page_address(page)`: the page's linear-map address. */
export function page_address(page: Page): Ptr {
  const kva = K().as.linearVa(page.phys);
  if (kva < 0) throw new KernelOops(`page_address(${page}): highmem page without a linear address`);
  return wrap(kva);
}

/** `virt_to_page(p)` */
export function virt_to_page(p: Ptr): Page {
  const k = K();
  const ptr = ptrArg(p, 'virt_to_page');
  const t = k.as.isLinear(ptr.kva) ? k.as.translate(ptr.kva) : undefined;
  if (!t) throw new KernelOops(`virt_to_page(${hex(ptr.va)}): not a linear-map address (vmalloc memory needs vmalloc_to_page)`);
  return new Page(t.phys - (t.phys % PAGE_SIZE));
}

/** `offset_in_page(p)` */
export function offset_in_page(p: Ptr): number {
  return ptrArg(p, 'offset_in_page').kva % PAGE_SIZE;
}

/** `virt_to_phys(p)`: the physical address behind a linear-map pointer. It is not a DMA address: use the DMA API. */
export function virt_to_phys(p: Ptr): bigint {
  const k = K();
  const ptr = ptrArg(p, 'virt_to_phys');
  const t = k.as.translate(ptr.kva);
  if (!t) throw new KernelOops(`virt_to_phys(${hex(ptr.va)}): unmapped address`);
  if (!k.as.isLinear(ptr.kva)) k.log(undefined, 'warn', `virt_to_phys used for non-linear address: ${hex(ptr.va)} (it is only valid for the linear map; this one is vmalloc)`);
  return BigInt(t.phys);
}

/** `phys_to_virt(phys)` */
export function phys_to_virt(phys: bigint): Ptr {
  const kva = K().as.linearVa(Number(phys));
  if (kva < 0) throw new KernelOops(`phys_to_virt(0x${phys.toString(16)}): not RAM in the linear map`);
  return wrap(kva);
}

/** `is_vmalloc_addr(p)` */
export function is_vmalloc_addr(p: Ptr): boolean {
  return K().as.isVmalloc(ptrArg(p, 'is_vmalloc_addr').kva);
}

/**
 * `stack_buffer(size)`: a buffer on the current task's kernel stack (C's `u8 buf[64];` in a
 * function). Valid until the entry point (probe, read...) returns. DMA-mapping it is a bug.
 */
export function stack_buffer(size: number): Ptr {
  const k = K();
  if (!Number.isInteger(size) || size <= 0) throw new KernelOops(`stack_buffer(${String(size)}): size must be a positive integer`);
  const task = k.drivers.tasks.current ?? k.drivers.kthread();
  return wrap(task.push(size));
}

/** `memcpy(dst, src, n)`: CPU copy through the cache. */
export function memcpy(dst: Ptr, src: Ptr, n: number): Ptr {
  const d = ptrArg(dst, 'memcpy');
  const s = ptrArg(src, 'memcpy');
  const buf = new Uint8Array(n);
  s.cpu.read(s.kva, buf, 0, n);
  d.cpu.write(d.kva, buf, 0, n);
  return d;
}

/** `memset(p, c, n)` */
export function memset(p: Ptr, c: number, n: number): Ptr {
  const ptr = ptrArg(p, 'memset');
  ptr.cpu.fill(ptr.kva, c & 0xff, n);
  return ptr;
}

/** `memcmp(a, b, n)` */
export function memcmp(a: Ptr, b: Ptr, n: number): number {
  const x = ptrArg(a, 'memcmp').readBytes(0, n);
  const y = ptrArg(b, 'memcmp').readBytes(0, n);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return 0;
}

/** `copy_to_user(to, from, n)`: returns the number of bytes that could NOT be copied (0 on success). */
export function copy_to_user(to: UserPtr, from: Ptr, n: number): number {
  return K().chardev.copy(to, ptrArg(from, 'copy_to_user'), n, true);
}

/** `copy_from_user(to, from, n)`: returns the number of bytes that could NOT be copied. */
export function copy_from_user(to: Ptr, from: UserPtr, n: number): number {
  return K().chardev.copy(from, ptrArg(to, 'copy_from_user'), n, false);
}

/**
 * The DMA mapping API (Documentation/core-api/dma-api.rst): masks, streaming mappings (single,
 * page, scatterlist, resource), syncs, coherent allocations and DMA pools. Addresses are bigint
 * `dma_addr_t`; a failed mapping returns DMA_MAPPING_ERROR, tested with dma_mapping_error().
 */
import { Device } from '../../kernel/device';
import { KernelOops } from '../../kernel/cpu';
import { Ptr } from '../../kernel/ptr';
import { DMA_ATTR_SKIP_CPU_SYNC, DMA_ATTR_WEAK_ORDERING, DMA_ATTR_WRITE_COMBINE, DMA_ATTR_NO_KERNEL_MAPPING, DMA_BIDIRECTIONAL, DMA_FROM_DEVICE, DMA_MAPPING_ERROR as ERR, DMA_NONE, DMA_TO_DEVICE } from '../../kernel/dma/dir';
import { DmaPool } from '../../kernel/dma/pool';
import { ENOMEM } from '../../kernel/errno';
import { PAGE_SIZE } from '../../kernel/page-alloc';
import { K, site } from '../current';
import { DMA_MAPPING_ERROR } from './types';
import { Page } from './memory';
import { toAddr, hex } from '../../lib/hex';
import { devArg, ptrArg } from './args';

export { DMA_BIDIRECTIONAL, DMA_TO_DEVICE, DMA_FROM_DEVICE, DMA_NONE, DMA_ATTR_SKIP_CPU_SYNC, DMA_ATTR_WEAK_ORDERING, DMA_ATTR_WRITE_COMBINE, DMA_ATTR_NO_KERNEL_MAPPING, DmaPool };

/** `enum dma_data_direction` */
export type dma_data_direction = 0 | 1 | 2 | 3;



function dmaArg(d: unknown, fn: string): number {
  if (typeof d !== 'bigint' && typeof d !== 'number') throw new KernelOops(`${fn}(): expected a dma_addr_t (bigint), got ${String(d)}`);
  const v = BigInt(d);
  return v === DMA_MAPPING_ERROR ? ERR : toAddr(v);
}

function out(dma: number): bigint {
  return dma === ERR ? DMA_MAPPING_ERROR : BigInt(dma);
}

// ---- masks ------------------------------------------------------------------------------------

/** `dma_set_mask(dev, mask)`: the addresses the device can generate for streaming DMA. 0 or -EIO. */
export function dma_set_mask(dev: Device, mask: bigint): number {
  return K().dma.setMask(devArg(dev, 'dma_set_mask'), BigInt(mask), 'streaming');
}

/** `dma_set_coherent_mask(dev, mask)` */
export function dma_set_coherent_mask(dev: Device, mask: bigint): number {
  return K().dma.setMask(devArg(dev, 'dma_set_coherent_mask'), BigInt(mask), 'coherent');
}

/** `dma_set_mask_and_coherent(dev, mask)`: set both masks; the call every DMA driver makes first. */
export function dma_set_mask_and_coherent(dev: Device, mask: bigint): number {
  const d = devArg(dev, 'dma_set_mask_and_coherent');
  const r = K().dma.setMask(d, BigInt(mask), 'streaming');
  return r === 0 ? K().dma.setMask(d, BigInt(mask), 'coherent') : r;
}

/** `dma_get_mask(dev)` */
export function dma_get_mask(dev: Device): bigint {
  return devArg(dev, 'dma_get_mask').dma.mask;
}

/** `dma_max_mapping_size(dev)`: the largest single mapping the DMA layer can make for this device. */
export function dma_max_mapping_size(dev: Device): number {
  return K().dma.maxMappingSize(devArg(dev, 'dma_max_mapping_size'));
}

/** `dma_opt_mapping_size(dev)`: the largest mapping size that stays fast. */
export function dma_opt_mapping_size(dev: Device): number {
  return K().dma.optMappingSize(devArg(dev, 'dma_opt_mapping_size'));
}

// ---- streaming --------------------------------------------------------------------------------

/**
 * `dma_map_single(dev, ptr, size, dir, attrs?)`: hand a kmalloc'd buffer to the device. The device
 * owns it until dma_unmap_single or dma_sync_single_for_cpu. Check with dma_mapping_error().
 */
export function dma_map_single(dev: Device, ptr: Ptr, size: number, dir: number, attrs = 0): bigint {
  const k = K();
  const d = devArg(dev, 'dma_map_single');
  const p = ptrArg(ptr, 'dma_map_single');
  const s = site(dma_map_single);
  if (k.as.isVmalloc(p.kva)) {
    k.debug?.mapFromVmalloc(d, s);
    if (!k.debug) k.log(d, 'warn', 'rejecting DMA map of vmalloc memory');
    return DMA_MAPPING_ERROR;
  }
  const t = k.as.translate(p.kva);
  if (!t) throw new KernelOops(`dma_map_single(): ${hex(p.va)} is not a mapped kernel address`);
  return out(k.dma.mapPage(d, t.phys, size, dir, attrs, 'single', 'dma_map_single', s));
}

/** `dma_unmap_single(dev, addr, size, dir, attrs?)`: end the mapping; the CPU owns the buffer again. */
export function dma_unmap_single(dev: Device, addr: bigint, size: number, dir: number, attrs = 0): void {
  K().dma.unmapPage(devArg(dev, 'dma_unmap_single'), dmaArg(addr, 'dma_unmap_single'), size, dir, attrs, 'single', 'dma_unmap_single', undefined);
}

/** `dma_map_page(dev, page, offset, size, dir, attrs?)` */
export function dma_map_page(dev: Device, page: Page, offset: number, size: number, dir: number, attrs = 0): bigint {
  if (!(page instanceof Page)) throw new KernelOops(`dma_map_page(): expected a struct page (alloc_pages / virt_to_page), got ${String(page)}`);
  return out(K().dma.mapPage(devArg(dev, 'dma_map_page'), page.phys + offset, size, dir, attrs, 'page', 'dma_map_page', site(dma_map_page)));
}

/** `dma_unmap_page(dev, addr, size, dir, attrs?)` */
export function dma_unmap_page(dev: Device, addr: bigint, size: number, dir: number, attrs = 0): void {
  K().dma.unmapPage(devArg(dev, 'dma_unmap_page'), dmaArg(addr, 'dma_unmap_page'), size, dir, attrs, 'page', 'dma_unmap_page', undefined);
}

/** `dma_mapping_error(dev, addr)`: -ENOMEM when `addr` is DMA_MAPPING_ERROR, else 0. Every map must be checked. */
export function dma_mapping_error(dev: Device, addr: bigint): number {
  return K().dma.mappingError(devArg(dev, 'dma_mapping_error'), dmaArg(addr, 'dma_mapping_error')) ? -ENOMEM : 0;
}

/** `dma_sync_single_for_cpu(dev, addr, size, dir)`: give a still-mapped buffer back to the CPU. */
export function dma_sync_single_for_cpu(dev: Device, addr: bigint, size: number, dir: number): void {
  K().dma.sync(devArg(dev, 'dma_sync_single_for_cpu'), dmaArg(addr, 'dma_sync_single_for_cpu'), size, dir, true, 'dma_sync_single_for_cpu', undefined);
}

/** `dma_sync_single_for_device(dev, addr, size, dir)`: give it back to the device. */
export function dma_sync_single_for_device(dev: Device, addr: bigint, size: number, dir: number): void {
  K().dma.sync(devArg(dev, 'dma_sync_single_for_device'), dmaArg(addr, 'dma_sync_single_for_device'), size, dir, false, 'dma_sync_single_for_device', undefined);
}

/** `dma_map_resource(dev, phys, size, dir, attrs?)`: map another device's MMIO (a FIFO) for this device. */
export function dma_map_resource(dev: Device, phys: bigint, size: number, dir: number, _attrs = 0): bigint {
  return out(K().dma.mapResource(devArg(dev, 'dma_map_resource'), toAddr(phys), size, dir, 'dma_map_resource', site(dma_map_resource)));
}

/** `dma_unmap_resource(dev, addr, size, dir, attrs?)` */
export function dma_unmap_resource(dev: Device, addr: bigint, size: number, dir: number, _attrs = 0): void {
  K().dma.unmapResource(devArg(dev, 'dma_unmap_resource'), dmaArg(addr, 'dma_unmap_resource'), size, dir, 'dma_unmap_resource', undefined);
}

// ---- coherent ---------------------------------------------------------------------------------

/** A coherent allocation: CPU pointer and the device's address for the same memory. */
export interface DmaCoherent {
  cpu: Ptr;
  dma: bigint;
}

/**
 * `dma_alloc_coherent(dev, size, gfp)`: memory the CPU and device share without syncs (uncached
 * on a non-coherent platform). Returns `{ cpu, dma }` or null.
 */
export function dma_alloc_coherent(dev: Device, size: number, gfp: number): DmaCoherent | null {
  const k = K();
  const b = k.dma.allocCoherent(devArg(dev, 'dma_alloc_coherent'), size, gfp, 'dma_alloc_coherent', site(dma_alloc_coherent));
  return b ? { cpu: new Ptr(k.cpu, b.kva), dma: BigInt(b.dma) } : null;
}

/** `dma_free_coherent(dev, size, cpu, dma)` */
export function dma_free_coherent(dev: Device, size: number, cpu: Ptr, dma: bigint): void {
  K().dma.freeCoherent(devArg(dev, 'dma_free_coherent'), size, ptrArg(cpu, 'dma_free_coherent').kva, dmaArg(dma, 'dma_free_coherent'), 'dma_free_coherent', undefined);
}

/** `dmam_alloc_coherent(dev, size, gfp)`: like dma_alloc_coherent, freed automatically after remove. */
export function dmam_alloc_coherent(dev: Device, size: number, gfp: number): DmaCoherent | null {
  const k = K();
  const d = devArg(dev, 'dmam_alloc_coherent');
  const b = k.dma.allocCoherent(d, size, gfp, 'dmam_alloc_coherent', site(dmam_alloc_coherent));
  if (!b) return null;
  d.addDevres(`dmam_alloc_coherent ${hex(b.dma)}`, () => k.dma.freeCoherent(d, size, b.kva, b.dma, 'dmam_free_coherent', undefined));
  return { cpu: new Ptr(k.cpu, b.kva), dma: BigInt(b.dma) };
}

// ---- pools ------------------------------------------------------------------------------------

/** `dma_pool_create(name, dev, size, align, boundary)`: a pool of small coherent blocks (descriptors). */
export function dma_pool_create(name: string, dev: Device, size: number, align: number, boundary: number): DmaPool | null {
  const d = devArg(dev, 'dma_pool_create');
  if (!Number.isInteger(size) || size <= 0 || !Number.isInteger(align) || align <= 0 || align & (align - 1)) return null;
  if (boundary && (boundary & (boundary - 1) || boundary < size)) return null;
  const allocation = Math.max(PAGE_SIZE, Math.ceil(size / PAGE_SIZE) * PAGE_SIZE);
  return new DmaPool(String(name), d, size, Math.max(align, 8), boundary, allocation);
}

/** `dma_pool_alloc(pool, gfp)`: `{ cpu, dma }` of a block, or null. */
export function dma_pool_alloc(pool: DmaPool, gfp: number): DmaCoherent | null {
  const k = K();
  if (!(pool instanceof DmaPool) || pool.destroyed) throw new KernelOops(`dma_pool_alloc(): not a live dma_pool`);
  let b = pool.take();
  if (!b) {
    const page = k.dma.allocCoherent(pool.dev, pool.allocation, gfp, 'dma_pool_alloc', site(dma_pool_alloc));
    if (!page) return null;
    pool.addPage(page);
    b = pool.take();
  }
  return b ? { cpu: new Ptr(k.cpu, b.kva), dma: BigInt(b.dma) } : null;
}

/** `dma_pool_zalloc(pool, gfp)` */
export function dma_pool_zalloc(pool: DmaPool, gfp: number): DmaCoherent | null {
  const b = dma_pool_alloc(pool, gfp);
  if (b) K().cpu.fill(b.cpu.kva, 0, pool.size);
  return b;
}

/** `dma_pool_free(pool, cpu, dma)` */
export function dma_pool_free(pool: DmaPool, cpu: Ptr, dma: bigint): void {
  const r = pool.give(dmaArg(dma, 'dma_pool_free'), ptrArg(cpu, 'dma_pool_free').kva);
  if (r !== 'ok') K().log(pool.dev, 'err', `dma_pool_free ${pool.name}, ${hex(cpu.va)}/${hex(dma)} (${r === 'unknown' ? 'bad dma' : 'bad vaddr'})`);
}

/** `dma_pool_destroy(pool)`: blocks still allocated are reported; the pages go back. */
export function dma_pool_destroy(pool: DmaPool | null): void {
  if (!pool) return;
  const k = K();
  if (pool.inUse.size) k.log(pool.dev, 'err', `dma_pool_destroy ${pool.name}, ${pool.inUse.size} blocks still in use`);
  for (const page of pool.pages) k.dma.freeCoherent(pool.dev, pool.allocation, page.kva, page.dma, 'dma_pool_destroy', undefined);
  pool.destroyed = true;
}

/**
 * Scatterlists: a list of buffers mapped for DMA in one call. `dma_map_sg` returns how many DMA
 * segments the device must be programmed with (fewer than entries when an IOMMU merges them);
 * `dma_unmap_sg` takes the ORIGINAL entry count.
 */
import { Device } from '../../kernel/device';
import { KernelOops } from '../../kernel/cpu';
import { Ptr } from '../../kernel/ptr';
import type { SgMapping } from '../../kernel/dma/mapping';
import { K, site } from '../current';
import { hex } from '../../lib/hex';
import { devArg } from './args';

/** `struct scatterlist`: one buffer of the list and, after dma_map_sg, one DMA segment. */
export class Scatterlist {
  /** The CPU buffer (set by sg_set_buf). */
  buf: Ptr | null = null;
  length = 0;
  offset = 0;
  /** @internal */ dma_address = -1;
  /** @internal */ dma_length = 0;
  /** @internal */ list: Scatterlist[] = [];
  /** @internal */ index = 0;
  /** @internal */ mapping?: SgMapping;
}

/** `struct sg_table` */
export interface SgTable {
  sgl: Scatterlist[];
  /** Entries the table holds. */
  orig_nents: number;
  /** DMA segments after mapping (set by the driver from dma_map_sg's return, or by dma_map_sgtable). */
  nents: number;
}

/** `sg_init_table(nents)`: a fresh list of `nents` entries (or re-initialise an existing list). */
export function sg_init_table(sglOrNents: Scatterlist[] | number, nents?: number): Scatterlist[] {
  const n = typeof sglOrNents === 'number' ? sglOrNents : (nents ?? sglOrNents.length);
  if (!Number.isInteger(n) || n <= 0 || n > 1 << 20) throw new KernelOops(`sg_init_table(): invalid entry count ${String(n)}`);
  const list = typeof sglOrNents === 'number' ? [] : sglOrNents;
  list.length = n;
  for (let i = 0; i < n; i++) {
    const s = list[i] instanceof Scatterlist ? list[i] : new Scatterlist();
    s.buf = null;
    s.length = 0;
    s.offset = 0;
    s.dma_address = -1;
    s.dma_length = 0;
    s.list = list;
    s.index = i;
    s.mapping = undefined;
    list[i] = s;
  }
  return list;
}

/** `sg_alloc_table(nents, gfp)`: a table with `nents` entries, or null. */
export function sg_alloc_table(nents: number, _gfp: number): SgTable | null {
  if (!Number.isInteger(nents) || nents <= 0 || nents > 1 << 20) return null;
  const sgl = sg_init_table(nents);
  return { sgl, orig_nents: nents, nents };
}

/** `sg_free_table(table)` */
export function sg_free_table(table: SgTable): void {
  table.sgl.length = 0;
  table.orig_nents = 0;
  table.nents = 0;
}

/** `sg_set_buf(sg, buf, buflen)`: point an entry at a (kmalloc'd, physically contiguous) buffer. */
export function sg_set_buf(sg: Scatterlist, buf: Ptr, buflen: number): void {
  if (!(sg instanceof Scatterlist)) throw new KernelOops(`sg_set_buf(): not a scatterlist entry: ${String(sg)}`);
  if (!(buf instanceof Ptr)) throw new KernelOops(`sg_set_buf(): expected a kernel pointer, got ${String(buf)}`);
  sg.buf = buf;
  sg.length = buflen;
  sg.offset = buf.kva % 4096;
}

/** `sg_next(sg)`: the following entry, or null at the end. */
export function sg_next(sg: Scatterlist): Scatterlist | null {
  return sg.list[sg.index + 1] ?? null;
}

/** `for_each_sg(sgl, nents)`: iterate the first `nents` entries: `for (const sg of for_each_sg(sgl, count))`. */
export function* for_each_sg(sgl: Scatterlist[] | SgTable, nents: number): Generator<Scatterlist> {
  const list = Array.isArray(sgl) ? sgl : sgl.sgl;
  for (let i = 0; i < nents && i < list.length; i++) yield list[i];
}

/** `sg_dma_address(sg)`: the DMA address of a mapped segment. */
export function sg_dma_address(sg: Scatterlist): bigint {
  return BigInt(Math.max(sg.dma_address, 0));
}

/** `sg_dma_len(sg)`: the length of a mapped segment. */
export function sg_dma_len(sg: Scatterlist): number {
  return sg.dma_length;
}

function listArg(sgl: unknown, fn: string): Scatterlist[] {
  const list = Array.isArray(sgl) ? sgl : (sgl as SgTable)?.sgl;
  if (!Array.isArray(list) || !list.every((s) => s instanceof Scatterlist)) throw new KernelOops(`${fn}(): expected a scatterlist (sg_init_table / sg_alloc_table), got ${String(sgl)}`);
  return list as Scatterlist[];
}


/**
 * `dma_map_sg(dev, sgl, nents, dir, attrs?)`: map every entry; returns the number of DMA segments
 * to program (0 on failure). Segment i is `sg_dma_address/sg_dma_len` of entry i.
 */
export function dma_map_sg(dev: Device, sgl: Scatterlist[] | SgTable, nents: number, dir: number, attrs = 0): number {
  const k = K();
  const d = devArg(dev, 'dma_map_sg');
  const list = listArg(sgl, 'dma_map_sg');
  if (!Number.isInteger(nents) || nents <= 0 || nents > list.length) throw new KernelOops(`dma_map_sg(): nents ${String(nents)} out of range (the list has ${list.length} entries)`);
  const elems = list.slice(0, nents).map((s, i) => {
    if (!s.buf) throw new KernelOops(`dma_map_sg(): entry ${i} has no buffer (sg_set_buf)`);
    if (k.as.isVmalloc(s.buf.kva)) throw new KernelOops(`dma_map_sg(): entry ${i} points at vmalloc memory ${hex(s.buf.va)}; use sg_set_page with vmalloc_to_page per page`);
    const t = k.as.translate(s.buf.kva);
    if (!t) throw new KernelOops(`dma_map_sg(): entry ${i}: ${hex(s.buf.va)} is not mapped`);
    return { phys: t.phys, len: s.length };
  });
  const m = k.dma.mapSg(d, elems, nents, dir, attrs, 'dma_map_sg', site(dma_map_sg));
  if (!m) return 0;
  for (let i = 0; i < list.length; i++) {
    list[i].dma_address = i < m.segs.length ? m.segs[i].dma : -1;
    list[i].dma_length = i < m.segs.length ? m.segs[i].len : 0;
    list[i].mapping = m;
  }
  if (!Array.isArray(sgl)) sgl.nents = m.segs.length;
  return m.segs.length;
}

function mappingOf(list: Scatterlist[], fn: string): SgMapping {
  const m = list[0]?.mapping;
  if (!m) throw new KernelOops(`${fn}(): this scatterlist is not mapped (dma_map_sg)`);
  return m;
}

/** `dma_unmap_sg(dev, sgl, nents, dir, attrs?)`: `nents` must be what was passed to dma_map_sg, not what it returned. */
export function dma_unmap_sg(dev: Device, sgl: Scatterlist[] | SgTable, nents: number, dir: number, attrs = 0): void {
  devArg(dev, 'dma_unmap_sg');
  const list = listArg(sgl, 'dma_unmap_sg');
  const m = mappingOf(list, 'dma_unmap_sg');
  K().dma.unmapSg(m, nents, dir, attrs, 'dma_unmap_sg', undefined);
  for (const s of list) {
    s.mapping = undefined;
    s.dma_address = -1;
    s.dma_length = 0;
  }
}

/** `dma_sync_sg_for_cpu(dev, sgl, nents, dir)` */
export function dma_sync_sg_for_cpu(dev: Device, sgl: Scatterlist[] | SgTable, nents: number, dir: number): void {
  devArg(dev, 'dma_sync_sg_for_cpu');
  K().dma.syncSg(mappingOf(listArg(sgl, 'dma_sync_sg_for_cpu'), 'dma_sync_sg_for_cpu'), nents, dir, true, 'dma_sync_sg_for_cpu', undefined);
}

/** `dma_sync_sg_for_device(dev, sgl, nents, dir)` */
export function dma_sync_sg_for_device(dev: Device, sgl: Scatterlist[] | SgTable, nents: number, dir: number): void {
  devArg(dev, 'dma_sync_sg_for_device');
  K().dma.syncSg(mappingOf(listArg(sgl, 'dma_sync_sg_for_device'), 'dma_sync_sg_for_device'), nents, dir, false, 'dma_sync_sg_for_device', undefined);
}

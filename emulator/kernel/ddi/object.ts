/**
 * The DMA object of a bind (ddi_dma_obj_t for a kernel virtual address): the buffer walked page by
 * page through the kernel's page tables, as rootnex_get_sgl does with hat_getpfnum(). Each piece is
 * physically contiguous and lies within one page; `off` is its offset in the object.
 */
import { hex } from '../../lib/hex';
import { KernelOops } from '../cpu';
import type { Kernel } from '../kernel';
import { PAGE_SIZE } from '../page-alloc';

export interface Piece {
  off: number;
  phys: number;
  len: number;
}

export function objectPieces(k: Kernel, kva: number, len: number, api: string): Piece[] {
  const out: Piece[] = [];
  for (let off = 0; off < len; ) {
    const n = Math.min(len - off, PAGE_SIZE - ((kva + off) % PAGE_SIZE));
    const t = k.as.translate(kva + off);
    if (!t) throw new KernelOops(`${api}(): ${hex(k.as.va(kva + off))} (offset ${off} of the object) is not mapped: hat_getpfnum() finds no page`);
    out.push({ off, phys: t.phys, len: n });
    off += n;
  }
  return out;
}

/** The pieces of [start, end) of the object, cut at its edges. */
export function piecesIn(pieces: readonly Piece[], start: number, end: number): Piece[] {
  const out: Piece[] = [];
  for (const p of pieces) {
    const s = Math.max(p.off, start);
    const e = Math.min(p.off + p.len, end);
    if (e > s) out.push({ off: s, phys: p.phys + (s - p.off), len: e - s });
  }
  return out;
}

/** Merge physically contiguous neighbours (fewer, larger runs for an IOMMU mapping). */
export function physRuns(pieces: readonly Piece[]): Piece[] {
  const out: Piece[] = [];
  for (const p of pieces) {
    const last = out[out.length - 1];
    if (last && last.phys + last.len === p.phys && last.off + last.len === p.off) last.len += p.len;
    else out.push({ ...p });
  }
  return out;
}

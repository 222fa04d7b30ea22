/**
 * Cookies: how an object is cut into pieces the device can address.
 *
 * Without an IOMMU (DMA platforms) this is rootnex_get_sgl(): walk the object page by page; a page
 * the device cannot reach (outside [dma_attr_addr_lo, dma_attr_addr_hi], or beyond what the bus
 * lets it address) gets a cookie of its own that will go through the copy buffer; other pages
 * merge with the previous cookie while they are contiguous on the bus, stay inside one
 * dma_attr_seg segment and keep the cookie within the largest cookie size.
 *
 * With an IOMMU (DVMA platforms) the object is one contiguous range of device-virtual addresses,
 * cut only where it would cross a segment boundary or exceed the largest cookie size.
 */
import type { DmaAttr } from './attr';
import type { Piece } from './object';

/** A cookie of the whole object, before any window is mapped. */
export interface SglCookie {
  /** Offset in the object. */
  off: number;
  len: number;
  phys: number;
  /** Bus address of the memory itself (meaningless when `copy`). */
  bus: number;
  /** Needs the copy buffer (ROOTNEX_USES_COPYBUF). */
  copy: boolean;
}

/**
 * rootnex_get_sgl(). `busOf` gives the bus address of a physical range the device can reach
 * directly, or -1 when it cannot; `forceCopy` bounces everything (a restricted DMA pool).
 */
export function physSgl(pieces: readonly Piece[], attr: DmaAttr, busOf: (phys: number, len: number) => number, forceCopy: boolean): SglCookie[] {
  const out: SglCookie[] = [];
  for (const p of pieces) {
    const bus = forceCopy ? -1 : busOf(p.phys, p.len);
    const reachable = bus >= 0 && bus >= attr.lo && bus + p.len - 1 <= attr.hi;
    if (!reachable) {
      out.push({ off: p.off, len: p.len, phys: p.phys, bus: -1, copy: true });
      continue;
    }
    const last = out[out.length - 1];
    if (
      last &&
      !last.copy &&
      last.bus + last.len === bus &&
      last.phys + last.len === p.phys &&
      Math.floor(last.bus / attr.segSize) === Math.floor((bus + p.len - 1) / attr.segSize) &&
      last.len + p.len <= attr.maxseg
    ) {
      last.len += p.len;
      continue;
    }
    out.push({ off: p.off, len: p.len, phys: p.phys, bus, copy: false });
  }
  return out;
}

export interface Span {
  /** Start (a device address, or an offset relative to an aligned base). */
  at: number;
  len: number;
}

/** Cut [at, at+len) where it would cross a multiple of segSize or exceed maxseg bytes. */
export function splitRange(at: number, len: number, segSize: number, maxseg: number): Span[] {
  const out: Span[] = [];
  let pos = at;
  const end = at + len;
  while (pos < end) {
    const segEnd = (Math.floor(pos / segSize) + 1) * segSize;
    const n = Math.min(end - pos, segEnd - pos, maxseg);
    out.push({ at: pos, len: n });
    pos += n;
  }
  return out;
}

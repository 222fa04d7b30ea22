/**
 * DMA windows: when an object cannot be transferred in one go (more than dma_attr_maxxfer bytes,
 * more cookies than dma_attr_sgllen, more copy buffer than the nexus will hold at once), it is cut
 * into windows, each a byte range of the object that is mapped on its own. A window that is not the
 * last is trimmed to a whole multiple of dma_attr_granular, the trimmed bytes starting the next
 * window (rootnex_bind_slowpath and its *_window_boundary helpers). Only the current window has
 * resources (DVMA space, copy buffer) at any time.
 */
import type { DmaAttr } from './attr';
import { MMU_PAGESIZE, ROOTNEX_MAX_COPYBUF } from './consts';
import { splitRange, type SglCookie } from './sgl';

export interface Window {
  /** Offset of the window in the object. */
  off: number;
  len: number;
}

/** A plan, or the reason none is possible (trimming to the granularity leaves an empty window). */
export type Plan = { windows: Window[] } | { error: string };

function trim(ws: number, we: number, total: number, granular: number): number {
  if (we >= total || granular <= 1) return we;
  return ws + Math.floor((we - ws) / granular) * granular;
}

/** Windows over the cookies of a physical (non-IOMMU) bind. */
export function planPhysWindows(cookies: readonly SglCookie[], total: number, attr: DmaAttr, copyMax = ROOTNEX_MAX_COPYBUF): Plan {
  const windows: Window[] = [];
  let ws = 0;
  let i = 0;
  while (ws < total) {
    while (i < cookies.length && cookies[i].off + cookies[i].len <= ws) i++;
    const limitEnd = Math.min(total, ws + attr.maxxferEff);
    let we = ws;
    let count = 0;
    let copy = 0;
    for (let j = i; j < cookies.length; j++) {
      const c = cookies[j];
      if (count === attr.sgllen) break;
      if (c.copy) {
        if (count > 0 && copy + MMU_PAGESIZE > copyMax) break;
        copy += MMU_PAGESIZE;
      }
      count++;
      const ce = c.off + c.len;
      if (ce >= limitEnd) {
        we = limitEnd;
        break;
      }
      we = ce;
    }
    const end = trim(ws, we, total, attr.granular);
    if (end <= ws) return { error: `a window at offset ${ws} would hold less than dma_attr_granular (${attr.granular}) bytes within dma_attr_sgllen (${attr.sgllen}) cookies` };
    windows.push({ off: ws, len: end - ws });
    ws = end;
  }
  return { windows };
}

/**
 * Windows of a DVMA (IOMMU) bind. Each window gets its own DVMA range, aligned to the next power of
 * two of its page span (as the IOVA allocator hands them out), so where its cookies split can be
 * worked out before it is mapped: relative to the window's first page.
 */
export function planDvmaWindows(firstPageOff: number, total: number, attr: DmaAttr): Plan {
  const windows: Window[] = [];
  let ws = 0;
  while (ws < total) {
    const rel = (firstPageOff + ws) % MMU_PAGESIZE;
    let w = Math.min(total - ws, attr.maxxferEff);
    const spans = splitRange(rel, w, attr.segSize, attr.maxseg);
    if (spans.length > attr.sgllen) w = spans.slice(0, attr.sgllen).reduce((s, x) => s + x.len, 0);
    const end = trim(ws, ws + w, total, attr.granular);
    if (end <= ws) return { error: `a window at offset ${ws} would hold less than dma_attr_granular (${attr.granular}) bytes within dma_attr_sgllen (${attr.sgllen}) cookies` };
    windows.push({ off: ws, len: end - ws });
    ws = end;
  }
  return { windows };
}

/**
 * The DDI DMA engine, as the illumos root nexus (rootnex) implements ddi_dma_alloc_handle,
 * ddi_dma_addr_bind_handle, ddi_dma_getwin, ddi_dma_sync, ddi_dma_unbind_handle and
 * ddi_dma_free_handle, built on the kernel's own DMA layer:
 *
 * - the mappings of a window are real mappings made through DmaCore, so the device sees exactly
 *   what a Linux driver's would, and the checker and the trace see them too. With an IOMMU in front
 *   of the device (DVMA) a window is one dma-iommu scatter-gather mapping: one IOVA range, one
 *   cookie unless dma_attr_seg or dma_attr_count_max cut it. Without one (DMA) every cookie is a
 *   dma-direct mapping of a physically contiguous run; pages outside the attributes' address range
 *   (or out of the bus's reach) go through swiotlb, which plays the nexus's copy buffer;
 * - the implicit syncs of the DDI come from those mappings: binding a window cleans or invalidates
 *   the CPU cache for the device (and fills the copy buffer), unbinding it or moving to another
 *   window makes the data visible to the CPU (and empties the copy buffer);
 * - ddi_dma_sync does the architecture's cache maintenance (and copy-buffer copies) for a range of
 *   the current window.
 *
 * The DDI's own misuse findings (ddi-bind-inuse, ddi-sync-out-of-window, ddi-free-bound-handle)
 * are reported here, where rootnex's DEBUG checks would catch them.
 */
import { addr, hex } from '../../lib/hex';
import type { CallSite } from '../call-site';
import { KernelOops } from '../cpu';
import type { Device } from '../device';
import { DMA_ATTR_SKIP_CPU_SYNC, DMA_BIDIRECTIONAL, DMA_FROM_DEVICE, DMA_MAPPING_ERROR, DMA_TO_DEVICE } from '../dma/dir';
import type { Related } from '../findings';
import type { Kernel } from '../kernel';
import { PAGE_SIZE } from '../page-alloc';
import { readAttr, validateAttr } from './attr';
import {
  DDI_DMA_CONSISTENT,
  DDI_DMA_INUSE,
  DDI_DMA_MAPPED,
  DDI_DMA_NOMAPPING,
  DDI_DMA_NORESOURCES,
  DDI_DMA_PARTIAL,
  DDI_DMA_PARTIAL_MAP,
  DDI_DMA_READ,
  DDI_DMA_SYNC_FORCPU,
  DDI_DMA_SYNC_FORDEV,
  DDI_DMA_SYNC_FORKERNEL,
  DDI_DMA_TOOBIG,
  DDI_DMA_WRITE,
  DDI_FAILURE,
  DDI_SUCCESS,
} from './consts';
import type { DevInfo } from './devinfo';
import { Binding, Cookie, DdiDmaHandle, PhysMap } from './handle';
import { objectPieces, physRuns, piecesIn } from './object';
import { physSgl, splitRange, type SglCookie } from './sgl';
import { planDvmaWindows, planPhysWindows, type Plan, type Window } from './windows';

export interface BindResult {
  status: number;
  cookie?: Cookie;
  ccount: number;
}

export interface WinResult {
  status: number;
  off: number;
  len: number;
  cookie?: Cookie;
  ccount: number;
}

const SYNC_NAMES = ['DDI_DMA_SYNC_FORDEV', 'DDI_DMA_SYNC_FORCPU', 'DDI_DMA_SYNC_FORKERNEL'];
const DDI_DMA_RDWR_MASK = DDI_DMA_READ | DDI_DMA_WRITE;

function flagNames(flags: number): string {
  const dir = (flags & DDI_DMA_RDWR_MASK) === DDI_DMA_RDWR_MASK ? 'DDI_DMA_RDWR' : flags & DDI_DMA_READ ? 'DDI_DMA_READ' : 'DDI_DMA_WRITE';
  return dir + (flags & DDI_DMA_PARTIAL ? '|DDI_DMA_PARTIAL' : '') + (flags & DDI_DMA_CONSISTENT ? '|DDI_DMA_CONSISTENT' : '|DDI_DMA_STREAMING');
}

/** The Linux direction a DDI bind's mappings use. */
export function ddiDir(flags: number): number {
  const rw = flags & DDI_DMA_RDWR_MASK;
  return rw === DDI_DMA_RDWR_MASK ? DMA_BIDIRECTIONAL : rw === DDI_DMA_READ ? DMA_FROM_DEVICE : DMA_TO_DEVICE;
}

export class DdiDma {
  constructor(private readonly k: Kernel) {}

  // ---- handles --------------------------------------------------------------------------

  /** ddi_dma_alloc_handle(): DDI_SUCCESS with a handle, or DDI_DMA_BADATTR. */
  allocHandle(dip: DevInfo, attrIn: unknown, site: CallSite | undefined): { status: number; handle?: DdiDmaHandle } {
    const attr = readAttr(attrIn, 'ddi_dma_alloc_handle');
    const v = validateAttr(attr);
    if (v.status !== DDI_SUCCESS) {
      this.k.log(dip.dev, 'warn', `ddi_dma_alloc_handle: ${v.why}: DDI_DMA_BADATTR`);
      return { status: v.status };
    }
    const h = new DdiDmaHandle(dip, dip.nextHandleId(), attr, site);
    dip.held.add(h);
    return { status: DDI_SUCCESS, handle: h };
  }

  /** ddi_dma_free_handle(). Freeing a bound handle is reported; its resources are never released. */
  freeHandle(h: DdiDmaHandle): void {
    if (!(h instanceof DdiDmaHandle)) throw new KernelOops(`ddi_dma_free_handle(): not a ddi_dma_handle_t: ${String(h)}`);
    if (h.freed) throw new KernelOops(`kernel memory allocator: duplicate free: ddi_dma_free_handle() of ${h.name}, which was already freed`);
    const b = h.binding;
    if (b) {
      this.report(
        'ddi-free-bound-handle',
        h,
        `ddi_dma_free_handle: ${h.name} is still bound to ${b.len} bytes at ${hex(this.k.as.va(b.kva))} (assertion failed: !dma->dp_inuse, file: rootnex.c): unbind it with ddi_dma_unbind_handle(9F) before freeing it; its ${b.dvma ? 'DVMA space' : 'mappings and copy buffer'} can never be released now`,
        [{ message: `bound here (${flagNames(b.flags)}, ${b.len} bytes)`, site: b.site }],
      );
    }
    h.freed = true;
    h.dip.held.delete(h);
  }

  // ---- bind / unbind --------------------------------------------------------------------

  /** ddi_dma_addr_bind_handle() on a kernel virtual address. */
  bind(h: DdiDmaHandle, kva: number, len: number, flags: number, site: CallSite | undefined): BindResult {
    const api = 'ddi_dma_addr_bind_handle';
    this.live(h, api);
    const k = this.k;
    const dev = h.dip.dev;
    if (h.binding) {
      const b = h.binding;
      this.report(
        'ddi-bind-inuse',
        h,
        `ddi_dma_addr_bind_handle: ${h.name} is already bound to ${b.len} bytes at ${hex(k.as.va(b.kva))} (${flagNames(b.flags)}): DDI_DMA_INUSE; a handle holds one binding at a time: ddi_dma_unbind_handle(9F) it first, or allocate another handle`,
        [{ message: `the handle was bound here (${b.len} bytes) and not unbound since`, site: b.site }],
      );
      return { status: DDI_DMA_INUSE, ccount: 0 };
    }
    const attr = h.attr;
    const pieces = objectPieces(k, kva, len, api);
    const dvma = !!dev.dma.domain;
    let sgl: SglCookie[] = [];
    let plan: Plan;
    if (dvma) plan = planDvmaWindows(kva % PAGE_SIZE, len, attr);
    else {
      sgl = physSgl(pieces, attr, (p, n) => this.busOf(dev, p, n), dev.dma.forceBounce);
      if (!dev.dma.swiotlb && sgl.some((c) => c.copy)) {
        k.log(dev, 'warn', `${api}: ${h.name}: part of the ${len}-byte object is outside [${hex(attr.lo)}, ${hex(attr.hi)}] or beyond the bus's reach, and there is no copy buffer (no swiotlb pool): DDI_DMA_NORESOURCES`);
        return { status: DDI_DMA_NORESOURCES, ccount: 0 };
      }
      plan = planPhysWindows(sgl, len, attr);
    }
    if ('error' in plan) {
      k.log(dev, 'warn', `${api}: ${h.name}: ${plan.error}: DDI_DMA_NOMAPPING`);
      return { status: DDI_DMA_NOMAPPING, ccount: 0 };
    }
    if (plan.windows.length > 1 && !(flags & DDI_DMA_PARTIAL)) {
      k.log(
        dev,
        'warn',
        `${h.dip.driverName}: coding error detected, the driver is using ddi_dma_attr(9S) incorrectly: the ${len}-byte object needs ${plan.windows.length} DMA windows (dma_attr_maxxfer ${hex(attr.maxxfer)}, dma_attr_sgllen ${attr.sgllen}${sgl.some((c) => c.copy) ? ', copy buffer' : ''}) but the bind did not ask for DDI_DMA_PARTIAL: DDI_DMA_TOOBIG`,
      );
      return { status: DDI_DMA_TOOBIG, ccount: 0 };
    }
    const b: Binding = { kva, len, flags, dir: ddiDir(flags), dvma, pieces, sgl, windows: plan.windows, cur: -1, cookies: [], next: 0, site };
    if (!this.mapWindow(h, b, 0, site, api)) return { status: DDI_DMA_NORESOURCES, ccount: 0 };
    h.binding = b;
    b.next = 1;
    k.log(dev, 'debug', `${api}: ${h.name}: ${len} bytes, ${flagNames(flags)}: ${dvma ? 'DVMA' : 'DMA'}, ${plan.windows.length} window${plan.windows.length > 1 ? 's' : ''}, ${b.cookies.length} cookie${b.cookies.length > 1 ? 's' : ''} in window 0${sgl.some((c) => c.copy) ? ' (copy buffer)' : ''}`);
    return { status: plan.windows.length > 1 ? DDI_DMA_PARTIAL_MAP : DDI_DMA_MAPPED, cookie: b.cookies[0], ccount: b.cookies.length };
  }

  /** ddi_dma_unbind_handle(): the current window's mappings go (with their implicit sync for the CPU). */
  unbind(h: DdiDmaHandle): number {
    this.live(h, 'ddi_dma_unbind_handle');
    const b = h.binding;
    if (!b) {
      this.k.log(h.dip.dev, 'warn', `ddi_dma_unbind_handle: ${h.name} is not bound: DDI_FAILURE`);
      return DDI_FAILURE;
    }
    this.unmapWindow(h, b, 'ddi_dma_unbind_handle');
    h.binding = undefined;
    return DDI_SUCCESS;
  }

  // ---- cookies and windows --------------------------------------------------------------

  /** ddi_dma_nextcookie(): the next cookie of the current window. */
  nextCookie(h: DdiDmaHandle): Cookie {
    this.live(h, 'ddi_dma_nextcookie');
    const b = h.binding;
    if (!b || !b.res) throw new KernelOops(`panic: ddi_dma_nextcookie() called on ${h.name}, which has no ${b ? 'current window' : 'binding'}`);
    if (b.next >= b.cookies.length) throw new KernelOops(`panic: ddi_dma_nextcookie() called too many times on handle ${h.name} (the window has ${b.cookies.length} cookie${b.cookies.length > 1 ? 's' : ''}; the first comes from the bind or ddi_dma_getwin)`);
    return b.cookies[b.next++];
  }

  /** The cookie count of the current window (ddi_dma_ncookies). */
  ncookies(h: DdiDmaHandle): number {
    this.live(h, 'ddi_dma_ncookies');
    return h.binding?.res ? h.binding.cookies.length : 0;
  }

  /** ddi_dma_numwin() */
  numwin(h: DdiDmaHandle): { status: number; nwin: number } {
    this.live(h, 'ddi_dma_numwin');
    const b = h.binding;
    return b ? { status: DDI_SUCCESS, nwin: b.windows.length } : { status: DDI_FAILURE, nwin: 0 };
  }

  /** ddi_dma_getwin(): make window `win` current (the old one is synced for the CPU and released). */
  getwin(h: DdiDmaHandle, win: number, site: CallSite | undefined): WinResult {
    const api = 'ddi_dma_getwin';
    this.live(h, api);
    const b = h.binding;
    if (!b) {
      this.k.log(h.dip.dev, 'warn', `${api}: ${h.name} is not bound: DDI_FAILURE`);
      return { status: DDI_FAILURE, off: 0, len: 0, ccount: 0 };
    }
    if (!Number.isInteger(win) || win < 0 || win >= b.windows.length) {
      this.k.log(h.dip.dev, 'warn', `${api}: ${h.name} has ${b.windows.length} window${b.windows.length > 1 ? 's' : ''}, there is no window ${String(win)}: DDI_FAILURE`);
      return { status: DDI_FAILURE, off: 0, len: 0, ccount: 0 };
    }
    if (win !== b.cur || !b.res) {
      this.unmapWindow(h, b, api);
      if (!this.mapWindow(h, b, win, site, api)) {
        b.cur = -1;
        return { status: DDI_FAILURE, off: 0, len: 0, ccount: 0 };
      }
    }
    b.next = 1;
    b.winSite = site;
    const w = b.windows[win];
    return { status: DDI_SUCCESS, off: w.off, len: w.len, cookie: b.cookies[0], ccount: b.cookies.length };
  }

  // ---- sync -----------------------------------------------------------------------------

  /**
   * ddi_dma_sync(): offset 0 means the start of the current window and length 0 the rest of it
   * (as rootnex reads them); the range must lie in the current window.
   */
  sync(h: DdiDmaHandle, off: number, len: number, type: number): number {
    const api = 'ddi_dma_sync';
    this.live(h, api);
    if (type !== DDI_DMA_SYNC_FORDEV && type !== DDI_DMA_SYNC_FORCPU && type !== DDI_DMA_SYNC_FORKERNEL) {
      throw new KernelOops(`${api}(): type must be DDI_DMA_SYNC_FORDEV, DDI_DMA_SYNC_FORCPU or DDI_DMA_SYNC_FORKERNEL, got ${String(type)}`);
    }
    const b = h.binding;
    const what = `offset ${off} length ${len}`;
    if (!b || !b.res) {
      this.report(
        'ddi-sync-out-of-window',
        h,
        `ddi_dma_sync: ${what} (${SYNC_NAMES[type]}) on ${h.name}, which ${b ? 'has no current window (ddi_dma_getwin failed)' : 'is not bound'}: there is no DMA window to synchronize: DDI_FAILURE`,
        b?.site ? [{ message: 'bound here', site: b.site }] : [],
      );
      return DDI_FAILURE;
    }
    const w = b.windows[b.cur];
    const start = off === 0 ? w.off : off;
    const size = len === 0 ? w.off + w.len - start : len;
    if (start < w.off || size <= 0 || start + size > w.off + w.len) {
      const related: Related[] = [{ message: `window ${b.cur} [offset ${w.off}, length ${w.len}] of ${b.windows.length} became current here`, site: b.cur === 0 ? b.site : b.winSite }];
      const holder = b.windows.findIndex((x) => start >= x.off && start < x.off + x.len);
      this.report(
        'ddi-sync-out-of-window',
        h,
        `ddi_dma_sync: ${what} (${SYNC_NAMES[type]}) is outside the current DMA window ${b.cur} [offset ${w.off}, length ${w.len}] of ${h.name}: DDI_FAILURE, nothing was synchronized${holder >= 0 && holder !== b.cur ? ` (that range is in window ${holder}: ddi_dma_getwin(9F) to it first)` : ''}`,
        related,
      );
      return DDI_FAILURE;
    }
    const forCpu = type !== DDI_DMA_SYNC_FORDEV;
    const dev = h.dip.dev;
    const k = this.k;
    const end = start + size;
    const res = b.res;
    if (res.kind === 'dvma') {
      // the window is one contiguous DVMA range; sync it piece by piece along its segments
      const lo = res.base + (start - w.off);
      const hi = lo + size;
      for (const s of res.sg.segs) {
        const a = Math.max(lo, s.dma);
        const e = Math.min(hi, s.dma + s.len);
        if (e > a) k.dma.sync(dev, a, e - a, b.dir, forCpu, api, undefined);
      }
    } else {
      for (const m of res.maps) {
        const a = Math.max(start, m.off);
        const e = Math.min(end, m.off + m.len);
        if (e > a) k.dma.sync(dev, m.dma + (a - m.off), e - a, b.dir, forCpu, api, undefined);
      }
    }
    this.relax(h, b);
    return DDI_SUCCESS;
  }

  // ---- internals ------------------------------------------------------------------------

  private live(h: DdiDmaHandle, api: string): void {
    if (!(h instanceof DdiDmaHandle)) throw new KernelOops(`${api}(): not a ddi_dma_handle_t (from ddi_dma_alloc_handle): ${String(h)}`);
    if (h.freed) throw new KernelOops(`${api}(): ${h.name} was freed by ddi_dma_free_handle (use after free)`);
  }

  private report(id: 'ddi-bind-inuse' | 'ddi-sync-out-of-window' | 'ddi-free-bound-handle', h: DdiDmaHandle, message: string, related: Related[]): void {
    this.k.report(id, h.dip.dev, message, this.k.here(), related.filter((r) => r.site));
  }

  /** The bus address of a physical run the device reaches directly, or -1. */
  private busOf(dev: Device, phys: number, len: number): number {
    const d = this.k.direct.physToDma(dev, phys);
    if (d < 0 || this.k.direct.physToDma(dev, phys + len - 1) !== d + len - 1) return -1;
    return d + len - 1 <= dev.dma.busDmaLimit ? d : -1;
  }

  /**
   * Map window `w` of the binding. The attributes' upper address limit acts as the device's mask
   * while the back-ends work (IOVA ceiling for dma-iommu, bounce decision for dma-direct), and a
   * copy-buffer cookie is forced through swiotlb.
   */
  private mapWindow(h: DdiDmaHandle, b: Binding, w: number, site: CallSite | undefined, api: string): boolean {
    const k = this.k;
    const dev = h.dip.dev;
    const attr = h.attr;
    const win = b.windows[w];
    const saved = { mask: dev.dma.mask, force: dev.dma.forceBounce };
    try {
      dev.dma.mask = BigInt(attr.hi);
      if (b.dvma) {
        const elems = physRuns(piecesIn(b.pieces, win.off, win.off + win.len)).map((p) => ({ phys: p.phys, len: p.len }));
        const sg = k.dma.mapSg(dev, elems, elems.length, b.dir, 0, api, site);
        if (!sg) {
          k.log(dev, 'warn', `${api}: ${h.name}: no DVMA space for ${win.len} bytes below ${hex(attr.hi)}: DDI_DMA_NORESOURCES`);
          return false;
        }
        const base = sg.segs[0].dma;
        if (base < attr.lo) {
          k.dma.unmapSg(sg, elems.length, b.dir, DMA_ATTR_SKIP_CPU_SYNC, api, site);
          k.log(dev, 'warn', `${api}: ${h.name}: DVMA address ${addr(base)} is below dma_attr_addr_lo ${hex(attr.lo)}: DDI_DMA_NORESOURCES`);
          return false;
        }
        b.res = { kind: 'dvma', sg, base };
        b.cookies = splitRange(base, win.len, attr.segSize, attr.maxseg).map((s) => ({ dma: s.at, len: s.len, off: win.off + (s.at - base), copy: false }));
        if (b.cookies.length > attr.sgllen) k.log(dev, 'warn', `${api}: ${h.name}: window ${w} has ${b.cookies.length} cookies, more than dma_attr_sgllen ${attr.sgllen} (dma_attr_seg ${hex(attr.seg)} is not a power of two minus one)`);
      } else {
        const maps: PhysMap[] = [];
        const cookies: Cookie[] = [];
        const undo = (): void => {
          for (const m of maps) k.dma.unmapPage(dev, m.dma, m.len, b.dir, DMA_ATTR_SKIP_CPU_SYNC, 'page', api, site);
        };
        for (const c of clip(b.sgl, win)) {
          dev.dma.forceBounce = saved.force || c.copy;
          const dma = k.dma.mapPage(dev, c.phys, c.len, b.dir, 0, 'page', api, site);
          k.dma.mappingError(dev, dma);
          if (dma === DMA_MAPPING_ERROR) {
            undo();
            k.log(dev, 'warn', `${api}: ${h.name}: no ${c.copy ? 'copy buffer' : 'mapping'} for ${c.len} bytes at offset ${c.off}: DDI_DMA_NORESOURCES`);
            return false;
          }
          maps.push({ off: c.off, len: c.len, dma });
          if (dma < attr.lo || dma + c.len - 1 > attr.hi) {
            undo();
            k.log(dev, 'warn', `${api}: ${h.name}: the copy buffer at ${addr(dma)} is outside [${hex(attr.lo)}, ${hex(attr.hi)}]: DDI_DMA_NORESOURCES`);
            return false;
          }
          cookies.push({ dma, len: c.len, off: c.off, copy: c.copy });
        }
        b.res = { kind: 'phys', maps };
        b.cookies = cookies;
      }
    } finally {
      dev.dma.mask = saved.mask;
      dev.dma.forceBounce = saved.force;
    }
    b.cur = w;
    this.relax(h, b);
    return true;
  }

  /** Release the current window's mappings: the back-ends sync for the CPU and empty the copy buffer. */
  private unmapWindow(h: DdiDmaHandle, b: Binding, api: string): void {
    const res = b.res;
    if (!res) return;
    const k = this.k;
    if (res.kind === 'dvma') k.dma.unmapSg(res.sg, res.sg.nents, b.dir, 0, api, undefined);
    else for (const m of res.maps) k.dma.unmapPage(h.dip.dev, m.dma, m.len, b.dir, 0, 'page', api, undefined);
    b.res = undefined;
    b.cookies = [];
  }

  /**
   * DDI_DMA_CONSISTENT: the CPU and the device share the buffer without handing it back and forth,
   * so the checker does not treat CPU accesses as ownership violations (stale cache lines still
   * show, since the cache model still sees them). Not when the copy buffer stands in between: then
   * only ddi_dma_sync moves the data, consistent or not, and the ownership checks stay.
   */
  private relax(h: DdiDmaHandle, b: Binding): void {
    const debug = this.k.debug;
    if (!(b.flags & DDI_DMA_CONSISTENT) || !debug || !b.res || b.cookies.some((c) => c.copy)) return;
    const keys = b.res.kind === 'dvma' ? [b.res.sg.segs[0].dma] : b.res.maps.map((m) => m.dma);
    for (const key of keys) {
      const e = debug.find(h.dip.dev, key);
      if (e) e.owner = 'cpu';
    }
  }
}

/** The cookies of the object that fall in a window, cut at its edges (a trimmed cookie is shared by two windows). */
function clip(sgl: readonly SglCookie[], w: Window): SglCookie[] {
  const out: SglCookie[] = [];
  for (const c of sgl) {
    const s = Math.max(c.off, w.off);
    const e = Math.min(c.off + c.len, w.off + w.len);
    if (e > s) out.push({ off: s, len: e - s, phys: c.phys + (s - c.off), bus: c.copy ? -1 : c.bus + (s - c.off), copy: c.copy });
  }
  return out;
}

const state = new WeakMap<Kernel, DdiDma>();

/** The DDI DMA engine of a kernel (made on first use). */
export function ddiDma(k: Kernel): DdiDma {
  let d = state.get(k);
  if (!d) {
    d = new DdiDma(k);
    state.set(k, d);
  }
  return d;
}

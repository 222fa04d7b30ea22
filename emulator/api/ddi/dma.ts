/**
 * The DDI DMA interfaces (illumos ddi_dma_*(9F)): handles allocated against a ddi_dma_attr_t,
 * DMA-able memory, binding a kernel buffer to a handle, cookies and windows, and synchronisation.
 * C out-parameters are returned in an object next to the status: `{ status, handle }`,
 * `{ status, cookie, ccount }`, `{ status, off, len, cookie, ccount }`...
 */
import { KernelOops } from '../../kernel/cpu';
import { Ptr } from '../../kernel/ptr';
import type { DmaAttrFields } from '../../kernel/ddi/attr';
import {
  DDI_DMA_BADATTR,
  DDI_DMA_CONSISTENT,
  DDI_DMA_INUSE,
  DDI_DMA_MAPPED,
  DDI_DMA_NOMAPPING,
  DDI_DMA_NORESOURCES,
  DDI_DMA_PARTIAL_MAP,
  DDI_DMA_RDWR,
  DDI_DMA_STREAMING,
  DDI_DMA_TOOBIG,
  DDI_FAILURE,
  DDI_SUCCESS,
} from '../../kernel/ddi/consts';
import { DevInfo } from '../../kernel/ddi/devinfo';
import { ddiDma } from '../../kernel/ddi/dma';
import { Cookie, DdiDmaHandle } from '../../kernel/ddi/handle';
import { DmaMemory, dmaMemAlloc } from '../../kernel/ddi/mem';
import { K, site } from '../current';
import type { dev_info_t } from './driver';

/**
 * `ddi_dma_attr_t` (ddi_dma_attr(9S)): what the device's DMA engine can do. uint64_t fields take a
 * bigint or a number.
 * - `dma_attr_addr_lo`/`dma_attr_addr_hi`: the bus addresses the engine can generate (inclusive);
 *   memory outside goes through the copy buffer (no IOMMU) or gets DVMA addresses inside (IOMMU);
 * - `dma_attr_count_max`: the largest transfer count register value (a cookie is at most count_max + 1);
 * - `dma_attr_align`: alignment of ddi_dma_mem_alloc memory;
 * - `dma_attr_burstsizes`, `dma_attr_minxfer`: burst sizes and minimum transfer (recorded);
 * - `dma_attr_maxxfer`: the most one window may hold (larger objects need DDI_DMA_PARTIAL);
 * - `dma_attr_seg`: a cookie never crosses a (seg + 1)-aligned boundary;
 * - `dma_attr_sgllen`: the most cookies per window (1: no scatter/gather);
 * - `dma_attr_granular`: window sizes are multiples of it (a device sector);
 * - `dma_attr_flags`: DDI_DMA_FLAGERR and friends (recorded).
 */
export type ddi_dma_attr_t = DmaAttrFields;

/** `ddi_dma_cookie_t` (ddi_dma_cookie(9S)): one contiguous piece of the object as the device addresses it. */
export interface ddi_dma_cookie_t {
  /** The 64-bit bus (or DVMA) address. */
  dmac_laddress: bigint;
  /** Its low 32 bits, for 32-bit engines. */
  dmac_address: number;
  /** Length in bytes. */
  dmac_size: number;
  /** Bus-specific type (0). */
  dmac_type: number;
}

/** `ddi_dma_handle_t`: a DMA handle from ddi_dma_alloc_handle. */
export type ddi_dma_handle_t = DdiDmaHandle;

/** `ddi_device_acc_attr_t` (ddi_device_acc_attr(9S)): byte order and ordering of device or DMA memory accesses. */
export interface ddi_device_acc_attr_t {
  devacc_attr_version: number;
  /** DDI_NEVERSWAP_ACC, DDI_STRUCTURE_LE_ACC or DDI_STRUCTURE_BE_ACC. */
  devacc_attr_endian_flags: number;
  /** DDI_STRICTORDER_ACC and friends. */
  devacc_attr_dataorder: number;
  devacc_attr_access?: number;
}

/** `ddi_acc_handle_t` of DMA memory from ddi_dma_mem_alloc (free it with ddi_dma_mem_free). */
export type ddi_dma_mem_handle_t = DmaMemory;

/** The callback argument of the allocation calls: DDI_DMA_SLEEP, DDI_DMA_DONTWAIT, or a callback (treated as DDI_DMA_DONTWAIT). */
export type ddi_dma_waitfp_t = number | ((arg: unknown) => number);

/** `DDI_DMA_SLEEP`: wait for resources (do not use in interrupt context). */
export const DDI_DMA_SLEEP = 1;
/** `DDI_DMA_DONTWAIT`: fail at once when resources are short. */
export const DDI_DMA_DONTWAIT = 0;

function dipArg(dip: unknown, fn: string): DevInfo {
  if (!(dip instanceof DevInfo)) throw new KernelOops(`${fn}(): the first argument must be the dev_info_t passed to attach, got ${String(dip)}`);
  return dip;
}

function handleArg(h: unknown, fn: string): DdiDmaHandle {
  if (!(h instanceof DdiDmaHandle)) throw new KernelOops(`${fn}(): not a ddi_dma_handle_t (from ddi_dma_alloc_handle): ${String(h)}`);
  return h;
}

function sizeArg(n: unknown, what: string, fn: string): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw new KernelOops(`${fn}(): ${what} must be a non-negative integer, got ${String(n)}`);
  return n;
}

/** Waiting for resources may sleep: not in an interrupt handler. */
function mayWait(waitfp: unknown, fn: string): void {
  const k = K();
  if (waitfp === DDI_DMA_SLEEP && k.irq.inIrq > 0) k.mightSleep(`${fn}(DDI_DMA_SLEEP)`);
}

const NO_COOKIE: ddi_dma_cookie_t = Object.freeze({ dmac_laddress: 0n, dmac_address: 0, dmac_size: 0, dmac_type: 0 });

function cookieOut(c: Cookie | undefined): ddi_dma_cookie_t {
  if (!c) return NO_COOKIE;
  return { dmac_laddress: BigInt(c.dma), dmac_address: c.dma % 0x1_0000_0000, dmac_size: c.len, dmac_type: 0 };
}

// ---- handles ----------------------------------------------------------------------------------

/** What ddi_dma_alloc_handle returns. */
export type DdiAllocHandleResult = { status: typeof DDI_SUCCESS; handle: ddi_dma_handle_t } | { status: typeof DDI_DMA_BADATTR | typeof DDI_DMA_NORESOURCES; handle: null };

/**
 * `ddi_dma_alloc_handle(dip, attr, waitfp, arg)`: a DMA handle for the device, with the DMA
 * attributes every bind on it obeys. `{ status: DDI_SUCCESS, handle }`, or DDI_DMA_BADATTR when
 * the attributes make no sense (the log says which field).
 */
export function ddi_dma_alloc_handle(dip: dev_info_t, attr: ddi_dma_attr_t, waitfp: ddi_dma_waitfp_t, _arg: unknown = null): DdiAllocHandleResult {
  const d = dipArg(dip, 'ddi_dma_alloc_handle');
  mayWait(waitfp, 'ddi_dma_alloc_handle');
  const r = ddiDma(K()).allocHandle(d, attr, site(ddi_dma_alloc_handle));
  return r.handle ? { status: DDI_SUCCESS, handle: r.handle } : { status: DDI_DMA_BADATTR, handle: null };
}

/** `ddi_dma_free_handle(handle)`: free a handle. It must be unbound first (freeing a bound handle is reported). */
export function ddi_dma_free_handle(handle: ddi_dma_handle_t): void {
  ddiDma(K()).freeHandle(handleArg(handle, 'ddi_dma_free_handle'));
}

// ---- memory -----------------------------------------------------------------------------------

/** What ddi_dma_mem_alloc returns. */
export type DdiMemAllocResult =
  | { status: typeof DDI_SUCCESS; kaddr: Ptr; real_length: number; acc_handle: ddi_dma_mem_handle_t }
  | { status: typeof DDI_FAILURE; kaddr: null; real_length: 0; acc_handle: null };

/**
 * `ddi_dma_mem_alloc(handle, length, accattrp, flags, waitfp, arg)`: memory the handle's device
 * can reach with its attributes (contiguous, aligned to dma_attr_align). `flags` is
 * DDI_DMA_STREAMING (cached: synchronise with ddi_dma_sync) or DDI_DMA_CONSISTENT (uncached on a
 * non-coherent platform). Returns `{ status, kaddr, real_length, acc_handle }`; bind `kaddr` with
 * ddi_dma_addr_bind_handle, free with ddi_dma_mem_free(acc_handle).
 */
export function ddi_dma_mem_alloc(handle: ddi_dma_handle_t, length: number, _accattrp: ddi_device_acc_attr_t | null, flags: number, waitfp: ddi_dma_waitfp_t, _arg: unknown = null): DdiMemAllocResult {
  const k = K();
  const h = handleArg(handle, 'ddi_dma_mem_alloc');
  if (h.freed) throw new KernelOops(`ddi_dma_mem_alloc(): ${h.name} was freed by ddi_dma_free_handle`);
  const len = sizeArg(length, 'length', 'ddi_dma_mem_alloc');
  const fail = { status: DDI_FAILURE, kaddr: null, real_length: 0, acc_handle: null } as const;
  if (len === 0) return fail;
  if (!(flags & (DDI_DMA_CONSISTENT | DDI_DMA_STREAMING)) || (flags & DDI_DMA_CONSISTENT && flags & DDI_DMA_STREAMING)) {
    k.log(h.dip.dev, 'warn', `ddi_dma_mem_alloc: flags must be DDI_DMA_CONSISTENT or DDI_DMA_STREAMING: DDI_FAILURE`);
    return fail;
  }
  mayWait(waitfp, 'ddi_dma_mem_alloc');
  const m = dmaMemAlloc(k, h.dip.dev, h.attr, len, flags);
  if (typeof m === 'string') {
    k.log(h.dip.dev, 'warn', `ddi_dma_mem_alloc: ${m}: DDI_FAILURE`);
    return fail;
  }
  h.dip.held.add(m);
  m.owner = h.dip;
  return { status: DDI_SUCCESS, kaddr: new Ptr(k.cpu, m.kva), real_length: m.length, acc_handle: m };
}

/** `ddi_dma_mem_free(acc_handle)`: free memory from ddi_dma_mem_alloc (unbind it first). */
export function ddi_dma_mem_free(acc_handle: ddi_dma_mem_handle_t): void {
  if (!(acc_handle instanceof DmaMemory)) throw new KernelOops(`ddi_dma_mem_free(): not the acc_handle of ddi_dma_mem_alloc: ${String(acc_handle)}`);
  if (acc_handle.freed) throw new KernelOops(`kernel memory allocator: duplicate free: ddi_dma_mem_free() of ${acc_handle}`);
  acc_handle.release();
  acc_handle.owner?.held.delete(acc_handle);
}

// ---- bind -------------------------------------------------------------------------------------

/** What ddi_dma_addr_bind_handle returns: the first cookie and the cookie count of the first window. */
export type DdiBindResult =
  | { status: typeof DDI_DMA_MAPPED | typeof DDI_DMA_PARTIAL_MAP; cookie: ddi_dma_cookie_t; ccount: number }
  | { status: DdiBindFailure; cookie: ddi_dma_cookie_t; ccount: 0 };

/** The statuses of a failed bind. */
export type DdiBindFailure = typeof DDI_DMA_INUSE | typeof DDI_DMA_NORESOURCES | typeof DDI_DMA_NOMAPPING | typeof DDI_DMA_TOOBIG;

/**
 * `ddi_dma_addr_bind_handle(handle, as, addr, len, flags, waitfp, arg)`: bind `len` bytes of kernel
 * memory at `addr` (`as` is null: the kernel's address space) for DMA. `flags`: DDI_DMA_READ
 * (device → memory), DDI_DMA_WRITE or DDI_DMA_RDWR, with DDI_DMA_STREAMING or DDI_DMA_CONSISTENT,
 * and DDI_DMA_PARTIAL to accept several windows. Returns `{ status, cookie, ccount }`:
 * DDI_DMA_MAPPED (one window of `ccount` cookies), DDI_DMA_PARTIAL_MAP (the first window's cookies;
 * walk the rest with ddi_dma_getwin), or DDI_DMA_INUSE, DDI_DMA_NORESOURCES, DDI_DMA_NOMAPPING,
 * DDI_DMA_TOOBIG. The first window's data is synchronised for the device as it is bound.
 */
export function ddi_dma_addr_bind_handle(handle: ddi_dma_handle_t, as: null, addr: Ptr, len: number, flags: number, waitfp: ddi_dma_waitfp_t, _arg: unknown = null): DdiBindResult {
  const fn = 'ddi_dma_addr_bind_handle';
  const h = handleArg(handle, fn);
  if (as !== null && as !== undefined) throw new KernelOops(`${fn}(): only kernel memory can be bound: pass null as the address space`);
  if (!(addr instanceof Ptr)) throw new KernelOops(`${fn}(): addr must be a kernel pointer (Ptr), got ${String(addr)}`);
  const n = sizeArg(len, 'len', fn);
  if (n === 0) throw new KernelOops(`${fn}(): a zero-length object cannot be bound`);
  if (typeof flags !== 'number' || !(flags & DDI_DMA_RDWR)) throw new KernelOops(`${fn}(): flags must include DDI_DMA_READ, DDI_DMA_WRITE or DDI_DMA_RDWR, got ${String(flags)}`);
  mayWait(waitfp, fn);
  const r = ddiDma(K()).bind(h, addr.kva, n, flags, site(ddi_dma_addr_bind_handle));
  if (r.status === DDI_DMA_MAPPED || r.status === DDI_DMA_PARTIAL_MAP) return { status: r.status, cookie: cookieOut(r.cookie), ccount: r.ccount };
  return { status: r.status as DdiBindFailure, cookie: NO_COOKIE, ccount: 0 };
}

/** `ddi_dma_unbind_handle(handle)`: end the binding; the current window's data is synchronised for the CPU. DDI_SUCCESS or DDI_FAILURE. */
export function ddi_dma_unbind_handle(handle: ddi_dma_handle_t): number {
  return ddiDma(K()).unbind(handleArg(handle, 'ddi_dma_unbind_handle'));
}

// ---- cookies and windows ----------------------------------------------------------------------

/** `ddi_dma_nextcookie(handle)`: the next cookie of the current window (the first came from the bind or ddi_dma_getwin); calling it more than ccount - 1 times panics. */
export function ddi_dma_nextcookie(handle: ddi_dma_handle_t): ddi_dma_cookie_t {
  return cookieOut(ddiDma(K()).nextCookie(handleArg(handle, 'ddi_dma_nextcookie')));
}

/** `ddi_dma_ncookies(handle)`: how many cookies the current window has. */
export function ddi_dma_ncookies(handle: ddi_dma_handle_t): number {
  return ddiDma(K()).ncookies(handleArg(handle, 'ddi_dma_ncookies'));
}

/** `ddi_dma_numwin(handle)`: `{ status, nwin }`, the number of windows of the binding. */
export function ddi_dma_numwin(handle: ddi_dma_handle_t): { status: number; nwin: number } {
  return ddiDma(K()).numwin(handleArg(handle, 'ddi_dma_numwin'));
}

/** What ddi_dma_getwin returns. */
export type DdiGetwinResult = { status: typeof DDI_SUCCESS; off: number; len: number; cookie: ddi_dma_cookie_t; ccount: number } | { status: typeof DDI_FAILURE; off: 0; len: 0; cookie: ddi_dma_cookie_t; ccount: 0 };

/**
 * `ddi_dma_getwin(handle, win)`: make window `win` current. The old window's data is synchronised
 * for the CPU and its resources released; the new one is mapped and synchronised for the device.
 * Returns `{ status, off, len, cookie, ccount }`: the window's offset and length in the object, its
 * first cookie and cookie count.
 */
export function ddi_dma_getwin(handle: ddi_dma_handle_t, win: number): DdiGetwinResult {
  const r = ddiDma(K()).getwin(handleArg(handle, 'ddi_dma_getwin'), win, site(ddi_dma_getwin));
  if (r.status === DDI_SUCCESS) return { status: DDI_SUCCESS, off: r.off, len: r.len, cookie: cookieOut(r.cookie), ccount: r.ccount };
  return { status: DDI_FAILURE, off: 0, len: 0, cookie: NO_COOKIE, ccount: 0 };
}

/**
 * `ddi_dma_sync(handle, offset, length, type)`: synchronise `length` bytes at `offset` of the object
 * (offset 0: the start of the current window; length 0: to its end), which must lie in the current
 * window. `type`: DDI_DMA_SYNC_FORDEV (before the device reads what the CPU wrote, or before it
 * writes again), DDI_DMA_SYNC_FORCPU / DDI_DMA_SYNC_FORKERNEL (before the CPU reads what the device
 * wrote). Does the platform's cache maintenance and copy-buffer copies. DDI_SUCCESS or DDI_FAILURE.
 */
export function ddi_dma_sync(handle: ddi_dma_handle_t, offset: number, length: number, type: number): number {
  const h = handleArg(handle, 'ddi_dma_sync');
  return ddiDma(K()).sync(h, sizeArg(offset, 'offset', 'ddi_dma_sync'), sizeArg(length, 'length', 'ddi_dma_sync'), type);
}

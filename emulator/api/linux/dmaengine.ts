/**
 * The dmaengine client API (Documentation/driver-api/dmaengine/client.rst): get a channel of a
 * system DMA controller, describe a transfer (slave, cyclic or memcpy), submit it for a cookie,
 * issue it, and learn its fate through the descriptor's callback or dmaengine_tx_status.
 *
 * Buffers are the client's business: map them with the DMA API for the controller's device
 * (`dmaengine_get_dma_device(chan)`, `chan.device.dev`), not for the peripheral, and hand the
 * dma_addr_t to the prep call; the controller's accesses go through its IOMMU or dma-ranges and
 * the checker like any device's. A peripheral FIFO's address goes through dma_map_resource too.
 *
 * Callbacks run in the controller's tasklet, in atomic context: no sleeping there.
 */
import { KernelOops } from '../../kernel/cpu';
import { Device } from '../../kernel/device';
import { DmaCapMask, validCap } from '../../kernel/dmaengine/cap-mask';
import { DmaChan } from '../../kernel/dmaengine/channel';
import {
  DMA_COMPLETE, DMA_CTRL_ACK, DMA_CTRL_REUSE, DMA_CYCLIC, DMA_DEV_TO_DEV, DMA_DEV_TO_MEM, DMA_ERROR, DMA_IN_PROGRESS, DMA_INTERRUPT, DMA_MEM_TO_DEV,
  DMA_MEM_TO_MEM, DMA_MEMCPY, DMA_OUT_OF_ORDER, DMA_PAUSED, DMA_PREP_FENCE, DMA_PREP_INTERRUPT, DMA_PRIVATE, DMA_RESIDUE_GRANULARITY_BURST,
  DMA_RESIDUE_GRANULARITY_DESCRIPTOR, DMA_RESIDUE_GRANULARITY_SEGMENT, DMA_SLAVE, DMA_SLAVE_BUSWIDTH_128_BYTES, DMA_SLAVE_BUSWIDTH_16_BYTES,
  DMA_SLAVE_BUSWIDTH_1_BYTE, DMA_SLAVE_BUSWIDTH_2_BYTES, DMA_SLAVE_BUSWIDTH_32_BYTES, DMA_SLAVE_BUSWIDTH_3_BYTES, DMA_SLAVE_BUSWIDTH_4_BYTES,
  DMA_SLAVE_BUSWIDTH_64_BYTES, DMA_SLAVE_BUSWIDTH_8_BYTES, DMA_SLAVE_BUSWIDTH_UNDEFINED, DMA_TRANS_ABORTED, DMA_TRANS_NONE, DMA_TRANS_NOERROR,
  DMA_TRANS_READ_FAILED, DMA_TRANS_WRITE_FAILED,
} from '../../kernel/dmaengine/constants';
import type { TxStatus } from '../../kernel/dmaengine/core';
import { DmaAsyncTxDescriptor } from '../../kernel/dmaengine/descriptor';
import type { dma_async_tx_callback, dma_async_tx_callback_result, dmaengine_result } from '../../kernel/dmaengine/descriptor';
import { DmaDevice } from '../../kernel/dmaengine/dma-device';
import { readSlaveConfig, type DmaSlaveConfig } from '../../kernel/dmaengine/slave-config';
import { toAddr } from '../../lib/hex';
import { devArg } from './args';
import { K, site } from '../current';
import { Scatterlist, type SgTable } from './scatterlist';
import { DMA_MAPPING_ERROR, ErrPtr } from './types';

export {
  DmaChan, DmaAsyncTxDescriptor, DmaDevice, DmaCapMask,
  DMA_MEM_TO_MEM, DMA_MEM_TO_DEV, DMA_DEV_TO_MEM, DMA_DEV_TO_DEV, DMA_TRANS_NONE,
  DMA_COMPLETE, DMA_IN_PROGRESS, DMA_PAUSED, DMA_ERROR, DMA_OUT_OF_ORDER,
  DMA_PREP_INTERRUPT, DMA_CTRL_ACK, DMA_PREP_FENCE, DMA_CTRL_REUSE,
  DMA_MEMCPY, DMA_INTERRUPT, DMA_PRIVATE, DMA_SLAVE, DMA_CYCLIC,
  DMA_SLAVE_BUSWIDTH_UNDEFINED, DMA_SLAVE_BUSWIDTH_1_BYTE, DMA_SLAVE_BUSWIDTH_2_BYTES, DMA_SLAVE_BUSWIDTH_3_BYTES, DMA_SLAVE_BUSWIDTH_4_BYTES,
  DMA_SLAVE_BUSWIDTH_8_BYTES, DMA_SLAVE_BUSWIDTH_16_BYTES, DMA_SLAVE_BUSWIDTH_32_BYTES, DMA_SLAVE_BUSWIDTH_64_BYTES, DMA_SLAVE_BUSWIDTH_128_BYTES,
  DMA_TRANS_NOERROR, DMA_TRANS_READ_FAILED, DMA_TRANS_WRITE_FAILED, DMA_TRANS_ABORTED,
  DMA_RESIDUE_GRANULARITY_DESCRIPTOR, DMA_RESIDUE_GRANULARITY_SEGMENT, DMA_RESIDUE_GRANULARITY_BURST,
};
export type { DmaSlaveConfig, dmaengine_result, dma_async_tx_callback, dma_async_tx_callback_result };

/** `struct dma_chan` */
export type dma_chan = DmaChan;
/** `struct dma_device`: `chan.device`; its `dev` is the device to map buffers for. */
export type dma_device = DmaDevice;
/** `struct dma_async_tx_descriptor` */
export type dma_async_tx_descriptor = DmaAsyncTxDescriptor;
/** `dma_cap_mask_t`: a capability bitmap (`{ bits }`); make one with `dma_cap_zero()`. */
export { DmaCapMask as dma_cap_mask_t };
/** `struct dma_slave_config` */
export type dma_slave_config = DmaSlaveConfig;
/** `dma_cookie_t`: positive once submitted; negative is an error (test with dma_submit_error). */
export type dma_cookie_t = number;
/** What dmaengine_tx_status returns: `enum dma_status` and `struct dma_tx_state` in one object. */
export type dma_tx_state = TxStatus;
/** `enum dma_transfer_direction` */
export type dma_transfer_direction = number;
/** `enum dma_status` */
export type dma_status = number;

// ---- argument checks --------------------------------------------------------------------------

function chanArg(chan: unknown, fn: string): DmaChan {
  if (chan instanceof ErrPtr) throw new KernelOops(`${fn}(): the channel is an error pointer (${chan}): check what dma_request_chan returned with IS_ERR()`);
  if (!(chan instanceof DmaChan)) throw new KernelOops(`${fn}(): expected a struct dma_chan (from dma_request_chan), got ${String(chan)}`);
  return chan;
}

function descArg(d: unknown, fn: string): DmaAsyncTxDescriptor {
  if (d === null || d === undefined) throw new KernelOops(`BUG: kernel NULL pointer dereference in ${fn}(): the descriptor is NULL (the prep call failed; check its result before submitting)`);
  if (!(d instanceof DmaAsyncTxDescriptor)) throw new KernelOops(`${fn}(): expected a struct dma_async_tx_descriptor (from a dmaengine_prep_* call), got ${String(d)}`);
  return d;
}

function maskArg(mask: unknown, fn: string): DmaCapMask {
  if (!(mask instanceof DmaCapMask)) throw new KernelOops(`${fn}(): expected a dma_cap_mask_t (dma_cap_zero()), got ${String(mask)}`);
  return mask;
}

function capArg(cap: unknown, fn: string): number {
  if (!validCap(cap)) throw new KernelOops(`${fn}(): ${String(cap)} is not an enum dma_transaction_type (DMA_MEMCPY, DMA_SLAVE, DMA_CYCLIC...)`);
  return cap;
}

function addrArg(a: unknown, fn: string, what: string): number {
  if (typeof a !== 'bigint' && typeof a !== 'number') throw new KernelOops(`${fn}(): ${what} must be a dma_addr_t (bigint), got ${String(a)}`);
  if (BigInt(a) === DMA_MAPPING_ERROR) K().log(undefined, 'warn', `${fn}(): ${what} is DMA_MAPPING_ERROR: the mapping failed and was not checked`);
  return toAddr(BigInt(a));
}

function lenArg(n: unknown, fn: string, what = 'len'): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n <= 0 || n > 2 ** 40) throw new KernelOops(`${fn}(): ${what} must be a positive byte count, got ${String(n)}`);
  return n;
}

function flagsArg(f: unknown, fn: string): number {
  if (f === undefined) return 0;
  if (typeof f !== 'number' || !Number.isInteger(f) || f < 0) throw new KernelOops(`${fn}(): flags must be DMA_PREP_INTERRUPT | DMA_CTRL_ACK..., got ${String(f)}`);
  return f;
}

function slaveDirArg(dir: unknown, fn: string): number {
  if (dir !== DMA_MEM_TO_DEV && dir !== DMA_DEV_TO_MEM) throw new KernelOops(`${fn}(): direction must be DMA_MEM_TO_DEV or DMA_DEV_TO_MEM, got ${String(dir)}`);
  return dir;
}

function cookieArg(c: unknown, fn: string): number {
  if (typeof c !== 'number' || !Number.isInteger(c)) throw new KernelOops(`${fn}(): expected a dma_cookie_t (what dmaengine_submit returned), got ${String(c)}`);
  return c;
}

// ---- channels ---------------------------------------------------------------------------------

/**
 * `dma_request_chan(dev, name)`: the channel the device's devicetree `dmas`/`dma-names` call
 * `name` ("tx", "rx"), for this client alone. Returns the channel, or an error pointer:
 * `ERR_PTR(-ENODEV)` when no entry of that name gives a free channel, `ERR_PTR(-EPROBE_DEFER)`
 * when its controller has no driver. Test with `IS_ERR()`.
 */
export function dma_request_chan(dev: Device, name: string): DmaChan | ErrPtr {
  const d = devArg(dev, 'dma_request_chan');
  if (typeof name !== 'string' || !name) throw new KernelOops(`dma_request_chan(): name must be a dma-names entry such as "tx", got ${String(name)}`);
  const r = K().dmaengine.requestChan(d, name, site(dma_request_chan));
  return typeof r === 'number' ? new ErrPtr(r) : r;
}

/**
 * `dma_request_slave_channel(dev, name)`: the older form of dma_request_chan; null instead of an
 * error pointer.
 */
export function dma_request_slave_channel(dev: Device, name: string): DmaChan | null {
  const r = dma_request_chan(dev, name);
  return r instanceof ErrPtr ? null : r;
}

/**
 * `dma_request_chan_by_mask(mask)`: any free channel of a controller with every capability in
 * `mask` (e.g. DMA_MEMCPY), or `ERR_PTR(-ENODEV)`.
 */
export function dma_request_chan_by_mask(mask: DmaCapMask): DmaChan | ErrPtr {
  const r = K().dmaengine.requestChanByMask(maskArg(mask, 'dma_request_chan_by_mask'), site(dma_request_chan_by_mask));
  return typeof r === 'number' ? new ErrPtr(r) : r;
}

/**
 * `dma_release_channel(chan)`: give the channel back. Terminate running transfers first
 * (dmaengine_terminate_sync); anything still queued is dropped, and a descriptor that was
 * submitted but never issued is reported (dmaengine-not-issued).
 */
export function dma_release_channel(chan: DmaChan): void {
  K().dmaengine.release(chanArg(chan, 'dma_release_channel'), site(dma_release_channel));
}

/** `dmaengine_get_dma_device(chan)`: the device that does the DMA: map buffers for this one. */
export function dmaengine_get_dma_device(chan: DmaChan): Device {
  return chanArg(chan, 'dmaengine_get_dma_device').device.dev;
}

/** `dma_chan_name(chan)`: "dma0chan3". */
export function dma_chan_name(chan: DmaChan): string {
  return chanArg(chan, 'dma_chan_name').dbgName;
}

// ---- capability masks -------------------------------------------------------------------------

/** `dma_cap_zero(mask)`: clear a mask; with no argument, a new empty one. */
export function dma_cap_zero(mask?: DmaCapMask): DmaCapMask {
  const m = mask === undefined ? new DmaCapMask() : maskArg(mask, 'dma_cap_zero');
  m.bits = 0;
  return m;
}

/** `dma_cap_set(tx_type, mask)`: add a capability (DMA_MEMCPY, DMA_SLAVE, DMA_CYCLIC...). */
export function dma_cap_set(tx_type: number, mask: DmaCapMask): void {
  maskArg(mask, 'dma_cap_set').set(capArg(tx_type, 'dma_cap_set'));
}

/** `dma_cap_clear(tx_type, mask)` */
export function dma_cap_clear(tx_type: number, mask: DmaCapMask): void {
  maskArg(mask, 'dma_cap_clear').clear(capArg(tx_type, 'dma_cap_clear'));
}

/** `dma_has_cap(tx_type, mask)`: whether the mask (or `chan.device.cap_mask`) has it. */
export function dma_has_cap(tx_type: number, mask: DmaCapMask): boolean {
  return maskArg(mask, 'dma_has_cap').has(capArg(tx_type, 'dma_has_cap'));
}

// ---- configuration and descriptors ------------------------------------------------------------

/**
 * `dmaengine_slave_config(chan, config)`: the peripheral end of a slave channel: `dst_addr` (for
 * DMA_MEM_TO_DEV) or `src_addr` (DMA_DEV_TO_MEM), the FIFO's DMA address from dma_map_resource;
 * its access width (DMA_SLAVE_BUSWIDTH_*) and maxburst. 0 or a negative errno.
 */
export function dmaengine_slave_config(chan: DmaChan, config: DmaSlaveConfig): number {
  const c = chanArg(chan, 'dmaengine_slave_config');
  return K().dmaengine.slaveConfig(c, readSlaveConfig(config));
}

/**
 * `dmaengine_prep_slave_single(chan, buf, len, dir, flags)`: one mapped buffer to (DMA_MEM_TO_DEV)
 * or from (DMA_DEV_TO_MEM) the configured peripheral. A descriptor, or null when the controller
 * refuses (the log says why).
 */
export function dmaengine_prep_slave_single(chan: DmaChan, buf: bigint, len: number, dir: number, flags: number): DmaAsyncTxDescriptor | null {
  const fn = 'dmaengine_prep_slave_single';
  const c = chanArg(chan, fn);
  return K().dmaengine.prepSlaveSg(c, [{ addr: addrArg(buf, fn, 'buf'), len: lenArg(len, fn) }], slaveDirArg(dir, fn), flagsArg(flags, fn), site(dmaengine_prep_slave_single));
}

/**
 * `dmaengine_prep_slave_sg(chan, sgl, sg_len, dir, flags)`: a scatterlist mapped with dma_map_sg
 * for the controller's device; `sg_len` is the segment count dma_map_sg returned.
 */
export function dmaengine_prep_slave_sg(chan: DmaChan, sgl: Scatterlist[] | SgTable, sg_len: number, dir: number, flags: number): DmaAsyncTxDescriptor | null {
  const fn = 'dmaengine_prep_slave_sg';
  const c = chanArg(chan, fn);
  const list = Array.isArray(sgl) ? sgl : (sgl as SgTable | undefined)?.sgl;
  if (!Array.isArray(list) || !list.every((s) => s instanceof Scatterlist)) throw new KernelOops(`${fn}(): expected a scatterlist (sg_init_table / sg_alloc_table), got ${String(sgl)}`);
  if (!Number.isInteger(sg_len) || sg_len <= 0 || sg_len > list.length) throw new KernelOops(`${fn}(): sg_len ${String(sg_len)} out of range (the list has ${list.length} entries)`);
  const segs = list.slice(0, sg_len).map((s, i) => {
    if (!s.mapping || s.dma_address < 0) throw new KernelOops(`${fn}(): entry ${i} is not DMA-mapped: dma_map_sg() the list for dmaengine_get_dma_device(chan) first`);
    return { addr: s.dma_address, len: s.dma_length };
  });
  return K().dmaengine.prepSlaveSg(c, segs, slaveDirArg(dir, fn), flagsArg(flags, fn), site(dmaengine_prep_slave_sg));
}

/**
 * `dmaengine_prep_dma_memcpy(chan, dest, src, len, flags)`: copy `len` bytes between two buffers
 * mapped for the controller's device (on a DMA_MEMCPY channel).
 */
export function dmaengine_prep_dma_memcpy(chan: DmaChan, dest: bigint, src: bigint, len: number, flags: number): DmaAsyncTxDescriptor | null {
  const fn = 'dmaengine_prep_dma_memcpy';
  const c = chanArg(chan, fn);
  return K().dmaengine.prepMemcpy(c, addrArg(dest, fn, 'dest'), addrArg(src, fn, 'src'), lenArg(len, fn), flagsArg(flags, fn), site(dmaengine_prep_dma_memcpy));
}

/**
 * `dmaengine_prep_dma_cyclic(chan, buf_addr, buf_len, period_len, dir, flags)`: a ring the
 * controller goes round until terminated, calling the callback at the end of every period.
 */
export function dmaengine_prep_dma_cyclic(chan: DmaChan, buf_addr: bigint, buf_len: number, period_len: number, dir: number, flags: number): DmaAsyncTxDescriptor | null {
  const fn = 'dmaengine_prep_dma_cyclic';
  const c = chanArg(chan, fn);
  return K().dmaengine.prepCyclic(c, addrArg(buf_addr, fn, 'buf_addr'), lenArg(buf_len, fn, 'buf_len'), lenArg(period_len, fn, 'period_len'), slaveDirArg(dir, fn), flagsArg(flags, fn), site(dmaengine_prep_dma_cyclic));
}

/**
 * `dmaengine_submit(desc)`: queue the descriptor on its channel; returns its cookie, or a negative
 * errno (test with dma_submit_error). Nothing starts until dma_async_issue_pending. A descriptor is
 * submitted once, unless it is reusable (dmaengine_desc_set_reuse) and has completed and been
 * acknowledged (DMA_CTRL_ACK).
 */
export function dmaengine_submit(desc: DmaAsyncTxDescriptor): number {
  const d = descArg(desc, 'dmaengine_submit');
  return K().dmaengine.submit(d, site(dmaengine_submit));
}

/** `dma_submit_error(cookie)`: 0 for a good cookie, else the negative errno it carries. */
export function dma_submit_error(cookie: number): number {
  return cookieArg(cookie, 'dma_submit_error') < 0 ? cookie : 0;
}

/** `dma_async_issue_pending(chan)`: start everything submitted on the channel. */
export function dma_async_issue_pending(chan: DmaChan): void {
  K().dmaengine.issuePending(chanArg(chan, 'dma_async_issue_pending'), site(dma_async_issue_pending));
}

/**
 * `dmaengine_tx_status(chan, cookie)`: `{ status, residue, last, used }`: DMA_COMPLETE,
 * DMA_IN_PROGRESS, DMA_PAUSED or DMA_ERROR, and the bytes still to move for that cookie.
 */
export function dmaengine_tx_status(chan: DmaChan, cookie: number): TxStatus {
  return K().dmaengine.txStatus(chanArg(chan, 'dmaengine_tx_status'), cookieArg(cookie, 'dmaengine_tx_status'));
}

/** `dma_async_is_tx_complete(chan, cookie)`: the status alone. */
export function dma_async_is_tx_complete(chan: DmaChan, cookie: number): number {
  return K().dmaengine.txStatus(chanArg(chan, 'dma_async_is_tx_complete'), cookieArg(cookie, 'dma_async_is_tx_complete')).status;
}

/** `dmaengine_pause(chan)`: hold the channel's transfer (0, or -ENOSYS when the controller cannot). */
export function dmaengine_pause(chan: DmaChan): number {
  return K().dmaengine.pause(chanArg(chan, 'dmaengine_pause'));
}

/** `dmaengine_resume(chan)`: let a paused channel go on. */
export function dmaengine_resume(chan: DmaChan): number {
  return K().dmaengine.resume(chanArg(chan, 'dmaengine_resume'));
}

/**
 * `dmaengine_terminate_async(chan)`: stop the channel and drop every queued descriptor without
 * calling their callbacks. Safe in a callback. Follow with dmaengine_synchronize before freeing
 * what the callbacks use.
 */
export function dmaengine_terminate_async(chan: DmaChan): number {
  return K().dmaengine.terminate(chanArg(chan, 'dmaengine_terminate_async'));
}

/** `await dmaengine_synchronize(chan)`: wait until no callback of the channel runs. May sleep. */
export async function dmaengine_synchronize(chan: DmaChan): Promise<void> {
  K().dmaengine.synchronize(chanArg(chan, 'dmaengine_synchronize'), 'dmaengine_synchronize');
}

/**
 * `await dmaengine_terminate_sync(chan)`: terminate and synchronize. May sleep: not in a callback
 * or an interrupt handler (use dmaengine_terminate_async there).
 */
export async function dmaengine_terminate_sync(chan: DmaChan): Promise<number> {
  const c = chanArg(chan, 'dmaengine_terminate_sync');
  const k = K();
  const r = k.dmaengine.terminate(c);
  if (r === 0) k.dmaengine.synchronize(c, 'dmaengine_terminate_sync');
  return r;
}

/** `dmaengine_terminate_all(chan)`: the deprecated form of dmaengine_terminate_async. */
export function dmaengine_terminate_all(chan: DmaChan): number {
  return K().dmaengine.terminate(chanArg(chan, 'dmaengine_terminate_all'));
}

// ---- descriptor reuse and acknowledgement ------------------------------------------------------

/** `dmaengine_desc_set_reuse(desc)`: keep the descriptor after completion so it can be submitted again. */
export function dmaengine_desc_set_reuse(desc: DmaAsyncTxDescriptor): number {
  return K().dmaengine.setReuse(descArg(desc, 'dmaengine_desc_set_reuse'));
}

/** `dmaengine_desc_clear_reuse(desc)` */
export function dmaengine_desc_clear_reuse(desc: DmaAsyncTxDescriptor): void {
  descArg(desc, 'dmaengine_desc_clear_reuse').flags &= ~DMA_CTRL_REUSE;
}

/** `dmaengine_desc_test_reuse(desc)` */
export function dmaengine_desc_test_reuse(desc: DmaAsyncTxDescriptor): boolean {
  return (descArg(desc, 'dmaengine_desc_test_reuse').flags & DMA_CTRL_REUSE) !== 0;
}

/** `dmaengine_desc_free(desc)`: free a reusable descriptor (-EPERM for one that is not). */
export function dmaengine_desc_free(desc: DmaAsyncTxDescriptor): number {
  return K().dmaengine.descFree(descArg(desc, 'dmaengine_desc_free'));
}

/** `async_tx_ack(tx)`: the client is done with the descriptor (sets DMA_CTRL_ACK). */
export function async_tx_ack(tx: DmaAsyncTxDescriptor): void {
  K().dmaengine.ack(descArg(tx, 'async_tx_ack'));
}

/** `async_tx_test_ack(tx)` */
export function async_tx_test_ack(tx: DmaAsyncTxDescriptor): boolean {
  return (descArg(tx, 'async_tx_test_ack').flags & DMA_CTRL_ACK) !== 0;
}

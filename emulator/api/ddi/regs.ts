/**
 * Device registers for DDI drivers: ddi_regs_map_setup(9F) maps a register set of the node (the
 * same MMIO path as Linux's ioremap), ddi_get8/16/32/64 and ddi_put8/16/32/64 access it through
 * the access handle, swapping bytes for a big-endian device.
 */
import { KernelOops } from '../../kernel/cpu';
import { IoMem } from '../../kernel/driver-core';
import { DDI_FAILURE, DDI_SUCCESS } from '../../kernel/ddi/consts';
import { DevInfo } from '../../kernel/ddi/devinfo';
import { RegsHandle, regGet, regPut, regsMapSetup } from '../../kernel/ddi/regs';
import { K } from '../current';
import type { ddi_device_acc_attr_t } from './dma';
import type { dev_info_t } from './driver';

/** `caddr_t` of a register mapping: the mapped base; `.add(off)` addresses a register. */
export type caddr_t = IoMem;
/** `ddi_acc_handle_t` of a register mapping (from ddi_regs_map_setup). */
export type ddi_acc_handle_t = RegsHandle;

/** What ddi_regs_map_setup returns. */
export type DdiRegsMapResult = { status: typeof DDI_SUCCESS; addr: caddr_t; handle: ddi_acc_handle_t } | { status: typeof DDI_FAILURE; addr: null; handle: null };

/**
 * `ddi_regs_map_setup(dip, rnumber, offset, len, accattrp)`: map register set `rnumber` (the
 * node's `reg` entry) from `offset` for `len` bytes (0: all of it). Returns
 * `{ status, addr, handle }`; access registers with ddi_get32(handle, addr.add(REG)).
 */
export function ddi_regs_map_setup(dip: dev_info_t, rnumber: number, offset: number, len: number, accattrp: ddi_device_acc_attr_t | null): DdiRegsMapResult {
  if (!(dip instanceof DevInfo)) throw new KernelOops(`ddi_regs_map_setup(): the first argument must be the dev_info_t passed to attach, got ${String(dip)}`);
  const h = regsMapSetup(dip, rnumber, offset, len, accattrp?.devacc_attr_endian_flags ?? 0);
  if (typeof h === 'string') {
    K().log(dip.dev, 'warn', `ddi_regs_map_setup: ${h}: DDI_FAILURE`);
    return { status: DDI_FAILURE, addr: null, handle: null };
  }
  dip.held.add(h);
  return { status: DDI_SUCCESS, addr: h.io, handle: h };
}

/** `ddi_regs_map_free(handle)`: unmap registers mapped by ddi_regs_map_setup. */
export function ddi_regs_map_free(handle: ddi_acc_handle_t): void {
  if (!(handle instanceof RegsHandle)) throw new KernelOops(`ddi_regs_map_free(): not a register access handle: ${String(handle)}`);
  if (handle.freed) throw new KernelOops(`ddi_regs_map_free(): ${handle} was already freed`);
  handle.release();
  handle.dip.held.delete(handle);
}

/** `ddi_get8(handle, addr)`: read an 8-bit register. */
export function ddi_get8(handle: ddi_acc_handle_t, addr: caddr_t): number {
  return regGet(handle, addr, 1, 'ddi_get8') as number;
}
/** `ddi_get16(handle, addr)`: read a 16-bit register. */
export function ddi_get16(handle: ddi_acc_handle_t, addr: caddr_t): number {
  return regGet(handle, addr, 2, 'ddi_get16') as number;
}
/** `ddi_get32(handle, addr)`: read a 32-bit register. */
export function ddi_get32(handle: ddi_acc_handle_t, addr: caddr_t): number {
  return regGet(handle, addr, 4, 'ddi_get32') as number;
}
/** `ddi_get64(handle, addr)`: read a 64-bit register. */
export function ddi_get64(handle: ddi_acc_handle_t, addr: caddr_t): bigint {
  return regGet(handle, addr, 8, 'ddi_get64') as bigint;
}
/** `ddi_put8(handle, addr, value)`: write an 8-bit register (handle, address, then value, as in illumos). */
export function ddi_put8(handle: ddi_acc_handle_t, addr: caddr_t, value: number): void {
  regPut(handle, addr, 1, value, 'ddi_put8');
}
/** `ddi_put16(handle, addr, value)`: write a 16-bit register. */
export function ddi_put16(handle: ddi_acc_handle_t, addr: caddr_t, value: number): void {
  regPut(handle, addr, 2, value, 'ddi_put16');
}
/** `ddi_put32(handle, addr, value)`: write a 32-bit register. */
export function ddi_put32(handle: ddi_acc_handle_t, addr: caddr_t, value: number): void {
  regPut(handle, addr, 4, value, 'ddi_put32');
}
/** `ddi_put64(handle, addr, value)`: write a 64-bit register. */
export function ddi_put64(handle: ddi_acc_handle_t, addr: caddr_t, value: bigint | number): void {
  regPut(handle, addr, 8, value, 'ddi_put64');
}

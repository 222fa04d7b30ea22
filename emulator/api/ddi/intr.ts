/**
 * Interrupts for DDI drivers (ddi_intr_alloc(9F), ddi_intr_add_handler(9F), ddi_intr_enable(9F)...):
 * allocate the node's fixed interrupt, add a handler `(arg1, arg2) => DDI_INTR_CLAIMED |
 * DDI_INTR_UNCLAIMED`, enable it. The handler runs in interrupt context: no sleeping.
 */
import { KernelOops } from '../../kernel/cpu';
import { DDI_FAILURE, DDI_INTR_ALLOC_STRICT, DDI_INTR_TYPE_FIXED, DDI_SUCCESS } from '../../kernel/ddi/consts';
import { DevInfo } from '../../kernel/ddi/devinfo';
import { DdiIntrHandler, IntrHandle, intrAlloc, intrArg, intrDisable, intrEnable } from '../../kernel/ddi/intr';
import { K, site } from '../current';
import type { dev_info_t } from './driver';

/** `ddi_intr_handle_t`: one interrupt of the device (from ddi_intr_alloc). */
export type ddi_intr_handle_t = IntrHandle;
/** `ddi_intr_handler_t`: an interrupt handler; returns DDI_INTR_CLAIMED or DDI_INTR_UNCLAIMED. */
export type ddi_intr_handler_t = DdiIntrHandler;

/** What ddi_intr_alloc returns. */
export type DdiIntrAllocResult = { status: typeof DDI_SUCCESS; h_array: ddi_intr_handle_t[]; actual: number } | { status: typeof DDI_FAILURE; h_array: []; actual: 0 };

/**
 * `ddi_intr_alloc(dip, type, inum, count, behavior)`: interrupt handles for `count` interrupts of
 * the node from index `inum` (DDI_INTR_TYPE_FIXED; DDI_INTR_ALLOC_NORMAL or DDI_INTR_ALLOC_STRICT).
 * Returns `{ status, h_array, actual }`.
 */
export function ddi_intr_alloc(dip: dev_info_t, type: number, inum: number, count: number, behavior: number): DdiIntrAllocResult {
  if (!(dip instanceof DevInfo)) throw new KernelOops(`ddi_intr_alloc(): the first argument must be the dev_info_t passed to attach, got ${String(dip)}`);
  const fail = { status: DDI_FAILURE, h_array: [], actual: 0 } as DdiIntrAllocResult;
  if (type !== DDI_INTR_TYPE_FIXED) {
    K().log(dip.dev, 'warn', `ddi_intr_alloc: interrupt type ${String(type)} is not supported by ${dip.dev.nodeName} (only DDI_INTR_TYPE_FIXED): DDI_FAILURE`);
    return fail;
  }
  const hs = intrAlloc(dip, inum, count, behavior === DDI_INTR_ALLOC_STRICT);
  if (!hs) {
    K().log(dip.dev, 'warn', `ddi_intr_alloc: the node has ${dip.dev.desc.irqs.length} interrupt(s); inum ${inum}, count ${count}: DDI_FAILURE`);
    return fail;
  }
  for (const h of hs) dip.held.add(h);
  return { status: DDI_SUCCESS, h_array: hs, actual: hs.length };
}

/** `ddi_intr_free(h)`: release an interrupt handle (disable it and remove its handler first). */
export function ddi_intr_free(h: ddi_intr_handle_t): number {
  const x = intrArg(h, 'ddi_intr_free');
  if (x.enabled || x.handler) return DDI_FAILURE;
  x.release();
  x.dip.held.delete(x);
  return DDI_SUCCESS;
}

/** `ddi_intr_get_pri(h)`: `{ status, pri }`, the interrupt's priority (for DDI_INTR_PRI when initialising mutexes). */
export function ddi_intr_get_pri(h: ddi_intr_handle_t): { status: number; pri: number } {
  return { status: DDI_SUCCESS, pri: intrArg(h, 'ddi_intr_get_pri').pri };
}

/** `ddi_intr_add_handler(h, handler, arg1, arg2)`: the handler the interrupt runs, called as handler(arg1, arg2). */
export function ddi_intr_add_handler(h: ddi_intr_handle_t, handler: ddi_intr_handler_t, arg1: unknown, arg2: unknown): number {
  const x = intrArg(h, 'ddi_intr_add_handler');
  if (typeof handler !== 'function') throw new KernelOops(`ddi_intr_add_handler(): the handler must be a function`);
  if (x.handler || x.enabled) return DDI_FAILURE;
  x.handler = handler;
  x.arg1 = arg1;
  x.arg2 = arg2;
  return DDI_SUCCESS;
}

/** `ddi_intr_remove_handler(h)`: remove the handler (disable the interrupt first). */
export function ddi_intr_remove_handler(h: ddi_intr_handle_t): number {
  const x = intrArg(h, 'ddi_intr_remove_handler');
  if (x.enabled || !x.handler) return DDI_FAILURE;
  x.handler = undefined;
  return DDI_SUCCESS;
}

/** `ddi_intr_enable(h)`: start delivering the interrupt to its handler. */
export function ddi_intr_enable(h: ddi_intr_handle_t): number {
  return intrEnable(intrArg(h, 'ddi_intr_enable'), site(ddi_intr_enable));
}

/** `ddi_intr_disable(h)`: stop delivering the interrupt. */
export function ddi_intr_disable(h: ddi_intr_handle_t): number {
  return intrDisable(intrArg(h, 'ddi_intr_disable'));
}

/** `DDI_INTR_PRI(pri)`: the mutex_init argument for a mutex the interrupt handler of priority `pri` also takes. */
export function DDI_INTR_PRI(pri: number): number {
  return pri;
}

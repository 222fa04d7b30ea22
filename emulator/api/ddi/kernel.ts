/**
 * The kernel services a DDI driver leans on: cmn_err(9F) logging, kmem_alloc(9F) memory,
 * mutex(9F) and condvar(9F) synchronisation (cv_wait is awaited), and time (ddi_get_lbolt,
 * drv_usectohz, drv_usecwait).
 */
import { KernelOops } from '../../kernel/cpu';
import { Ptr } from '../../kernel/ptr';
import { CE_CONT, CE_IGNORE, CE_NOTE, CE_PANIC, CE_WARN, DDI_HZ, KM_NOSLEEP } from '../../kernel/ddi/consts';
import { KCondvar, KMutex, cvBroadcast, cvDestroy, cvInit, cvSignal, cvWait, lbolt, mutexDestroy, mutexEnter, mutexExit, mutexInit, mutexOwned } from '../../kernel/ddi/ksynch';
import { kmemAlloc, kmemFree } from '../../kernel/ddi/mem';
import { kformat } from '../linux/printk';
import { K } from '../current';

// ---- cmn_err ----------------------------------------------------------------------------------

/**
 * `cmn_err(level, fmt, ...)`: a console message. CE_NOTE prints "NOTICE: ...", CE_WARN
 * "WARNING: ...", CE_CONT continues a line, CE_PANIC panics (the run stops with a kernel oops).
 * A leading `!` (log only), `^` (console only) or `?` (verbose boot only: a debug line) is honoured.
 * The format is printf's, with the kernel's %p and friends.
 */
export function cmn_err(level: number, fmt: string, ...args: unknown[]): void {
  if (level === CE_IGNORE) return;
  const k = K();
  let f = String(fmt);
  let verbose = false;
  if (f.startsWith('!') || f.startsWith('^')) f = f.slice(1);
  else if (f.startsWith('?')) {
    f = f.slice(1);
    verbose = true;
  }
  const text = kformat(f, args).replace(/\n$/, '');
  switch (level) {
    case CE_CONT:
      k.log(undefined, verbose ? 'debug' : 'info', text);
      return;
    case CE_NOTE:
      k.log(undefined, verbose ? 'debug' : 'info', `NOTICE: ${text}`);
      return;
    case CE_WARN:
      k.log(undefined, 'warn', `WARNING: ${text}`);
      return;
    case CE_PANIC:
      k.log(undefined, 'err', `panic[cpu0]/thread=${k.drivers.tasks.current?.comm ?? 'kernel'}: ${text}`);
      throw new KernelOops(`panic: ${text}`);
    default:
      throw new KernelOops(`cmn_err(): unknown level ${String(level)} (CE_CONT, CE_NOTE, CE_WARN, CE_PANIC or CE_IGNORE)`);
  }
}

// ---- memory -----------------------------------------------------------------------------------

/**
 * `kmem_alloc(size, flag)`: kernel memory (KM_SLEEP or KM_NOSLEEP); null when KM_NOSLEEP finds
 * none. Up to a page it is physically contiguous; larger buffers are virtually contiguous pages
 * from anywhere in RAM (bind them and see one cookie per physical run without an IOMMU).
 */
export function kmem_alloc(size: number, flag: number): Ptr | null {
  const k = K();
  if (!Number.isInteger(size) || size <= 0) throw new KernelOops(`kmem_alloc(): invalid size ${String(size)}`);
  const sleep = !(flag & KM_NOSLEEP);
  if (sleep && k.irq.inIrq > 0) k.mightSleep('kmem_alloc(KM_SLEEP)');
  const kva = kmemAlloc(k, size, sleep);
  if (kva < 0) {
    if (sleep) throw new KernelOops(`kmem_alloc(${size}, KM_SLEEP): out of memory (a KM_SLEEP allocation would wait forever)`);
    return null;
  }
  return new Ptr(k.cpu, kva);
}

/** `kmem_zalloc(size, flag)`: kmem_alloc, zeroed. */
export function kmem_zalloc(size: number, flag: number): Ptr | null {
  const p = kmem_alloc(size, flag);
  if (p) p.cpu.fill(p.kva, 0, size);
  return p;
}

/** `kmem_free(buf, size)`: free kmem_alloc memory; `size` must be the size allocated. */
export function kmem_free(buf: Ptr, size: number): void {
  if (!(buf instanceof Ptr)) throw new KernelOops(`kmem_free(): expected a kernel pointer from kmem_alloc, got ${String(buf)}`);
  kmemFree(K(), buf.kva, size);
}

// ---- mutexes and condition variables ----------------------------------------------------------

/** `kmutex_t`: a mutex, from `mutex_init(null, ...)` (or re-initialised in place with `mutex_init(m, ...)`). */
export type kmutex_t = KMutex;

/** `kcondvar_t`: a condition variable, from `cv_init(null, ...)`. */
export type kcondvar_t = KCondvar;

/**
 * `mutex_init(mp, name, type, arg)`: initialise a mutex (type MUTEX_DRIVER) and return it; pass
 * null as `mp` for a new one (C's `kmutex_t m; mutex_init(&m, ...)`). For a mutex the interrupt
 * handler also takes, pass `DDI_INTR_PRI(pri)` of the interrupt as `arg`: while a thread holds it,
 * the handler waits.
 */
export function mutex_init(mp: kmutex_t | null, name: string | null, _type: number, arg: number | null): kmutex_t {
  const m = mp ?? new KMutex();
  mutexInit(m, name, typeof arg === 'number' && arg > 0 ? arg : 0);
  return m;
}

/** `mutex_destroy(mp)` */
export function mutex_destroy(mp: kmutex_t): void {
  mutexDestroy(mp);
}

/** `mutex_enter(mp)`: take the mutex. */
export function mutex_enter(mp: kmutex_t): void {
  mutexEnter(K(), mp);
}

/** `mutex_exit(mp)`: release the mutex. */
export function mutex_exit(mp: kmutex_t): void {
  mutexExit(K(), mp);
}

/** `mutex_owned(mp)`: whether the mutex is held (for ASSERTs). */
export function mutex_owned(mp: kmutex_t): boolean {
  return mutexOwned(mp);
}

/** `cv_init(cvp, name, type, arg)`: initialise a condition variable (type CV_DRIVER) and return it; pass null as `cvp` for a new one. */
export function cv_init(cvp: kcondvar_t | null, name: string | null, _type: number, _arg: unknown): kcondvar_t {
  const c = cvp ?? new KCondvar();
  cvInit(c, name);
  return c;
}

/** `cv_destroy(cvp)` */
export function cv_destroy(cvp: kcondvar_t): void {
  cvDestroy(cvp);
}

/** `await cv_wait(cvp, mp)`: release `mp` (held), sleep until cv_signal/cv_broadcast, take `mp` again. */
export async function cv_wait(cvp: kcondvar_t, mp: kmutex_t): Promise<void> {
  await cvWait(K(), cvp, mp, undefined, 'cv_wait');
}

/** `await cv_timedwait(cvp, mp, abstime)`: as cv_wait, until the lbolt tick `abstime` at the latest; -1 on timeout, else > 0. */
export function cv_timedwait(cvp: kcondvar_t, mp: kmutex_t, abstime: number): Promise<number> {
  if (!Number.isFinite(abstime)) throw new KernelOops(`cv_timedwait(): abstime must be an lbolt value (ddi_get_lbolt() + drv_usectohz(usec)), got ${String(abstime)}`);
  return cvWait(K(), cvp, mp, abstime, 'cv_timedwait');
}

/** `cv_signal(cvp)`: wake one waiter. Safe in interrupt context. */
export function cv_signal(cvp: kcondvar_t): void {
  cvSignal(K(), cvp);
}

/** `cv_broadcast(cvp)`: wake every waiter. */
export function cv_broadcast(cvp: kcondvar_t): void {
  cvBroadcast(K(), cvp);
}

// ---- time -------------------------------------------------------------------------------------

/** `ddi_get_lbolt()`: clock ticks since boot (100 per second of virtual time). */
export function ddi_get_lbolt(): number {
  return lbolt(K());
}

/** `drv_usectohz(usec)`: microseconds to clock ticks, rounded up. */
export function drv_usectohz(usec: number): number {
  return Math.ceil((Math.max(0, usec) * DDI_HZ) / 1e6);
}

/** `drv_usecwait(usec)`: busy-wait (interrupts still arrive). */
export function drv_usecwait(usec: number): void {
  const s = K().machine.sched;
  s.advanceTo(s.now + Math.max(0, usec) * 1e3);
}

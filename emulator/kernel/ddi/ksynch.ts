/**
 * kmutex_t and kcondvar_t (mutex(9F), condvar(9F)) on the emulated CPU. A mutex initialised with an
 * interrupt priority (DDI_INTR_PRI) is the one a driver shares with its interrupt handler: while it
 * is held, the handler cannot run (on illumos the interrupt thread would block on it; here its
 * delivery waits until mutex_exit). cv_wait releases the mutex, sleeps, and takes it again;
 * sleeping in an interrupt handler is reported as in the Linux API.
 */
import { KernelOops } from '../cpu';
import type { Kernel } from '../kernel';
import type { Waiter } from '../wait';
import { DDI_HZ } from './consts';

const NS_PER_TICK = 1e9 / DDI_HZ;

export class KMutex {
  /** @internal */ initialised = false;
  /** @internal */ held = false;
  /** @internal */ intrPri = 0;
  /** @internal */ name = '';

  toString(): string {
    return `kmutex_t${this.name ? ` "${this.name}"` : ''}`;
  }
}

export class KCondvar {
  /** @internal */ initialised = false;
  /** @internal */ waiters: Waiter[] = [];
  /** @internal */ name = '';
}

function mutexArg(mp: unknown, fn: string): KMutex {
  if (!(mp instanceof KMutex)) throw new KernelOops(`${fn}(): not a kmutex_t: ${String(mp)} (make one with new kmutex_t() and mutex_init)`);
  if (!mp.initialised) throw new KernelOops(`${fn}(): ${mp} was never initialised with mutex_init`);
  return mp;
}

function cvArg(cv: unknown, fn: string): KCondvar {
  if (!(cv instanceof KCondvar)) throw new KernelOops(`${fn}(): not a kcondvar_t: ${String(cv)} (make one with new kcondvar_t() and cv_init)`);
  if (!cv.initialised) throw new KernelOops(`${fn}(): the condition variable was never initialised with cv_init`);
  return cv;
}

export function mutexInit(mp: KMutex, name: string | null, intrPri: number): void {
  if (!(mp instanceof KMutex)) throw new KernelOops(`mutex_init(): not a kmutex_t: ${String(mp)}`);
  mp.initialised = true;
  mp.held = false;
  mp.name = name ?? '';
  mp.intrPri = intrPri;
}

export function mutexDestroy(mp: KMutex): void {
  const m = mutexArg(mp, 'mutex_destroy');
  if (m.held) throw new KernelOops(`panic: mutex_destroy: ${m} is held`);
  m.initialised = false;
}

export function mutexEnter(k: Kernel, mp: KMutex): void {
  const m = mutexArg(mp, 'mutex_enter');
  if (m.held) {
    throw new KernelOops(
      k.irq.inIrq > 0
        ? `panic: deadlock: mutex_enter of ${m} in an interrupt handler while the interrupted thread holds it (initialise it with DDI_INTR_PRI(pri) of the interrupt so the handler waits for mutex_exit)`
        : `panic: recursive mutex_enter: ${m} is already held (by this thread, or by one sleeping with it held)`,
    );
  }
  m.held = true;
  if (m.intrPri > 0) k.irq.disable();
}

export function mutexExit(k: Kernel, mp: KMutex): void {
  const m = mutexArg(mp, 'mutex_exit');
  if (!m.held) throw new KernelOops(`panic: mutex_exit: ${m} is not held`);
  m.held = false;
  if (m.intrPri > 0) k.irq.enable();
}

export function mutexOwned(mp: KMutex): boolean {
  return mutexArg(mp, 'mutex_owned').held;
}

export function cvInit(cv: KCondvar, name: string | null): void {
  if (!(cv instanceof KCondvar)) throw new KernelOops(`cv_init(): not a kcondvar_t: ${String(cv)}`);
  cv.initialised = true;
  cv.waiters = [];
  cv.name = name ?? '';
}

export function cvDestroy(cv: KCondvar): void {
  const c = cvArg(cv, 'cv_destroy');
  if (c.waiters.length) throw new KernelOops(`panic: cv_destroy: threads are still waiting on the condition variable`);
  c.initialised = false;
}

/** ticks since boot at DDI_HZ */
export function lbolt(k: Kernel): number {
  return Math.floor(k.now / NS_PER_TICK);
}

/** cv_wait / cv_timedwait: release, sleep until signalled (or `abstime` in lbolt ticks), retake. */
export async function cvWait(k: Kernel, cv: KCondvar, mp: KMutex, abstime: number | undefined, fn: string): Promise<number> {
  const c = cvArg(cv, fn);
  const m = mutexArg(mp, fn);
  if (!m.held) throw new KernelOops(`panic: ${fn}: ${m} is not held by the caller`);
  mutexExit(k, m);
  k.mightSleep(`${fn}()`);
  const timeout = abstime === undefined ? Infinity : Math.max(0, abstime * NS_PER_TICK - k.now);
  const r = await k.waits.park(c.waiters, fn, timeout);
  mutexEnter(k, m);
  if (abstime === undefined) return 1;
  return r === 0 ? -1 : Math.max(1, abstime - lbolt(k));
}

export function cvSignal(k: Kernel, cv: KCondvar): void {
  const w = cvArg(cv, 'cv_signal').waiters.shift();
  if (w) k.waits.wake(w);
}

export function cvBroadcast(k: Kernel, cv: KCondvar): void {
  for (const w of cvArg(cv, 'cv_broadcast').waiters.splice(0)) k.waits.wake(w);
}

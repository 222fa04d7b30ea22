/**
 * Interrupts, sleeping and time: request_irq, completions, wait queues, msleep/udelay, jiffies,
 * spinlocks. Sleeping is `await`; doing it in an interrupt handler or under a spinlock is reported.
 */
import { Device } from '../../kernel/device';
import { KernelOops } from '../../kernel/cpu';
import { IRQ_HANDLED, IRQ_NONE, IRQ_WAKE_THREAD, IRQF_SHARED, IrqHandler } from '../../kernel/irq';
import { Completion, HZ, MAX_SCHEDULE_TIMEOUT, WaitQueueHead, jiffiesAt, jiffiesToNs, msecsToJiffies } from '../../kernel/wait';
import { EINVAL } from '../../kernel/errno';
import { K } from '../current';

export { IRQ_HANDLED, IRQ_NONE, IRQ_WAKE_THREAD, IRQF_SHARED, Completion, WaitQueueHead, HZ, MAX_SCHEDULE_TIMEOUT };
export type { IrqHandler };
/** `irqreturn_t` */
export type irqreturn_t = number;

/** `request_irq(irq, handler, flags, name, dev_id)`: run `handler(irq, dev_id)` in interrupt context when the line fires. */
export function request_irq(irq: number, handler: IrqHandler, flags: number, name: string, dev_id: unknown): number {
  const k = K();
  if (typeof handler !== 'function') return -EINVAL;
  if (!Number.isInteger(irq) || irq < 0) return -EINVAL;
  return k.irq.request(irq, handler, flags, String(name), dev_id, k.drivers.probing, k.here());
}

/** `devm_request_irq(dev, irq, handler, flags, name, dev_id)`: freed automatically after remove. */
export function devm_request_irq(dev: Device, irq: number, handler: IrqHandler, flags: number, name: string, dev_id: unknown): number {
  const k = K();
  if (!(dev instanceof Device)) throw new KernelOops(`devm_request_irq(): the first argument must be a struct device, got ${String(dev)}`);
  if (typeof handler !== 'function' || !Number.isInteger(irq) || irq < 0) return -EINVAL;
  const r = k.irq.request(irq, handler, flags, String(name), dev_id, dev, k.here());
  if (r === 0) dev.addDevres(`irq ${irq}`, () => k.irq.free(irq, dev_id));
  return r;
}

/** `free_irq(irq, dev_id)` */
export function free_irq(irq: number, dev_id: unknown): void {
  const k = K();
  if (!k.irq.free(irq, dev_id)) k.log(undefined, 'warn', `Trying to free already-free IRQ ${irq}`);
}

/** `init_completion(c?)`: (re)initialise a completion; with no argument, make a new one. */
export function init_completion(c?: Completion): Completion {
  const x = c ?? new Completion();
  x.done = 0;
  x.waiters = [];
  return x;
}

/** `reinit_completion(c)`: reset before reuse. */
export function reinit_completion(c: Completion): void {
  c.done = 0;
}

/** `complete(c)`: wake one waiter (or let the next wait return at once). Safe in interrupt context. */
export function complete(c: Completion): void {
  const k = K();
  const w = c.waiters.shift();
  if (w) k.waits.wake(w);
  else c.done++;
}

/** `complete_all(c)` */
export function complete_all(c: Completion): void {
  const k = K();
  c.done = 0x7fffffff;
  for (const w of c.waiters.splice(0)) k.waits.wake(w);
}

/** `completion_done(c)` */
export function completion_done(c: Completion): boolean {
  return c.done > 0;
}

/** `await wait_for_completion(c)`: sleep until complete(c). */
export async function wait_for_completion(c: Completion): Promise<void> {
  const k = K();
  k.mightSleep('wait_for_completion()');
  if (c.done > 0) {
    if (c.done !== 0x7fffffff) c.done--;
    return;
  }
  await k.waits.park(c.waiters, 'wait_for_completion', Infinity);
}

/** `await wait_for_completion_timeout(c, timeout)`: 0 if `timeout` jiffies passed, else the jiffies left (≥ 1). */
export async function wait_for_completion_timeout(c: Completion, timeout: number): Promise<number> {
  const k = K();
  k.mightSleep('wait_for_completion_timeout()');
  if (c.done > 0) {
    if (c.done !== 0x7fffffff) c.done--;
    return Math.max(1, timeout);
  }
  return k.waits.park(c.waiters, 'wait_for_completion_timeout', timeout >= MAX_SCHEDULE_TIMEOUT ? Infinity : jiffiesToNs(Math.max(0, timeout)));
}

/** `init_waitqueue_head(wq?)` */
export function init_waitqueue_head(wq?: WaitQueueHead): WaitQueueHead {
  const q = wq ?? new WaitQueueHead();
  q.waiters = [];
  return q;
}

async function waitEvent(wq: WaitQueueHead, cond: () => boolean, timeout: number, what: string): Promise<number> {
  const k = K();
  if (!(wq instanceof WaitQueueHead)) throw new KernelOops(`${what}(): the first argument must be a wait queue (init_waitqueue_head)`);
  if (cond()) return Math.max(1, Number.isFinite(timeout) ? timeout : 1);
  k.mightSleep(`${what}()`);
  const deadline = Number.isFinite(timeout) ? k.now + jiffiesToNs(timeout) : Infinity;
  for (;;) {
    const list: import('../../kernel/wait').Waiter[] = [];
    const left = deadline - k.now;
    const p = k.waits.park(list, what, Number.isFinite(left) ? Math.max(0, left) : Infinity);
    const entry = { w: list[0], cond };
    wq.waiters.push(entry);
    const r = await p;
    const i = wq.waiters.indexOf(entry);
    if (i >= 0) wq.waiters.splice(i, 1);
    if (cond()) return Number.isFinite(deadline) ? Math.max(1, Math.ceil((deadline - k.now) / jiffiesToNs(1))) : 1;
    if (r === 0) return 0;
  }
}

/** `await wait_event(wq, () => cond)`: sleep until `cond()` is true after a wake_up(wq). */
export async function wait_event(wq: WaitQueueHead, cond: () => boolean): Promise<void> {
  await waitEvent(wq, cond, Infinity, 'wait_event');
}

/** `await wait_event_interruptible(wq, () => cond)`: 0 when the condition became true. */
export async function wait_event_interruptible(wq: WaitQueueHead, cond: () => boolean): Promise<number> {
  await waitEvent(wq, cond, Infinity, 'wait_event_interruptible');
  return 0;
}

/** `await wait_event_timeout(wq, () => cond, timeout)`: 0 on timeout with the condition false, else jiffies left (≥ 1). */
export function wait_event_timeout(wq: WaitQueueHead, cond: () => boolean, timeout: number): Promise<number> {
  return waitEvent(wq, cond, timeout, 'wait_event_timeout');
}

/** `wake_up(wq)`: let sleepers re-check their condition. Safe in interrupt context. */
export function wake_up(wq: WaitQueueHead): void {
  const k = K();
  for (const e of wq.waiters.splice(0)) if (e.w) k.waits.wake(e.w);
}

/** `wake_up_interruptible(wq)` */
export const wake_up_interruptible = wake_up;

/** `await msleep(ms)`: sleep at least `ms` milliseconds of virtual time. */
export function msleep(ms: number): Promise<void> {
  return K().waits.sleep(Math.max(0, ms) * 1e6, 'msleep');
}

/** `await usleep_range(min, max)` */
export function usleep_range(min: number, _max: number): Promise<void> {
  return K().waits.sleep(Math.max(0, min) * 1e3, 'usleep_range');
}

/** `udelay(us)`: busy-wait (no sleeping; interrupts still arrive). */
export function udelay(us: number): void {
  const s = K().machine.sched;
  s.advanceTo(s.now + Math.max(0, us) * 1e3);
}

/** `ndelay(ns)` */
export function ndelay(ns: number): void {
  const s = K().machine.sched;
  s.advanceTo(s.now + Math.max(0, ns));
}

/** `mdelay(ms)` */
export function mdelay(ms: number): void {
  udelay(ms * 1000);
}

/** `msecs_to_jiffies(ms)` */
export function msecs_to_jiffies(ms: number): number {
  return msecsToJiffies(ms);
}

/** `jiffies_to_msecs(j)` */
export function jiffies_to_msecs(j: number): number {
  return (j * 1000) / HZ;
}

/** `time_after(a, b)`: a is later than b. */
export function time_after(a: number, b: number): boolean {
  return ((b - a) | 0) < 0;
}

/** `time_before(a, b)` */
export function time_before(a: number, b: number): boolean {
  return time_after(b, a);
}

/** Current jiffies (the `jiffies` variable reads through this). */
export function get_jiffies(): number {
  return jiffiesAt(K().now);
}

/** `ktime_get_ns()`: virtual time in nanoseconds. */
export function ktime_get_ns(): bigint {
  return BigInt(Math.round(K().now));
}

/** `spinlock_t` */
export class Spinlock {
  /** @internal */ held = false;
  /** @internal */ irqsave = false;
}

/** `spin_lock_init(lock?)` */
export function spin_lock_init(lock?: Spinlock): Spinlock {
  const l = lock ?? new Spinlock();
  l.held = false;
  return l;
}

function take(lock: Spinlock, fn: string): void {
  if (!(lock instanceof Spinlock)) throw new KernelOops(`${fn}(): not a spinlock: ${String(lock)}`);
  if (lock.held) throw new KernelOops(`BUG: spinlock recursion on CPU#0: ${fn}() on a lock this CPU already holds (it would spin forever)`);
  lock.held = true;
}

/** `spin_lock_irqsave(lock)`: take the lock with interrupts off; returns the flags for the restore. */
export function spin_lock_irqsave(lock: Spinlock): number {
  take(lock, 'spin_lock_irqsave');
  const k = K();
  const flags = k.irq.irqsOff;
  k.irq.disable();
  return flags;
}

/** `spin_unlock_irqrestore(lock, flags)` */
export function spin_unlock_irqrestore(lock: Spinlock, _flags: number): void {
  if (!lock.held) throw new KernelOops(`BUG: spin_unlock_irqrestore() of a lock that is not held`);
  lock.held = false;
  K().irq.enable();
}

/** `spin_lock(lock)` */
export function spin_lock(lock: Spinlock): void {
  take(lock, 'spin_lock');
}

/** `spin_unlock(lock)` */
export function spin_unlock(lock: Spinlock): void {
  if (!lock.held) throw new KernelOops(`BUG: spin_unlock() of a lock that is not held`);
  lock.held = false;
}

/** `in_interrupt()` */
export function in_interrupt(): boolean {
  return K().irq.inIrq > 0;
}

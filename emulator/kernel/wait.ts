/**
 * Sleeping: completions, wait queues with conditions, timers. A sleeping call returns a Promise the
 * run loop resolves in virtual time. Sleeping in atomic context (an interrupt handler, under
 * spin_lock_irqsave, a GFP_KERNEL allocation there) is reported as the kernel does. Every pending
 * wait is registered so a run that can never finish says where it is stuck.
 */
import type { Scheduler } from '../hw/scheduler';
import type { CallSite } from './call-site';

export const HZ = 250;
/** Linux starts jiffies five minutes before wrap-around; we start at a round, readable value. */
export const INITIAL_JIFFIES = 0x10000;
export const MAX_SCHEDULE_TIMEOUT = 0x7fff_ffff;

export interface PendingWait {
  what: string;
  site?: CallSite;
  since: number;
}

export interface WaitHost {
  sched: Scheduler;
  /** Called by every sleeping primitive: reports sleeping in atomic context. */
  mightSleep(what: string): void;
  woke(): void;
  here(): CallSite | undefined;
}

export function jiffiesAt(ns: number): number {
  return INITIAL_JIFFIES + Math.floor(ns / (1e9 / HZ));
}

export function msecsToJiffies(ms: number): number {
  return Math.ceil((ms * HZ) / 1000);
}

export function jiffiesToNs(j: number): number {
  return j * (1e9 / HZ);
}

interface Waiter {
  resolve: (v: number) => void;
  timer?: { cancelled: boolean };
  deadline: number;
  pending: PendingWait;
}

export class Waits {
  readonly pending = new Set<PendingWait>();

  constructor(private readonly host: WaitHost) {}

  /** Sleep for ns of virtual time. */
  sleep(ns: number, what: string): Promise<void> {
    this.host.mightSleep(what);
    const p: PendingWait = { what, site: this.host.here(), since: this.host.sched.now };
    this.pending.add(p);
    return new Promise((resolve) => {
      this.host.sched.after(ns, what, () => {
        this.pending.delete(p);
        this.host.woke();
        resolve();
      });
    });
  }

  /** Park a waiter; `timeoutNs` (Infinity: none) resolves it with 0. */
  park(list: Waiter[], what: string, timeoutNs: number): Promise<number> {
    const pending: PendingWait = { what, site: this.host.here(), since: this.host.sched.now };
    this.pending.add(pending);
    return new Promise<number>((resolve) => {
      const w: Waiter = { resolve, deadline: this.host.sched.now + timeoutNs, pending };
      if (Number.isFinite(timeoutNs)) {
        w.timer = this.host.sched.after(timeoutNs, `${what} timeout`, () => {
          const i = list.indexOf(w);
          if (i >= 0) list.splice(i, 1);
          this.pending.delete(pending);
          this.host.woke();
          resolve(0);
        });
      }
      list.push(w);
    });
  }

  /** Wake a parked waiter: it resolves with the jiffies it had left (at least 1). */
  wake(w: Waiter): void {
    if (w.timer) w.timer.cancelled = true;
    this.pending.delete(w.pending);
    const left = Number.isFinite(w.deadline) ? Math.max(1, Math.ceil((w.deadline - this.host.sched.now) / (1e9 / HZ))) : MAX_SCHEDULE_TIMEOUT;
    this.host.woke();
    w.resolve(left);
  }
}

/** struct completion */
export class Completion {
  done = 0;
  /** @internal */ waiters: Waiter[] = [];
}

/** wait_queue_head_t */
export class WaitQueueHead {
  /** @internal */ waiters: { w: Waiter; cond: () => boolean }[] = [];
}

export type { Waiter };

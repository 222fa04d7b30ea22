/**
 * When a view (the DMA panel, a memory view) asks the adapter again: soon after a request while
 * the program is stopped (several requests in a burst make one read), at most once per interval
 * while it runs, and never two reads at once (a request during a read makes one more read after
 * it). Pure: the clock and the timers are injectable.
 */

export interface Timers {
  now(): number;
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const realTimers: Timers = {
  now: () => Date.now(),
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** Least time between two reads while the program runs. */
export const RUNNING_REFRESH_MS = 500;

/** Delay of a read while stopped: long enough to merge a burst of requests into one. */
export const SETTLE_MS = 15;

export class RefreshThrottle {
  private timer: unknown;
  private due = Infinity;
  private busy = false;
  private again: boolean | undefined;
  private lastStart = -Infinity;

  constructor(
    private readonly read: () => Promise<void>,
    private readonly intervalMs: number,
    private readonly timers: Timers = realTimers,
  ) {}

  /** Ask for a read: `soon` when the program is stopped (exact state), else throttled. */
  request(soon: boolean): void {
    if (this.busy) {
      this.again = (this.again ?? false) || soon;
      return;
    }
    const now = this.timers.now();
    const at = soon ? now + SETTLE_MS : Math.max(now + SETTLE_MS, this.lastStart + this.intervalMs);
    if (this.timer !== undefined) {
      if (at >= this.due) return;
      this.timers.clear(this.timer);
    }
    this.due = at;
    this.timer = this.timers.set(() => void this.fire(), at - now);
  }

  private async fire(): Promise<void> {
    this.timer = undefined;
    this.due = Infinity;
    this.busy = true;
    this.lastStart = this.timers.now();
    try {
      await this.read();
    } finally {
      this.busy = false;
      const again = this.again;
      this.again = undefined;
      if (again !== undefined) this.request(again);
    }
  }

  /** Whether a read is waiting or running. */
  get pending(): boolean {
    return this.busy || this.timer !== undefined;
  }

  cancel(): void {
    if (this.timer !== undefined) this.timers.clear(this.timer);
    this.timer = undefined;
    this.due = Infinity;
    this.again = undefined;
  }
}

/**
 * Virtual time in nanoseconds and the event scheduler. Events at the same instant run in the
 * order they were scheduled, so a run is a pure function of its inputs and its seed.
 */
export interface ScheduledEvent {
  readonly time: number;
  readonly seq: number;
  readonly label: string;
  readonly run: () => void;
  cancelled: boolean;
}

export class Scheduler {
  private heap: ScheduledEvent[] = [];
  private seqNo = 0;
  /** Current virtual time in ns. */
  now = 0;
  /** Events running now (nested when an event busy-waits and runs others): 0 outside any event. */
  depth = 0;

  at(time: number, label: string, run: () => void): ScheduledEvent {
    const ev: ScheduledEvent = { time: Math.max(time, this.now), seq: this.seqNo++, label, run, cancelled: false };
    this.push(ev);
    return ev;
  }

  after(delayNs: number, label: string, run: () => void): ScheduledEvent {
    return this.at(this.now + Math.max(0, delayNs), label, run);
  }

  cancel(ev: ScheduledEvent): void {
    ev.cancelled = true;
  }

  /** Time of the next live event, or undefined when idle. */
  peekTime(): number | undefined {
    this.dropCancelled();
    return this.heap.length ? this.heap[0].time : undefined;
  }

  get pending(): number {
    return this.heap.length;
  }

  /** Run the next event (advancing time to it). False when idle or the next event is past `limit`. */
  step(limit = Infinity): boolean {
    this.dropCancelled();
    const ev = this.heap[0];
    if (!ev || ev.time > limit) return false;
    this.pop();
    this.now = ev.time;
    this.depth++;
    try {
      ev.run();
    } finally {
      this.depth--;
    }
    return true;
  }

  /** Run every event due up to `time`, then set the clock to `time` (a CPU busy for that long). */
  advanceTo(time: number): void {
    while (this.step(time)) {
      /* run due events */
    }
    if (time > this.now) this.now = time;
  }

  /** Events not yet run, in time order (read-only snapshot for consumers). */
  snapshot(): { time: number; label: string }[] {
    return this.heap
      .filter((e) => !e.cancelled)
      .sort((a, b) => a.time - b.time || a.seq - b.seq)
      .map((e) => ({ time: e.time, label: e.label }));
  }

  private dropCancelled(): void {
    while (this.heap.length && this.heap[0].cancelled) this.pop();
  }

  private less(a: ScheduledEvent, b: ScheduledEvent): boolean {
    return a.time < b.time || (a.time === b.time && a.seq < b.seq);
  }

  private push(ev: ScheduledEvent): void {
    const h = this.heap;
    h.push(ev);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  private pop(): ScheduledEvent | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l], h[m])) m = l;
        if (r < h.length && this.less(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}

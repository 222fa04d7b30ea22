/**
 * The CPU's write buffer and read buffer for non-cacheable memory on a weakly-ordered CPU (arm64,
 * 32-bit Arm): what gives wmb(), rmb(), mb(), dma_wmb() and dma_rmb() their meaning here.
 *
 * On a non-coherent platform the CPU reaches a coherent buffer (dma_alloc_coherent, dma_pool) through
 * an uncached mapping: Arm "Normal non-cacheable" memory, which the architecture lets the CPU write
 * and read out of program order unless a barrier says otherwise. (The DDI maps its consistent
 * memory strictly ordered, as its default DDI_STRICTORDER_ACC asks: none of this applies there.)
 * The model, kept small:
 *
 * Stores. A store to non-cacheable memory is posted in the write buffer: the device does not see
 * it yet (the CPU does: its own loads see its posted stores). Posted stores reach RAM
 *  - all of them, in program order, at a store barrier: wmb(), dma_wmb(), mb(), and the barrier
 *    every non-relaxed MMIO write implies (Linux's writel() is `__iowmb(); writel_relaxed()`),
 *    and when memory is unmapped (dma_free_coherent: TLB maintenance is a full barrier);
 *  - all of them, in ascending address order, when more than WRITE_BUFFER_DEPTH stores are posted
 *    or when the CPU stops (the first time virtual time moves after the store: the handler
 *    returned, the task slept, a readl or udelay passed time). Ascending address order is this
 *    model's choice of "any order": without a barrier nothing orders stores to different
 *    addresses, and this one lets the first word of a descriptor (where OWN lives, in the dmalab,nic
 *    format, as in Tulip/stmmac) overtake the buffer address written before it.
 * Each store that reaches RAM is reported to the memory observers (devices polling memory), so a
 * device can see a descriptor exactly as far as it has been written.
 *
 * Loads. A load from non-cacheable memory fetches its whole line into the read buffer, and later
 * loads of that line are served from there: bytes the CPU reads again are fetched again (a CPU
 * never sees a location go back in time), bytes it has not read yet come from the line as it was
 * fetched, possibly older than what a device has written since. The read buffer is emptied by a
 * load barrier: rmb(), dma_rmb(), mb(), the barrier every non-relaxed MMIO read implies (readl() is
 * `readl_relaxed(); __iormb()`), interrupt entry, and every wake-up of a sleeping task. So the
 * classic read-side bug, polling a descriptor's status and then reading its other fields without
 * dma_rmb(), returns fields older than the status.
 *
 * x86 has neither (its stores reach memory in program order and every device on the built-in x86
 * platform snoops the caches): there the barriers cost nothing and change nothing, as on a PC.
 */
import type { PhysicalMemory } from '../hw/physical-memory';
import type { ScheduledEvent, Scheduler } from '../hw/scheduler';
import type { MemoryObservers } from '../devices/memory-observers';

/** Stores the write buffer holds before it drains by itself. */
export const WRITE_BUFFER_DEPTH = 8;
/** Lines the read buffer holds (the oldest is dropped first). */
export const READ_BUFFER_LINES = 8;

interface Posted {
  phys: number;
  data: Uint8Array;
  seq: number;
}

interface ReadLine {
  data: Uint8Array;
  /** 1 for each byte the CPU has read since the line was fetched. */
  read: Uint8Array;
}

export class CpuBuffers {
  private posted: Posted[] = [];
  private seq = 0;
  private drainEvent?: ScheduledEvent;
  private lines = new Map<number, ReadLine>();
  private readonly lineSize: number;
  private readonly tmp: Uint8Array;
  /** Counters for panels and tests: stores posted, drains in order (barriers), drains out of order. */
  readonly stats = { posted: 0, ordered: 0, unordered: 0 };

  constructor(
    private readonly ram: PhysicalMemory,
    private readonly sched: Scheduler,
    private readonly observers: MemoryObservers,
    lineSize: number,
  ) {
    this.lineSize = lineSize;
    this.tmp = new Uint8Array(lineSize);
  }

  /** Stores posted and not yet in RAM. */
  get pending(): number {
    return this.posted.length;
  }

  // ---- stores -----------------------------------------------------------------------------

  /** A CPU store to non-cacheable memory: posted, not yet visible to devices. */
  post(phys: number, src: Uint8Array, srcOff: number, len: number): void {
    if (len <= 0) return;
    this.stats.posted++;
    if (this.lines.size) this.dropLines(phys, len);
    const end = phys + len;
    let merged = false;
    for (const p of this.posted) {
      const pe = p.phys + p.data.length;
      if (end <= p.phys || phys >= pe) continue;
      if (phys >= p.phys && end <= pe && !merged) {
        // write gathering: a store inside an earlier posted one merges into it
        p.data.set(src.subarray(srcOff, srcOff + len), phys - p.phys);
        merged = true;
        continue;
      }
      // a partial overlap the buffer cannot gather: it drains first (in order), then takes the store
      this.storeBarrier();
      merged = false;
      break;
    }
    if (!merged) {
      if (this.posted.length >= WRITE_BUFFER_DEPTH) this.drainUnordered();
      this.posted.push({ phys, data: src.slice(srcOff, srcOff + len), seq: this.seq++ });
    }
    if (!this.drainEvent) this.drainEvent = this.sched.after(0, 'CPU write buffer drains', () => this.idleDrain());
  }

  /** wmb(), dma_wmb(), the barrier in writel(): every posted store reaches RAM, in program order. */
  storeBarrier(): void {
    if (this.posted.length === 0) return;
    this.stats.ordered++;
    const list = this.posted;
    this.posted = [];
    this.cancelDrain();
    for (const p of list) this.land(p);
  }

  // ---- loads ------------------------------------------------------------------------------

  /** A CPU load from non-cacheable memory. */
  load(phys: number, dst: Uint8Array, dstOff: number, len: number): void {
    const ls = this.lineSize;
    while (len > 0) {
      const idx = Math.floor(phys / ls);
      const o = phys - idx * ls;
      const n = Math.min(len, ls - o);
      let line = this.lines.get(idx);
      if (!line) {
        line = { data: new Uint8Array(ls), read: new Uint8Array(ls) };
        this.current(idx * ls, line.data, 0, ls);
        if (this.lines.size >= READ_BUFFER_LINES) this.lines.delete(this.lines.keys().next().value!);
        this.lines.set(idx, line);
      } else if (anySet(line.read, o, n)) {
        // read again: these bytes are fetched again
        this.current(phys, this.tmp, 0, n);
        line.data.set(this.tmp.subarray(0, n), o);
      }
      dst.set(line.data.subarray(o, o + n), dstOff);
      line.read.fill(1, o, o + n);
      phys += n;
      dstOff += n;
      len -= n;
    }
  }

  /** rmb(), dma_rmb(), the barrier in readl(), interrupt entry, a wake-up: the read buffer empties. */
  loadBarrier(): void {
    if (this.lines.size) this.lines.clear();
  }

  /** mb(), and unmapping memory: both. */
  fullBarrier(): void {
    this.storeBarrier();
    this.loadBarrier();
  }

  // ---- internals --------------------------------------------------------------------------

  /** What a load sees now: RAM with the CPU's own posted stores over it, in program order. */
  private current(phys: number, dst: Uint8Array, dstOff: number, len: number): void {
    this.ram.read(phys, dst, dstOff, len);
    const end = phys + len;
    for (const p of this.posted) {
      const pe = p.phys + p.data.length;
      if (pe <= phys || p.phys >= end) continue;
      const s = Math.max(phys, p.phys);
      const e = Math.min(end, pe);
      dst.set(p.data.subarray(s - p.phys, e - p.phys), dstOff + (s - phys));
    }
  }

  private idleDrain(): void {
    this.drainEvent = undefined;
    this.drainUnordered();
  }

  /** No barrier orders these stores: they reach RAM in ascending address order. */
  private drainUnordered(): void {
    if (this.posted.length === 0) return;
    this.stats.unordered++;
    const list = this.posted.sort((a, b) => a.phys - b.phys || a.seq - b.seq);
    this.posted = [];
    this.cancelDrain();
    for (const p of list) this.land(p);
  }

  private land(p: Posted): void {
    this.ram.write(p.phys, p.data, 0, p.data.length);
    this.observers.stored(p.phys, p.data.length, false);
  }

  private cancelDrain(): void {
    if (this.drainEvent) {
      this.drainEvent.cancelled = true;
      this.drainEvent = undefined;
    }
  }

  private dropLines(phys: number, len: number): void {
    const ls = this.lineSize;
    for (let idx = Math.floor(phys / ls); idx * ls < phys + len; idx++) this.lines.delete(idx);
  }
}

function anySet(a: Uint8Array, off: number, n: number): boolean {
  for (let i = off; i < off + n; i++) if (a[i]) return true;
  return false;
}

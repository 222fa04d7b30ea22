/**
 * Devices that poll memory. A network card whose receive engine waits for a descriptor re-reads
 * that descriptor over and over until the CPU hands it over; emulating the loop with timer events
 * would cost time and still miss the moment that matters, so a polling device instead watches the
 * physical bytes it polls and is told, synchronously, each time a CPU store reaches them: it then
 * re-reads them through its DMA port exactly as its next poll would. That is how a device sees a
 * descriptor half written: if the store that sets OWN reaches memory before the store of the
 * buffer address (a missing dma_wmb(), or the two in the wrong order), the device reads the old
 * address at that instant, as infinitely fast polling hardware would.
 *
 * "Reaches memory" depends on who looks: the kernel reports each store with `viaCache` telling
 * whether it went to the CPU cache (visible only to a coherent, snooping device) or to RAM (an
 * uncached store leaving the CPU's write buffer, visible to every device).
 *
 * One registry per machine (keyed on its bus, as the DMA request fabric is).
 */
import type { Bus } from '../hw/bus';

export type StoreWatcher = (viaCache: boolean) => void;

export interface MemoryWatch {
  readonly lo: number;
  readonly hi: number;
  readonly fn: StoreWatcher;
}

export class MemoryObservers {
  private watches: MemoryWatch[] = [];

  /** Whether anyone watches (the CPU's store path tests this before reporting). */
  get active(): boolean {
    return this.watches.length > 0;
  }

  /** Watch physical [phys, phys + len). Returns the handle for `unwatch`. */
  watch(phys: number, len: number, fn: StoreWatcher): MemoryWatch {
    const w: MemoryWatch = { lo: phys, hi: phys + len, fn };
    this.watches.push(w);
    return w;
  }

  unwatch(w: MemoryWatch | undefined): void {
    if (!w) return;
    const i = this.watches.indexOf(w);
    if (i >= 0) this.watches.splice(i, 1);
  }

  /** A CPU store of [phys, phys + len) reached the cache (`viaCache`) or RAM. */
  stored(phys: number, len: number, viaCache: boolean): void {
    const ws = this.watches;
    if (ws.length === 0) return;
    const end = phys + len;
    // a watcher may unwatch (or watch again) while we iterate
    for (const w of ws.length === 1 ? [ws[0]] : [...ws]) if (phys < w.hi && w.lo < end && this.watches.includes(w)) w.fn(viaCache);
  }
}

const registries = new WeakMap<Bus, MemoryObservers>();

/** The memory observers of the machine that owns `bus`. */
export function memoryObservers(bus: Bus): MemoryObservers {
  let r = registries.get(bus);
  if (!r) registries.set(bus, (r = new MemoryObservers()));
  return r;
}

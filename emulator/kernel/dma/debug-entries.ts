/**
 * What the DMA-API checker keeps: one entry per live mapping or coherent allocation, found by device
 * and DMA address (several may share an address, as in dma-debug's hash buckets), and the recent
 * unmaps that tell "after unmap" from "never mapped".
 */
import type { CallSite } from '../call-site';
import type { Device } from '../device';

export type EntryType = 'single' | 'page' | 'scatter-gather' | 'coherent' | 'resource';

export interface PhysRange {
  phys: number;
  len: number;
}

export interface BusRange {
  dma: number;
  len: number;
}

/** One live mapping as the checker tracks it. */
export interface DmaEntry {
  id: number;
  dev: Device;
  type: EntryType;
  /** First DMA address (what unmap is keyed on). */
  dma: number;
  size: number;
  dir: number;
  /** CPU-side memory (the driver's buffer, not the bounce slot). */
  cpu: PhysRange[];
  /** Device-side ranges (segments for a scatterlist). */
  bus: BusRange[];
  /** CPU virtual address for coherent buffers (checked on free). */
  kva: number;
  sgCallEnts: number;
  sgMappedEnts: number;
  mapErr: 'not-checked' | 'checked' | 'none';
  owner: 'cpu' | 'device';
  site?: CallSite;
  /** The call that made it (dma_map_single, ddi_dma_addr_bind_handle...): findings speak its API. */
  api: string;
  t: number;
  /** Bounce slot when swiotlb stands between buffer and device. */
  bounce?: number;
  /**
   * Bounced single mappings the device reads: bytes of the buffer the CPU wrote after they were
   * last copied to the slot (1 = the slot is older). Cleared by what copies them (the map, a sync
   * for the device).
   */
  cpuNewer?: Uint8Array;
  /** Bounced single mappings the device writes: bytes of the slot not yet copied back to the buffer. */
  deviceNewer?: Uint8Array;
  lastDeviceWrite?: { t: number; site?: CallSite };
  /** Virtual time of the unmap, once unmapped. */
  unmappedAt?: number;
}

/** What the device model passes with each access: which transfer it belongs to. */
export interface TransferTag {
  device: Device;
  id: number;
  label: string;
  site?: CallSite;
  t: number;
}

/**
 * Whether the driver made the entry: its API calls carry their script site; the kernel's own (a
 * dmaengine provider's descriptor ring or pool) do not.
 */
export function byDriver(e: DmaEntry): boolean {
  return e.site !== undefined;
}

/** The device-side range of `e` holding bus address `dma`. */
export function segmentAt(e: DmaEntry, dma: number): BusRange | undefined {
  for (const b of e.bus) if (dma >= b.dma && dma < b.dma + b.len) return b;
  return undefined;
}

/** A range a device had mapped, and where it was unmapped. */
export interface Unmapped {
  dma: number;
  len: number;
  /** Where it was unmapped, when that was captured (a finding at the unmap captures it). */
  site?: CallSite;
  /** The mapping it was. */
  entry: DmaEntry;
}

/**
 * One device's live entries by first DMA address. Several can share an address, as in dma-debug's
 * hash buckets: dma-direct gives a buffer the same address each time it is mapped, and mapping a
 * buffer twice (to send it twice) is legal. Oldest first at each address.
 */
export class DeviceEntries {
  private byDma = new Map<number, DmaEntry[]>();

  add(e: DmaEntry): void {
    const l = this.byDma.get(e.dma);
    if (l) l.push(e);
    else this.byDma.set(e.dma, [e]);
  }

  remove(e: DmaEntry): void {
    const l = this.byDma.get(e.dma);
    const i = l ? l.indexOf(e) : -1;
    if (i < 0) return;
    l!.splice(i, 1);
    if (l!.length === 0) this.byDma.delete(e.dma);
  }

  /** The entries mapped at exactly `dma`, oldest first. */
  at(dma: number): readonly DmaEntry[] | undefined {
    return this.byDma.get(dma);
  }

  /** The lists of entries per address (for scans that must not allocate). */
  lists(): IterableIterator<readonly DmaEntry[]> {
    return this.byDma.values();
  }

  all(): DmaEntry[] {
    const out: DmaEntry[] = [];
    for (const l of this.byDma.values()) out.push(...l);
    return out;
  }

  get empty(): boolean {
    return this.byDma.size === 0;
  }
}

/**
 * Of several entries at one address, the one a call names (dma-debug's scoring: size, type,
 * direction and scatterlist count each count one; ties go to the oldest).
 */
export function bestMatch(list: readonly DmaEntry[], ref: { size: number; dir: number; type?: EntryType; sgCallEnts?: number }): DmaEntry {
  if (list.length === 1) return list[0];
  let best = list[0];
  let bestScore = -1;
  for (const e of list) {
    const score = (e.size === ref.size ? 1 : 0) + (e.dir === ref.dir ? 1 : 0) + (ref.type === undefined || e.type === ref.type ? 1 : 0) + (!ref.sgCallEnts || e.sgCallEnts === ref.sgCallEnts ? 1 : 0);
    if (score > bestScore) {
      best = e;
      bestScore = score;
    }
  }
  return best;
}

/** How many recent unmaps a device remembers. */
const UNMAP_HISTORY = 256;

/** Fixed-size ring of recent unmaps, newest first on lookup. */
export class UnmapRing {
  private items: (Unmapped | undefined)[] = new Array(UNMAP_HISTORY);
  private next = 0;

  push(dma: number, len: number, site: CallSite | undefined, entry: DmaEntry): void {
    const slot = this.items[this.next];
    if (slot) {
      slot.dma = dma;
      slot.len = len;
      slot.site = site;
      slot.entry = entry;
    } else this.items[this.next] = { dma, len, site, entry };
    this.next = (this.next + 1) % UNMAP_HISTORY;
  }

  find(dma: number, len: number): Unmapped | undefined {
    for (let k = 1; k <= UNMAP_HISTORY; k++) {
      const u = this.items[(this.next - k + UNMAP_HISTORY) % UNMAP_HISTORY];
      if (!u) return undefined;
      if (dma < u.dma + u.len && u.dma < dma + len) return u;
    }
    return undefined;
  }
}

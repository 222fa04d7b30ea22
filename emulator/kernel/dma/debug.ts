/**
 * The DMA-API checker: what Linux's dma-debug checks (unknown/size/type/direction mismatches on
 * unmap and sync, unchecked map errors, maps from the stack, overlapping cache lines, leaks at
 * driver removal), in its wording, plus what only an emulator can see: the CPU touching a buffer
 * the device owns, stale reads, dirty lines a device never saw, device accesses outside any
 * mapping or after unmap, writes into device-read-only mappings, cache lines a DMA buffer
 * shares with other data, bytes of a bounced buffer a sync did not copy, and a device cutting an
 * address to its width. What it keeps is in debug-entries.ts; how it words things per API, in
 * debug-words.ts.
 */
import type { DeviceAccess } from '../../hw/bus';
import type { IommuFault } from '../../hw/iommu';
import { addr, bytes, hex } from '../../lib/hex';
import type { CallSite } from '../call-site';
import type { Device } from '../device';
import type { FindingId, Related } from '../findings';
import type { Kmalloc } from '../slab';
import { PAGE_SIZE } from '../page-alloc';
import { DMA_BIDIRECTIONAL, DMA_FROM_DEVICE, DMA_TO_DEVICE, dirName } from './dir';
import { bestMatch, byDriver, DeviceEntries, segmentAt, UnmapRing, type DmaEntry, type EntryType, type PhysRange, type TransferTag, type Unmapped } from './debug-entries';
import { LINUX_WORDS, words } from './debug-words';

export type { BusRange, DmaEntry, EntryType, PhysRange, TransferTag } from './debug-entries';

export interface DebugReporter {
  finding(id: FindingId, dev: Device, message: string, site: CallSite | undefined, related: Related[]): void;
  now(): number;
  /** Capture the current script location. */
  here(): CallSite;
}

/** Entries above this size are kept out of the per-page index. */
const BIG_ENTRY = 64 * 1024;

function anyMarked(mask: Uint8Array, from: number, to: number): boolean {
  for (let i = Math.max(0, from); i < Math.min(to, mask.length); i++) if (mask[i]) return true;
  return false;
}

function cpuBytes(e: DmaEntry): number {
  let n = 0;
  for (const r of e.cpu) n += r.len;
  return n;
}

export class DmaDebug {
  private nextId = 1;
  private byDev = new Map<Device, DeviceEntries>();
  /** Small streaming entries by CPU-side page frame (ownership checks on CPU access). */
  private byPfn = new Map<number, DmaEntry[]>();
  /** Streaming entries larger than BIG_ENTRY bytes: few, scanned directly instead of indexed per page. */
  private big = new Set<DmaEntry>();
  /** Recently unmapped ranges per device (a ring), to tell "after unmap" from "never mapped". */
  private unmapped = new Map<Device, UnmapRing>();
  /** The entries the last device accesses fell in (hit()). */
  private lastHit?: DmaEntry;
  private prevHit?: DmaEntry;
  /** Set while a CPU access that already produced an ownership finding is in progress. */
  private accessFlagged = false;
  private accessSite?: CallSite;

  constructor(
    private readonly rep: DebugReporter,
    private readonly lineSize: number,
    private readonly kmalloc: Kmalloc,
  ) {}

  entries(dev?: Device): DmaEntry[] {
    if (dev) return this.byDev.get(dev)?.all() ?? [];
    const out: DmaEntry[] = [];
    for (const m of this.byDev.values()) out.push(...m.all());
    return out;
  }

  /** The newest live entry mapped at exactly `dma`. */
  find(dev: Device, dma: number): DmaEntry | undefined {
    const l = this.byDev.get(dev)?.at(dma);
    return l?.[l.length - 1];
  }

  /**
   * The entry whose device-side ranges contain [dma, dma+size) (bucket_find_contain): of several at
   * `dma` itself the one `ref` matches best, or the newest; else the newest containing one.
   */
  findContaining(dev: Device, dma: number, size = 1, ref?: { size: number; dir: number; sgCallEnts?: number }): DmaEntry | undefined {
    const m = this.byDev.get(dev);
    if (!m) return undefined;
    const exact = m.at(dma);
    if (exact) return ref ? bestMatch(exact, ref) : exact[exact.length - 1];
    for (const l of m.lists()) for (let i = l.length - 1; i >= 0; i--) for (const b of l[i].bus) if (dma >= b.dma && dma + size <= b.dma + b.len) return l[i];
    for (const l of m.lists()) for (let i = l.length - 1; i >= 0; i--) for (const b of l[i].bus) if (dma >= b.dma && dma < b.dma + b.len) return l[i];
    return undefined;
  }

  // ---- map side -------------------------------------------------------------------------

  add(e: Omit<DmaEntry, 'id' | 'owner' | 't'>): DmaEntry {
    const entry = e as DmaEntry;
    entry.id = this.nextId++;
    entry.owner = e.type === 'coherent' ? 'cpu' : 'device';
    entry.t = this.rep.now();
    let m = this.byDev.get(e.dev);
    if (!m) {
      m = new DeviceEntries();
      this.byDev.set(e.dev, m);
    }
    m.add(entry);
    // the new entry may cover addresses a remembered one does: device accesses go to the newest
    this.lastHit = this.prevHit = undefined;
    if (entry.bounce !== undefined && entry.cpu.length === 1 && entry.bus.length === 1) {
      if (entry.dir !== DMA_FROM_DEVICE) entry.cpuNewer = new Uint8Array(entry.size);
      if (entry.dir !== DMA_TO_DEVICE) entry.deviceNewer = new Uint8Array(entry.size);
    }
    if (entry.type !== 'coherent' && entry.type !== 'resource') {
      this.checkOverlappingCachelines(entry);
      if (cpuBytes(entry) > BIG_ENTRY) this.big.add(entry);
      else {
        for (const r of entry.cpu) {
          const last = Math.floor((r.phys + r.len - 1) / PAGE_SIZE);
          for (let pfn = Math.floor(r.phys / PAGE_SIZE); pfn <= last; pfn++) {
            const list = this.byPfn.get(pfn);
            if (list) list.push(entry);
            else this.byPfn.set(pfn, [entry]);
          }
        }
      }
      if (!e.dev.dma.coherent && e.dir !== DMA_TO_DEVICE) this.checkSharedCachelines(entry);
    }
    return entry;
  }

  /** The kernel refused a map from the stack or vmalloc, or the buffer is on the stack. */
  mapFromStack(dev: Device, kva: bigint, site: CallSite | undefined): void {
    this.rep.finding('map-from-stack', dev, `device driver maps memory from stack [addr=${hex(kva)}]`, site, []);
  }

  mapFromVmalloc(dev: Device, site: CallSite | undefined): void {
    this.rep.finding('map-from-vmalloc', dev, `rejecting DMA map of vmalloc memory`, site, []);
  }

  mappingErrorChecked(dev: Device, dma: number): void {
    // the newest unchecked entry at the address: the check follows the map it tests (dma-debug takes
    // the oldest, which blames the wrong line when a buffer is mapped twice at one address)
    const list = this.byDev.get(dev)?.at(dma) ?? [];
    for (let i = list.length - 1; i >= 0; i--) {
      if (list[i].mapErr === 'not-checked') {
        list[i].mapErr = 'checked';
        return;
      }
    }
  }

  // ---- unmap side -----------------------------------------------------------------------

  /**
   * check_unmap(): compare what the driver passes with what was mapped. Returns the entry (removed)
   * so the caller can finish the unmap with the real mapping's facts.
   */
  unmap(dev: Device, ref: { dma: number; size: number; dir: number; type: EntryType; sgCallEnts?: number; kva?: number }, site: CallSite | undefined, isMappingError: boolean): DmaEntry | undefined {
    const at = (): CallSite | undefined => (site ??= this.rep.here());
    const candidates = this.byDev.get(dev)?.at(ref.dma);
    const entry = candidates && bestMatch(candidates, ref);
    const rel = (e: DmaEntry): Related[] => [{ message: `mapped here (${e.type}, ${e.size} bytes, ${dirName(e.dir)})`, site: e.site }];
    if (!entry) {
      if (isMappingError) this.rep.finding('unmap-unknown', dev, `device driver tries to free an invalid DMA memory address`, at(), []);
      else {
        const gone = this.recentlyUnmapped(dev, ref.dma, 1);
        this.rep.finding(
          'unmap-unknown',
          dev,
          `device driver tries to free DMA memory it has not allocated [device address=${addr(ref.dma)}] [size=${ref.size} bytes]`,
          at(),
          gone ? unmappedRelated(gone) : [],
        );
      }
      return undefined;
    }
    if (ref.size !== entry.size) {
      this.rep.finding('unmap-size-mismatch', dev, `device driver frees DMA memory with different size [device address=${addr(ref.dma)}] [map size=${entry.size} bytes] [unmap size=${ref.size} bytes]`, at(), rel(entry));
    }
    if (ref.type !== entry.type) {
      this.rep.finding('unmap-wrong-function', dev, `device driver frees DMA memory with wrong function [device address=${addr(ref.dma)}] [size=${ref.size} bytes] [mapped as ${entry.type}] [unmapped as ${ref.type}]`, at(), rel(entry));
    } else if (entry.type === 'coherent' && ref.kva !== undefined && ref.kva !== entry.kva) {
      this.rep.finding(
        'free-coherent-cpu-mismatch',
        dev,
        `device driver frees DMA memory with different CPU address [device address=${addr(ref.dma)}] [size=${ref.size} bytes] [cpu alloc address=${addr(entry.cpu[0]?.phys ?? 0)}] [cpu free address=${ref.kva === entry.kva ? addr(entry.cpu[0]?.phys ?? 0) : 'not the allocation'}]`,
        at(),
        rel(entry),
      );
    }
    if (ref.sgCallEnts && entry.type === 'scatter-gather' && ref.sgCallEnts !== entry.sgCallEnts) {
      this.rep.finding('sg-count-mismatch', dev, `device driver frees DMA sg list with different entry count [map count=${entry.sgCallEnts}] [unmap count=${ref.sgCallEnts}]`, at(), rel(entry));
    }
    if (ref.dir !== entry.dir && entry.type !== 'coherent') {
      this.rep.finding('unmap-dir-mismatch', dev, `device driver frees DMA memory with different direction [device address=${addr(ref.dma)}] [size=${ref.size} bytes] [mapped with ${dirName(entry.dir)}] [unmapped with ${dirName(ref.dir)}]`, at(), rel(entry));
    }
    if (entry.mapErr === 'not-checked') {
      this.rep.finding('map-error-unchecked', dev, `device driver failed to check map error[device address=${addr(ref.dma)}] [size=${entry.size} bytes] [mapped as ${entry.type}]`, entry.site, [{ message: 'detected at this unmap', site: at() }]);
    }
    this.remove(entry, site);
    return entry;
  }

  // ---- sync -----------------------------------------------------------------------------

  sync(dev: Device, ref: { dma: number; size: number; dir: number; sgCallEnts?: number }, toCpu: boolean, site: CallSite | undefined): DmaEntry | undefined {
    const at = (): CallSite | undefined => (site ??= this.rep.here());
    const entry = this.findContaining(dev, ref.dma, ref.size, ref) ?? this.findContaining(dev, ref.dma, 1, ref);
    if (!entry) {
      this.rep.finding('sync-unknown', dev, `device driver tries to sync DMA memory it has not allocated [device address=${addr(ref.dma)}] [size=${ref.size} bytes]`, at(), []);
      return undefined;
    }
    const rel = (): Related[] => [{ message: `mapped here (${entry.size} bytes, ${dirName(entry.dir)})`, site: entry.site }];
    const seg = segmentAt(entry, ref.dma) ?? entry.bus[0];
    const end = ref.dma - seg.dma + ref.size;
    if (end > seg.len) {
      this.rep.finding('sync-out-of-range', dev, `device driver syncs DMA memory outside allocated range [device address=${addr(entry.dma)}] [allocation size=${entry.size} bytes] [sync offset+size=${end}]`, at(), rel());
    }
    if (entry.dir !== DMA_BIDIRECTIONAL && ref.dir !== entry.dir) {
      this.rep.finding('sync-dir-mismatch', dev, `device driver syncs DMA memory with different direction [device address=${addr(ref.dma)}] [size=${entry.size} bytes] [mapped with ${dirName(entry.dir)}] [synced with ${dirName(ref.dir)}]`, at(), rel());
    }
    if (ref.sgCallEnts && entry.type === 'scatter-gather' && ref.sgCallEnts !== entry.sgCallEnts) {
      this.rep.finding('sg-count-mismatch', dev, `device driver syncs DMA sg list with different entry count [map count=${entry.sgCallEnts}] [sync count=${ref.sgCallEnts}]`, at(), rel());
    }
    entry.owner = toCpu ? 'cpu' : 'device';
    // swiotlb copies what the sync's direction says, over the synced bytes only
    const off = ref.dma - entry.dma;
    if (toCpu && ref.dir !== DMA_TO_DEVICE) entry.deviceNewer?.fill(0, Math.max(0, off), off + ref.size);
    if (!toCpu && ref.dir !== DMA_FROM_DEVICE) entry.cpuNewer?.fill(0, Math.max(0, off), off + ref.size);
    return entry;
  }

  // ---- CPU accesses -----------------------------------------------------------------------

  /** Before every CPU load/store of kernel memory. */
  cpuAccess(phys: number, len: number, write: boolean): void {
    this.accessFlagged = false;
    this.accessSite = undefined;
    // the per-page lists of the access's pages, then the big entries (the hot path: no allocation)
    if (this.byPfn.size) {
      const last = Math.floor((phys + len - 1) / PAGE_SIZE);
      for (let pfn = Math.floor(phys / PAGE_SIZE); pfn <= last; pfn++) {
        const list = this.byPfn.get(pfn);
        if (list) for (const e of list) if (this.entryAccess(e, phys, len, write)) return;
      }
    }
    if (this.big.size) for (const e of this.big) if (this.entryAccess(e, phys, len, write)) return;
  }

  /** A CPU access near entry `e`: bounce bookkeeping, then ownership. True when it made a finding. */
  private entryAccess(e: DmaEntry, phys: number, len: number, write: boolean): boolean {
    if ((e.cpuNewer || e.deviceNewer) && this.bouncedAccess(e, phys, len, write)) return true;
    return e.owner === 'device' && this.ownedAccess(e, phys, len, write);
  }

  /**
   * A CPU access to a bounced buffer: a store makes those bytes newer than the slot; a load of bytes
   * the device wrote to the slot and no sync copied back returns the old bytes (a finding, true).
   */
  private bouncedAccess(e: DmaEntry, phys: number, len: number, write: boolean): boolean {
    const c = e.cpu[0];
    const s = Math.max(phys, c.phys);
    const t = Math.min(phys + len, c.phys + c.len);
    if (t <= s) return false;
    if (write) {
      e.cpuNewer?.fill(1, s - c.phys, t - c.phys);
      return false;
    }
    if (e.owner !== 'cpu' || !e.deviceNewer || !anyMarked(e.deviceNewer, s - c.phys, t - c.phys)) return false;
    const w = words(e);
    const rel: Related[] = [{ message: `mapped here (${w.dir(e.dir)}, ${e.size} bytes, bounced through swiotlb)`, site: e.site }];
    if (e.lastDeviceWrite) rel.push({ message: 'the device wrote the bounce slot (transfer started here)', site: e.lastDeviceWrite.site });
    this.rep.finding(
      'cpu-read-stale',
      e.dev,
      `CPU read ${bytes(t - s)} at offset ${s - c.phys} of a bounced buffer [device address=${addr(e.dma)}] [size=${e.size} bytes] that the device wrote in its swiotlb slot and no ${w.forCpu} or ${w.release} copied back (a sync covered fewer bytes, or none): the read returned the old bytes`,
      this.here(),
      rel,
    );
    this.accessFlagged = true;
    return true;
  }

  /** A CPU access near entry `e`, which the device owns: a finding if it touches the buffer (true) or a line it shares. */
  private ownedAccess(e: DmaEntry, phys: number, len: number, write: boolean): boolean {
    let r: PhysRange | undefined;
    for (const c of e.cpu) {
      if (phys < c.phys + c.len && c.phys < phys + len) {
        r = c;
        break;
      }
    }
    if (!r) {
      if (write) this.sharedLineWrite(e, phys, len);
      return false;
    }
    if (!write && e.dir === DMA_TO_DEVICE) return false; // reading a buffer the device only reads is harmless
    const site = this.here();
    const w = words(e);
    const rel: Related[] = [{ message: `mapped here (${w.dir(e.dir)}, ${e.size} bytes); the device owns it until ${w.forCpu} or ${w.release}`, site: e.site }];
    if (e.lastDeviceWrite) rel.push({ message: `the device wrote it (transfer started here)`, site: e.lastDeviceWrite.site });
    const off = Math.max(phys, r.phys) - r.phys;
    if (write) {
      this.rep.finding('cpu-write-device-owned', e.dev, `CPU writes ${bytes(len)} at offset ${off} of a ${w.dir(e.dir)} buffer the device owns [device address=${addr(e.dma)}] [size=${e.size} bytes]: the device may never see the write, or the write may land over data the device is writing`, site, rel);
    } else {
      this.rep.finding('cpu-read-device-owned', e.dev, `CPU reads ${bytes(len)} at offset ${off} of a ${w.dir(e.dir)} buffer the device owns [device address=${addr(e.dma)}] [size=${e.size} bytes] without ${w.forCpu} or ${w.release}: the bytes may be stale`, site, rel);
    }
    this.accessFlagged = true;
    return true;
  }

  /**
   * Entry lists that may overlap [phys, phys+len): the per-page lists of its pages, then the big
   * entries (callers test the exact overlap).
   */
  private *near(phys: number, len: number): Generator<readonly DmaEntry[]> {
    if (this.byPfn.size) {
      const last = Math.floor((phys + len - 1) / PAGE_SIZE);
      for (let pfn = Math.floor(phys / PAGE_SIZE); pfn <= last; pfn++) {
        const list = this.byPfn.get(pfn);
        if (list) yield list;
      }
    }
    if (this.big.size) yield [...this.big];
  }

  /**
   * The CPU writes bytes that are not part of a device-owned buffer but share a cache line with
   * it: on a non-coherent device the line's write-back will clobber DMA data, or invalidation for
   * the buffer will drop this write.
   */
  private sharedLineWrite(e: DmaEntry, phys: number, len: number): void {
    if (e.dev.dma.coherent || e.dir === DMA_TO_DEVICE) return;
    const ls = this.lineSize;
    for (const r of e.cpu) {
      const head = Math.floor(r.phys / ls) * ls;
      const tail = Math.ceil((r.phys + r.len) / ls) * ls;
      const inHead = phys < r.phys && phys + len > head;
      const inTail = phys + len > r.phys + r.len && phys < tail;
      if (!inHead && !inTail) continue;
      this.rep.finding(
        'cacheline-shared',
        e.dev,
        `CPU writes ${bytes(len)} at phys ${addr(phys)}, in cache line ${addr(Math.floor((inHead ? phys + len - 1 : phys) / ls) * ls)} which it shares with a ${dirName(e.dir)} DMA buffer the device owns [device address=${addr(e.dma)}] [size=${e.size} bytes]: on this non-coherent platform the line's write-back overwrites DMA data, or invalidating the buffer drops this write (align and pad DMA buffers to the ${ls}-byte cache line)`,
        this.here(),
        [{ message: `the DMA buffer was mapped here (${dirName(e.dir)})`, site: e.site }],
      );
      return;
    }
  }

  /** The CPU read a cache line a non-coherent device had written behind it (called during the access). */
  staleRead(lineAddr: number, staleBy: unknown): void {
    if (this.accessFlagged) return;
    const tag = staleBy as TransferTag | undefined;
    if (!tag || !tag.device) return;
    const entry = this.entryForPhys(tag.device, lineAddr);
    const rel: Related[] = [{ message: `the device wrote RAM here at ${(tag.t / 1000).toFixed(3)} us (${tag.label})`, site: tag.site }];
    const w = words(entry);
    if (entry) rel.push({ message: `buffer mapped here (${w.dir(entry.dir)})`, site: entry.site });
    this.rep.finding(
      'cpu-read-stale',
      tag.device,
      `CPU read stale data at phys ${addr(lineAddr)}: the cache line was filled before the device wrote RAM and was never invalidated (missing ${w.forCpu}${w === LINUX_WORDS ? ', or DMA_ATTR_SKIP_CPU_SYNC without a sync' : ''}); the read returned the old bytes`,
      this.here(),
      rel,
    );
  }

  // ---- device accesses ------------------------------------------------------------------

  /** After a device access, `done` bytes of which reached memory. */
  deviceAccess(a: DeviceAccess, done: number, dev: Device, tag: TransferTag | undefined): void {
    if (done < a.len && !a.port.iommu && a.port.lastError) {
      // no IOMMU to fault: the bus could not deliver the access at all
      const cut = this.truncatedMapping(dev, a.bus + done);
      this.rep.finding(
        'device-access-out-of-mapping',
        dev,
        `device ${a.write ? 'wrote' : 'read'} at ${addr(a.bus + done)}, which no DMA mapping of ${dev.name} covers: ${a.port.lastError} (the device sees a bus error)${cut ? `; ${cut.cause}` : ''}`,
        tag?.site,
        cut ? [cut.related] : [],
      );
    }
    if (done <= 0) return;
    let pos = a.bus;
    const end = a.bus + done;
    while (pos < end) {
      let e = this.hit(dev, pos);
      // a write the newest mapping there forbids may be allowed by another one at the same address
      if (e && a.write && e.dir === DMA_TO_DEVICE) e = this.byDev.get(dev)?.at(e.dma)?.find((x) => x.dir !== DMA_TO_DEVICE && segmentAt(x, pos)) ?? e;
      if (!e) {
        // how far until a mapping starts again?
        let next = end;
        for (const x of this.byDev.get(dev)?.all() ?? []) for (const b of x.bus) if (b.dma > pos && b.dma < next) next = b.dma;
        this.uncovered(dev, a, pos, next - pos, tag);
        pos = next;
        continue;
      }
      const b = segmentAt(e, pos)!;
      const n = Math.min(end, b.dma + b.len) - pos;
      if (e.cpuNewer || e.deviceNewer) this.bouncedDeviceAccess(e, a.write, pos - e.dma, n, dev, tag);
      if (a.write) {
        const w = e.lastDeviceWrite;
        if (w) {
          w.t = this.rep.now();
          w.site = tag?.site;
        } else e.lastDeviceWrite = { t: this.rep.now(), site: tag?.site };
        if (e.dir === DMA_TO_DEVICE) {
          this.rep.finding(
            'device-write-to-device-read-only',
            dev,
            `device wrote ${bytes(n)} at ${addr(pos)} into a DMA_TO_DEVICE mapping [device address=${addr(e.dma)}] [size=${e.size} bytes]: the device may only read it`,
            tag?.site,
            [{ message: `mapped here (DMA_TO_DEVICE)`, site: e.site }],
          );
        }
      }
      pos += n;
    }
  }

  /** A device access to a bounced mapping's slot, `n` bytes at offset `off`. */
  private bouncedDeviceAccess(e: DmaEntry, write: boolean, off: number, n: number, dev: Device, tag: TransferTag | undefined): void {
    if (write) {
      e.deviceNewer?.fill(1, off, off + n);
      return;
    }
    if (!e.cpuNewer || !anyMarked(e.cpuNewer, off, off + n)) return;
    let stale = 0;
    for (let i = off; i < off + n; i++) stale += e.cpuNewer[i];
    this.rep.finding(
      'dirty-cache-not-flushed',
      dev,
      `device read ${bytes(n)} at offset ${off} of a bounced buffer [device address=${addr(e.dma)}] [size=${e.size} bytes] from its swiotlb slot, ${bytes(stale)} of which the CPU had written since they were last copied there (no ${words(e).forDevice} after the write, or one that covered fewer bytes): the device got the old bytes`,
      tag?.site,
      [{ message: `mapped here (${words(e).dir(e.dir)}, ${e.size} bytes, bounced through swiotlb)`, site: e.site }],
    );
  }

  /** Explain an IOMMU fault in terms of the driver's mappings. */
  iommuFault(dev: Device, f: IommuFault, tag: TransferTag | undefined): void {
    const e = this.findContaining(dev, f.iova, 1);
    const related: Related[] = [];
    let cause: string;
    if (e && f.write && e.dir === DMA_TO_DEVICE) {
      cause = `the device wrote a DMA_TO_DEVICE mapping (read-only for the device)`;
      related.push({ message: 'mapped here (DMA_TO_DEVICE)', site: e.site });
    } else if (e && !f.write && e.dir === DMA_FROM_DEVICE) {
      cause = `the device read a DMA_FROM_DEVICE mapping (write-only for the device)`;
      related.push({ message: 'mapped here (DMA_FROM_DEVICE)', site: e.site });
    } else {
      const gone = this.recentlyUnmapped(dev, f.iova, 1);
      const cut = gone ? undefined : this.truncatedMapping(dev, f.iova);
      if (gone) {
        cause = `the IOVA was unmapped before the device used it`;
        related.push(...unmappedRelated(gone));
      } else if (cut) {
        cause = cut.cause;
        related.push(cut.related);
      } else cause = `no mapping of this device covers the IOVA`;
    }
    this.rep.finding('iommu-fault', dev, `${f.line} (${cause})`, tag?.site, related);
  }

  // ---- end of life ----------------------------------------------------------------------

  /** BUS_NOTIFY_UNBOUND_DRIVER: anything still mapped is a leak. Returns how many. */
  driverUnbound(dev: Device, site: CallSite | undefined): number {
    const m = this.byDev.get(dev);
    if (!m || m.empty) return 0;
    const all = m.all().sort((a, b) => a.id - b.id);
    const e = all[0];
    this.rep.finding(
      'leak-at-remove',
      dev,
      `device driver has pending DMA allocations while released from device [count=${all.length}]\nOne of leaked entries details: [device address=${addr(e.dma)}] [size=${e.size} bytes] [mapped with ${dirName(e.dir)}] [mapped as ${e.type}]`,
      e.site ?? site,
      all.slice(0, 8).map((x) => ({ message: `still mapped: ${x.type} ${addr(x.dma)}, ${x.size} bytes, ${dirName(x.dir)}`, site: x.site })),
    );
    for (const x of all) this.remove(x, undefined);
    return all.length;
  }

  // ---- internals ------------------------------------------------------------------------

  private here(): CallSite {
    if (!this.accessSite) this.accessSite = this.rep.here();
    return this.accessSite;
  }

  /**
   * The entry a device access at `dma` falls in. The last two entries hit are tried first: a
   * device mostly alternates between a descriptor ring and the buffer a descriptor names.
   */
  private hit(dev: Device, dma: number): DmaEntry | undefined {
    // remove() and add() forget them, so a remembered entry is live and the newest there
    const l = this.lastHit;
    if (l && l.dev === dev && segmentAt(l, dma)) return l;
    const p = this.prevHit;
    if (p && p.dev === dev && segmentAt(p, dma)) {
      this.prevHit = l;
      this.lastHit = p;
      return p;
    }
    const e = this.findContaining(dev, dma, 1);
    if (e) {
      this.prevHit = l;
      this.lastHit = e;
    }
    return e;
  }

  private uncovered(dev: Device, a: DeviceAccess, pos: number, len: number, tag: TransferTag | undefined): void {
    const gone = this.recentlyUnmapped(dev, pos, len);
    const what = a.write ? 'wrote' : 'read';
    if (gone) {
      this.rep.finding(
        'device-access-after-unmap',
        dev,
        `device ${what} ${bytes(len)} at ${addr(pos)} after the driver unmapped it [device address=${addr(gone.dma)}] [size=${gone.len} bytes]`,
        tag?.site,
        unmappedRelated(gone),
      );
    } else {
      const cut = this.truncatedMapping(dev, pos);
      const near = cut ? undefined : this.nearest(dev, pos);
      this.rep.finding(
        'device-access-out-of-mapping',
        dev,
        `device ${what} ${bytes(len)} at ${addr(pos)}, which no DMA mapping of ${dev.name} covers${cut ? `: ${cut.cause}` : ''}`,
        tag?.site,
        cut ? [cut.related] : near ? [{ message: `nearest mapping: ${addr(near.dma)}, ${near.size} bytes, ${dirName(near.dir)}`, site: near.site }] : [],
      );
    }
  }

  /**
   * A live mapping of `dev` above what the device can address that, cut to its address width
   * (`dmalab,dma-bits`), lands on `pos`: the driver set a DMA mask wider than the device drives.
   */
  private truncatedMapping(dev: Device, pos: number): { cause: string; related: Related } | undefined {
    // only a width the node states: models differ in what they assume without one
    const bits = dev.desc.knob('dmalab,dma-bits', 64);
    if (bits >= 53) return undefined;
    const span = 2 ** bits;
    for (const e of this.byDev.get(dev)?.all() ?? []) {
      for (const b of e.bus) {
        if (b.dma + b.len <= span) continue;
        const cut = b.dma % span;
        if (pos < cut || pos >= cut + b.len) continue;
        const maskBits = dev.dma.mask.toString(2).length;
        return {
          cause: `the device drives ${bits} address bits, so the mapping at ${addr(b.dma)} reached it as ${addr(cut)}: the driver's ${maskBits}-bit DMA mask is wider than the device can address (DMA_BIT_MASK(${bits}))`,
          related: { message: `mapped here (${addr(e.dma)}, ${e.size} bytes, ${dirName(e.dir)}) under the ${maskBits}-bit mask`, site: e.site },
        };
      }
    }
    return undefined;
  }

  /** The driver's mapping nearest to `pos` (the kernel's own, such as a provider's descriptor pool, are left out). */
  private nearest(dev: Device, pos: number): DmaEntry | undefined {
    let best: DmaEntry | undefined;
    let dist = Infinity;
    for (const e of this.byDev.get(dev)?.all() ?? []) {
      if (!byDriver(e)) continue;
      for (const b of e.bus) {
        const d = pos < b.dma ? b.dma - pos : pos - (b.dma + b.len - 1);
        if (d < dist) {
          dist = d;
          best = e;
        }
      }
    }
    return best;
  }

  private recentlyUnmapped(dev: Device, dma: number, len: number): Unmapped | undefined {
    return this.unmapped.get(dev)?.find(dma, len);
  }

  private entryForPhys(dev: Device, phys: number): DmaEntry | undefined {
    for (const list of this.near(phys, 1)) for (const e of list) if (e.dev === dev && e.cpu.some((c) => phys >= c.phys - this.lineSize && phys < c.phys + c.len)) return e;
    return undefined;
  }

  private remove(entry: DmaEntry, site: CallSite | undefined): void {
    entry.unmappedAt = this.rep.now();
    this.byDev.get(entry.dev)?.remove(entry);
    if (this.lastHit === entry) this.lastHit = undefined;
    if (this.prevHit === entry) this.prevHit = undefined;
    if (entry.type !== 'coherent' && entry.type !== 'resource' && !this.big.delete(entry)) {
      for (const r of entry.cpu) {
        for (let pfn = Math.floor(r.phys / PAGE_SIZE); pfn * PAGE_SIZE < r.phys + r.len; pfn++) {
          const list = this.byPfn.get(pfn);
          if (!list) continue;
          const i = list.indexOf(entry);
          if (i >= 0) list.splice(i, 1);
          if (list.length === 0) this.byPfn.delete(pfn);
        }
      }
    }
    let h = this.unmapped.get(entry.dev);
    if (!h) {
      h = new UnmapRing();
      this.unmapped.set(entry.dev, h);
    }
    for (const b of entry.bus) h.push(b.dma, b.len, site, entry);
  }

  /**
   * dma-debug's active cacheline tracking: two live streaming mappings may not share a cache line
   * unless both are DMA_TO_DEVICE. Checked against the mappings of the same pages.
   */
  private checkOverlappingCachelines(e: DmaEntry): void {
    if (e.dir === DMA_TO_DEVICE) return;
    const ls = this.lineSize;
    for (const r of e.cpu) {
      const lo = Math.floor(r.phys / ls);
      const hi = Math.floor((r.phys + r.len - 1) / ls);
      for (const list of this.near(lo * ls, (hi - lo + 1) * ls)) {
        for (const other of list) {
          if (other.dir === DMA_TO_DEVICE || other === e) continue;
          for (const o of other.cpu) {
            const olo = Math.floor(o.phys / ls);
            const ohi = Math.floor((o.phys + o.len - 1) / ls);
            if (olo > hi || ohi < lo) continue;
            this.rep.finding(
              'overlapping-cacheline',
              e.dev,
              `cacheline tracking EEXIST, overlapping mappings aren't supported [cacheline=${addr(Math.max(lo, olo) * ls)}]`,
              e.site,
              [{ message: `the other live mapping of this cache line (${dirName(other.dir)}, ${other.size} bytes)`, site: other.site }],
            );
            return;
          }
        }
      }
    }
  }

  /**
   * A streaming buffer a non-coherent device writes must own its cache lines: bytes of a partly
   * covered line that belong to live CPU data are lost or corrupt the DMA data.
   */
  private checkSharedCachelines(e: DmaEntry): void {
    if (e.dev.dma.coherent || e.dir === DMA_TO_DEVICE) return;
    const ls = this.lineSize;
    for (const r of e.cpu) {
      const edges: [number, number][] = [];
      const headLine = Math.floor(r.phys / ls) * ls;
      if (headLine < r.phys) edges.push([headLine, r.phys]);
      const end = r.phys + r.len;
      const tailLine = Math.ceil(end / ls) * ls;
      if (tailLine > end) edges.push([end, tailLine]);
      for (const [s, t] of edges) {
        const who = this.liveDataIn(s, t, this.kmalloc.objectAt(r.phys)?.phys ?? -1);
        if (!who) continue;
        this.rep.finding(
          'cacheline-shared',
          e.dev,
          `DMA buffer [phys ${addr(r.phys)}, ${r.len} bytes, ${dirName(e.dir)}] shares cache line ${addr(Math.floor(s / ls) * ls)} (${ls} bytes) with ${who}: CPU writes to that data while the device owns the buffer are lost or overwrite DMA data`,
          e.site,
          [],
        );
        return;
      }
    }
  }

  private liveDataIn(s: number, t: number, self: number): string | undefined {
    for (let p = s; p < t; ) {
      const obj = this.kmalloc.objectAt(p);
      if (obj) {
        const used = Math.min(t, obj.phys + obj.size);
        if (obj.phys !== self && used > p && p >= obj.phys) return `another live ${obj.cache ?? 'kmalloc'} object at ${addr(obj.phys)} (${obj.size} bytes)`;
        p = obj.phys + obj.objSize;
        continue;
      }
      p = Math.floor(p / 8) * 8 + 8;
    }
    return undefined;
  }
}

/** Helper kept beside the checker: the finding for a device that read RAM under dirty CPU lines. */
export function dirtyReadFinding(debug: DmaDebug, rep: DebugReporter, lineAddr: number, tag: TransferTag | undefined): void {
  if (!tag || !tag.device) return;
  const entry = debug.entries(tag.device).find((e) => e.cpu.some((c) => lineAddr + 1 > c.phys && lineAddr < c.phys + c.len));
  rep.finding(
    'dirty-cache-not-flushed',
    tag.device,
    `device read RAM at phys ${addr(lineAddr)} while the CPU cache held newer, dirty data for that line: the device got the old bytes (the CPU wrote the buffer after ${words(entry).map}/${words(entry).forDevice}${words(entry) === LINUX_WORDS ? ', or mapped it with DMA_ATTR_SKIP_CPU_SYNC' : ''})`,
    tag.site,
    entry ? [{ message: `buffer mapped here (${words(entry).dir(entry.dir)})`, site: entry.site }] : [],
  );
}

function unmappedRelated(u: Unmapped): Related[] {
  const out: Related[] = [];
  if (u.site) out.push({ message: 'unmapped here', site: u.site });
  out.push({ message: `it was mapped here (${u.entry.type}, ${u.entry.size} bytes, ${dirName(u.entry.dir)}) and unmapped at ${(u.entry.unmappedAt! / 1000).toFixed(3)} us`, site: u.entry.site });
  return out;
}

/**
 * An IOMMU: per-requester contexts pointing at page tables in RAM, a hardware walker, an IOTLB
 * with explicit invalidation, and fault recording. The kernel programs contexts and tables; a
 * device's every DMA access is translated here (or faults, and the device sees an error).
 */
import { PhysicalMemory } from './physical-memory';
import { BLOCK_SIZE, IO_LEVELS, IO_PAGE_SIZE, IOVA_BITS, PteFormat, levelIndex, lpaeS1Format, vtdFormat } from './io-pte';
import { hex } from '../lib/hex';

export type IommuKind = 'vtd' | 'smmuv3';

export interface IommuFault {
  iommu: string;
  streamId: number;
  iova: number;
  write: boolean;
  /** 'translation' (no valid entry) or 'permission' (entry lacks the access). */
  reason: 'translation' | 'permission';
  /** The level where the walk stopped. */
  level: number;
  /** The kernel-style log line. */
  line: string;
}

interface Context {
  domainId: number;
  root: number;
}

const IOTLB_ENTRIES = 1024;
const PAGE = IO_PAGE_SIZE;

export class Iommu {
  readonly format: PteFormat;
  private contexts = new Map<number, Context>();
  /** key: domainId * 2^36 + iova page number → phys page | perm bits (read: +1, write: +2) encoded as [phys, perm]. */
  private iotlb = new Map<number, number>();
  /**
   * Paging-structure cache, per 2 MiB region (domainId * 2^27 + (iova >> 21)): the leaf table's
   * address, or for a 2 MiB block its address + permission bits (a block's value is not a
   * multiple of 4). Invalidated with the IOTLB.
   */
  private walkCache = new Map<number, number>();
  /**
   * The IOTLB entry the last translation used (requester, page, entry): a device streaming through
   * one page skips the lookups. Always a copy of a present IOTLB entry: forgotten on invalidation
   * and context changes (an eviction only happens on a miss, which replaces it).
   */
  private lastStream = -1;
  private lastVpn = -1;
  private lastEntry = 0;
  faults: IommuFault[] = [];
  onFault?: (f: IommuFault) => void;
  stats = { walks: 0, iotlbHits: 0, invalidations: 0 };

  constructor(
    readonly name: string,
    readonly kind: IommuKind,
    private readonly ram: PhysicalMemory,
    /** Device name for log lines, e.g. "dmar0" or "9050000.iommu". */
    readonly logName: string,
  ) {
    this.format = kind === 'vtd' ? vtdFormat : lpaeS1Format;
  }

  /** Program the context (VT-d context entry / SMMU stream table entry) for a requester. */
  attach(streamId: number, domainId: number, rootTable: number): void {
    this.lastStream = -1;
    this.contexts.set(streamId, { domainId, root: rootTable });
  }

  detach(streamId: number): void {
    this.lastStream = -1;
    this.contexts.delete(streamId);
  }

  /** Invalidate IOTLB entries of a domain for [iova, iova+size) (the kernel's iotlb_sync). */
  invalidate(domainId: number, iova: number, size: number): void {
    this.stats.invalidations++;
    this.lastStream = -1;
    const base = domainId * 2 ** 36;
    const first = Math.floor(iova / PAGE);
    const last = Math.floor((iova + size - 1) / PAGE);
    for (let r = Math.floor(iova / BLOCK_SIZE); r <= Math.floor((iova + size - 1) / BLOCK_SIZE); r++) this.walkCache.delete(domainId * 2 ** 27 + r);
    if (last - first > this.iotlb.size) {
      for (const k of this.iotlb.keys()) {
        const vpn = k - base;
        if (vpn >= first && vpn <= last) this.iotlb.delete(k);
      }
    } else {
      for (let vpn = first; vpn <= last; vpn++) this.iotlb.delete(base + vpn);
    }
  }

  /**
   * Translate one access that does not cross a 4 KiB page. Returns the physical address, or -1
   * after recording a fault.
   */
  translate(streamId: number, iova: number, write: boolean): number {
    const vpn = Math.floor(iova / PAGE);
    let e: number | undefined;
    if (streamId === this.lastStream && vpn === this.lastVpn) {
      e = this.lastEntry;
      this.stats.iotlbHits++;
    } else {
      const ctx = this.contexts.get(streamId);
      if (!ctx) return this.fault(streamId, iova, write, 'translation', IO_LEVELS + 1);
      if (iova < 0 || iova >= 2 ** IOVA_BITS) return this.fault(streamId, iova, write, 'translation', IO_LEVELS);
      const key = ctx.domainId * 2 ** 36 + vpn;
      e = this.iotlb.get(key);
      if (e === undefined) {
        e = this.walk(ctx, iova);
        if (e < 0) return this.fault(streamId, iova, write, 'translation', -e);
        if (this.iotlb.size >= IOTLB_ENTRIES) this.iotlb.delete(this.iotlb.keys().next().value!);
        this.iotlb.set(key, e);
      } else this.stats.iotlbHits++;
      this.lastStream = streamId;
      this.lastVpn = vpn;
      this.lastEntry = e;
    }
    const perm = e % 4;
    if (write ? (perm & 2) === 0 : (perm & 1) === 0) return this.fault(streamId, iova, write, 'permission', 1);
    return e - perm + (iova % PAGE);
  }

  /**
   * Translate the longest physically contiguous run starting at `iova`, up to `maxLen` bytes, the
   * way a walker that prefetches a leaf table's consecutive entries does. Returns the physical
   * address and sets `lastRun` to the run's length; -1 after recording a fault (at `iova` itself).
   * A fault further on just ends the run: the next call starts there and reports it.
   */
  translateRun(streamId: number, iova: number, maxLen: number, write: boolean): number {
    const first = this.translate(streamId, iova, write);
    if (first < 0) {
      this.lastRun = 0;
      return -1;
    }
    let len = Math.min(maxLen, PAGE - (iova % PAGE));
    if (len >= maxLen) {
      this.lastRun = len;
      return first;
    }
    const ctx = this.contexts.get(streamId)!;
    const need = write ? 2 : 1;
    let table = -1;
    let tableKey = -1;
    while (len < maxLen) {
      const next = iova + len;
      const wkey = ctx.domainId * 2 ** 27 + Math.floor(next / BLOCK_SIZE);
      if (wkey !== tableKey) {
        tableKey = wkey;
        let t = this.walkCache.get(wkey);
        if (t === undefined) {
          // walk the next region now; an invalid entry ends the run (the next call reports the fault)
          if (this.walk(ctx, next) < 0) break;
          t = this.walkCache.get(wkey);
          if (t === undefined) break;
        }
        table = t;
      }
      if (table % 4 !== 0) {
        // a 2 MiB block: contiguous to its end if it continues the run with the right permission
        const blockPhys = table - (table % 4) + (next % BLOCK_SIZE);
        if (blockPhys !== first + len || ((table % 4) & need) === 0) break;
        len = Math.min(maxLen, len + (BLOCK_SIZE - (next % BLOCK_SIZE)));
        continue;
      }
      const e = this.format.leaf(this.ram.readU64(table + levelIndex(next, 1) * 8));
      // `next` is page-aligned, so the page must sit exactly at first + len
      if (e < 0 || e - (e % 4) !== first + len || ((e % 4) & need) === 0) break;
      len = Math.min(maxLen, len + PAGE);
    }
    this.lastRun = len;
    return first;
  }

  /** Length of the run the last translateRun() returned. */
  lastRun = 0;

  /** Read-only walk for consumers (panel, device view): physical address or -1. */
  lookup(streamId: number, iova: number): { phys: number; read: boolean; write: boolean } | undefined {
    const ctx = this.contexts.get(streamId);
    if (!ctx) return undefined;
    const e = this.walk(ctx, iova, false);
    if (e < 0) return undefined;
    const perm = e % 4;
    return { phys: e - perm + (iova % PAGE), read: (perm & 1) !== 0, write: (perm & 2) !== 0 };
  }

  contextOf(streamId: number): { domainId: number; root: number } | undefined {
    return this.contexts.get(streamId);
  }

  /** Walk the tables: returns pagePhys + perm bits, or -(level where it stopped). */
  private walk(ctx: Context, iova: number, count = true): number {
    if (count) this.stats.walks++;
    const wkey = ctx.domainId * 2 ** 27 + Math.floor(iova / 2 ** 21);
    let table = this.walkCache.get(wkey);
    if (table === undefined) {
      table = ctx.root;
      for (let level = IO_LEVELS; level > 1; level--) {
        const e = this.format.upper(this.ram.readU64(table + levelIndex(iova, level) * 8));
        if (e < 0) return -level;
        if (e % 4 !== 0) {
          if (level !== 2) return -level; // 1 GiB blocks are never written
          this.walkCache.set(wkey, e);
          return e - (e % 4) + (Math.floor((iova % BLOCK_SIZE) / PAGE) * PAGE) + (e % 4);
        }
        table = e;
      }
      this.walkCache.set(wkey, table);
    } else if (table % 4 !== 0) {
      return table - (table % 4) + Math.floor((iova % BLOCK_SIZE) / PAGE) * PAGE + (table % 4);
    }
    const leaf = this.format.leaf(this.ram.readU64(table + levelIndex(iova, 1) * 8));
    return leaf < 0 ? -1 : leaf;
  }

  /** Forget the walk cache for a domain (its tables were torn down). */
  dropDomain(domainId: number): void {
    this.lastStream = -1;
    for (const k of [...this.walkCache.keys()]) if (Math.floor(k / 2 ** 27) === domainId) this.walkCache.delete(k);
    for (const k of [...this.iotlb.keys()]) if (Math.floor(k / 2 ** 36) === domainId) this.iotlb.delete(k);
  }

  private fault(streamId: number, iova: number, write: boolean, reason: 'translation' | 'permission', level: number): number {
    const line =
      this.kind === 'vtd'
        ? `DMAR: [DMA ${write ? 'Write' : 'Read'} NO_PASID] Request device [${bdf(streamId)}] fault addr ${hex(iova)} [fault reason ${write ? '0x05] PTE Write' : '0x06] PTE Read'} access is not set`
        : `arm-smmu-v3 ${this.logName}: event 0x${reason === 'translation' ? '10 (F_TRANSLATION)' : '13 (F_PERMISSION)'} received: sid ${hex(streamId)} iova ${hex(iova, 16)} ${write ? 'write' : 'read'} s1 "${reason === 'translation' ? 'Translation' : 'Permission'} fault" level ${Math.min(level, 3)}`;
    const f: IommuFault = { iommu: this.name, streamId, iova, write, reason, level, line };
    this.faults.push(f);
    this.onFault?.(f);
    return -1;
  }
}

/** PCI requester id (bus:dev.fn) of a VT-d source id. */
export function bdf(sid: number): string {
  const bus = (sid >> 8) & 0xff;
  const dev = (sid >> 3) & 0x1f;
  const fn = sid & 7;
  return `${bus.toString(16).padStart(2, '0')}:${dev.toString(16).padStart(2, '0')}.${fn}`;
}

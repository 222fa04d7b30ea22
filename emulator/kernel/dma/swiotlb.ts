/**
 * swiotlb: a pool of bounce slots in memory every device can reach. 2 KiB slots grouped in
 * segments of 128; a mapping takes contiguous slots inside one segment (so at most 256 KiB), and
 * page-sized or larger mappings start on a page boundary. Data is copied by the CPU (through its
 * cache) between the original buffer and the slot on map, sync and unmap.
 */
import type { DataCache } from '../../hw/cache';
import { PAGE_SIZE } from '../page-alloc';

export const IO_TLB_SHIFT = 11;
export const IO_TLB_SIZE = 1 << IO_TLB_SHIFT;
export const IO_TLB_SEGSIZE = 128;

export interface SlotInfo {
  orig: number;
  /** Slots of this mapping (on its first slot). */
  nslots: number;
  allocSize: number;
}

export class Swiotlb {
  readonly nslabs: number;
  /** Per slot: the mapping's original physical address, or -1 when free. */
  private orig: Float64Array;
  private count: Int32Array;
  private maps = new Map<number, SlotInfo>();
  used = 0;
  private hintSeg = 0;
  /** Highest number of slots ever in use. */
  highWater = 0;

  constructor(
    readonly name: string,
    readonly start: number,
    readonly size: number,
  ) {
    this.nslabs = Math.floor(size / IO_TLB_SIZE);
    this.orig = new Float64Array(this.nslabs).fill(-1);
    this.count = new Int32Array(this.nslabs);
  }

  get end(): number {
    return this.start + this.nslabs * IO_TLB_SIZE;
  }

  contains(phys: number): boolean {
    return phys >= this.start && phys < this.end;
  }

  /** Largest mapping the pool can take. */
  static get maxMappingSize(): number {
    return IO_TLB_SIZE * IO_TLB_SEGSIZE;
  }

  /** Find slots for `size` bytes that start at or below `limit`-reachable addresses. Returns the slot phys or -1. */
  alloc(orig: number, size: number, reachable: (phys: number, size: number) => boolean): number {
    const nslots = Math.ceil(size / IO_TLB_SIZE);
    if (nslots > IO_TLB_SEGSIZE || nslots === 0) return -1;
    const stride = size >= PAGE_SIZE ? PAGE_SIZE / IO_TLB_SIZE : 1;
    const nsegs = Math.ceil(this.nslabs / IO_TLB_SEGSIZE);
    for (let n = 0; n < nsegs; n++) {
      // start where the last allocation succeeded, like the kernel's per-area index
      const seg = (this.hintSeg + n) % nsegs;
      const first = seg * IO_TLB_SEGSIZE;
      const last = Math.min(first + IO_TLB_SEGSIZE, this.nslabs);
      for (let i = first; i + nslots <= last; i += stride) {
        let free = true;
        for (let k = 0; k < nslots; k++) {
          if (this.orig[i + k] !== -1) {
            free = false;
            break;
          }
        }
        if (!free) continue;
        const phys = this.start + i * IO_TLB_SIZE;
        if (!reachable(phys, size)) continue;
        for (let k = 0; k < nslots; k++) {
          this.orig[i + k] = orig + k * IO_TLB_SIZE;
          this.count[i + k] = nslots - k;
        }
        this.maps.set(phys, { orig, nslots, allocSize: size });
        this.hintSeg = seg;
        this.used += nslots;
        if (this.used > this.highWater) this.highWater = this.used;
        return phys;
      }
    }
    return -1;
  }

  /** The mapping whose slots hold `tlb` (any address inside them). */
  infoAt(tlb: number): { slot: number; info: SlotInfo } | undefined {
    if (!this.contains(tlb)) return undefined;
    let i = Math.floor((tlb - this.start) / IO_TLB_SIZE);
    while (i > 0 && this.orig[i] !== -1 && !this.maps.has(this.start + i * IO_TLB_SIZE)) i--;
    const slot = this.start + i * IO_TLB_SIZE;
    const info = this.maps.get(slot);
    return info ? { slot, info } : undefined;
  }

  /** Original physical address behind a bounce address. */
  origOf(tlb: number): number {
    const at = this.infoAt(tlb);
    return at ? at.info.orig + (tlb - at.slot) : -1;
  }

  release(slot: number): boolean {
    const info = this.maps.get(slot);
    if (!info) return false;
    this.maps.delete(slot);
    const i = (slot - this.start) / IO_TLB_SIZE;
    for (let k = 0; k < info.nslots; k++) {
      this.orig[i + k] = -1;
      this.count[i + k] = 0;
    }
    this.used -= info.nslots;
    return true;
  }

  /** CPU copy between the original buffer and the slot (the kernel's memcpy: see DataCache.cpuCopy). */
  bounce(cache: DataCache, tlb: number, size: number, toDevice: boolean): { orig: number } | undefined {
    const orig = this.origOf(tlb);
    if (orig < 0) return undefined;
    if (toDevice) cache.cpuCopy(tlb, orig, size);
    else cache.cpuCopy(orig, tlb, size);
    return { orig };
  }

  mappings(): IterableIterator<[number, SlotInfo]> {
    return this.maps.entries();
  }
}

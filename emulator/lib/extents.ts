/**
 * A free-extent allocator over an address range: the one mechanism behind page frames, vmalloc
 * space, IOVA space and pools. Free space is a sorted list of [start, end) extents that coalesce.
 * Addresses are numbers (exact below 2^53).
 */
export type Placement = 'low' | 'high' | 'random';

export class ExtentAllocator {
  private starts: number[] = [];
  private ends: number[] = [];
  private freeBytes = 0;

  constructor(readonly base: number, readonly limit: number) {
    if (limit > base) this.insert(base, limit);
  }

  get free(): number {
    return this.freeBytes;
  }

  get size(): number {
    return this.limit - this.base;
  }

  /**
   * Allocate `size` bytes aligned to `align` (a power of two), at or below `ceiling` (exclusive end).
   * `pick` chooses among candidates for 'random'. Returns the start or -1.
   */
  alloc(size: number, align: number, placement: Placement = 'low', ceiling = Infinity, pick?: (n: number) => number): number {
    if (size <= 0) return -1;
    const n = this.starts.length;
    if (placement === 'high') {
      for (let i = n - 1; i >= 0; i--) {
        const end = Math.min(this.ends[i], ceiling);
        const start = alignDown(end - size, align);
        if (start >= this.starts[i] && start + size <= end) {
          this.take(i, start, start + size);
          return start;
        }
      }
      return -1;
    }
    if (placement === 'random' && pick) {
      // choose uniformly among all aligned positions that fit
      let total = 0;
      const counts: number[] = new Array(n);
      for (let i = 0; i < n; i++) {
        const s = alignUp(this.starts[i], align);
        const e = Math.min(this.ends[i], ceiling);
        const c = e - s >= size ? Math.floor((e - size - s) / align) + 1 : 0;
        counts[i] = c;
        total += c;
      }
      if (total === 0) return -1;
      let k = pick(total);
      for (let i = 0; i < n; i++) {
        if (k < counts[i]) {
          const start = alignUp(this.starts[i], align) + k * align;
          this.take(i, start, start + size);
          return start;
        }
        k -= counts[i];
      }
      return -1;
    }
    for (let i = 0; i < n; i++) {
      const start = alignUp(this.starts[i], align);
      if (start + size <= Math.min(this.ends[i], ceiling)) {
        this.take(i, start, start + size);
        return start;
      }
      if (this.starts[i] >= ceiling) break;
    }
    return -1;
  }

  /** Reserve a specific range; false when any part of it is not free. */
  reserve(start: number, size: number): boolean {
    const i = this.findContaining(start);
    if (i < 0 || start + size > this.ends[i]) return false;
    this.take(i, start, start + size);
    return true;
  }

  /** Return [start, start+size) to the free list. Throws on a double free (an emulator bug, never a driver bug). */
  release(start: number, size: number): void {
    this.insert(start, start + size);
  }

  isFree(addr: number): boolean {
    return this.findContaining(addr) >= 0;
  }

  private findContaining(addr: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.starts[mid] > addr) hi = mid - 1;
      else if (this.ends[mid] <= addr) lo = mid + 1;
      else return mid;
    }
    return -1;
  }

  private take(i: number, start: number, end: number): void {
    const s = this.starts[i];
    const e = this.ends[i];
    this.freeBytes -= end - start;
    if (s === start && e === end) {
      this.starts.splice(i, 1);
      this.ends.splice(i, 1);
    } else if (s === start) {
      this.starts[i] = end;
    } else if (e === end) {
      this.ends[i] = start;
    } else {
      this.ends[i] = start;
      this.starts.splice(i + 1, 0, end);
      this.ends.splice(i + 1, 0, e);
    }
  }

  private insert(start: number, end: number): void {
    // position: first extent whose start > start
    let lo = 0;
    let hi = this.starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.starts[mid] <= start) lo = mid + 1;
      else hi = mid;
    }
    const i = lo;
    if ((i > 0 && this.ends[i - 1] > start) || (i < this.starts.length && this.starts[i] < end)) {
      throw new Error(`extent allocator: double free of [0x${start.toString(16)}, 0x${end.toString(16)})`);
    }
    this.freeBytes += end - start;
    const joinPrev = i > 0 && this.ends[i - 1] === start;
    const joinNext = i < this.starts.length && this.starts[i] === end;
    if (joinPrev && joinNext) {
      this.ends[i - 1] = this.ends[i];
      this.starts.splice(i, 1);
      this.ends.splice(i, 1);
    } else if (joinPrev) {
      this.ends[i - 1] = end;
    } else if (joinNext) {
      this.starts[i] = start;
    } else {
      this.starts.splice(i, 0, start);
      this.ends.splice(i, 0, end);
    }
  }
}

export function alignUp(x: number, a: number): number {
  return Math.ceil(x / a) * a;
}

export function alignDown(x: number, a: number): number {
  return Math.floor(x / a) * a;
}

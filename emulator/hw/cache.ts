/**
 * The CPU data cache: write-back, write-allocate, fully associative with LRU replacement, lines
 * of `lineSize` bytes. The CPU reads and writes through it; maintenance operations clean
 * (write back), invalidate (discard) or flush (both) a physical range.
 *
 * Recency is an intrusive doubly-linked list through the present lines (least recently used at
 * the head): a hit moves its line to the tail with a few pointer writes, so the common case (the
 * CPU hitting lines it already holds) costs one map lookup.
 *
 * Devices: a coherent device snoops (its reads see dirty lines, its writes update them); a
 * non-coherent device reads and writes RAM past the cache. When a non-coherent device writes RAM
 * under a line the cache holds, the line is marked stale: the CPU will read the old bytes until
 * the line is invalidated, exactly as on a board. Reading a dirty line's RAM gives the device the
 * old bytes too. Listeners are told when either happens, so the checker can name the cause.
 */
import { PhysicalMemory } from './physical-memory';
import { copyBytes } from '../lib/bytes';

export interface CacheLine {
  data: Uint8Array;
  dirty: boolean;
  /** Set when a non-coherent device wrote RAM under this line: whatever the writer passed. */
  staleBy?: unknown;
  /** Which bytes of the line the device wrote (1 = stale), when staleBy is set. */
  staleBytes?: Uint8Array;
}

export type LineState = 'invalid' | 'clean' | 'dirty' | 'stale' | 'stale-dirty';

export interface CacheListener {
  /** The CPU read bytes from a line a device had written behind the cache's back. */
  staleRead?(lineAddr: number, staleBy: unknown): void;
  /** A non-coherent device read RAM while the cache held newer (dirty) bytes for it. */
  dirtyDeviceRead?(lineAddr: number, reader: unknown): void;
  /** A dirty line went back to RAM because of capacity eviction (not maintenance). */
  evicted?(lineAddr: number): void;
}

const PAGE = 4096;

/** A present line and its place in the recency list. */
class Line implements CacheLine {
  dirty = false;
  staleBy?: unknown;
  staleBytes?: Uint8Array;
  /** Less recently used neighbour (undefined: this is the least recently used line). */
  older?: Line;
  /** More recently used neighbour (undefined: this is the most recently used line). */
  newer?: Line;

  constructor(
    readonly idx: number,
    readonly data: Uint8Array,
  ) {}
}

function anyStale(mask: Uint8Array, off: number, n: number): boolean {
  for (let i = off; i < off + n; i++) if (mask[i]) return true;
  return false;
}

export class DataCache {
  private lines = new Map<number, Line>();
  private perPage = new Map<number, number>();
  /** Least and most recently used present lines. */
  private lru?: Line;
  private mru?: Line;
  listener: CacheListener = {};
  readonly lineShift: number;

  constructor(
    private readonly ram: PhysicalMemory,
    readonly lineSize = 64,
    readonly capacityLines = 16384,
  ) {
    if (lineSize & (lineSize - 1) || lineSize < 16 || lineSize > 512) throw new Error(`cache line size ${lineSize} must be a power of two in 16..512`);
    this.lineShift = Math.log2(lineSize);
  }

  get size(): number {
    return this.lines.size;
  }

  /** State of the line holding `phys` (for panels and tests). */
  state(phys: number): LineState {
    const l = this.lines.get(Math.floor(phys / this.lineSize));
    if (!l) return 'invalid';
    if (l.staleBy !== undefined) return l.dirty ? 'stale-dirty' : 'stale';
    return l.dirty ? 'dirty' : 'clean';
  }

  /** The line's bytes if present (read-only view for consumers). */
  peekLine(phys: number): CacheLine | undefined {
    return this.lines.get(Math.floor(phys / this.lineSize));
  }

  /** Whether any line of [phys, phys+len) is cached (fast page-level test). */
  holdsAny(phys: number, len: number): boolean {
    if (this.perPage.size === 0) return false;
    for (let p = Math.floor(phys / PAGE); p * PAGE < phys + len; p++) if (this.perPage.has(p)) return true;
    return false;
  }

  cpuRead(phys: number, dst: Uint8Array, dstOff: number, len: number): void {
    const ls = this.lineSize;
    while (len > 0) {
      const idx = Math.floor(phys / ls);
      const off = phys - idx * ls;
      const n = Math.min(len, ls - off);
      const line = this.touch(idx, true);
      if (line.staleBy !== undefined && anyStale(line.staleBytes!, off, n)) this.listener.staleRead?.(idx * ls, line.staleBy);
      copyBytes(dst, dstOff, line.data, off, n);
      phys += n;
      dstOff += n;
      len -= n;
    }
  }

  /** CPU stores of `src` bytes, or of `value` when there is no `src` (memset): lines are allocated and written in place. */
  cpuWrite(phys: number, src: Uint8Array | undefined, srcOff: number, len: number, value = 0): void {
    const ls = this.lineSize;
    while (len > 0) {
      const idx = Math.floor(phys / ls);
      const off = phys - idx * ls;
      const n = Math.min(len, ls - off);
      // a full-line write need not fetch the line from RAM
      const line = this.touch(idx, n !== ls);
      if (src) copyBytes(line.data, off, src, srcOff, n);
      else line.data.fill(value, off, off + n);
      line.dirty = true;
      phys += n;
      srcOff += n;
      len -= n;
    }
  }

  /**
   * A kernel memcpy of `len` bytes between physical addresses, as large copies run: loads see
   * what the cache holds (stale lines included, so stale data propagates), stores update lines
   * that are present and otherwise stream to RAM without allocating.
   */
  cpuCopy(dst: number, src: number, len: number): void {
    const buf = new Uint8Array(Math.min(len, PAGE));
    for (let done = 0; done < len; ) {
      const n = Math.min(len - done, PAGE - ((src + done) % PAGE), PAGE - ((dst + done) % PAGE));
      if (this.holdsAny(src + done, n)) this.cpuRead(src + done, buf, 0, n);
      else this.ram.read(src + done, buf, 0, n);
      if (this.holdsAny(dst + done, n)) this.writeThrough(dst + done, buf, n);
      else this.ram.write(dst + done, buf, 0, n);
      done += n;
    }
  }

  /** Stores to present lines (marked dirty), the rest to RAM. */
  private writeThrough(phys: number, src: Uint8Array, len: number): void {
    const ls = this.lineSize;
    for (let off = 0; off < len; ) {
      const idx = Math.floor((phys + off) / ls);
      const lo = phys + off - idx * ls;
      const n = Math.min(len - off, ls - lo);
      const line = this.lines.get(idx);
      if (line) {
        copyBytes(line.data, lo, src, off, n);
        line.dirty = true;
      } else this.ram.write(phys + off, src, off, n);
      off += n;
    }
  }

  /** Write back dirty lines of the range; lines stay valid. (arm64 `dcache_clean_poc`.) */
  clean(phys: number, len: number): void {
    this.forEachPresent(phys, len, (idx, line) => {
      if (line.dirty) this.writeBack(idx, line);
    });
  }

  /**
   * Discard the range's lines. Lines only partly inside the range are cleaned first, as the
   * kernel's invalidate helpers do, so neighbouring data survives. Dirty bytes inside the range
   * are lost: that is what invalidate means.
   */
  invalidate(phys: number, len: number): void {
    const ls = this.lineSize;
    const end = phys + len;
    this.forEachPresent(phys, len, (idx, line) => {
      const a = idx * ls;
      if ((a < phys || a + ls > end) && line.dirty) this.writeBack(idx, line);
      this.drop(idx);
    });
  }

  /** Clean then invalidate. (`dcache_clean_inval_poc`.) */
  flush(phys: number, len: number): void {
    this.forEachPresent(phys, len, (idx, line) => {
      if (line.dirty) this.writeBack(idx, line);
      this.drop(idx);
    });
  }

  /** Device read. Coherent: snoops dirty lines. Non-coherent: RAM only, reporting dirty lines it missed. */
  deviceRead(phys: number, dst: Uint8Array, dstOff: number, len: number, coherent: boolean, reader: unknown): void {
    this.ram.read(phys, dst, dstOff, len);
    if (len <= 0 || !this.holdsAny(phys, len)) return;
    // loops rather than forEachPresent: devices access memory on every transfer, and a closure per call adds up
    const ls = this.lineSize;
    const last = Math.floor((phys + len - 1) / ls);
    for (let idx = this.nextHeld(Math.floor(phys / ls), last); idx <= last; idx = this.nextHeld(idx + 1, last)) {
      const line = this.lines.get(idx);
      if (!line || !line.dirty) continue;
      const a = idx * ls;
      if (coherent) {
        const s = Math.max(a, phys);
        const e = Math.min(a + ls, phys + len);
        copyBytes(dst, dstOff + (s - phys), line.data, s - a, e - s);
      } else this.listener.dirtyDeviceRead?.(a, reader);
    }
  }

  /** Device write. Coherent: lines are updated too. Non-coherent: RAM only; cached lines go stale. */
  deviceWrite(phys: number, src: Uint8Array, srcOff: number, len: number, coherent: boolean, writer: unknown): void {
    this.ram.write(phys, src, srcOff, len);
    if (len <= 0 || !this.holdsAny(phys, len)) return;
    const ls = this.lineSize;
    const last = Math.floor((phys + len - 1) / ls);
    for (let idx = this.nextHeld(Math.floor(phys / ls), last); idx <= last; idx = this.nextHeld(idx + 1, last)) {
      const line = this.lines.get(idx);
      if (!line) continue;
      const a = idx * ls;
      const s = Math.max(a, phys);
      const e = Math.min(a + ls, phys + len);
      if (coherent) copyBytes(line.data, s - a, src, srcOff + (s - phys), e - s);
      else {
        line.staleBy = writer;
        (line.staleBytes ??= new Uint8Array(ls)).fill(1, s - a, e - a);
      }
    }
  }

  /** Every present line in a range, ascending (read-only snapshot). */
  linesIn(phys: number, len: number): { addr: number; state: LineState }[] {
    const out: { addr: number; state: LineState }[] = [];
    this.forEachPresent(phys, len, (idx) => out.push({ addr: idx * this.lineSize, state: this.state(idx * this.lineSize) }));
    return out;
  }

  private forEachPresent(phys: number, len: number, fn: (idx: number, line: CacheLine) => void): void {
    if (len <= 0 || this.lines.size === 0) return;
    const ls = this.lineSize;
    const last = Math.floor((phys + len - 1) / ls);
    for (let idx = this.nextHeld(Math.floor(phys / ls), last); idx <= last; idx = this.nextHeld(idx + 1, last)) {
      const line = this.lines.get(idx);
      if (line) fn(idx, line);
    }
  }

  /** The first line index from `idx` on whose page holds cached lines (whole pages without any are skipped); > last if none. */
  private nextHeld(idx: number, last: number): number {
    const linesPerPage = PAGE / this.lineSize;
    while (idx <= last) {
      const page = Math.floor(idx / linesPerPage);
      if (this.perPage.has(page)) return idx;
      idx = (page + 1) * linesPerPage;
    }
    return idx;
  }

  private touch(idx: number, fill: boolean): Line {
    let line = this.lines.get(idx);
    if (line) {
      if (line !== this.mru) {
        this.unlink(line);
        this.append(line);
      }
      return line;
    }
    if (this.lines.size >= this.capacityLines) this.evictOne();
    line = new Line(idx, new Uint8Array(this.lineSize));
    if (fill) this.ram.read(idx * this.lineSize, line.data, 0, this.lineSize);
    this.lines.set(idx, line);
    this.append(line);
    const page = Math.floor((idx * this.lineSize) / PAGE);
    this.perPage.set(page, (this.perPage.get(page) ?? 0) + 1);
    return line;
  }

  /** Take a line out of the recency list. */
  private unlink(line: Line): void {
    if (line.older) line.older.newer = line.newer;
    else this.lru = line.newer;
    if (line.newer) line.newer.older = line.older;
    else this.mru = line.older;
    line.older = line.newer = undefined;
  }

  /** Put a line at the most recently used end. */
  private append(line: Line): void {
    line.older = this.mru;
    if (this.mru) this.mru.newer = line;
    else this.lru = line;
    this.mru = line;
  }

  private evictOne(): void {
    const line = this.lru;
    if (!line) return;
    if (line.dirty) {
      this.writeBack(line.idx, line);
      this.listener.evicted?.(line.idx * this.lineSize);
    }
    this.drop(line.idx);
  }

  private writeBack(idx: number, line: CacheLine): void {
    this.ram.write(idx * this.lineSize, line.data, 0, this.lineSize);
    line.dirty = false;
  }

  private drop(idx: number): void {
    const line = this.lines.get(idx);
    if (!line) return;
    this.lines.delete(idx);
    this.unlink(line);
    const page = Math.floor((idx * this.lineSize) / PAGE);
    const c = (this.perPage.get(page) ?? 1) - 1;
    if (c <= 0) this.perPage.delete(page);
    else this.perPage.set(page, c);
  }
}

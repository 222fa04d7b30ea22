/**
 * Sparse physical memory over a 64-bit address space (addresses below 2^53). Storage is in
 * 64 KiB frames that exist once touched; untouched memory reads as zero. This is RAM as the bus
 * sees it: no cache, no translation. Which ranges are RAM and which are holes or MMIO is the
 * machine's business (see Bus), not this store's.
 */
export const FRAME_SHIFT = 16;
export const FRAME_SIZE = 1 << FRAME_SHIFT;
const FRAME_MASK = FRAME_SIZE - 1;

import { copyBytes } from '../lib/bytes';

export class PhysicalMemory {
  private frames = new Map<number, Uint8Array>();
  /** The frame touched last, and its index (most accesses stay in one frame). */
  private lastFrame?: Uint8Array;
  private lastIdx = -1;
  /** DataViews of frames holding 64-bit values (page tables), made on first use. */
  private views = new Map<number, DataView>();

  /** Frame holding `addr`, created on first touch. */
  frame(addr: number): Uint8Array {
    const idx = Math.floor(addr / FRAME_SIZE);
    if (idx === this.lastIdx) return this.lastFrame!;
    let f = this.frames.get(idx);
    if (!f) {
      f = new Uint8Array(FRAME_SIZE);
      this.frames.set(idx, f);
    }
    this.lastIdx = idx;
    this.lastFrame = f;
    return f;
  }

  /** Frame if it was ever touched (read-only peeks must not materialise memory). */
  peekFrame(addr: number): Uint8Array | undefined {
    const idx = Math.floor(addr / FRAME_SIZE);
    return idx === this.lastIdx ? this.lastFrame : this.frames.get(idx);
  }

  get touchedBytes(): number {
    return this.frames.size * FRAME_SIZE;
  }

  read(addr: number, dst: Uint8Array, dstOff = 0, len = dst.length - dstOff): void {
    while (len > 0) {
      const off = addr & FRAME_MASK;
      const n = Math.min(len, FRAME_SIZE - off);
      const f = this.peekFrame(addr);
      if (f) copyBytes(dst, dstOff, f, off, n);
      else dst.fill(0, dstOff, dstOff + n);
      addr += n;
      dstOff += n;
      len -= n;
    }
  }

  write(addr: number, src: Uint8Array, srcOff = 0, len = src.length - srcOff): void {
    while (len > 0) {
      const off = addr & FRAME_MASK;
      const n = Math.min(len, FRAME_SIZE - off);
      copyBytes(this.frame(addr), off, src, srcOff, n);
      addr += n;
      srcOff += n;
      len -= n;
    }
  }

  fill(addr: number, value: number, len: number): void {
    while (len > 0) {
      const off = addr & FRAME_MASK;
      const n = Math.min(len, FRAME_SIZE - off);
      this.frame(addr).fill(value, off, off + n);
      addr += n;
      len -= n;
    }
  }

  /** Copy within RAM (a device-to-device or bounce copy that bypasses any cache). */
  copy(dst: number, src: number, len: number): void {
    const tmp = new Uint8Array(Math.min(len, FRAME_SIZE));
    while (len > 0) {
      const n = Math.min(len, tmp.length);
      this.read(src, tmp, 0, n);
      this.write(dst, tmp, 0, n);
      src += n;
      dst += n;
      len -= n;
    }
  }

  private view(addr: number): DataView {
    const idx = Math.floor(addr / FRAME_SIZE);
    let v = this.views.get(idx);
    if (!v) {
      const f = this.frame(addr);
      v = new DataView(f.buffer, f.byteOffset, f.byteLength);
      this.views.set(idx, v);
    }
    return v;
  }

  /** Little-endian 64-bit value as a number (page-table entries: values below 2^53). */
  readU64(addr: number): number {
    if (!this.frames.has(Math.floor(addr / FRAME_SIZE))) return 0;
    const v = this.view(addr);
    const off = addr & FRAME_MASK;
    return v.getUint32(off + 4, true) * 0x1_0000_0000 + v.getUint32(off, true);
  }

  writeU64(addr: number, value: number): void {
    const v = this.view(addr);
    const off = addr & FRAME_MASK;
    v.setUint32(off, value % 0x1_0000_0000, true);
    v.setUint32(off + 4, Math.floor(value / 0x1_0000_0000), true);
  }
}

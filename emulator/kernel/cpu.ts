/**
 * The CPU's load/store path for kernel code: virtual address → (MMU) physical address →
 * (cacheable) data cache, or (uncached mapping) straight to RAM. Little-endian, like every
 * platform here. The checker listens to every access before it happens.
 */
import { DataCache } from '../hw/cache';
import { PhysicalMemory } from '../hw/physical-memory';
import { hex } from '../lib/hex';
import { KernelAddressSpace, type Translation } from './address-space';
import { PAGE_SIZE } from './page-alloc';
import type { CpuBuffers } from './write-buffer';
import type { MemoryObservers } from '../devices/memory-observers';

/** A fatal kernel error (an oops): bad pointer, use after free... The run stops with a script error. */
export class KernelOops extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KernelOops';
  }
}

export interface CpuAccessListener {
  (phys: number, len: number, write: boolean, kva: number): void;
}

export class Cpu {
  private scratch = new Uint8Array(8);
  /** Scratch record for translations (read out at once by each access). */
  private readonly xlate: Translation = { phys: 0, cached: false, weak: false };
  private readonly fillChunks = new Map<number, Uint8Array>();
  private view = new DataView(this.scratch.buffer);
  listener?: CpuAccessListener;
  /** A second observer of CPU accesses (debugger watchpoints), independent of the checker. */
  watch?: CpuAccessListener;
  /**
   * The write and read buffers for non-cacheable memory on a weakly-ordered CPU (arm64, arm);
   * undefined on x86, whose stores reach memory in program order (see write-buffer.ts).
   */
  buffers?: CpuBuffers;
  /** Devices polling memory, told when a store reaches what they read (memory-observers.ts). */
  observers?: MemoryObservers;

  constructor(
    readonly as: KernelAddressSpace,
    readonly cache: DataCache,
    readonly ram: PhysicalMemory,
  ) {}

  read(kva: number, dst: Uint8Array, dstOff: number, len: number): void {
    while (len > 0) {
      const n = Math.min(len, PAGE_SIZE - (kva % PAGE_SIZE));
      // copied out at once: a listener may pause the run, and what runs meanwhile may use the record
      const t = this.translate(kva, false);
      const phys = t.phys;
      const cached = t.cached;
      const weak = t.weak;
      this.listener?.(phys, n, false, kva);
      this.watch?.(phys, n, false, kva);
      if (cached) this.cache.cpuRead(phys, dst, dstOff, n);
      else if (this.buffers && weak) this.buffers.load(phys, dst, dstOff, n);
      else this.ram.read(phys, dst, dstOff, n);
      kva += n;
      dstOff += n;
      len -= n;
    }
  }

  write(kva: number, src: Uint8Array, srcOff: number, len: number): void {
    this.store(kva, len, src, srcOff, 0);
  }

  /** memset: each page's bytes set to `value` (one access per page, like write; cached lines filled in place). */
  fill(kva: number, value: number, len: number): void {
    this.store(kva, len, undefined, 0, value & 0xff);
  }

  /** Stores of `src` bytes, or of `value` when there is no `src` (memset), page by page. */
  private store(kva: number, len: number, src: Uint8Array | undefined, srcOff: number, value: number): void {
    while (len > 0) {
      const n = Math.min(len, PAGE_SIZE - (kva % PAGE_SIZE));
      const t = this.translate(kva, true);
      const phys = t.phys;
      const cached = t.cached;
      const weak = t.weak;
      this.listener?.(phys, n, true, kva);
      this.watch?.(phys, n, true, kva);
      if (cached) {
        this.cache.cpuWrite(phys, src, srcOff, n, value);
        if (this.observers?.active) this.observers.stored(phys, n, true);
      } else if (this.buffers && weak) this.buffers.post(phys, src ?? this.fillChunk(value), src ? srcOff : 0, n);
      else {
        if (src) this.ram.write(phys, src, srcOff, n);
        else this.ram.fill(phys, value, n);
        if (this.observers?.active) this.observers.stored(phys, n, false);
      }
      kva += n;
      srcOff += n;
      len -= n;
    }
  }

  /** A page of `value` bytes (kept per value: kmalloc poisons every object it hands out). */
  private fillChunk(value: number): Uint8Array {
    let c = this.fillChunks.get(value);
    if (!c) {
      c = new Uint8Array(PAGE_SIZE).fill(value);
      this.fillChunks.set(value, c);
    }
    return c;
  }

  readU(kva: number, size: 1 | 2 | 4): number {
    this.read(kva, this.scratch, 0, size);
    return size === 1 ? this.scratch[0] : size === 2 ? this.view.getUint16(0, true) : this.view.getUint32(0, true);
  }

  readU64(kva: number): bigint {
    this.read(kva, this.scratch, 0, 8);
    return this.view.getBigUint64(0, true);
  }

  writeU(kva: number, size: 1 | 2 | 4, value: number): void {
    if (size === 1) this.scratch[0] = value;
    else if (size === 2) this.view.setUint16(0, value & 0xffff, true);
    else this.view.setUint32(0, value >>> 0, true);
    this.write(kva, this.scratch, 0, size);
  }

  writeU64(kva: number, value: bigint): void {
    this.view.setBigUint64(0, BigInt.asUintN(64, value), true);
    this.write(kva, this.scratch, 0, 8);
  }

  private translate(kva: number, write: boolean): Translation {
    const t = this.xlate;
    if (!this.as.translateInto(kva, t)) {
      throw new KernelOops(
        `BUG: unable to handle page fault for address: ${hex(this.as.va(kva), 16)}\n#PF: supervisor ${write ? 'write' : 'read'} access in kernel mode\n#PF: error_code(0x0000) - not-present page`,
      );
    }
    return t;
  }
}

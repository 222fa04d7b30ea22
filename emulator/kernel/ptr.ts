/**
 * `Ptr`: a CPU pointer to kernel memory (`void *`). Every access goes through the emulated MMU
 * and data cache, which is how stale data and ownership violations become visible.
 */
import type { Cpu } from './cpu';

export class Ptr {
  constructor(
    /** @internal */ readonly cpu: Cpu,
    /** @internal offset form of the virtual address */ readonly kva: number,
  ) {}

  /** The kernel virtual address. */
  get va(): bigint {
    return this.cpu.as.va(this.kva);
  }

  /** `p + off` (bytes). */
  add(off: number): Ptr {
    return new Ptr(this.cpu, this.kva + off);
  }

  read8(off = 0): number {
    return this.cpu.readU(this.kva + off, 1);
  }

  read16(off = 0): number {
    return this.cpu.readU(this.kva + off, 2);
  }

  read32(off = 0): number {
    return this.cpu.readU(this.kva + off, 4);
  }

  read64(off = 0): bigint {
    return this.cpu.readU64(this.kva + off);
  }

  write8(off: number, v: number): void {
    this.cpu.writeU(this.kva + off, 1, v);
  }

  write16(off: number, v: number): void {
    this.cpu.writeU(this.kva + off, 2, v);
  }

  write32(off: number, v: number): void {
    this.cpu.writeU(this.kva + off, 4, v);
  }

  write64(off: number, v: bigint): void {
    this.cpu.writeU64(this.kva + off, v);
  }

  readBytes(off: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    this.cpu.read(this.kva + off, out, 0, len);
    return out;
  }

  writeBytes(off: number, data: Uint8Array | readonly number[]): void {
    const u8 = data instanceof Uint8Array ? data : Uint8Array.from(data);
    this.cpu.write(this.kva + off, u8, 0, u8.length);
  }

  toString(): string {
    return `0x${this.va.toString(16)}`;
  }
}

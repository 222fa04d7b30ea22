/** Value types and helpers of the kernel API: masks, 32-bit halves, error pointers, errno values. */
import { KernelOops } from '../../kernel/cpu';

/** `dma_addr_t`: a bus address as the device uses it. */
export type dma_addr_t = bigint;
/** `phys_addr_t`: a CPU physical address. */
export type phys_addr_t = bigint;

/** `DMA_MAPPING_ERROR`: what a failed mapping returns (~0). Test with `dma_mapping_error()`. */
export const DMA_MAPPING_ERROR: dma_addr_t = 0xffff_ffff_ffff_ffffn;

/** `DMA_BIT_MASK(n)`: a mask of the low `n` bits, e.g. `DMA_BIT_MASK(32)` = 0xffffffff. */
export function DMA_BIT_MASK(n: number): bigint {
  if (!Number.isInteger(n) || n < 0 || n > 64) throw new KernelOops(`DMA_BIT_MASK(${String(n)}): n must be an integer in 0..64`);
  return n === 64 ? 0xffff_ffff_ffff_ffffn : (1n << BigInt(n)) - 1n;
}

/** `lower_32_bits(x)`: the low 32 bits of a 64-bit value, for a 32-bit register. */
export function lower_32_bits(x: bigint | number): number {
  return Number(BigInt.asUintN(32, BigInt(x)));
}

/** `upper_32_bits(x)`: the high 32 bits of a 64-bit value. */
export function upper_32_bits(x: bigint | number): number {
  return Number(BigInt.asUintN(32, BigInt(x) >> 32n));
}

/** Little-endian conversions: identity on every emulated platform (all are little-endian). */
export function cpu_to_le32(x: number): number {
  return x >>> 0;
}
export function le32_to_cpu(x: number): number {
  return x >>> 0;
}
export function cpu_to_le16(x: number): number {
  return x & 0xffff;
}
export function le16_to_cpu(x: number): number {
  return x & 0xffff;
}
export function cpu_to_le64(x: bigint): bigint {
  return BigInt.asUintN(64, x);
}
export function le64_to_cpu(x: bigint): bigint {
  return BigInt.asUintN(64, x);
}

/** An error pointer (`ERR_PTR(-ENOMEM)`): what pointer-returning calls give on failure. */
export class ErrPtr {
  constructor(readonly errno: number) {}
  toString(): string {
    return `ERR_PTR(${this.errno})`;
  }
}

/** `ERR_PTR(err)`: wrap a negative errno as a pointer. */
export function ERR_PTR(err: number): ErrPtr {
  return new ErrPtr(err);
}

/** `IS_ERR(p)`: whether a returned pointer is an error. */
export function IS_ERR(p: unknown): p is ErrPtr {
  return p instanceof ErrPtr;
}

/** `IS_ERR_OR_NULL(p)` */
export function IS_ERR_OR_NULL(p: unknown): p is ErrPtr | null | undefined {
  return p === null || p === undefined || p instanceof ErrPtr;
}

/** `PTR_ERR(p)`: the negative errno inside an error pointer. */
export function PTR_ERR(p: unknown): number {
  return p instanceof ErrPtr ? p.errno : 0;
}

export * from '../../kernel/errno';

/**
 * Byte copies for the emulator's hot paths. A typed-array `subarray` view costs an allocation,
 * which dominates the small copies the CPU and devices make most (a 4-byte descriptor word, a
 * 64-byte frame): a loop copies a few bytes, a whole source array goes in without a view.
 */

/** Copy `n` bytes from src[srcOff..] to dst[dstOff..] (the arrays must not overlap). */
export function copyBytes(dst: Uint8Array, dstOff: number, src: Uint8Array, srcOff: number, n: number): void {
  if (n <= 16) for (let i = 0; i < n; i++) dst[dstOff + i] = src[srcOff + i];
  else if (srcOff === 0 && n === src.length) dst.set(src, dstOff);
  else dst.set(src.subarray(srcOff, srcOff + n), dstOff);
}

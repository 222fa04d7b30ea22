/** Formatting of addresses and sizes the way the kernel prints them. */

/** `0x` + hex, zero-padded to `width` digits (16 for %016llx, 8 for 32-bit). */
export function hex(value: number | bigint, width = 0): string {
  const s = value.toString(16);
  return '0x' + (s.length < width ? '0'.repeat(width - s.length) + s : s);
}

const HEX_BYTE = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * `0x` + lower-case hex of a non-negative integer below 2^53, as fast as snapshots of tens of
 * thousands of addresses need: Number#toString(16) is slow for values past 2^31 (most physical
 * and kernel addresses).
 */
export function hexAddress(n: number): string {
  if (n <= 0x7fffffff) return `0x${n.toString(16)}`;
  let hi = Math.floor(n / 0x1_0000_0000);
  let lo = n >>> 0;
  let s = HEX_BYTE[lo & 255];
  lo >>>= 8;
  s = HEX_BYTE[lo & 255] + s;
  lo >>>= 8;
  s = HEX_BYTE[lo & 255] + s;
  s = HEX_BYTE[lo >>> 8] + s;
  while (hi) {
    s = HEX_BYTE[hi & 255] + s;
    hi = Math.floor(hi / 256);
  }
  let i = 0;
  while (i < s.length - 1 && s.charCodeAt(i) === 48) i++;
  return `0x${s.slice(i)}`;
}

/** A raw 64-bit register or page-table entry: `0x` + 16 hex digits (values below 2^53). */
export function hexU64(n: number): string {
  return `0x${hexAddress(n).slice(2).padStart(16, '0')}`;
}

/** A bus/physical address as %pad / %pa print it: 16 hex digits on 64-bit. */
export function addr(value: number | bigint): string {
  return hex(value, 16);
}

/** Human size: 4096 -> "4 KiB", 1536 -> "1536 bytes". */
export function size(n: number): string {
  if (n >= 1 << 30 && n % (1 << 30) === 0) return `${n / (1 << 30)} GiB`;
  if (n >= 1 << 20 && n % (1 << 20) === 0) return `${n / (1 << 20)} MiB`;
  if (n >= 1 << 10 && n % (1 << 10) === 0) return `${n / (1 << 10)} KiB`;
  return bytes(n);
}

/** A byte count in words: "1 byte", "64 bytes". */
export function bytes(n: number): string {
  return n === 1 ? '1 byte' : `${n} bytes`;
}

/** Convert a bigint bus/physical address to a number; addresses at or above 2^53 are not representable in the emulator. */
export function toAddr(v: bigint | number): number {
  if (typeof v === 'number') return v;
  if (v < 0n) return -1;
  if (v > 0x1f_ffff_ffff_ffffn) return Number.MAX_SAFE_INTEGER;
  return Number(v);
}

export const TWO32 = 0x1_0000_0000;

/**
 * Memory barriers (Documentation/memory-barriers.txt) and the relaxed MMIO accessors.
 *
 * On arm64 and 32-bit Arm the CPU reaches coherent DMA memory (dma_alloc_coherent on a
 * non-coherent platform) through an uncached mapping whose stores it posts in a write buffer and
 * whose loads it may satisfy early: a device does not see a posted store until a barrier drains it
 * (or until the buffer drains on its own, in an order the program does not control), and a load
 * may return a value fetched before the device wrote. These barriers are what orders them; see
 * emulator/kernel/write-buffer.ts for the exact model. On x86 they change nothing, as on a PC:
 * stores reach memory in program order and every device snoops the caches.
 *
 * The non-relaxed MMIO accessors imply barriers, as in Linux: `writel()` drains the write buffer
 * before the register write (so a doorbell always follows the descriptors it announces) and
 * `readl()` empties the read buffer after the register read. The `_relaxed` variants do not.
 */
import type { IoMem } from '../../kernel/driver-core';
import { K } from '../current';

function cpuBuffers() {
  return K().cpu.buffers;
}

/**
 * `dma_wmb()`: stores to coherent DMA memory before it reach memory before any store after it.
 * Put it between writing a descriptor and handing it to the device (setting its OWN bit).
 */
export function dma_wmb(): void {
  cpuBuffers()?.storeBarrier();
}

/**
 * `dma_rmb()`: loads of coherent DMA memory after it are not satisfied before loads before it.
 * Put it between seeing a descriptor's OWN bit clear and reading the rest of what the device wrote.
 */
export function dma_rmb(): void {
  cpuBuffers()?.loadBarrier();
}

/** `dma_mb()`: both. */
export function dma_mb(): void {
  cpuBuffers()?.fullBarrier();
}

/** `wmb()`: a write barrier for every kind of memory (here: as dma_wmb). */
export function wmb(): void {
  cpuBuffers()?.storeBarrier();
}

/** `rmb()`: a read barrier for every kind of memory (here: as dma_rmb). */
export function rmb(): void {
  cpuBuffers()?.loadBarrier();
}

/** `mb()`: a full barrier: everything posted reaches memory, nothing read ahead survives. */
export function mb(): void {
  cpuBuffers()?.fullBarrier();
}

/** `smp_wmb()`, `smp_rmb()`, `smp_mb()`: CPU-to-CPU ordering. The emulated machine has one CPU, so they order nothing a device sees. */
export function smp_wmb(): void {
  /* one CPU: nothing to order against */
}
/** `smp_rmb()`: see smp_wmb. */
export function smp_rmb(): void {
  /* one CPU: nothing to order against */
}
/** `smp_mb()`: see smp_wmb. */
export function smp_mb(): void {
  /* one CPU: nothing to order against */
}

/** `readl_relaxed(addr)`: 32-bit MMIO read without the read barrier readl() implies. */
export function readl_relaxed(addr: IoMem): number {
  return Number(K().drivers.mmioRead(addr, 4, 'readl_relaxed', true)) >>> 0;
}

/** `readq_relaxed(addr)`: 64-bit MMIO read without the read barrier. */
export function readq_relaxed(addr: IoMem): bigint {
  return BigInt(K().drivers.mmioRead(addr, 8, 'readq_relaxed', true));
}

/**
 * `writel_relaxed(value, addr)`: 32-bit MMIO write without the write barrier writel() implies: the
 * device may hear the register write before the CPU's earlier stores to DMA memory reach it.
 */
export function writel_relaxed(value: number | bigint, addr: IoMem): void {
  K().drivers.mmioWrite(addr, 4, Number(BigInt.asUintN(32, BigInt(value))), 'writel_relaxed', true);
}

/** `writeq_relaxed(value, addr)`: 64-bit MMIO write without the write barrier. */
export function writeq_relaxed(value: bigint | number, addr: IoMem): void {
  K().drivers.mmioWrite(addr, 8, BigInt.asUintN(64, BigInt(value)), 'writeq_relaxed', true);
}

/**
 * Cache maintenance around DMA for a non-coherent device, per architecture, as the kernel does it:
 * arm64 cleans for the device in every direction and invalidates for the CPU; 32-bit Arm
 * invalidates before a DMA_FROM_DEVICE transfer and cleans otherwise. x86 is always coherent.
 */
import type { DataCache } from '../../hw/cache';
import type { Arch } from '../../platform/model';
import { DMA_FROM_DEVICE, DMA_TO_DEVICE } from './dir';

export function archSyncForDevice(cache: DataCache, arch: Arch, phys: number, size: number, dir: number): void {
  if (arch === 'arm' && dir === DMA_FROM_DEVICE) cache.invalidate(phys, size);
  else cache.clean(phys, size);
}

export function archSyncForCpu(cache: DataCache, _arch: Arch, phys: number, size: number, dir: number): void {
  if (dir !== DMA_TO_DEVICE) cache.invalidate(phys, size);
}

/** Before handing pages out as an uncached coherent buffer: nothing of them may linger in the cache. */
export function archPrepCoherent(cache: DataCache, phys: number, size: number): void {
  cache.flush(phys, size);
}

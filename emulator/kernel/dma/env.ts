/** What the DMA mapping back-ends need from the rest of the kernel (kept narrow on purpose). */
import type { DataCache } from '../../hw/cache';
import type { PhysicalMemory } from '../../hw/physical-memory';
import type { Arch } from '../../platform/model';
import type { KernelAddressSpace } from '../address-space';
import type { Device } from '../device';
import type { PageAllocator } from '../page-alloc';
import type { Vmalloc } from '../vmalloc';
import type { FindingId, Related } from '../findings';
import type { TraceEvent } from '../../trace/events';

export interface DmaEnv {
  arch: Arch;
  cache: DataCache;
  ram: PhysicalMemory;
  pages: PageAllocator;
  as: KernelAddressSpace;
  vmalloc: Vmalloc;
  zoneDmaLimit: number;
  now(): number;
  emit(e: TraceEvent): void;
  log(dev: Device | undefined, level: 'err' | 'warn' | 'info' | 'debug', text: string): void;
  finding(id: FindingId, dev: Device, message: string, related?: Related[]): void;
}

/** A coherent buffer as the back-ends hand it out. */
export interface CoherentBuffer {
  kva: number;
  dma: number;
  phys: number;
  size: number;
  /** How it was obtained, so free gives it back the same way. */
  source: 'pages' | 'pool' | 'swiotlb';
  /** CPU mapping is an uncached vmalloc-area remap. */
  remapped: boolean;
}

export interface SgSegment {
  dma: number;
  len: number;
}

/** The operations a device's DMA goes through: dma-direct (with swiotlb) or dma-iommu. */
export interface DmaOps {
  readonly name: 'direct' | 'iommu';
  mapPage(dev: Device, phys: number, size: number, dir: number, attrs: number): number;
  unmapPage(dev: Device, dma: number, size: number, dir: number, attrs: number): void;
  syncForCpu(dev: Device, dma: number, size: number, dir: number): void;
  syncForDevice(dev: Device, dma: number, size: number, dir: number): void;
  mapSg(dev: Device, elems: { phys: number; len: number }[], dir: number, attrs: number): SgSegment[] | null;
  /** dma_unmap_sg of the first `nents` entries as the caller passed them (a wrong count leaves the rest as they are). */
  unmapSg(dev: Device, elems: readonly { phys: number; len: number }[], segs: readonly SgSegment[], nents: number, dir: number, attrs: number): void;
  /**
   * dma_sync_sg_* over the first `nents` entries of the list as the caller passed it (`elems`),
   * whatever dma_map_sg merged into `segs`.
   */
  syncSg(dev: Device, elems: readonly { phys: number; len: number }[], segs: readonly SgSegment[], nents: number, dir: number, forCpu: boolean): void;
  allocCoherent(dev: Device, size: number, gfp: number): CoherentBuffer | null;
  freeCoherent(dev: Device, buf: CoherentBuffer): void;
  mapResource(dev: Device, phys: number, size: number, dir: number): number;
  unmapResource(dev: Device, dma: number, size: number): void;
  maxMappingSize(dev: Device): number;
  optMappingSize(dev: Device): number;
  supported(dev: Device, mask: bigint): boolean;
  /** The physical address behind a DMA address (for checks and panels), or -1. */
  dmaToPhys(dev: Device, dma: number): number;
  /** If `dma` points into a bounce slot: the slot's physical address. */
  bounceSlot(dev: Device, dma: number): number | undefined;
}

export const SIZE_MAX = Number.MAX_SAFE_INTEGER;

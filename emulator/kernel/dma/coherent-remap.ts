/**
 * The CPU side of a coherent buffer: the linear map for a coherent device, an uncached remap in the
 * vmalloc area for a non-coherent one (after flushing the pages out of the cache).
 */
import { PAGE_SIZE } from '../page-alloc';
import { archPrepCoherent } from './arch-sync';
import type { DmaEnv } from './env';

export function coherentCpuMapping(env: DmaEnv, phys: number, size: number, coherent: boolean, inLinearMap: boolean): { kva: number; remapped: boolean } | null {
  const bytes = Math.ceil(size / PAGE_SIZE) * PAGE_SIZE;
  archPrepCoherent(env.cache, phys, bytes);
  env.ram.fill(phys, 0, bytes); // dma_alloc_coherent returns zeroed memory
  if (coherent && inLinearMap) {
    const kva = env.as.linearVa(phys);
    if (kva >= 0) return { kva, remapped: false };
  }
  const frames: number[] = [];
  for (let off = 0; off < bytes; off += PAGE_SIZE) frames.push(phys + off);
  // non-coherent: Normal non-cacheable (pgprot_dmacoherent), weakly ordered: see write-buffer.ts
  const area = env.vmalloc.remap(frames, size, coherent, true);
  return area ? { kva: area.kva, remapped: true } : null;
}

export function releaseCoherentCpuMapping(env: DmaEnv, kva: number, remapped: boolean): void {
  if (remapped) env.vmalloc.vfree(kva);
}

/**
 * How the checker's findings name calls and directions: in the words of the API that made the
 * mapping (Linux's dma-mapping, or the illumos DDI).
 */
import { DMA_BIDIRECTIONAL, DMA_FROM_DEVICE, DMA_TO_DEVICE, dirName } from './dir';
import type { DmaEntry } from './debug-entries';

/** How a finding names the calls and directions of the API a mapping came from. */
export interface Vocabulary {
  forCpu: string;
  forDevice: string;
  release: string;
  map: string;
  dir(d: number): string;
}

export const LINUX_WORDS: Vocabulary = { forCpu: 'dma_sync_*_for_cpu', forDevice: 'dma_sync_*_for_device', release: 'dma_unmap_*', map: 'dma_map_*', dir: dirName };

const DDI_WORDS: Vocabulary = {
  forCpu: 'ddi_dma_sync(DDI_DMA_SYNC_FORKERNEL)',
  forDevice: 'ddi_dma_sync(DDI_DMA_SYNC_FORDEV)',
  release: 'ddi_dma_unbind_handle',
  map: 'ddi_dma_*_bind_handle',
  dir: (d) => (d === DMA_FROM_DEVICE ? 'DDI_DMA_READ' : d === DMA_TO_DEVICE ? 'DDI_DMA_WRITE' : d === DMA_BIDIRECTIONAL ? 'DDI_DMA_RDWR' : dirName(d)),
};

/** The vocabulary of the mapping's API (Linux unless a DDI call made it). */
export function words(e: DmaEntry | undefined): Vocabulary {
  return e?.api.startsWith('ddi_') ? DDI_WORDS : LINUX_WORDS;
}

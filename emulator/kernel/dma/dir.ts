/** DMA directions, with Linux's values. */
export const DMA_BIDIRECTIONAL = 0;
export const DMA_TO_DEVICE = 1;
export const DMA_FROM_DEVICE = 2;
export const DMA_NONE = 3;

export type DmaDirection = 0 | 1 | 2 | 3;

const NAMES = ['DMA_BIDIRECTIONAL', 'DMA_TO_DEVICE', 'DMA_FROM_DEVICE', 'DMA_NONE'] as const;

export function dirName(d: number): (typeof NAMES)[number] {
  return NAMES[d] ?? 'DMA_NONE';
}

export function validDir(d: unknown): d is DmaDirection {
  return d === 0 || d === 1 || d === 2 || d === 3;
}

export const DMA_ATTR_WEAK_ORDERING = 1 << 1;
export const DMA_ATTR_WRITE_COMBINE = 1 << 2;
export const DMA_ATTR_NO_KERNEL_MAPPING = 1 << 4;
export const DMA_ATTR_SKIP_CPU_SYNC = 1 << 5;

/** Sentinel for a failed mapping inside the emulator (the API shows ~0ULL). */
export const DMA_MAPPING_ERROR = -1;

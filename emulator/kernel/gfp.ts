/** GFP flags: where an allocation may come from and whether it may sleep. Values follow Linux's bit layout. */
export const __GFP_DMA = 0x01;
export const __GFP_HIGHMEM = 0x02;
export const __GFP_DMA32 = 0x04;
export const __GFP_HIGH = 0x20;
export const __GFP_IO = 0x40;
export const __GFP_FS = 0x80;
export const __GFP_ZERO = 0x100;
export const __GFP_DIRECT_RECLAIM = 0x400;
export const __GFP_KSWAPD_RECLAIM = 0x800;
export const __GFP_NOWARN = 0x2000;

export const GFP_ATOMIC = __GFP_HIGH | __GFP_KSWAPD_RECLAIM;
export const GFP_KERNEL = __GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM | __GFP_IO | __GFP_FS;
export const GFP_NOWAIT = __GFP_KSWAPD_RECLAIM;
export const GFP_DMA = __GFP_DMA;
export const GFP_DMA32 = __GFP_DMA32;

export function gfpMaySleep(gfp: number): boolean {
  return (gfp & __GFP_DIRECT_RECLAIM) !== 0;
}

export function gfpName(gfp: number): string {
  const parts: string[] = [];
  if ((gfp & GFP_KERNEL) === GFP_KERNEL) parts.push('GFP_KERNEL');
  else if ((gfp & GFP_ATOMIC) === GFP_ATOMIC) parts.push('GFP_ATOMIC');
  if (gfp & __GFP_DMA) parts.push('GFP_DMA');
  if (gfp & __GFP_DMA32) parts.push('GFP_DMA32');
  if (gfp & __GFP_ZERO) parts.push('__GFP_ZERO');
  return parts.join('|') || `0x${gfp.toString(16)}`;
}

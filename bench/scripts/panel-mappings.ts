// Bench: 10,000 live streaming mappings at once (sizes from 256 bytes to 8 KiB, every direction),
// the load the DMA panel's snapshot and its virtualized tables are measured with. The harness
// snapshots the kernel at the "panel:ready" log line, while every mapping is live.
import {
  platform_driver, kmalloc, kfree, GFP_KERNEL, dma_map_single, dma_unmap_single, dma_mapping_error, dma_set_mask_and_coherent,
  DMA_BIT_MASK, DMA_TO_DEVICE, DMA_FROM_DEVICE, DMA_BIDIRECTIONAL, pr_info, EIO, ENOMEM, Ptr,
} from 'dmalab/linux';

export const MAPPINGS = 10_000;
const SIZES = [256, 512, 1024, 2048, 4096, 8192];
const DIRS = [DMA_TO_DEVICE, DMA_FROM_DEVICE, DMA_BIDIRECTIONAL];

export default platform_driver({
  name: 'bench-panel',
  of_match_table: ['dmalab,dad'],
  probe(pdev) {
    const dev = pdev.dev;
    if (dma_set_mask_and_coherent(dev, DMA_BIT_MASK(32))) return -EIO;
    const live: { buf: Ptr; dma: bigint; size: number; dir: number }[] = [];
    for (let i = 0; i < MAPPINGS; i++) {
      const size = SIZES[i % SIZES.length];
      const dir = DIRS[i % DIRS.length];
      const buf = kmalloc(size, GFP_KERNEL);
      if (!buf) return -ENOMEM;
      const dma = dma_map_single(dev, buf, size, dir);
      if (dma_mapping_error(dev, dma)) return -EIO;
      live.push({ buf, dma, size, dir });
    }
    pr_info('panel:ready %d', live.length);
    for (const m of live) {
      dma_unmap_single(dev, m.dma, m.size, m.dir);
      kfree(m.buf);
    }
    return 0;
  },
});

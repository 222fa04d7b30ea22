// Bench: 4 KiB dma_map_single + dma_unmap_single pairs in a tight loop (with the mapping checked).
// The harness times the stretch between the "bench:begin" and "bench:end" log lines.
import { platform_driver, kmalloc, kfree, GFP_KERNEL, dma_map_single, dma_unmap_single, dma_mapping_error, dma_set_mask_and_coherent, DMA_BIT_MASK, DMA_TO_DEVICE, pr_info, EIO } from 'dmalab/linux';

export const PAIRS = 200_000;

export default platform_driver({
  name: 'bench-map',
  of_match_table: ['dmalab,dad'],
  probe(pdev) {
    const dev = pdev.dev;
    if (dma_set_mask_and_coherent(dev, DMA_BIT_MASK(32))) return -EIO;
    const buf = kmalloc(4096, GFP_KERNEL)!;
    pr_info('bench:begin');
    for (let i = 0; i < PAIRS; i++) {
      const dma = dma_map_single(dev, buf, 4096, DMA_TO_DEVICE);
      if (dma_mapping_error(dev, dma)) return -EIO;
      dma_unmap_single(dev, dma, 4096, DMA_TO_DEVICE);
    }
    pr_info('bench:end %d', PAIRS);
    kfree(buf);
    return 0;
  },
});

// probe keeps a 20 MiB RX ring permanently mapped on a board whose device cannot reach most of RAM:
// every buffer pins a bounce slot, the 16 MiB pool runs out ("swiotlb buffer is full") and probe fails.
// platforms: arm32-swiotlb
import {
  platform_driver, PlatformDevice, Device, Ptr, dma_set_mask_and_coherent, DMA_BIT_MASK,
  dma_map_single, dma_unmap_single, dma_mapping_error, DMA_FROM_DEVICE, devm_platform_ioremap_resource,
  IS_ERR, PTR_ERR, kmalloc, kfree, GFP_KERNEL, dev_info, dev_err, EIO, ENOMEM,
} from 'dmalab/linux';

const RX_BUF = 128 * 1024;
const RX_RING = 160; // 20 MiB of receive buffers, each mapped for the driver's lifetime

interface RxSlot { buf: Ptr; dma: bigint }
let dev: Device;
const ring: RxSlot[] = [];

function dad_free_ring(): void {
  for (const s of ring.splice(0)) {
    dma_unmap_single(dev, s.dma, RX_BUF, DMA_FROM_DEVICE);
    kfree(s.buf);
  }
}

export default platform_driver({
  name: 'dad',
  of_match_table: ['dmalab,dad'],
  async probe(pdev: PlatformDevice) {
    dev = pdev.dev;
    if (dma_set_mask_and_coherent(dev, DMA_BIT_MASK(32))) return -EIO;
    const regs = devm_platform_ioremap_resource(pdev, 0);
    if (IS_ERR(regs)) return PTR_ERR(regs);
    for (let i = 0; i < RX_RING; i++) {
      const buf = kmalloc(RX_BUF, GFP_KERNEL);
      if (!buf) break;
      const dma = dma_map_single(dev, buf, RX_BUF, DMA_FROM_DEVICE); // BUG: swiotlb-full
      if (dma_mapping_error(dev, dma)) {
        kfree(buf);
        dev_err(dev, 'cannot map rx buffer %d of %d\n', i, RX_RING);
        dad_free_ring();
        return -ENOMEM;
      }
      ring.push({ buf, dma });
    }
    dev_info(dev, '%d rx buffers mapped\n', ring.length);
    return 0;
  },
  remove() {
    dad_free_ring();
  },
});

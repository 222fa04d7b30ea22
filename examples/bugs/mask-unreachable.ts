// Peer-to-peer DMA via dma_map_resource() to a peripheral FIFO the bus cannot route (dma-ranges cover
// only RAM, and MMIO cannot bounce): the kernel prints "DMA addr ... overflow" and the mapping fails.
// platforms: arm32-swiotlb
import {
  platform_driver, PlatformDevice, Device, dma_set_mask_and_coherent, DMA_BIT_MASK,
  dma_map_resource, dma_unmap_resource, dma_mapping_error, DMA_TO_DEVICE, DMA_MAPPING_ERROR,
  devm_platform_ioremap_resource, IS_ERR, PTR_ERR, dev_info, dev_warn, EIO,
} from 'dmalab/linux';

/** The FIFO window of the board's sample sink (a peripheral on the same SoC bus). */
const SINK_FIFO_PHYS = 0x1c140000n;
const SINK_FIFO_LEN = 4096;

let dev: Device;
let fifo_dma = DMA_MAPPING_ERROR;

export default platform_driver({
  name: 'dad',
  of_match_table: ['dmalab,dad'],
  async probe(pdev: PlatformDevice) {
    dev = pdev.dev;
    if (dma_set_mask_and_coherent(dev, DMA_BIT_MASK(32))) return -EIO;
    const regs = devm_platform_ioremap_resource(pdev, 0);
    if (IS_ERR(regs)) return PTR_ERR(regs);
    // stream samples device-to-device, without a trip through RAM
    fifo_dma = dma_map_resource(dev, SINK_FIFO_PHYS, SINK_FIFO_LEN, DMA_TO_DEVICE); // BUG: mask-unreachable
    if (dma_mapping_error(dev, fifo_dma)) {
      dev_warn(dev, 'sink FIFO not reachable by DMA, using RAM buffers\n');
      fifo_dma = DMA_MAPPING_ERROR;
    } else {
      dev_info(dev, 'streaming to the sink FIFO at bus address %pad\n', fifo_dma);
    }
    return 0;
  },
  remove() {
    if (fifo_dma !== DMA_MAPPING_ERROR) dma_unmap_resource(dev, fifo_dma, SINK_FIFO_LEN, DMA_TO_DEVICE);
  },
});

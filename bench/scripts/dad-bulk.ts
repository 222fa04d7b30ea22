// Bench: 256 MiB of dad RD transfers (device → memory) in 4 MiB mapped buffers, each mapping torn
// down after its transfer. The harness times "bench:begin" to "bench:end".
import {
  platform_driver, kmalloc, kfree, GFP_KERNEL, dma_map_single, dma_unmap_single, dma_mapping_error, dma_set_mask_and_coherent,
  DMA_BIT_MASK, DMA_FROM_DEVICE, devm_platform_ioremap_resource, platform_get_irq, devm_request_irq, IS_ERR, readl, writel, writeb,
  init_completion, reinit_completion, complete, wait_for_completion, lower_32_bits, upper_32_bits, pr_info, IRQ_HANDLED, EIO, ENOMEM,
} from 'dmalab/linux';
import { DAD_COMMAND, DAD_ADDR, DAD_ADDR_HI, DAD_LEN, DAD_STATUS, DAD_CMD_RD, DAD_CMD_ENABLEDMA, DAD_STATUS_DONE, DAD_STATUS_ERROR } from 'dmalab/devices';

const CHUNK = 4 << 20;
const TOTAL = 256 << 20;

export default platform_driver({
  name: 'bench-bulk',
  of_match_table: ['dmalab,dad'],
  async probe(pdev) {
    const dev = pdev.dev;
    if (dma_set_mask_and_coherent(dev, DMA_BIT_MASK(32))) return -EIO;
    const regs = devm_platform_ioremap_resource(pdev, 0);
    if (IS_ERR(regs)) return -EIO;
    const done = init_completion();
    let status = 0;
    const irq = platform_get_irq(pdev, 0);
    devm_request_irq(dev, irq, () => {
      status = readl(regs.add(DAD_STATUS));
      writel(DAD_STATUS_DONE | DAD_STATUS_ERROR, regs.add(DAD_STATUS));
      complete(done);
      return IRQ_HANDLED;
    }, 0, 'bench', dev);
    const buf = kmalloc(CHUNK, GFP_KERNEL);
    if (!buf) return -ENOMEM;
    pr_info('bench:begin');
    for (let moved = 0; moved < TOTAL; moved += CHUNK) {
      const dma = dma_map_single(dev, buf, CHUNK, DMA_FROM_DEVICE);
      if (dma_mapping_error(dev, dma)) return -ENOMEM;
      reinit_completion(done);
      writeb(DAD_CMD_RD, regs.add(DAD_COMMAND));
      writel(lower_32_bits(dma), regs.add(DAD_ADDR));
      writel(upper_32_bits(dma), regs.add(DAD_ADDR_HI));
      writel(CHUNK, regs.add(DAD_LEN));
      writeb(DAD_CMD_ENABLEDMA, regs.add(DAD_COMMAND));
      await wait_for_completion(done);
      dma_unmap_single(dev, dma, CHUNK, DMA_FROM_DEVICE);
      if (status & DAD_STATUS_ERROR) return -EIO;
    }
    pr_info('bench:end %d', TOTAL);
    kfree(buf);
    return 0;
  },
});

// Bench: the dad read flow as user space sees it, many times: read 4 KiB blocks through /dev/dad and
// check every byte on the CPU. Used to compare a run with the DMA-API checker on and off.
import {
  platform_driver, kmalloc, kfree, GFP_KERNEL, dma_map_single, dma_unmap_single, dma_mapping_error, dma_set_mask_and_coherent,
  DMA_BIT_MASK, DMA_FROM_DEVICE, devm_platform_ioremap_resource, platform_get_irq, devm_request_irq, IS_ERR, readl, writel, writeb,
  init_completion, reinit_completion, complete, wait_for_completion, lower_32_bits, upper_32_bits, copy_to_user, misc_register,
  misc_deregister, pr_info, IRQ_HANDLED, EIO, ENOMEM, EFAULT, File, UserPtr, MiscDevice,
} from 'dmalab/linux';
import { DAD_COMMAND, DAD_ADDR, DAD_ADDR_HI, DAD_LEN, DAD_STATUS, DAD_CMD_RD, DAD_CMD_ENABLEDMA, DAD_STATUS_DONE, DAD_STATUS_ERROR, dad_pattern_byte } from 'dmalab/devices';

const BLOCK = 4096;
const READS = 1500;
let misc: MiscDevice;
let buffer: ReturnType<typeof kmalloc>;

export default platform_driver({
  name: 'bench-reads',
  of_match_table: ['dmalab,dad'],
  probe(pdev) {
    const dev = pdev.dev;
    if (dma_set_mask_and_coherent(dev, DMA_BIT_MASK(32))) return -EIO;
    const regs = devm_platform_ioremap_resource(pdev, 0);
    if (IS_ERR(regs)) return -EIO;
    const done = init_completion();
    buffer = kmalloc(BLOCK, GFP_KERNEL);
    if (!buffer) return -ENOMEM;
    const buf = buffer;
    devm_request_irq(dev, platform_get_irq(pdev, 0), () => {
      writel(DAD_STATUS_DONE | DAD_STATUS_ERROR, regs.add(DAD_STATUS));
      complete(done);
      return IRQ_HANDLED;
    }, 0, 'bench', dev);
    misc = {
      name: 'dad',
      fops: {
        async read(_f: File, ubuf: UserPtr, count: number) {
          const dma = dma_map_single(dev, buf, BLOCK, DMA_FROM_DEVICE);
          if (dma_mapping_error(dev, dma)) return -ENOMEM;
          reinit_completion(done);
          writeb(DAD_CMD_RD, regs.add(DAD_COMMAND));
          writel(lower_32_bits(dma), regs.add(DAD_ADDR));
          writel(upper_32_bits(dma), regs.add(DAD_ADDR_HI));
          writel(BLOCK, regs.add(DAD_LEN));
          writeb(DAD_CMD_ENABLEDMA, regs.add(DAD_COMMAND));
          await wait_for_completion(done);
          dma_unmap_single(dev, dma, BLOCK, DMA_FROM_DEVICE);
          if (readl(regs.add(DAD_STATUS)) & DAD_STATUS_ERROR) return -EIO;
          return copy_to_user(ubuf, buf, Math.min(count, BLOCK)) ? -EFAULT : Math.min(count, BLOCK);
        },
      },
    };
    return misc_register(misc);
  },
  remove() {
    misc_deregister(misc);
    kfree(buffer);
  },
});

export async function scenario(sys: { open(p: string): Promise<{ read(n: number): Promise<Uint8Array> }>; log(m: string): void }) {
  const f = await sys.open('/dev/dad');
  pr_info('bench:begin');
  for (let seq = 0; seq < READS; seq++) {
    const data = await f.read(BLOCK);
    for (let i = 0; i < data.length; i++) if (data[i] !== dad_pattern_byte(seq, i)) throw new Error(`block ${seq} byte ${i} wrong`);
  }
  pr_info('bench:end %d', READS);
}

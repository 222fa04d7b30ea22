// read() calls dma_sync_single_for_cpu() after the IRQ handler already unmapped the buffer: dma-debug
// "device driver tries to sync DMA memory it has not allocated"; behind an IOMMU it syncs a recycled IOVA.
// platforms: x86-64-vtd, arm64-smmu-noncoherent, arm32-swiotlb
import {
  platform_driver, PlatformDevice, Device, IoMem, Ptr, UserPtr, Completion,
  dma_set_mask_and_coherent, DMA_BIT_MASK, dma_map_single, dma_unmap_single, dma_mapping_error, dma_sync_single_for_cpu,
  DMA_FROM_DEVICE, lower_32_bits, upper_32_bits, devm_platform_ioremap_resource, platform_get_irq,
  devm_request_irq, IS_ERR, PTR_ERR, readl, writel, writeb, kmalloc, kfree, GFP_KERNEL, copy_to_user,
  init_completion, reinit_completion, complete, wait_for_completion_timeout, msecs_to_jiffies,
  misc_register, misc_deregister, MISC_DYNAMIC_MINOR, IRQ_HANDLED, IRQ_NONE, EIO, ENOMEM, EFAULT, ETIMEDOUT,
} from 'dmalab/linux';
import { DAD_COMMAND, DAD_ADDR, DAD_ADDR_HI, DAD_LEN, DAD_STATUS, DAD_CMD_RD, DAD_CMD_ENABLEDMA, DAD_STATUS_DONE, DAD_STATUS_ERROR } from 'dmalab/devices';

const BLOCK = 4096;
let dev: Device, regs: IoMem, buffer: Ptr, dma_addr: bigint, dma_len: number, status: number, done: Completion;

function dad_irq(): number {
  const st = readl(regs.add(DAD_STATUS));
  if (!(st & DAD_STATUS_DONE)) return IRQ_NONE;
  writel(DAD_STATUS_DONE | DAD_STATUS_ERROR, regs.add(DAD_STATUS));
  dma_unmap_single(dev, dma_addr, dma_len, DMA_FROM_DEVICE);
  status = st & DAD_STATUS_ERROR ? -EIO : 0;
  complete(done);
  return IRQ_HANDLED;
}

async function dad_read(_f: unknown, ubuf: UserPtr, count: number): Promise<number> {
  dma_len = Math.min(count, BLOCK);
  dma_addr = dma_map_single(dev, buffer, dma_len, DMA_FROM_DEVICE);
  if (dma_mapping_error(dev, dma_addr)) return -ENOMEM;
  reinit_completion(done);
  writeb(DAD_CMD_RD, regs.add(DAD_COMMAND));
  writel(lower_32_bits(dma_addr), regs.add(DAD_ADDR));
  writel(upper_32_bits(dma_addr), regs.add(DAD_ADDR_HI));
  writel(dma_len, regs.add(DAD_LEN));
  writeb(DAD_CMD_ENABLEDMA, regs.add(DAD_COMMAND));
  if (!(await wait_for_completion_timeout(done, msecs_to_jiffies(1000)))) return -ETIMEDOUT;
  if (status) return status;
  dma_sync_single_for_cpu(dev, dma_addr, dma_len, DMA_FROM_DEVICE); // BUG: sync-unknown
  return copy_to_user(ubuf, buffer, dma_len) ? -EFAULT : dma_len;
}

const misc = { minor: MISC_DYNAMIC_MINOR, name: 'dad', fops: { read: dad_read } };

export default platform_driver({
  name: 'dad',
  of_match_table: ['dmalab,dad'],
  async probe(pdev: PlatformDevice) {
    dev = pdev.dev;
    if (dma_set_mask_and_coherent(dev, DMA_BIT_MASK(32))) return -EIO;
    const r = devm_platform_ioremap_resource(pdev, 0);
    if (IS_ERR(r)) return PTR_ERR(r);
    regs = r;
    const irq = platform_get_irq(pdev, 0);
    if (irq < 0) return irq;
    const b = kmalloc(BLOCK, GFP_KERNEL);
    if (!b) return -ENOMEM;
    buffer = b;
    done = init_completion();
    const ret = devm_request_irq(dev, irq, dad_irq, 0, 'dad', null) || misc_register(misc);
    if (ret) kfree(buffer);
    return ret;
  },
  remove() {
    misc_deregister(misc);
    kfree(buffer);
  },
});

export async function scenario(sys: { open(p: string): Promise<{ read(n: number): Promise<Uint8Array> }>; log(m: string): void }) {
  const f = await sys.open('/dev/dad');
  sys.log(`read ${(await f.read(BLOCK)).length} bytes`);
}

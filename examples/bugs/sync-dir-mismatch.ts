// A DMA_TO_DEVICE TX buffer is handed back with dma_sync_single_for_device(..., DMA_FROM_DEVICE): dma-debug
// "syncs DMA memory with different direction"; 32-bit Arm invalidates, swiotlb skips the copy: old data is
// sent, and on arm32-swiotlb the device is seen reading a bounce slot older than the buffer.
// platforms: x86-64-vtd, arm64-smmu-noncoherent, arm32-swiotlb
// also: dirty-cache-not-flushed
import {
  platform_driver, PlatformDevice, Device, IoMem, Ptr, UserPtr, Completion,
  dma_set_mask_and_coherent, DMA_BIT_MASK, dma_map_single, dma_unmap_single, dma_mapping_error,
  dma_sync_single_for_cpu, dma_sync_single_for_device, DMA_TO_DEVICE, DMA_FROM_DEVICE, lower_32_bits, upper_32_bits,
  devm_platform_ioremap_resource, platform_get_irq, devm_request_irq, IS_ERR, PTR_ERR, readl, writel, writeb,
  kmalloc, kfree, GFP_KERNEL, copy_from_user, init_completion, reinit_completion, complete,
  wait_for_completion_timeout, msecs_to_jiffies, misc_register, misc_deregister, MISC_DYNAMIC_MINOR,
  IRQ_HANDLED, IRQ_NONE, EIO, ENOMEM, EFAULT, ETIMEDOUT,
} from 'dmalab/linux';
import { DAD_COMMAND, DAD_ADDR, DAD_ADDR_HI, DAD_LEN, DAD_STATUS, DAD_CMD_WR, DAD_CMD_ENABLEDMA, DAD_STATUS_DONE, DAD_STATUS_ERROR } from 'dmalab/devices';

const BLOCK = 4096;
let dev: Device, regs: IoMem, txbuf: Ptr, tx_dma: bigint, status: number, done: Completion;

function dad_irq(): number {
  const st = readl(regs.add(DAD_STATUS));
  if (!(st & DAD_STATUS_DONE)) return IRQ_NONE;
  writel(DAD_STATUS_DONE | DAD_STATUS_ERROR, regs.add(DAD_STATUS));
  status = st & DAD_STATUS_ERROR ? -EIO : 0;
  complete(done);
  return IRQ_HANDLED;
}

async function dad_write(_f: unknown, ubuf: UserPtr, count: number): Promise<number> {
  const len = Math.min(count, BLOCK);
  dma_sync_single_for_cpu(dev, tx_dma, len, DMA_TO_DEVICE); // the CPU may fill it now
  if (copy_from_user(txbuf, ubuf, len)) return -EFAULT;
  dma_sync_single_for_device(dev, tx_dma, len, DMA_FROM_DEVICE); // BUG: sync-dir-mismatch
  reinit_completion(done);
  writeb(DAD_CMD_WR, regs.add(DAD_COMMAND));
  writel(lower_32_bits(tx_dma), regs.add(DAD_ADDR));
  writel(upper_32_bits(tx_dma), regs.add(DAD_ADDR_HI));
  writel(len, regs.add(DAD_LEN));
  writeb(DAD_CMD_ENABLEDMA, regs.add(DAD_COMMAND));
  if (!(await wait_for_completion_timeout(done, msecs_to_jiffies(1000)))) return -ETIMEDOUT;
  return status || len;
}

const misc = { minor: MISC_DYNAMIC_MINOR, name: 'dad', fops: { write: dad_write } };

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
    txbuf = b;
    tx_dma = dma_map_single(dev, txbuf, BLOCK, DMA_TO_DEVICE); // mapped for the driver's lifetime
    if (dma_mapping_error(dev, tx_dma)) {
      kfree(txbuf);
      return -ENOMEM;
    }
    done = init_completion();
    const ret = devm_request_irq(dev, irq, dad_irq, 0, 'dad', null) || misc_register(misc);
    if (ret) {
      dma_unmap_single(dev, tx_dma, BLOCK, DMA_TO_DEVICE);
      kfree(txbuf);
    }
    return ret;
  },
  remove() {
    misc_deregister(misc);
    dma_unmap_single(dev, tx_dma, BLOCK, DMA_TO_DEVICE);
    kfree(txbuf);
  },
});

export async function scenario(sys: { open(p: string): Promise<{ write(d: string): Promise<number> }>; log(m: string): void }) {
  const f = await sys.open('/dev/dad');
  sys.log(`wrote ${await f.write('samples for the device to play out\n'.repeat(64))} bytes`);
}

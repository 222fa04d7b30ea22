// remove() forgets dma_free_coherent() for the buffer allocated in probe: dma-debug at unbind "device
// driver has pending DMA allocations while released from device"; pages and IOVA space leak.
// platforms: x86-64-vtd, arm64-smmu-noncoherent, arm32-swiotlb
import {
  platform_driver, PlatformDevice, Device, IoMem, Ptr, UserPtr, Completion,
  dma_set_mask_and_coherent, DMA_BIT_MASK, dma_alloc_coherent, dma_free_coherent,
  lower_32_bits, upper_32_bits, devm_platform_ioremap_resource, platform_get_irq,
  devm_request_irq, IS_ERR, PTR_ERR, readl, writel, writeb, GFP_KERNEL, copy_to_user,
  init_completion, reinit_completion, complete, wait_for_completion_timeout, msecs_to_jiffies,
  misc_register, misc_deregister, MISC_DYNAMIC_MINOR, IRQ_HANDLED, IRQ_NONE, EIO, ENOMEM, EFAULT, ETIMEDOUT,
} from 'dmalab/linux';
import { DAD_COMMAND, DAD_ADDR, DAD_ADDR_HI, DAD_LEN, DAD_STATUS, DAD_CMD_RD, DAD_CMD_ENABLEDMA, DAD_STATUS_DONE, DAD_STATUS_ERROR } from 'dmalab/devices';

const BLOCK = 4096;
let dev: Device, regs: IoMem, cpu_buf: Ptr, dma_handle: bigint, status: number, done: Completion;

function dad_irq(): number {
  const st = readl(regs.add(DAD_STATUS));
  if (!(st & DAD_STATUS_DONE)) return IRQ_NONE;
  writel(DAD_STATUS_DONE | DAD_STATUS_ERROR, regs.add(DAD_STATUS));
  status = st & DAD_STATUS_ERROR ? -EIO : 0;
  complete(done);
  return IRQ_HANDLED;
}

async function dad_read(_f: unknown, ubuf: UserPtr, count: number): Promise<number> {
  count = Math.min(count, BLOCK);
  reinit_completion(done);
  writeb(DAD_CMD_RD, regs.add(DAD_COMMAND));
  writel(lower_32_bits(dma_handle), regs.add(DAD_ADDR));
  writel(upper_32_bits(dma_handle), regs.add(DAD_ADDR_HI));
  writel(count, regs.add(DAD_LEN));
  writeb(DAD_CMD_ENABLEDMA, regs.add(DAD_COMMAND));
  if (!(await wait_for_completion_timeout(done, msecs_to_jiffies(1000)))) return -ETIMEDOUT;
  if (status) return status;
  return copy_to_user(ubuf, cpu_buf, count) ? -EFAULT : count;
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
    const c = dma_alloc_coherent(dev, BLOCK, GFP_KERNEL); // BUG: leak-at-remove
    if (!c) return -ENOMEM;
    cpu_buf = c.cpu;
    dma_handle = c.dma;
    done = init_completion();
    const ret = devm_request_irq(dev, irq, dad_irq, 0, 'dad', null) || misc_register(misc);
    if (ret) dma_free_coherent(dev, BLOCK, cpu_buf, dma_handle);
    return ret;
  },
  remove() {
    misc_deregister(misc);
    // (missing: dma_free_coherent(dev, BLOCK, cpu_buf, dma_handle);)
  },
});

export async function scenario(sys: { open(p: string): Promise<{ read(n: number): Promise<Uint8Array> }>; log(m: string): void }) {
  const f = await sys.open('/dev/dad');
  sys.log(`read ${(await f.read(BLOCK)).length} bytes`);
}

// The 64 KiB capture buffer comes from vmalloc and is passed to dma_map_single(): the kernel WARNs
// "rejecting DMA map of vmalloc memory" (not physically contiguous) and every read() fails with -ENOMEM.
// platforms: x86-64-vtd, arm64-smmu-noncoherent, arm32-swiotlb
import {
  platform_driver, PlatformDevice, Device, IoMem, Ptr, UserPtr, Completion,
  dma_set_mask_and_coherent, DMA_BIT_MASK, dma_map_single, dma_unmap_single, dma_mapping_error,
  DMA_FROM_DEVICE, lower_32_bits, upper_32_bits, devm_platform_ioremap_resource, platform_get_irq,
  devm_request_irq, IS_ERR, PTR_ERR, readl, writel, writeb, vmalloc, vfree, copy_to_user,
  init_completion, reinit_completion, complete, wait_for_completion_timeout, msecs_to_jiffies, dev_err,
  misc_register, misc_deregister, MISC_DYNAMIC_MINOR, IRQ_HANDLED, IRQ_NONE, EIO, ENOMEM, EFAULT, ETIMEDOUT,
} from 'dmalab/linux';
import { DAD_COMMAND, DAD_ADDR, DAD_ADDR_HI, DAD_LEN, DAD_STATUS, DAD_CMD_RD, DAD_CMD_ENABLEDMA, DAD_STATUS_DONE, DAD_STATUS_ERROR } from 'dmalab/devices';

const CAPTURE = 64 * 1024;
let dev: Device, regs: IoMem, capture: Ptr, status: number, done: Completion;

function dad_irq(): number {
  const st = readl(regs.add(DAD_STATUS));
  if (!(st & DAD_STATUS_DONE)) return IRQ_NONE;
  writel(DAD_STATUS_DONE | DAD_STATUS_ERROR, regs.add(DAD_STATUS));
  status = st & DAD_STATUS_ERROR ? -EIO : 0;
  complete(done);
  return IRQ_HANDLED;
}

async function dad_read(_f: unknown, ubuf: UserPtr, count: number): Promise<number> {
  const len = Math.min(count, CAPTURE);
  const bus = dma_map_single(dev, capture, len, DMA_FROM_DEVICE); // BUG: map-from-vmalloc
  if (dma_mapping_error(dev, bus)) {
    dev_err(dev, 'cannot map the capture buffer\n');
    return -ENOMEM;
  }
  reinit_completion(done);
  writeb(DAD_CMD_RD, regs.add(DAD_COMMAND));
  writel(lower_32_bits(bus), regs.add(DAD_ADDR));
  writel(upper_32_bits(bus), regs.add(DAD_ADDR_HI));
  writel(len, regs.add(DAD_LEN));
  writeb(DAD_CMD_ENABLEDMA, regs.add(DAD_COMMAND));
  const left = await wait_for_completion_timeout(done, msecs_to_jiffies(1000));
  dma_unmap_single(dev, bus, len, DMA_FROM_DEVICE);
  if (!left) return -ETIMEDOUT;
  if (status) return status;
  return copy_to_user(ubuf, capture, len) ? -EFAULT : len;
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
    const b = vmalloc(CAPTURE); // virtually contiguous only
    if (!b) return -ENOMEM;
    capture = b;
    done = init_completion();
    const ret = devm_request_irq(dev, irq, dad_irq, 0, 'dad', null) || misc_register(misc);
    if (ret) vfree(capture);
    return ret;
  },
  remove() {
    misc_deregister(misc);
    vfree(capture);
  },
});

export async function scenario(sys: { open(p: string): Promise<{ read(n: number): Promise<Uint8Array> }>; log(m: string): void }) {
  const f = await sys.open('/dev/dad');
  try {
    sys.log(`read ${(await f.read(CAPTURE)).length} bytes`);
  } catch (e) {
    sys.log(`read failed: ${(e as Error).message}`);
  }
}

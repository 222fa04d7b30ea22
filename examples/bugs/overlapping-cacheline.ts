// A frame's 16-byte header and its payload (one kmalloc) are mapped separately for the device to write:
// dma-debug "cacheline tracking EEXIST, overlapping mappings aren't supported"; the shared line gets corrupted.
// platforms: x86-64-vtd, arm64-smmu-noncoherent, arm32-swiotlb
import {
  platform_driver, PlatformDevice, Device, IoMem, Ptr, UserPtr, Completion,
  dma_set_mask_and_coherent, DMA_BIT_MASK, dma_map_single, dma_unmap_single, dma_mapping_error,
  DMA_FROM_DEVICE, lower_32_bits, upper_32_bits, devm_platform_ioremap_resource, platform_get_irq,
  devm_request_irq, IS_ERR, PTR_ERR, readl, writel, writeb, kmalloc, kfree, GFP_KERNEL, copy_to_user,
  init_completion, reinit_completion, complete, wait_for_completion_timeout, msecs_to_jiffies,
  misc_register, misc_deregister, MISC_DYNAMIC_MINOR, IRQ_HANDLED, IRQ_NONE, EIO, ENOMEM, EFAULT, ETIMEDOUT,
} from 'dmalab/linux';
import { DAD_COMMAND, DAD_ADDR, DAD_ADDR_HI, DAD_LEN, DAD_STATUS, DAD_CMD_RD, DAD_CMD_ENABLEDMA, DAD_STATUS_DONE, DAD_STATUS_ERROR } from 'dmalab/devices';

const HDR = 16;
const PAYLOAD = 2048;
let dev: Device, regs: IoMem, frame: Ptr, status: number, done: Completion;

function dad_irq(): number {
  const st = readl(regs.add(DAD_STATUS));
  if (!(st & DAD_STATUS_DONE)) return IRQ_NONE;
  writel(DAD_STATUS_DONE | DAD_STATUS_ERROR, regs.add(DAD_STATUS));
  status = st & DAD_STATUS_ERROR ? -EIO : 0;
  complete(done);
  return IRQ_HANDLED;
}

/** One device-to-memory transfer into an already mapped range. */
async function dad_fetch(bus: bigint, len: number): Promise<number> {
  reinit_completion(done);
  writeb(DAD_CMD_RD, regs.add(DAD_COMMAND));
  writel(lower_32_bits(bus), regs.add(DAD_ADDR));
  writel(upper_32_bits(bus), regs.add(DAD_ADDR_HI));
  writel(len, regs.add(DAD_LEN));
  writeb(DAD_CMD_ENABLEDMA, regs.add(DAD_COMMAND));
  if (!(await wait_for_completion_timeout(done, msecs_to_jiffies(1000)))) return -ETIMEDOUT;
  return status;
}

/** read(): the device delivers a frame header, then its payload. */
async function dad_read(_f: unknown, ubuf: UserPtr, count: number): Promise<number> {
  if (count < HDR + PAYLOAD) return -EIO;
  const hdr_dma = dma_map_single(dev, frame, HDR, DMA_FROM_DEVICE);
  if (dma_mapping_error(dev, hdr_dma)) return -ENOMEM;
  const data_dma = dma_map_single(dev, frame.add(HDR), PAYLOAD, DMA_FROM_DEVICE); // BUG: overlapping-cacheline
  if (dma_mapping_error(dev, data_dma)) {
    dma_unmap_single(dev, hdr_dma, HDR, DMA_FROM_DEVICE);
    return -ENOMEM;
  }
  const ret = (await dad_fetch(hdr_dma, HDR)) || (await dad_fetch(data_dma, PAYLOAD));
  dma_unmap_single(dev, data_dma, PAYLOAD, DMA_FROM_DEVICE);
  dma_unmap_single(dev, hdr_dma, HDR, DMA_FROM_DEVICE);
  if (ret) return ret;
  return copy_to_user(ubuf, frame, HDR + PAYLOAD) ? -EFAULT : HDR + PAYLOAD;
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
    const b = kmalloc(HDR + PAYLOAD, GFP_KERNEL);
    if (!b) return -ENOMEM;
    frame = b;
    done = init_completion();
    const ret = devm_request_irq(dev, irq, dad_irq, 0, 'dad', null) || misc_register(misc);
    if (ret) kfree(frame);
    return ret;
  },
  remove() {
    misc_deregister(misc);
    kfree(frame);
  },
});

export async function scenario(sys: { open(p: string): Promise<{ read(n: number): Promise<Uint8Array> }>; log(m: string): void }) {
  const f = await sys.open('/dev/dad');
  sys.log(`read a ${(await f.read(HDR + PAYLOAD)).length}-byte frame`);
}

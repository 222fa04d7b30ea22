// dma_unmap_sg() gets the segment count dma_map_sg() returned, not the entry count: behind an IOMMU
// the pages merge, so dma-debug "frees DMA sg list with different entry count"; entries miss their sync.
// also: cpu-read-stale
// (on the non-coherent platform the entries left out of the unmap are never invalidated, so the CPU reads stale lines)
// platforms: x86-64-vtd, arm64-smmu-noncoherent
import {
  platform_driver, PlatformDevice, Device, IoMem, Ptr, UserPtr, Completion, Scatterlist,
  dma_set_mask_and_coherent, DMA_BIT_MASK, dma_map_sg, dma_unmap_sg, sg_init_table, sg_set_buf, for_each_sg,
  sg_dma_address, sg_dma_len, DMA_FROM_DEVICE, lower_32_bits, upper_32_bits, devm_platform_ioremap_resource,
  platform_get_irq, devm_request_irq, IS_ERR, PTR_ERR, readl, writel, writeb, kmalloc, kfree, GFP_KERNEL,
  copy_to_user, init_completion, reinit_completion, complete, wait_for_completion_timeout, msecs_to_jiffies,
  misc_register, misc_deregister, MISC_DYNAMIC_MINOR, IRQ_HANDLED, IRQ_NONE, EIO, ENOMEM, EFAULT, ETIMEDOUT,
} from 'dmalab/linux';
import { DAD_COMMAND, DAD_ADDR, DAD_ADDR_HI, DAD_LEN, DAD_STATUS, DAD_CMD_RD, DAD_CMD_ENABLEDMA, DAD_STATUS_DONE, DAD_STATUS_ERROR } from 'dmalab/devices';

const PAGE = 4096;
const NBUF = 2; // a frame is two page-sized buffers
const bufs: Ptr[] = [];
let dev: Device, regs: IoMem, sgl: Scatterlist[], status: number, done: Completion;

function dad_irq(): number {
  const st = readl(regs.add(DAD_STATUS));
  if (!(st & DAD_STATUS_DONE)) return IRQ_NONE;
  writel(DAD_STATUS_DONE | DAD_STATUS_ERROR, regs.add(DAD_STATUS));
  status = st & DAD_STATUS_ERROR ? -EIO : 0;
  complete(done);
  return IRQ_HANDLED;
}

/** Read a whole frame: map the list, run one device transfer per DMA segment, unmap. */
async function dad_read(_f: unknown, ubuf: UserPtr, count: number): Promise<number> {
  if (count < NBUF * PAGE) return -EIO;
  const nsegs = dma_map_sg(dev, sgl, NBUF, DMA_FROM_DEVICE);
  if (!nsegs) return -ENOMEM;
  let ret = 0;
  for (const sg of for_each_sg(sgl, nsegs)) {
    reinit_completion(done);
    writeb(DAD_CMD_RD, regs.add(DAD_COMMAND));
    writel(lower_32_bits(sg_dma_address(sg)), regs.add(DAD_ADDR));
    writel(upper_32_bits(sg_dma_address(sg)), regs.add(DAD_ADDR_HI));
    writel(sg_dma_len(sg), regs.add(DAD_LEN));
    writeb(DAD_CMD_ENABLEDMA, regs.add(DAD_COMMAND));
    if (!(await wait_for_completion_timeout(done, msecs_to_jiffies(1000)))) ret = -ETIMEDOUT;
    if (ret || (ret = status)) break;
  }
  dma_unmap_sg(dev, sgl, nsegs, DMA_FROM_DEVICE); // BUG: sg-count-mismatch
  if (ret) return ret;
  for (let i = 0; i < NBUF; i++) if (copy_to_user(ubuf.add(i * PAGE), bufs[i], PAGE)) return -EFAULT;
  return NBUF * PAGE;
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
    sgl = sg_init_table(NBUF);
    for (let i = 0; i < NBUF; i++) {
      const b = kmalloc(PAGE, GFP_KERNEL);
      if (!b) return -ENOMEM;
      bufs.push(b);
      sg_set_buf(sgl[i], b, PAGE);
    }
    done = init_completion();
    const ret = devm_request_irq(dev, irq, dad_irq, 0, 'dad', null) || misc_register(misc);
    if (ret) bufs.forEach((b) => kfree(b));
    return ret;
  },
  remove() {
    misc_deregister(misc);
    bufs.forEach((b) => kfree(b));
  },
});

export async function scenario(sys: { open(p: string): Promise<{ read(n: number): Promise<Uint8Array> }>; log(m: string): void }) {
  const f = await sys.open('/dev/dad');
  sys.log(`read a ${(await f.read(NBUF * PAGE)).length}-byte frame`);
}

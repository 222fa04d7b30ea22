// remove() frees the coherent buffer with the pointer past its 64-byte header, not the one returned by
// dma_alloc_coherent(): dma-debug "frees DMA memory with different CPU address"; the wrong pages get freed.
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

const HDR = 64;
const BLOCK = 4096;
/** One coherent allocation: a status header, then the data block the device fills. */
let dev: Device, regs: IoMem, data: Ptr, dma_handle: bigint, status: number, done: Completion;

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
  const bus = dma_handle + BigInt(HDR); // coherent memory: no map/unmap, no syncs
  reinit_completion(done);
  writeb(DAD_CMD_RD, regs.add(DAD_COMMAND));
  writel(lower_32_bits(bus), regs.add(DAD_ADDR));
  writel(upper_32_bits(bus), regs.add(DAD_ADDR_HI));
  writel(count, regs.add(DAD_LEN));
  writeb(DAD_CMD_ENABLEDMA, regs.add(DAD_COMMAND));
  if (!(await wait_for_completion_timeout(done, msecs_to_jiffies(1000)))) return -ETIMEDOUT;
  if (status) return status;
  return copy_to_user(ubuf, data, count) ? -EFAULT : count;
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
    const c = dma_alloc_coherent(dev, HDR + BLOCK, GFP_KERNEL);
    if (!c) return -ENOMEM;
    data = c.cpu.add(HDR); // only the data part is kept: the header is the device's
    dma_handle = c.dma;
    done = init_completion();
    const ret = devm_request_irq(dev, irq, dad_irq, 0, 'dad', null) || misc_register(misc);
    if (ret) dma_free_coherent(dev, HDR + BLOCK, c.cpu, c.dma);
    return ret;
  },
  remove() {
    misc_deregister(misc);
    dma_free_coherent(dev, HDR + BLOCK, data, dma_handle); // BUG: free-coherent-cpu-mismatch
  },
});

export async function scenario(sys: { open(p: string): Promise<{ read(n: number): Promise<Uint8Array> }>; log(m: string): void }) {
  const f = await sys.open('/dev/dad');
  sys.log(`read ${(await f.read(BLOCK)).length} bytes`);
}

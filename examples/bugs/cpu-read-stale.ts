// After each transfer read() syncs only the 64-byte header for the CPU, then copies the whole block:
// on a non-coherent SoC the rest comes from cache lines filled before the device wrote RAM (old data).
// platforms: arm64-smmu-noncoherent
import {
  platform_driver, PlatformDevice, Device, IoMem, Ptr, UserPtr, Completion,
  dma_set_mask_and_coherent, DMA_BIT_MASK, dma_map_single, dma_unmap_single, dma_mapping_error,
  dma_sync_single_for_cpu, dma_sync_single_for_device, DMA_FROM_DEVICE, lower_32_bits, upper_32_bits,
  devm_platform_ioremap_resource, platform_get_irq, devm_request_irq, IS_ERR, PTR_ERR, readl, writel, writeb,
  kmalloc, kfree, GFP_KERNEL, copy_to_user, init_completion, reinit_completion, complete,
  wait_for_completion_timeout, msecs_to_jiffies, misc_register, misc_deregister, MISC_DYNAMIC_MINOR,
  IRQ_HANDLED, IRQ_NONE, EIO, ENOMEM, EFAULT, ETIMEDOUT,
} from 'dmalab/linux';
import { DAD_COMMAND, DAD_ADDR, DAD_ADDR_HI, DAD_LEN, DAD_STATUS, DAD_CMD_RD, DAD_CMD_ENABLEDMA, DAD_STATUS_DONE, DAD_STATUS_ERROR, dad_pattern_byte } from 'dmalab/devices';

const BLOCK = 4096;
const HDR = 64;
let dev: Device, regs: IoMem, buffer: Ptr, dma_addr: bigint, status: number, done: Completion;

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
  dma_sync_single_for_device(dev, dma_addr, BLOCK, DMA_FROM_DEVICE);
  reinit_completion(done);
  writeb(DAD_CMD_RD, regs.add(DAD_COMMAND));
  writel(lower_32_bits(dma_addr), regs.add(DAD_ADDR));
  writel(upper_32_bits(dma_addr), regs.add(DAD_ADDR_HI));
  writel(BLOCK, regs.add(DAD_LEN));
  writeb(DAD_CMD_ENABLEDMA, regs.add(DAD_COMMAND));
  if (!(await wait_for_completion_timeout(done, msecs_to_jiffies(1000)))) return -ETIMEDOUT;
  dma_sync_single_for_cpu(dev, dma_addr, HDR, DMA_FROM_DEVICE); // only the header...
  if (status || buffer.read8(0) !== 0) return -EIO; // a block starts with byte 0
  return copy_to_user(ubuf, buffer, count) ? -EFAULT : count; // BUG: cpu-read-stale
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
    dma_addr = dma_map_single(dev, buffer, BLOCK, DMA_FROM_DEVICE); // mapped for the driver's lifetime
    if (dma_mapping_error(dev, dma_addr)) {
      kfree(buffer);
      return -ENOMEM;
    }
    done = init_completion();
    const ret = devm_request_irq(dev, irq, dad_irq, 0, 'dad', null) || misc_register(misc);
    if (ret) {
      dma_unmap_single(dev, dma_addr, BLOCK, DMA_FROM_DEVICE);
      kfree(buffer);
    }
    return ret;
  },
  remove() {
    misc_deregister(misc);
    dma_unmap_single(dev, dma_addr, BLOCK, DMA_FROM_DEVICE);
    kfree(buffer);
  },
});

export async function scenario(sys: { open(p: string): Promise<{ read(n: number): Promise<Uint8Array> }>; log(m: string): void }) {
  const f = await sys.open('/dev/dad');
  const data = await f.read(BLOCK);
  const bad = data.filter((b, i) => b !== dad_pattern_byte(0, i)).length;
  sys.log(bad ? `${bad} of ${data.length} bytes are not what the device wrote` : `${data.length} bytes, pattern OK`);
}

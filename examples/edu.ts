// QEMU's "edu" teaching device: check its identity and liveness, compute a factorial with an
// interrupt, then move data with its DMA engine both ways through its 4 KiB internal buffer.
// User space writes a message to /dev/edu (RAM → device) and reads it back (device → RAM).
// The device only drives 28 address bits: the driver must say so with dma_set_mask_and_coherent.
//
// platforms: x86-64-vtd, arm64-smmu-noncoherent, arm32-swiotlb
// run:       dmalab run examples/edu.ts --platform x86-64-vtd
import {
  platform_driver, PlatformDevice, Device, IoMem, Ptr, File, UserPtr, MiscDevice,
  dma_set_mask_and_coherent, DMA_BIT_MASK, dma_map_single, dma_unmap_single, dma_mapping_error,
  DMA_TO_DEVICE, DMA_FROM_DEVICE, devm_platform_ioremap_resource, platform_get_irq, devm_request_irq,
  IS_ERR, PTR_ERR, readl, writel, writeq, kmalloc, kfree, GFP_KERNEL, copy_to_user, copy_from_user,
  Completion, init_completion, reinit_completion, complete, wait_for_completion_timeout, msecs_to_jiffies,
  misc_register, misc_deregister, MISC_DYNAMIC_MINOR, IRQ_HANDLED, IRQ_NONE,
  dev_info, dev_err, ENOMEM, EIO, EFAULT, ETIMEDOUT, ENODEV,
} from 'dmalab/linux';
import {
  EDU_ID, EDU_LIVENESS, EDU_FACTORIAL, EDU_STATUS, EDU_STATUS_IRQFACT, EDU_IRQ_STATUS, EDU_IRQ_ACK,
  EDU_IRQ_FACT, EDU_IRQ_DMA, EDU_DMA_SRC, EDU_DMA_DST, EDU_DMA_COUNT, EDU_DMA_CMD, EDU_DMA_RUN,
  EDU_DMA_DIR_TO_RAM, EDU_DMA_IRQ, EDU_DMA_START, EDU_DMA_SIZE,
} from 'dmalab/devices';

interface EduDev {
  dev: Device;
  regs: IoMem;
  buffer: Ptr;
  irqStatus: number;
  fact: Completion;
  dma: Completion;
  misc: MiscDevice & { edu?: EduDev };
}

function edu_irq(_irq: number, dev_id: unknown): number {
  const edu = dev_id as EduDev;
  const status = readl(edu.regs.add(EDU_IRQ_STATUS));
  if (!status) return IRQ_NONE;
  writel(status, edu.regs.add(EDU_IRQ_ACK));
  edu.irqStatus |= status;
  if (status & EDU_IRQ_FACT) complete(edu.fact);
  if (status & EDU_IRQ_DMA) complete(edu.dma);
  return IRQ_HANDLED;
}

/** One DMA between a kernel buffer and the device's internal buffer. */
async function edu_dma(edu: EduDev, buf: Ptr, len: number, toDevice: boolean): Promise<number> {
  const dir = toDevice ? DMA_TO_DEVICE : DMA_FROM_DEVICE;
  const addr = dma_map_single(edu.dev, buf, len, dir);
  if (dma_mapping_error(edu.dev, addr)) return -ENOMEM;
  reinit_completion(edu.dma);
  writeq(toDevice ? addr : BigInt(EDU_DMA_START), edu.regs.add(EDU_DMA_SRC));
  writeq(toDevice ? BigInt(EDU_DMA_START) : addr, edu.regs.add(EDU_DMA_DST));
  writeq(BigInt(len), edu.regs.add(EDU_DMA_COUNT));
  writeq(BigInt(EDU_DMA_RUN | EDU_DMA_IRQ | (toDevice ? 0 : EDU_DMA_DIR_TO_RAM)), edu.regs.add(EDU_DMA_CMD));
  const left = await wait_for_completion_timeout(edu.dma, msecs_to_jiffies(100));
  dma_unmap_single(edu.dev, addr, len, dir);
  if (!left) {
    dev_err(edu.dev, 'DMA timed out\n');
    return -ETIMEDOUT;
  }
  return 0;
}

function eduOf(file: File): EduDev {
  return (file.private_data as EduDev['misc']).edu!;
}

async function edu_write(file: File, ubuf: UserPtr, count: number, ppos: { pos: number }): Promise<number> {
  const edu = eduOf(file);
  const n = Math.min(count, EDU_DMA_SIZE);
  if (copy_from_user(edu.buffer, ubuf, n)) return -EFAULT;
  const r = await edu_dma(edu, edu.buffer, n, true);
  if (r) return r;
  ppos.pos += n;
  return n;
}

async function edu_read(file: File, ubuf: UserPtr, count: number, ppos: { pos: number }): Promise<number> {
  const edu = eduOf(file);
  const n = Math.min(count, EDU_DMA_SIZE);
  const r = await edu_dma(edu, edu.buffer, n, false);
  if (r) return r;
  if (copy_to_user(ubuf, edu.buffer, n)) return -EFAULT;
  ppos.pos += n;
  return n;
}

export default platform_driver({
  name: 'edu',
  of_match_table: ['qemu,edu'],

  async probe(pdev: PlatformDevice) {
    const dev = pdev.dev;
    // the device clamps DMA addresses to 28 bits: tell the DMA layer
    if (dma_set_mask_and_coherent(dev, DMA_BIT_MASK(28))) {
      dev_err(dev, 'no usable 28-bit DMA\n');
      return -EIO;
    }
    const regs = devm_platform_ioremap_resource(pdev, 0);
    if (IS_ERR(regs)) return PTR_ERR(regs);
    const id = readl(regs.add(EDU_ID));
    if ((id & 0xffff) !== 0x00ed) {
      dev_err(dev, 'unexpected id %#x\n', id);
      return -ENODEV;
    }
    writel(0x12345678, regs.add(EDU_LIVENESS));
    if (readl(regs.add(EDU_LIVENESS)) !== (~0x12345678 >>> 0)) return -EIO;

    const irq = platform_get_irq(pdev, 0);
    if (irq < 0) return irq;
    const buffer = kmalloc(EDU_DMA_SIZE, GFP_KERNEL);
    if (!buffer) return -ENOMEM;
    const edu: EduDev = {
      dev, regs, buffer, irqStatus: 0, fact: init_completion(), dma: init_completion(),
      misc: { minor: MISC_DYNAMIC_MINOR, name: 'edu', fops: { read: edu_read, write: edu_write } },
    };
    edu.misc.edu = edu;
    pdev.dev.driverData = edu;
    let ret = devm_request_irq(dev, irq, edu_irq, 0, 'edu', edu);
    if (ret) {
      kfree(buffer);
      return ret;
    }

    // the factorial unit, with its completion interrupt
    writel(EDU_STATUS_IRQFACT, regs.add(EDU_STATUS));
    writel(10, regs.add(EDU_FACTORIAL));
    if (!(await wait_for_completion_timeout(edu.fact, msecs_to_jiffies(100)))) {
      kfree(buffer);
      return -ETIMEDOUT;
    }
    dev_info(dev, 'edu v%d.%d, 10! = %u\n', id >>> 24, (id >>> 16) & 0xff, readl(regs.add(EDU_FACTORIAL)));

    ret = misc_register(edu.misc);
    if (ret) {
      kfree(buffer);
      return ret;
    }
    return 0;
  },

  remove(pdev: PlatformDevice) {
    const edu = pdev.dev.driverData as EduDev;
    misc_deregister(edu.misc);
    kfree(edu.buffer);
  },
});

/** User space: write a message through the device's buffer and read it back. */
export async function scenario(sys: { open(path: string): Promise<{ read(n: number): Promise<Uint8Array>; write(d: string | Uint8Array): Promise<number>; close(): Promise<void> }>; log(m: string): void }) {
  const f = await sys.open('/dev/edu');
  const message = 'DMA Lab: a round trip through the edu device buffer. '.repeat(40).slice(0, 2000);
  const n = await f.write(message);
  const back = new TextDecoder().decode(await f.read(n));
  if (back !== message) throw new Error(`the message came back different: ${JSON.stringify(back.slice(0, 40))}...`);
  sys.log(`edu: ${n} bytes went to the device and came back intact`);
  await f.close();
}

// The DMA Acquisition Device, read side (LDD3's "dad" example): a process calls read(), the driver
// maps a buffer and starts the device, the process sleeps; the device writes the buffer and
// interrupts; the handler unmaps it and wakes the process, which copies the data out.
//
// platforms: x86-64-vtd, arm64-smmu-noncoherent, arm32-swiotlb
// run:       dmalab run examples/dad.ts --platform arm32-swiotlb
import {
  platform_driver, PlatformDevice, Device, IoMem, Ptr, File, UserPtr, MiscDevice,
  dma_set_mask_and_coherent, DMA_BIT_MASK, dma_map_single, dma_unmap_single, dma_mapping_error,
  DMA_TO_DEVICE, DMA_FROM_DEVICE, lower_32_bits, upper_32_bits,
  devm_platform_ioremap_resource, platform_get_irq, devm_request_irq, IS_ERR, PTR_ERR,
  readl, writel, writeb, kmalloc, kfree, GFP_KERNEL, copy_to_user,
  Completion, init_completion, reinit_completion, complete, wait_for_completion_timeout, msecs_to_jiffies,
  misc_register, misc_deregister, MISC_DYNAMIC_MINOR, IRQ_HANDLED, IRQ_NONE,
  dev_info, dev_err, ENOMEM, EIO, EFAULT, ETIMEDOUT,
} from 'dmalab/linux';
import {
  DAD_COMMAND, DAD_ADDR, DAD_ADDR_HI, DAD_LEN, DAD_STATUS, DAD_CMD_DISABLEDMA, DAD_CMD_ENABLEDMA,
  DAD_CMD_WR, DAD_CMD_RD, DAD_STATUS_DONE, DAD_STATUS_ERROR, dad_pattern_byte,
} from 'dmalab/devices';

const DAD_BLOCK = 4096;

interface DadDev {
  dev: Device;
  regs: IoMem;
  buffer: Ptr;
  dma_addr: bigint;
  dma_size: number;
  dma_dir: number;
  status: number;
  done: Completion;
  misc: MiscDevice & { dad?: DadDev };
}

/** Map the buffer and start the device (seed: dad_transfer). */
function dad_transfer(dad: DadDev, write: boolean, buffer: Ptr, count: number): number {
  dad.dma_dir = write ? DMA_TO_DEVICE : DMA_FROM_DEVICE;
  dad.dma_size = count;
  const bus_addr = dma_map_single(dad.dev, buffer, count, dad.dma_dir);
  if (dma_mapping_error(dad.dev, bus_addr)) return -ENOMEM;
  dad.dma_addr = bus_addr;

  writeb(DAD_CMD_DISABLEDMA, dad.regs.add(DAD_COMMAND));
  writeb(write ? DAD_CMD_WR : DAD_CMD_RD, dad.regs.add(DAD_COMMAND));
  writel(lower_32_bits(bus_addr), dad.regs.add(DAD_ADDR));
  writel(upper_32_bits(bus_addr), dad.regs.add(DAD_ADDR_HI));
  writel(count, dad.regs.add(DAD_LEN));
  writeb(DAD_CMD_ENABLEDMA, dad.regs.add(DAD_COMMAND));
  return 0;
}

/** The other half: unmap, then (only then) the buffer is the CPU's. */
function dad_interrupt(_irq: number, dev_id: unknown): number {
  const dad = dev_id as DadDev;
  const status = readl(dad.regs.add(DAD_STATUS));
  if (!(status & DAD_STATUS_DONE)) return IRQ_NONE; // not ours
  writel(DAD_STATUS_DONE | DAD_STATUS_ERROR, dad.regs.add(DAD_STATUS)); // acknowledge
  dma_unmap_single(dad.dev, dad.dma_addr, dad.dma_size, dad.dma_dir);
  dad.status = status & DAD_STATUS_ERROR ? -EIO : 0;
  complete(dad.done);
  return IRQ_HANDLED;
}

async function dad_read(file: File, buf: UserPtr, count: number, ppos: { pos: number }): Promise<number> {
  const dad = (file.private_data as DadDev['misc']).dad!;
  count = Math.min(count, DAD_BLOCK);
  reinit_completion(dad.done);
  const ret = dad_transfer(dad, false, dad.buffer, count);
  if (ret) return ret;
  if (!(await wait_for_completion_timeout(dad.done, msecs_to_jiffies(1000)))) {
    dev_err(dad.dev, 'DMA timed out\n');
    return -ETIMEDOUT;
  }
  if (dad.status) return dad.status;
  if (copy_to_user(buf, dad.buffer, count)) return -EFAULT;
  ppos.pos += count;
  return count;
}

export default platform_driver({
  name: 'dad',
  of_match_table: ['dmalab,dad'],

  async probe(pdev: PlatformDevice) {
    const dev = pdev.dev;
    if (dma_set_mask_and_coherent(dev, DMA_BIT_MASK(32))) {
      dev_err(dev, 'no suitable DMA available\n');
      return -EIO;
    }
    const regs = devm_platform_ioremap_resource(pdev, 0);
    if (IS_ERR(regs)) return PTR_ERR(regs);
    const irq = platform_get_irq(pdev, 0);
    if (irq < 0) return irq;
    const buffer = kmalloc(DAD_BLOCK, GFP_KERNEL);
    if (!buffer) return -ENOMEM;

    const dad: DadDev = {
      dev, regs, buffer, dma_addr: 0n, dma_size: 0, dma_dir: DMA_FROM_DEVICE, status: 0,
      done: init_completion(),
      misc: { minor: MISC_DYNAMIC_MINOR, name: 'dad', fops: { read: dad_read } },
    };
    dad.misc.dad = dad;
    pdev.dev.driverData = dad;

    let ret = devm_request_irq(dev, irq, dad_interrupt, 0, 'dad', dad);
    if (ret) {
      kfree(buffer);
      return ret;
    }
    ret = misc_register(dad.misc);
    if (ret) {
      kfree(buffer);
      return ret;
    }
    dev_info(dev, 'acquisition device ready, irq %d, /dev/%s\n', irq, dad.misc.name);
    return 0;
  },

  remove(pdev: PlatformDevice) {
    const dad = pdev.dev.driverData as DadDev;
    misc_deregister(dad.misc);
    kfree(dad.buffer);
  },
});

/** User space: read four blocks and check them against the device's pattern. */
export async function scenario(sys: { open(path: string): Promise<{ read(n: number): Promise<Uint8Array>; close(): Promise<void> }>; log(m: string): void }) {
  const f = await sys.open('/dev/dad');
  for (let seq = 0; seq < 4; seq++) {
    const data = await f.read(DAD_BLOCK);
    let wrong = 0;
    for (let i = 0; i < data.length; i++) if (data[i] !== dad_pattern_byte(seq, i)) wrong++;
    if (data.length !== DAD_BLOCK || wrong) throw new Error(`block ${seq}: ${wrong} of ${data.length} bytes differ from the device's pattern`);
    sys.log(`block ${seq}: ${data.length} bytes, pattern OK`);
  }
  await f.close();
}

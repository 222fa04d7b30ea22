/**
 * The text of what "New Driver from Template" writes: a driver script with a scenario, and a
 * tsconfig.json mapping the `dmalab/*` module names to the declaration files copied beside it.
 * Pure functions, so tests can run and typecheck what users get.
 */

/** The declaration files the build writes to `types/` (one per importable module). */
export const TYPE_MODULES = ['linux', 'ddi', 'devices'] as const;

export function driverSource(name: string): string {
  const ident = name.replace(/[^A-Za-z0-9_]/g, '_');
  return `// ${name}: a streaming-DMA read driver for the dad acquisition device, from the DMA Lab template.
// A process reads /dev/${name}; the driver maps a buffer for the device, starts the transfer and
// sleeps; the interrupt handler unmaps the buffer (giving it back to the CPU) and wakes the reader.
//
// platforms: arm64-smmu-noncoherent, x86-64-vtd, arm32-swiotlb
import {
  platform_driver, PlatformDevice, Device, IoMem, Ptr, File, UserPtr, MiscDevice, MISC_DYNAMIC_MINOR,
  dma_set_mask_and_coherent, DMA_BIT_MASK, dma_map_single, dma_unmap_single, dma_mapping_error,
  DMA_FROM_DEVICE, lower_32_bits, upper_32_bits, devm_platform_ioremap_resource, platform_get_irq,
  devm_request_irq, IS_ERR, PTR_ERR, readl, writel, writeb, kmalloc, kfree, GFP_KERNEL, copy_to_user,
  misc_register, misc_deregister, dev_info, dev_err, Completion, init_completion, reinit_completion,
  complete, wait_for_completion_timeout, msecs_to_jiffies, IRQ_HANDLED, IRQ_NONE,
  EIO, ENOMEM, EFAULT, ETIMEDOUT,
} from 'dmalab/linux';
import {
  DAD_COMMAND, DAD_ADDR, DAD_ADDR_HI, DAD_LEN, DAD_STATUS, DAD_CMD_RD, DAD_CMD_ENABLEDMA,
  DAD_STATUS_DONE, DAD_STATUS_ERROR,
} from 'dmalab/devices';

const BUF_SIZE = 4096;

interface ${ident}_dev {
  dev: Device;
  regs: IoMem;
  buf: Ptr;
  dma: bigint;
  status: number;
  done: Completion;
  misc: MiscDevice & { priv?: ${ident}_dev };
}

function ${ident}_irq(_irq: number, dev_id: unknown): number {
  const d = dev_id as ${ident}_dev;
  const status = readl(d.regs.add(DAD_STATUS));
  if (!(status & DAD_STATUS_DONE)) return IRQ_NONE;
  writel(DAD_STATUS_DONE | DAD_STATUS_ERROR, d.regs.add(DAD_STATUS));
  // the device is done: unmap before the CPU looks at the buffer
  dma_unmap_single(d.dev, d.dma, BUF_SIZE, DMA_FROM_DEVICE);
  d.status = status & DAD_STATUS_ERROR ? -EIO : 0;
  complete(d.done);
  return IRQ_HANDLED;
}

async function ${ident}_read(file: File, ubuf: UserPtr, count: number, ppos: { pos: number }): Promise<number> {
  const d = (file.private_data as ${ident}_dev['misc']).priv!;
  count = Math.min(count, BUF_SIZE);
  d.dma = dma_map_single(d.dev, d.buf, BUF_SIZE, DMA_FROM_DEVICE);
  if (dma_mapping_error(d.dev, d.dma)) return -ENOMEM;
  reinit_completion(d.done);
  writeb(DAD_CMD_RD, d.regs.add(DAD_COMMAND));
  writel(lower_32_bits(d.dma), d.regs.add(DAD_ADDR));
  writel(upper_32_bits(d.dma), d.regs.add(DAD_ADDR_HI));
  writel(count, d.regs.add(DAD_LEN));
  writeb(DAD_CMD_ENABLEDMA, d.regs.add(DAD_COMMAND));
  if (!(await wait_for_completion_timeout(d.done, msecs_to_jiffies(1000)))) {
    dev_err(d.dev, 'DMA timed out\\n');
    return -ETIMEDOUT;
  }
  if (d.status) return d.status;
  if (copy_to_user(ubuf, d.buf, count)) return -EFAULT;
  ppos.pos += count;
  return count;
}

export default platform_driver({
  name: '${name}',
  of_match_table: ['dmalab,dad'],

  async probe(pdev: PlatformDevice) {
    const dev = pdev.dev;
    if (dma_set_mask_and_coherent(dev, DMA_BIT_MASK(32))) return -EIO;
    const regs = devm_platform_ioremap_resource(pdev, 0);
    if (IS_ERR(regs)) return PTR_ERR(regs);
    const irq = platform_get_irq(pdev, 0);
    if (irq < 0) return irq;
    const buf = kmalloc(BUF_SIZE, GFP_KERNEL);
    if (!buf) return -ENOMEM;
    const d: ${ident}_dev = {
      dev, regs, buf, dma: 0n, status: 0, done: init_completion(),
      misc: { minor: MISC_DYNAMIC_MINOR, name: '${name}', fops: { read: ${ident}_read } },
    };
    d.misc.priv = d;
    dev.driverData = d;
    let ret = devm_request_irq(dev, irq, ${ident}_irq, 0, '${name}', d);
    if (!ret) ret = misc_register(d.misc);
    if (ret) {
      kfree(buf);
      return ret;
    }
    dev_info(dev, 'ready, irq %d, /dev/%s\\n', irq, d.misc.name);
    return 0;
  },

  remove(pdev: PlatformDevice) {
    const d = pdev.dev.driverData as ${ident}_dev;
    misc_deregister(d.misc);
    kfree(d.buf);
  },
});

/** User space: what a process does with the device. Runs after probe; remove follows. */
export async function scenario(sys: { open(path: string): Promise<{ read(n: number): Promise<Uint8Array>; close(): Promise<void> }>; log(m: string): void }) {
  const f = await sys.open('/dev/${name}');
  const data = await f.read(BUF_SIZE);
  sys.log(\`read \${data.length} bytes: \${[...data.subarray(0, 8)].join(' ')} ...\`);
  await f.close();
}
`;
}

export function tsconfigSource(): string {
  const paths = Object.fromEntries(TYPE_MODULES.map((m) => [`dmalab/${m}`, [`./.dmalab/types/${m}.d.ts`]]));
  return JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'ES2022', moduleResolution: 'bundler', strict: true, noEmit: true, skipLibCheck: true, lib: ['ES2022'], types: [], paths } }, null, 2) + '\n';
}

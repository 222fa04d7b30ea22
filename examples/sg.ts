// Scatter-gather transmit: a frame whose bytes sit in separate pages goes to the network card as
// one scatterlist. The driver maps the list with dma_map_sg, which returns how many DMA segments
// the card must be given: behind an IOMMU the pages get consecutive IOVAs and merge into one
// segment; without one (arm32-swiotlb) every page is its own segment. Each segment gets a transmit
// descriptor, and the descriptors are small blocks from a dma_pool, chained to each other through
// their NEXT field (the card follows a descriptor's CHAIN bit). FS marks the frame's first
// descriptor, LS its last; the card gathers the segments into one frame on the wire.
//
// platforms: x86-64-vtd, arm64-smmu-noncoherent, arm32-swiotlb
// run:       dmalab run examples/sg.ts --platform arm32-swiotlb
import {
  platform_driver, PlatformDevice, Device, IoMem, Ptr, File, UserPtr, MiscDevice, DmaPool,
  dma_set_mask_and_coherent, DMA_BIT_MASK, dma_pool_create, dma_pool_zalloc, dma_pool_free, dma_pool_destroy,
  dma_map_sg, dma_unmap_sg, sg_alloc_table, sg_free_table, sg_set_buf, sg_dma_address, sg_dma_len, for_each_sg,
  DMA_TO_DEVICE, lower_32_bits, upper_32_bits, dma_wmb, dma_rmb,
  devm_platform_ioremap_resource, platform_get_irq, devm_request_irq, IS_ERR, PTR_ERR, readl, writel,
  __get_free_pages, free_pages, GFP_KERNEL, copy_from_user, PAGE_SIZE,
  Completion, init_completion, reinit_completion, complete, wait_for_completion_timeout, msecs_to_jiffies,
  misc_register, misc_deregister, MISC_DYNAMIC_MINOR, IRQ_HANDLED, IRQ_NONE,
  dev_info, dev_err, EIO, ENOMEM, EFAULT, EINVAL, ETIMEDOUT,
} from 'dmalab/linux';

// the dmalab,nic registers and descriptor format (see README)
const NIC_CTRL = 0x00;
const NIC_STATUS = 0x04;
const NIC_IMR = 0x08;
const NIC_TX_RING_LO = 0x30;
const NIC_TX_RING_HI = 0x34;
const NIC_TX_RING_SIZE = 0x38;
const NIC_TX_TAIL = 0x40;
const NIC_CTRL_TX_EN = 1 << 1;
const NIC_INT_TX = 1 << 1;
const NIC_INT_ERR = 1 << 4;
const NIC_DESC_SIZE = 32;
const NIC_DESC_STATUS = 0x00;
const NIC_DESC_CTRL = 0x04;
const NIC_DESC_BUF_LO = 0x08;
const NIC_DESC_BUF_HI = 0x0c;
const NIC_DESC_NEXT_LO = 0x10;
const NIC_DESC_NEXT_HI = 0x14;
const NIC_DESC_OWN = 1 << 31;
const NIC_DESC_ERR = 1 << 30;
const NIC_DESC_FS = 1 << 29;
const NIC_DESC_LS = 1 << 28;
const NIC_DESC_CHAIN = 1 << 24;

const MAX_FRAME = 16 * 1024; // four pages

interface Desc {
  cpu: Ptr;
  dma: bigint;
}

interface SgNic {
  dev: Device;
  regs: IoMem;
  pool: DmaPool; // transmit descriptors
  done: Completion;
  status: number;
  frames: number;
  misc: MiscDevice & { nic?: SgNic };
}

function sg_interrupt(_irq: number, dev_id: unknown): number {
  const nic = dev_id as SgNic;
  const status = readl(nic.regs.add(NIC_STATUS));
  if (!(status & (NIC_INT_TX | NIC_INT_ERR))) return IRQ_NONE;
  writel(status, nic.regs.add(NIC_STATUS));
  nic.status = status & NIC_INT_ERR ? -EIO : 0;
  complete(nic.done);
  return IRQ_HANDLED;
}

/** Send the `count` bytes at `ubuf` as one frame, from pages gathered by a scatterlist. */
async function sg_write(file: File, ubuf: UserPtr, count: number): Promise<number> {
  const nic = (file.private_data as SgNic['misc']).nic!;
  const dev = nic.dev;
  if (count < 1 || count > MAX_FRAME) return -EINVAL;
  const npages = Math.ceil(count / PAGE_SIZE);
  const table = sg_alloc_table(npages, GFP_KERNEL);
  if (!table) return -ENOMEM;
  const pages: Ptr[] = [];
  const descs: Desc[] = [];
  let mapped = 0;
  try {
    // the frame's bytes, a page at a time: pages that need not be next to each other
    for (let i = 0; i < npages; i++) {
      const page = __get_free_pages(GFP_KERNEL, 0);
      if (!page) return -ENOMEM;
      pages.push(page);
      const chunk = Math.min(PAGE_SIZE, count - i * PAGE_SIZE);
      if (copy_from_user(page, ubuf.add(i * PAGE_SIZE), chunk)) return -EFAULT;
      sg_set_buf(table.sgl[i], page, chunk);
    }
    mapped = dma_map_sg(dev, table.sgl, npages, DMA_TO_DEVICE);
    if (!mapped) return -ENOMEM;

    // one descriptor per DMA segment, from the pool, chained
    for (let i = 0; i < mapped; i++) {
      const d = dma_pool_zalloc(nic.pool, GFP_KERNEL);
      if (!d) return -ENOMEM;
      descs.push(d);
    }
    let i = 0;
    for (const sg of for_each_sg(table.sgl, mapped)) {
      const d = descs[i].cpu;
      const next = i + 1 < mapped ? descs[i + 1].dma : 0n;
      d.write32(NIC_DESC_BUF_LO, lower_32_bits(sg_dma_address(sg)));
      d.write32(NIC_DESC_BUF_HI, upper_32_bits(sg_dma_address(sg)));
      d.write32(NIC_DESC_NEXT_LO, lower_32_bits(next));
      d.write32(NIC_DESC_NEXT_HI, upper_32_bits(next));
      d.write32(NIC_DESC_CTRL, sg_dma_len(sg) | NIC_DESC_CHAIN | (i === 0 ? NIC_DESC_FS : 0) | (i === mapped - 1 ? NIC_DESC_LS : 0));
      i++;
    }
    dma_wmb(); // every descriptor complete before the card may own any
    for (let j = mapped - 1; j >= 0; j--) descs[j].cpu.write32(NIC_DESC_STATUS, NIC_DESC_OWN);

    reinit_completion(nic.done);
    writel(lower_32_bits(descs[0].dma), nic.regs.add(NIC_TX_RING_LO)); // the chain starts here
    writel(upper_32_bits(descs[0].dma), nic.regs.add(NIC_TX_RING_HI));
    writel(1, nic.regs.add(NIC_TX_TAIL)); // doorbell
    if (!(await wait_for_completion_timeout(nic.done, msecs_to_jiffies(100)))) {
      dev_err(dev, 'transmit timed out\n');
      writel(0, nic.regs.add(NIC_CTRL));
      writel(NIC_CTRL_TX_EN, nic.regs.add(NIC_CTRL));
      return -ETIMEDOUT;
    }
    if (nic.status) return nic.status;
    dma_rmb(); // the card's write-backs, read after the interrupt that announced them
    for (const d of descs) if (d.cpu.read32(NIC_DESC_STATUS) & (NIC_DESC_OWN | NIC_DESC_ERR)) return -EIO;
    nic.frames++;
    dev_info(dev, 'frame %d: %d bytes in %d page%s, %d DMA segment%s\n', nic.frames, count, npages, npages === 1 ? '' : 's', mapped, mapped === 1 ? '' : 's');
    return count;
  } finally {
    if (mapped) dma_unmap_sg(dev, table.sgl, npages, DMA_TO_DEVICE); // the count passed to dma_map_sg, not its result
    for (const d of descs) dma_pool_free(nic.pool, d.cpu, d.dma);
    for (const p of pages) free_pages(p, 0);
    sg_free_table(table);
  }
}

export default platform_driver({
  name: 'sg-nic',
  of_match_table: ['dmalab,nic'],

  async probe(pdev: PlatformDevice) {
    const dev = pdev.dev;
    if (dma_set_mask_and_coherent(dev, DMA_BIT_MASK(32))) return -EIO;
    const regs = devm_platform_ioremap_resource(pdev, 0);
    if (IS_ERR(regs)) return PTR_ERR(regs);
    const irq = platform_get_irq(pdev, 0);
    if (irq < 0) return irq;
    // descriptors are 32 bytes, 32-byte aligned: a pool of them, not a page each
    const pool = dma_pool_create('sg-nic-desc', dev, NIC_DESC_SIZE, NIC_DESC_SIZE, 0);
    if (!pool) return -ENOMEM;
    const nic: SgNic = {
      dev, regs, pool, done: init_completion(), status: 0, frames: 0,
      misc: { minor: MISC_DYNAMIC_MINOR, name: 'sgnic', fops: { write: sg_write } },
    };
    nic.misc.nic = nic;
    dev.driverData = nic;
    let ret = devm_request_irq(dev, irq, sg_interrupt, 0, 'sg-nic', nic);
    if (!ret) ret = misc_register(nic.misc);
    if (ret) {
      dma_pool_destroy(pool);
      return ret;
    }
    writel(0, regs.add(NIC_TX_RING_SIZE)); // no ring: chained descriptors only
    writel(NIC_INT_TX | NIC_INT_ERR, regs.add(NIC_IMR));
    writel(NIC_CTRL_TX_EN, regs.add(NIC_CTRL));
    dev_info(dev, 'scatter-gather transmit, descriptors from a dma_pool, /dev/%s\n', nic.misc.name);
    return 0;
  },

  remove(pdev: PlatformDevice) {
    const nic = pdev.dev.driverData as SgNic;
    writel(0, nic.regs.add(NIC_CTRL));
    writel(0, nic.regs.add(NIC_IMR));
    misc_deregister(nic.misc);
    dma_pool_destroy(nic.pool);
  },
});

/** User space: frames of one to four pages; each must leave the card exactly as written. */
export async function scenario(sys: {
  open(path: string): Promise<{ write(d: Uint8Array): Promise<number>; close(): Promise<void> }>;
  log(m: string): void;
  net: { transmitted(device: string): Uint8Array[] };
}) {
  const f = await sys.open('/dev/sgnic');
  const sizes = [60, 4096, 9000, 16384, 12345];
  const sent = sizes.map((n, k) => Uint8Array.from({ length: n }, (_, i) => (k * 53 + i * 7 + (i >> 8)) & 0xff));
  for (const frame of sent) {
    const n = await f.write(frame);
    if (n !== frame.length) throw new Error(`write of ${frame.length} bytes returned ${n}`);
  }
  const out = sys.net.transmitted('nic');
  if (out.length !== sent.length) throw new Error(`${out.length} frames left the card, ${sent.length} were written`);
  out.forEach((got, k) => {
    let wrong = 0;
    for (let i = 0; i < Math.max(got.length, sent[k].length); i++) if (got[i] !== sent[k][i]) wrong++;
    if (got.length !== sent[k].length || wrong) throw new Error(`frame ${k}: ${got.length} bytes on the wire, ${wrong} differ from the ${sent[k].length} written`);
  });
  sys.log(`${out.length} scatter-gather frames left the card intact`);
  await f.close();
}

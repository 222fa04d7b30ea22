// Bench: 64-byte frames through a receive ring: the receive path of examples/nic-ring.ts (OWN
// check, dma_rmb, the descriptor handed back with dma_wmb before OWN, one interrupt per batch),
// with rx-copybreak as real drivers do it for small frames (e1000, igb, r8169): a frame shorter
// than COPYBREAK is synced for the CPU, checked in place and its buffer synced back to the card
// and reused; a longer one is unmapped, passed on and replaced by a fresh mapped buffer, as in the
// example. The frame is checked (length, sequence number) and counted in the interrupt handler
// instead of being queued for a reader. The harness times the stretch between the "bench:begin"
// and "bench:end" log lines. Set COPYBREAK to 0 to time the example's path for every frame
// (unmap, and a fresh kmalloc'd buffer mapped in its place).
import {
  platform_driver, PlatformDevice, Device, IoMem, Ptr, File, UserPtr, DmaCoherent,
  dma_set_mask_and_coherent, DMA_BIT_MASK, dma_alloc_coherent, dma_free_coherent,
  dma_map_single, dma_unmap_single, dma_mapping_error, DMA_FROM_DEVICE, lower_32_bits, upper_32_bits,
  dma_sync_single_for_cpu, dma_sync_single_for_device,
  dma_wmb, dma_rmb, devm_platform_ioremap_resource, platform_get_irq, devm_request_irq, IS_ERR, PTR_ERR,
  readl, writel, kmalloc, kfree, GFP_ATOMIC, GFP_KERNEL, WaitQueueHead, init_waitqueue_head, wait_event_timeout, wake_up,
  msecs_to_jiffies, misc_register, misc_deregister, MiscDevice, MISC_DYNAMIC_MINOR, IRQ_HANDLED, IRQ_NONE,
  pr_info, EIO, ENOMEM, ETIMEDOUT,
} from 'dmalab/linux';

export const FRAMES = 100_000;
const FRAME = 64;
const RX_RING = 256;
const RX_BUF_SIZE = 2048;
const COPYBREAK = 256;

const NIC_CTRL = 0x00;
const NIC_STATUS = 0x04;
const NIC_IMR = 0x08;
const NIC_ITR = 0x0c;
const NIC_RX_RING_LO = 0x10;
const NIC_RX_RING_HI = 0x14;
const NIC_RX_RING_SIZE = 0x18;
const NIC_CTRL_RX_EN = 1 << 0;
const NIC_INT_RX = 1 << 0;
const NIC_DESC_SIZE = 32;
const NIC_DESC_STATUS = 0x00;
const NIC_DESC_CTRL = 0x04;
const NIC_DESC_BUF_LO = 0x08;
const NIC_DESC_BUF_HI = 0x0c;
const NIC_DESC_OWN = 1 << 31;
const NIC_DESC_ERR = 1 << 30;
const NIC_DESC_LEN_MASK = 0xffff;

interface Nic {
  dev: Device;
  regs: IoMem;
  rx: DmaCoherent;
  buf: Ptr[];
  dma: bigint[];
  next: number;
  received: number;
  bad: number;
  wq: WaitQueueHead;
  misc: MiscDevice & { nic?: Nic };
}

function give(nic: Nic, i: number): void {
  const d = nic.rx.cpu.add(i * NIC_DESC_SIZE);
  d.write32(NIC_DESC_BUF_LO, lower_32_bits(nic.dma[i]));
  d.write32(NIC_DESC_BUF_HI, upper_32_bits(nic.dma[i]));
  d.write32(NIC_DESC_CTRL, RX_BUF_SIZE);
  dma_wmb();
  d.write32(NIC_DESC_STATUS, NIC_DESC_OWN);
}

/** The descriptor keeps its buffer (address and size unchanged): only OWN goes back. */
function rearm(nic: Nic, i: number): void {
  dma_wmb();
  nic.rx.cpu.write32(i * NIC_DESC_SIZE + NIC_DESC_STATUS, NIC_DESC_OWN);
}

function fresh(nic: Nic, i: number): boolean {
  const buf = kmalloc(RX_BUF_SIZE, GFP_ATOMIC);
  if (!buf) return false;
  const dma = dma_map_single(nic.dev, buf, RX_BUF_SIZE, DMA_FROM_DEVICE);
  if (dma_mapping_error(nic.dev, dma)) {
    kfree(buf);
    return false;
  }
  nic.buf[i] = buf;
  nic.dma[i] = dma;
  return true;
}

function rx(nic: Nic): void {
  for (;;) {
    const i = nic.next;
    const status = nic.rx.cpu.read32(i * NIC_DESC_SIZE + NIC_DESC_STATUS);
    if (status & NIC_DESC_OWN) break;
    dma_rmb();
    const len = status & NIC_DESC_LEN_MASK;
    const old = nic.buf[i];
    const oldDma = nic.dma[i];
    if (status & NIC_DESC_ERR) {
      nic.bad++;
      rearm(nic, i);
    } else if (len < COPYBREAK) {
      // copybreak: the frame is read where it is, the buffer stays mapped and goes back as it was
      dma_sync_single_for_cpu(nic.dev, oldDma, len, DMA_FROM_DEVICE);
      if (len !== FRAME || old.read32(0) !== nic.received) nic.bad++;
      dma_sync_single_for_device(nic.dev, oldDma, len, DMA_FROM_DEVICE);
      nic.received++;
      rearm(nic, i);
    } else if (fresh(nic, i)) {
      dma_unmap_single(nic.dev, oldDma, RX_BUF_SIZE, DMA_FROM_DEVICE);
      if (len !== FRAME || old.read32(0) !== nic.received) nic.bad++;
      kfree(old);
      nic.received++;
      give(nic, i);
    } else rearm(nic, i);
    nic.next = (i + 1) % RX_RING;
  }
  if (nic.received === FRAMES) {
    pr_info('bench:end %d', FRAMES);
    wake_up(nic.wq);
  }
}

function irq(_irq: number, dev_id: unknown): number {
  const nic = dev_id as Nic;
  const status = readl(nic.regs.add(NIC_STATUS));
  if (!status) return IRQ_NONE;
  writel(status, nic.regs.add(NIC_STATUS));
  if (status & NIC_INT_RX) rx(nic);
  return IRQ_HANDLED;
}

async function read(file: File, _buf: UserPtr, _count: number): Promise<number> {
  const nic = (file.private_data as Nic['misc']).nic!;
  if (!(await wait_event_timeout(nic.wq, () => nic.received >= FRAMES, msecs_to_jiffies(10_000)))) return -ETIMEDOUT;
  return nic.bad ? -EIO : 0;
}

export default platform_driver({
  name: 'bench-nic',
  of_match_table: ['dmalab,nic'],
  async probe(pdev: PlatformDevice) {
    const dev = pdev.dev;
    if (dma_set_mask_and_coherent(dev, DMA_BIT_MASK(32))) return -EIO;
    const regs = devm_platform_ioremap_resource(pdev, 0);
    if (IS_ERR(regs)) return PTR_ERR(regs);
    const line = platform_get_irq(pdev, 0);
    const ring = dma_alloc_coherent(dev, RX_RING * NIC_DESC_SIZE, GFP_KERNEL);
    if (!ring) return -ENOMEM;
    const nic: Nic = { dev, regs, rx: ring, buf: [], dma: [], next: 0, received: 0, bad: 0, wq: init_waitqueue_head(), misc: { minor: MISC_DYNAMIC_MINOR, name: 'nicbench', fops: { read } } };
    nic.misc.nic = nic;
    dev.driverData = nic;
    for (let i = 0; i < RX_RING; i++) {
      if (!fresh(nic, i)) return -ENOMEM;
      give(nic, i);
    }
    writel(lower_32_bits(ring.dma), regs.add(NIC_RX_RING_LO));
    writel(upper_32_bits(ring.dma), regs.add(NIC_RX_RING_HI));
    writel(RX_RING, regs.add(NIC_RX_RING_SIZE));
    writel(10_000, regs.add(NIC_ITR));
    const r = devm_request_irq(dev, line, irq, 0, 'bench-nic', nic);
    if (r) return r;
    misc_register(nic.misc);
    writel(NIC_INT_RX, regs.add(NIC_IMR));
    writel(NIC_CTRL_RX_EN, regs.add(NIC_CTRL));
    return 0;
  },
  remove(pdev: PlatformDevice) {
    const nic = pdev.dev.driverData as Nic;
    writel(0, nic.regs.add(NIC_CTRL));
    misc_deregister(nic.misc);
    for (let i = 0; i < RX_RING; i++) {
      dma_unmap_single(nic.dev, nic.dma[i], RX_BUF_SIZE, DMA_FROM_DEVICE);
      kfree(nic.buf[i]);
    }
    dma_free_coherent(nic.dev, RX_RING * NIC_DESC_SIZE, nic.rx.cpu, nic.rx.dma);
  },
});

export async function scenario(sys: { open(p: string): Promise<{ read(n: number): Promise<Uint8Array> }>; net: { send(dev: string, f: Uint8Array): number } }) {
  const f = await sys.open('/dev/nicbench');
  const frame = new Uint8Array(FRAME);
  pr_info('bench:begin');
  for (let seq = 0; seq < FRAMES; seq++) {
    frame[0] = seq & 0xff;
    frame[1] = (seq >>> 8) & 0xff;
    frame[2] = (seq >>> 16) & 0xff;
    frame[3] = seq >>> 24;
    sys.net.send('nic', frame);
  }
  await f.read(1);
}

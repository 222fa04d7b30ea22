// A network card driver: the seed's asynchronous input flow ("the hardware asynchronously pushes
// data") with a DMA ring. At probe the driver allocates the receive and transmit descriptor rings
// with dma_alloc_coherent (memory the CPU shares with the card) and gives every receive descriptor
// a packet buffer mapped with dma_map_single(DMA_FROM_DEVICE). Frames then arrive on their own: the
// card writes each into the buffer of the next descriptor it owns, hands the descriptor back (OWN
// clear) and interrupts. The handler unmaps the filled buffer, passes the packet on (to a queue
// that readers of /dev/nic0 take packets from, as the network stack would) and puts a freshly
// mapped buffer into the ring. Writing to /dev/nic0 transmits a frame through the transmit ring.
//
// The ordering rules a ring driver lives by are all here, each at its line:
//   - rx_give: write the descriptor's buffer address and size, dma_wmb(), then set OWN. Without the
//     barrier (or with OWN first) the card can read the descriptor with its old address;
//   - nic_rx: see OWN clear, dma_rmb(), then read what the card wrote;
//   - nic_xmit: writel() of the doorbell orders the descriptor stores before it.
// On arm64-smmu-noncoherent the descriptors' stores sit in the CPU's write buffer until a barrier
// drains them, so getting one of these wrong gives wrong packets, not just a warning.
//
// platforms: x86-64-vtd, arm64-smmu-noncoherent, arm32-swiotlb
// run:       dmalab run examples/nic-ring.ts --platform arm64-smmu-noncoherent
import {
  platform_driver, PlatformDevice, Device, IoMem, Ptr, File, UserPtr, MiscDevice, DmaCoherent,
  dma_set_mask_and_coherent, DMA_BIT_MASK, dma_alloc_coherent, dma_free_coherent,
  dma_map_single, dma_unmap_single, dma_mapping_error, DMA_FROM_DEVICE, DMA_TO_DEVICE,
  lower_32_bits, upper_32_bits, dma_wmb, dma_rmb,
  devm_platform_ioremap_resource, platform_get_irq, devm_request_irq, IS_ERR, PTR_ERR, readl, writel,
  kmalloc, kfree, GFP_KERNEL, GFP_ATOMIC, copy_to_user, copy_from_user,
  WaitQueueHead, init_waitqueue_head, wait_event_timeout, wake_up, msecs_to_jiffies,
  Spinlock, spin_lock_init, spin_lock_irqsave, spin_unlock_irqrestore,
  misc_register, misc_deregister, MISC_DYNAMIC_MINOR, IRQ_HANDLED, IRQ_NONE,
  dev_info, dev_err, dev_warn, EIO, ENOMEM, EFAULT, EINVAL, EAGAIN,
} from 'dmalab/linux';

// the dmalab,nic registers and descriptor format (see README)
const NIC_CTRL = 0x00;
const NIC_STATUS = 0x04;
const NIC_IMR = 0x08;
const NIC_ITR = 0x0c;
const NIC_RX_RING_LO = 0x10;
const NIC_RX_RING_HI = 0x14;
const NIC_RX_RING_SIZE = 0x18;
const NIC_TX_RING_LO = 0x30;
const NIC_TX_RING_HI = 0x34;
const NIC_TX_RING_SIZE = 0x38;
const NIC_TX_TAIL = 0x40;
const NIC_CTRL_RX_EN = 1 << 0;
const NIC_CTRL_TX_EN = 1 << 1;
const NIC_INT_RX = 1 << 0;
const NIC_INT_TX = 1 << 1;
const NIC_INT_RX_OVERRUN = 1 << 3;
const NIC_INT_ERR = 1 << 4;
const NIC_DESC_SIZE = 32;
const NIC_DESC_STATUS = 0x00;
const NIC_DESC_CTRL = 0x04;
const NIC_DESC_BUF_LO = 0x08;
const NIC_DESC_BUF_HI = 0x0c;
const NIC_DESC_OWN = 1 << 31;
const NIC_DESC_ERR = 1 << 30;
const NIC_DESC_FS = 1 << 29;
const NIC_DESC_LS = 1 << 28;
const NIC_DESC_LEN_MASK = 0xffff;

const RX_RING = 16; // receive descriptors
const TX_RING = 16; // transmit descriptors
const RX_BUF_SIZE = 2048; // a full Ethernet frame fits
const ITR_NS = 5000; // interrupt moderation: at most one interrupt per 5 us

interface Packet {
  buf: Ptr;
  len: number;
}

interface Nic {
  dev: Device;
  regs: IoMem;
  rx: DmaCoherent; // the receive ring
  tx: DmaCoherent; // the transmit ring
  rxBuf: (Ptr | null)[]; // the buffer each receive descriptor points at...
  rxDma: bigint[]; // ...and its DMA address
  rxNext: number; // the next descriptor the card completes
  txBuf: (Ptr | null)[];
  txDma: bigint[];
  txLen: number[];
  txHead: number; // the next descriptor the driver fills
  txDirty: number; // the oldest descriptor not yet reclaimed
  txUsed: number;
  lock: Spinlock;
  queue: Packet[]; // received packets, passed on to readers
  rxWait: WaitQueueHead;
  txWait: WaitQueueHead;
  dropped: number;
  misc: MiscDevice & { nic?: Nic };
}

function rx_desc(nic: Nic, i: number): Ptr {
  return nic.rx.cpu.add(i * NIC_DESC_SIZE);
}

function tx_desc(nic: Nic, i: number): Ptr {
  return nic.tx.cpu.add(i * NIC_DESC_SIZE);
}

/** A fresh receive buffer, mapped for the card. */
function rx_alloc(nic: Nic): { buf: Ptr; dma: bigint } | null {
  const buf = kmalloc(RX_BUF_SIZE, GFP_ATOMIC);
  if (!buf) return null;
  const dma = dma_map_single(nic.dev, buf, RX_BUF_SIZE, DMA_FROM_DEVICE);
  if (dma_mapping_error(nic.dev, dma)) {
    kfree(buf);
    return null;
  }
  return { buf, dma };
}

/** Hand receive descriptor `i` (with the buffer in rxDma[i]) to the card. */
function rx_give(nic: Nic, i: number): void {
  const d = rx_desc(nic, i);
  d.write32(NIC_DESC_BUF_LO, lower_32_bits(nic.rxDma[i]));
  d.write32(NIC_DESC_BUF_HI, upper_32_bits(nic.rxDma[i]));
  d.write32(NIC_DESC_CTRL, RX_BUF_SIZE);
  dma_wmb(); // the card must see the buffer address and size before it sees OWN
  d.write32(NIC_DESC_STATUS, NIC_DESC_OWN);
}

/** Take every frame the card has completed; give each descriptor a fresh buffer. */
function nic_rx(nic: Nic): number {
  let n = 0;
  for (;;) {
    const i = nic.rxNext;
    const status = rx_desc(nic, i).read32(NIC_DESC_STATUS);
    if (status & NIC_DESC_OWN) break; // the card still owns it: nothing more has arrived
    dma_rmb(); // read what the card wrote only after seeing OWN clear
    if (status & NIC_DESC_ERR) {
      nic.dropped++;
      rx_give(nic, i); // a bad frame: the same buffer, still mapped, goes back
    } else {
      const fresh = rx_alloc(nic);
      if (!fresh) {
        nic.dropped++; // no memory: drop this frame and keep the buffer in the ring
        rx_give(nic, i);
      } else {
        dma_unmap_single(nic.dev, nic.rxDma[i], RX_BUF_SIZE, DMA_FROM_DEVICE); // the CPU's again
        nic.queue.push({ buf: nic.rxBuf[i]!, len: status & NIC_DESC_LEN_MASK });
        nic.rxBuf[i] = fresh.buf;
        nic.rxDma[i] = fresh.dma;
        rx_give(nic, i);
      }
    }
    nic.rxNext = (i + 1) % RX_RING;
    n++;
  }
  if (n) wake_up(nic.rxWait);
  return n;
}

/** Reclaim transmit descriptors the card has finished with. */
function nic_tx_reclaim(nic: Nic): void {
  while (nic.txUsed > 0) {
    const i = nic.txDirty;
    const status = tx_desc(nic, i).read32(NIC_DESC_STATUS);
    if (status & NIC_DESC_OWN) break;
    dma_rmb();
    if (status & NIC_DESC_ERR) dev_warn(nic.dev, 'TX error on descriptor %d\n', i);
    dma_unmap_single(nic.dev, nic.txDma[i], nic.txLen[i], DMA_TO_DEVICE);
    kfree(nic.txBuf[i]);
    nic.txBuf[i] = null;
    nic.txDirty = (i + 1) % TX_RING;
    nic.txUsed--;
  }
  wake_up(nic.txWait);
}

function nic_interrupt(_irq: number, dev_id: unknown): number {
  const nic = dev_id as Nic;
  const status = readl(nic.regs.add(NIC_STATUS));
  if (!status) return IRQ_NONE;
  writel(status, nic.regs.add(NIC_STATUS)); // acknowledge what we are about to handle
  if (status & NIC_INT_ERR) dev_err(nic.dev, 'the card reports a DMA error\n');
  if (status & NIC_INT_RX_OVERRUN) dev_warn(nic.dev, 'receive FIFO overrun: frames lost\n');
  if (status & NIC_INT_RX) nic_rx(nic);
  if (status & NIC_INT_TX) {
    const flags = spin_lock_irqsave(nic.lock);
    nic_tx_reclaim(nic);
    spin_unlock_irqrestore(nic.lock, flags);
  }
  return IRQ_HANDLED;
}

/** Transmit one frame through the transmit ring. */
function nic_xmit(nic: Nic, buf: Ptr, len: number): number {
  const dma = dma_map_single(nic.dev, buf, len, DMA_TO_DEVICE);
  if (dma_mapping_error(nic.dev, dma)) return -ENOMEM;
  const flags = spin_lock_irqsave(nic.lock);
  const i = nic.txHead;
  nic.txBuf[i] = buf;
  nic.txDma[i] = dma;
  nic.txLen[i] = len;
  const d = tx_desc(nic, i);
  d.write32(NIC_DESC_BUF_LO, lower_32_bits(dma));
  d.write32(NIC_DESC_BUF_HI, upper_32_bits(dma));
  d.write32(NIC_DESC_CTRL, len | NIC_DESC_FS | NIC_DESC_LS);
  dma_wmb();
  d.write32(NIC_DESC_STATUS, NIC_DESC_OWN);
  nic.txHead = (i + 1) % TX_RING;
  nic.txUsed++;
  writel(nic.txHead, nic.regs.add(NIC_TX_TAIL)); // the doorbell: writel orders the stores above before it
  spin_unlock_irqrestore(nic.lock, flags);
  return 0;
}

async function nic_read(file: File, buf: UserPtr, count: number): Promise<number> {
  const nic = (file.private_data as Nic['misc']).nic!;
  if (!(await wait_event_timeout(nic.rxWait, () => nic.queue.length > 0, msecs_to_jiffies(1000)))) return -EAGAIN;
  const flags = spin_lock_irqsave(nic.lock);
  const p = nic.queue.shift()!;
  spin_unlock_irqrestore(nic.lock, flags);
  const n = Math.min(count, p.len);
  const left = copy_to_user(buf, p.buf, n);
  kfree(p.buf);
  return left ? -EFAULT : n;
}

async function nic_write(file: File, ubuf: UserPtr, count: number): Promise<number> {
  const nic = (file.private_data as Nic['misc']).nic!;
  if (count < 1 || count > RX_BUF_SIZE) return -EINVAL;
  if (!(await wait_event_timeout(nic.txWait, () => nic.txUsed < TX_RING, msecs_to_jiffies(1000)))) return -EAGAIN;
  const buf = kmalloc(count, GFP_KERNEL);
  if (!buf) return -ENOMEM;
  if (copy_from_user(buf, ubuf, count)) {
    kfree(buf);
    return -EFAULT;
  }
  const ret = nic_xmit(nic, buf, count);
  if (ret) {
    kfree(buf);
    return ret;
  }
  return count;
}

/** Undo the receive ring: the card is stopped, every buffer is the CPU's again. */
function rx_ring_free(nic: Nic): void {
  for (let i = 0; i < RX_RING; i++) {
    if (!nic.rxBuf[i]) continue;
    dma_unmap_single(nic.dev, nic.rxDma[i], RX_BUF_SIZE, DMA_FROM_DEVICE);
    kfree(nic.rxBuf[i]);
    nic.rxBuf[i] = null;
  }
  dma_free_coherent(nic.dev, RX_RING * NIC_DESC_SIZE, nic.rx.cpu, nic.rx.dma);
}

export default platform_driver({
  name: 'nic',
  of_match_table: ['dmalab,nic'],

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

    // the rings: memory the CPU and the card share for the whole life of the driver
    const rx = dma_alloc_coherent(dev, RX_RING * NIC_DESC_SIZE, GFP_KERNEL);
    if (!rx) return -ENOMEM;
    const tx = dma_alloc_coherent(dev, TX_RING * NIC_DESC_SIZE, GFP_KERNEL);
    if (!tx) {
      dma_free_coherent(dev, RX_RING * NIC_DESC_SIZE, rx.cpu, rx.dma);
      return -ENOMEM;
    }
    const nic: Nic = {
      dev, regs, rx, tx,
      rxBuf: new Array(RX_RING).fill(null), rxDma: new Array(RX_RING).fill(0n), rxNext: 0,
      txBuf: new Array(TX_RING).fill(null), txDma: new Array(TX_RING).fill(0n), txLen: new Array(TX_RING).fill(0),
      txHead: 0, txDirty: 0, txUsed: 0,
      lock: spin_lock_init(), queue: [], rxWait: init_waitqueue_head(), txWait: init_waitqueue_head(), dropped: 0,
      misc: { minor: MISC_DYNAMIC_MINOR, name: 'nic0', fops: { read: nic_read, write: nic_write } },
    };
    nic.misc.nic = nic;
    dev.driverData = nic;

    // a mapped buffer behind every receive descriptor, each handed to the card
    for (let i = 0; i < RX_RING; i++) {
      const b = rx_alloc(nic);
      if (!b) {
        rx_ring_free(nic);
        dma_free_coherent(dev, TX_RING * NIC_DESC_SIZE, tx.cpu, tx.dma);
        return -ENOMEM;
      }
      nic.rxBuf[i] = b.buf;
      nic.rxDma[i] = b.dma;
      rx_give(nic, i);
    }
    writel(lower_32_bits(rx.dma), regs.add(NIC_RX_RING_LO));
    writel(upper_32_bits(rx.dma), regs.add(NIC_RX_RING_HI));
    writel(RX_RING, regs.add(NIC_RX_RING_SIZE));
    writel(lower_32_bits(tx.dma), regs.add(NIC_TX_RING_LO));
    writel(upper_32_bits(tx.dma), regs.add(NIC_TX_RING_HI));
    writel(TX_RING, regs.add(NIC_TX_RING_SIZE));
    writel(ITR_NS, regs.add(NIC_ITR));

    let ret = devm_request_irq(dev, irq, nic_interrupt, 0, 'nic', nic);
    if (!ret) ret = misc_register(nic.misc);
    if (ret) {
      rx_ring_free(nic);
      dma_free_coherent(dev, TX_RING * NIC_DESC_SIZE, tx.cpu, tx.dma);
      return ret;
    }
    writel(NIC_INT_RX | NIC_INT_TX | NIC_INT_RX_OVERRUN | NIC_INT_ERR, regs.add(NIC_IMR));
    writel(NIC_CTRL_RX_EN | NIC_CTRL_TX_EN, regs.add(NIC_CTRL)); // the link is up: frames may arrive from now on
    dev_info(dev, '%d RX and %d TX descriptors, irq %d, /dev/%s\n', RX_RING, TX_RING, irq, nic.misc.name);
    return 0;
  },

  remove(pdev: PlatformDevice) {
    const nic = pdev.dev.driverData as Nic;
    writel(0, nic.regs.add(NIC_CTRL)); // stop both engines before taking the buffers back
    writel(0, nic.regs.add(NIC_IMR));
    misc_deregister(nic.misc);
    nic_tx_reclaim(nic);
    for (let i = 0; i < TX_RING; i++) {
      if (!nic.txBuf[i]) continue;
      dma_unmap_single(nic.dev, nic.txDma[i], nic.txLen[i], DMA_TO_DEVICE);
      kfree(nic.txBuf[i]);
      nic.txBuf[i] = null;
    }
    rx_ring_free(nic);
    dma_free_coherent(nic.dev, TX_RING * NIC_DESC_SIZE, nic.tx.cpu, nic.tx.dma);
    for (const p of nic.queue.splice(0)) kfree(p.buf);
    if (nic.dropped) dev_warn(nic.dev, '%d frames dropped\n', nic.dropped);
  },
});

/** Frame `seq` of `len` bytes: the sequence number, then a pattern. */
function frame(seq: number, len: number): Uint8Array {
  const f = new Uint8Array(len);
  for (let i = 0; i < len; i++) f[i] = i < 4 ? (seq >>> (8 * i)) & 0xff : (seq * 7 + i) & 0xff;
  return f;
}

function check(got: Uint8Array, seq: number, len: number, what: string): void {
  const want = frame(seq, len);
  let wrong = 0;
  for (let i = 0; i < Math.max(got.length, want.length); i++) if (got[i] !== want[i]) wrong++;
  if (got.length !== len || wrong) {
    const s = got.length >= 4 ? got[0] | (got[1] << 8) | (got[2] << 16) | (got[3] << 24) : -1;
    throw new Error(`${what} ${seq}: got ${got.length} bytes (sequence number ${s}), ${wrong} differ from the frame sent`);
  }
}

interface UserFile {
  read(n: number): Promise<Uint8Array>;
  write(d: Uint8Array): Promise<number>;
  close(): Promise<void>;
}

interface Net {
  send(device: string, frame: Uint8Array): number;
  transmitted(device: string): Uint8Array[];
  stats(device: string): { rxPackets: number; rxDropped: number; rxErrors: number; txPackets: number };
}

/** User space: frames in from the wire, read back through /dev/nic0; frames out through it. */
export async function scenario(sys: { open(path: string): Promise<UserFile>; sleep(ms: number): Promise<void>; log(m: string): void; net: Net }) {
  const f = await sys.open('/dev/nic0');
  // a burst of small frames at line rate: more than the ring holds, so the card fills every
  // descriptor and waits (the rest in its FIFO) until the handler gives the descriptors back
  const sizes: number[] = [];
  for (let i = 0; i < 48; i++) sizes.push(64 + ((i * 37) % 64));
  // then full-size frames
  for (let i = 0; i < 8; i++) sizes.push(1514 - i * 100);
  sizes.forEach((len, seq) => sys.net.send('nic', frame(seq, len)));
  for (let seq = 0; seq < sizes.length; seq++) check(await f.read(RX_BUF_SIZE), seq, sizes[seq], 'received frame');
  sys.log(`received ${sizes.length} frames, all intact`);

  for (let i = 0; i < 8; i++) await f.write(frame(1000 + i, 100 + i * 150));
  await sys.sleep(1);
  const out = sys.net.transmitted('nic');
  if (out.length !== 8) throw new Error(`${out.length} frames left the card, 8 were written`);
  out.forEach((got, i) => check(got, 1000 + i, 100 + i * 150, 'transmitted frame'));
  const st = sys.net.stats('nic');
  sys.log(`transmitted 8 frames, all intact; card: ${st.rxPackets} received, ${st.rxDropped} dropped, ${st.txPackets} sent`);
  if (st.rxDropped || st.rxErrors) throw new Error(`the card dropped ${st.rxDropped} frames and had ${st.rxErrors} errors`);
  await f.close();
}

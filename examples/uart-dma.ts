// A serial driver that moves its data with a system DMA controller, the dmaengine slave flow of the
// seed: request the "tx" and "rx" channels the devicetree names (dmas/dma-names), map the UART's
// FIFO register for the controller with dma_map_resource, configure each channel
// (dmaengine_slave_config), then per transfer prepare a descriptor (single buffer, or a
// scatterlist when the data wraps round the transmit ring), set its callback, submit it, issue
// it, and terminate on timeout and at remove. Reception is one cyclic transfer into a coherent
// ring that never stops: the controller calls back at the end of every period and the reader
// finds how far it got from the residue (dmaengine_tx_status).
//
// The UART runs in loopback (what it sends comes back on RX), so the scenario checks that every
// byte it wrote comes back, in order, through both DMA directions.
//
// platforms: arm64-smmu-noncoherent, arm32-swiotlb
// run:       dmalab run examples/uart-dma.ts --platform arm64-smmu-noncoherent
import {
  platform_driver, PlatformDevice, Device, IoMem, Ptr, File, UserPtr, MiscDevice, DmaChan,
  devm_platform_ioremap_resource, platform_get_resource, IORESOURCE_MEM, IS_ERR, PTR_ERR, writel,
  kmalloc, kfree, GFP_KERNEL, copy_from_user, copy_to_user,
  dma_map_single, dma_unmap_single, dma_map_sg, dma_unmap_sg, dma_mapping_error, dma_map_resource, dma_unmap_resource,
  dma_alloc_coherent, dma_free_coherent, DMA_TO_DEVICE, DMA_BIDIRECTIONAL, sg_init_table, sg_set_buf, Scatterlist,
  dma_request_chan, dma_release_channel, dmaengine_get_dma_device, dmaengine_slave_config, dmaengine_prep_slave_single,
  dmaengine_prep_slave_sg, dmaengine_prep_dma_cyclic, dmaengine_submit, dma_submit_error, dma_async_issue_pending,
  dmaengine_tx_status, dmaengine_terminate_sync, DMA_MEM_TO_DEV, DMA_DEV_TO_MEM, DMA_SLAVE_BUSWIDTH_1_BYTE,
  DMA_PREP_INTERRUPT, DMA_CTRL_ACK, DMA_TRANS_NOERROR, dmaengine_result,
  Completion, init_completion, reinit_completion, complete, wait_for_completion_timeout,
  WaitQueueHead, init_waitqueue_head, wake_up, wait_event_timeout, msecs_to_jiffies,
  misc_register, misc_deregister, MISC_DYNAMIC_MINOR, dev_info, dev_err, EIO, ENOMEM, EFAULT, ETIMEDOUT,
} from 'dmalab/linux';

// the dmalab,uart registers (a PL011-like map; see README)
const UART_DR = 0x00;
const UART_CR = 0x08;
const UART_DMACR = 0x0c;
const UART_CR_UARTEN = 1 << 0;
const UART_CR_TXE = 1 << 1;
const UART_CR_RXE = 1 << 2;
const UART_CR_LBE = 1 << 3;
const UART_CR_RTS = 1 << 4;
const UART_DMACR_RXDMAE = 1 << 0;
const UART_DMACR_TXDMAE = 1 << 1;
const UART_FIFO_TRIGGER = 8; // bytes per DMA request: the channels' maxburst

const XMIT_SIZE = 4096; // the transmit ring (the serial core's xmit buffer)
const RX_RING = 4096; // the cyclic receive ring
const RX_PERIOD = 512; // a callback every 512 bytes

interface Uart {
  dev: Device;
  regs: IoMem;
  tx: DmaChan;
  rx: DmaChan;
  dmadev: Device; // the controller's device: everything it touches is mapped for it
  fifo: bigint;
  xmit: Ptr;
  xmitHead: number;
  txDone: Completion;
  txResult: number;
  rxRing: { cpu: Ptr; dma: bigint };
  rxCookie: number;
  rxTail: number;
  rxWait: WaitQueueHead;
  misc: MiscDevice;
}

let uart: Uart | undefined;

// ---- transmit ------------------------------------------------------------------------------

/** Completion of a TX descriptor: runs in the controller's tasklet (no sleeping here). */
function uart_tx_dma_complete(param: unknown, result: dmaengine_result): void {
  const u = param as Uart;
  u.txResult = result.result;
  complete(u.txDone);
}

/** Send `len` bytes that start at `start` in the transmit ring: one buffer, or two when they wrap. */
async function uart_start_tx(u: Uart, start: number, len: number): Promise<number> {
  const wraps = start + len > XMIT_SIZE;
  let sgl: Scatterlist[] = [];
  let single = 0n;
  let desc;
  if (!wraps) {
    single = dma_map_single(u.dmadev, u.xmit.add(start), len, DMA_TO_DEVICE);
    if (dma_mapping_error(u.dmadev, single)) return -ENOMEM;
    desc = dmaengine_prep_slave_single(u.tx, single, len, DMA_MEM_TO_DEV, DMA_PREP_INTERRUPT | DMA_CTRL_ACK);
  } else {
    sgl = sg_init_table(2);
    sg_set_buf(sgl[0], u.xmit.add(start), XMIT_SIZE - start);
    sg_set_buf(sgl[1], u.xmit, len - (XMIT_SIZE - start));
    const nents = dma_map_sg(u.dmadev, sgl, 2, DMA_TO_DEVICE);
    if (!nents) return -ENOMEM;
    desc = dmaengine_prep_slave_sg(u.tx, sgl, nents, DMA_MEM_TO_DEV, DMA_PREP_INTERRUPT | DMA_CTRL_ACK);
  }
  const unmap = (): void => {
    if (wraps) dma_unmap_sg(u.dmadev, sgl, 2, DMA_TO_DEVICE);
    else dma_unmap_single(u.dmadev, single, len, DMA_TO_DEVICE);
  };
  if (!desc) {
    unmap();
    return -EIO;
  }
  desc.callback_result = uart_tx_dma_complete;
  desc.callback_param = u;
  reinit_completion(u.txDone);
  const cookie = dmaengine_submit(desc);
  if (dma_submit_error(cookie)) {
    unmap();
    return dma_submit_error(cookie);
  }
  dma_async_issue_pending(u.tx);
  if (!(await wait_for_completion_timeout(u.txDone, msecs_to_jiffies(1000)))) {
    dev_err(u.dev, 'TX DMA timed out\n');
    await dmaengine_terminate_sync(u.tx);
    unmap();
    return -ETIMEDOUT;
  }
  unmap();
  return u.txResult === DMA_TRANS_NOERROR ? 0 : -EIO;
}

async function uart_write(_f: File, buf: UserPtr, count: number): Promise<number> {
  const u = uart!;
  count = Math.min(count, XMIT_SIZE);
  const start = u.xmitHead;
  const first = Math.min(count, XMIT_SIZE - start);
  if (copy_from_user(u.xmit.add(start), buf, first) || copy_from_user(u.xmit, buf.add(first), count - first)) return -EFAULT;
  u.xmitHead = (start + count) % XMIT_SIZE;
  const ret = await uart_start_tx(u, start, count);
  return ret < 0 ? ret : count;
}

// ---- receive -------------------------------------------------------------------------------

/** Where the controller is in the RX ring: from the cyclic transfer's residue. */
function rx_head(u: Uart): number {
  const state = dmaengine_tx_status(u.rx, u.rxCookie);
  return (RX_RING - state.residue) % RX_RING;
}

function rx_available(u: Uart): number {
  return (rx_head(u) - u.rxTail + RX_RING) % RX_RING;
}

/** The end of every RX period (the tasklet): wake readers. */
function uart_rx_dma_period(param: unknown): void {
  wake_up((param as Uart).rxWait);
}

/** read(): what has arrived, waiting (up to 200 ms) for `count` bytes. */
async function uart_read(_f: File, buf: UserPtr, count: number): Promise<number> {
  const u = uart!;
  count = Math.min(count, RX_RING - 1);
  for (let tries = 0; tries < 50 && rx_available(u) < count; tries++) {
    // a period callback wakes us; in between, poll the residue like an RX timeout would
    await wait_event_timeout(u.rxWait, () => rx_available(u) >= count, msecs_to_jiffies(4));
  }
  const n = Math.min(count, rx_available(u));
  const first = Math.min(n, RX_RING - u.rxTail);
  // the ring is coherent memory: the CPU sees what the controller wrote without syncs
  if (copy_to_user(buf, u.rxRing.cpu.add(u.rxTail), first) || copy_to_user(buf.add(first), u.rxRing.cpu, n - first)) return -EFAULT;
  u.rxTail = (u.rxTail + n) % RX_RING;
  return n;
}

async function uart_start_rx(u: Uart): Promise<number> {
  const desc = dmaengine_prep_dma_cyclic(u.rx, u.rxRing.dma, RX_RING, RX_PERIOD, DMA_DEV_TO_MEM, DMA_PREP_INTERRUPT);
  if (!desc) return -EIO;
  desc.callback = uart_rx_dma_period;
  desc.callback_param = u;
  u.rxCookie = dmaengine_submit(desc);
  if (dma_submit_error(u.rxCookie)) return dma_submit_error(u.rxCookie);
  dma_async_issue_pending(u.rx);
  return 0;
}

// ---- probe and remove ------------------------------------------------------------------------

export default platform_driver({
  name: 'uart-dma',
  of_match_table: ['dmalab,uart'],

  async probe(pdev: PlatformDevice) {
    const dev = pdev.dev;
    const regs = devm_platform_ioremap_resource(pdev, 0);
    if (IS_ERR(regs)) return PTR_ERR(regs);
    const res = platform_get_resource(pdev, IORESOURCE_MEM, 0)!;

    // 1. the channels the devicetree gives this device, by name
    const tx = dma_request_chan(dev, 'tx');
    if (IS_ERR(tx)) return PTR_ERR(tx);
    const rx = dma_request_chan(dev, 'rx');
    if (IS_ERR(rx)) {
      dma_release_channel(tx);
      return PTR_ERR(rx);
    }
    const dmadev = dmaengine_get_dma_device(tx);

    // 2. the FIFO register, as the controller reaches it (through its IOMMU or dma-ranges): one
    //    mapping for both directions, since the controller writes it for TX and reads it for RX
    const fifo = dma_map_resource(dmadev, res.start + BigInt(UART_DR), 4, DMA_BIDIRECTIONAL);
    const xmit = kmalloc(XMIT_SIZE, GFP_KERNEL);
    const ring = dma_alloc_coherent(dmadev, RX_RING, GFP_KERNEL);
    const fail = (err: number): number => {
      if (ring) dma_free_coherent(dmadev, RX_RING, ring.cpu, ring.dma);
      kfree(xmit);
      if (!dma_mapping_error(dmadev, fifo)) dma_unmap_resource(dmadev, fifo, 4, DMA_BIDIRECTIONAL);
      dma_release_channel(rx);
      dma_release_channel(tx);
      return err;
    };
    if (dma_mapping_error(dmadev, fifo) || !xmit || !ring) return fail(-ENOMEM);

    // 3. each channel's peripheral end
    let ret = dmaengine_slave_config(tx, { direction: DMA_MEM_TO_DEV, dst_addr: fifo, dst_addr_width: DMA_SLAVE_BUSWIDTH_1_BYTE, dst_maxburst: UART_FIFO_TRIGGER });
    if (!ret) ret = dmaengine_slave_config(rx, { direction: DMA_DEV_TO_MEM, src_addr: fifo, src_addr_width: DMA_SLAVE_BUSWIDTH_1_BYTE, src_maxburst: UART_FIFO_TRIGGER });
    if (ret) return fail(ret);

    const u: Uart = {
      dev, regs, tx, rx, dmadev, fifo, xmit, xmitHead: 0, txDone: init_completion(), txResult: 0,
      rxRing: ring, rxCookie: 0, rxTail: 0, rxWait: init_waitqueue_head(),
      misc: { minor: MISC_DYNAMIC_MINOR, name: 'ttyDMA0', fops: { read: uart_read, write: uart_write } },
    };
    uart = u;

    // 4. reception runs from now on; then the UART, with DMA requests on both lines
    ret = await uart_start_rx(u);
    if (ret) return fail(ret);
    writel(UART_CR_UARTEN | UART_CR_TXE | UART_CR_RXE | UART_CR_RTS | UART_CR_LBE, regs.add(UART_CR));
    writel(UART_DMACR_TXDMAE | UART_DMACR_RXDMAE, regs.add(UART_DMACR));
    ret = misc_register(u.misc);
    if (ret) {
      writel(0, regs.add(UART_DMACR));
      await dmaengine_terminate_sync(rx);
      return fail(ret);
    }
    dev_info(dev, 'DMA UART on %s (tx) and %s (rx), loopback, /dev/%s\n', tx.toString(), rx.toString(), u.misc.name);
    return 0;
  },

  async remove(pdev: PlatformDevice) {
    const u = uart!;
    misc_deregister(u.misc);
    writel(0, u.regs.add(UART_DMACR));
    writel(0, u.regs.add(UART_CR));
    // the cyclic transfer never ends by itself
    await dmaengine_terminate_sync(u.rx);
    await dmaengine_terminate_sync(u.tx);
    dma_free_coherent(u.dmadev, RX_RING, u.rxRing.cpu, u.rxRing.dma);
    dma_unmap_resource(u.dmadev, u.fifo, 4, DMA_BIDIRECTIONAL);
    dma_release_channel(u.rx);
    dma_release_channel(u.tx);
    kfree(u.xmit);
    dev_info(pdev.dev, 'removed\n');
  },
});

/** User space: three writes (the last wraps round the transmit ring), each read back through RX. */
export async function scenario(sys: { open(path: string): Promise<{ read(n: number): Promise<Uint8Array>; write(d: Uint8Array | string): Promise<number>; close(): Promise<void> }>; log(m: string): void }) {
  const tty = await sys.open('/dev/ttyDMA0');
  const messages = [
    new TextEncoder().encode('Hello from the DMA engine!\n'),
    Uint8Array.from({ length: 3000 }, (_, i) => (i * 7 + 3) & 0xff),
    Uint8Array.from({ length: 2000 }, (_, i) => (i * 13 + 1) & 0xff),
  ];
  for (const m of messages) {
    const n = await tty.write(m);
    if (n !== m.length) throw new Error(`write returned ${n} for ${m.length} bytes`);
    const got = await tty.read(m.length);
    const bad = got.findIndex((b, i) => b !== m[i]);
    if (got.length !== m.length || bad >= 0) throw new Error(`loopback: got ${got.length} of ${m.length} bytes${bad >= 0 ? `, first difference at byte ${bad}` : ''}`);
    sys.log(`${m.length} bytes out through TX DMA and back through the cyclic RX DMA`);
  }
  await tty.close();
}

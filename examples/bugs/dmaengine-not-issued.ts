// The transmit path submits its descriptor and waits for the callback, but never calls
// dma_async_issue_pending(): dmaengine_submit() only queues a transfer, so the controller never
// starts it, every write times out, and the descriptor is still queued when the channel is released.
// platforms: arm64-smmu-noncoherent, arm32-swiotlb
import {
  platform_driver, PlatformDevice, Device, IoMem, File, UserPtr, DmaChan, Completion,
  devm_platform_ioremap_resource, platform_get_resource, IORESOURCE_MEM, IS_ERR, PTR_ERR, writel, kmalloc, kfree, GFP_KERNEL, copy_from_user,
  dma_map_single, dma_unmap_single, dma_mapping_error, dma_map_resource, dma_unmap_resource, DMA_TO_DEVICE, DMA_BIDIRECTIONAL,
  dma_request_chan, dma_release_channel, dmaengine_get_dma_device, dmaengine_slave_config, dmaengine_prep_slave_single, dmaengine_submit,
  dma_submit_error, DMA_MEM_TO_DEV, DMA_SLAVE_BUSWIDTH_1_BYTE, DMA_PREP_INTERRUPT, DMA_CTRL_ACK,
  init_completion, reinit_completion, complete, wait_for_completion_timeout, msecs_to_jiffies,
  misc_register, misc_deregister, MISC_DYNAMIC_MINOR, dev_err, EIO, ENOMEM, EFAULT, ETIMEDOUT,
} from 'dmalab/linux';

const UART_DR = 0x00, UART_CR = 0x08, UART_DMACR = 0x0c;
const UART_CR_UARTEN = 1, UART_CR_TXE = 2, UART_DMACR_TXDMAE = 2;

let dev: Device, regs: IoMem, tx: DmaChan, dmadev: Device, fifo: bigint, done: Completion;

function tx_complete(): void {
  complete(done);
}

async function uart_write(_f: File, ubuf: UserPtr, count: number): Promise<number> {
  const buf = kmalloc(count, GFP_KERNEL);
  if (!buf) return -ENOMEM;
  if (copy_from_user(buf, ubuf, count)) {
    kfree(buf);
    return -EFAULT;
  }
  const dma = dma_map_single(dmadev, buf, count, DMA_TO_DEVICE);
  if (dma_mapping_error(dmadev, dma)) {
    kfree(buf);
    return -ENOMEM;
  }
  let ret = count;
  const desc = dmaengine_prep_slave_single(tx, dma, count, DMA_MEM_TO_DEV, DMA_PREP_INTERRUPT | DMA_CTRL_ACK);
  if (!desc) ret = -EIO;
  else {
    desc.callback = tx_complete;
    reinit_completion(done);
    const cookie = dmaengine_submit(desc); // BUG: dmaengine-not-issued
    if (dma_submit_error(cookie)) ret = -EIO;
    else if (!(await wait_for_completion_timeout(done, msecs_to_jiffies(100)))) {
      dev_err(dev, 'TX timed out\n');
      ret = -ETIMEDOUT;
    }
  }
  dma_unmap_single(dmadev, dma, count, DMA_TO_DEVICE);
  kfree(buf);
  return ret;
}

const misc = { minor: MISC_DYNAMIC_MINOR, name: 'ttyDMA0', fops: { write: uart_write } };

export default platform_driver({
  name: 'uart-dma',
  of_match_table: ['dmalab,uart'],
  async probe(pdev: PlatformDevice) {
    dev = pdev.dev;
    const r = devm_platform_ioremap_resource(pdev, 0);
    if (IS_ERR(r)) return PTR_ERR(r);
    regs = r;
    const c = dma_request_chan(dev, 'tx');
    if (IS_ERR(c)) return PTR_ERR(c);
    tx = c;
    dmadev = dmaengine_get_dma_device(tx);
    fifo = dma_map_resource(dmadev, platform_get_resource(pdev, IORESOURCE_MEM, 0)!.start + BigInt(UART_DR), 4, DMA_BIDIRECTIONAL);
    if (dma_mapping_error(dmadev, fifo)) return -ENOMEM;
    dmaengine_slave_config(tx, { direction: DMA_MEM_TO_DEV, dst_addr: fifo, dst_addr_width: DMA_SLAVE_BUSWIDTH_1_BYTE, dst_maxburst: 8 });
    done = init_completion();
    writel(UART_CR_UARTEN | UART_CR_TXE, regs.add(UART_CR));
    writel(UART_DMACR_TXDMAE, regs.add(UART_DMACR));
    return misc_register(misc);
  },
  remove() {
    misc_deregister(misc);
    writel(0, regs.add(UART_DMACR));
    dma_release_channel(tx);
    dma_unmap_resource(dmadev, fifo, 4, DMA_BIDIRECTIONAL);
  },
});

export async function scenario(sys: { open(p: string): Promise<{ write(d: string): Promise<number> }>; log(m: string): void }) {
  const tty = await sys.open('/dev/ttyDMA0');
  try {
    await tty.write('hello, world\n');
  } catch (e) {
    sys.log(`write failed: ${(e as Error).message}`);
  }
}

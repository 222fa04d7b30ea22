// probe DMAs the device's ID block into an on-stack array: dma-debug "device driver maps memory from
// stack"; with VMAP_STACK the stack is not physically contiguous, and cache maintenance hits neighbours.
// platforms: x86-64-vtd, arm64-smmu-noncoherent, arm32-swiotlb
import {
  platform_driver, PlatformDevice, Device, IoMem, Completion, stack_buffer,
  dma_set_mask_and_coherent, DMA_BIT_MASK, dma_map_single, dma_unmap_single, dma_mapping_error,
  DMA_FROM_DEVICE, lower_32_bits, upper_32_bits, devm_platform_ioremap_resource, platform_get_irq,
  devm_request_irq, IS_ERR, PTR_ERR, readl, writel, writeb, init_completion, complete,
  wait_for_completion_timeout, msecs_to_jiffies, dev_info, IRQ_HANDLED, IRQ_NONE, EIO, ENOMEM, ETIMEDOUT,
} from 'dmalab/linux';
import { DAD_COMMAND, DAD_ADDR, DAD_ADDR_HI, DAD_LEN, DAD_STATUS, DAD_CMD_RD, DAD_CMD_ENABLEDMA, DAD_STATUS_DONE, DAD_STATUS_ERROR } from 'dmalab/devices';

const ID_LEN = 64;
let regs: IoMem, status: number, done: Completion;

function dad_irq(): number {
  const st = readl(regs.add(DAD_STATUS));
  if (!(st & DAD_STATUS_DONE)) return IRQ_NONE;
  writel(DAD_STATUS_DONE | DAD_STATUS_ERROR, regs.add(DAD_STATUS));
  status = st & DAD_STATUS_ERROR ? -EIO : 0;
  complete(done);
  return IRQ_HANDLED;
}

/** Fetch the identification block with one small device-to-memory transfer. */
async function dad_read_id(dev: Device): Promise<number> {
  const id = stack_buffer(ID_LEN); // u8 id[64]; on the stack
  const bus = dma_map_single(dev, id, ID_LEN, DMA_FROM_DEVICE); // BUG: map-from-stack
  if (dma_mapping_error(dev, bus)) return -ENOMEM;
  writeb(DAD_CMD_RD, regs.add(DAD_COMMAND));
  writel(lower_32_bits(bus), regs.add(DAD_ADDR));
  writel(upper_32_bits(bus), regs.add(DAD_ADDR_HI));
  writel(ID_LEN, regs.add(DAD_LEN));
  writeb(DAD_CMD_ENABLEDMA, regs.add(DAD_COMMAND));
  const left = await wait_for_completion_timeout(done, msecs_to_jiffies(100));
  dma_unmap_single(dev, bus, ID_LEN, DMA_FROM_DEVICE);
  if (!left) return -ETIMEDOUT;
  if (status) return status;
  dev_info(dev, 'id block starts %02x %02x %02x %02x\n', id.read8(0), id.read8(1), id.read8(2), id.read8(3));
  return 0;
}

export default platform_driver({
  name: 'dad',
  of_match_table: ['dmalab,dad'],
  async probe(pdev: PlatformDevice) {
    const dev = pdev.dev;
    if (dma_set_mask_and_coherent(dev, DMA_BIT_MASK(32))) return -EIO;
    const r = devm_platform_ioremap_resource(pdev, 0);
    if (IS_ERR(r)) return PTR_ERR(r);
    regs = r;
    const irq = platform_get_irq(pdev, 0);
    if (irq < 0) return irq;
    done = init_completion();
    const ret = devm_request_irq(dev, irq, dad_irq, 0, 'dad', null);
    return ret || dad_read_id(dev);
  },
  remove() {},
});

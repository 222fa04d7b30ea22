// To save the prep call, the driver prepares its memcpy descriptor once at probe and submits the
// same descriptor for every copy. The first copy works; then the provider frees the descriptor as
// it completes (it was not made reusable with dmaengine_desc_set_reuse), and the next
// dmaengine_submit() hands it a freed descriptor: a use after free the kernel does not catch.
// platforms: x86-64-vtd, arm64-smmu-noncoherent, arm32-swiotlb
import {
  platform_driver, PlatformDevice, Device, Ptr, DmaChan, DmaAsyncTxDescriptor, Completion, kmalloc, kfree, GFP_KERNEL,
  dma_map_single, dma_unmap_single, dma_mapping_error, DMA_TO_DEVICE, DMA_FROM_DEVICE,
  dma_cap_zero, dma_cap_set, DMA_MEMCPY, dma_request_chan_by_mask, dma_release_channel, dmaengine_get_dma_device,
  dmaengine_prep_dma_memcpy, dmaengine_submit, dma_submit_error, dma_async_issue_pending, DMA_PREP_INTERRUPT, DMA_CTRL_ACK,
  init_completion, reinit_completion, complete, wait_for_completion_timeout, msecs_to_jiffies, pr_err, IS_ERR, PTR_ERR, EIO, ENOMEM, ETIMEDOUT,
} from 'dmalab/linux';

const SIZE = 4096;
let chan: DmaChan, dmadev: Device, src: Ptr, dst: Ptr, srcDma: bigint, dstDma: bigint, desc: DmaAsyncTxDescriptor, done: Completion;

function copy_done(): void {
  complete(done);
}

async function copy_block(): Promise<number> {
  reinit_completion(done);
  const cookie = dmaengine_submit(desc); // BUG: dmaengine-desc-reuse
  if (dma_submit_error(cookie)) return dma_submit_error(cookie);
  dma_async_issue_pending(chan);
  return (await wait_for_completion_timeout(done, msecs_to_jiffies(100))) ? 0 : -ETIMEDOUT;
}

export default platform_driver({
  name: 'blkcopy',
  of_match_table: ['dmalab,dad'],
  async probe(_pdev: PlatformDevice) {
    const mask = dma_cap_zero();
    dma_cap_set(DMA_MEMCPY, mask);
    const c = dma_request_chan_by_mask(mask);
    if (IS_ERR(c)) return PTR_ERR(c);
    chan = c;
    dmadev = dmaengine_get_dma_device(chan);
    src = kmalloc(SIZE, GFP_KERNEL)!;
    dst = kmalloc(SIZE, GFP_KERNEL)!;
    src.writeBytes(0, new Uint8Array(SIZE).fill(0xa5));
    srcDma = dma_map_single(dmadev, src, SIZE, DMA_TO_DEVICE);
    dstDma = dma_map_single(dmadev, dst, SIZE, DMA_FROM_DEVICE);
    let ret = dma_mapping_error(dmadev, srcDma) || dma_mapping_error(dmadev, dstDma) ? -ENOMEM : 0;
    done = init_completion();
    const d = ret ? null : dmaengine_prep_dma_memcpy(chan, dstDma, srcDma, SIZE, DMA_PREP_INTERRUPT | DMA_CTRL_ACK);
    if (!ret && !d) ret = -EIO;
    if (d) {
      desc = d;
      desc.callback = copy_done;
      for (let i = 0; i < 3 && !ret; i++) ret = await copy_block();
      if (ret) pr_err('blkcopy: copy failed (%d)', ret);
    }
    dma_unmap_single(dmadev, dstDma, SIZE, DMA_FROM_DEVICE);
    dma_unmap_single(dmadev, srcDma, SIZE, DMA_TO_DEVICE);
    kfree(src);
    kfree(dst);
    dma_release_channel(chan);
    return ret;
  },
});

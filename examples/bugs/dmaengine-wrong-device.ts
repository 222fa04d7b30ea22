// A driver hands a copy to a memcpy engine but maps both buffers for its own device instead of the
// engine's (dmaengine_get_dma_device(chan)). Addresses from dma_map_single() mean something only to
// the device they were mapped for: the engine reaches memory through its own IOMMU domain, where
// those IOVAs name other memory or nothing. Here they land in the engine's own descriptor
// ring or pool, so the copy "completes" and moves the wrong bytes (on a board without an IOMMU it may
// even work, until the driver runs on one that has one).
// platforms: x86-64-vtd, arm64-smmu-noncoherent
import {
  platform_driver, PlatformDevice, Device, kmalloc, kfree, GFP_KERNEL, dma_map_single, dma_unmap_single, dma_mapping_error,
  DMA_TO_DEVICE, DMA_FROM_DEVICE, dma_cap_zero, dma_cap_set, DMA_MEMCPY, dma_request_chan_by_mask, dma_release_channel,
  dmaengine_prep_dma_memcpy, dmaengine_submit, dma_submit_error, dma_async_issue_pending, DMA_PREP_INTERRUPT, DMA_CTRL_ACK,
  init_completion, complete, wait_for_completion_timeout, msecs_to_jiffies, IS_ERR, PTR_ERR, pr_info, EIO, ENOMEM, ETIMEDOUT,
} from 'dmalab/linux';

const LEN = 4096;

async function offload_copy(dev: Device): Promise<number> {
  const mask = dma_cap_zero();
  dma_cap_set(DMA_MEMCPY, mask);
  const chan = dma_request_chan_by_mask(mask);
  if (IS_ERR(chan)) return PTR_ERR(chan);
  const src = kmalloc(LEN, GFP_KERNEL)!;
  const dst = kmalloc(LEN, GFP_KERNEL)!;
  for (let i = 0; i < LEN; i += 4) src.write32(i, 0xc0ffee00 + i);
  let ret = 0;
  const s = dma_map_single(dev, src, LEN, DMA_TO_DEVICE);
  const d = dma_map_single(dev, dst, LEN, DMA_FROM_DEVICE);
  if (dma_mapping_error(dev, s) || dma_mapping_error(dev, d)) ret = -ENOMEM;
  else {
    const done = init_completion();
    const tx = dmaengine_prep_dma_memcpy(chan, d, s, LEN, DMA_PREP_INTERRUPT | DMA_CTRL_ACK); // BUG: dmaengine-wrong-device
    if (!tx) ret = -EIO;
    else {
      tx.callback = () => complete(done);
      if (dma_submit_error(dmaengine_submit(tx))) ret = -EIO;
      else {
        dma_async_issue_pending(chan);
        if (!(await wait_for_completion_timeout(done, msecs_to_jiffies(100)))) ret = -ETIMEDOUT;
      }
    }
    dma_unmap_single(dev, d, LEN, DMA_FROM_DEVICE);
    dma_unmap_single(dev, s, LEN, DMA_TO_DEVICE);
  }
  let wrong = 0;
  for (let i = 0; i < LEN; i += 4) if (dst.read32(i) !== ((0xc0ffee00 + i) >>> 0)) wrong++;
  pr_info('offload copy: %d of %d words wrong', wrong, LEN / 4);
  kfree(dst);
  kfree(src);
  dma_release_channel(chan);
  return ret;
}

export default platform_driver({
  name: 'copy-offload',
  of_match_table: ['dmalab,dad'],
  async probe(pdev: PlatformDevice) {
    const r = await offload_copy(pdev.dev);
    return r === -ETIMEDOUT ? -EIO : 0;
  },
  remove() {},
});

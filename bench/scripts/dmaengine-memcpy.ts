// Bench: dmatest-style copies through the dmaengine memcpy API (prep, callback, submit, issue, wait
// for the callback), 256 MiB in 4 MiB copies between two mapped buffers, one at a time. The harness
// times "bench:begin" to "bench:end" and compares the bytes copied per second with Buffer.copy; the
// copy is checked afterwards (outside the timed stretch) as dmatest would.
import {
  platform_driver, kmalloc, kfree, GFP_KERNEL, dma_map_single, dma_unmap_single, dma_mapping_error, DMA_TO_DEVICE, DMA_FROM_DEVICE,
  dma_cap_zero, dma_cap_set, DMA_MEMCPY, dma_request_chan_by_mask, dma_release_channel, dmaengine_get_dma_device, IS_ERR, PTR_ERR, DmaChan,
  dmaengine_prep_dma_memcpy, dmaengine_submit, dma_submit_error, dma_async_issue_pending, DMA_PREP_INTERRUPT, DMA_CTRL_ACK,
  init_completion, reinit_completion, complete, wait_for_completion, pr_info, ENOMEM, EIO,
} from 'dmalab/linux';

const CHUNK = 4 << 20;
const TOTAL = 256 << 20;

export default platform_driver({
  name: 'bench-dmaengine',
  of_match_table: ['dmalab,dad'],
  async probe() {
    const mask = dma_cap_zero();
    dma_cap_set(DMA_MEMCPY, mask);
    const c = dma_request_chan_by_mask(mask);
    if (IS_ERR(c)) return PTR_ERR(c);
    const chan: DmaChan = c;
    const dev = dmaengine_get_dma_device(chan);
    const src = kmalloc(CHUNK, GFP_KERNEL);
    const dst = kmalloc(CHUNK, GFP_KERNEL);
    if (!src || !dst) return -ENOMEM;
    const head = Uint8Array.from({ length: 4096 }, (_, i) => (i * 31 + 5) & 0xff);
    src.writeBytes(0, head);
    src.writeBytes(CHUNK - 4096, head);
    // the CPU works on other data before the copies: the buffers' lines leave its (1 MiB) cache, so
    // the coherent engine does not also update cached copies of them on every copy
    kfree(kmalloc(2 << 20, GFP_KERNEL));
    const done = init_completion();
    // mapped once, as a driver streaming copies between two buffers keeps them mapped (the map and
    // unmap costs have their own rows); the CPU does not touch them until the end
    const s = dma_map_single(dev, src, CHUNK, DMA_TO_DEVICE);
    const d = dma_map_single(dev, dst, CHUNK, DMA_FROM_DEVICE);
    if (dma_mapping_error(dev, s) || dma_mapping_error(dev, d)) return -ENOMEM;
    const copy = async (): Promise<number> => {
      const tx = dmaengine_prep_dma_memcpy(chan, d, s, CHUNK, DMA_PREP_INTERRUPT | DMA_CTRL_ACK);
      if (!tx) return -EIO;
      tx.callback = () => complete(done);
      reinit_completion(done);
      if (dma_submit_error(dmaengine_submit(tx))) return -EIO;
      dma_async_issue_pending(chan);
      await wait_for_completion(done);
      return 0;
    };
    // one copy first, as dmatest's first test would: it primes the IOMMU's walk caches
    if (await copy()) return -EIO;
    pr_info('bench:begin');
    for (let moved = 0; moved < TOTAL; moved += CHUNK) if (await copy()) return -EIO;
    pr_info('bench:end %d', TOTAL);
    dma_unmap_single(dev, d, CHUNK, DMA_FROM_DEVICE);
    dma_unmap_single(dev, s, CHUNK, DMA_TO_DEVICE);
    const a = dst.readBytes(0, 4096);
    const b = dst.readBytes(CHUNK - 4096, 4096);
    if (a.some((x, i) => x !== head[i]) || b.some((x, i) => x !== head[i])) throw new Error('the copy is wrong');
    dma_release_channel(chan);
    kfree(src);
    kfree(dst);
    return 0;
  },
});

// A memcpy test in the manner of Linux's dmatest (drivers/dma/dmatest.c): take a DMA_MEMCPY channel
// by capability, then, test after test, fill a source and a destination buffer with dmatest's
// patterns, copy a random slice of one into a random place of the other with the controller
// (map for the controller's device, prep, callback, submit, issue, wait), and verify every byte of
// both buffers: the copy landed, nothing around it was touched, the source is intact. The summary
// line is dmatest's, with iops and KB/s of virtual time.
//
// Linux's dmatest is a module with no device of its own; a DMA Lab script is a platform driver, so
// this one binds to the dad node only to have a probe and a /dev node, and never touches the dad.
// `echo 1 > /dev/dmatest` (the scenario's write) runs the tests; reading gives the summary.
//
// platforms: x86-64-vtd, arm64-smmu-noncoherent, arm32-swiotlb
// run:       dmalab run examples/dmatest.ts --platform arm64-smmu-noncoherent
import {
  platform_driver, PlatformDevice, Device, Ptr, UserPtr, File, MiscDevice, kmalloc, kfree, GFP_KERNEL, copy_to_user,
  dma_map_single, dma_unmap_single, dma_mapping_error, DMA_TO_DEVICE, DMA_BIDIRECTIONAL,
  dma_cap_zero, dma_cap_set, DMA_MEMCPY, dma_request_chan_by_mask, dma_release_channel, dmaengine_get_dma_device, dma_chan_name,
  dmaengine_prep_dma_memcpy, dmaengine_submit, dma_submit_error, dma_async_issue_pending, dma_async_is_tx_complete,
  DMA_PREP_INTERRUPT, DMA_CTRL_ACK, DMA_COMPLETE, DMA_ERROR, DmaChan,
  WaitQueueHead, init_waitqueue_head, wake_up, wait_event_timeout, msecs_to_jiffies, ktime_get_ns,
  misc_register, misc_deregister, MISC_DYNAMIC_MINOR, IS_ERR, PTR_ERR, pr_info, pr_err, EFAULT, EBUSY, ENOMEM,
} from 'dmalab/linux';

const TEST_BUF_SIZE = 16384; // dmatest's test_buf_size
const ITERATIONS = 32;
const TIMEOUT_MS = 3000;

const PATTERN_SRC = 0x80;
const PATTERN_DST = 0x00;
const PATTERN_COPY = 0x40;
const PATTERN_OVERWRITE = 0x20;
const PATTERN_COUNT_MASK = 0x1f;

interface Done {
  done: boolean;
  wait: WaitQueueHead;
}

interface Dmatest {
  chan: DmaChan;
  dev: Device; // the controller's device: buffers are mapped for it
  src: Ptr;
  dst: Ptr;
  summary: string;
  failures: number;
  running: boolean;
  misc: MiscDevice;
}

let test: Dmatest | undefined;

/** dmatest_random(), made deterministic: a 32-bit xorshift. */
let seed = 0x2545f491;
function dmatest_random(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return seed >>> 0;
}

/** dmatest_init_srcs / dmatest_init_dsts: the byte pattern of a buffer before a test. */
function fill(buf: Ptr, start: number, len: number, base: number, inside: number): void {
  const b = new Uint8Array(TEST_BUF_SIZE);
  for (let i = 0; i < TEST_BUF_SIZE; i++) b[i] = (i >= start && i < start + len ? base | inside : base) | (~i & PATTERN_COUNT_MASK);
  buf.writeBytes(0, b);
}

/** dmatest_verify: bytes [start, end) must read pattern | (~counter & mask), counter counting up. */
function verify(got: Uint8Array, start: number, end: number, counter: number, pattern: number, what: string): number {
  let errors = 0;
  for (let i = start; i < end; i++, counter++) {
    const expected = (pattern | (~counter & PATTERN_COUNT_MASK)) & 0xff;
    if (got[i] !== expected) {
      if (errors < 4) pr_err('dmatest: %s[0x%x] mismatch! expected 0x%02x, got 0x%02x', what, i, expected, got[i]);
      errors++;
    }
  }
  return errors;
}

function dmatest_callback(arg: unknown): void {
  const done = arg as Done;
  done.done = true;
  wake_up(done.wait);
}

/** One dmatest thread's run: ITERATIONS copies, then the summary. */
async function dmatest_func(t: Dmatest): Promise<void> {
  const thread = `${dma_chan_name(t.chan)}-copy0`;
  const done: Done = { done: false, wait: init_waitqueue_head() };
  let failed = 0;
  let totalLen = 0;
  const start = ktime_get_ns();
  for (let n = 1; n <= ITERATIONS; n++) {
    const len = (dmatest_random() % TEST_BUF_SIZE) + 1;
    const srcOff = dmatest_random() % (TEST_BUF_SIZE - len + 1);
    const dstOff = dmatest_random() % (TEST_BUF_SIZE - len + 1);
    fill(t.src, srcOff, len, PATTERN_SRC, PATTERN_COPY);
    fill(t.dst, dstOff, len, PATTERN_DST, PATTERN_OVERWRITE);

    const src = dma_map_single(t.dev, t.src, TEST_BUF_SIZE, DMA_TO_DEVICE);
    if (dma_mapping_error(t.dev, src)) {
      pr_err('%s: #%d: src mapping error', thread, n);
      failed++;
      continue;
    }
    const dst = dma_map_single(t.dev, t.dst, TEST_BUF_SIZE, DMA_BIDIRECTIONAL);
    if (dma_mapping_error(t.dev, dst)) {
      pr_err('%s: #%d: dst mapping error', thread, n);
      dma_unmap_single(t.dev, src, TEST_BUF_SIZE, DMA_TO_DEVICE);
      failed++;
      continue;
    }
    const tx = dmaengine_prep_dma_memcpy(t.chan, dst + BigInt(dstOff), src + BigInt(srcOff), len, DMA_CTRL_ACK | DMA_PREP_INTERRUPT);
    let status = -1;
    if (!tx) {
      pr_err('%s: #%d: prep error', thread, n);
      failed++;
    } else {
      done.done = false;
      tx.callback = dmatest_callback;
      tx.callback_param = done;
      const cookie = dmaengine_submit(tx);
      if (dma_submit_error(cookie)) {
        pr_err('%s: #%d: submit error %d', thread, n, cookie);
        failed++;
      } else {
        dma_async_issue_pending(t.chan);
        await wait_event_timeout(done.wait, () => done.done, msecs_to_jiffies(TIMEOUT_MS));
        status = dma_async_is_tx_complete(t.chan, cookie);
        if (!done.done) {
          pr_err('%s: #%d: test timed out', thread, n);
          failed++;
        } else if (status !== DMA_COMPLETE) {
          pr_err('%s: #%d: %s', thread, n, status === DMA_ERROR ? 'completion error status' : 'completion busy status');
          failed++;
        }
      }
    }
    dma_unmap_single(t.dev, dst, TEST_BUF_SIZE, DMA_BIDIRECTIONAL);
    dma_unmap_single(t.dev, src, TEST_BUF_SIZE, DMA_TO_DEVICE);
    if (status !== DMA_COMPLETE) continue;

    // the buffers are the CPU's again: check every byte of both
    const s = t.src.readBytes(0, TEST_BUF_SIZE);
    const d = t.dst.readBytes(0, TEST_BUF_SIZE);
    let errors = verify(s, 0, srcOff, 0, PATTERN_SRC, 'src');
    errors += verify(s, srcOff, srcOff + len, srcOff, PATTERN_SRC | PATTERN_COPY, 'src');
    errors += verify(s, srcOff + len, TEST_BUF_SIZE, srcOff + len, PATTERN_SRC, 'src');
    errors += verify(d, 0, dstOff, 0, PATTERN_DST, 'dst');
    errors += verify(d, dstOff, dstOff + len, srcOff, PATTERN_SRC | PATTERN_COPY, 'dst');
    errors += verify(d, dstOff + len, TEST_BUF_SIZE, dstOff + len, PATTERN_DST, 'dst');
    totalLen += len;
    if (errors) {
      pr_err('%s: #%d: %d errors (src_off=0x%x dst_off=0x%x len=0x%x)', thread, n, errors, srcOff, dstOff, len);
      failed++;
    }
  }
  const runtimeUs = Math.max(1, Number(ktime_get_ns() - start) / 1000);
  const iops = (ITERATIONS * 1e6) / runtimeUs;
  const kbs = Math.floor(((totalLen / 1024) * 1e6) / runtimeUs);
  t.failures = failed;
  t.summary = `${thread}: summary ${ITERATIONS} tests, ${failed} failures ${iops.toFixed(2)} iops ${kbs} KB/s (0)`;
  pr_info('dmatest: %s', t.summary);
}

async function run_write(_f: File, _buf: UserPtr, count: number): Promise<number> {
  const t = test!;
  if (t.running) return -EBUSY;
  t.running = true;
  await dmatest_func(t);
  t.running = false;
  return count;
}

function results_read(_f: File, buf: UserPtr, count: number, ppos: { pos: number }): number {
  const text = new TextEncoder().encode(`${test!.summary}\n`);
  const n = Math.max(0, Math.min(count, text.length - ppos.pos));
  if (n === 0) return 0;
  const k = kmalloc(n, GFP_KERNEL);
  if (!k) return -ENOMEM;
  k.writeBytes(0, text.subarray(ppos.pos, ppos.pos + n));
  const left = copy_to_user(buf, k, n);
  kfree(k);
  if (left) return -EFAULT;
  ppos.pos += n;
  return n;
}

export default platform_driver({
  name: 'dmatest',
  of_match_table: ['dmalab,dad'],

  async probe(_pdev: PlatformDevice) {
    const mask = dma_cap_zero();
    dma_cap_set(DMA_MEMCPY, mask);
    const chan = dma_request_chan_by_mask(mask);
    if (IS_ERR(chan)) {
      pr_err('dmatest: no DMA_MEMCPY channel (%d)', PTR_ERR(chan));
      return PTR_ERR(chan);
    }
    const src = kmalloc(TEST_BUF_SIZE, GFP_KERNEL);
    const dst = kmalloc(TEST_BUF_SIZE, GFP_KERNEL);
    if (!src || !dst) {
      kfree(src);
      kfree(dst);
      dma_release_channel(chan);
      return -ENOMEM;
    }
    const t: Dmatest = {
      chan, dev: dmaengine_get_dma_device(chan), src, dst, summary: 'not run', failures: 0, running: false,
      misc: { minor: MISC_DYNAMIC_MINOR, name: 'dmatest', fops: { write: run_write, read: results_read } },
    };
    test = t;
    pr_info('dmatest: Added 1 threads using %s', dma_chan_name(chan));
    return misc_register(t.misc);
  },

  remove() {
    const t = test!;
    misc_deregister(t.misc);
    dma_release_channel(t.chan);
    kfree(t.src);
    kfree(t.dst);
  },
});

/** User space: `echo 1 > run`, then read the summary; any failure fails the run. */
export async function scenario(sys: { open(path: string): Promise<{ read(n: number): Promise<Uint8Array>; write(d: string): Promise<number>; close(): Promise<void> }>; log(m: string): void }) {
  const f = await sys.open('/dev/dmatest');
  await f.write('1');
  const summary = new TextDecoder().decode(await f.read(256)).trim();
  await f.close();
  sys.log(summary);
  if (!/ 0 failures /.test(summary)) throw new Error(`dmatest failed: ${summary}`);
}

// The dmaengine findings through the runner, from scripts: a descriptor submitted and never issued
// is named at driver removal and when the run waits for what can never happen (and not when it is
// issued late); descriptors reused against the rules, with the lifecycle in the message.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runScript } from '../../emulator/runner/run';

const HEAD = `import {
  platform_driver, kmalloc, GFP_KERNEL, dma_map_single, dma_unmap_single, dma_mapping_error, DMA_TO_DEVICE, DMA_FROM_DEVICE,
  dma_cap_zero, dma_cap_set, DMA_MEMCPY, dma_request_chan_by_mask, dma_release_channel, dmaengine_get_dma_device,
  dmaengine_prep_dma_memcpy, dmaengine_submit, dma_async_issue_pending, dmaengine_terminate_sync, DMA_PREP_INTERRUPT, DMA_CTRL_ACK,
  init_completion, complete, wait_for_completion, wait_for_completion_timeout, msecs_to_jiffies, msleep, kfree, DmaChan,
} from 'dmalab/linux';
let chan: DmaChan;
function setup() {
  const mask = dma_cap_zero();
  dma_cap_set(DMA_MEMCPY, mask);
  chan = dma_request_chan_by_mask(mask) as DmaChan;
  const dev = dmaengine_get_dma_device(chan);
  const a = kmalloc(4096, GFP_KERNEL)!, b = kmalloc(4096, GFP_KERNEL)!;
  const s = dma_map_single(dev, a, 4096, DMA_TO_DEVICE), d = dma_map_single(dev, b, 4096, DMA_FROM_DEVICE);
  dma_mapping_error(dev, s);
  dma_mapping_error(dev, d);
  const done = init_completion();
  const unmap = () => { dma_unmap_single(dev, s, 4096, DMA_TO_DEVICE); dma_unmap_single(dev, d, 4096, DMA_FROM_DEVICE); kfree(a); kfree(b); };
  return { s, d, done, unmap };
}
`;

let dir: string;
function script(name: string, body: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, HEAD + body);
  return file;
}
/** 1-based line of the first line containing `marker`. */
function lineOf(file: string, marker: string): number {
  return fs.readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes(marker)) + 1;
}

describe('dmaengine findings', () => {
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dmalab-dmaengine-'))));

  it('not issued: named at driver removal, at the submit line', async () => {
    const file = script(
      'remove.ts',
      `export default platform_driver({
  name: 't', of_match_table: ['dmalab,dad'],
  async probe() {
    const t = setup();
    const tx = dmaengine_prep_dma_memcpy(chan, t.d, t.s, 4096, DMA_PREP_INTERRUPT)!;
    tx.callback = () => complete(t.done);
    dmaengine_submit(tx); // SUBMIT
    await wait_for_completion_timeout(t.done, msecs_to_jiffies(10));
    t.unmap();
    return 0;
  },
});
`,
    );
    const r = await runScript({ script: file, platform: 'arm64-smmu-noncoherent' });
    assert.strictEqual(r.error, undefined, r.error?.message);
    assert.deepStrictEqual(r.findings.map((f) => f.id), ['dmaengine-not-issued']);
    const f = r.findings[0];
    assert.strictEqual(r.exitCode, 1);
    assert.strictEqual(f.site?.location()?.line, lineOf(file, '// SUBMIT'));
    assert.match(f.message, /^dma0chan0 \(10000000\.dad\): memcpy descriptor of 4096 bytes \(cookie 2\) was submitted but never issued by the time the driver was removed: dmaengine_submit\(\) only queues a transfer; nothing starts until dma_async_issue_pending\(\)$/);
  });

  it('not issued: named when the run waits for what can never happen (and the hang says so)', async () => {
    const file = script(
      'hang.ts',
      `export default platform_driver({
  name: 't', of_match_table: ['dmalab,dad'],
  async probe() {
    const t = setup();
    const tx = dmaengine_prep_dma_memcpy(chan, t.d, t.s, 4096, DMA_PREP_INTERRUPT)!;
    tx.callback = () => complete(t.done);
    dmaengine_submit(tx); // SUBMIT
    await wait_for_completion(t.done); // WAIT
    return 0;
  },
});
`,
    );
    const r = await runScript({ script: file, platform: 'x86-64-vtd' });
    assert.strictEqual(r.exitCode, 2);
    assert.match(r.error!.message, /probe of fe000000\.dad never finished: it waits \(wait_for_completion at .*hang\.ts:\d+:\d+\) and no hardware event is pending, so nothing can ever wake it; 1 dmaengine descriptor was submitted and never issued \(dma_async_issue_pending\)/);
    assert.deepStrictEqual(r.findings.map((f) => f.id), ['dmaengine-not-issued']);
    const f = r.findings[0];
    assert.strictEqual(f.site?.location()?.line, lineOf(file, '// SUBMIT'));
    assert.match(f.message, /never issued and the run now waits for what can never happen/);
    assert.ok(f.related.some((x) => x.site?.location()?.line === lineOf(file, '// WAIT')), 'the wait is a related location');
  });

  it('a descriptor issued late is not reported; one terminated before it was issued is dropped quietly', async () => {
    const file = script(
      'late.ts',
      `export default platform_driver({
  name: 't', of_match_table: ['dmalab,dad'],
  async probe() {
    const t = setup();
    const tx = dmaengine_prep_dma_memcpy(chan, t.d, t.s, 4096, DMA_PREP_INTERRUPT | DMA_CTRL_ACK)!;
    tx.callback = () => complete(t.done);
    dmaengine_submit(tx);
    await msleep(5);
    dma_async_issue_pending(chan);
    await wait_for_completion(t.done);
    const again = dmaengine_prep_dma_memcpy(chan, t.d, t.s, 4096, DMA_PREP_INTERRUPT | DMA_CTRL_ACK)!;
    dmaengine_submit(again);
    await dmaengine_terminate_sync(chan);
    t.unmap();
    dma_release_channel(chan);
    return 0;
  },
});
`,
    );
    const r = await runScript({ script: file, platform: 'arm32-swiotlb' });
    assert.strictEqual(r.error, undefined, r.error?.message);
    assert.deepStrictEqual(r.findings.map((f) => f.id), []);
  });

  it('reuse: resubmitting from its own callback, and after terminate, name what freed the descriptor', async () => {
    const file = script(
      'reuse.ts',
      `export default platform_driver({
  name: 't', of_match_table: ['dmalab,dad'],
  async probe() {
    const t = setup();
    const tx = dmaengine_prep_dma_memcpy(chan, t.d, t.s, 4096, DMA_PREP_INTERRUPT | DMA_CTRL_ACK)!;
    tx.callback = () => {
      dmaengine_submit(tx); // AGAIN
      complete(t.done);
    };
    dmaengine_submit(tx);
    dma_async_issue_pending(chan);
    await wait_for_completion(t.done);
    const other = dmaengine_prep_dma_memcpy(chan, t.d, t.s, 4096, DMA_PREP_INTERRUPT | DMA_CTRL_ACK)!;
    dmaengine_submit(other);
    await dmaengine_terminate_sync(chan);
    dmaengine_submit(other); // TERMINATED
    t.unmap();
    dma_release_channel(chan);
    return 0;
  },
});
`,
    );
    const r = await runScript({ script: file, platform: 'x86-64-vtd' });
    assert.strictEqual(r.error, undefined, r.error?.message);
    assert.deepStrictEqual(r.findings.map((f) => f.id), ['dmaengine-desc-reuse', 'dmaengine-desc-reuse']);
    assert.strictEqual(r.findings[0].site?.location()?.line, lineOf(file, '// AGAIN'));
    assert.match(r.findings[0].message, /the provider frees as soon as its completion callback returns \(cookie 2\): use after free/);
    assert.strictEqual(r.findings[1].site?.location()?.line, lineOf(file, '// TERMINATED'));
    assert.match(r.findings[1].message, /the provider freed when the channel was terminated \(cookie 3\)/);
  });
});

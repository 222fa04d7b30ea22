// The classic ring-driver bugs give wrong data, not just a warning: examples/nic-ring.ts with one
// thing changed. The scenario checks every frame it reads back, so wrong data ends the run with
// the scenario's error naming the frame.
//  - no dma_wmb() between writing a receive descriptor and setting OWN: on the weakly-ordered arm
//    platforms the card reads the descriptor with its old buffer address; on x86 (stores in program
//    order) the same driver happens to work;
//  - OWN set before the buffer address: wrong everywhere, x86 included;
//  - the ring in cached memory (kmalloc + a streaming mapping, no syncs): on the non-coherent
//    platform the card never sees the descriptors the CPU wrote into its cache.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runScript, RunResult } from '../../emulator/runner/run';

const example = fs.readFileSync(path.join(__dirname, '..', '..', 'examples', 'nic-ring.ts'), 'utf8');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dmalab-nic-'));

const BARRIER = '  dma_wmb(); // the card must see the buffer address and size before it sees OWN\n';
const OWN = '  d.write32(NIC_DESC_STATUS, NIC_DESC_OWN);\n';
const FIRST_STORE = '  d.write32(NIC_DESC_BUF_LO, lower_32_bits(nic.rxDma[i]));\n';

function variant(name: string, edit: (s: string) => string): string {
  const text = edit(example);
  assert.notStrictEqual(text, example, `${name}: the edit must change the example`);
  const file = path.join(dir, `${name}.ts`);
  fs.writeFileSync(file, text);
  return file;
}

function replaceOnce(s: string, a: string, b: string): string {
  const i = s.indexOf(a);
  assert.ok(i >= 0, `the example no longer contains ${JSON.stringify(a)}`);
  return s.slice(0, i) + b + s.slice(i + a.length);
}

const noWmb = variant('no-dma-wmb', (s) => replaceOnce(s, BARRIER, ''));
// rx_give with OWN first: OWN, then the address and size, then the (now useless) barrier
const ownFirst = variant('own-first', (s) => replaceOnce(replaceOnce(s, BARRIER + OWN, BARRIER), FIRST_STORE, OWN + FIRST_STORE));
const cachedRing = variant('cached-ring', (s) => {
  let t = replaceOnce(s, ' dma_wmb, dma_rmb,\n', ' dma_wmb, dma_rmb, DMA_BIDIRECTIONAL,\n');
  t = replaceOnce(
    t,
    '    const rx = dma_alloc_coherent(dev, RX_RING * NIC_DESC_SIZE, GFP_KERNEL);\n',
    '    const rxMem = kmalloc(RX_RING * NIC_DESC_SIZE, GFP_KERNEL)!;\n    const rx = { cpu: rxMem, dma: dma_map_single(dev, rxMem, RX_RING * NIC_DESC_SIZE, DMA_BIDIRECTIONAL) };\n',
  );
  return replaceOnce(
    t,
    '  dma_free_coherent(nic.dev, RX_RING * NIC_DESC_SIZE, nic.rx.cpu, nic.rx.dma);\n}',
    '  dma_unmap_single(nic.dev, nic.rx.dma, RX_RING * NIC_DESC_SIZE, DMA_BIDIRECTIONAL);\n  kfree(nic.rx.cpu);\n}',
  );
});

function wrongData(r: RunResult): string {
  assert.strictEqual(r.exitCode, 2, `expected the scenario to find wrong data; exit ${r.exitCode}, findings: ${r.findings.map((f) => f.id).join(', ') || 'none'}`);
  assert.strictEqual(r.error?.phase, 'scenario');
  return r.error!.message;
}

describe('ring-driver bugs give wrong data (examples/nic-ring.ts variants)', () => {
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('the example itself receives and transmits every frame intact on arm64-smmu-noncoherent', async () => {
    const r = await runScript({ script: path.join(__dirname, '..', '..', 'examples', 'nic-ring.ts'), platform: 'arm64-smmu-noncoherent' });
    assert.strictEqual(r.exitCode, 0, r.error?.message);
    const log = r.kernel!.trace.events.flatMap((e) => (e.kind === 'log' ? [e.text] : []));
    assert.ok(log.includes('user: received 56 frames, all intact'), log.slice(-5).join('\n'));
  });

  for (const platform of ['arm64-smmu-noncoherent', 'arm32-swiotlb']) {
    it(`without dma_wmb() before OWN the card reads the old buffer address: wrong frames on ${platform}`, async () => {
      const msg = wrongData(await runScript({ script: noWmb, platform }));
      assert.match(msg, /received frame \d+: .* differ from the frame sent/);
    });
  }

  it('without dma_wmb() the x86 driver still works: its stores reach memory in program order', async () => {
    const r = await runScript({ script: noWmb, platform: 'x86-64-vtd' });
    assert.strictEqual(r.exitCode, 0, r.error?.message);
  });

  for (const platform of ['arm64-smmu-noncoherent', 'x86-64-vtd', 'arm32-swiotlb']) {
    it(`OWN set before the buffer address gives the card the old address: wrong frames on ${platform}`, async () => {
      const msg = wrongData(await runScript({ script: ownFirst, platform }));
      assert.match(msg, /received frame \d+: .* differ from the frame sent/);
    });
  }

  it('a ring in cached memory without syncs: the card never sees the descriptors on arm64-smmu-noncoherent', async () => {
    const r = await runScript({ script: cachedRing, platform: 'arm64-smmu-noncoherent' });
    assert.notStrictEqual(r.exitCode, 0);
    const ids = new Set(r.findings.map((f) => f.id));
    assert.ok(ids.has('dirty-cache-not-flushed') || ids.has('cpu-write-device-owned'), [...ids].join(', '));
    assert.ok(r.error, 'and the frames do not arrive');
  });
});

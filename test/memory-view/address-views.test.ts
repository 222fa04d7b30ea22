// The memory view against a real run: `dmalab/addressViews` resolves one reference into the CPU's,
// the RAM's and a device's view, and the three-column model read through the adapter shows what
// the hardware did (stale CPU lines after a non-coherent device wrote RAM, a bounce slot the
// device wrote while the driver's buffer still holds the poison), drawn with the DOM contract.
import * as assert from 'assert';
import { JSDOM } from 'jsdom';
import { DebugProtocol } from '@vscode/debugprotocol';
import { Adapter, example, startAdapter } from '../helpers/dap';
import type { AddressViews } from '../../emulator/inspect/address-views';
import { loadView, titleOf, viewData, writeTarget, type Request } from '../../src/memory-view/load';
import { compareColumns } from '../../src/memory-view/model';
import { renderView } from '../../src/memory-view/webview/render';

const dad = example('dad.ts');

interface Row {
  cpuVa: string;
  cpuPhys: string[];
  dma: string;
  device: string;
  size: number;
  bounce?: string;
}

/** Launch dad.ts and stop when the device's transfer completes (the hardware frozen there). */
async function stopAtTransferComplete(a: Adapter, platform: string): Promise<void> {
  const initialized = a.dc.waitForEvent('initialized');
  const launched = a.dc.launch({ program: dad, platform });
  await initialized;
  await a.dc.setExceptionBreakpointsRequest({ filters: [], filterOptions: [{ filterId: 'transfer-complete' }] });
  const stopped = a.dc.waitForEvent('stopped');
  await a.dc.configurationDoneRequest();
  await launched;
  const s = (await stopped) as DebugProtocol.StoppedEvent;
  assert.match(s.body.description!, /transfer RD .* complete/);
}

const requestOf =
  (a: Adapter): Request =>
  async (command, args) =>
    (await a.dc.send(command, args)).body;

async function views(a: Adapter, memoryReference: string, extra: Record<string, unknown> = {}): Promise<AddressViews> {
  return (await a.dc.customRequest('dmalab/addressViews', { memoryReference, ...extra })).body as AddressViews;
}

describe('memory view: the three views of a real run', function () {
  let a: Adapter;
  beforeEach(async () => (a = await startAdapter()));
  afterEach(async () => a.stop());

  it('arm64 SMMU, non-coherent: one buffer from any of its references, and the CPU view stale against RAM and the device', async () => {
    await stopAtTransferComplete(a, 'arm64-smmu-noncoherent');
    const m = ((await a.dc.customRequest('dmalab/mappings')).body as Row[])[0];
    const phys = m.cpuPhys[0].split('+')[0];

    // the same buffer, whichever view it is opened from
    for (const ref of [m.cpuVa, `phys:${phys}`, `iova:dad:${m.dma}`]) {
      const v = await views(a, ref);
      assert.strictEqual(v.cpuVa, m.cpuVa, ref);
      assert.strictEqual(v.phys, phys, ref);
      assert.strictEqual(v.iova, m.dma, ref);
      assert.strictEqual(v.device?.name, m.device, ref);
      assert.match(v.device!.translation, /stream/, 'the device reaches memory through the SMMU');
      assert.strictEqual(v.length, 4096, 'the length of the mapping when none is asked for');
      assert.strictEqual(v.mapping?.dir, 'DMA_FROM_DEVICE');
      assert.strictEqual(v.mapping?.owner, 'device');
      assert.deepStrictEqual(v.runs.map((r) => [r.offset, r.length, r.cpu, r.ram, r.device]), [[0, 4096, m.cpuVa, `phys:${phys}`, `iova:${m.device}:${m.dma}`]]);
      assert.deepStrictEqual(v.runs[0].why, {});
    }
    assert.strictEqual((await views(a, 'phys:0x1000', { length: 16 })).runs[0].why.ram, 'phys 0x1000 is not RAM (no memory bank there)');

    // the model: the CPU still reads its cached poison, RAM and the device have block 0
    const l = await loadView(requestOf(a), { memoryReference: m.cpuVa });
    const [cpu, ram, dev] = l.columns;
    assert.deepStrictEqual(cpu.data.slice(0, 4), [0x5a, 0x5a, 0x5a, 0x5a]);
    assert.deepStrictEqual(ram.data.slice(0, 4), [0, 1, 2, 3]);
    assert.deepStrictEqual(dev.data, ram.data, 'the device sees RAM');
    const cmp = compareColumns(l.columns, 4096);
    assert.strictEqual(cmp.differs[0][0], 1, 'the stale CPU byte differs');
    assert.strictEqual(cmp.odd[0][0], 1, 'the CPU is the odd one out');
    assert.strictEqual(cmp.odd[1][0], 0);
    assert.strictEqual(cmp.differs[0][0x5a], 0, 'byte 0x5a of block 0 is 0x5a: the poison and the pattern agree there');
    assert.ok(l.lines.length > 0 && l.lines.every((x) => x.state === 'stale'), `the CPU's lines over the buffer are stale: ${[...new Set(l.lines.map((x) => x.state))]}`);
    assert.strictEqual(l.lines.reduce((n, x) => n + x.length, 0), 4096);

    // drawn: the DOM contract of the view
    const data = viewData(l, 'stopped');
    assert.strictEqual(data.title, `${m.cpuVa} (CPU) · phys ${phys} · dad iova ${m.dma}, 4096 bytes`);
    const doc = new JSDOM('<!DOCTYPE html><body></body>').window.document;
    doc.body.append(renderView(doc, data, { perRow: 16, editable: true }));
    assert.strictEqual(doc.querySelector('#title')!.textContent, data.title);
    const cell = (view: string, o: number) => doc.querySelector(`[data-view="${view}"] [data-offset="${o}"]`)!;
    assert.strictEqual(cell('cpu', 0).textContent, '5a');
    assert.strictEqual(cell('ram', 1).textContent, '01');
    for (const view of ['cpu', 'ram', 'device']) {
      assert.ok(cell(view, 1).classList.contains('differs'), `${view} byte 1 differs`);
      assert.ok(cell(view, 1).classList.contains('stale'), `${view} byte 1 is in a stale line`);
      assert.ok(!cell(view, 0x5a).classList.contains('differs'));
    }
    assert.ok(doc.querySelector('[data-view="cpu"] .row')!.classList.contains('stale'));
  });

  it('a byte written through one view changes what that view and the views behind it read', async () => {
    await stopAtTransferComplete(a, 'arm64-smmu-noncoherent');
    const m = ((await a.dc.customRequest('dmalab/mappings')).body as Row[])[0];
    const req = requestOf(a);
    const before = await loadView(req, { memoryReference: m.cpuVa, length: 64 });
    // the device writes byte 3 (past the cache): RAM changes, the CPU's stale line does not
    const t = writeTarget(before, 'device', 3);
    assert.ok(!('error' in t));
    await a.dc.send('writeMemory', { memoryReference: t.memoryReference, offset: t.offset, data: Buffer.of(0xee).toString('base64') });
    const after = await loadView(req, { memoryReference: m.cpuVa, length: 64 });
    assert.deepStrictEqual([after.columns[0].data[3], after.columns[1].data[3], after.columns[2].data[3]], [0x5a, 0xee, 0xee]);
    // the CPU writes byte 5 through its cache: only the CPU view changes
    const c = writeTarget(after, 'cpu', 5);
    assert.ok(!('error' in c));
    await a.dc.send('writeMemory', { memoryReference: c.memoryReference, offset: c.offset, data: Buffer.of(0x77).toString('base64') });
    const last = await loadView(req, { memoryReference: m.cpuVa, length: 64 });
    assert.deepStrictEqual([last.columns[0].data[5], last.columns[1].data[5]], [0x77, 5]);
    assert.strictEqual(last.lines.find((x) => x.offset === 0)?.state, 'stale-dirty');
  });

  it('arm32 swiotlb: the device view is the bounce slot the device wrote; the buffer and the dirty CPU lines still hold the old bytes', async () => {
    await stopAtTransferComplete(a, 'arm32-swiotlb');
    const m = ((await a.dc.customRequest('dmalab/mappings')).body as Row[])[0];
    assert.ok(m.bounce);
    const v = await views(a, m.cpuVa);
    assert.strictEqual(v.runs[0].deviceLandsAt, m.bounce);
    assert.strictEqual(v.device?.translation, 'dma-ranges');
    assert.strictEqual(v.mapping?.bounce, m.bounce);
    const l = await loadView(requestOf(a), { memoryReference: `iova:dad:${m.dma}` });
    assert.strictEqual(l.views.anchor, 'device');
    assert.strictEqual(l.views.cpuVa, m.cpuVa, 'from the device address back to the driver buffer, not the slot');
    const [cpu, ram, dev] = l.columns;
    assert.deepStrictEqual(dev.data.slice(0, 4), [0, 1, 2, 3], 'the device wrote block 0 into the slot');
    // the buffer's RAM was never written; the CPU still holds kmalloc's poison in dirty lines
    assert.ok(ram.data.every((b) => b === 0), 'the buffer is untouched until the unmap copies the slot');
    assert.ok(cpu.data.every((b) => b === 0x5a));
    assert.ok(l.lines.length === 64 && l.lines.every((x) => x.state === 'dirty'), 'dirty CPU lines over the whole buffer');
    const cmp = compareColumns(l.columns, l.views.length);
    assert.deepStrictEqual([0, 1, 2].map((i) => cmp.differs[i][1]), [1, 1, 1], 'three different bytes at offset 1');
    assert.deepStrictEqual([0, 1, 2].map((i) => cmp.odd[i][1]), [0, 0, 0], 'none is the odd one out');
    assert.deepStrictEqual([0, 1, 2].map((i) => cmp.odd[i][0]), [1, 0, 0], 'at offset 0 RAM and the slot agree (0): the CPU is the odd one');
    assert.match(viewData(l, 'stopped').columns[2].subtitle, /bounce slot/);
  });

  it('what a view cannot read says why, and a bad reference is refused', async () => {
    await stopAtTransferComplete(a, 'arm64-smmu-noncoherent');
    const m = ((await a.dc.customRequest('dmalab/mappings')).body as Row[])[0];
    // an IOVA next to the mapping: nothing there for the device, so no RAM or CPU either
    const next = `0x${(BigInt(m.dma) - 0x10000n).toString(16)}`;
    const l = await loadView(requestOf(a), { memoryReference: `iova:dad:${next}`, length: 32 });
    for (const c of l.columns) {
      assert.ok(c.data.every((b) => b === -1), c.view);
      assert.strictEqual(c.unreadable[0].length, 32);
    }
    assert.match(l.columns[2].unreadable[0].why, /not mapped for dad@\w+: an access would fault the IOMMU/);
    assert.match(titleOf(l.views), /no CPU address · no physical address · dad iova/);
    // RAM no device mapped: the device column explains
    const heap = await views(a, `phys:${(BigInt(m.cpuPhys[0].split('+')[0]) - 0x100000n).toString(16).replace(/^/, '0x')}`, { device: 'dad', length: 64 });
    assert.match(heap.runs[0].why.device!, /not mapped in dad@\w+'s IOMMU domain/);
    assert.ok(heap.runs[0].cpu && !heap.runs[0].why.cpu, 'the CPU reaches it through the linear map');
    await assert.rejects(a.dc.customRequest('dmalab/addressViews', { memoryReference: 'nonsense' }), /unknown memory reference/);
    await assert.rejects(a.dc.customRequest('dmalab/addressViews', { memoryReference: m.cpuVa, device: 'nosuch' }), /no device "nosuch"/);
  });
});

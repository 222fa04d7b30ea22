// Drawing the memory view (jsdom): the DOM contract end-to-end tests rely on (columns by view,
// cells by offset, `differs`, `stale`/`dirty`, `??` with the reason, `#title`), the comparison
// behind it, the loader's handling of bytes a view cannot read, and the page's CSP.
import * as assert from 'assert';
import { JSDOM } from 'jsdom';
import type { AddressViews } from '../../emulator/inspect/address-views';
import { compareColumns, lineStates, byteAddress, type ColumnData, type ViewData } from '../../src/memory-view/model';
import { fitPerRow, renderView, summaryText } from '../../src/memory-view/webview/render';
import { loadView, viewData } from '../../src/memory-view/load';
import { makeNonce, webviewHtml } from '../../src/webview-page';

function column(view: ColumnData['view'], data: number[], extra: Partial<ColumnData> = {}): ColumnData {
  return { view, title: view.toUpperCase(), subtitle: '', data, unreadable: [], spans: [{ offset: 0, length: data.length, address: view === 'cpu' ? '0xffff000000001000' : view === 'ram' ? 'phys:0x80001000' : 'iova:dad@1:0xf000' }], editable: true, ...extra };
}

/** 64 bytes: CPU stale over the first line (0x5a), the device cannot read from byte 48. */
function sample(): ViewData {
  const ram = Array.from({ length: 64 }, (_, i) => i);
  const cpu = ram.map((b, i) => (i < 32 ? 0x5a : b));
  const dev = ram.map((b, i) => (i >= 48 ? -1 : b));
  return {
    title: '0xffff000000001000 (CPU) · phys 0x80001000 · dad iova 0xf000, 64 bytes',
    anchor: 'cpu',
    length: 64,
    lineSize: 32,
    columns: [column('cpu', cpu), column('ram', ram), column('device', dev, { unreadable: [{ offset: 48, length: 16, why: 'IOVA 0xf030 is not mapped for dad@1: an access would fault the IOMMU' }] })],
    lines: [
      { offset: 0, length: 32, addr: '0x80001000', state: 'stale' },
      { offset: 32, length: 32, addr: '0x80001020', state: 'dirty' },
    ],
    device: 'dad@1',
    devices: [{ name: 'dad@1', short: 'dad', translation: 'smmu (stream 0x1)' }],
    status: 'stopped',
    readAt: 0,
  };
}

function draw(data: ViewData, perRow = 16) {
  const doc = new JSDOM('<!DOCTYPE html><body></body>').window.document;
  doc.body.append(renderView(doc, data, { perRow, editable: true }));
  const cell = (view: string, o: number) => {
    const c = doc.querySelector(`[data-view="${view}"] [data-offset="${o}"]`);
    assert.ok(c, `${view} cell ${o}`);
    return c as HTMLElement;
  };
  return { doc, cell };
}

describe('memory view: drawing', () => {
  it('a column per view, a cell per byte, the title', () => {
    const { doc, cell } = draw(sample());
    assert.deepStrictEqual([...doc.querySelectorAll('[data-view]')].map((e) => (e as HTMLElement).dataset.view), ['cpu', 'ram', 'device']);
    for (const v of ['cpu', 'ram', 'device']) assert.strictEqual(doc.querySelectorAll(`[data-view="${v}"] [data-offset]`).length, 64);
    assert.strictEqual(doc.querySelector('#title')!.textContent, '0xffff000000001000 (CPU) · phys 0x80001000 · dad iova 0xf000, 64 bytes');
    assert.strictEqual(cell('ram', 17).textContent, '11');
    assert.strictEqual(doc.querySelectorAll('[data-view="cpu"] .row').length, 4);
    assert.strictEqual(draw(sample(), 8).doc.querySelectorAll('[data-view="cpu"] .row').length, 8);
    assert.ok(doc.querySelector('[data-view="cpu"]')!.classList.contains('anchor'));
  });

  it('bytes that differ between views are marked in every view, the odd one out too', () => {
    const { cell } = draw(sample());
    for (const v of ['cpu', 'ram', 'device']) {
      assert.ok(cell(v, 1).classList.contains('differs'), `${v} byte 1`);
      assert.ok(!cell(v, 40).classList.contains('differs'), `${v} byte 40 agrees`);
    }
    assert.ok(cell('cpu', 1).classList.contains('odd'));
    assert.ok(!cell('ram', 1).classList.contains('odd'));
    assert.ok(!cell('device', 50).classList.contains('differs'), 'an unreadable byte takes no part');
  });

  it('stale and dirty cache lines mark their rows and cells', () => {
    const { doc, cell } = draw(sample());
    assert.ok(cell('cpu', 0).classList.contains('stale'));
    assert.ok(cell('ram', 31).classList.contains('stale'));
    assert.ok(!cell('ram', 31).classList.contains('dirty'));
    assert.ok(cell('device', 32).classList.contains('dirty'));
    const rows = [...doc.querySelectorAll('[data-view="cpu"] .row')];
    assert.deepStrictEqual(rows.map((r) => (r.classList.contains('stale') ? 'S' : r.classList.contains('dirty') ? 'D' : '-')), ['S', 'S', 'D', 'D']);
    const marks = [...doc.querySelectorAll('.gutter .row .mark')].map((m) => m.textContent);
    assert.deepStrictEqual(marks, ['S', 'S', 'D', 'D']);
    const both = sample();
    both.lines[0].state = 'stale-dirty';
    const c = draw(both).cell('cpu', 3);
    assert.ok(c.classList.contains('stale') && c.classList.contains('dirty'));
  });

  it('unreadable bytes show ?? with the reason as tooltip', () => {
    const { cell, doc } = draw(sample());
    const u = cell('device', 48);
    assert.strictEqual(u.textContent, '??');
    assert.ok(u.classList.contains('unreadable'));
    assert.match(u.title, /not mapped for dad@1: an access would fault the IOMMU/);
    assert.strictEqual(cell('device', 47).textContent, '2f');
    assert.strictEqual(doc.querySelectorAll('[data-view="device"] .unreadable').length, 16);
  });

  it('the summary counts what differs and the lines', () => {
    assert.strictEqual(summaryText(sample()), 'CPU ≠ RAM: 32 bytes · device ≠ RAM: 0 bytes · 2 cached lines: 1 stale, 1 dirty');
  });

  it('compare: only readable bytes take part; the odd one out needs the two others to agree', () => {
    const cols = [column('cpu', [1, 1, 1, -1, 5]), column('ram', [1, 2, 2, 2, 6]), column('device', [1, 2, 3, 3, -1])];
    const c = compareColumns(cols, 5);
    assert.deepStrictEqual(c.differs.map((d) => [...d]), [[0, 1, 1, 0, 1], [0, 1, 1, 1, 1], [0, 1, 1, 1, 0]]);
    assert.deepStrictEqual(c.odd.map((d) => [...d]), [[0, 1, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0]]);
    assert.strictEqual(c.count, 4);
    assert.deepStrictEqual(lineStates([{ offset: 2, length: 2, addr: '0x0', state: 'dirty' }], 5), ['', '', 'dirty', 'dirty', '']);
    assert.strictEqual(byteAddress({ spans: [{ offset: 0, length: 8, address: 'iova:dad:0xff8' }, { offset: 8, length: 8, address: 'iova:dad:0x3000' }] }, 9), 'iova:dad:0x3001');
    assert.strictEqual(fitPerRow(200), 16);
    assert.strictEqual(fitPerRow(100), 8);
  });
});

describe('memory view: loading', () => {
  const resolved: AddressViews = {
    reference: '0xffff000000001000',
    anchor: 'cpu',
    length: 8,
    cpuVa: '0xffff000000001000',
    phys: '0x80001000',
    device: { name: 'dad@1', short: 'dad', translation: 'smmu (stream 0x1)', coherent: false },
    iova: '0xf000',
    lineSize: 64,
    devices: [],
    runs: [
      { offset: 0, length: 4, cpu: '0xffff000000001000', ram: 'phys:0x80001000', device: 'iova:dad@1:0xf000', cached: true, why: {} },
      { offset: 4, length: 4, cpu: '0xffff000000001004', ram: 'phys:0x80001004', why: { device: 'phys 0x80001004 is not mapped in dad@1\'s IOMMU domain 1: the device cannot reach it' } },
    ],
  };

  it('reads each run in each view; short reads and refused views become ?? with their reason', async () => {
    const asked: string[] = [];
    const l = await loadView(async (command, args) => {
      asked.push(`${command} ${args.memoryReference ?? args.phys}`);
      if (command === 'dmalab/addressViews') return resolved;
      if (command === 'dmalab/cacheState') return { lineSize: 64, lines: [{ addr: '0x80001000', state: 'stale' }] };
      if (command === 'readMemory') {
        if (args.memoryReference === 'iova:dad@1:0xf000') return { address: '', data: Buffer.of(9, 9).toString('base64'), unreadableBytes: 2 };
        if (String(args.memoryReference).startsWith('phys:0x80001004')) throw new Error('the program is not running');
        return { address: '', data: Buffer.of(1, 2, 3, 4).toString('base64') };
      }
      throw new Error(command);
    }, { memoryReference: '0xffff000000001000' });
    assert.ok(!asked.some((x) => x.includes('0xf004')), 'no read where the device has no address');
    const [cpu, ram, dev] = l.columns;
    assert.deepStrictEqual(cpu.data, [1, 2, 3, 4, 1, 2, 3, 4]);
    assert.deepStrictEqual(ram.data, [1, 2, 3, 4, -1, -1, -1, -1]);
    assert.deepStrictEqual(ram.unreadable, [{ offset: 4, length: 4, why: 'the program is not running' }]);
    assert.deepStrictEqual(dev.data, [9, 9, -1, -1, -1, -1, -1, -1]);
    assert.deepStrictEqual(dev.unreadable.map((u) => [u.offset, u.length]), [[2, 2], [4, 4]]);
    assert.match(dev.unreadable[1].why, /cannot reach it/);
    assert.deepStrictEqual(l.lines, [{ offset: 0, length: 4, addr: '0x80001000', state: 'stale' }, { offset: 4, length: 4, addr: '0x80001000', state: 'stale' }]);
    const d = viewData(l, 'stopped');
    assert.strictEqual(d.title, '0xffff000000001000 (CPU) · phys 0x80001000 · dad iova 0xf000, 8 bytes');
    const doc = new JSDOM('<!DOCTYPE html><body></body>').window.document;
    doc.body.append(renderView(doc, d, { perRow: 8, editable: true }));
    assert.strictEqual(doc.querySelector('[data-view="device"] [data-offset="5"]')!.getAttribute('title'), resolved.runs[1].why.device);
    assert.strictEqual(doc.querySelector('[data-view="device"] [data-offset="1"]')!.textContent, '09');
  });
});

describe('memory view: the page', () => {
  it('has a strict CSP: its own script by nonce, its own stylesheet, nothing remote', () => {
    const nonce = makeNonce((n) => Uint8Array.from({ length: n }, (_, i) => i * 7));
    assert.match(nonce, /^[A-Za-z0-9]{32}$/);
    const html = webviewHtml({ cspSource: 'vscode-resource:', nonce, scriptUri: 'vscode-resource:/dist/memory-webview.js', styleUri: 'vscode-resource:/media/memory-view.css', title: '<phys:0x80000000>', body: '<h1 id="title">&lt;phys:0x80000000&gt;</h1>' });
    const doc = new JSDOM(html).window.document;
    const csp = doc.querySelector('meta[http-equiv="Content-Security-Policy"]')!.getAttribute('content')!;
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, new RegExp(`script-src 'nonce-${nonce}'`));
    assert.ok(!/unsafe-inline|unsafe-eval|https?:/.test(csp));
    const scripts = [...doc.querySelectorAll('script')];
    assert.strictEqual(scripts.length, 1);
    assert.strictEqual(scripts[0].getAttribute('nonce'), nonce);
    assert.ok(![...doc.querySelectorAll('[src],[href]')].some((e) => /^https?:/.test(e.getAttribute('src') ?? e.getAttribute('href') ?? '')));
    assert.strictEqual(doc.querySelector('#title')!.textContent, '<phys:0x80000000>');
    assert.ok(!doc.querySelector('[style]'), 'no inline styles (the CSP would refuse them)');
  });
});

// The webview's rendering, in jsdom, from real snapshots: the DOM contract the end-to-end tests
// rely on (data-section, data-iova, data-mapping-id, #stop), what clicks post to the host, and
// each section's content.
import * as assert from 'assert';
import * as path from 'path';
import { click, dom, example, snapshotAt } from './helpers';
import { lineOf } from '../helpers/dap';
import type { PanelSnapshot } from '../../emulator/inspect/panel-snapshot';
import { Panel, SECTIONS } from '../../src/panel/webview/panel';
import { MappingsTable, filterMappings, memoryArgs } from '../../src/panel/webview/mappings';
import { IommuSection, walkText, pteAddress } from '../../src/panel/webview/iommu';
import { renderFindings, relatedLabel } from '../../src/panel/webview/findings';
import { renderCoherency } from '../../src/panel/webview/coherency';
import { TimelineChart, fitView, renderTimeline, zoomView, LABEL_W } from '../../src/panel/webview/timeline';
import { layoutRegions, renderMemoryMap } from '../../src/panel/webview/memory-map';
import type { WebviewToHost } from '../../src/panel/protocol';

const dad = example('dad.ts');

describe('panel rendering', function () {
  let snap: PanelSnapshot;
  before(async () => {
    // at the third map: two transfers done, one mapping live, its transfer about to start
    snap = await snapshotAt(dad, 'arm64-smmu-noncoherent', (e) => e.kind === 'dma-map', { nth: 3 });
  });

  it('has every section, and #stop says what the program is doing', () => {
    const { doc, posted } = dom();
    const p = new Panel(doc, (m) => posted.push(m));
    doc.body.appendChild(p.root);
    assert.strictEqual(doc.querySelector('#stop')!.textContent, 'No DMA Lab debug session');
    p.update({ state: 'paused', text: 'Paused on dma_map_single → iova 0xfffff000, 4096 bytes, DMA_FROM_DEVICE' }, snap);
    assert.deepStrictEqual(
      [...doc.querySelectorAll('[data-section]')].map((e) => e.getAttribute('data-section')).sort(),
      ['coherency', 'findings', 'iommu', 'mappings', 'memory-map', 'timeline'],
    );
    assert.deepStrictEqual(SECTIONS.map((s) => s.id).sort(), ['coherency', 'findings', 'iommu', 'mappings', 'memory-map', 'timeline']);
    assert.strictEqual(doc.querySelector('#stop')!.textContent, 'Paused on dma_map_single → iova 0xfffff000, 4096 bytes, DMA_FROM_DEVICE');
    assert.ok(doc.querySelector('.statusbar')!.classList.contains('state-paused'));
    p.setStatus({ state: 'running', text: 'Running' });
    assert.strictEqual(doc.querySelector('#stop')!.textContent, 'Running');
    p.setStatus({ state: 'ended', text: 'Run ended' });
    assert.strictEqual(doc.querySelector('#stop')!.textContent, 'Run ended');
    assert.ok(doc.querySelector('[data-section="mappings"] [data-mapping-id]'), 'the last state stays after the run');
    // a new session: nothing of the old run is left
    p.update({ state: 'running', text: 'Running' }, null);
    assert.strictEqual(doc.querySelectorAll('[data-mapping-id], [data-iova], [data-section="timeline"] svg').length, 0);
    assert.match(doc.querySelector('[data-section="timeline"] .empty')!.textContent!, /Waiting for the first stop/);
  });

  it('a mapping row opens the memory view with the snapshot\'s strings and selects the mapping', () => {
    const { doc, posted } = dom();
    const p = new Panel(doc, (m) => posted.push(m));
    doc.body.appendChild(p.root);
    p.update({ state: 'paused', text: 'Paused' }, snap);
    const m = snap.mappings[0];
    const row = doc.querySelector(`[data-section="mappings"] [data-mapping-id="${m.id}"]`)!;
    assert.ok(row, 'a row per mapping');
    assert.match(row.textContent!, new RegExp(m.dma));
    click(row);
    const open = posted.find((x) => x.type === 'openMemory') as Extract<WebviewToHost, { type: 'openMemory' }>;
    assert.deepStrictEqual(open, { type: 'openMemory', cpu: m.cpuVa, phys: m.cpuPhys[0].split('+')[0], device: 'dad@10000000', dma: m.dma });
    for (const k of ['cpu', 'phys', 'device', 'dma'] as const) assert.strictEqual(typeof open[k], 'string');
    assert.strictEqual(p.selectedMapping, m.id);
    assert.ok(doc.querySelector(`[data-mapping-id="${m.id}"]`)!.classList.contains('selected'));
  });

  it('source links open the line and do not also open the memory view', () => {
    const { doc, posted } = dom();
    const p = new Panel(doc, (m) => posted.push(m));
    doc.body.appendChild(p.root);
    p.update({ state: 'paused', text: 'Paused' }, snap);
    const link = doc.querySelector('[data-section="mappings"] [data-mapping-id] a.loc')!;
    click(link);
    assert.deepStrictEqual(posted, [{ type: 'openSource', file: dad, line: lineOf(dad, 'const bus_addr = dma_map_single('), column: snap.mappings[0].createdAt!.column }]);
  });

  it('IOMMU entries carry data-iova, the walk, the owner and its line; a click on the owner selects it', () => {
    const { doc, ctx, posted, selected } = dom();
    const sec = new IommuSection(ctx);
    doc.body.appendChild(sec.element);
    sec.update(snap.iommu, new Map(snap.mappings.map((m) => [m.id, m])));
    const d = snap.iommu.find((x) => x.entries.length)!;
    const rows = [...doc.querySelectorAll('.iommu-row[data-iova]')];
    assert.deepStrictEqual(rows.map((r) => r.getAttribute('data-iova')), d.entries.map((e) => e.iova));
    const e = d.entries[0];
    assert.strictEqual(walkText(Number(e.iova), 1), '0.3.511.511');
    assert.match(rows[0].textContent!, /0\.3\.511\.511/);
    assert.match(rows[0].getAttribute('title')!, new RegExp(`${e.pte} at ${pteAddress(d, e)}`));
    assert.ok(Number(pteAddress(d, e)) >= Number(d.tables.find((t) => t.level === 1)!.phys));
    click(rows[0].querySelector('a.mapping-link')!);
    assert.deepStrictEqual(selected, [e.mapping]);
    click(rows[0].querySelector('a.loc')!);
    assert.deepStrictEqual(posted.map((x) => x.type), ['openSource']);
    assert.match(doc.querySelector('.idle-domains')!.textContent!, /domain 2 \(edu@10100000\)/);
  });

  it('faults are listed in red and the entry they hit is highlighted', async () => {
    const ro = example(path.join('bugs', 'device-write-to-device-read-only.ts'));
    const s = await snapshotAt(ro, 'arm64-smmu-noncoherent', (e) => e.kind === 'finding');
    const { doc, ctx } = dom();
    const sec = new IommuSection(ctx);
    doc.body.appendChild(sec.element);
    sec.update(s.iommu, new Map(s.mappings.map((m) => [m.id, m])));
    const f = s.iommu.find((x) => x.faults.length)!.faults[0];
    const fr = doc.querySelector(`.fault-row[data-iova="${f.iova}"]`)!;
    assert.ok(fr.classList.contains('fault'));
    assert.match(fr.textContent!, /permission fault on write/);
    assert.ok(doc.querySelector(`.iommu-row[data-iova="${f.iova}"]`)!.classList.contains('fault'), 'the read-only entry the write hit');
    assert.match(doc.querySelector('.fault-badge')!.textContent!, /1 fault, 1 on entries/);
  });

  it('findings: id, severity, message, the line and the related lines, each a link', async () => {
    const stale = example(path.join('bugs', 'cpu-read-stale.ts'));
    const s = await snapshotAt(stale, 'arm64-smmu-noncoherent', (e) => e.kind === 'finding');
    const { doc, ctx, posted } = dom();
    doc.body.appendChild(renderFindings(ctx, s.findings));
    const f = s.findings[0];
    const el = doc.querySelector('[data-finding="cpu-read-stale"]')!;
    assert.ok(el.classList.contains('sev-error'));
    assert.strictEqual(el.querySelector('.fid')!.textContent, 'cpu-read-stale');
    assert.match(el.querySelector('.msg')!.textContent!, /^CPU read stale data/);
    const links = [...el.querySelectorAll('a.loc')];
    assert.strictEqual(links.length, 1 + f.related.filter((r) => r.location).length);
    for (const a of links) click(a);
    assert.deepStrictEqual(
      posted.map((m) => (m.type === 'openSource' ? m.line : -1)),
      [f.location!.line, ...f.related.filter((r) => r.location).map((r) => r.location!.line)],
    );
    assert.strictEqual(relatedLabel('mapped here (DMA_FROM_DEVICE, 4096 bytes)'), 'mapped here');
    const empty = dom();
    assert.match(renderFindings(empty.ctx, []).textContent!, /No DMA-API findings/);
  });

  it('coherency: one cell per cache line, its state, the device-owned mark and the findings about the buffer', async () => {
    const stale = example(path.join('bugs', 'cpu-read-stale.ts'));
    const s = await snapshotAt(stale, 'arm64-smmu-noncoherent', (e) => e.kind === 'finding');
    const { doc, ctx, selected } = dom();
    doc.body.appendChild(renderCoherency(ctx, s.coherency, s.mappings));
    const cells = [...doc.querySelectorAll('.lines .cl')];
    assert.strictEqual(cells.length, s.coherency!.lines.length);
    assert.deepStrictEqual(cells.map((c) => c.getAttribute('data-state')), s.coherency!.lines.map((l) => l.state));
    assert.strictEqual(cells.filter((c) => c.classList.contains('st-stale')).length, s.coherency!.counts.stale);
    assert.strictEqual(doc.querySelector('.lines')!.classList.contains('device-owned'), s.coherency!.owner === 'device');
    assert.ok(doc.querySelector('.coh-findings [data-finding="cpu-read-stale"]'));
    const sel = doc.querySelector('select.chooser') as HTMLSelectElement;
    sel.value = String(s.mappings[0].id);
    sel.dispatchEvent(new doc.defaultView!.Event('change'));
    assert.deepStrictEqual(selected, [s.mappings[0].id]);
    const owned = dom();
    owned.doc.body.appendChild(renderCoherency(owned.ctx, snap.coherency, snap.mappings));
    assert.ok(owned.doc.querySelector('.lines.device-owned'), 'the live dad buffer belongs to the device');
  });

  it('timeline: a bar per transfer, ticks, the stop marked; zoom and fit', () => {
    const { doc, ctx, posted } = dom();
    const view = fitView(snap.timeline);
    const svg = renderTimeline(ctx, snap.timeline, view, 1000);
    doc.body.appendChild(svg);
    const bars = svg.querySelectorAll('rect.bar');
    assert.strictEqual(bars.length, snap.timeline.bars.length);
    assert.ok(svg.querySelectorAll('line.tick-map').length >= 1);
    assert.ok(svg.querySelectorAll('line.tick-interrupt').length >= 1);
    const now = svg.querySelector('line.now')!;
    const plotW = 1000 - LABEL_W - 8;
    assert.ok(Math.abs(Number(now.getAttribute('x1')) - (LABEL_W + ((snap.timeline.now - view.from) / (view.to - view.from)) * plotW)) < 0.01);
    click(bars[0]);
    assert.deepStrictEqual(posted[0], { type: 'openSource', file: dad, line: lineOf(dad, 'writeb(DAD_CMD_ENABLEDMA'), column: snap.timeline.bars[0].at!.column });
    // zoom in around the first bar: the second is out of view
    const b0 = snap.timeline.bars[0];
    const zoomed = { from: b0.start - 10, to: b0.end! + 10 };
    const z = renderTimeline(ctx, snap.timeline, zoomed, 1000);
    assert.strictEqual(z.querySelectorAll('rect.bar').length, 1);
    const half = zoomView(view, 0.5, 0);
    assert.strictEqual(half.from, view.from);
    assert.strictEqual(half.to - half.from, (view.to - view.from) / 2);
    const chart = new TimelineChart(ctx);
    doc.body.appendChild(chart.element);
    chart.update(snap.timeline);
    const fitted = chart.currentView!;
    chart.zoom(0.25);
    assert.ok(chart.currentView!.to - chart.currentView!.from < fitted.to - fitted.from);
    chart.update(snap.timeline);
    assert.notDeepStrictEqual(chart.currentView, fitted, 'a zoomed view survives a new snapshot');
    chart.fit();
    assert.deepStrictEqual(chart.currentView, fitted);
  });

  it('memory map: RAM, MMIO, the swiotlb pool nested in RAM, the live buffer and the selection', () => {
    const { doc, ctx } = dom();
    const el = renderMemoryMap(ctx, snap.memoryMap.regions, snap.mappings, snap.iommu, snap.mappings[0].id);
    doc.body.appendChild(el);
    const kinds = [...el.querySelectorAll('g.region')].map((g) => g.getAttribute('data-kind'));
    assert.ok(kinds.includes('ram') && kinds.includes('mmio') && kinds.includes('swiotlb'));
    assert.ok(el.querySelector('g.region-swiotlb.nested'), 'the pool sits inside a RAM bank');
    assert.strictEqual(el.querySelectorAll('g.mark-buffer').length, 1, 'one bank holds the buffer');
    assert.ok(el.querySelector('g.mark-selected polygon'));
    assert.ok(el.querySelectorAll('g.mark-pgtable').length >= 1);
    const { blocks } = layoutRegions(snap.memoryMap.regions);
    for (let i = 1; i < blocks.length; i++) assert.ok(blocks[i].y >= blocks[i - 1].y + blocks[i - 1].h, 'blocks do not overlap');
  });

  it('the filter narrows the mappings; memoryArgs strips the run length', () => {
    const rows = [
      { id: 1, device: 'dad@1', type: 'single', dir: 'DMA_TO_DEVICE', dma: '0x1000', size: 64, cpuPhys: ['0x80000000+64'], owner: 'cpu' as const },
      { id: 2, device: 'edu@2', type: 'coherent', dir: 'coherent', dma: '0x2000', size: 64, cpuPhys: ['0x80001000+64'], owner: 'device' as const, bounce: '0x9000' },
    ];
    assert.deepStrictEqual(filterMappings(rows, 'edu').map((m) => m.id), [2]);
    assert.deepStrictEqual(filterMappings(rows, 'coherent device').map((m) => m.id), [2]);
    assert.deepStrictEqual(filterMappings(rows, '0x80000000').map((m) => m.id), [1]);
    assert.deepStrictEqual(filterMappings(rows, '').length, 2);
    assert.deepStrictEqual(memoryArgs(rows[1]), { cpu: undefined, phys: '0x80001000', device: 'edu@2', dma: '0x2000' });
    const { doc, ctx } = dom();
    const t = new MappingsTable(ctx);
    doc.body.appendChild(t.element);
    t.update(rows, undefined);
    t.filter.value = 'nothing-matches';
    t.filter.dispatchEvent(new doc.defaultView!.Event('input'));
    assert.strictEqual(doc.querySelectorAll('[data-mapping-id]').length, 0);
    assert.match(doc.querySelector('.mappings-table .empty')!.textContent!, /No mapping matches/);
  });
});

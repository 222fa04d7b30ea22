/// <reference lib="dom" />
/**
 * The whole panel: a status bar (#stop: what the program is doing), then the sections (IOMMU
 * tables, live mappings, coherency, findings, timeline beside the memory map). `update` draws a
 * snapshot; the parts with state (scroll positions, filter, zoom, the chosen buffer) keep it.
 */
import type { CoherencyView, PanelSnapshot, PanelStatus, WebviewToHost } from '../protocol';
import type { MappingRow } from '../../../emulator/inspect/snapshots';
import { type Ctx, empty, sectionShell } from './common';
import { h } from './dom';
import { baseName, formatTime, plural } from './format';
import { IommuSection } from './iommu';
import { MappingsTable, mappingsSummary } from './mappings';
import { renderCoherency } from './coherency';
import { findingsSummary, renderFindings } from './findings';
import { TimelineChart } from './timeline';
import { renderMemoryMap } from './memory-map';

/** What the webview keeps across reloads (vscode.setState). */
export interface PersistedState {
  selected?: number;
  filter?: string;
}

export const SECTIONS: { id: string; title: string; short: string }[] = [
  { id: 'mappings', title: 'Live mappings', short: 'Mappings' },
  { id: 'iommu', title: 'IOMMU page tables', short: 'IOMMU' },
  { id: 'coherency', title: 'Coherency', short: 'Coherency' },
  { id: 'findings', title: 'Findings', short: 'Findings' },
  { id: 'timeline', title: 'Timeline', short: 'Timeline' },
  { id: 'memory-map', title: 'Physical memory map', short: 'Memory map' },
];

export class Panel {
  readonly root: HTMLElement;
  readonly ctx: Ctx;
  readonly mappingsTable: MappingsTable;
  readonly iommu: IommuSection;
  readonly timeline: TimelineChart;
  private snapshot: PanelSnapshot | null = null;
  private status: PanelStatus = { state: 'idle', text: 'No DMA Lab debug session' };
  private selected?: number;
  private readonly stop: HTMLElement;
  private readonly detail: HTMLElement;
  private readonly error: HTMLElement;
  private readonly shells = new Map<string, ReturnType<typeof sectionShell>>();
  private byId = new Map<number, MappingRow>();

  constructor(
    doc: Document,
    post: (m: WebviewToHost) => void,
    private readonly persist: (s: PersistedState) => void = () => undefined,
    restored: PersistedState = {},
  ) {
    this.selected = restored.selected;
    this.ctx = { doc, post, select: (id) => this.select(id) };
    this.stop = h(doc, 'span', { id: 'stop', role: 'status', 'aria-live': 'polite' }, this.status.text);
    this.detail = h(doc, 'span', { class: 'detail muted' });
    this.error = h(doc, 'span', { class: 'error-text' });
    const nav = h(doc, 'nav', { class: 'jump' }, ...SECTIONS.map((sec) => h(doc, 'a', { href: `#sec-${sec.id}` }, sec.short)));
    const bar = h(doc, 'div', { class: 'statusbar state-idle' }, h(doc, 'span', { class: 'dot' }), this.stop, this.detail, this.error, nav);
    for (const sec of SECTIONS) this.shells.set(sec.id, sectionShell(doc, sec.id, sec.title));
    this.mappingsTable = new MappingsTable(this.ctx);
    if (restored.filter) this.mappingsTable.filter.value = restored.filter;
    this.mappingsTable.filter.addEventListener('input', () => this.save());
    this.shell('mappings').body.appendChild(this.mappingsTable.element);
    this.iommu = new IommuSection(this.ctx);
    this.shell('iommu').body.appendChild(this.iommu.element);
    this.timeline = new TimelineChart(this.ctx);
    this.shell('timeline').body.appendChild(this.timeline.element);
    this.shell('timeline').tools.appendChild(this.timeline.tools);
    const sec = (id: string) => this.shell(id).section;
    this.root = h(
      doc,
      'div',
      { class: 'panel' },
      bar,
      h(doc, 'div', { class: 'grid' }, sec('mappings'), sec('iommu'), sec('coherency'), sec('findings'), h(doc, 'div', { class: 'pair' }, sec('timeline'), sec('memory-map'))),
    );
    this.showEmpty();
  }

  private shell(id: string): ReturnType<typeof sectionShell> {
    return this.shells.get(id)!;
  }

  get currentSnapshot(): PanelSnapshot | null {
    return this.snapshot;
  }

  get selectedMapping(): number | undefined {
    return this.selected;
  }

  setStatus(status: PanelStatus): void {
    this.status = status;
    this.stop.textContent = status.text;
    this.stop.title = status.text;
    const bar = this.stop.parentElement!;
    bar.className = `statusbar state-${status.state}`;
    const parts: string[] = [];
    if (status.program) parts.push(baseName(status.program));
    if (this.snapshot) parts.push(`${this.snapshot.platform}`, `t = ${formatTime(this.snapshot.now_ns)}`);
    this.detail.textContent = parts.join(' · ');
    this.detail.title = status.program ?? '';
    this.error.textContent = status.error ? `refresh failed: ${status.error}` : '';
  }

  /** Draw a snapshot (null: nothing to show yet). */
  update(status: PanelStatus, snap: PanelSnapshot | null): void {
    this.snapshot = snap;
    this.setStatus(status);
    if (!snap) return this.showEmpty();
    this.byId = new Map(snap.mappings.map((m) => [m.id, m]));
    if (snap.coherency) this.selected = snap.coherency.mapping;
    // mappings
    this.shell('mappings').meta.textContent = mappingsSummary(snap.mappings);
    this.mappingsTable.update(snap.mappings, this.selected);
    // IOMMU
    const entries = snap.iommu.reduce((n, d) => n + d.entries.length, 0);
    const faults = snap.iommu.reduce((n, d) => n + d.faults.length, 0);
    this.shell('iommu').meta.textContent = snap.iommu.length ? `${plural(snap.iommu.length, 'domain')}, ${plural(entries, 'entry', 'entries')}${faults ? `, ${plural(faults, 'fault')}` : ''}` : 'no IOMMU';
    this.shell('iommu').section.classList.toggle('has-faults', faults > 0);
    this.iommu.update(snap.iommu, this.byId);
    // coherency
    this.drawCoherency(snap.coherency);
    // findings
    this.shell('findings').meta.textContent = findingsSummary(snap.findings);
    this.shell('findings').section.classList.toggle('has-errors', snap.findings.some((f) => f.severity === 'error'));
    this.shell('findings').body.replaceChildren(renderFindings(this.ctx, snap.findings));
    // timeline and memory map
    this.timeline.update(snap.timeline);
    const mm = snap.memoryMap;
    this.shell('memory-map').meta.textContent = `${mm.platform} (${mm.arch})`;
    this.shell('memory-map').body.replaceChildren(renderMemoryMap(this.ctx, mm.regions, snap.mappings, snap.iommu, this.selected));
  }

  /** The coherency of the buffer the user chose arrived. */
  setCoherency(view: CoherencyView | null): void {
    if (this.snapshot) this.snapshot = { ...this.snapshot, coherency: view };
    if (view) this.selected = view.mapping;
    this.drawCoherency(view);
  }

  private drawCoherency(view: CoherencyView | null): void {
    const sh = this.shell('coherency');
    sh.meta.textContent = view ? `mapping #${view.mapping}${view.findings.length ? `, ${plural(view.findings.length, 'finding')}` : ''}` : '';
    sh.body.replaceChildren(renderCoherency(this.ctx, view, this.snapshot?.mappings ?? []));
  }

  /** The user picked a mapping: highlight it, ask the host for its cache lines, redraw the map. */
  select(id: number): void {
    this.selected = id;
    this.save();
    this.mappingsTable.setSelected(id);
    this.mappingsTable.reveal(id);
    const snap = this.snapshot;
    if (snap) this.shell('memory-map').body.replaceChildren(renderMemoryMap(this.ctx, snap.memoryMap.regions, snap.mappings, snap.iommu, id));
    if (this.snapshot?.coherency?.mapping !== id) this.ctx.post({ type: 'selectMapping', id });
  }

  private save(): void {
    this.persist({ selected: this.selected, filter: this.mappingsTable.filter.value || undefined });
  }

  private showEmpty(): void {
    const doc = this.ctx.doc;
    const msg = this.status.state === 'idle' ? 'Start debugging a driver script (Run ▸ Start Debugging on a .ts driver) to see its DMA state here.' : 'Waiting for the first stop…';
    for (const [id, sh] of this.shells) {
      sh.meta.textContent = '';
      if (id === 'mappings') this.mappingsTable.update([], undefined);
      else if (id === 'iommu') this.iommu.element.replaceChildren(empty(doc, msg));
      else if (id === 'timeline') this.timeline.clear(msg);
      else sh.body.replaceChildren(empty(doc, msg));
    }
  }
}

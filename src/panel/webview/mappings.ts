/// <reference lib="dom" />
/**
 * Live mappings: one row per mapping the DMA-API checker tracks, in creation order, virtualized.
 * A row selects the mapping (the coherency section follows) and opens the memory view of it.
 */
import type { MappingRow } from '../../../emulator/inspect/snapshots';
import { type Ctx, cell, sourceLink } from './common';
import { h } from './dom';
import { formatSize, locationText, num, physOf, plural, shortDir } from './format';
import { VirtualList } from './virtual-list';

export const MAPPING_ROW_HEIGHT = 20;

export const MAPPING_HEADERS = ['#', 'device', 'CPU address', 'physical', 'bus / IOVA', 'size', 'direction', 'kind', 'owner', 'bounce', 'created at'];

/** What the memory view is opened with for a mapping (strings as the snapshot writes them). */
export function memoryArgs(m: MappingRow): { cpu?: string; phys?: string; device: string; dma: string } {
  return { cpu: m.cpuVa, phys: m.cpuPhys[0] !== undefined ? physOf(m.cpuPhys[0]) : undefined, device: m.device, dma: m.dma };
}

export function mappingKind(m: MappingRow): string {
  return m.type === 'coherent' ? 'coherent' : `streaming ${m.type === 'scatter-gather' ? 'sg' : m.type}`;
}

/** One row of the table. */
export function mappingRow(ctx: Ctx, m: MappingRow, selected: boolean): HTMLElement {
  const doc = ctx.doc;
  const phys = m.cpuPhys.length ? physOf(m.cpuPhys[0]) : '—';
  const row = h(
    doc,
    'div',
    {
      class: `row mapping-row${selected ? ' selected' : ''}${m.owner === 'device' ? ' dev-owned' : ''}`,
      role: 'row',
      'data-mapping-id': m.id,
      title: `mapping #${m.id}: click to open it in the memory view and show its cache lines`,
      onclick: () => {
        ctx.select(m.id);
        ctx.post({ type: 'openMemory', ...memoryArgs(m) });
      },
    },
    cell(doc, 'num', `#${m.id}`),
    cell(doc, 'dev', m.device),
    cell(doc, 'addr', m.cpuVa ?? '—'),
    cell(doc, 'addr', phys, m.cpuPhys.length > 1 ? h(doc, 'span', { class: 'muted', title: m.cpuPhys.join('\n') }, ` +${m.cpuPhys.length - 1}`) : null),
    cell(doc, 'addr strong', m.dma),
    cell(doc, 'size', formatSize(m.size)),
    cell(doc, `dir dir-${m.dir.toLowerCase()}`, shortDir(m.dir)),
    cell(doc, 'kind', mappingKind(m)),
    cell(doc, 'owner', h(doc, 'span', { class: `badge owner-${m.owner}` }, m.owner === 'cpu' ? 'CPU' : 'device')),
    cell(doc, 'addr', m.bounce ?? ''),
    cell(doc, 'at', sourceLink(ctx, m.createdAt)),
  );
  return row;
}

/** What a filter matches a row against (kept per row object: a snapshot's rows are written once however much the user types). */
const searchText = new WeakMap<MappingRow, string>();

function textOf(m: MappingRow): string {
  let t = searchText.get(m);
  if (t === undefined) {
    t = `#${m.id} ${m.device} ${m.cpuVa ?? ''} ${m.cpuPhys.join(' ')} ${m.dma} ${m.dir} ${mappingKind(m)} ${m.owner === 'cpu' ? 'cpu' : 'device'} ${m.bounce ?? ''} ${m.createdAt ? locationText(m.createdAt) : ''}`.toLowerCase();
    searchText.set(m, t);
  }
  return t;
}

/** Rows whose text holds every word of the query (device, addresses, direction, kind, owner, line). */
export function filterMappings(rows: readonly MappingRow[], query: string): readonly MappingRow[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return rows;
  return rows.filter((m) => {
    const text = textOf(m);
    return words.every((w) => text.includes(w));
  });
}

export function mappingsSummary(rows: readonly MappingRow[]): string {
  let dev = 0;
  let bounced = 0;
  let bytes = 0;
  for (const m of rows) {
    if (m.owner === 'device') dev++;
    if (m.bounce) bounced++;
    bytes += m.size;
  }
  return `${plural(rows.length, 'live mapping')}, ${formatSize(bytes)}; ${num(dev)} owned by a device${bounced ? `, ${num(bounced)} bounced` : ''}`;
}

/** The table: a header, a filter and the virtualized rows; keeps its scroll position across snapshots. */
export class MappingsTable {
  readonly element: HTMLElement;
  readonly list: VirtualList<MappingRow>;
  readonly filter: HTMLInputElement;
  private rows: readonly MappingRow[] = [];
  private selected?: number;
  private readonly count: HTMLElement;
  private readonly none: HTMLElement;

  constructor(private readonly ctx: Ctx) {
    const doc = ctx.doc;
    this.list = new VirtualList<MappingRow>({ doc, rowHeight: MAPPING_ROW_HEIGHT, maxVisibleRows: 14, className: 'grid-mappings', renderRow: (m) => mappingRow(ctx, m, m.id === this.selected) });
    this.filter = h(doc, 'input', { type: 'search', class: 'filter', placeholder: 'Filter: device, address, direction, owner, line…', 'aria-label': 'Filter mappings' });
    this.filter.addEventListener('input', () => this.apply());
    this.count = h(doc, 'span', { class: 'muted filter-count' });
    this.none = h(doc, 'div', { class: 'empty' }, 'No live mappings.');
    const head = h(doc, 'div', { class: 'row head grid-mappings', role: 'row' }, ...MAPPING_HEADERS.map((t) => h(doc, 'span', { class: 'c' }, t)));
    this.element = h(doc, 'div', { class: 'table mappings-table', role: 'table' }, h(doc, 'div', { class: 'table-tools' }, this.filter, this.count), h(doc, 'div', { class: 'hscroll' }, head, this.list.element), this.none);
  }

  update(rows: readonly MappingRow[], selected: number | undefined): void {
    this.rows = rows;
    this.selected = selected;
    this.apply();
  }

  setSelected(id: number | undefined): void {
    this.selected = id;
    this.list.render(true);
  }

  /** Scroll the table to a mapping (after a click on its IOMMU entry). */
  reveal(id: number): void {
    const shown = filterMappings(this.rows, this.filter.value);
    const i = shown.findIndex((m) => m.id === id);
    if (i >= 0) this.list.scrollToIndex(i);
  }

  private apply(): void {
    const shown = filterMappings(this.rows, this.filter.value);
    this.count.textContent = shown.length === this.rows.length ? '' : `${num(shown.length)} of ${num(this.rows.length)} shown`;
    this.list.setItems(shown);
    this.none.textContent = this.rows.length ? 'No mapping matches the filter.' : 'No live mappings.';
    this.none.hidden = shown.length > 0;
    this.list.element.hidden = shown.length === 0;
  }
}

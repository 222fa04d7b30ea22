/// <reference lib="dom" />
/**
 * IOMMU page tables, per domain: the walk's levels (table pages per level), every valid entry
 * (IOVA → physical, size, permissions, the indices of the walk, the raw entry), the mapping that
 * owns it and the line that created that mapping; the domain's faults on top, in red, and the
 * entries they hit highlighted.
 */
import type { IommuEntryRow, IommuFaultRow, IommuTableRow, MappingRow } from '../../../emulator/inspect/snapshots';
import { type Ctx, cell, empty, sourceLink } from './common';
import { h } from './dom';
import { formatSize, formatTime, plural } from './format';
import { VirtualList } from './virtual-list';

export const IOMMU_ROW_HEIGHT = 20;
export const IOMMU_HEADERS = ['IOVA', 'physical', 'size', 'perm', 'walk L4.L3.L2.L1', 'raw entry', 'mapping', 'created at'];

/** Entry indices of `iova` at levels 4..`level` (the walk the IOMMU does). */
export function walkIndices(iova: number, level: number): number[] {
  const out: number[] = [];
  for (let l = 4; l >= level; l--) out.push(Math.floor(iova / 2 ** (12 + 9 * (l - 1))) % 512);
  return out;
}

/** "0.3.511.511": the index at each level, top first (a block stops at level 2). */
export function walkText(iova: number, level: number): string {
  return walkIndices(iova, level).join('.');
}

/** "L4[0] L3[3] L2[511] L1[511]". */
export function walkLong(iova: number, level: number): string {
  return walkIndices(iova, level)
    .map((i, n) => `L${4 - n}[${i}]`)
    .join(' ');
}

/** Where the entry sits: the table of its level that covers it, + 8 × index. */
export function pteAddress(d: IommuTableRow, e: IommuEntryRow): string | undefined {
  const iova = Number(e.iova);
  const span = 2 ** (12 + 9 * e.level);
  const base = iova - (iova % span);
  const t = d.tables.find((x) => x.level === e.level && Number(x.iova) === base);
  if (!t) return undefined;
  return `0x${(Number(t.phys) + (Math.floor(iova / e.size) % 512) * 8).toString(16)}`;
}

export function iommuEntryRow(ctx: Ctx, d: IommuTableRow, e: IommuEntryRow, owner: MappingRow | undefined): HTMLElement {
  const doc = ctx.doc;
  const iova = Number(e.iova);
  const at = pteAddress(d, e);
  return h(
    doc,
    'div',
    {
      class: `row iommu-row${e.fault ? ' fault' : ''}${e.mapping === undefined ? ' orphan' : ''}`,
      role: 'row',
      'data-iova': e.iova,
      title: `${e.level === 1 ? '4 KiB page' : '2 MiB block'} entry ${e.pte}${at ? ` at ${at}` : ''}, walk ${walkLong(iova, e.level)}${e.fault ? '\nan IOMMU fault hit this entry' : ''}${e.mapping === undefined ? '\nno live mapping owns this entry' : ''}`,
    },
    cell(doc, 'addr strong', e.iova),
    cell(doc, 'addr', `→ ${e.phys}`),
    cell(doc, 'size', e.level === 1 ? formatSize(e.size) : `${formatSize(e.size)} block`),
    cell(doc, 'perm', h(doc, 'span', { class: e.read ? 'on' : 'off' }, 'R'), h(doc, 'span', { class: e.write ? 'on' : 'off' }, 'W')),
    h(doc, 'span', { class: 'c walk', title: walkLong(iova, e.level) }, walkText(iova, e.level)),
    cell(doc, 'addr pte', e.pte),
    cell(
      doc,
      'num',
      e.mapping === undefined
        ? h(doc, 'span', { class: 'muted' }, 'none')
        : h(
            doc,
            'a',
            {
              href: '#',
              class: 'mapping-link',
              title: 'show this mapping',
              onclick: (ev: Event) => {
                ev.preventDefault();
                ev.stopPropagation();
                ctx.select(e.mapping!);
              },
            },
            `#${e.mapping}`,
          ),
    ),
    cell(doc, 'at', sourceLink(ctx, e.createdAt ?? owner?.createdAt)),
  );
}

export function faultRow(ctx: Ctx, f: IommuFaultRow): HTMLElement {
  const doc = ctx.doc;
  return h(
    doc,
    'div',
    { class: 'row fault-row fault', role: 'row', 'data-iova': f.iova, 'data-fault': f.reason, title: f.text },
    cell(doc, 'addr strong', f.iova),
    cell(doc, 'fault-what', `${f.reason} fault on ${f.write ? 'write' : 'read'}`),
    cell(doc, 'time', formatTime(f.t)),
    cell(doc, 'fault-text', f.text),
    cell(doc, 'at', sourceLink(ctx, f.at)),
  );
}

/** "L4 1 · L3 1 · L2 1 · L1 3 tables". */
export function levelsText(d: IommuTableRow): string {
  const per = new Map<number, number>();
  for (const t of d.tables) per.set(t.level, (per.get(t.level) ?? 0) + 1);
  const parts: string[] = [];
  for (let l = d.levels; l >= 1; l--) if (per.get(l)) parts.push(`L${l}×${per.get(l)}`);
  return `${d.levels}-level walk, table pages ${parts.join(' ')}`;
}

/** The section's body: active domains with their tables, then one line for the idle ones. Keeps the lists across snapshots. */
export class IommuSection {
  readonly element: HTMLElement;
  private lists = new Map<string, VirtualList<IommuEntryRow>>();
  /** The domain each list draws now, and the mappings its rows name. */
  private domains = new Map<string, IommuTableRow>();
  private mappings: ReadonlyMap<number, MappingRow> = new Map();

  constructor(private readonly ctx: Ctx) {
    this.element = ctx.doc.createElement('div');
    this.element.className = 'iommu';
  }

  update(domains: readonly IommuTableRow[], mappings: ReadonlyMap<number, MappingRow>): void {
    const doc = this.ctx.doc;
    this.mappings = mappings;
    // detached viewports forget their scroll position: keep it across the redraw
    const scroll = new Map([...this.lists].map(([k, l]) => [k, l.element.scrollTop]));
    this.element.replaceChildren();
    if (!domains.length) {
      this.element.appendChild(empty(doc, 'No IOMMU on this platform: devices reach memory directly (dma-direct) or through swiotlb.'));
      return;
    }
    const active = domains.filter((d) => d.entries.length || d.faults.length);
    const idle = domains.filter((d) => !d.entries.length && !d.faults.length);
    const keep = new Set<string>();
    for (const d of active) {
      const key = `${d.iommu}/${d.domain}`;
      keep.add(key);
      let list = this.lists.get(key);
      if (!list) {
        list = new VirtualList<IommuEntryRow>({ doc, rowHeight: IOMMU_ROW_HEIGHT, maxVisibleRows: 10, className: 'grid-iommu', renderRow: (e) => iommuEntryRow(this.ctx, this.domains.get(key)!, e, this.mappings.get(e.mapping ?? -1)) });
        this.lists.set(key, list);
      }
      this.domains.set(key, d);
      const faulted = d.entries.filter((e) => e.fault).length;
      const block = h(
        doc,
        'div',
        { class: 'domain', 'data-domain': d.domain, 'data-device': d.device },
        h(
          doc,
          'div',
          { class: 'domain-head' },
          h(doc, 'span', { class: 'domain-name' }, `domain ${d.domain}`),
          h(doc, 'span', { class: 'dev' }, d.device),
          h(doc, 'span', { class: 'muted' }, `${d.iommu} · ${d.format} · root ${d.root} · ${levelsText(d)}`),
          h(doc, 'span', { class: 'muted' }, `${plural(d.entries.length, 'entry', 'entries')}${d.truncated ? '+ (truncated)' : ''}, ${formatSize(d.mappedBytes)} mapped`),
          d.faults.length ? h(doc, 'span', { class: 'badge fault-badge' }, `${plural(d.faults.length, 'fault')}${faulted ? `, ${faulted} on entries` : ''}`) : null,
        ),
        d.faults.length ? h(doc, 'div', { class: 'faults grid-faults' }, ...d.faults.slice(-20).map((f) => faultRow(this.ctx, f))) : null,
        d.entries.length ? h(doc, 'div', { class: 'hscroll' }, h(doc, 'div', { class: 'row head grid-iommu', role: 'row' }, ...IOMMU_HEADERS.map((t) => h(doc, 'span', { class: 'c' }, t))), list.element) : empty(doc, 'No valid entries: every access from this device faults.'),
      );
      this.element.appendChild(block);
      list.setItems(d.entries);
      if (scroll.get(key)) {
        list.element.scrollTop = scroll.get(key)!;
        list.render();
      }
    }
    for (const k of [...this.lists.keys()]) {
      if (keep.has(k)) continue;
      this.lists.delete(k);
      this.domains.delete(k);
    }
    if (idle.length) this.element.appendChild(h(doc, 'div', { class: 'idle-domains muted' }, `Empty: ${idle.map((d) => `domain ${d.domain} (${d.device})`).join(', ')}`));
  }
}

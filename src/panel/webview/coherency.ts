/// <reference lib="dom" />
/**
 * Coherency of one buffer: a cell per cache line of the chosen mapping's CPU buffer, coloured by
 * what the CPU cache holds for it (not cached: RAM is the truth; clean; dirty: newer than RAM;
 * stale: RAM is newer, the device wrote it behind the cache), outlined while the device owns the
 * buffer, hatched where the line also holds bytes outside the buffer; then the findings about it.
 */
import type { MappingRow } from '../../../emulator/inspect/snapshots';
import type { CoherencyView, LineStateName } from '../../../emulator/inspect/panel-snapshot';
import { type Ctx, empty, sourceLink } from './common';
import { h } from './dom';
import { formatSize, num, plural, shortDir } from './format';
import { findingRow } from './findings';

export const LINE_STATES: { state: LineStateName; label: string; help: string }[] = [
  { state: 'invalid', label: 'not cached', help: 'the cache holds nothing for this line: the CPU reads RAM' },
  { state: 'clean', label: 'clean', help: 'cached, same bytes as RAM' },
  { state: 'dirty', label: 'dirty', help: 'cached and newer than RAM: a device reading RAM gets the old bytes until it is cleaned' },
  { state: 'stale', label: 'stale', help: 'a device wrote RAM behind the cache: the CPU reads old bytes until the line is invalidated' },
  { state: 'stale-dirty', label: 'stale + dirty', help: 'the device wrote RAM and the CPU wrote the cached line: one of the two writes will be lost' },
];

const LABEL = Object.fromEntries(LINE_STATES.map((s) => [s.state, s.label])) as Record<LineStateName, string>;

/** The chooser: the selected mapping and the 30 most recent (a list of 10,000 is no help in a drop-down; rows of the table choose too). */
export function chooser(ctx: Ctx, mappings: readonly MappingRow[], current: number | undefined): HTMLSelectElement {
  const doc = ctx.doc;
  const recent = mappings.slice(-30).reverse();
  if (current !== undefined && !recent.some((m) => m.id === current)) {
    const m = mappings.find((x) => x.id === current);
    if (m) recent.unshift(m);
  }
  const sel = h(doc, 'select', { class: 'chooser', 'aria-label': 'Buffer' }, ...recent.map((m) => h(doc, 'option', { value: m.id, selected: m.id === current }, `#${m.id} ${m.device} ${m.dma} ${formatSize(m.size)} ${shortDir(m.dir)}`)));
  sel.addEventListener('change', () => ctx.select(Number(sel.value)));
  return sel;
}

export function renderCoherency(ctx: Ctx, view: CoherencyView | null, mappings: readonly MappingRow[]): HTMLElement {
  const doc = ctx.doc;
  if (!view) return empty(doc, 'No live mapping: nothing is shared with a device now.');
  const cells = h(doc, 'div', { class: `lines${view.owner === 'device' ? ' device-owned' : ''}`, role: 'grid', 'aria-label': 'cache lines' });
  const frag = doc.createDocumentFragment();
  for (const l of view.lines) {
    frag.appendChild(
      h(doc, 'span', {
        class: `cl st-${l.state}${l.shared ? ' shared' : ''}`,
        'data-line': l.addr,
        'data-state': l.state,
        title: `${l.addr}: ${LABEL[l.state]}${view.owner === 'device' ? ', owned by the device' : ''}${l.shared ? '\nthe line also holds bytes outside this buffer' : ''}`,
      }),
    );
  }
  cells.appendChild(frag);
  const legend = h(
    doc,
    'div',
    { class: 'legend' },
    ...LINE_STATES.map((s) => h(doc, 'span', { class: 'key', title: s.help }, h(doc, 'span', { class: `cl st-${s.state}` }), `${s.label} ${num(view.counts[s.state])}`)),
    h(doc, 'span', { class: 'key', title: 'the device owns the buffer: the CPU must not touch it until dma_sync_*_for_cpu or dma_unmap_*' }, h(doc, 'span', { class: 'cl st-clean owned' }), 'owned by the device'),
    h(doc, 'span', { class: 'key', title: 'the line holds bytes outside the buffer too (cacheline-shared risk)' }, h(doc, 'span', { class: 'cl st-clean shared' }), 'shared line'),
  );
  const owner = view.owner === 'device' ? h(doc, 'span', { class: 'badge owner-device' }, 'owned by the device') : h(doc, 'span', { class: 'badge owner-cpu' }, 'owned by the CPU');
  return h(
    doc,
    'div',
    { class: 'coherency', 'data-mapping': view.mapping },
    h(
      doc,
      'div',
      { class: 'coh-head' },
      chooser(ctx, mappings, view.mapping),
      owner,
      h(doc, 'span', {}, `${view.device} · ${view.type === 'coherent' ? 'coherent' : shortDir(view.dir)} · ${formatSize(view.size)} · ${plural(view.totalLines, 'line')} of ${view.lineSize} B`),
      view.bounce ? h(doc, 'span', { class: 'muted' }, `device sees bounce slot ${view.bounce}`) : null,
      view.deviceCoherent ? h(doc, 'span', { class: 'muted' }, 'coherent device: it snoops the cache') : null,
      h(doc, 'span', { class: 'lbl' }, 'mapped at'),
      sourceLink(ctx, view.createdAt),
    ),
    view.requested !== undefined ? h(doc, 'div', { class: 'note' }, `Mapping #${view.requested} is gone (unmapped); showing #${view.mapping}.`) : null,
    legend,
    cells,
    view.truncated ? h(doc, 'div', { class: 'muted' }, `First ${num(view.lines.length)} of ${num(view.totalLines)} lines shown.`) : null,
    view.findings.length ? h(doc, 'div', { class: 'findings coh-findings', role: 'list' }, ...view.findings.map((f) => findingRow(ctx, f))) : h(doc, 'div', { class: 'muted' }, 'No findings about this buffer.'),
  );
}

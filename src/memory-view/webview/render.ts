/// <reference lib="dom" />
/**
 * Drawing the memory view: pure functions from the view's data to DOM nodes, given the document
 * to build them in (the webview's, or jsdom's in tests). No globals, no messages, no state.
 *
 * The DOM contract end-to-end tests rely on: a column per view (`data-view="cpu"`, `"ram"`,
 * `"device"`), a cell per byte with `data-offset="<n>"`, class `differs` on bytes that differ from
 * another view's byte at the same offset, `stale` / `dirty` on the rows and cells of such cache
 * lines, `??` for unreadable bytes with the reason as their tooltip, and `#title` naming the range.
 */
import type { ColumnData, LineState, ViewData } from '../model';
import { compareColumns, hex2, lineClasses, lineStates, unreadableWhy } from '../model';

export interface RenderOptions {
  /** Bytes per row (4, 8, 16 or 32). */
  perRow: number;
  /** Writes are possible now (a live session). */
  editable: boolean;
}

const LINE_TEXT: Record<LineState, string> = {
  clean: 'cached, clean: the CPU holds a copy equal to RAM as it was when the line was filled',
  dirty: 'dirty: the CPU wrote this line; RAM (and a non-coherent device) still has the old bytes until it is cleaned',
  stale: 'stale: a device wrote RAM under this line; the CPU reads its old copy until the line is invalidated',
  'stale-dirty': 'stale and dirty: a device wrote RAM under a line the CPU has also written; whichever is written back last wins',
};

const MARK: Record<LineState, string> = { clean: '·', dirty: 'D', stale: 'S', 'stale-dirty': 'SD' };

function el<K extends keyof HTMLElementTagNameMap>(doc: Document, tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = doc.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

const RANK: Record<LineState, number> = { clean: 1, dirty: 2, stale: 3, 'stale-dirty': 4 };

/** The most notable line state among bytes [from, to). */
function worst(states: (LineState | '')[], from: number, to: number): LineState | '' {
  let w: LineState | '' = '';
  for (let o = from; o < to; o++) {
    const s = states[o];
    if (s && (!w || RANK[s] > RANK[w])) w = s;
  }
  return w;
}

/** The hex part of a reference: the column's title already says which view it is in. */
function shortAddress(ref: string | undefined): string | undefined {
  return ref ? /(0x[0-9a-f]+)$/i.exec(ref)?.[1] ?? ref : undefined;
}

function offsetText(o: number, length: number): string {
  return o.toString(16).padStart(Math.max(4, (length - 1).toString(16).length), '0');
}

/** How much differs, and the cache lines over the range, in a sentence. */
export function summaryText(data: ViewData): string {
  const [cpu, ram, dev] = data.columns;
  const pair = (a: ColumnData, b: ColumnData) => {
    let n = 0;
    let both = 0;
    for (let o = 0; o < data.length; o++) {
      const x = a.data[o];
      const y = b.data[o];
      if (x < 0 || y < 0) continue;
      both++;
      if (x !== y) n++;
    }
    return both ? `${n} byte${n === 1 ? '' : 's'}` : 'nothing to compare';
  };
  const counts: Record<LineState, number> = { clean: 0, dirty: 0, stale: 0, 'stale-dirty': 0 };
  for (const l of data.lines) counts[l.state]++;
  const lines = data.lines.length
    ? `${data.lines.length} cached line${data.lines.length === 1 ? '' : 's'}: ${counts.stale + counts['stale-dirty']} stale, ${counts.dirty + counts['stale-dirty']} dirty`
    : 'no line of it in the CPU cache';
  return `CPU ≠ RAM: ${pair(cpu, ram)} · device ≠ RAM: ${pair(dev, ram)} · ${lines}`;
}

/** What each view cannot read, in words (the ?? cells carry the same reason as their tooltip). */
export function columnNotes(data: ViewData): { view: string; title: string; text: string }[] {
  const out: { view: string; title: string; text: string }[] = [];
  for (const c of data.columns) {
    if (!c.unreadable.length) continue;
    const bytes = c.unreadable.reduce((n, u) => n + u.length, 0);
    const reasons = [...new Set(c.unreadable.map((u) => u.why))];
    const what = bytes >= data.length ? 'nothing readable' : `${bytes} of ${data.length} bytes unreadable`;
    out.push({ view: c.view, title: c.title, text: `${what}: ${reasons.slice(0, 2).join('; ')}${reasons.length > 2 ? ` (and ${reasons.length - 2} more reasons)` : ''}` });
  }
  return out;
}

/** The header: title, mapping, status, what differs, the legend. */
export function renderHeader(doc: Document, data: ViewData, opts: RenderOptions): HTMLElement {
  const head = el(doc, 'header', 'head');
  head.id = 'head';
  const title = el(doc, 'h1', undefined, data.title);
  title.id = 'title';
  head.append(title);
  if (data.mapping) {
    const m = el(doc, 'div', 'mapping', data.mapping);
    m.id = 'mapping';
    head.append(m);
  }
  const status = el(doc, 'div', `status status-${data.status}`, data.statusText ?? '');
  status.id = 'status';
  if (!data.statusText) status.hidden = true;
  head.append(status);
  const notes = columnNotes(data);
  if (notes.length) {
    const ul = el(doc, 'ul', 'notes');
    ul.id = 'notes';
    for (const n of notes) {
      const li = el(doc, 'li');
      li.append(el(doc, 'span', 'note-view', `${n.title}: `), el(doc, 'span', undefined, n.text));
      ul.append(li);
    }
    head.append(ul);
  }
  const sum = el(doc, 'div', 'summary');
  sum.id = 'summary';
  sum.append(el(doc, 'span', 'summary-text', summaryText(data)));
  const legend = el(doc, 'span', 'legend');
  for (const [cls, text, tip] of [
    ['differs', 'differs', 'the views disagree on this byte'],
    ['odd', 'odd one out', 'this view disagrees with the two others, which agree'],
    ['stale', 'stale line', LINE_TEXT.stale],
    ['dirty', 'dirty line', LINE_TEXT.dirty],
    ['unreadable', '??', 'not readable in this view (hover a byte for why)'],
  ] as const) {
    const chip = el(doc, 'span', `chip ${cls}`, text);
    chip.title = tip;
    legend.append(chip);
  }
  sum.append(legend);
  head.append(sum);
  head.append(renderToolbar(doc, data, opts));
  return head;
}

function renderToolbar(doc: Document, data: ViewData, opts: RenderOptions): HTMLElement {
  const bar = el(doc, 'div', 'toolbar');
  bar.id = 'toolbar';
  const devLabel = el(doc, 'label', undefined, 'Device ');
  const sel = el(doc, 'select');
  sel.id = 'device';
  if (!data.device) {
    const none = el(doc, 'option', undefined, '(choose a device)');
    none.value = '';
    none.selected = true;
    sel.append(none);
  }
  for (const d of data.devices) {
    const o = el(doc, 'option', undefined, `${d.name} · ${d.translation}`);
    o.value = d.name;
    if (d.name === data.device) o.selected = true;
    sel.append(o);
  }
  devLabel.append(sel);
  const lenLabel = el(doc, 'label', undefined, 'Bytes ');
  const len = el(doc, 'input');
  len.id = 'length';
  len.type = 'number';
  len.min = '1';
  len.max = String(1 << 16);
  len.value = String(data.length);
  lenLabel.append(len);
  const rowLabel = el(doc, 'label', undefined, 'Per row ');
  const per = el(doc, 'select');
  per.id = 'per-row';
  for (const n of ['auto', '4', '8', '16', '32']) {
    const o = el(doc, 'option', undefined, n);
    o.value = n;
    per.append(o);
  }
  rowLabel.append(per);
  const refresh = el(doc, 'button', undefined, 'Refresh');
  refresh.id = 'refresh';
  refresh.type = 'button';
  const hint = el(doc, 'span', 'hint', opts.editable ? 'Click a byte and type hex to write it through that view' : 'Read-only now');
  bar.append(devLabel, lenLabel, rowLabel, refresh, hint);
  return bar;
}

/** The three columns side by side, with the offsets and the cache lines on the left. */
export function renderGrid(doc: Document, data: ViewData, opts: RenderOptions): HTMLElement {
  const n = data.length;
  const per = opts.perRow;
  const cmp = compareColumns(data.columns, n);
  const states = lineStates(data.lines, n);
  const lineStart = new Set<number>();
  for (const l of data.lines) if (BigInt(l.addr) % BigInt(data.lineSize) === 0n && l.offset % per === 0 && l.length === Math.min(data.lineSize, n - l.offset)) lineStart.add(l.offset);
  const rows = Math.ceil(n / per);

  const grid = el(doc, 'div', `grid per-${per}`);
  grid.id = 'grid';
  grid.setAttribute('role', 'grid');

  // offsets and line states
  const gutter = el(doc, 'div', 'gutter');
  const gh = el(doc, 'div', 'col-head');
  gh.append(el(doc, 'div', 'col-title', 'Offset'), el(doc, 'div', 'col-sub', `${data.lineSize}-byte lines`), el(doc, 'div', 'col-addr', '\u00a0'));
  gutter.append(gh);
  for (let r = 0; r < rows; r++) {
    const from = r * per;
    const to = Math.min(n, from + per);
    const w = worst(states, from, to);
    const row = el(doc, 'div', ['row', ...lineClasses(w), lineStart.has(from) ? 'line-start' : ''].filter(Boolean).join(' '));
    row.dataset.row = String(r);
    row.append(el(doc, 'span', 'off', offsetText(from, n)));
    const mark = el(doc, 'span', 'mark', w ? MARK[w] : '');
    if (w) {
      const line = data.lines.find((l) => from < l.offset + l.length && l.offset < to);
      mark.title = `cache line ${line?.addr ?? ''} ${LINE_TEXT[w]}`;
    }
    row.append(mark);
    gutter.append(row);
  }
  grid.append(gutter);

  data.columns.forEach((c, i) => grid.append(renderColumn(doc, data, c, cmp.differs[i], cmp.odd[i], states, lineStart, opts)));
  return grid;
}

function renderColumn(doc: Document, data: ViewData, c: ColumnData, differs: Uint8Array, odd: Uint8Array, states: (LineState | '')[], lineStart: Set<number>, opts: RenderOptions): HTMLElement {
  const n = data.length;
  const per = opts.perRow;
  const col = el(doc, 'section', `col view-${c.view}${c.view === data.anchor ? ' anchor' : ''}${opts.editable && c.editable ? ' editable' : ''}`);
  col.dataset.view = c.view;
  col.setAttribute('aria-label', `${c.title}: ${c.subtitle}`);
  const head = el(doc, 'div', 'col-head');
  const title = el(doc, 'div', 'col-title', c.title);
  if (c.view === data.anchor) title.title = 'the view this memory view was opened on';
  const sub = el(doc, 'div', 'col-sub', c.subtitle);
  sub.title = c.subtitle;
  const addr = el(doc, 'div', 'col-addr', shortAddress(c.address) ?? '—');
  addr.title = c.address ?? 'no address in this view';
  head.append(title, sub, addr);
  col.append(head);
  // one tooltip per unreadable stretch is enough to explain every ?? in it
  for (let r = 0; r * per < n; r++) {
    const from = r * per;
    const to = Math.min(n, from + per);
    const rowState = worst(states, from, to);
    const row = el(doc, 'div', ['row', ...(rowState === 'clean' ? [] : lineClasses(rowState)), lineStart.has(from) ? 'line-start' : ''].filter(Boolean).join(' '));
    row.dataset.row = String(r);
    for (let o = from; o < to; o++) {
      const b = c.data[o] ?? -1;
      const cls = ['b'];
      if (b < 0) cls.push('unreadable');
      if (differs[o]) cls.push('differs');
      if (odd[o]) cls.push('odd');
      const st = states[o];
      if (st && st !== 'clean') cls.push(...lineClasses(st));
      if ((o - from) % 8 === 0 && o !== from) cls.push('gap');
      const cell = el(doc, 'span', cls.join(' '), hex2(b));
      cell.dataset.offset = String(o);
      if (b < 0) cell.title = unreadableWhy(c, o) ?? 'unreadable';
      row.append(cell);
    }
    col.append(row);
  }
  return col;
}

/** The whole view. */
export function renderView(doc: Document, data: ViewData, opts: RenderOptions): HTMLElement {
  const app = el(doc, 'div', `app status-${data.status}`);
  app.id = 'app';
  app.append(renderHeader(doc, data, opts), renderGrid(doc, data, opts));
  return app;
}

/** Before the first data: the title says what is coming. */
export function renderPlaceholder(doc: Document, text: string, error = false): HTMLElement {
  const app = el(doc, 'div', 'app');
  app.id = 'app';
  const head = el(doc, 'header', 'head');
  const title = el(doc, 'h1', undefined, error ? 'DMA Lab memory view' : text);
  title.id = 'title';
  head.append(title);
  if (error) {
    const status = el(doc, 'div', 'status status-error', text);
    status.id = 'status';
    head.append(status);
  }
  app.append(head);
  return app;
}

/** Width of one view's bytes in characters, for `per` bytes a row (a wider gap every 8 bytes). */
export function columnChars(per: number): number {
  return per * 3 - 1 + Math.max(0, Math.ceil(per / 8) - 1);
}

/** Bytes per row for an available width in characters: the widest of 32/16/8/4 whose three columns and offsets fit. */
export function fitPerRow(widthChars: number): number {
  for (const per of [32, 16, 8]) if (9 + 3 * (Math.max(columnChars(per), 14) + 3) <= widthChars) return per;
  return 4;
}

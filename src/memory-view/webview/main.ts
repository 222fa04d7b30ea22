/// <reference lib="dom" />
/**
 * The memory view's webview: draws what the extension host sends (render.ts), and turns the
 * user's clicks and keys into messages: write a byte through one view, choose the device, change
 * the length, refresh. Typing hex into a byte writes it when two digits are in and moves on.
 */
import type { FromWebview, ToWebview, ViewData, ViewKind } from '../model';
import { VIEW_KINDS, byteAddress, hex2, unreadableWhy } from '../model';
import { fitPerRow, renderPlaceholder, renderView } from './render';

interface VsCodeApi {
  postMessage(m: FromWebview): void;
  getState(): unknown;
  setState(s: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const saved = (vscode.getState() ?? {}) as { perRow?: string };

let data: ViewData | undefined;
let editable = false;
let perRowChoice = saved.perRow ?? 'auto';
let drawnPerRow = 0;
let editing: { view: ViewKind; offset: number; digits: string } | undefined;

const post = (m: FromWebview) => vscode.postMessage(m);

function charWidth(): number {
  const probe = document.createElement('span');
  probe.className = 'measure';
  probe.textContent = '0'.repeat(100);
  document.body.append(probe);
  const w = probe.getBoundingClientRect().width / 100;
  probe.remove();
  return w > 0 ? w : 8;
}

function perRow(): number {
  if (perRowChoice !== 'auto') return Number(perRowChoice);
  return fitPerRow(Math.floor((document.documentElement.clientWidth - 24) / charWidth()));
}

function draw(): void {
  const root = document.getElementById('app');
  if (!data) return;
  const y = window.scrollY;
  drawnPerRow = perRow();
  const app = renderView(document, data, { perRow: drawnPerRow, editable });
  if (root) root.replaceWith(app);
  else document.body.append(app);
  const per = document.getElementById('per-row') as HTMLSelectElement | null;
  if (per) per.value = perRowChoice;
  if (editing) showEditing();
  window.scrollTo(0, y);
}

function cellOf(view: ViewKind, offset: number): HTMLElement | null {
  return document.querySelector(`.col[data-view="${view}"] [data-offset="${offset}"]`);
}

function columnOf(view: ViewKind) {
  return data?.columns.find((c) => c.view === view);
}

function canEdit(view: ViewKind, offset: number): boolean {
  const c = columnOf(view);
  return !!data && editable && !!c && c.editable && offset >= 0 && offset < data.length && (c.data[offset] ?? -1) >= 0;
}

function showEditing(): void {
  document.querySelectorAll('.b.editing').forEach((e) => e.classList.remove('editing'));
  if (!editing) return;
  const cell = cellOf(editing.view, editing.offset);
  if (!cell) return;
  cell.classList.add('editing');
  const c = columnOf(editing.view);
  cell.textContent = editing.digits ? `${editing.digits}_` : hex2(c?.data[editing.offset] ?? -1);
  cell.scrollIntoView({ block: 'nearest', inline: 'nearest' });
}

function startEdit(view: ViewKind, offset: number): void {
  if (!canEdit(view, offset)) return;
  stopEdit();
  editing = { view, offset, digits: '' };
  showEditing();
}

function stopEdit(): void {
  if (!editing) return;
  const cell = cellOf(editing.view, editing.offset);
  const c = columnOf(editing.view);
  if (cell) {
    cell.classList.remove('editing');
    cell.textContent = hex2(c?.data[editing.offset] ?? -1);
  }
  editing = undefined;
}

function commit(): void {
  if (!editing || !editing.digits) return;
  const value = parseInt(editing.digits, 16);
  const { view, offset } = editing;
  post({ type: 'write', view, offset, value });
  // shown at once; the refresh that follows the write brings what every view sees now
  const c = columnOf(view);
  if (c) c.data[offset] = value;
  const cell = cellOf(view, offset);
  if (cell) {
    cell.classList.remove('editing');
    cell.classList.add('pending');
    cell.textContent = hex2(value);
  }
  editing = undefined;
  move(view, offset + 1);
}

function move(view: ViewKind, offset: number): void {
  if (canEdit(view, offset)) startEdit(view, offset);
  else stopEdit();
}

function tooltip(cell: HTMLElement): string | undefined {
  if (!data) return undefined;
  const o = Number(cell.dataset.offset);
  const lines = [`offset +0x${o.toString(16)} (${o})`];
  for (const c of data.columns) {
    const a = byteAddress(c, o) ?? 'no address';
    const b = c.data[o] ?? -1;
    lines.push(`${c.title.padEnd(4)} ${a}: ${b < 0 ? `?? (${unreadableWhy(c, o) ?? 'unreadable'})` : hex2(b)}`);
  }
  const line = data.lines.find((l) => o >= l.offset && o < l.offset + l.length);
  if (line) lines.push(`cache line ${line.addr}: ${line.state}`);
  if (editable && columnOf(cell.closest<HTMLElement>('.col')?.dataset.view as ViewKind)?.editable) lines.push('click and type hex to write this byte through this view');
  return lines.join('\n');
}

window.addEventListener('message', (ev: MessageEvent<ToWebview>) => {
  const m = ev.data;
  if (m.type === 'data') {
    data = m.data;
    editable = m.data.status !== 'ended' && m.data.status !== 'loading';
    if (editing && !canEdit(editing.view, editing.offset)) editing = undefined;
    draw();
  } else if (m.type === 'status') {
    editable = m.editable;
    if (!editable) stopEdit();
    if (data) {
      data = { ...data, status: m.status, statusText: m.statusText };
      draw();
    }
  } else if (m.type === 'error') {
    if (!data) {
      const root = document.getElementById('app');
      const app = renderPlaceholder(document, m.message, true);
      if (root) root.replaceWith(app);
      else document.body.append(app);
      return;
    }
    const s = document.getElementById('status');
    if (s) {
      s.hidden = false;
      s.className = 'status status-error';
      s.textContent = m.message;
    }
  }
});

document.addEventListener('click', (ev) => {
  const t = ev.target as HTMLElement;
  if (t.id === 'refresh') {
    post({ type: 'refresh' });
    return;
  }
  const cell = t.closest<HTMLElement>('.b');
  const col = cell?.closest<HTMLElement>('.col');
  if (cell && col) startEdit(col.dataset.view as ViewKind, Number(cell.dataset.offset));
  else if (!t.closest('#toolbar')) stopEdit();
});

document.addEventListener('change', (ev) => {
  const t = ev.target as HTMLElement;
  if (t.id === 'device') {
    const v = (t as HTMLSelectElement).value;
    if (v) post({ type: 'device', name: v });
  } else if (t.id === 'length') {
    const n = Math.floor(Number((t as HTMLInputElement).value));
    if (n >= 1 && n <= 1 << 16) post({ type: 'length', length: n });
    else if (data) (t as HTMLInputElement).value = String(data.length);
  } else if (t.id === 'per-row') {
    perRowChoice = (t as HTMLSelectElement).value;
    vscode.setState({ ...saved, perRow: perRowChoice });
    draw();
  }
});

document.addEventListener('keydown', (ev) => {
  if (!editing || (ev.target as HTMLElement).closest?.('#toolbar')) return;
  const k = ev.key;
  const per = drawnPerRow || 16;
  if (/^[0-9a-f]$/i.test(k) && !ev.ctrlKey && !ev.metaKey && !ev.altKey) {
    editing.digits += k.toLowerCase();
    if (editing.digits.length >= 2) commit();
    else showEditing();
  } else if (k === 'Enter') commit();
  else if (k === 'Escape') stopEdit();
  else if (k === 'Backspace') {
    editing.digits = editing.digits.slice(0, -1);
    showEditing();
  } else if (k === 'ArrowRight') move(editing.view, editing.offset + 1);
  else if (k === 'ArrowLeft') move(editing.view, editing.offset - 1);
  else if (k === 'ArrowDown') move(editing.view, editing.offset + per);
  else if (k === 'ArrowUp') move(editing.view, editing.offset - per);
  else if (k === 'Tab') {
    const i = VIEW_KINDS.indexOf(editing.view);
    const next = VIEW_KINDS[(i + (ev.shiftKey ? 2 : 1)) % 3];
    move(next, editing.offset);
  } else return;
  ev.preventDefault();
});

document.addEventListener('mouseover', (ev) => {
  const cell = (ev.target as HTMLElement).closest?.<HTMLElement>('.b');
  if (!cell || cell.classList.contains('unreadable')) return;
  const t = tooltip(cell);
  if (t) cell.title = t;
});

let resizeTimer: ReturnType<typeof setTimeout> | undefined;
window.addEventListener('resize', () => {
  if (perRowChoice !== 'auto' || !data) return;
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => {
    if (perRow() !== drawnPerRow) draw();
  }, 100);
});

post({ type: 'ready' });

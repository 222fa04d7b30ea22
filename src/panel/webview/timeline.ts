/// <reference lib="dom" />
/**
 * The timeline: one lane per device over virtual time; transfers as bars (device writes memory:
 * one colour, reads: another, failed: red, still running: open-ended), maps, unmaps, syncs,
 * interrupts, bounces, faults and findings as ticks; the current stop as a vertical line. Zoom with
 * the wheel (around the pointer) or the buttons, pan by dragging or with shift+wheel.
 */
import type { PanelTimeline, TimelineBar, TimelineTick } from '../../../emulator/inspect/panel-snapshot';
import { type Ctx } from './common';
import { h, s } from './dom';
import { formatSize, formatTime, locationText, num } from './format';

export interface TimeView {
  from: number;
  to: number;
}

export const LABEL_W = 120;
export const LANE_H = 22;
const AXIS_H = 20;
const TOP = 4;

export const TICK_KINDS: { kind: TimelineTick['kind']; label: string }[] = [
  { kind: 'map', label: 'map' },
  { kind: 'unmap', label: 'unmap' },
  { kind: 'sync', label: 'sync' },
  { kind: 'alloc', label: 'alloc/free' },
  { kind: 'interrupt', label: 'interrupt' },
  { kind: 'bounce', label: 'bounce' },
  { kind: 'fault', label: 'IOMMU fault' },
  { kind: 'finding', label: 'finding' },
];

/** The whole recorded window, from its first event to the stop, with a little room either side. */
export function fitView(tl: PanelTimeline): TimeView {
  const from = tl.from;
  let to = tl.now;
  for (const b of tl.bars) to = Math.max(to, b.end ?? b.start);
  for (const t of tl.ticks) to = Math.max(to, t.t);
  if (to - from < 1000) to = from + 1000;
  const pad = (to - from) * 0.02;
  return { from: Math.max(0, from - pad), to: to + pad };
}

/** Zoom by `factor` (< 1: in) keeping time at fraction `at` (0..1 of the plot) in place. */
export function zoomView(v: TimeView, factor: number, at = 0.5): TimeView {
  const span = Math.max(10, (v.to - v.from) * factor);
  const pivot = v.from + (v.to - v.from) * at;
  const from = pivot - span * at;
  return { from, to: from + span };
}

export function panView(v: TimeView, fraction: number): TimeView {
  const d = (v.to - v.from) * fraction;
  return { from: v.from + d, to: v.to + d };
}

/** Axis steps of 1, 2 or 5 × 10^k ns, about `px` pixels apart. */
export function axisStep(span: number, plotW: number, px = 90): number {
  const raw = (span * px) / Math.max(1, plotW);
  const p = 10 ** Math.floor(Math.log10(Math.max(raw, 1)));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

function open(ctx: Ctx, at: TimelineBar['at']): ((e: Event) => void) | undefined {
  if (!at) return undefined;
  return (e: Event) => {
    e.stopPropagation();
    ctx.post({ type: 'openSource', file: at.file, line: at.line, column: at.column });
  };
}

/** The chart for a view of the timeline, `width` pixels wide: a pure function of its inputs. */
export function renderTimeline(ctx: Ctx, tl: PanelTimeline, view: TimeView, width: number): SVGSVGElement {
  const doc = ctx.doc;
  const lanes = tl.devices.length ? tl.devices : ['(no DMA yet)'];
  const height = TOP + lanes.length * LANE_H + AXIS_H;
  const plotW = Math.max(50, width - LABEL_W - 8);
  const span = Math.max(1, view.to - view.from);
  const x = (t: number) => LABEL_W + ((t - view.from) / span) * plotW;
  const laneOf = new Map(lanes.map((d, i) => [d, i]));
  const svg = s(doc, 'svg', { class: 'timeline-chart', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'DMA timeline' });
  const defs = s(doc, 'defs', {}, s(doc, 'clipPath', { id: 'tl-clip' }, s(doc, 'rect', { x: LABEL_W, y: 0, width: plotW, height })));
  svg.appendChild(defs);
  // lanes and their labels
  lanes.forEach((d, i) => {
    const y = TOP + i * LANE_H;
    svg.appendChild(s(doc, 'rect', { class: `lane${i % 2 ? ' odd' : ''}`, x: 0, y, width, height: LANE_H }));
    svg.appendChild(s(doc, 'text', { class: 'lane-label', x: 6, y: y + LANE_H / 2 + 4 }, d.length > 18 ? `${d.slice(0, 17)}…` : d, s(doc, 'title', {}, d)));
  });
  // time axis
  const step = axisStep(span, plotW);
  const axisY = TOP + lanes.length * LANE_H;
  const axis = s(doc, 'g', { class: 'axis' });
  for (let t = Math.ceil(view.from / step) * step; t <= view.to; t += step) {
    const px = x(t);
    axis.appendChild(s(doc, 'line', { class: 'grid', x1: px, x2: px, y1: TOP, y2: axisY }));
    axis.appendChild(s(doc, 'text', { x: px + 3, y: axisY + 14 }, formatTime(t)));
  }
  svg.appendChild(axis);
  const plot = s(doc, 'g', { 'clip-path': 'url(#tl-clip)' });
  // transfers
  for (const b of tl.bars) {
    const end = b.end ?? tl.now;
    if (end < view.from || b.start > view.to) continue;
    const lane = laneOf.get(b.device);
    if (lane === undefined) continue;
    const x0 = Math.max(LABEL_W - 2, x(b.start));
    const x1 = Math.min(LABEL_W + plotW + 2, x(end));
    const cls = `bar ${b.write ? 'bar-write' : 'bar-read'}${b.ok === false ? ' bar-failed' : ''}${b.end === undefined ? ' bar-running' : ''}`;
    const title = `${b.device}: transfer ${b.label} (${b.write ? 'device writes memory' : 'device reads memory'}), ${formatSize(b.size)} at ${b.bus}\n${formatTime(b.start)} → ${b.end === undefined ? 'running' : `${formatTime(b.end)} (${formatTime(b.end - b.start)})`}${b.ok === false ? ', FAILED' : ''}${b.at ? `\nstarted at ${locationText(b.at)}` : ''}`;
    plot.appendChild(s(doc, 'rect', { class: cls, x: x0, y: TOP + lane * LANE_H + 5, width: Math.max(2, x1 - x0), height: LANE_H - 10, rx: 2, 'data-transfer': `${b.device}#${b.id}`, onclick: open(ctx, b.at) }, s(doc, 'title', {}, title)));
  }
  // ticks, merged per pixel, lane and kind
  const merged = new Map<string, { tick: TimelineTick; n: number; px: number; lane: number }>();
  for (const t of tl.ticks) {
    if (t.t < view.from || t.t > view.to) continue;
    const lane = laneOf.get(t.device);
    if (lane === undefined) continue;
    const px = Math.round(x(t.t));
    const key = `${lane}|${t.kind}|${px}`;
    const m = merged.get(key);
    if (m) m.n++;
    else merged.set(key, { tick: t, n: 1, px, lane });
  }
  for (const { tick, n, px, lane } of merged.values()) {
    const y = TOP + lane * LANE_H;
    const tall = tick.kind === 'fault' || tick.kind === 'finding' || tick.kind === 'interrupt';
    const title = `${formatTime(tick.t)}: ${tick.text}${n > 1 ? `\n(and ${n - 1} more here)` : ''}${tick.at ? `\nat ${locationText(tick.at)}` : ''}`;
    plot.appendChild(s(doc, 'line', { class: `tick tick-${tick.kind}${tick.severity ? ` sev-${tick.severity}` : ''}`, x1: px, x2: px, y1: tall ? y + 1 : y + 4, y2: tall ? y + LANE_H - 1 : y + LANE_H - 4, 'data-kind': tick.kind, onclick: open(ctx, tick.at) }, s(doc, 'title', {}, title)));
  }
  svg.appendChild(plot);
  // the current stop
  if (tl.now >= view.from && tl.now <= view.to) {
    const px = x(tl.now);
    svg.appendChild(s(doc, 'line', { class: 'now', x1: px, x2: px, y1: 0, y2: axisY, 'data-now': tl.now }, s(doc, 'title', {}, `now: ${formatTime(tl.now)}`)));
    svg.appendChild(s(doc, 'polygon', { class: 'now-mark', points: `${px - 4},0 ${px + 4},0 ${px},5` }));
  }
  return svg;
}

/** The chart with its toolbar and zoom/pan state. The view follows the run until the user zooms or pans. */
export class TimelineChart {
  readonly element: HTMLElement;
  readonly tools: HTMLElement;
  private tl: PanelTimeline | null = null;
  private view: TimeView | null = null;
  /** The user zoomed or panned: keep their view across snapshots. */
  private pinned = false;
  private drag?: { x: number; view: TimeView };
  private readonly host: HTMLElement;
  private readonly caption: HTMLElement;

  constructor(
    private readonly ctx: Ctx,
    /** Width when layout gives none (tests). */
    private readonly fallbackWidth = 900,
  ) {
    const doc = ctx.doc;
    this.host = h(doc, 'div', { class: 'timeline-host', title: 'Ctrl+wheel: zoom · drag or Shift+wheel: pan · double-click: fit' });
    this.caption = h(doc, 'span', { class: 'muted' });
    const btn = (label: string, title: string, f: () => void) => h(doc, 'button', { class: 'tool', title, onclick: f }, label);
    this.tools = h(
      doc,
      'span',
      { class: 'tl-tools' },
      this.caption,
      btn('−', 'Zoom out', () => this.zoom(1.5)),
      btn('+', 'Zoom in', () => this.zoom(1 / 1.5)),
      btn('Fit', 'Show the whole recorded window', () => this.fit()),
      btn('Stop', 'Centre on the current stop', () => this.centreNow()),
    );
    const legend = h(
      doc,
      'div',
      { class: 'tl-legend' },
      h(doc, 'span', { class: 'key' }, h(doc, 'span', { class: 'sw bar-write' }), 'device writes memory'),
      h(doc, 'span', { class: 'key' }, h(doc, 'span', { class: 'sw bar-read' }), 'device reads memory'),
      ...TICK_KINDS.map((k) => h(doc, 'span', { class: 'key' }, h(doc, 'span', { class: `sw tick-${k.kind}` }), k.label)),
      h(doc, 'span', { class: 'key' }, h(doc, 'span', { class: 'sw now' }), 'stop'),
    );
    this.element = h(doc, 'div', { class: 'timeline' }, legend, this.host);
    this.host.addEventListener('wheel', (e: WheelEvent) => this.onWheel(e), { passive: false });
    this.host.addEventListener('mousedown', (e: MouseEvent) => {
      if (!this.view || e.button !== 0) return;
      this.drag = { x: e.clientX, view: this.view };
    });
    const win = doc.defaultView;
    win?.addEventListener('mousemove', (e: MouseEvent) => {
      if (!this.drag) return;
      const dx = e.clientX - this.drag.x;
      if (Math.abs(dx) < 2) return;
      this.pinned = true;
      this.view = panView(this.drag.view, -dx / this.plotWidth());
      this.draw();
    });
    win?.addEventListener('mouseup', () => (this.drag = undefined));
    this.host.addEventListener('dblclick', () => this.fit());
  }

  get currentView(): TimeView | null {
    return this.view;
  }

  update(tl: PanelTimeline): void {
    this.tl = tl;
    if (!this.pinned || !this.view) this.view = fitView(tl);
    this.caption.textContent = `${num(tl.bars.length)} transfers, ${num(tl.ticks.length)} events${tl.truncated ? ' (most recent)' : ''}`;
    this.draw();
  }

  /** Nothing to draw (a new session before its first snapshot). */
  clear(message: string): void {
    this.tl = null;
    this.view = null;
    this.pinned = false;
    this.caption.textContent = '';
    const note = this.ctx.doc.createElement('div');
    note.className = 'empty';
    note.textContent = message;
    this.host.replaceChildren(note);
  }

  zoom(factor: number, at = 0.5): void {
    if (!this.view) return;
    this.pinned = true;
    this.view = zoomView(this.view, factor, at);
    this.draw();
  }

  fit(): void {
    this.pinned = false;
    if (this.tl) this.view = fitView(this.tl);
    this.draw();
  }

  centreNow(): void {
    if (!this.tl || !this.view) return;
    const span = this.view.to - this.view.from;
    this.pinned = true;
    this.view = { from: this.tl.now - span / 2, to: this.tl.now + span / 2 };
    this.draw();
  }

  /** Redraw at the current width (after a resize). */
  draw(): void {
    if (!this.tl || !this.view) return;
    this.host.replaceChildren(renderTimeline(this.ctx, this.tl, this.view, this.width()));
  }

  private width(): number {
    return this.host.clientWidth || this.fallbackWidth;
  }

  private plotWidth(): number {
    return Math.max(50, this.width() - LABEL_W - 8);
  }

  private onWheel(e: WheelEvent): void {
    if (!this.view) return;
    const pan = e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY);
    // a plain vertical wheel scrolls the panel; Ctrl (pinch on a touchpad) zooms, Shift or sideways pans
    if (!pan && !e.ctrlKey && !e.metaKey) return;
    e.preventDefault();
    if (pan) {
      this.pinned = true;
      this.view = panView(this.view, (e.deltaX || e.deltaY) / this.plotWidth());
      this.draw();
      return;
    }
    const rect = this.host.getBoundingClientRect();
    const at = Math.min(1, Math.max(0, (e.clientX - rect.left - LABEL_W) / this.plotWidth()));
    this.zoom(Math.pow(1.0015, e.deltaY), at);
  }
}

/// <reference lib="dom" />
/**
 * The physical memory map as a picture: RAM banks, device MMIO windows, the swiotlb pool and
 * reserved regions, one block per region (height by the log of its size, holes between regions
 * marked), with the live mappings' buffers drawn where they sit, bounce slots in the swiotlb pool,
 * the IOMMU's page-table pages, and the selected buffer highlighted.
 */
import type { IommuTableRow, MappingRow, MemoryMapRegion } from '../../../emulator/inspect/snapshots';
import { type Ctx, empty } from './common';
import { h, s } from './dom';
import { formatSize } from './format';
import { physRunsOf } from '../wire';

export const MAP_W = 330;
const BAR_X = 8;
const BAR_W = 44;
const TEXT_X = BAR_X + BAR_W + 10;

export interface MapBlock {
  region: MemoryMapRegion;
  base: number;
  end: number;
  y: number;
  h: number;
  /** Drawn inside another region (the swiotlb pool, a reserved area in RAM). */
  nested: boolean;
  /** The hole before this block, bytes (0: adjacent or first). */
  holeBefore: number;
}

/** Holes from this size up are labelled. */
const BIG_HOLE = 64 * 1024 * 1024;

/** Height of a region's block: grows with the log of its size, 15..72 px. */
export function blockHeight(size: number): number {
  return Math.round(Math.min(72, Math.max(15, 15 + 3.2 * (Math.log2(Math.max(size, 4096)) - 12))));
}

/** Lay the regions out top to bottom by address. */
export function layoutRegions(regions: readonly MemoryMapRegion[]): { blocks: MapBlock[]; height: number } {
  const sorted = [...regions].sort((a, b) => Number(a.base) - Number(b.base) || b.size - a.size);
  const blocks: MapBlock[] = [];
  let y = 6;
  let outerEnd = -1;
  let outer: MapBlock | undefined;
  for (const r of sorted) {
    const base = Number(r.base);
    const end = base + r.size;
    const nested = !!outer && base >= outer.base && end <= outer.end;
    const hole = !nested && outerEnd >= 0 && base > outerEnd ? base - outerEnd : 0;
    // name the big holes; small ones (between MMIO windows) are just a gap
    const holeBefore = hole >= BIG_HOLE ? hole : 0;
    y += holeBefore ? 14 : hole ? 3 : 0;
    const b: MapBlock = { region: r, base, end, y, h: nested ? Math.max(16, blockHeight(r.size) - 10) : blockHeight(r.size), nested, holeBefore };
    blocks.push(b);
    y += b.h + 3;
    if (!nested) {
      outer = b;
      outerEnd = Math.max(outerEnd, end);
    }
  }
  return { blocks, height: y + 4 };
}

const hexOf = (n: number) => `0x${n.toString(16)}`;

/** Density marks: [offset, length) ranges of a block drawn as one line per pixel row. */
function marks(doc: Document, b: MapBlock, ranges: readonly [number, number][], cls: string, x: number, w: number, title: string, thick = 1, pointer = false): SVGElement | null {
  const rows = new Map<number, number>();
  const size = b.end - b.base;
  for (const [at, len] of ranges) {
    if (at + len <= b.base || at >= b.end) continue;
    const y0 = Math.floor(((Math.max(at, b.base) - b.base) / size) * b.h);
    const y1 = Math.max(y0, Math.ceil(((Math.min(at + len, b.end) - b.base) / size) * b.h) - 1);
    for (let y = y0; y <= y1; y++) rows.set(y, (rows.get(y) ?? 0) + 1);
  }
  if (!rows.size) return null;
  const g = s(doc, 'g', { class: cls });
  for (const [y, n] of rows) g.appendChild(s(doc, 'rect', { x, y: b.y + Math.min(y, b.h - thick), width: w, height: thick, 'data-count': n }));
  if (pointer) {
    // a triangle left of the bar, at the first row, so a one-pixel buffer is found at a glance
    const y = b.y + Math.min(Math.min(...rows.keys()), b.h - thick);
    g.appendChild(s(doc, 'polygon', { points: `0,${y - 4} 6,${y + thick / 2} 0,${y + thick + 4}` }));
  }
  g.appendChild(s(doc, 'title', {}, title));
  return g;
}

export function renderMemoryMap(ctx: Ctx, regions: readonly MemoryMapRegion[], mappings: readonly MappingRow[], iommu: readonly IommuTableRow[], selected: number | undefined): HTMLElement {
  const doc = ctx.doc;
  if (!regions.length) return empty(doc, 'No memory map yet.');
  const { blocks, height } = layoutRegions(regions);
  const svg = s(doc, 'svg', { class: 'memory-map-chart', width: MAP_W, height, viewBox: `0 0 ${MAP_W} ${height}`, role: 'img', 'aria-label': 'physical memory map' });
  const buffers: [number, number][] = [];
  const bounces: [number, number][] = [];
  const sel: [number, number][] = [];
  for (const m of mappings) {
    const runs = physRunsOf(m);
    for (let i = 0; i < runs.length; i += 2) buffers.push([runs[i], runs[i + 1]]);
    const bounce = m.bounce;
    if (bounce) bounces.push([Number(bounce), m.size]);
    if (m.id === selected) {
      for (let i = 0; i < runs.length; i += 2) sel.push([runs[i], runs[i + 1]]);
      if (bounce) sel.push([Number(bounce), m.size]);
    }
  }
  const tables: [number, number][] = [];
  for (const d of iommu) for (const t of d.tables) tables.push([Number(t.phys), 4096]);
  for (const b of blocks) {
    const r = b.region;
    const x = b.nested ? BAR_X + 10 : BAR_X;
    const g = s(doc, 'g', { class: `region region-${r.kind}${b.nested ? ' nested' : ''}`, 'data-kind': r.kind, 'data-base': r.base });
    if (b.holeBefore) g.appendChild(s(doc, 'text', { class: 'hole', x: BAR_X, y: b.y - 4 }, `⋮ ${formatSize(b.holeBefore)} hole`));
    const range = `${r.base}–${hexOf(b.end - 1)}`;
    g.appendChild(s(doc, 'rect', { class: 'region-bar', x, y: b.y, width: BAR_W - (b.nested ? 10 : 0), height: b.h, rx: 2 }, s(doc, 'title', {}, `${r.name}: ${range}, ${formatSize(r.size)}`)));
    if (r.kind === 'swiotlb' && r.used !== undefined && r.size) {
      const uh = Math.max(r.used ? 1 : 0, Math.round((r.used / r.size) * b.h));
      if (uh) g.appendChild(s(doc, 'rect', { class: 'swiotlb-used', x, y: b.y + b.h - uh, width: 4, height: uh }, s(doc, 'title', {}, `${formatSize(r.used)} of bounce slots in use`)));
    }
    if (r.kind === 'ram' || r.kind === 'reserved') {
      const m = marks(doc, b, buffers, 'mark-buffer', x + 6, 18, 'live mapping buffers', 2);
      if (m) g.appendChild(m);
      const t = marks(doc, b, tables, 'mark-pgtable', x + 26, 10, 'IOMMU page-table pages', 2);
      if (t) g.appendChild(t);
    }
    if (r.kind === 'swiotlb') {
      const m = marks(doc, b, bounces, 'mark-bounce', x + 6, 24, 'bounce slots of live mappings', 2);
      if (m) g.appendChild(m);
    }
    const ssel = marks(doc, b, sel, 'mark-selected', x - 1, BAR_W - (b.nested ? 10 : 0) + 2, `mapping #${selected}`, 3, true);
    if (ssel) g.appendChild(ssel);
    const tx = TEXT_X + (b.nested ? 10 : 0);
    g.appendChild(s(doc, 'text', { class: 'region-name', x: tx, y: b.y + 12 }, r.name.length > 30 ? `${r.name.slice(0, 29)}…` : r.name, s(doc, 'title', {}, r.name)));
    if (b.h >= 26) g.appendChild(s(doc, 'text', { class: 'region-range', x: tx, y: b.y + 25 }, `${range} · ${formatSize(r.size)}${r.kind === 'swiotlb' && r.used !== undefined ? ` · ${formatSize(r.used)} used` : ''}`));
    svg.appendChild(g);
  }
  const key = (cls: string, label: string) => h(doc, 'span', { class: 'key' }, h(doc, 'span', { class: `sw ${cls}` }), label);
  return h(doc, 'div', { class: 'memory-map' }, h(doc, 'div', { class: 'legend' }, key('sw-buffer', 'mapped buffers'), key('sw-bounce', 'bounce slots'), iommu.length ? key('sw-pgtable', 'IOMMU tables') : null, selected !== undefined ? key('sw-selected', `#${selected}`) : null), svg);
}

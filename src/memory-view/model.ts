/**
 * What the memory view shows, shared by the extension host (which reads it from the debug
 * adapter) and the webview (which draws it): three columns of the same bytes (the CPU's view
 * through its cache, RAM, a device's view through its IOMMU or dma-ranges), the CPU's cache lines
 * over them, and the messages between host and webview. Pure data and pure functions: no vscode,
 * no DOM.
 */

export type ViewKind = 'cpu' | 'ram' | 'device';
export const VIEW_KINDS: readonly ViewKind[] = ['cpu', 'ram', 'device'];

/** Bytes past the end of what a view can read, and why. */
export interface Unreadable {
  offset: number;
  length: number;
  why: string;
}

export interface ColumnData {
  view: ViewKind;
  /** "CPU", "RAM", "dad@1c000000". */
  title: string;
  /** How this view reaches memory: "through the data cache", "smmu0 (stream 0x10)"... */
  subtitle: string;
  /** The range's start in this view: "0xffff…", "phys:0x…", "iova:dad@…:0x…"; absent when it has none. */
  address?: string;
  /** Where each stretch of the range is in this view (contiguous inside a stretch). */
  spans: { offset: number; length: number; address: string }[];
  /** One entry per byte of the range: 0..255, or -1 when unreadable. */
  data: number[];
  unreadable: Unreadable[];
  /** Bytes can be written through this view (the DAP writeMemory of its reference). */
  editable: boolean;
}

export type LineState = 'clean' | 'dirty' | 'stale' | 'stale-dirty';

/** A CPU cache line over the range (offsets clipped to the range). */
export interface LineSpan {
  offset: number;
  length: number;
  /** Physical address of the whole line, hex. */
  addr: string;
  state: LineState;
}

export type SessionStatus = 'stopped' | 'running' | 'ended' | 'loading';

export interface DeviceChoice {
  name: string;
  short: string;
  translation: string;
}

export interface ViewData {
  /** "0xffff… (CPU) · phys 0x… · dad iova 0x…, 4096 bytes". */
  title: string;
  /** One line about the mapping the range belongs to, if any. */
  mapping?: string;
  /** Which column the view was opened on. */
  anchor: ViewKind;
  length: number;
  lineSize: number;
  columns: ColumnData[];
  lines: LineSpan[];
  /** Node name of the device of the device column. */
  device?: string;
  devices: DeviceChoice[];
  status: SessionStatus;
  /** Why the content is what it is now ("Session ended: the last bytes read are shown"...). */
  statusText?: string;
  /** When the bytes were read (ms since the epoch). */
  readAt: number;
}

/** Host → webview. */
export type ToWebview =
  | { type: 'data'; data: ViewData }
  | { type: 'status'; status: SessionStatus; statusText?: string; editable: boolean }
  | { type: 'error'; message: string };

/** Webview → host. */
export type FromWebview =
  | { type: 'ready' }
  | { type: 'write'; view: ViewKind; offset: number; value: number }
  | { type: 'device'; name: string }
  | { type: 'length'; length: number }
  | { type: 'refresh' };

export interface Comparison {
  /** Per column, per byte: 1 when this byte differs from another view's byte at the same offset. */
  differs: Uint8Array[];
  /** Per column, per byte: 1 when this view is the odd one out (the two others agree). */
  odd: Uint8Array[];
  /** Offsets at which the readable views disagree. */
  count: number;
}

/** Compare the columns byte by byte (unreadable bytes take no part). */
export function compareColumns(columns: readonly ColumnData[], length: number): Comparison {
  const differs = columns.map(() => new Uint8Array(length));
  const odd = columns.map(() => new Uint8Array(length));
  let count = 0;
  for (let o = 0; o < length; o++) {
    let first = -1;
    let disagree = false;
    for (const c of columns) {
      const b = c.data[o] ?? -1;
      if (b < 0) continue;
      if (first < 0) first = b;
      else if (b !== first) disagree = true;
    }
    if (!disagree) continue;
    count++;
    for (let i = 0; i < columns.length; i++) {
      const b = columns[i].data[o] ?? -1;
      if (b < 0) continue;
      differs[i][o] = 1;
      // the odd one out: no other view has this byte while two others agree with each other
      let same = 0;
      const others: number[] = [];
      for (let j = 0; j < columns.length; j++) {
        if (j === i) continue;
        const x = columns[j].data[o] ?? -1;
        if (x < 0) continue;
        if (x === b) same++;
        others.push(x);
      }
      if (same === 0 && others.length >= 2 && others.every((x) => x === others[0])) odd[i][o] = 1;
    }
  }
  return { differs, odd, count };
}

/** The cache line state of each byte of the range ('' where the CPU holds no line). */
export function lineStates(lines: readonly LineSpan[], length: number): (LineState | '')[] {
  const out: (LineState | '')[] = new Array(length).fill('');
  for (const l of lines) for (let o = Math.max(0, l.offset); o < Math.min(length, l.offset + l.length); o++) out[o] = l.state;
  return out;
}

/** The classes a line state gives its bytes and rows: a stale dirty line is both. */
export function lineClasses(state: LineState | ''): string[] {
  if (state === 'stale-dirty') return ['stale', 'dirty'];
  if (state === 'stale' || state === 'dirty') return [state];
  if (state === 'clean') return ['cached'];
  return [];
}

export function hex2(b: number): string {
  return b < 0 ? '??' : b.toString(16).padStart(2, '0');
}

/** Where `offset` falls in a column's unreadable spans. */
export function unreadableWhy(c: ColumnData, offset: number): string | undefined {
  for (const u of c.unreadable) if (offset >= u.offset && offset < u.offset + u.length) return u.why;
  return undefined;
}

/** The address of one byte in a column, for tooltips and writes: "0xffff…8010", "phys:0x…", "iova:dad@…:0x…". */
export function byteAddress(c: Pick<ColumnData, 'spans'>, offset: number): string | undefined {
  for (const sp of c.spans) {
    if (offset < sp.offset || offset >= sp.offset + sp.length) continue;
    const m = /^(.*?)(0x[0-9a-f]+)$/i.exec(sp.address);
    if (!m) return undefined;
    return `${m[1]}0x${(BigInt(m[2]) + BigInt(offset - sp.offset)).toString(16)}`;
  }
  return undefined;
}

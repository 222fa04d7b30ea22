/**
 * Reading one memory view from a DMA Lab debug adapter: resolve the reference into the three
 * views (`dmalab/addressViews`), read each run in each view (DAP `readMemory`), and the CPU's
 * cache lines over the RAM behind it (`dmalab/cacheState`). The transport is a function, so the
 * same code runs against `vscode.DebugSession.customRequest` and a test's DebugClient.
 */
import type { AddressRun, AddressViews } from '../../emulator/inspect/address-views';
import type { ColumnData, LineSpan, LineState, ViewData, ViewKind } from './model';
import { VIEW_KINDS } from './model';

/** Send a DAP request, resolve with the response body. */
export type Request = (command: string, args: Record<string, unknown>) => Promise<unknown>;

export interface LoadTarget {
  memoryReference: string;
  device?: string;
  length?: number;
}

export interface Loaded {
  views: AddressViews;
  columns: ColumnData[];
  lines: LineSpan[];
  /** What to read and write each view with, run by run. */
  runs: AddressRun[];
}

const RUN_REF: Record<ViewKind, 'cpu' | 'ram' | 'device'> = { cpu: 'cpu', ram: 'ram', device: 'device' };

function decodeBase64(s: string): Uint8Array {
  if (typeof Buffer !== 'undefined') return new Uint8Array(Buffer.from(s, 'base64'));
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function encodeBase64(bytes: Uint8Array): string {
  if (typeof Buffer !== 'undefined') return Buffer.from(bytes).toString('base64');
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

const errorText = (e: unknown) => String((e as Error)?.message ?? e);

export async function loadView(request: Request, target: LoadTarget): Promise<Loaded> {
  const views = (await request('dmalab/addressViews', { memoryReference: target.memoryReference, device: target.device, length: target.length })) as AddressViews;
  const n = views.length;
  const columns = VIEW_KINDS.map((view): ColumnData => ({ view, title: '', subtitle: '', data: new Array<number>(n).fill(-1), unreadable: [], spans: [], editable: false }));
  const jobs: Promise<void>[] = [];
  for (const run of views.runs) {
    VIEW_KINDS.forEach((view, i) => {
      const col = columns[i];
      const ref = run[RUN_REF[view]];
      if (ref) col.spans.push({ offset: run.offset, length: run.length, address: ref });
      const why = run.why[view];
      if (!ref || why) {
        col.unreadable.push({ offset: run.offset, length: run.length, why: why ?? 'no address in this view' });
        return;
      }
      col.editable = true;
      jobs.push(
        (async () => {
          let got = 0;
          let reason = 'unreadable now';
          try {
            const r = (await request('readMemory', { memoryReference: ref, offset: 0, count: run.length })) as { data?: string; unreadableBytes?: number };
            const bytes = r?.data ? decodeBase64(r.data) : new Uint8Array(0);
            got = Math.min(bytes.length, run.length);
            for (let j = 0; j < got; j++) col.data[run.offset + j] = bytes[j];
          } catch (e) {
            reason = errorText(e);
          }
          if (got < run.length) col.unreadable.push({ offset: run.offset + got, length: run.length - got, why: reason });
        })(),
      );
    });
  }
  // the CPU's cache lines over the RAM the CPU view reads (only where it reads through the cache)
  const lines: LineSpan[] = [];
  for (const run of views.runs) {
    if (!run.ram || run.cached === false || !run.cpu) continue;
    const phys = BigInt(run.ram.slice('phys:'.length));
    jobs.push(
      (async () => {
        try {
          const cs = (await request('dmalab/cacheState', { phys: Number(phys), length: run.length })) as { lineSize: number; lines: { addr: string; state: string }[] };
          for (const l of cs.lines) {
            if (l.state === 'invalid') continue;
            const a = BigInt(l.addr);
            const s = a > phys ? a : phys;
            const e = a + BigInt(cs.lineSize) < phys + BigInt(run.length) ? a + BigInt(cs.lineSize) : phys + BigInt(run.length);
            if (e <= s) continue;
            lines.push({ offset: run.offset + Number(s - phys), length: Number(e - s), addr: l.addr, state: l.state as LineState });
          }
        } catch {
          // no cache state: the view still shows the bytes
        }
      })(),
    );
  }
  await Promise.all(jobs);
  lines.sort((a, b) => a.offset - b.offset);
  for (const c of columns) c.unreadable.sort((a, b) => a.offset - b.offset);

  const [cpu, ram, dev] = columns;
  const cached = views.runs.some((r) => r.cpu && r.cached !== false);
  cpu.title = 'CPU';
  cpu.subtitle = !views.runs.some((r) => r.cpu) ? 'no CPU mapping' : cached ? 'through the data cache' : 'uncached mapping';
  cpu.address = views.cpuVa;
  ram.title = 'RAM';
  ram.subtitle = 'physical memory, past the cache';
  ram.address = views.phys ? `phys:${views.phys}` : undefined;
  const d = views.device;
  dev.title = d ? d.short : 'Device';
  const slot = views.runs.find((r) => r.deviceLandsAt)?.deviceLandsAt;
  dev.subtitle = d ? `${d.name} · ${d.translation}${d.coherent ? ', coherent' : ''}${slot ? ` · bounce slot ${slot}` : ''}` : 'no device chosen';
  dev.address = d && views.iova ? `iova:${d.name}:${views.iova}` : undefined;
  return { views, columns, lines, runs: views.runs };
}

/** The header line: "0xffff… (CPU) · phys 0x… · dad iova 0x…, 4096 bytes". */
export function titleOf(v: AddressViews): string {
  const cpu = v.cpuVa ? `${v.cpuVa} (CPU)` : 'no CPU address';
  const phys = v.phys ? `phys ${v.phys}` : 'no physical address';
  const dev = v.device ? `${v.device.short} iova ${v.iova ?? '(not mapped)'}` : 'no device';
  return `${cpu} · ${phys} · ${dev}, ${v.length} byte${v.length === 1 ? '' : 's'}`;
}

export function mappingText(v: AddressViews): string | undefined {
  const m = v.mapping;
  if (!m) return undefined;
  const dir = m.dir.replace(/^DMA_/, '');
  const at = m.offset ? ` (from byte ${m.offset})` : '';
  return `mapping #${m.id}: ${m.type} ${dir} for ${m.device}, ${m.size} bytes at dma ${m.dma}${at}, owned by the ${m.owner === 'cpu' ? 'CPU' : 'device'}${m.bounce ? `, bounced through swiotlb ${m.bounce}` : ''}`;
}

/** Everything the webview draws. */
export function viewData(l: Loaded, status: ViewData['status'], statusText?: string): ViewData {
  const v = l.views;
  return {
    title: titleOf(v),
    mapping: mappingText(v),
    anchor: v.anchor,
    length: v.length,
    lineSize: v.lineSize,
    columns: l.columns,
    lines: l.lines,
    device: v.device?.name,
    devices: v.devices.map((d) => ({ name: d.name, short: d.short, translation: d.translation })),
    status,
    statusText,
    readAt: Date.now(),
  };
}

/** The reference to write one byte of a view with, or why it cannot be written. */
export function writeTarget(l: Loaded, view: ViewKind, offset: number): { memoryReference: string; offset: number } | { error: string } {
  const run = l.runs.find((r) => offset >= r.offset && offset < r.offset + r.length);
  if (!run) return { error: `offset ${offset} is outside the view` };
  const ref = run[RUN_REF[view]];
  if (!ref || run.why[view]) return { error: run.why[view] ?? 'this view has no address there' };
  return { memoryReference: ref, offset: offset - run.offset };
}


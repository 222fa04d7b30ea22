/**
 * The event stream as Chrome trace-event JSON (Perfetto and chrome://tracing open it): one track
 * per device, transfers as slices, maps, syncs, interrupts, faults and findings as instants,
 * log lines on the kernel track. Times are virtual microseconds.
 */
import type { TraceEvent } from './events';

interface ChromeEvent {
  name: string;
  ph: 'X' | 'i' | 'M' | 'B' | 'E';
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  s?: 'g' | 'p' | 't';
  cat?: string;
  args?: Record<string, unknown>;
}

const hex = (n: number): string => `0x${n.toString(16)}`;

export function toChromeTrace(events: readonly TraceEvent[], title: string): { traceEvents: ChromeEvent[]; displayTimeUnit: 'ns'; metadata: Record<string, string> } {
  const tids = new Map<string, number>([['', 1]]);
  const tid = (dev: string): number => {
    let t = tids.get(dev);
    if (t === undefined) {
      t = tids.size + 1;
      tids.set(dev, t);
    }
    return t;
  };
  const out: ChromeEvent[] = [];
  const open = new Map<number, TraceEvent & { kind: 'transfer-start' }>();
  const us = (ns: number): number => ns / 1000;
  const loc = (e: TraceEvent): string | undefined => {
    const l = e.site?.location();
    return l ? `${l.file}:${l.line}` : undefined;
  };
  for (const e of events) {
    const base = { pid: 1, tid: tid(e.device), ts: us(e.t) };
    switch (e.kind) {
      case 'transfer-start':
        open.set(e.id, e);
        break;
      case 'transfer-complete': {
        const s = open.get(e.id);
        open.delete(e.id);
        const start = s ? s.t : e.t;
        out.push({ ...base, ts: us(start), name: `${e.label} ${e.size} B`, ph: 'X', dur: Math.max(us(e.t - start), 0.001), cat: 'transfer', args: { bus: hex(e.bus), size: e.size, done: e.done, ok: e.ok, started_at: loc(e) } });
        break;
      }
      case 'dma-map':
        out.push({ ...base, name: `${e.api} ${e.size} B`, ph: 'i', s: 't', cat: 'map', args: { dma: hex(e.dma), phys: hex(e.phys), dir: e.dir, bounced: e.bounced, at: loc(e) } });
        break;
      case 'dma-unmap':
        out.push({ ...base, name: `${e.api}`, ph: 'i', s: 't', cat: 'map', args: { dma: hex(e.dma), size: e.size, dir: e.dir, at: loc(e) } });
        break;
      case 'dma-sync':
        out.push({ ...base, name: `${e.api}`, ph: 'i', s: 't', cat: 'sync', args: { dma: hex(e.dma), size: e.size, dir: e.dir, at: loc(e) } });
        break;
      case 'dma-alloc':
        out.push({ ...base, name: `${e.api} ${e.size} B`, ph: 'i', s: 't', cat: 'alloc', args: { dma: hex(e.dma), phys: hex(e.phys), free: e.free, at: loc(e) } });
        break;
      case 'bounce':
        out.push({ ...base, name: `bounce ${e.dir} ${e.size} B`, ph: 'i', s: 't', cat: 'bounce', args: { orig: hex(e.orig), slot: hex(e.slot) } });
        break;
      case 'interrupt':
        out.push({ ...base, name: `irq ${e.line}${e.handled ? '' : ' (unhandled)'}`, ph: 'i', s: 't', cat: 'interrupt' });
        break;
      case 'iommu-fault':
        out.push({ ...base, name: `IOMMU fault ${hex(e.iova)}`, ph: 'i', s: 'g', cat: 'fault', args: { text: e.text } });
        break;
      case 'finding':
        out.push({ ...base, name: `${e.finding.severity}: ${e.finding.id}`, ph: 'i', s: 'g', cat: 'finding', args: { message: e.finding.message, at: loc(e) } });
        break;
      case 'log':
        out.push({ ...base, tid: 1, name: e.text.slice(0, 80), ph: 'i', s: 't', cat: 'log', args: { level: e.level, text: e.text } });
        break;
    }
  }
  // transfers still running at the end
  for (const s of open.values()) out.push({ pid: 1, tid: tid(s.device), ts: us(s.t), name: `${s.label} ${s.size} B (unfinished)`, ph: 'X', dur: 0.001, cat: 'transfer' });
  const meta: ChromeEvent[] = [{ name: 'process_name', ph: 'M', ts: 0, pid: 1, tid: 1, args: { name: title } }];
  for (const [dev, t] of tids) meta.push({ name: 'thread_name', ph: 'M', ts: 0, pid: 1, tid: t, args: { name: dev || 'kernel' } });
  return { traceEvents: [...meta, ...out], displayTimeUnit: 'ns', metadata: { 'dmalab-version': '0.1.0' } };
}

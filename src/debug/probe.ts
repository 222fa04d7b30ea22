/**
 * The debugger's agent inside the worker, beside the emulator: it turns trace events into
 * stops when an enabled event breakpoint's condition holds, stops at calls of API functions the
 * user named, forwards log lines and findings to the adapter, and answers the adapter's
 * questions (memory, snapshots, value descriptions) through `globalThis.__dmalab.call`.
 */
import * as vm from 'vm';
import type { MessagePort } from 'worker_threads';
import type { Kernel } from '../../emulator/kernel/kernel';
import { COHERENCY_FINDINGS, findingJson } from '../../emulator/kernel/findings';
import type { TraceEvent } from '../../emulator/trace/events';
import { allocationSize, parseMemoryRef, physicalRuns, readMemory, viewAddress, writeMemory } from '../../emulator/inspect/memory-ref';
import type { TransferTag } from '../../emulator/kernel/dma/debug';
import { describeValue } from '../../emulator/inspect/values';
import { cacheState, dmaScope, findingsSnapshot, iommuTables, liveMappings, memoryMap, timeline } from '../../emulator/inspect/snapshots';
import { panelSnapshot, type PanelSnapshotArgs } from '../../emulator/inspect/panel-snapshot';
import { addressViews } from '../../emulator/inspect/address-views';
import type { EventFilter, StopInfo, WorkerToAdapter } from './protocol';

/** The one place the debugger pauses the worker: a script of its own, so it is never blackboxed. */
const pause = vm.compileFunction('debugger;', [], { filename: 'dmalab:breakpoint' }) as () => void;

/** A compiled condition: reads the event view's fields as plain names. */
type Condition = (view: Record<string, unknown>) => unknown;

interface ActiveFilter {
  id: string;
  source?: string;
  test?: Condition;
  /** The condition threw once: said once, then it counts as false (not a message per event). */
  failed?: boolean;
}

const hex = (n: number) => `0x${n.toString(16)}`;
const shortDir = (d: string) => d.replace(/^DMA_/, '');
const base = (node: string) => node.split('@')[0];

/** What a trace event means to event breakpoints: its filter, the fields a condition sees, its description. */
/** Names a condition can use, in a fixed order (conditions compile to functions of these). */
export const EVENT_FIELDS = ['kind', 'device', 'node', 't', 'api', 'dma', 'iova', 'phys', 'size', 'dir', 'bounced', 'forCpu', 'free', 'bus', 'write', 'ok', 'done', 'label', 'line', 'irq', 'reason', 'orig', 'slot', 'id', 'severity', 'message'] as const;

/** Filter ids a trace event kind can match (findings are decided per finding). */
const KIND_FILTERS: Partial<Record<TraceEvent['kind'], readonly string[]>> = {
  'dma-map': ['dma-map'],
  'dma-unmap': ['dma-unmap'],
  'dma-sync': ['dma-sync'],
  'dma-alloc': ['dma-alloc'],
  'transfer-start': ['transfer-start'],
  'transfer-complete': ['transfer-complete'],
  interrupt: ['interrupt'],
  'iommu-fault': ['iommu-fault'],
  bounce: ['bounce'],
  finding: ['dma-api-error', 'coherency'],
};

export function eventView(e: TraceEvent): { filters: readonly string[]; view: Record<string, unknown>; description: () => string } | undefined {
  // each view is one object literal (no spread) and each kind's filter list a constant: this runs for every event while any DMA filter is set
  const device = base(e.device);
  switch (e.kind) {
    case 'dma-map':
      return { filters: KIND_FILTERS['dma-map']!, view: { kind: e.kind, device, node: e.device, t: e.t, api: e.api, dma: e.dma, iova: e.dma, phys: e.phys, size: e.size, dir: shortDir(e.dir), bounced: e.bounced }, description: () => `${e.api} → ${hex(e.dma)}, ${e.size} bytes, ${shortDir(e.dir)}${e.bounced ? ' (bounced)' : ''}` };
    case 'dma-unmap':
      return { filters: KIND_FILTERS['dma-unmap']!, view: { kind: e.kind, device, node: e.device, t: e.t, api: e.api, dma: e.dma, iova: e.dma, size: e.size, dir: shortDir(e.dir) }, description: () => `${e.api} ${hex(e.dma)}, ${e.size} bytes, ${shortDir(e.dir)}` };
    case 'dma-sync':
      return { filters: KIND_FILTERS['dma-sync']!, view: { kind: e.kind, device, node: e.device, t: e.t, api: e.api, dma: e.dma, size: e.size, dir: shortDir(e.dir), forCpu: e.forCpu }, description: () => `${e.api} ${hex(e.dma)}, ${e.size} bytes, ${shortDir(e.dir)}` };
    case 'dma-alloc':
      return { filters: KIND_FILTERS['dma-alloc']!, view: { kind: e.kind, device, node: e.device, t: e.t, api: e.api, dma: e.dma, phys: e.phys, size: e.size, free: e.free }, description: () => `${e.api} ${hex(e.dma)}, ${e.size} bytes` };
    case 'transfer-start':
      return { filters: KIND_FILTERS['transfer-start']!, view: { kind: e.kind, device, node: e.device, t: e.t, bus: e.bus, size: e.size, write: e.write, label: e.label }, description: () => `${e.device}: transfer ${e.label} started at ${hex(e.bus)}, ${e.size} bytes` };
    case 'transfer-complete':
      return { filters: KIND_FILTERS['transfer-complete']!, view: { kind: e.kind, device, node: e.device, t: e.t, bus: e.bus, size: e.size, write: e.write, ok: e.ok, done: e.done, label: e.label }, description: () => `${e.device}: transfer ${e.label} ${e.ok ? 'complete' : `failed after ${e.done} bytes`}, ${e.size} bytes at ${hex(e.bus)}` };
    case 'interrupt':
      return { filters: KIND_FILTERS.interrupt!, view: { kind: e.kind, device, node: e.device, t: e.t, line: e.line, irq: e.line }, description: () => `interrupt ${e.line} from ${e.device || 'an unknown device'}` };
    case 'iommu-fault':
      return { filters: KIND_FILTERS['iommu-fault']!, view: { kind: e.kind, device, node: e.device, t: e.t, iova: e.iova, write: e.write, reason: e.reason }, description: () => e.text };
    case 'bounce':
      return { filters: KIND_FILTERS.bounce!, view: { kind: e.kind, device, node: e.device, t: e.t, dir: e.dir, orig: e.orig, slot: e.slot, size: e.size }, description: () => `swiotlb bounce ${e.dir}: ${e.size} bytes between ${hex(e.orig)} and slot ${hex(e.slot)}` };
    case 'finding': {
      const f = e.finding;
      const filters: string[] = [];
      if (f.severity === 'error') filters.push('dma-api-error');
      if (COHERENCY_FINDINGS.has(f.id)) filters.push('coherency');
      return filters.length ? { filters, view: { kind: e.kind, device, node: e.device, t: e.t, id: f.id, severity: f.severity, message: f.message }, description: () => `${f.severity} [${f.id}] ${f.message}` } : undefined;
    }
    default:
      return undefined;
  }
}

/** A data breakpoint: physical runs resolved when it was set, and which accesses stop. */
interface Watch {
  id: string;
  label: string;
  runs: { phys: number; len: number }[];
  access: 'read' | 'write' | 'readWrite';
}

export class Probe {
  private watches: Watch[] = [];
  private filters = new Map<string, ActiveFilter>();
  private functions = new Set<string>();
  private stop?: StopInfo;
  private lastEvent?: TraceEvent;
  /** While the debugger itself reads state, events are not breakpoints. */
  private quiet = 0;

  constructor(
    private readonly k: Kernel,
    private readonly port: MessagePort,
  ) {
    k.bus.listeners.push({
      physAccess: (a, phys, len) => {
        if (this.watches.length && !this.quiet) this.checkWatch(phys, len, a.write, `${a.port.device} (DMA)`, (a.tag as TransferTag | undefined)?.site?.location());
      },
    });
  }

  private cpuWatch = (phys: number, len: number, write: boolean): void => {
    if (!this.quiet) this.checkWatch(phys, len, write, 'the CPU', undefined);
  };

  private checkWatch(phys: number, len: number, write: boolean, agent: string, site: StopInfo['site']): void {
    for (const w of this.watches) {
      if (w.access === 'read' && write) continue;
      if (w.access === 'write' && !write) continue;
      for (const r of w.runs) {
        const s = Math.max(r.phys, phys);
        const e = Math.min(r.phys + r.len, phys + len);
        if (e <= s) continue;
        this.pauseFor({ reason: 'data', description: `${agent} ${write ? 'wrote' : 'read'} ${e - s} byte${e - s === 1 ? '' : 's'} of ${w.label} (phys ${hex(s)}..${hex(e - 1)})`, site });
        return;
      }
    }
  }

  /** Data breakpoints, by memory reference and length. Returns what each resolved to. */
  setWatches(list: { dataId: string; accessType?: string }[]): { verified: boolean; message?: string }[] {
    this.watches = [];
    const out = list.map((d) => {
      const m = /^(.*)#(\d+)$/.exec(d.dataId);
      if (!m) return { verified: false, message: `malformed data breakpoint id "${d.dataId}"` };
      try {
        const v = parseMemoryRef(this.k, m[1]);
        const runs = physicalRuns(this.k, v, Number(m[2]));
        if (!runs.length) return { verified: false, message: `${m[1]} is not mapped to RAM now` };
        this.watches.push({ id: d.dataId, label: `${viewAddress(v)} (${m[2]} bytes)`, runs, access: (d.accessType as Watch['access']) ?? 'write' });
        return { verified: true };
      } catch (e) {
        return { verified: false, message: (e as Error).message };
      }
    });
    this.k.cpu.watch = this.watches.length ? this.cpuWatch : undefined;
    return out;
  }

  setFilters(filters: EventFilter[]): string[] {
    const errors: string[] = [];
    this.filters.clear();
    for (const f of filters) {
      let test: Condition | undefined;
      if (f.condition && f.condition.trim()) {
        try {
          // the event's fields become local names (absent ones undefined), so a condition reads them
          // plainly; only the names its text mentions are read from the view
          const names = EVENT_FIELDS.filter((n) => new RegExp(`\\b${n}\\b`).test(f.condition!));
          test = new Function('__view', `let { ${names.join(', ')} } = __view;\nreturn (${f.condition});`) as Condition;
        } catch (e) {
          errors.push(`${f.id}: condition "${f.condition}" does not parse: ${(e as Error).message}`);
          continue;
        }
      }
      this.filters.set(f.id, { id: f.id, source: f.condition, test });
    }
    return errors;
  }

  setFunctionBreakpoints(names: string[]): void {
    this.functions = new Set(names);
  }

  /** API call hook (function breakpoints). */
  onCall = (name: string): void => {
    if (this.quiet || !this.functions.has(name)) return;
    this.pauseFor({ reason: 'function', description: `${name}()` });
  };

  onEvent = (e: TraceEvent): void => {
    if (e.kind === 'log') {
      this.post({ type: 'output', category: e.level === 'err' ? 'stderr' : 'console', text: `[${(e.t / 1e9).toFixed(6).padStart(12)}] ${e.text}\n` });
      return;
    }
    if (e.kind === 'finding') {
      const loc = e.finding.site?.location();
      this.post({ type: 'finding', finding: findingJson(e.finding) });
      this.post({ type: 'output', category: e.finding.severity === 'error' ? 'stderr' : 'console', text: `${e.finding.severity} [${e.finding.id}] ${e.finding.message}\n`, location: loc });
    }
    this.lastEvent = e;
    if (e.kind === 'transfer-complete' && e.write && e.done > 0) this.deviceWrote(`iova:${e.device}:${hex(e.bus)}`, e.done);
    if (this.quiet || this.filters.size === 0) return;
    const candidates = KIND_FILTERS[e.kind];
    if (!candidates) return;
    let wanted = false;
    for (const id of candidates) wanted ||= this.filters.has(id);
    if (!wanted) return;
    const v = eventView(e);
    if (!v) return;
    for (const id of v.filters) {
      const f = this.filters.get(id);
      if (!f) continue;
      if (f.test) {
        if (f.failed) continue;
        let hit: unknown;
        try {
          hit = f.test(v.view);
        } catch (err) {
          if (!f.failed) this.post({ type: 'output', category: 'stderr', text: `breakpoint ${id}: condition "${f.source}" failed: ${(err as Error).message} (said once; it counts as false for this and later events)\n` });
          f.failed = true;
          continue;
        }
        if (!hit) continue;
      }
      this.pauseFor({ reason: 'event', filter: id, description: v.description(), site: e.site?.location() });
      return;
    }
  };

  /** Device writes not yet announced: memory views of them are out of date. */
  private dirty = new Map<string, number>();
  private lastFlush = 0;

  private deviceWrote(ref: string, count: number): void {
    this.dirty.set(ref, Math.max(this.dirty.get(ref) ?? 0, count));
    const now = Date.now();
    if (now - this.lastFlush >= 100) this.flushMemory(now);
  }

  /** Announce coalesced device writes (at most every 100 ms while running, and at every stop). */
  flushMemory(now = Date.now()): void {
    this.lastFlush = now;
    for (const [memoryReference, count] of this.dirty) this.post({ type: 'memory', memoryReference, count });
    this.dirty.clear();
  }

  /** Stop the worker here (the adapter sees a `debugger` pause and asks for this info). */
  private stopSeq = 0;

  pauseFor(info: StopInfo): void {
    this.flushMemory();
    this.stop = { ...info, seq: ++this.stopSeq };
    pause();
    this.stop = undefined;
  }

  /** Entry point of the adapter's questions: `__dmalab.call(name, jsonArgs)` → JSON. */
  call = (name: string, argsJson: string): string => {
    const args = (argsJson ? JSON.parse(argsJson) : {}) as Record<string, unknown>;
    this.quiet++;
    try {
      return JSON.stringify(this.dispatch(name, args) ?? null);
    } catch (e) {
      return JSON.stringify({ error: (e as Error).message });
    } finally {
      this.quiet--;
    }
  };

  /** Describe an object the debugger shows (called on the object via Runtime.callFunctionOn). */
  describe = (v: unknown): string => JSON.stringify(describeValue(this.k, v) ?? null);

  private dispatch(name: string, a: Record<string, unknown>): unknown {
    const k = this.k;
    switch (name) {
      case 'takeStop':
        return this.stop ? { ...this.stop, posted: this.posted } : null;
      case 'posted':
        return this.posted;
      case 'readMemory': {
        const v = parseMemoryRef(k, String(a.memoryReference), Number(a.offset ?? 0));
        const r = readMemory(k, v, Number(a.count ?? 0));
        return { address: r.address, data: Buffer.from(r.data).toString('base64'), unreadableBytes: r.unreadable };
      }
      case 'writeMemory': {
        const v = parseMemoryRef(k, String(a.memoryReference), Number(a.offset ?? 0));
        const data = Buffer.from(String(a.data ?? ''), 'base64');
        return { bytesWritten: writeMemory(k, v, data), offset: 0 };
      }
      case 'mappings':
        return liveMappings(k);
      case 'iommuTables':
        return iommuTables(k, Number(a.max ?? 4096));
      case 'cacheState':
        return cacheState(k, Number(a.phys ?? 0), Number(a.length ?? 4096));
      case 'findings':
        return findingsSnapshot(k);
      case 'timeline':
        return timeline(k, Number(a.from ?? 0), a.to === undefined ? Infinity : Number(a.to), Number(a.max ?? 5000));
      case 'dmaScope':
        return dmaScope(k, this.lastEvent);
      case 'memoryMap':
        return memoryMap(k);
      case 'panel':
        return panelSnapshot(k, a as PanelSnapshotArgs, this.stop, this.lastEvent);
      case 'addressViews':
        return addressViews(k, String(a.memoryReference ?? ''), { device: a.device === undefined || a.device === null ? undefined : String(a.device), length: a.length === undefined ? undefined : Number(a.length) });
      case 'setFilters':
        return { errors: this.setFilters((a.filters as EventFilter[]) ?? []) };
      case 'dataBreakpointInfo': {
        const ref = String(a.memoryReference);
        const v = parseMemoryRef(k, ref);
        const bytes = Number(a.bytes ?? 0) || allocationSize(k, v) || 8;
        const runs = physicalRuns(k, v, bytes);
        if (!runs.length) return { dataId: null, description: () => `${ref} is not backed by RAM now` };
        return { dataId: `${viewAddress(v)}#${bytes}`, description: () => `${viewAddress(v)}, ${bytes} bytes (device and CPU accesses)`, accessTypes: ['read', 'write', 'readWrite'], canPersist: false };
      }
      case 'setDataBreakpoints':
        return { breakpoints: this.setWatches((a.breakpoints as { dataId: string; accessType?: string }[]) ?? []) };
      case 'setFunctionBreakpoints':
        this.setFunctionBreakpoints((a.names as string[]) ?? []);
        return { ok: true };
      default:
        throw new Error(`unknown request ${name}`);
    }
  }

  /** Messages posted so far: a stop waits until the adapter has received them all (see `posted`). */
  private posted = 0;

  /** A logpoint's text: through the same channel as the kernel log, so it precedes the stop that follows it. */
  logpoint = (text: string): void => {
    this.post({ type: 'output', category: 'console', text: `${text}\n` });
  };

  private post(m: WorkerToAdapter): void {
    this.posted++;
    this.port.postMessage(m);
  }
}

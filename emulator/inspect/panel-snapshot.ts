/**
 * The DMA panel's snapshot (`dmalab/panel`): everything the panel draws at one stop, built in
 * one pass over the kernel's state: live mappings and IOMMU entries in a compact wire form, the
 * coherency of one buffer line by line with the findings that concern it, the timeline as bars
 * and ticks, findings and the memory map.
 */
import type { Kernel } from '../kernel/kernel';
import { findingJson, type FindingJson, type SourceLocation } from '../kernel/findings';
import type { TraceEvent } from '../trace/events';
import type { DmaEntry } from '../kernel/dma/debug';
import { hexAddress as hex } from '../lib/hex';
import { eventJson, findingsSnapshot, kernelVaHex, mappingDir, memoryMap, walkDomains, type DomainHead, type IommuTableRow, type MappingRow } from './snapshots';

export type LineStateName = 'invalid' | 'clean' | 'dirty' | 'stale' | 'stale-dirty';

/** Cache lines of one mapping's CPU buffer, and what the checker found about it. */
export interface CoherencyView {
  mapping: number;
  /** The mapping that was asked for, when it is no longer live (the view shows another). */
  requested?: number;
  device: string;
  type: string;
  dir: string;
  size: number;
  owner: 'cpu' | 'device';
  /** The device snoops the CPU cache: line states cannot disagree with what it sees. */
  deviceCoherent: boolean;
  bounce?: string;
  createdAt?: SourceLocation;
  lineSize: number;
  /** One per cache line of the buffer (line-aligned), in address order; `shared`: the line also holds bytes outside the buffer. */
  lines: { addr: string; state: LineStateName; shared?: boolean }[];
  /** Lines the buffer covers in all (more than `lines` holds when truncated). */
  totalLines: number;
  truncated: boolean;
  /** Lines per state over the whole buffer. */
  counts: Record<LineStateName, number>;
  findings: FindingJson[];
}

const ADDR_IN_MESSAGE = /(device address=|phys |cacheline=|cache line |\bat |iova |fault addr )(0x[0-9a-f]+)/g;

/** Whether a finding names an address of this mapping: a bus address of its device, or a cache line of its buffer. */
export function findingConcerns(f: Pick<FindingJson, 'message' | 'device'>, e: Pick<DmaEntry, 'bus' | 'cpu' | 'bounce' | 'size'> & { device: string }, lineSize: number): boolean {
  for (const m of f.message.matchAll(ADDR_IN_MESSAGE)) {
    const a = Number(BigInt(m[2]));
    const physical = m[1] === 'phys ' || m[1] === 'cacheline=' || m[1] === 'cache line ';
    if (physical) {
      for (const r of e.cpu) {
        const lo = Math.floor(r.phys / lineSize) * lineSize;
        const hi = Math.ceil((r.phys + r.len) / lineSize) * lineSize;
        if (a >= lo && a < hi) return true;
      }
      if (e.bounce !== undefined && a >= e.bounce && a < e.bounce + e.size) return true;
    } else if (f.device === e.device) {
      for (const b of e.bus) if (a >= b.dma && a < b.dma + b.len) return true;
    }
  }
  return false;
}

/** The coherency of one mapping's buffer (by id; the newest live mapping when absent or gone). */
export function coherencyView(k: Kernel, id?: number, maxLines = 4096): CoherencyView | null {
  const entries = k.debug?.entries() ?? [];
  if (!entries.length) return null;
  let e = id !== undefined ? entries.find((x) => x.id === id) : undefined;
  const requested = id !== undefined && !e ? id : undefined;
  if (!e) for (const x of entries) if (!e || x.id > e.id) e = x;
  const entry = e!;
  const ls = k.cache.lineSize;
  const counts: Record<LineStateName, number> = { invalid: 0, clean: 0, dirty: 0, stale: 0, 'stale-dirty': 0 };
  const lines: CoherencyView['lines'] = [];
  let total = 0;
  for (const r of entry.cpu) {
    if (r.len <= 0) continue;
    const first = Math.floor(r.phys / ls);
    const last = Math.floor((r.phys + r.len - 1) / ls);
    total += last - first + 1;
    // states of the lines the cache holds, then every line of the range in order
    const held = new Map<number, LineStateName>();
    for (const l of k.cache.linesIn(first * ls, (last - first + 1) * ls)) held.set(l.addr, l.state);
    for (let i = first; i <= last; i++) {
      const state = held.get(i * ls) ?? 'invalid';
      counts[state]++;
      if (lines.length < maxLines) {
        const row: CoherencyView['lines'][number] = { addr: hex(i * ls), state };
        if ((i === first && r.phys % ls !== 0) || (i === last && (r.phys + r.len) % ls !== 0)) row.shared = true;
        lines.push(row);
      }
    }
  }
  const probe = { bus: entry.bus, cpu: entry.cpu, bounce: entry.bounce, size: entry.size, device: entry.dev.nodeName };
  return {
    mapping: entry.id,
    requested,
    device: entry.dev.nodeName,
    type: entry.type,
    dir: mappingDir(entry),
    size: entry.size,
    owner: entry.owner,
    deviceCoherent: entry.dev.dma.coherent,
    bounce: entry.bounce !== undefined ? hex(entry.bounce) : undefined,
    createdAt: entry.site?.location(),
    lineSize: ls,
    lines,
    totalLines: total,
    truncated: total > lines.length,
    counts,
    findings: k.findings.map(findingJson).filter((f) => findingConcerns(f, probe, ls)),
  };
}

export interface TimelineBar {
  device: string;
  id: number;
  label: string;
  start: number;
  /** Absent while the transfer is still running. */
  end?: number;
  /** The device wrote memory (a device-to-memory transfer). */
  write: boolean;
  size: number;
  bus: string;
  ok?: boolean;
  /** Started before the window the timeline covers. */
  clipped?: boolean;
  at?: SourceLocation;
}

export interface TimelineTick {
  kind: 'map' | 'unmap' | 'sync' | 'alloc' | 'free' | 'interrupt' | 'fault' | 'finding' | 'bounce';
  device: string;
  t: number;
  text: string;
  severity?: string;
  at?: SourceLocation;
}

/** The recent past as the timeline draws it: transfers as bars per device, the rest as ticks. */
export interface PanelTimeline {
  from: number;
  now: number;
  /** Older events were left out (the window holds the most recent ones). */
  truncated: boolean;
  devices: string[];
  bars: TimelineBar[];
  ticks: TimelineTick[];
}

/** The last `max` DMA events of the run (log lines aside), shaped for the timeline. */
export function panelTimeline(k: Kernel, max = 4000): PanelTimeline {
  const ev = k.trace.events;
  let i = ev.length - 1;
  let n = 0;
  for (; i >= 0 && n < max; i--) if (ev[i].kind !== 'log') n++;
  const truncated = i >= 0;
  const first = i + 1;
  const bars: TimelineBar[] = [];
  const ticks: TimelineTick[] = [];
  const open = new Map<string, TimelineBar>();
  const devices: string[] = [];
  const seen = new Set<string>();
  const lane = (d: string) => {
    const name = d || 'kernel';
    if (!seen.has(name)) {
      seen.add(name);
      devices.push(name);
    }
    return name;
  };
  let from = k.now;
  for (let j = first; j < ev.length; j++) {
    const e = ev[j];
    if (e.kind === 'log') continue;
    from = Math.min(from, e.t);
    const device = lane(e.device);
    const at = e.site?.location();
    switch (e.kind) {
      case 'transfer-start': {
        const b: TimelineBar = { device, id: e.id, label: e.label, start: e.t, write: e.write, size: e.size, bus: hex(e.bus), at };
        open.set(`${device}#${e.id}`, b);
        bars.push(b);
        break;
      }
      case 'transfer-complete': {
        const key = `${device}#${e.id}`;
        let b = open.get(key);
        if (!b) bars.push((b = { device, id: e.id, label: e.label, start: ev[first]?.t ?? e.t, write: e.write, size: e.size, bus: hex(e.bus), clipped: true, at }));
        open.delete(key);
        b.end = e.t;
        b.ok = e.ok;
        break;
      }
      case 'dma-map':
        ticks.push({ kind: 'map', device, t: e.t, text: `${e.api} → ${hex(e.dma)}, ${e.size} bytes, ${e.dir}${e.bounced ? ', bounced' : ''}`, at });
        break;
      case 'dma-unmap':
        ticks.push({ kind: 'unmap', device, t: e.t, text: `${e.api} ${hex(e.dma)}, ${e.size} bytes`, at });
        break;
      case 'dma-sync':
        ticks.push({ kind: 'sync', device, t: e.t, text: `${e.api} ${hex(e.dma)}, ${e.size} bytes`, at });
        break;
      case 'dma-alloc':
        ticks.push({ kind: e.free ? 'free' : 'alloc', device, t: e.t, text: `${e.api} ${hex(e.dma)}, ${e.size} bytes`, at });
        break;
      case 'interrupt':
        ticks.push({ kind: 'interrupt', device, t: e.t, text: `interrupt ${e.line}${e.handled ? '' : ' (not handled)'}`, at });
        break;
      case 'iommu-fault':
        ticks.push({ kind: 'fault', device, t: e.t, text: e.text, at });
        break;
      case 'finding':
        ticks.push({ kind: 'finding', device, t: e.t, text: `[${e.finding.id}] ${e.finding.message}`, severity: e.finding.severity, at });
        break;
      case 'bounce':
        ticks.push({ kind: 'bounce', device, t: e.t, text: `swiotlb bounce ${e.dir}: ${e.size} bytes, ${hex(e.orig)} ↔ slot ${hex(e.slot)}`, at });
        break;
    }
  }
  return { from: truncated ? from : 0, now: k.now, truncated, devices, bars, ticks };
}

/** Why the program is paused, as the probe knows it (an event breakpoint), with the event. */
export interface PanelStop {
  reason: string;
  filter?: string;
  description: string;
  site?: SourceLocation;
}

/** Everything the DMA panel shows (the webview's form: see PanelWire for what crosses the wire). */
export interface PanelSnapshot {
  now_ns: number;
  platform: string;
  arch: string;
  lineSize: number;
  stop: PanelStop | null;
  /** The last DMA event before the snapshot (eventJson). */
  event: Record<string, unknown> | null;
  mappings: MappingRow[];
  iommu: IommuTableRow[];
  findings: FindingJson[];
  timeline: PanelTimeline;
  memoryMap: ReturnType<typeof memoryMap>;
  coherency: CoherencyView | null;
}

/**
 * A live mapping on the wire: [id, device, type, direction, dma, size, CPU runs (phys, len, phys,
 * len…), CPU address (offset from `vaBase`, -1: none), owner (1: device), bounce slot (-1: none),
 * file, line, column]. Strings are indices into `strings`, -1 for none.
 */
export type MappingTuple = [number, number, number, number, number, number, number[], number, 0 | 1, number, number, number, number];

/** An IOMMU entry on the wire: [iova, phys, level, permissions (read 1 + write 2), owning mapping id (-1: none), raw entry, fault hit it (1)]. */
export type IommuEntryTuple = [number, number, number, number, number, number, 0 | 1];

/**
 * What `dmalab/panel` returns: the snapshot with its two big lists (10,000 mappings make them
 * megabytes of JSON as objects) as rows of numbers and string indices, about a quarter of the size
 * and quicker to produce, copy and parse. src/panel/wire.ts turns it back into a PanelSnapshot.
 */
export interface PanelWire extends Omit<PanelSnapshot, 'mappings' | 'iommu'> {
  wire: 1;
  strings: string[];
  /** Kernel virtual address of offset 0 (hex): CPU addresses are offsets from it. */
  vaBase: string;
  mappings: MappingTuple[];
  iommu: (DomainHead & { entries: IommuEntryTuple[] })[];
}

export interface PanelSnapshotArgs {
  /** The mapping the coherency section shows (default: the newest). */
  mapping?: number;
  /** Most IOMMU entries per domain. */
  maxIommu?: number;
  /** Most timeline events. */
  maxEvents?: number;
  /** Only these parts (the rest comes back empty), e.g. ['coherency'] when the user picks a buffer. */
  parts?: string[];
}

/** The DMA panel's snapshot, in its wire form. */
export function panelSnapshot(k: Kernel, a: PanelSnapshotArgs = {}, stop?: PanelStop, lastEvent?: TraceEvent): PanelWire {
  const want = (p: string) => !a.parts || a.parts.includes(p);
  const strings: string[] = [];
  const index = new Map<string, number>();
  const str = (v: string): number => {
    let i = index.get(v);
    if (i === undefined) {
      i = strings.length;
      strings.push(v);
      index.set(v, i);
    }
    return i;
  };
  const mappings: MappingTuple[] = [];
  if (want('mappings')) {
    for (const e of k.debug?.entries() ?? []) {
      const at = e.site?.location();
      const cpu: number[] = [];
      for (const c of e.cpu) cpu.push(c.phys, c.len);
      const va = e.kva >= 0 ? e.kva : k.as.linearVa(e.cpu[0]?.phys ?? -1);
      mappings.push([e.id, str(e.dev.nodeName), str(e.type), str(mappingDir(e)), e.dma, e.size, cpu, va, e.owner === 'device' ? 1 : 0, e.bounce ?? -1, at ? str(at.file) : -1, at?.line ?? 0, at?.column ?? 0]);
    }
    mappings.sort((x, y) => x[0] - y[0]);
  }
  const iommu: PanelWire['iommu'] = [];
  if (want('iommu')) {
    walkDomains(k, a.maxIommu ?? 20000, (head) => {
      const entries: IommuEntryTuple[] = [];
      iommu.push(Object.assign(head, { entries }));
      return (iova, phys, _size, level, perm, pte, owner, fault) => entries.push([iova, phys, level, perm, owner ? owner.id : -1, pte, fault ? 1 : 0]);
    });
  }
  return {
    wire: 1,
    strings,
    vaBase: kernelVaHex(k, 0),
    now_ns: k.now,
    platform: k.platform.name,
    arch: k.platform.arch,
    lineSize: k.cache.lineSize,
    stop: stop ? { reason: stop.reason, filter: stop.filter, description: stop.description, site: stop.site } : null,
    event: lastEvent ? eventJson(lastEvent) : null,
    mappings,
    iommu,
    findings: want('findings') ? findingsSnapshot(k) : [],
    timeline: want('timeline') ? panelTimeline(k, a.maxEvents ?? 2000) : { from: 0, now: k.now, truncated: false, devices: [], bars: [], ticks: [] },
    memoryMap: want('memoryMap') ? memoryMap(k) : { platform: k.platform.name, arch: k.platform.arch, regions: [], devices: [] },
    coherency: want('coherency') ? coherencyView(k, a.mapping) : null,
  };
}

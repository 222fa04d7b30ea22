/**
 * Read-only snapshots of DMA state for debuggers and panels: live mappings, IOMMU page tables,
 * cache state of a range, findings, a window of the timeline, and the per-device DMA summary of
 * the debugger's DMA scope. Plain JSON, so they cross thread and process boundaries.
 */
import type { Kernel } from '../kernel/kernel';
import { findingJson, type FindingJson, type SourceLocation } from '../kernel/findings';
import { dirName } from '../kernel/dma/dir';
import type { TraceEvent } from '../trace/events';
import type { DmaEntry } from '../kernel/dma/debug';
import type { IommuDomain } from '../kernel/dma/iommu-domain';
import { IO_LEVELS } from '../hw/io-pte';
import { FRAME_SIZE } from '../hw/physical-memory';

const HEX_BYTE = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * `0x` + lower-case hex of a non-negative integer below 2^53. Number#toString(16) is slow for
 * values past 2^31 (most physical and kernel addresses), and snapshots format tens of thousands.
 */
function hex(n: number): string {
  if (n <= 0x7fffffff) return `0x${n.toString(16)}`;
  let hi = Math.floor(n / 0x1_0000_0000);
  let lo = n >>> 0;
  let s = HEX_BYTE[lo & 255];
  lo >>>= 8;
  s = HEX_BYTE[lo & 255] + s;
  lo >>>= 8;
  s = HEX_BYTE[lo & 255] + s;
  s = HEX_BYTE[lo >>> 8] + s;
  while (hi) {
    s = HEX_BYTE[hi & 255] + s;
    hi = Math.floor(hi / 256);
  }
  let i = 0;
  while (i < s.length - 1 && s.charCodeAt(i) === 48) i++;
  return `0x${s.slice(i)}`;
}

export interface MappingRow {
  id: number;
  device: string;
  type: string;
  dir: string;
  dma: string;
  size: number;
  cpuPhys: string[];
  /** CPU virtual address of the buffer (linear map), when it has one. */
  cpuVa?: string;
  owner: 'cpu' | 'device';
  bounce?: string;
  createdAt?: SourceLocation;
}

export function liveMappings(k: Kernel): MappingRow[] {
  const vaHex = (kva: number) => `0x${k.as.va(kva).toString(16)}`;
  return (k.debug?.entries() ?? []).map((e) => {
    const linear = e.kva >= 0 ? -1 : k.as.linearVa(e.cpu[0]?.phys ?? -1);
    return {
      id: e.id,
      device: e.dev.nodeName,
      type: e.type,
      dir: e.type === 'coherent' ? 'coherent' : dirName(e.dir),
      dma: hex(e.dma),
      size: e.size,
      cpuPhys: e.cpu.map((c) => `${hex(c.phys)}+${c.len}`),
      cpuVa: e.kva >= 0 ? vaHex(e.kva) : linear >= 0 ? vaHex(linear) : undefined,
      owner: e.owner,
      bounce: e.bounce !== undefined ? hex(e.bounce) : undefined,
      createdAt: e.site?.location(),
    };
  });
}

/** One valid leaf (4 KiB page) or block (2 MiB) entry of an IOMMU page table. */
export interface IommuEntryRow {
  iova: string;
  phys: string;
  size: number;
  read: boolean;
  write: boolean;
  /** Id of the live mapping (MappingRow.id) that owns the entry, if any. */
  mapping?: number;
  /** The script line that created the owning mapping. */
  createdAt?: SourceLocation;
  /** Table level of the entry: 1 = a 4 KiB page in a leaf table, 2 = a 2 MiB block. */
  level: number;
  /** The raw 64-bit entry (where it sits: the domain's level-1 or level-2 table covering `iova`). */
  pte: string;
  /** A recorded IOMMU fault hit this entry (a permission fault). */
  fault?: boolean;
}

/** A fault the IOMMU recorded for a device of the domain (from the trace). */
export interface IommuFaultRow {
  iova: string;
  write: boolean;
  reason: string;
  text: string;
  t: number;
  /** The script line that started the faulting transfer. */
  at?: SourceLocation;
}

export interface IommuTableRow {
  domain: number;
  device: string;
  iommu: string;
  format: string;
  root: string;
  /** Levels of the page-table walk (4: 48-bit IOVA, 4 KiB granule). */
  levels: number;
  /** Every table page of the domain reachable from the root, top level first. */
  tables: { level: number; phys: string; iova: string; valid: number }[];
  /** Bytes mapped through the domain. */
  mappedBytes: number;
  entries: IommuEntryRow[];
  truncated: boolean;
  /** Faults of the domain's devices, oldest first (at most the last 200). */
  faults: IommuFaultRow[];
}

const hexU64 = (n: number) => `0x${hex(n).slice(2).padStart(16, '0')}`;

/** Live mappings' device-side ranges of one domain, sorted by address (for owner lookups in one pass). */
function busRanges(entries: DmaEntry[], domain: IommuDomain): { start: number; end: number; e: DmaEntry }[] {
  const out: { start: number; end: number; e: DmaEntry }[] = [];
  for (const e of entries) if (e.dev.dma.domain === domain) for (const b of e.bus) if (b.len > 0) out.push({ start: b.dma, end: b.dma + b.len, e });
  out.sort((a, b) => a.start - b.start);
  return out;
}

/** IOMMU faults in the trace, indexed incrementally per kernel (a snapshot never rescans the whole trace). */
const faultIndex = new WeakMap<Kernel, { scanned: number; byDevice: Map<string, Extract<TraceEvent, { kind: 'iommu-fault' }>[]> }>();

function faultsOf(k: Kernel, device: string): Extract<TraceEvent, { kind: 'iommu-fault' }>[] {
  let idx = faultIndex.get(k);
  if (!idx) faultIndex.set(k, (idx = { scanned: 0, byDevice: new Map() }));
  const ev = k.trace.events;
  for (let i = idx.scanned; i < ev.length; i++) {
    const e = ev[i];
    if (e.kind !== 'iommu-fault') continue;
    let l = idx.byDevice.get(e.device);
    if (!l) idx.byDevice.set(e.device, (l = []));
    l.push(e);
    if (l.length > 400) l.splice(0, 200);
  }
  idx.scanned = ev.length;
  return (idx.byDevice.get(device) ?? []).slice(-200);
}

/**
 * Called for each valid entry the walk finds (numbers; the snapshots format them): `perm` is
 * read 1 + write 2, `owner` the live mapping the entry belongs to, `fault` whether a recorded fault
 * hit it. Positional, so the walk allocates nothing per entry.
 */
type OnEntry = (iova: number, phys: number, size: number, level: number, perm: number, pte: number, owner: DmaEntry | undefined, fault: boolean) => void;

/** A domain without its entries. */
export type DomainHead = Omit<IommuTableRow, 'entries'>;

/**
 * Walk every IOMMU domain's tables in RAM, the way the IOMMU does, calling `onEntry` for each valid
 * leaf or block (in IOVA order, at most `max` per domain) with the live mapping that owns it and
 * whether a recorded fault hit it. Linear in entries + mappings: owners are found in one merge
 * pass over the domain's mappings sorted by bus address.
 */
function walkDomains(k: Kernel, max: number, onDomain: (head: DomainHead) => OnEntry): void {
  const entries = k.debug?.entries() ?? [];
  const ram = k.ram;
  for (const dev of k.devices) {
    const d = dev.dma.domain;
    if (!d) continue;
    const fmt = d.iommu.format;
    const ranges = busRanges(entries, d);
    const faults = faultsOf(k, dev.nodeName);
    const faultIovas = faults.map((f) => f.iova).sort((a, b) => a - b);
    const head: DomainHead = {
      domain: d.id,
      device: dev.nodeName,
      iommu: d.iommu.name,
      format: fmt.name,
      root: hex(d.root),
      levels: IO_LEVELS,
      tables: [],
      mappedBytes: d.mappedBytes,
      truncated: false,
      faults: faults.map((f) => ({ iova: hex(f.iova), write: f.write, reason: f.reason, text: f.text, t: f.t, at: f.site?.location() })),
    };
    const onEntry = onDomain(head);
    let n = 0;
    let j = 0;
    let fp = 0;
    const walk = (table: number, level: number, base: number): void => {
      const span = 2 ** (12 + 9 * (level - 1));
      const t = { level, phys: hex(table), iova: hex(base), valid: 0 };
      head.tables.push(t);
      // the table page straight from its frame (4 KiB-aligned: never split across frames)
      const frame = ram.peekFrame(table);
      if (!frame) return;
      const dv = new DataView(frame.buffer, frame.byteOffset + (table % FRAME_SIZE), 4096);
      for (let i = 0; i < 512; i++) {
        const lo = dv.getUint32(i * 8, true);
        const hi = dv.getUint32(i * 8 + 4, true);
        if (lo === 0 && hi === 0) continue;
        const pte = hi * 0x1_0000_0000 + lo;
        const e = level === 1 ? fmt.leaf(pte) : fmt.upper(pte);
        if (e < 0) continue;
        t.valid++;
        const iova = base + i * span;
        if (level !== 1 && e % 4 === 0) {
          walk(e, level - 1, iova);
          continue;
        }
        if (n >= max) {
          head.truncated = true;
          continue;
        }
        n++;
        while (j < ranges.length && ranges[j].end <= iova) j++;
        while (fp < faultIovas.length && faultIovas[fp] < iova) fp++;
        const perm = e % 4;
        onEntry(iova, e - perm, span, level, perm, pte, j < ranges.length && ranges[j].start < iova + span ? ranges[j].e : undefined, fp < faultIovas.length && faultIovas[fp] < iova + span);
      }
    };
    walk(d.root, IO_LEVELS, 0);
  }
}

/**
 * The page tables of every IOMMU domain, read from RAM the way the IOMMU walks them: each valid
 * leaf or block with its level, raw entry, permissions, the live mapping that owns it and the line
 * that created that mapping; the table pages of each level; the faults of the domain's devices.
 */
export function iommuTables(k: Kernel, max = 4096, opts: { createdAt?: boolean } = {}): IommuTableRow[] {
  const out: { head: DomainHead; rows: IommuEntryRow[] }[] = [];
  walkDomains(k, max, (head) => {
    const rows: IommuEntryRow[] = [];
    out.push({ head, rows });
    return (iova, phys, size, level, perm, pte, owner, fault) => {
      const row: IommuEntryRow = { iova: hex(iova), phys: hex(phys), size, read: (perm & 1) !== 0, write: (perm & 2) !== 0, mapping: owner?.id, level, pte: hexU64(pte) };
      if (opts.createdAt !== false && owner) row.createdAt = owner.site?.location();
      if (fault) row.fault = true;
      rows.push(row);
    };
  });
  return out.map(({ head, rows }) => ({ ...head, entries: rows }));
}

export function cacheState(k: Kernel, phys: number, len: number): { lineSize: number; lines: { addr: string; state: string }[] } {
  return { lineSize: k.cache.lineSize, lines: k.cache.linesIn(phys, Math.min(len, 1 << 24)).map((l) => ({ addr: hex(l.addr), state: l.state })) };
}

export function findingsSnapshot(k: Kernel): FindingJson[] {
  return k.findings.map(findingJson);
}

/** Events in [from, to] (virtual ns), at most `max`, as plain objects. */
export function timeline(k: Kernel, from = 0, to = Infinity, max = 5000): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const e of k.trace.events) {
    if (e.t < from || e.t > to || e.kind === 'log') continue;
    out.push(eventJson(e));
    if (out.length >= max) break;
  }
  return out;
}

export function eventJson(e: TraceEvent): Record<string, unknown> {
  const { site, ...rest } = e as TraceEvent & { site?: { location(): SourceLocation | undefined } };
  const o: Record<string, unknown> = { ...rest };
  if (e.kind === 'finding') o.finding = { id: e.finding.id, severity: e.finding.severity, message: e.finding.message };
  for (const key of ['dma', 'phys', 'bus', 'iova', 'orig', 'slot'] as const) if (typeof o[key] === 'number') o[key] = hex(o[key] as number);
  const at = site?.location();
  if (at) o.at = at;
  return o;
}

/** The debugger's DMA scope: per device, what is mapped, what the hardware is doing. */
export function dmaScope(k: Kernel, lastEvent?: TraceEvent) {
  return {
    devices: k.machine.devices.map((md) => {
      const dev = k.deviceOf(md.desc);
      return {
        device: md.desc.name,
        registers: md.model.snapshot(),
        mappings: liveMappings(k).filter((m) => m.device === md.desc.name),
        iommu: dev?.dma.domain ? `domain ${dev.dma.domain.id} on ${dev.dma.domain.iommu.name}` : 'none (dma-direct)',
      };
    }),
    pendingEvents: k.machine.sched.snapshot().slice(0, 50),
    lastEvent: lastEvent ? eventJson(lastEvent) : null,
    findings: findingsSnapshot(k),
    now_ns: k.now,
  };
}

export interface MemoryMapRegion {
  kind: 'ram' | 'mmio' | 'swiotlb' | 'reserved';
  name: string;
  base: string;
  size: number;
  /** swiotlb: bytes of bounce slots in use now. */
  used?: number;
}

export interface MemoryMapDevice {
  /** Node name with unit address ("dad@10000000"), usable in `iova:<device>:0x…` references. */
  name: string;
  labels: string[];
  compatible: string;
  coherent: boolean;
  /** "smmu0 (stream 0x10)", "dma-ranges", or "direct". */
  translation: string;
  /** Highest bus address the device reaches +1, hex; absent when it reaches everything. */
  dmaLimit?: string;
}

/** The physical address map: RAM banks, device MMIO, the swiotlb pool, reserved regions; and the bus masters. */
export function memoryMap(k: Kernel): { platform: string; arch: string; regions: MemoryMapRegion[]; devices: MemoryMapDevice[] } {
  const p = k.platform;
  const regions: MemoryMapRegion[] = [];
  p.memory.forEach((b, i) => regions.push({ kind: 'ram', name: p.memory.length > 1 ? `RAM bank ${i}` : 'RAM', base: hex(b.base), size: b.size }));
  for (const r of p.reserved) regions.push({ kind: 'reserved', name: `${r.name} (${r.kind})`, base: hex(r.base), size: r.size });
  if (k.swiotlb) regions.push({ kind: 'swiotlb', name: 'swiotlb', base: hex(k.swiotlb.start), size: k.swiotlb.size, used: k.swiotlb.used * 2048 });
  for (const d of p.devices) for (const r of d.reg) regions.push({ kind: 'mmio', name: d.name, base: hex(r.base), size: r.size });
  regions.sort((a, b) => Number(BigInt(a.base) - BigInt(b.base)));
  const devices = p.devices.map((d) => ({
    name: d.name,
    labels: d.node.labels,
    compatible: d.compatible[0] ?? '',
    coherent: d.coherent,
    translation: d.iommu ? `${d.iommu.desc.name} (stream 0x${d.iommu.streamId.toString(16)})` : d.dmaRanges.length ? 'dma-ranges' : 'direct',
    dmaLimit: Number.isFinite(d.busDmaLimit) ? hex(d.busDmaLimit) : undefined,
  }));
  return { platform: p.name, arch: p.arch, regions, devices };
}

// ---- the DMA panel ----------------------------------------------------------------------

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
    dir: entry.type === 'coherent' ? 'coherent' : dirName(entry.dir),
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
      mappings.push([e.id, str(e.dev.nodeName), str(e.type), str(e.type === 'coherent' ? 'coherent' : dirName(e.dir)), e.dma, e.size, cpu, va, e.owner === 'device' ? 1 : 0, e.bounce ?? -1, at ? str(at.file) : -1, at?.line ?? 0, at?.column ?? 0]);
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
    vaBase: `0x${k.as.va(0).toString(16)}`,
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

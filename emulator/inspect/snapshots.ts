/**
 * Read-only snapshots of DMA state for debuggers and panels: live mappings, IOMMU page tables,
 * cache state of a range, findings, a window of the timeline, the physical memory map, and the
 * per-device DMA summary of the debugger's DMA scope. Plain JSON, so they cross thread and process
 * boundaries. The panel's combined snapshot is built from these in panel-snapshot.ts.
 */
import type { Kernel } from '../kernel/kernel';
import type { DeviceDesc } from '../platform/model';
import { findingJson, type FindingJson, type SourceLocation } from '../kernel/findings';
import { dirName } from '../kernel/dma/dir';
import type { TraceEvent } from '../trace/events';
import type { DmaEntry } from '../kernel/dma/debug';
import type { IommuDomain } from '../kernel/dma/iommu-domain';
import { IO_LEVELS } from '../hw/io-pte';
import { FRAME_SIZE } from '../hw/physical-memory';
import { hexAddress as hex, hexU64 } from '../lib/hex';

/** A mapping's direction as the snapshots write it: `coherent` for coherent allocations, else `DMA_…`. */
export function mappingDir(e: Pick<DmaEntry, 'type' | 'dir'>): string {
  return e.type === 'coherent' ? 'coherent' : dirName(e.dir);
}

/** A kernel virtual address (an offset in the kernel's address space) in hex. */
export function kernelVaHex(k: Kernel, kva: number): string {
  return `0x${k.as.va(kva).toString(16)}`;
}

/** How a device's bus addresses reach memory: "smmu0 (stream 0x10)", "dma-ranges" or "direct". */
export function translationOf(d: DeviceDesc): string {
  return d.iommu ? `${d.iommu.desc.name} (stream 0x${d.iommu.streamId.toString(16)})` : d.dmaRanges.length ? 'dma-ranges' : 'direct';
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
  const vaHex = (kva: number) => kernelVaHex(k, kva);
  // oldest first (the checker keeps them per device)
  return [...(k.debug?.entries() ?? [])].sort((a, b) => a.id - b.id).map((e) => {
    const linear = e.kva >= 0 ? -1 : k.as.linearVa(e.cpu[0]?.phys ?? -1);
    return {
      id: e.id,
      device: e.dev.nodeName,
      type: e.type,
      dir: mappingDir(e),
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
export function walkDomains(k: Kernel, max: number, onDomain: (head: DomainHead) => OnEntry): void {
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
    translation: translationOf(d),
    dmaLimit: Number.isFinite(d.busDmaLimit) ? hex(d.busDmaLimit) : undefined,
  }));
  return { platform: p.name, arch: p.arch, regions, devices };
}

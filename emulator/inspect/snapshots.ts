/**
 * Read-only snapshots of DMA state for debuggers and panels: live mappings, IOMMU page tables,
 * cache state of a range, findings, a window of the timeline, and the per-device DMA summary of
 * the debugger's DMA scope. Plain JSON, so they cross thread and process boundaries.
 */
import type { Kernel } from '../kernel/kernel';
import { findingJson, type FindingJson, type SourceLocation } from '../kernel/findings';
import { dirName } from '../kernel/dma/dir';
import type { TraceEvent } from '../trace/events';

const hex = (n: number) => `0x${n.toString(16)}`;

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
  return (k.debug?.entries() ?? []).map((e) => ({
    id: e.id,
    device: e.dev.nodeName,
    type: e.type,
    dir: e.type === 'coherent' ? 'coherent' : dirName(e.dir),
    dma: hex(e.dma),
    size: e.size,
    cpuPhys: e.cpu.map((c) => `${hex(c.phys)}+${c.len}`),
    cpuVa: e.kva >= 0 ? `0x${k.as.va(e.kva).toString(16)}` : k.as.linearVa(e.cpu[0]?.phys ?? -1) >= 0 ? `0x${k.as.va(k.as.linearVa(e.cpu[0].phys)).toString(16)}` : undefined,
    owner: e.owner,
    bounce: e.bounce !== undefined ? hex(e.bounce) : undefined,
    createdAt: e.site?.location(),
  }));
}

export interface IommuTableRow {
  domain: number;
  device: string;
  iommu: string;
  format: string;
  root: string;
  entries: { iova: string; phys: string; size: number; read: boolean; write: boolean; mapping?: number }[];
  truncated: boolean;
}

export function iommuTables(k: Kernel, max = 4096): IommuTableRow[] {
  const out: IommuTableRow[] = [];
  const entries = k.debug?.entries() ?? [];
  for (const dev of k.devices) {
    const d = dev.dma.domain;
    if (!d) continue;
    const rows: IommuTableRow['entries'] = [];
    let truncated = false;
    for (const l of d.leaves()) {
      if (rows.length >= max) {
        truncated = true;
        break;
      }
      const owner = entries.find((e) => e.dev === dev && e.bus.some((b) => l.iova < b.dma + b.len && b.dma < l.iova + l.size));
      rows.push({ iova: hex(l.iova), phys: hex(l.phys), size: l.size, read: l.read, write: l.write, mapping: owner?.id });
    }
    out.push({ domain: d.id, device: dev.nodeName, iommu: d.iommu.name, format: d.iommu.format.name, root: hex(d.root), entries: rows, truncated });
  }
  return out;
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

/**
 * What the panel's status line says, and the findings it keeps: pure functions of what the
 * adapter reported (no `vscode` here, so tests run them in Node).
 */
import type { FindingJson } from '../../emulator/kernel/findings';
import type { PanelSnapshot, PanelWire } from '../../emulator/inspect/panel-snapshot';

const hex = (v: unknown) => (typeof v === 'string' ? v : typeof v === 'number' ? `0x${v.toString(16)}` : String(v));

/** A frame the stop happened in (the top of the stack trace). */
export interface TopFrame {
  name: string;
  file?: string;
  line: number;
}

/**
 * "Paused on dma_map_single → iova 0xfffff000, 4096 bytes, DMA_FROM_DEVICE" for a DMA-event stop;
 * "Paused on breakpoint at dad.ts:40 (dad_transfer)" for a line; the adapter's description otherwise.
 */
export function stopText(snap: Pick<PanelSnapshot, 'stop' | 'event'> & { iommu: readonly { device: string }[] } | null, hub: { reason: string; description?: string } | undefined, frame?: TopFrame): string {
  const where = frame?.file ? ` at ${frame.file.replace(/^.*[\\/]/, '')}:${frame.line}${frame.name ? ` (${frame.name})` : ''}` : '';
  const stop = snap?.stop;
  const ev = snap?.event;
  if (stop && stop.reason === 'event' && ev) {
    const translated = snap.iommu.some((d) => d.device === ev.device);
    switch (ev.kind) {
      case 'dma-map':
        return `Paused on ${ev.api} → ${translated ? 'iova' : 'dma'} ${hex(ev.dma)}, ${ev.size} bytes, ${ev.dir}${ev.bounced ? ', bounced through swiotlb' : ''}${where}`;
      case 'dma-unmap':
      case 'dma-sync':
        return `Paused on ${ev.api} ${translated ? 'iova' : 'dma'} ${hex(ev.dma)}, ${ev.size} bytes, ${ev.dir}${where}`;
      case 'iommu-fault':
        return `Paused on IOMMU ${ev.reason} fault: ${ev.device} ${ev.write ? 'write' : 'read'} at iova ${hex(ev.iova)}${where}`;
    }
    return `Paused on ${stop.description}${where}`;
  }
  if (stop) return `Paused on ${stop.description}${where}`;
  const d = hub?.description?.trim();
  if (d && /^paused/i.test(d)) return `${d}${where}`;
  if (d) return `Paused on ${d}${where}`;
  return `Paused${hub?.reason ? ` (${hub.reason})` : ''}${where}`;
}

const key = (f: FindingJson) => `${f.id}|${f.device}|${f.location ? `${f.location.file}:${f.location.line}:${f.location.column}` : f.message}`;

/** The snapshot's findings plus those reported since (while running, after the last refresh), once each. */
export function mergeFindings(base: readonly FindingJson[], later: readonly FindingJson[]): FindingJson[] {
  const out = [...base];
  const seen = new Set(base.map(key));
  for (const f of later) {
    if (seen.has(key(f))) continue;
    seen.add(key(f));
    out.push(f);
  }
  return out;
}

/** A snapshot that only carries findings: a run that ended before the panel could ask for any state. */
export function findingsOnly(findings: FindingJson[], platform = ''): PanelWire {
  return {
    wire: 1,
    strings: [],
    vaBase: '0x0',
    now_ns: findings.reduce((t, f) => Math.max(t, f.time_ns), 0),
    platform,
    arch: '',
    lineSize: 64,
    stop: null,
    event: null,
    mappings: [],
    iommu: [],
    findings,
    timeline: { from: 0, now: 0, truncated: false, devices: [], bars: [], ticks: [] },
    memoryMap: { platform, arch: '', regions: [], devices: [] },
    coherency: null,
  };
}

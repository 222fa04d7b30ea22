/**
 * Findings: every misuse of the DMA API or breach of coherency the checker names. Each has a stable
 * id (API.md), a severity, a message in Linux dma-debug wording where Linux has one, and the
 * driver's source location (where it happened) plus related locations (where the buffer was
 * mapped, where the device wrote it).
 */
import type { CallSite } from './call-site';

export type Severity = 'error' | 'warning' | 'info';

export const FINDING_SEVERITY = {
  'unmap-unknown': 'error',
  'unmap-size-mismatch': 'error',
  'unmap-wrong-function': 'error',
  'unmap-dir-mismatch': 'error',
  'free-coherent-cpu-mismatch': 'error',
  'sg-count-mismatch': 'error',
  'map-error-unchecked': 'error',
  'sync-unknown': 'error',
  'sync-out-of-range': 'error',
  'sync-dir-mismatch': 'error',
  'map-from-stack': 'error',
  'map-from-vmalloc': 'error',
  'mask-unreachable': 'error',
  'swiotlb-full': 'warning',
  'overlapping-cacheline': 'warning',
  'leak-at-remove': 'error',
  'cpu-read-device-owned': 'error',
  'cpu-read-stale': 'error',
  'cpu-write-device-owned': 'error',
  'device-write-to-device-read-only': 'error',
  'device-access-after-unmap': 'error',
  'device-access-out-of-mapping': 'error',
  'dirty-cache-not-flushed': 'error',
  'cacheline-shared': 'warning',
  'sleep-in-irq': 'error',
  'iommu-fault': 'error',
  'dmaengine-not-issued': 'error',
  'dmaengine-desc-reuse': 'error',
  'dmaengine-wrong-device': 'error',
  'ddi-bind-inuse': 'error',
  'ddi-sync-out-of-window': 'error',
  'ddi-free-bound-handle': 'error',
} as const satisfies Record<string, Severity>;

export type FindingId = keyof typeof FINDING_SEVERITY;

/** Findings about the CPU's and devices' views of memory disagreeing (the `coherency` breakpoint filter). */
export const COHERENCY_FINDINGS: ReadonlySet<FindingId> = new Set<FindingId>([
  'cpu-read-device-owned',
  'cpu-read-stale',
  'cpu-write-device-owned',
  'dirty-cache-not-flushed',
  'cacheline-shared',
  'overlapping-cacheline',
]);

export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

export interface Related {
  message: string;
  site?: CallSite;
}

export interface Finding {
  id: FindingId;
  severity: Severity;
  message: string;
  device: string;
  /** Virtual time, ns. */
  t: number;
  site?: CallSite;
  related: Related[];
  /** How many times the same finding recurred at the same place (reported once). */
  count: number;
}

/** A finding as plain JSON (reports, debugger events, panels): locations resolved. */
export interface FindingJson {
  id: string;
  severity: string;
  message: string;
  device: string;
  time_ns: number;
  count: number;
  location: SourceLocation | null;
  related: { message: string; location: SourceLocation | null }[];
}

export function findingJson(f: Finding): FindingJson {
  return {
    id: f.id,
    severity: f.severity,
    message: f.message,
    device: f.device,
    time_ns: f.t,
    count: f.count,
    location: f.site?.location() ?? null,
    related: f.related.map((r) => ({ message: r.message, location: r.site?.location() ?? null })),
  };
}

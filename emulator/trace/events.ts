/**
 * The typed event stream: every map, sync, allocation, transfer, interrupt, fault, finding and log
 * line of a run, in virtual-time order. The CLI report, the Chrome trace, the debugger and the
 * panel all consume this stream (and read-only snapshots); none reaches into emulator internals.
 */
import type { Finding } from '../kernel/findings';
import type { CallSite } from '../kernel/call-site';

export type DmaDir = 'DMA_BIDIRECTIONAL' | 'DMA_TO_DEVICE' | 'DMA_FROM_DEVICE' | 'DMA_NONE';

interface Base {
  /** Virtual time, ns. */
  t: number;
  /** Device name (node name) or '' for the kernel. */
  device: string;
  /** The driver-script line that caused it, when there is one. */
  site?: CallSite;
}

export type TraceEvent =
  | (Base & { kind: 'log'; level: 'err' | 'warn' | 'info' | 'debug'; text: string })
  | (Base & { kind: 'dma-map'; api: string; dma: number; phys: number; size: number; dir: DmaDir; bounced: boolean; id: number })
  | (Base & { kind: 'dma-unmap'; api: string; dma: number; size: number; dir: DmaDir; id: number })
  | (Base & { kind: 'dma-sync'; api: string; dma: number; size: number; dir: DmaDir; forCpu: boolean })
  | (Base & { kind: 'dma-alloc'; api: string; dma: number; phys: number; size: number; free: boolean; id: number })
  | (Base & { kind: 'bounce'; dir: 'to-slot' | 'from-slot'; orig: number; slot: number; size: number })
  | (Base & { kind: 'transfer-start'; id: number; bus: number; size: number; write: boolean; label: string })
  | (Base & { kind: 'transfer-complete'; id: number; bus: number; size: number; write: boolean; ok: boolean; done: number; label: string })
  | (Base & { kind: 'interrupt'; line: number; handled: boolean })
  | (Base & { kind: 'iommu-fault'; iommu: string; iova: number; write: boolean; reason: string; text: string })
  | (Base & { kind: 'finding'; finding: Finding });

export type TraceKind = TraceEvent['kind'];

export type TraceListener = (e: TraceEvent) => void;

export class Trace {
  readonly events: TraceEvent[] = [];
  private listeners: TraceListener[] = [];
  /** Keep every event in `events` (the CLI and tests do; a long debug session may not). */
  record = true;

  subscribe(l: TraceListener): () => void {
    this.listeners.push(l);
    return () => {
      this.listeners = this.listeners.filter((x) => x !== l);
    };
  }

  emit(e: TraceEvent): void {
    if (this.record) this.events.push(e);
    for (const l of this.listeners) l(e);
  }
}

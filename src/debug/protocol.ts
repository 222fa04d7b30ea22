/**
 * Messages between the debug adapter (main thread) and the worker that runs the emulator and the
 * script. Requests that need the worker's state go over CDP (Runtime.evaluate calling
 * `globalThis.__dmalab.call`), which works whether the script runs or is paused; these messages
 * carry what the worker announces on its own.
 */
import type { FindingJson } from '../../emulator/kernel/findings';

export interface LaunchConfig {
  program: string;
  platform: string;
  seed: number;
  stopOnEntry: boolean;
  showEmulatorFrames: boolean;
  /** Show the await chain in stacks (V8 async stack traces; slows the run). */
  asyncStackTraces: boolean;
  trace?: string;
}

/** The read-only snapshots the adapter serves as `dmalab/<name>` custom requests. */
export const SNAPSHOT_NAMES = ['mappings', 'iommuTables', 'cacheState', 'findings', 'timeline', 'dmaScope', 'memoryMap', 'addressViews', 'panel'] as const;

/** An exception-breakpoint filter the user enabled, with its optional condition on the event. */
export interface EventFilter {
  id: string;
  condition?: string;
}

export type WorkerToAdapter =
  | { type: 'bundle'; filename: string; url: string; entry: string; map: string }
  | { type: 'output'; category: 'console' | 'stdout' | 'stderr' | 'important'; text: string; location?: { file: string; line: number; column: number } }
  | { type: 'finding'; finding: FindingJson }
  | { type: 'memory'; memoryReference: string; count: number }
  | { type: 'exit'; exitCode: number; error?: { message: string; location?: { file: string; line: number; column: number }; stack?: string } };

export type AdapterToWorker = { type: 'go'; filters: EventFilter[]; functions: string[]; uncaught: boolean };

/** What the worker says about the pause it caused (read with `__dmalab.call('takeStop')`). */
export interface StopInfo {
  reason: 'event' | 'function' | 'exception' | 'data';
  /** Increases with every stop the probe makes (tells a new stop from the one being stepped out of). */
  seq?: number;
  filter?: string;
  description: string;
  /** The script line behind a hardware event, shown as the top frame when no script frame is on the stack. */
  site?: { file: string; line: number; column: number };
  /** Messages the worker had posted when it paused (the adapter waits for them before the stop). */
  posted?: number;
}

/** Exception-breakpoint filters for DMA events (API.md). */
export const DMA_FILTERS: { filter: string; label: string; description: string }[] = [
  { filter: 'dma-map', label: 'DMA map', description: 'Stop at every streaming mapping (dma_map_single, dma_map_page, dma_map_sg, dma_map_resource)' },
  { filter: 'dma-unmap', label: 'DMA unmap', description: 'Stop at every unmap' },
  { filter: 'dma-sync', label: 'DMA sync', description: 'Stop at every dma_sync_*' },
  { filter: 'dma-alloc', label: 'DMA coherent alloc/free', description: 'Stop at dma_alloc_coherent and its frees' },
  { filter: 'transfer-start', label: 'Transfer start', description: 'Stop when a device starts a DMA transfer' },
  { filter: 'transfer-complete', label: 'Transfer complete', description: 'Stop when a device finishes a DMA transfer (hardware frozen at that instant)' },
  { filter: 'interrupt', label: 'Interrupt', description: 'Stop when an interrupt is delivered, before its handler runs' },
  { filter: 'iommu-fault', label: 'IOMMU fault', description: 'Stop when the IOMMU faults a device access' },
  { filter: 'bounce', label: 'swiotlb bounce', description: 'Stop when data is copied through a bounce buffer' },
  { filter: 'dma-api-error', label: 'DMA-API error', description: 'Stop at any finding of severity error' },
  { filter: 'coherency', label: 'Coherency finding', description: 'Stop at any coherency finding (stale reads, dirty lines, ownership, shared cache lines)' },
];

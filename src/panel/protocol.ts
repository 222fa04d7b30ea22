/**
 * Messages between the DMA panel's host side (the extension) and its webview. Plain JSON: the
 * snapshot is the one the adapter serves as `dmalab/panel` (emulator/inspect/snapshots.ts).
 */
import type { CoherencyView, PanelSnapshot, PanelWire } from '../../emulator/inspect/panel-snapshot';

export type { CoherencyView, PanelSnapshot, PanelWire };

/** What the panel says about the session it follows. */
export interface PanelStatus {
  state: 'idle' | 'paused' | 'running' | 'ended';
  /** The line `#stop` shows: "Paused on …", "Running", "Run ended", or why there is nothing to show. */
  text: string;
  /** The program being debugged (shown beside the status). */
  program?: string;
  /** The last refresh failed: the panel keeps showing the previous snapshot. */
  error?: string;
}

export type HostToWebview =
  /** A new snapshot as the adapter sent it (or none, before the first stop of a session), with the status. */
  | { type: 'state'; status: PanelStatus; snapshot: PanelWire | null }
  /** The status changed, the snapshot did not (continue, end of the run, a failed refresh). */
  | { type: 'status'; status: PanelStatus }
  /** The coherency of the buffer the user chose. */
  | { type: 'coherency'; coherency: CoherencyView | null };

export type WebviewToHost =
  | { type: 'ready' }
  /** Open a driver-script location (1-based line and column). */
  | { type: 'openSource'; file: string; line: number; column?: number }
  /** Open the memory view of a mapping: addresses as the mappings snapshot writes them. */
  | { type: 'openMemory'; cpu?: string; phys?: string; device: string; dma: string }
  /** Show this mapping's cache lines in the coherency section. */
  | { type: 'selectMapping'; id: number };

/**
 * What a device model is given and what it provides. A model sees its MMIO window, its DMA port
 * (addresses go through the IOMMU or dma-ranges; it cannot tell), its interrupt lines and virtual
 * time. It reports transfers so that traces and the checker can attribute every access.
 */
import type { Bus, DmaPort, MmioHandler } from '../hw/bus';
import type { InterruptController } from '../hw/interrupt-controller';
import type { Scheduler } from '../hw/scheduler';
import type { DeviceDesc } from '../platform/model';

/** Opaque attribution handed back with each access of a transfer. */
export type TransferHandle = unknown;

export interface DeviceContext {
  readonly desc: DeviceDesc;
  readonly sched: Scheduler;
  readonly bus: Bus;
  readonly port: DmaPort;
  readonly irqc: InterruptController;
  /** Effective DMA bandwidth in bytes per ns (device knob limited by the bus). */
  readonly bytesPerNs: number;
  irqLine(index?: number): number;
  log(level: 'err' | 'warn' | 'info', text: string): void;
  transferStart(label: string, bus: number, size: number, write: boolean): TransferHandle;
  transferEnd(h: TransferHandle, ok: boolean, done: number): void;
}

export interface DeviceModel extends MmioHandler {
  readonly compatible: string;
  /** Register and state snapshot for panels and tests. */
  snapshot(): Record<string, number | string | boolean>;
}

export type DeviceFactory = (ctx: DeviceContext) => DeviceModel;

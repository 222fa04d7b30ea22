/**
 * dev_info_t: a device node as a DDI driver sees it, bound to one platform device. It carries the
 * instance number, the driver's private data, and what the driver obtained through it (DMA
 * handles, register mappings, interrupt handles, minor nodes), so that detach can tell what the
 * driver forgot to give back.
 */
import type { Device } from '../device';
import type { PlatformDevice } from '../driver-core';
import type { Kernel } from '../kernel';
import type { CbOps } from './minor';

export interface DdiResource {
  /** What it is, for the message when detach leaves it behind. */
  readonly what: string;
  /** Release it (called only when the driver left it behind). */
  release(): void;
}

export class DevInfo {
  /** ddi_set_driver_private() */
  driverPrivate: unknown = undefined;
  /** DMA handles, access handles, interrupt handles, memory, minor nodes still held. */
  readonly held = new Set<DdiResource>();
  private handleIds = 1;

  constructor(
    /** @internal */ readonly k: Kernel,
    /** @internal */ readonly pdev: PlatformDevice,
    readonly instance: number,
    readonly driverName: string,
    readonly major: number,
    /** @internal */ readonly cbOps: CbOps | undefined,
  ) {}

  /** @internal the kernel's struct device behind the node */
  get dev(): Device {
    return this.pdev.dev;
  }

  /** "dad0" */
  get instanceName(): string {
    return `${this.driverName}${this.instance}`;
  }

  /** @internal */
  nextHandleId(): number {
    return this.handleIds++;
  }

  toString(): string {
    return `dev_info(${this.instanceName} at ${this.dev.desc.node.path})`;
  }
}

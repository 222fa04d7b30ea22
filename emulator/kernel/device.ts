/**
 * `struct device`: a device the kernel knows, with its DMA configuration (masks, bus limit,
 * coherency, IOMMU domain, bounce pool), its managed resources (devres, released in reverse order
 * after remove) and its driver data.
 */
import type { DmaPort } from '../hw/bus';
import type { DeviceDesc } from '../platform/model';
import type { IommuDomain } from './dma/iommu-domain';
import type { Swiotlb } from './dma/swiotlb';
import type { CoherentPool } from './dma/coherent-pool';

export interface DmaConfig {
  mask: bigint;
  coherentMask: bigint;
  /** Inclusive highest bus address the interconnect passes (bus_dma_limit), Infinity for none. */
  busDmaLimit: number;
  coherent: boolean;
  port: DmaPort;
  domain?: IommuDomain;
  /** The bounce pool this device uses: the global swiotlb, or its restricted-dma-pool. */
  swiotlb?: Swiotlb;
  /** restricted-dma-pool: every streaming mapping bounces. */
  forceBounce: boolean;
  /** shared-dma-pool from memory-region: coherent allocations come from here. */
  coherentPool?: CoherentPool;
}

export interface Devres {
  what: string;
  release: () => void;
}

export class Device {
  driverName = '';
  driverData: unknown = undefined;
  readonly devres: Devres[] = [];

  constructor(
    /** Linux device name: "10000000.dad". */
    readonly name: string,
    readonly desc: DeviceDesc,
    readonly dma: DmaConfig,
  ) {}

  /** Node name ("dad@10000000"): how traces and memory references name the device. */
  get nodeName(): string {
    return this.desc.name;
  }

  /** "dad 10000000.dad" as dev_info prefixes it. */
  get logPrefix(): string {
    return `${this.driverName || this.desc.node.baseName} ${this.name}`;
  }

  addDevres(what: string, release: () => void): void {
    this.devres.push({ what, release });
  }

  /** Drop a devres entry without running it (devm_free_irq, dmam_free_coherent...). */
  removeDevres(match: (d: Devres) => boolean): boolean {
    const i = this.devres.findIndex(match);
    if (i < 0) return false;
    this.devres.splice(i, 1);
    return true;
  }

  releaseDevres(): void {
    while (this.devres.length) this.devres.pop()!.release();
  }
}

/** Mask as a number usable in address arithmetic (masks above 2^53 saturate: the emulator's space ends there). */
export function maskLimit(mask: bigint): number {
  return mask >= 0x1f_ffff_ffff_ffffn ? Number.MAX_SAFE_INTEGER : Number(mask);
}

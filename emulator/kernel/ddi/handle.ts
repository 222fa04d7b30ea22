/**
 * ddi_dma_handle_t: what the DDI keeps per handle. The attributes are fixed when the handle is
 * allocated; a bind adds the object, its cookies and windows, and the resources of the current
 * window (real mappings made through the kernel's DMA layer: dma-direct with swiotlb as the copy
 * buffer, or dma-iommu for DVMA), plus the cursor ddi_dma_nextcookie() advances.
 */
import type { CallSite } from '../call-site';
import type { SgMapping } from '../dma/mapping';
import type { DmaAttr } from './attr';
import type { DdiResource, DevInfo } from './devinfo';
import type { Piece } from './object';
import type { SglCookie } from './sgl';
import type { Window } from './windows';

/** A cookie of the current window, as the device will use it. */
export interface Cookie {
  /** Device address (bus address, copy-buffer address or DVMA address). */
  dma: number;
  len: number;
  /** Offset in the object of its first byte. */
  off: number;
  /** Goes through the copy buffer. */
  copy: boolean;
}

/** One real mapping of the current window (dma-direct / swiotlb path: one per cookie). */
export interface PhysMap {
  off: number;
  len: number;
  dma: number;
}

export type WindowResources = { kind: 'dvma'; sg: SgMapping; base: number } | { kind: 'phys'; maps: PhysMap[] };

export interface Binding {
  kva: number;
  len: number;
  flags: number;
  /** Linux direction the mappings use (DDI_DMA_WRITE → DMA_TO_DEVICE...). */
  dir: number;
  /** An IOMMU translates for the device: cookies are DVMA addresses. */
  dvma: boolean;
  pieces: Piece[];
  /** Cookies of the whole object (physical binds only). */
  sgl: SglCookie[];
  windows: Window[];
  /** Current window, -1 when none is mapped (a failed ddi_dma_getwin). */
  cur: number;
  res?: WindowResources;
  cookies: Cookie[];
  /** Index of the cookie ddi_dma_nextcookie() returns next. */
  next: number;
  site?: CallSite;
  winSite?: CallSite;
}

export class DdiDmaHandle implements DdiResource {
  binding?: Binding;
  freed = false;

  constructor(
    /** @internal */ readonly dip: DevInfo,
    /** @internal */ readonly id: number,
    /** @internal */ readonly attr: DmaAttr,
    /** @internal */ readonly site: CallSite | undefined,
  ) {}

  /** "dad0 dma handle #1" */
  get name(): string {
    return `${this.dip.instanceName} dma handle #${this.id}`;
  }

  get what(): string {
    return `${this.name} (ddi_dma_free_handle)`;
  }

  /** Detach left it allocated: drop it (a bound one keeps its mappings, which the leak check reports). */
  release(): void {
    this.freed = true;
  }

  toString(): string {
    return `ddi_dma_handle_t(${this.name}${this.binding ? ', bound' : ''})`;
  }
}

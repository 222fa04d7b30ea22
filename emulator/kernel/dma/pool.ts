/**
 * dma_pool: small coherent blocks carved from coherent pages (dma_alloc_coherent underneath),
 * fixed size and alignment, never crossing `boundary`. Like the kernel's, a pool keeps its pages
 * until destroyed.
 */
import type { Device } from '../device';
import type { CoherentBuffer } from './env';

export interface PoolBlock {
  kva: number;
  dma: number;
}

export class DmaPool {
  readonly pages: CoherentBuffer[] = [];
  private free: PoolBlock[] = [];
  readonly inUse = new Map<number, PoolBlock>();
  destroyed = false;

  constructor(
    readonly name: string,
    readonly dev: Device,
    readonly size: number,
    readonly align: number,
    readonly boundary: number,
    readonly allocation: number,
  ) {}

  /** Carve a fresh page into blocks. */
  addPage(buf: CoherentBuffer): void {
    this.pages.push(buf);
    const blocks: PoolBlock[] = [];
    for (let off = 0; off + this.size <= this.allocation; ) {
      if (this.boundary && Math.floor(off / this.boundary) !== Math.floor((off + this.size - 1) / this.boundary)) {
        off = Math.ceil(off / this.boundary) * this.boundary;
        continue;
      }
      blocks.push({ kva: buf.kva + off, dma: buf.dma + off });
      off += Math.ceil(this.size / this.align) * this.align;
    }
    this.free.push(...blocks.reverse());
  }

  take(): PoolBlock | undefined {
    const b = this.free.pop();
    if (b) this.inUse.set(b.dma, b);
    return b;
  }

  give(dma: number, kva: number): 'ok' | 'unknown' | 'mismatch' {
    const b = this.inUse.get(dma);
    if (!b) return 'unknown';
    if (b.kva !== kva) return 'mismatch';
    this.inUse.delete(dma);
    this.free.push(b);
    return 'ok';
  }
}

/**
 * `dma_cap_mask_t`: the set of transaction types a client needs (dma_request_chan_by_mask) or a
 * controller offers (its dma_device's cap_mask). A bitmap of DMA_TX_TYPE_END bits.
 */
import { DMA_TX_TYPE_END, capName } from './constants';

export class DmaCapMask {
  /** One bit per `enum dma_transaction_type`. */
  bits = 0;

  has(cap: number): boolean {
    return (this.bits & (1 << cap)) !== 0;
  }

  set(cap: number): void {
    this.bits |= 1 << cap;
  }

  clear(cap: number): void {
    this.bits &= ~(1 << cap);
  }

  /** Every capability of `want` is here. */
  covers(want: DmaCapMask): boolean {
    return (this.bits & want.bits) === want.bits;
  }

  toString(): string {
    const names: string[] = [];
    for (let c = 0; c < DMA_TX_TYPE_END; c++) if (this.has(c)) names.push(capName(c));
    return names.join('|') || 'none';
  }
}

/** A capability number in range, or undefined. */
export function validCap(cap: unknown): cap is number {
  return typeof cap === 'number' && Number.isInteger(cap) && cap >= 0 && cap < DMA_TX_TYPE_END;
}

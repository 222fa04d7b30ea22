/**
 * `struct dma_async_tx_descriptor`: one prepared transfer. The client fills in `callback` (or
 * `callback_result`) and `callback_param`, submits it (which gives it a cookie) and issues the
 * channel's pending work. What the engine needs besides (its state in the virt-dma lifecycle, the
 * bus ranges it moves, where the script prepared, submitted and issued it) is internal.
 */
import type { CallSite } from '../call-site';
import type { DmaChan } from './channel';

/** prepared → submitted → issued → active → complete; `freed` once the provider released it. */
export type DescState = 'prepared' | 'submitted' | 'issued' | 'active' | 'complete' | 'freed';

/** `struct dmaengine_result`: what `callback_result` receives. */
export interface dmaengine_result {
  /** DMA_TRANS_NOERROR, DMA_TRANS_READ_FAILED, DMA_TRANS_WRITE_FAILED or DMA_TRANS_ABORTED. */
  result: number;
  /** Bytes not transferred. */
  residue: number;
}

/** One contiguous piece of a transfer as bus addresses (a fixed FIFO address repeats). */
export interface DescSegment {
  src: number;
  dst: number;
  len: number;
}

export type dma_async_tx_callback = (param: unknown) => unknown;
export type dma_async_tx_callback_result = (param: unknown, result: dmaengine_result) => unknown;

export class DmaAsyncTxDescriptor {
  /** The cookie dmaengine_submit assigned (0 before submission and after completion, as in Linux). */
  cookie = 0;
  /** DMA_PREP_INTERRUPT, DMA_CTRL_ACK, DMA_CTRL_REUSE... as given to the prep call (and async_tx_ack). */
  flags: number;
  /** Called when the transfer completes (every period for a cyclic one), in the controller's tasklet. */
  callback: dma_async_tx_callback | null = null;
  /** Like `callback`, with the transfer's result; preferred over `callback` when both are set. */
  callback_result: dma_async_tx_callback_result | null = null;
  /** What the callback receives. */
  callback_param: unknown = null;

  /** @internal */ state: DescState = 'prepared';
  /** @internal */ readonly kind: 'memcpy' | 'slave' | 'cyclic';
  /** @internal */ readonly direction: number;
  /** @internal */ readonly segs: DescSegment[];
  /** @internal total bytes (one pass of the buffer for a cyclic transfer) */ readonly total: number;
  /** @internal */ readonly periodLen: number;
  /** @internal */ prepSite?: CallSite;
  /** @internal */ submitSite?: CallSite;
  /** @internal */ issueSite?: CallSite;
  /** @internal the cookie of the latest submission (kept after completion) */ lastCookie = 0;
  /** @internal */ submissions = 0;
  /** @internal */ completedAt = -1;
  /** @internal */ result: dmaengine_result = { result: 0, residue: 0 };
  /** @internal a dmaengine-not-issued finding was made for the current submission */ notIssuedReported = false;
  /** @internal the provider's own data (LLIs, ring slots) */ hw: unknown;
  /** @internal what freed it, once freed */ freedBy?: 'completion' | 'terminate' | 'release' | 'dmaengine_desc_free';

  constructor(
    readonly chan: DmaChan,
    init: { kind: 'memcpy' | 'slave' | 'cyclic'; direction: number; segs: DescSegment[]; flags: number; periodLen?: number; hw?: unknown },
  ) {
    this.kind = init.kind;
    this.direction = init.direction;
    this.segs = init.segs;
    this.flags = init.flags;
    this.total = init.segs.reduce((s, x) => s + x.len, 0);
    this.periodLen = init.periodLen ?? 0;
    this.hw = init.hw;
  }

  toString(): string {
    return `dma_async_tx_descriptor(${this.kind}, ${this.total} bytes, ${this.state}${this.lastCookie ? `, cookie ${this.lastCookie}` : ''})`;
  }
}

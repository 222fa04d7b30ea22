/**
 * virt-dma (drivers/dma/virt-dma.c): the descriptor lifecycle every built-in controller driver
 * shares. dma_async_issue_pending moves submitted descriptors to the issued list; the driver takes
 * them for the hardware in order; on completion (from its interrupt handler) the cookie completes
 * and the descriptor waits for the controller's tasklet, which runs the client's callback and then
 * frees it, or keeps it when it is reusable (DMA_CTRL_REUSE). A cyclic descriptor never completes:
 * each period end schedules its callback. Terminating a channel drops everything queued, without
 * callbacks.
 */
import type { Kernel } from '../kernel';
import type { DmaChan } from './channel';
import { DMA_CTRL_REUSE, DMA_TRANS_NOERROR } from './constants';
import type { DmaAsyncTxDescriptor, dmaengine_result } from './descriptor';
import type { DmaDevice } from './dma-device';
import { Tasklet } from './tasklet';

/** Cookies of failed transfers kept per channel for dmaengine_tx_status. */
const FAILED_HISTORY = 64;

export class VirtDma {
  readonly tasklet: Tasklet;

  constructor(
    private readonly k: Kernel,
    private readonly dev: DmaDevice,
  ) {
    this.tasklet = new Tasklet(k, dev.irq, () => this.complete_all());
  }

  /** vchan_issue_pending: true when anything is waiting for the hardware. */
  issue(chan: DmaChan): boolean {
    return chan.issued.length > 0;
  }

  /** vchan_next_desc + list_del: the next issued descriptor becomes the hardware's. */
  start(chan: DmaChan): DmaAsyncTxDescriptor | undefined {
    const d = chan.issued.shift();
    if (!d) return undefined;
    d.state = 'active';
    chan.active.push(d);
    return d;
  }

  /** Peek at the next issued descriptor without taking it. */
  next(chan: DmaChan): DmaAsyncTxDescriptor | undefined {
    return chan.issued[0];
  }

  /** vchan_cookie_complete: from the driver's interrupt handler (or a poll). */
  cookieComplete(d: DmaAsyncTxDescriptor, result: dmaengine_result = { result: DMA_TRANS_NOERROR, residue: 0 }): void {
    const chan = d.chan;
    const i = chan.active.indexOf(d);
    if (i >= 0) chan.active.splice(i, 1);
    if (result.result !== DMA_TRANS_NOERROR) {
      chan.failed.set(d.cookie, result.result);
      if (chan.failed.size > FAILED_HISTORY) chan.failed.delete(chan.failed.keys().next().value as number);
    }
    // dma_cookie_complete
    if (d.cookie > 0) chan.completed_cookie = d.cookie;
    d.cookie = 0;
    d.result = result;
    d.state = 'complete';
    d.completedAt = this.k.now;
    chan.completed.push(d);
    this.tasklet.schedule();
  }

  /** vchan_cyclic_callback: a period of a cyclic transfer ended. */
  cyclicCallback(d: DmaAsyncTxDescriptor): void {
    d.chan.cyclicDue = d;
    this.tasklet.schedule();
  }

  /**
   * vchan_get_all_descriptors + vchan_dma_desc_free_list: drop every descriptor of the channel
   * (after the driver stopped the hardware). Reusable ones go back to the client.
   */
  dropAll(chan: DmaChan, why: 'terminate' | 'release'): void {
    const all = [...chan.submitted, ...chan.issued, ...chan.active, ...chan.completed];
    if (why === 'release') all.push(...chan.allocated);
    chan.allocated.clear();
    chan.submitted = [];
    chan.issued = [];
    chan.active = [];
    chan.completed = [];
    chan.cyclicDue = undefined;
    for (const d of all) {
      d.cookie = 0;
      this.fini(d, why);
    }
  }

  /** vchan_vdesc_fini: keep a reusable descriptor, free the rest. */
  fini(d: DmaAsyncTxDescriptor, why: 'completion' | 'terminate' | 'release'): void {
    if (d.flags & DMA_CTRL_REUSE && why !== 'release') {
      d.state = 'complete';
      d.chan.allocated.add(d);
      return;
    }
    this.free(d, why);
  }

  /** desc_free: the provider takes back what the descriptor held. */
  free(d: DmaAsyncTxDescriptor, why: 'completion' | 'terminate' | 'release' | 'dmaengine_desc_free'): void {
    if (d.state === 'freed') return;
    d.chan.allocated.delete(d);
    this.dev.ops.freeDesc?.(d);
    d.state = 'freed';
    d.freedBy = why;
  }

  /** vchan_complete: the tasklet. Callbacks run here, in atomic context. */
  private complete_all(): void {
    for (const chan of this.dev.channels) {
      const cyc = chan.cyclicDue;
      chan.cyclicDue = undefined;
      if (cyc && cyc.state === 'active') invoke(cyc, { result: DMA_TRANS_NOERROR, residue: 0 });
      while (chan.completed.length) {
        const d = chan.completed.shift()!;
        invoke(d, d.result);
        // the callback may have resubmitted a reusable descriptor already
        if (d.state === 'complete') this.fini(d, 'completion');
      }
    }
  }
}

/** dmaengine_desc_callback_invoke: callback_result wins over callback. */
function invoke(d: DmaAsyncTxDescriptor, result: dmaengine_result): void {
  if (typeof d.callback_result === 'function') void d.callback_result(d.callback_param, { ...result });
  else if (typeof d.callback === 'function') void d.callback(d.callback_param);
}

/**
 * The dmaengine misuse a run can see: a descriptor submitted and never issued (nothing starts
 * until dma_async_issue_pending), found when the channel is released, when the driver is removed,
 * or when the run waits for something that can now never happen; and a descriptor submitted again
 * while it is still queued, after the provider freed it, or (when reusable) without having been
 * acknowledged; and a buffer handed to the engine that was mapped for another device (the engine
 * reaches memory through its own IOMMU domain or bus window, so such an address names other
 * memory). Reported through the kernel's findings with the script lines involved.
 */
import type { CallSite } from '../call-site';
import type { Related } from '../findings';
import type { Kernel } from '../kernel';
import { DMA_CTRL_ACK, DMA_CTRL_REUSE } from './constants';
import type { DmaAsyncTxDescriptor } from './descriptor';
import type { DmaChan } from './channel';
import type { Device } from '../device';
import { byDriver } from '../dma/debug-entries';
import { addr } from '../../lib/hex';
import { EBUSY, EINVAL } from '../errno';

/** Why a descriptor stopped being the provider's: what freed it. */
export type FreedBy = 'completion' | 'terminate' | 'release' | 'dmaengine_desc_free';

function what(d: DmaAsyncTxDescriptor): string {
  const kind = d.kind === 'memcpy' ? 'memcpy' : d.kind === 'cyclic' ? 'cyclic' : 'slave';
  return `${kind} descriptor of ${d.total} bytes`;
}

function prepared(d: DmaAsyncTxDescriptor): Related[] {
  return d.prepSite ? [{ message: 'the descriptor was prepared here', site: d.prepSite }] : [];
}

export class DmaengineChecks {
  constructor(private readonly k: Kernel) {}

  /**
   * Descriptors still on the submitted list at a point where they can no longer start. Reports
   * each once per submission; returns how many were reported.
   */
  notIssued(descs: readonly DmaAsyncTxDescriptor[], when: string, where?: { message: string; site?: CallSite }): number {
    let n = 0;
    for (const d of descs) {
      if (d.state !== 'submitted' || d.notIssuedReported) continue;
      d.notIssuedReported = true;
      n++;
      const chan = d.chan;
      const related = prepared(d);
      if (where) related.push(where);
      this.k.report(
        'dmaengine-not-issued',
        chan.clientDev ?? chan.device.dev,
        `${chan.who}: ${what(d)} (cookie ${d.lastCookie}) was submitted but never issued ${when}: dmaengine_submit() only queues a transfer; nothing starts until dma_async_issue_pending()`,
        d.submitSite,
        related,
      );
    }
    return n;
  }

  /**
   * dmaengine_submit of a descriptor that is not freshly prepared. Returns 0 when the submission
   * may go ahead (a reusable descriptor, even one reported for a missing acknowledgement), or the
   * negative errno the emulated kernel refuses it with.
   */
  resubmit(d: DmaAsyncTxDescriptor, site: CallSite | undefined, freedBy: FreedBy | undefined): number {
    const chan = d.chan;
    const dev = chan.clientDev ?? chan.device.dev;
    const related = prepared(d);
    if (d.submitSite) related.push({ message: `it was submitted here before (cookie ${d.lastCookie})`, site: d.submitSite });
    const at = site ?? this.k.here();
    if (d.state === 'submitted' || d.state === 'issued' || d.state === 'active') {
      this.k.report(
        'dmaengine-desc-reuse',
        dev,
        `${chan.who}: dmaengine_submit() of a ${what(d)} that is already ${d.state === 'submitted' ? 'submitted' : d.state === 'issued' ? 'issued' : 'running'} (cookie ${d.lastCookie}, not complete): a descriptor is submitted once; queueing it again corrupts the channel's descriptor list (list_add double add)`,
        at,
        related,
      );
      return -EBUSY;
    }
    if (d.state === 'freed' || (d.state === 'complete' && !(d.flags & DMA_CTRL_REUSE))) {
      const how =
        d.state === 'complete'
          ? 'frees as soon as its completion callback returns'
          : freedBy === 'terminate'
            ? 'freed when the channel was terminated'
            : freedBy === 'release'
              ? 'freed when the channel was released'
              : freedBy === 'dmaengine_desc_free'
                ? 'freed in dmaengine_desc_free()'
                : `freed when it completed${d.completedAt >= 0 ? ` at ${(d.completedAt / 1000).toFixed(3)} us` : ''}`;
      this.k.report(
        'dmaengine-desc-reuse',
        dev,
        `${chan.who}: dmaengine_submit() of a ${what(d)} the provider ${how} (cookie ${d.lastCookie}): use after free; without DMA_CTRL_REUSE (dmaengine_desc_set_reuse) a descriptor is good for one submission - prepare a new one`,
        at,
        related,
      );
      return -EINVAL;
    }
    if (d.state === 'complete' && d.flags & DMA_CTRL_REUSE && !(d.flags & DMA_CTRL_ACK)) {
      this.k.report(
        'dmaengine-desc-reuse',
        dev,
        `${chan.who}: dmaengine_submit() of a reusable ${what(d)} that was never acknowledged (no DMA_CTRL_ACK in its flags, no async_tx_ack()): until the client acks it the provider may still use it`,
        at,
        related,
      );
    }
    return 0;
  }

  /**
   * The memory-side ranges given to a dmaengine_prep_* call: those the checker knows a mapping of
   * another device for, and none the driver made for the engine's device, were mapped for the wrong
   * device (the client's instead of dmaengine_get_dma_device(chan)). A client address that lands
   * in the provider's own memory (its descriptor ring) does not count as mapped for the engine.
   */
  mappedFor(chan: DmaChan, fn: string, ranges: readonly { what: string; dma: number; len: number }[], site: CallSite | undefined): void {
    const debug = this.k.debug;
    if (!debug) return;
    const engine = chan.device.dev;
    const wrong: string[] = [];
    const related: Related[] = [];
    let owner: Device | undefined;
    for (const r of ranges) {
      const mine = debug.findContaining(engine, r.dma, 1);
      if (r.len <= 0 || (mine && byDriver(mine))) continue;
      for (const other of this.k.devices) {
        if (other === engine) continue;
        const e = debug.findContaining(other, r.dma, 1);
        if (!e) continue;
        owner ??= other;
        wrong.push(`${r.what} ${addr(r.dma)} (${r.len} bytes) was mapped for ${other.name}`);
        related.push({ message: `${r.what} mapped here for ${other.name} (${e.type}, ${e.size} bytes)`, site: e.site });
        break;
      }
    }
    if (!owner) return;
    this.k.report(
      'dmaengine-wrong-device',
      owner,
      `${fn}(): ${wrong.join(', ')}, not for the device of ${chan.dbgName} (${engine.name}): the engine reaches memory through its own addresses (its IOMMU domain or bus window), where these may name other memory; map buffers for dmaengine_get_dma_device(chan)`,
      site ?? this.k.here(),
      related,
    );
  }
}

/**
 * The dmaengine core (drivers/dma/dmaengine.c): controllers register their dma_devices, clients
 * get private channels by devicetree name (dma_request_chan) or by capability
 * (dma_request_chan_by_mask), configure them, prepare descriptors, submit them for a cookie and
 * issue them; status, pause/resume and terminate reach the controller driver. The built-in
 * controller drivers (PL08x, I/OAT) are probed at boot for the nodes that need them.
 *
 * The core also keeps what the checks need: every submitted-but-never-issued descriptor is named
 * when its channel is released, when drivers are removed, or when the run hangs; resubmissions are
 * checked against the descriptor's lifecycle; and each transfer a controller starts is attributed
 * to the script line that issued the descriptor it belongs to.
 */
import type { CallSite } from '../call-site';
import { KernelOops } from '../cpu';
import type { Device } from '../device';
import { EBUSY, ENODEV, ENOSYS, EPERM, EPROBE_DEFER, errnoName } from '../errno';
import type { Kernel } from '../kernel';
import type { DmaCapMask } from './cap-mask';
import type { DmaChan } from './channel';
import { DmaengineChecks } from './checks';
import { DMA_COMPLETE, DMA_CTRL_ACK, DMA_CTRL_REUSE, DMA_CYCLIC, DMA_DEV_TO_MEM, DMA_ERROR, DMA_IN_PROGRESS, DMA_MEM_TO_DEV, DMA_MEMCPY, DMA_PAUSED, DMA_PRIVATE, DMA_SLAVE, transferDirName } from './constants';
import { cookieAssign, cookieInit, cookieStatus } from './cookie';
import type { DmaAsyncTxDescriptor } from './descriptor';
import type { DmaDevice, MemSegment } from './dma-device';
import { IoatDriver } from './ioat';
import { OfDma } from './of-dma';
import { Pl08xDriver } from './pl08x';
import type { SlaveConfig } from './slave-config';
import { VirtDma } from './virt-dma';

/** `struct dma_tx_state` plus the status dmaengine_tx_status returns. */
export interface TxStatus {
  status: number;
  /** Bytes still to transfer for the cookie (the controller's granularity). */
  residue: number;
  /** Last completed cookie. */
  last: number;
  /** Last cookie handed out. */
  used: number;
  in_flight_bytes: number;
}

export class DmaEngine {
  readonly devices: DmaDevice[] = [];
  readonly of = new OfDma();
  readonly checks: DmaengineChecks;
  private readonly virt = new Map<DmaDevice, VirtDma>();
  private readonly byDev = new Map<Device, DmaDevice[]>();

  constructor(private readonly k: Kernel) {
    this.checks = new DmaengineChecks(k);
  }

  /** Probe the built-in controller drivers for the devices that need one (at boot). */
  probeBuiltin(): void {
    for (const dev of this.k.devices) {
      const c = dev.desc.compatible;
      if (c.includes('arm,pl080')) new Pl08xDriver(this, this.k, dev).probe();
      else if (c.includes('intel,ioat')) new IoatDriver(this, this.k, dev).probe();
    }
  }

  // ---- the provider side -----------------------------------------------------------------

  /** dma_async_device_register: names it dmaN, initialises its channels' cookies. */
  register(d: DmaDevice): VirtDma {
    d.dev_id = this.devices.length;
    for (const c of d.channels) cookieInit(c);
    this.devices.push(d);
    const list = this.byDev.get(d.dev) ?? [];
    list.push(d);
    this.byDev.set(d.dev, list);
    const v = new VirtDma(this.k, d);
    this.virt.set(d, v);
    return v;
  }

  virtOf(d: DmaDevice): VirtDma {
    return this.virt.get(d)!;
  }

  /**
   * The script line a controller's new transfer belongs to: the issue (else submit) site of the
   * running descriptor whose memory side covers `bus`. The kernel attributes device transfers with it.
   */
  transferSite(dev: Device, bus: number): CallSite | undefined {
    const list = this.byDev.get(dev);
    if (!list) return undefined;
    for (const d of list) {
      for (const chan of d.channels) {
        for (const desc of chan.active) {
          for (const s of desc.segs) {
            const inSrc = desc.direction !== DMA_DEV_TO_MEM && bus >= s.src && bus < s.src + s.len;
            const inDst = desc.direction !== DMA_MEM_TO_DEV && bus >= s.dst && bus < s.dst + s.len;
            if (inSrc || inDst) return desc.issueSite ?? desc.submitSite;
          }
        }
      }
    }
    return undefined;
  }

  // ---- getting and releasing channels ----------------------------------------------------

  /** dma_request_chan(dev, name): the channel `dmas`/`dma-names` give `name`, or a negative errno. */
  requestChan(dev: Device, name: string, site: CallSite | undefined): DmaChan | number {
    const r = this.of.requestSlaveChannel(dev, name, (t) => this.k.log(undefined, 'err', t));
    if (typeof r === 'number') {
      if (r !== -EPROBE_DEFER) this.k.log(dev, 'debug', `dma_request_chan(${name}): no usable "${name}" entry in dmas/dma-names (${errnoName(r)})`);
      else this.k.log(dev, 'debug', `dma_request_chan(${name}): its DMA controller has no driver (-EPROBE_DEFER)`);
      return r;
    }
    r.name = `dma:${name}`;
    r.clientName = `${dev.name}:${name}`;
    r.clientDev = dev;
    r.requestSite = site;
    return r;
  }

  /** dma_get_slave_channel: take `chan` for a client, or null when it is already held. */
  getChannel(chan: DmaChan): DmaChan | null {
    if (chan.client_count > 0) return null;
    const err = chan.device.ops.allocChanResources?.(chan) ?? 0;
    if (err < 0) {
      this.k.log(chan.device.dev, 'debug', `${chan.dbgName}: failed to get channel (${errnoName(err)})`);
      return null;
    }
    chan.client_count = 1;
    chan.device.cap_mask.set(DMA_PRIVATE);
    return chan;
  }

  /** dma_request_chan_by_mask: the first free channel of a controller with every capability asked for. */
  requestChanByMask(mask: DmaCapMask, site: CallSite | undefined): DmaChan | number {
    if (this.devices.length === 0) return -EPROBE_DEFER;
    for (const d of this.devices) {
      if (!d.cap_mask.covers(mask)) continue;
      for (const c of d.channels) {
        if (c.client_count > 0) continue;
        const got = this.getChannel(c);
        if (!got) continue;
        got.name = null;
        got.clientDev = this.k.drivers.probing;
        got.clientName = '';
        got.requestSite = site;
        return got;
      }
    }
    this.k.log(undefined, 'debug', `dma_request_chan_by_mask: no free channel with ${mask}`);
    return -ENODEV;
  }

  /** dma_release_channel */
  release(chan: DmaChan, site: CallSite | undefined): void {
    this.held(chan, 'dma_release_channel');
    this.checks.notIssued(chan.submitted, 'before the channel was released', { message: 'dma_release_channel() here', site: site ?? this.k.here() });
    if (chan.active.length || chan.issued.length) {
      this.k.log(chan.clientDev ?? chan.device.dev, 'warn', `dma_release_channel: ${chan.who} still has ${chan.active.length + chan.issued.length} transfer(s) queued or running: terminate them first (dmaengine_terminate_sync)`);
      chan.device.ops.terminateAll?.(chan);
    }
    this.virtOf(chan.device).dropAll(chan, 'release');
    chan.device.ops.freeChanResources?.(chan);
    chan.client_count = 0;
    chan.paused = false;
    chan.config = undefined;
    chan.clientDev = undefined;
    chan.clientName = '';
    chan.name = null;
  }

  /** A channel passed to the API must be held by a client. */
  held(chan: DmaChan, fn: string): void {
    if (chan.client_count <= 0) throw new KernelOops(`${fn}(): ${chan.dbgName} is not held by any client (it was released with dma_release_channel, or never requested)`);
  }

  // ---- configuration and descriptors -----------------------------------------------------

  /** dmaengine_slave_config */
  slaveConfig(chan: DmaChan, cfg: SlaveConfig): number {
    this.held(chan, 'dmaengine_slave_config');
    const ops = chan.device.ops;
    if (!ops.config) return -ENOSYS;
    return ops.config(chan, cfg);
  }

  prepMemcpy(chan: DmaChan, dst: number, src: number, len: number, flags: number, site: CallSite | undefined): DmaAsyncTxDescriptor | null {
    this.held(chan, 'dmaengine_prep_dma_memcpy');
    const ops = chan.device.ops;
    if (!ops.prepMemcpy || !chan.device.cap_mask.has(DMA_MEMCPY)) {
      this.k.log(chan.device.dev, 'debug', `${chan.dbgName}: no memcpy on this channel`);
      return null;
    }
    this.checks.mappedFor(chan, 'dmaengine_prep_dma_memcpy', [{ what: 'source', dma: src, len }, { what: 'destination', dma: dst, len }], site);
    return this.prepared(ops.prepMemcpy(chan, dst, src, len, flags), site);
  }

  prepSlaveSg(chan: DmaChan, segs: MemSegment[], dir: number, flags: number, site: CallSite | undefined): DmaAsyncTxDescriptor | null {
    this.held(chan, 'dmaengine_prep_slave_sg');
    const ops = chan.device.ops;
    if (!ops.prepSlaveSg || !chan.device.cap_mask.has(DMA_SLAVE)) {
      this.k.log(chan.device.dev, 'debug', `${chan.dbgName}: not a slave channel`);
      return null;
    }
    if (!(chan.device.directions & (1 << dir))) {
      this.k.log(chan.device.dev, 'err', `${chan.dbgName}: ${transferDirName(dir)} is not supported`);
      return null;
    }
    const fn = segs.length > 1 ? 'dmaengine_prep_slave_sg' : 'dmaengine_prep_slave_single';
    this.checks.mappedFor(chan, fn, segs.map((s, i) => ({ what: segs.length > 1 ? `segment ${i}` : 'buffer', dma: s.addr, len: s.len })), site);
    return this.prepared(ops.prepSlaveSg(chan, segs, dir, flags), site);
  }

  prepCyclic(chan: DmaChan, buf: number, bufLen: number, periodLen: number, dir: number, flags: number, site: CallSite | undefined): DmaAsyncTxDescriptor | null {
    this.held(chan, 'dmaengine_prep_dma_cyclic');
    const ops = chan.device.ops;
    if (!ops.prepCyclic || !chan.device.cap_mask.has(DMA_CYCLIC)) {
      this.k.log(chan.device.dev, 'debug', `${chan.dbgName}: no cyclic transfers on this channel`);
      return null;
    }
    if (!(chan.device.directions & (1 << dir))) {
      this.k.log(chan.device.dev, 'err', `${chan.dbgName}: ${transferDirName(dir)} is not supported`);
      return null;
    }
    this.checks.mappedFor(chan, 'dmaengine_prep_dma_cyclic', [{ what: 'buffer', dma: buf, len: bufLen }], site);
    return this.prepared(ops.prepCyclic(chan, buf, bufLen, periodLen, dir, flags), site);
  }

  private prepared(d: DmaAsyncTxDescriptor | null, site: CallSite | undefined): DmaAsyncTxDescriptor | null {
    if (d) d.prepSite = site;
    return d;
  }

  /** dmaengine_submit (the driver's tx_submit, vchan_tx_submit): the cookie, or a negative errno. */
  submit(d: DmaAsyncTxDescriptor, site: CallSite | undefined): number {
    const chan = d.chan;
    this.held(chan, 'dmaengine_submit');
    if (d.state !== 'prepared') {
      const r = this.checks.resubmit(d, site, d.freedBy);
      if (r < 0) return r;
    }
    const err = chan.device.ops.txSubmit?.(d) ?? 0;
    if (err < 0) return err;
    chan.allocated.delete(d);
    const cookie = cookieAssign(chan);
    d.cookie = cookie;
    d.lastCookie = cookie;
    d.submissions++;
    d.state = 'submitted';
    d.submitSite = site;
    d.issueSite = undefined;
    d.notIssuedReported = false;
    d.completedAt = -1;
    chan.submitted.push(d);
    return cookie;
  }

  /** dma_async_issue_pending */
  issuePending(chan: DmaChan, site: CallSite | undefined): void {
    this.held(chan, 'dma_async_issue_pending');
    for (const d of chan.submitted) {
      d.state = 'issued';
      d.issueSite = site;
      chan.issued.push(d);
    }
    chan.submitted = [];
    chan.device.ops.issuePending(chan);
  }

  /** dmaengine_tx_status */
  txStatus(chan: DmaChan, cookie: number): TxStatus {
    this.held(chan, 'dmaengine_tx_status');
    const state = { residue: 0 };
    let status = cookieStatus(chan, cookie);
    if (status !== DMA_COMPLETE) {
      chan.device.ops.txStatus(chan, cookie, state);
      status = cookieStatus(chan, cookie);
      if (status === DMA_COMPLETE) state.residue = 0;
    }
    if (chan.failed.has(cookie)) status = DMA_ERROR;
    else if (status === DMA_IN_PROGRESS && chan.paused) status = DMA_PAUSED;
    return { status, residue: state.residue, last: chan.completed_cookie, used: chan.cookie, in_flight_bytes: 0 };
  }

  pause(chan: DmaChan): number {
    this.held(chan, 'dmaengine_pause');
    return chan.device.ops.pause ? chan.device.ops.pause(chan) : -ENOSYS;
  }

  resume(chan: DmaChan): number {
    this.held(chan, 'dmaengine_resume');
    return chan.device.ops.resume ? chan.device.ops.resume(chan) : -ENOSYS;
  }

  /** dmaengine_terminate_async: stop the channel and drop every queued descriptor, without callbacks. */
  terminate(chan: DmaChan): number {
    this.held(chan, 'dmaengine_terminate_async');
    const ops = chan.device.ops;
    if (!ops.terminateAll) return -ENOSYS;
    const r = ops.terminateAll(chan);
    if (r < 0) return r;
    this.virtOf(chan.device).dropAll(chan, 'terminate');
    chan.paused = false;
    return 0;
  }

  /** dmaengine_synchronize: may sleep (it waits for the tasklet); nothing of the channel runs after. */
  synchronize(chan: DmaChan, what: string): void {
    this.held(chan, what);
    this.k.mightSleep(`${what}()`);
  }

  // ---- descriptor flags ----------------------------------------------------------------

  /** dmaengine_desc_set_reuse */
  setReuse(d: DmaAsyncTxDescriptor): number {
    if (!d.chan.device.descriptor_reuse) return -EPERM;
    d.flags |= DMA_CTRL_REUSE;
    return 0;
  }

  /** dmaengine_desc_free: only for reusable descriptors, and not while queued. */
  descFree(d: DmaAsyncTxDescriptor): number {
    if (!(d.flags & DMA_CTRL_REUSE)) return -EPERM;
    if (d.state === 'submitted' || d.state === 'issued' || d.state === 'active') {
      this.k.log(d.chan.clientDev ?? d.chan.device.dev, 'err', `dmaengine_desc_free: ${d.chan.who}: the descriptor (cookie ${d.lastCookie}) is still queued; terminate the channel first`);
      return -EBUSY;
    }
    this.virtOf(d.chan.device).free(d, 'dmaengine_desc_free');
    return 0;
  }

  /** async_tx_ack */
  ack(d: DmaAsyncTxDescriptor): void {
    d.flags |= DMA_CTRL_ACK;
  }

  // ---- end-of-life checks -----------------------------------------------------------------

  /** After the drivers' remove: descriptors still waiting for dma_async_issue_pending. */
  afterRemove(): void {
    for (const d of this.devices) for (const c of d.channels) if (c.client_count > 0) this.checks.notIssued(c.submitted, 'by the time the driver was removed');
  }

  /**
   * The run waits for something no event can bring: name the descriptors that would have run had
   * they been issued. Returns a hint for the runner's message ('' when there are none).
   */
  hung(): string {
    const wait = [...this.k.waits.pending].find((w) => w.site?.location());
    let n = 0;
    for (const d of this.devices) for (const c of d.channels) n += this.checks.notIssued(c.submitted, 'and the run now waits for what can never happen', wait ? { message: `the driver waits here (${wait.what})`, site: wait.site } : undefined);
    return n ? `; ${n} dmaengine descriptor${n > 1 ? 's were' : ' was'} submitted and never issued (dma_async_issue_pending)` : '';
  }
}

/**
 * The built-in driver for `intel,ioat` (drivers/dma/ioat): one dma_device with DMA_MEMCPY, a ring
 * of 256 hardware descriptors in coherent memory per channel (allocated when a client gets the
 * channel), and a completion writeback area the engine updates. A memcpy larger than the engine's
 * transfer cap is split over several descriptors; the last one asks for the completion write and,
 * with DMA_PREP_INTERRUPT, for the interrupt. dma_async_issue_pending writes DMACOUNT. Completed
 * descriptors are found by reading the writeback (from the interrupt, from dmaengine_tx_status, or
 * from the driver's completion timer when no interrupt was asked for). A halted channel fails its
 * transfers (DMA_ERROR) and is reset.
 */
import type { Device } from '../device';
import type { IoMem } from '../driver-core';
import { GFP_KERNEL } from '../gfp';
import { IRQ_HANDLED, IRQ_NONE } from '../irq';
import type { Kernel } from '../kernel';
import type { CoherentBuffer } from '../dma/env';
import { EINVAL, ENOMEM } from '../errno';
import {
  IOAT_ATTNSTATUS, IOAT_CHAINADDR, IOAT_CHAN_BASE, IOAT_CHANCMD, IOAT_CHANCMD_RESET, IOAT_CHANCMP, IOAT_CHANCNT, IOAT_CHANCTRL, IOAT_CHANCTRL_ERR_INT_EN,
  IOAT_CHANCTRL_INT_REARM, IOAT_CHANERR, IOAT_CHANERR_DEST_ADDR_ERR, IOAT_CHANSTS_COMPLETED_MASK, IOAT_CHANSTS_HALTED, IOAT_CHANSTS_STATUS, IOAT_DESC_CTL_COMPL_WRITE,
  IOAT_DESC_CTL_INT_EN, IOAT_DESC_CTL_OFF, IOAT_DESC_DST_OFF, IOAT_DESC_NEXT_OFF, IOAT_DESC_SIZE, IOAT_DESC_SIZE_OFF, IOAT_DESC_SRC_OFF, IOAT_DMACOUNT,
  IOAT_INTRCTRL, IOAT_INTRCTRL_MASTER_INT_EN, IOAT_VER, IOAT_XFERCAP,
} from '../../devices/ioat';
import { DmaChan } from './channel';
import { DMA_MEM_TO_MEM, DMA_MEMCPY, DMA_PREP_INTERRUPT, DMA_RESIDUE_GRANULARITY_DESCRIPTOR, DMA_TRANS_ABORTED, DMA_TRANS_NOERROR, DMA_TRANS_READ_FAILED, DMA_TRANS_WRITE_FAILED } from './constants';
import type { DmaEngine } from './core';
import { DmaAsyncTxDescriptor } from './descriptor';
import { DmaDevice, claimController } from './dma-device';
import type { VirtDma } from './virt-dma';

/** Ring size (1 << ioat_ring_alloc_order, 8). */
const RING = 256;
/** The driver's completion timer while work is outstanding (COMPLETION_TIMEOUT, 100 ms). */
const COMPLETION_TIMEOUT_NS = 100e6;

interface Ring {
  ring: CoherentBuffer;
  completion: CoherentBuffer;
  /** Software indices (monotonic): next slot to fill, first slot not yet completed. */
  head: number;
  tail: number;
  /** The software index the hardware's descriptor count 0 stands for (moves on reset). */
  base: number;
  timer?: { cancelled: boolean };
  /** Which channel this is (its register block). */
  n: number;
}

/** A descriptor's place in the ring. */
interface Slots {
  first: number;
  count: number;
}

export class IoatDriver {
  private io!: IoMem;
  private booting = true;
  private dma!: DmaDevice;
  private virt!: VirtDma;
  private xfercap = 1 << 20;

  constructor(
    private readonly engine: DmaEngine,
    private readonly k: Kernel,
    private readonly dev: Device,
  ) {}

  probe(): number {
    const k = this.k;
    const dev = this.dev;
    const claimed = claimController(k, dev, 'ioatdma');
    if (!claimed) return -EINVAL;
    const { irq } = claimed;
    this.io = claimed.io;
    // ioat: 64-bit DMA addressing
    k.dma.setMask(dev, 0xffff_ffff_ffff_ffffn, 'both');
    const chancnt = this.rd8(IOAT_CHANCNT);
    this.xfercap = 2 ** this.rd8(IOAT_XFERCAP);
    const ver = this.rd8(IOAT_VER);
    this.dma = new DmaDevice(dev, 'ioatdma', {
      allocChanResources: (c) => this.alloc(c),
      freeChanResources: (c) => this.freeRes(c),
      prepMemcpy: (c, d, s, l, f) => this.prepMemcpy(c, d, s, l, f),
      txSubmit: (d) => this.txSubmit(d),
      issuePending: (c) => this.issuePending(c),
      txStatus: (c, cookie, st) => this.txStatus(c, cookie, st),
      terminateAll: (c) => this.terminateAll(c),
      freeDesc: (d) => {
        d.hw = undefined;
      },
    }, irq);
    this.dma.cap_mask.set(DMA_MEMCPY);
    this.dma.directions = 1 << DMA_MEM_TO_MEM;
    this.dma.residue_granularity = DMA_RESIDUE_GRANULARITY_DESCRIPTOR;
    for (let n = 0; n < chancnt; n++) this.dma.channels.push(new DmaChan(this.dma, n));
    this.virt = this.engine.register(this.dma);
    const r = k.irq.request(irq, this.virt.tasklet.wrap(() => this.irq()), 0, 'ioat-msix', this, dev, undefined);
    if (r < 0) {
      k.log(dev, 'err', `unable to request irq ${irq}`);
      return r;
    }
    this.wr8(IOAT_INTRCTRL, IOAT_INTRCTRL_MASTER_INT_EN);
    this.booting = false;
    k.log(dev, 'info', `Intel(R) QuickData Technology-like copy engine v${ver >> 4}.${ver & 0xf}: ${chancnt} channels, ${this.xfercap >> 10} KiB per descriptor, irq ${irq}`);
    return 0;
  }

  // ---- registers --------------------------------------------------------------------------

  private rd(off: number, size: 1 | 2 | 4 | 8): bigint {
    if (this.booting) return BigInt(this.k.bus.cpuMmioRead(this.io.phys + off, size));
    return BigInt(this.k.drivers.mmioRead(this.io.add(off), size, size === 8 ? 'readq' : 'readl'));
  }

  private wr(off: number, size: 1 | 2 | 4 | 8, v: number | bigint): void {
    const val = size === 8 ? BigInt(v) : Number(v);
    if (this.booting) this.k.bus.cpuMmioWrite(this.io.phys + off, size, val);
    else this.k.drivers.mmioWrite(this.io.add(off), size, val, size === 8 ? 'writeq' : 'writel');
  }

  private rd8(off: number): number {
    return Number(this.rd(off, 1));
  }

  private wr8(off: number, v: number): void {
    this.wr(off, 1, v);
  }

  private ring(c: DmaChan): Ring {
    return c.priv as Ring;
  }

  private slotKva(r: Ring, idx: number): number {
    return r.ring.kva + (idx % RING) * IOAT_DESC_SIZE;
  }

  private slotDma(r: Ring, idx: number): number {
    return r.ring.dma + (idx % RING) * IOAT_DESC_SIZE;
  }

  // ---- channel resources ------------------------------------------------------------------

  /** ioat_alloc_chan_resources: reset the channel, allocate and link the ring and the writeback. */
  private alloc(c: DmaChan): number {
    const k = this.k;
    const ring = k.dma.allocCoherent(this.dev, RING * IOAT_DESC_SIZE, GFP_KERNEL, 'dma_alloc_coherent', undefined);
    const completion = ring ? k.dma.allocCoherent(this.dev, 64, GFP_KERNEL, 'dma_pool_alloc', undefined) : null;
    if (!ring || !completion) {
      if (ring) k.dma.freeCoherent(this.dev, ring.size, ring.kva, ring.dma, 'dma_free_coherent', undefined);
      return -ENOMEM;
    }
    const r: Ring = { ring, completion, head: 0, tail: 0, base: 0, n: c.chan_id };
    c.priv = r;
    k.cpu.fill(completion.kva, 0, 64);
    for (let i = 0; i < RING; i++) {
      k.cpu.fill(this.slotKva(r, i), 0, IOAT_DESC_SIZE);
      k.cpu.writeU64(this.slotKva(r, i) + IOAT_DESC_NEXT_OFF, BigInt(this.slotDma(r, i + 1)));
    }
    this.reset(r, r.head);
    return 0;
  }

  /** Reset the channel; the hardware's descriptor 0 is then software slot `from`. */
  private reset(r: Ring, from: number): void {
    const b = IOAT_CHAN_BASE(r.n);
    this.wr8(b + IOAT_CHANCMD, IOAT_CHANCMD_RESET);
    r.base = from;
    r.tail = from;
    this.k.cpu.writeU64(r.completion.kva, 0n);
    this.wr(b + IOAT_CHAINADDR, 8, BigInt(this.slotDma(r, from)));
    this.wr(b + IOAT_CHANCMP, 8, BigInt(r.completion.dma));
    this.wr(b + IOAT_CHANCTRL, 2, IOAT_CHANCTRL_INT_REARM | IOAT_CHANCTRL_ERR_INT_EN);
  }

  /** ioat_free_chan_resources */
  private freeRes(c: DmaChan): void {
    const r = this.ring(c);
    if (!r) return;
    if (r.timer) r.timer.cancelled = true;
    this.wr8(IOAT_CHAN_BASE(r.n) + IOAT_CHANCMD, IOAT_CHANCMD_RESET);
    const k = this.k;
    k.dma.freeCoherent(this.dev, r.ring.size, r.ring.kva, r.ring.dma, 'dma_free_coherent', undefined);
    k.dma.freeCoherent(this.dev, r.completion.size, r.completion.kva, r.completion.dma, 'dma_pool_free', undefined);
    c.priv = undefined;
  }

  // ---- descriptors ------------------------------------------------------------------------

  private prepMemcpy(c: DmaChan, dst: number, src: number, len: number, flags: number): DmaAsyncTxDescriptor | null {
    if (len <= 0 || !this.ring(c)) return null;
    if (Math.ceil(len / this.xfercap) > RING - 1) {
      this.k.log(this.dev, 'err', `ioat: a ${len}-byte memcpy needs more descriptors than the ${RING}-entry ring holds`);
      return null;
    }
    return new DmaAsyncTxDescriptor(c, { kind: 'memcpy', direction: DMA_MEM_TO_MEM, segs: [{ src, dst, len }], flags });
  }

  /** The driver's tx_submit: write the hardware descriptors at the ring's head. */
  private txSubmit(d: DmaAsyncTxDescriptor): number {
    const r = this.ring(d.chan);
    const seg = d.segs[0];
    const count = Math.max(1, Math.ceil(seg.len / this.xfercap));
    if (r.head - r.tail + count > RING - 1) {
      this.cleanup(d.chan);
      if (r.head - r.tail + count > RING - 1) {
        this.k.log(this.dev, 'err', `ioat: ${d.chan.dbgName}: ring full (${r.head - r.tail} descriptors outstanding)`);
        return -ENOMEM;
      }
    }
    const cpu = this.k.cpu;
    for (let i = 0; i < count; i++) {
      const off = i * this.xfercap;
      const n = Math.min(this.xfercap, seg.len - off);
      const at = this.slotKva(r, r.head + i);
      const last = i === count - 1;
      const ctl = last ? IOAT_DESC_CTL_COMPL_WRITE | (d.flags & DMA_PREP_INTERRUPT ? IOAT_DESC_CTL_INT_EN : 0) : 0;
      cpu.writeU(at + IOAT_DESC_SIZE_OFF, 4, n);
      cpu.writeU(at + IOAT_DESC_CTL_OFF, 4, ctl);
      cpu.writeU64(at + IOAT_DESC_SRC_OFF, BigInt(seg.src + off));
      cpu.writeU64(at + IOAT_DESC_DST_OFF, BigInt(seg.dst + off));
    }
    d.hw = { first: r.head, count } satisfies Slots;
    r.head += count;
    return 0;
  }

  private issuePending(c: DmaChan): void {
    const r = this.ring(c);
    // every issued descriptor is in the ring in order: they are all the hardware's now
    while (this.virt.start(c)) {
      /* move issued → active */
    }
    const last = c.active[c.active.length - 1];
    if (!last) return;
    const s = last.hw as Slots;
    this.wr(IOAT_CHAN_BASE(r.n) + IOAT_DMACOUNT, 2, (s.first + s.count - r.base) & 0xffff);
    this.armTimer(c);
  }

  /** ioat_cleanup: complete what the writeback says the engine finished; handle a halted channel. */
  private cleanup(c: DmaChan): void {
    const r = this.ring(c);
    if (!r) return;
    const sts = Number(this.k.cpu.readU64(r.completion.kva));
    const status = sts & IOAT_CHANSTS_STATUS;
    const doneAddr = sts - (sts % 64);
    let doneIdx = -1;
    if (doneAddr >= r.ring.dma && doneAddr < r.ring.dma + RING * IOAT_DESC_SIZE && (sts & IOAT_CHANSTS_COMPLETED_MASK) !== 0) {
      const slot = (doneAddr - r.ring.dma) / IOAT_DESC_SIZE;
      // the software index of that slot at or after the tail
      doneIdx = r.tail + ((slot - (r.tail % RING) + RING) % RING);
    }
    while (c.active.length) {
      const d = c.active[0];
      const s = d.hw as Slots;
      if (doneIdx < s.first + s.count - 1 || doneIdx >= r.head) break;
      r.tail = s.first + s.count;
      this.virt.cookieComplete(d, { result: DMA_TRANS_NOERROR, residue: 0 });
    }
    if (status === IOAT_CHANSTS_HALTED) this.halted(c, r);
    if (!c.active.length && r.timer) {
      r.timer.cancelled = true;
      r.timer = undefined;
    }
  }

  /** ioat_eh: the channel stopped on an error: fail the descriptor it was on, abort the rest, reset. */
  private halted(c: DmaChan, r: Ring): void {
    const b = IOAT_CHAN_BASE(r.n);
    const chanerr = Number(this.rd(b + IOAT_CHANERR, 4));
    this.k.log(this.dev, 'err', `ioatdma: ${c.dbgName}: channel halted, chanerr = 0x${chanerr.toString(16)}`);
    this.wr(b + IOAT_CHANERR, 4, chanerr);
    const failed = c.active[0];
    if (failed) this.virt.cookieComplete(failed, { result: chanerr & IOAT_CHANERR_DEST_ADDR_ERR ? DMA_TRANS_WRITE_FAILED : DMA_TRANS_READ_FAILED, residue: failed.total });
    for (const d of [...c.active]) this.virt.cookieComplete(d, { result: DMA_TRANS_ABORTED, residue: d.total });
    // descriptors submitted but not issued keep their slots: the channel restarts at the first
    this.reset(r, (c.submitted[0]?.hw as Slots | undefined)?.first ?? r.head);
  }

  private armTimer(c: DmaChan): void {
    const r = this.ring(c);
    if (r.timer || !c.active.length) return;
    r.timer = this.k.machine.sched.after(COMPLETION_TIMEOUT_NS, 'ioat completion timer', () => {
      r.timer = undefined;
      this.cleanup(c);
      this.armTimer(c);
    });
  }

  private irq(): number {
    const attn = Number(this.rd(IOAT_ATTNSTATUS, 4));
    if (!attn) return IRQ_NONE;
    this.wr(IOAT_ATTNSTATUS, 4, attn);
    for (const c of this.dma.channels) {
      if (!(attn & (1 << c.chan_id)) || !this.ring(c)) continue;
      this.cleanup(c);
      this.wr(IOAT_CHAN_BASE(c.chan_id) + IOAT_CHANCTRL, 2, IOAT_CHANCTRL_INT_REARM | IOAT_CHANCTRL_ERR_INT_EN);
    }
    return IRQ_HANDLED;
  }

  /** ioat_tx_status: poll the writeback; the residue is a whole descriptor's until it completes. */
  private txStatus(c: DmaChan, cookie: number, st: { residue: number }): void {
    this.cleanup(c);
    const d = [...c.submitted, ...c.issued, ...c.active].find((x) => x.cookie === cookie);
    st.residue = d ? d.total : 0;
  }

  /** Abort the channel and reset it: everything outstanding is dropped by the core. */
  private terminateAll(c: DmaChan): number {
    const r = this.ring(c);
    if (!r) return 0;
    if (r.timer) r.timer.cancelled = true;
    r.timer = undefined;
    this.reset(r, r.head);
    return 0;
  }
}

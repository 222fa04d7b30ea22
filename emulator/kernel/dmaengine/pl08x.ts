/**
 * The built-in driver for `arm,pl080` (drivers/dma/amba-pl08x.c): two dma_devices over one
 * controller, eight virtual memcpy channels and sixteen virtual slave channels (one per request
 * signal, what a `dmas = <&dmac SIGNAL AHB-MASTERS>` specifier names). Virtual channels share the
 * eight physical channels: one is taken when work is issued and given back (or to a waiting
 * virtual channel) when the last descriptor completes.
 *
 * A descriptor is a list of LLIs in an 8 KiB block from a dma_pool of coherent memory mapped for
 * the controller; the physical channel is loaded from the first and fetches the rest itself. The
 * last LLI of a transfer (of every period, for a cyclic one, whose last LLI points back at the
 * first) raises the terminal-count interrupt. The residue is read from the channel's control
 * register plus the LLIs it has not reached yet.
 */
import type { Device } from '../device';
import type { IoMem } from '../driver-core';
import { GFP_NOWAIT } from '../gfp';
import { IRQ_HANDLED, IRQ_NONE } from '../irq';
import type { Kernel } from '../kernel';
import { DmaPool, type PoolBlock } from '../dma/pool';
import { EINVAL } from '../errno';
import {
  PL080_CH_CONFIG, PL080_CH_CONTROL, PL080_CH_DST_ADDR, PL080_CH_LLI, PL080_CH_SRC_ADDR, PL080_CHANNELS, PL080_CONFIG, PL080_CONFIG_ACTIVE,
  PL080_CONFIG_DST_SEL_SHIFT, PL080_CONFIG_ENABLE, PL080_CONFIG_ENABLE_CH, PL080_CONFIG_ERR_IRQ_MASK, PL080_CONFIG_FLOW_CONTROL_SHIFT, PL080_CONFIG_HALT,
  PL080_CONFIG_SRC_SEL_SHIFT, PL080_CONFIG_TC_IRQ_MASK, PL080_CONTROL_DB_SIZE_SHIFT, PL080_CONTROL_DST_AHB2, PL080_CONTROL_DST_INCR, PL080_CONTROL_DWIDTH_SHIFT,
  PL080_CONTROL_SB_SIZE_SHIFT, PL080_CONTROL_SRC_AHB2, PL080_CONTROL_SRC_INCR, PL080_CONTROL_SWIDTH_SHIFT, PL080_CONTROL_TC_IRQ_EN,
  PL080_CONTROL_TRANSFER_SIZE_MASK, PL080_Cx_BASE, PL080_ERR_CLEAR, PL080_ERR_STATUS, PL080_FLOW_MEM2MEM, PL080_FLOW_MEM2PER, PL080_FLOW_PER2MEM,
  PL080_LLI_ADDR_MASK, PL080_LLI_SIZE, PL080_PERIPH_ID0, PL080_RAW_TC_STATUS, PL080_SIGNALS, PL080_TC_CLEAR, PL080_TC_STATUS,
} from '../../devices/pl080';
import { DmaChan } from './channel';
import {
  DMA_CYCLIC, DMA_DEV_TO_MEM, DMA_MEM_TO_DEV, DMA_MEM_TO_MEM, DMA_MEMCPY, DMA_PREP_INTERRUPT, DMA_RESIDUE_GRANULARITY_SEGMENT, DMA_SLAVE,
  DMA_TRANS_NOERROR, DMA_TRANS_READ_FAILED, DMA_TRANS_WRITE_FAILED, transferDirName,
} from './constants';
import type { DmaEngine } from './core';
import { DmaAsyncTxDescriptor, type DescSegment } from './descriptor';
import { DmaDevice, claimController, type DmaDeviceOps, type MemSegment, type TxState } from './dma-device';
import type { SlaveConfig } from './slave-config';
import type { VirtDma } from './virt-dma';

/** One descriptor's LLI block: 8 KiB, 512 LLIs (PL08X_LLI_TSFR_SIZE, MAX_NUM_TSFR_LLIS). */
const PL08X_LLI_TSFR_SIZE = 0x2000;
const MAX_NUM_TSFR_LLIS = PL08X_LLI_TSFR_SIZE / PL080_LLI_SIZE;
const PL08X_ALIGN = 8;
/** Polls of the Active bit while pausing (1 µs each in Linux; a register read here). */
const PAUSE_POLLS = 1000;
const TWO32 = 0x1_0000_0000;

interface Phy {
  id: number;
  base: number;
  serving?: DmaChan;
}

interface VChan {
  kind: 'memcpy' | 'slave';
  /** Request signal of a slave channel. */
  signal: number;
  /** AHB masters the peripheral sits on (the specifier's second cell: bit 0 AHB1, bit 1 AHB2). */
  periphBuses: number;
  phy?: Phy;
  at?: DmaAsyncTxDescriptor;
  waiting: boolean;
}

interface Txd {
  block: PoolBlock;
  count: number;
  ccfg: number;
}

const BURSTS = [1, 4, 8, 16, 32, 64, 128, 256];

function burstCode(maxburst: number): number {
  let code = 0;
  for (let i = 0; i < BURSTS.length; i++) if (BURSTS[i] <= Math.max(1, maxburst)) code = i;
  return code;
}

function widthCode(bytes: number): number {
  return bytes === 4 ? 2 : bytes === 2 ? 1 : 0;
}

export class Pl08xDriver {
  private io!: IoMem;
  private booting = true;
  private readonly phys: Phy[] = [];
  private readonly vchans: DmaChan[] = [];
  private memcpy!: DmaDevice;
  private slave!: DmaDevice;
  private pool!: DmaPool;
  private memcpyWidth = 4;
  private memcpyBurst = 256;

  constructor(
    private readonly engine: DmaEngine,
    private readonly k: Kernel,
    private readonly dev: Device,
  ) {}

  probe(): number {
    const k = this.k;
    const dev = this.dev;
    const claimed = claimController(k, dev, 'dma-pl08x');
    if (!claimed) return -EINVAL;
    const { irq } = claimed;
    this.io = claimed.io;
    const part = this.rd(PL080_PERIPH_ID0) | ((this.rd(PL080_PERIPH_ID0 + 4) & 0xf) << 8);
    const rev = (this.rd(PL080_PERIPH_ID0 + 8) >> 4) & 0xf;
    const mw = this.u32(dev, 'memcpy-bus-width', 32);
    this.memcpyWidth = mw === 8 ? 1 : mw === 16 ? 2 : 4;
    this.memcpyBurst = this.u32(dev, 'memcpy-burst-size', 256);
    this.pool = new DmaPool('dma-pl08x', dev, PL08X_LLI_TSFR_SIZE, PL08X_ALIGN, 0, PL08X_LLI_TSFR_SIZE);
    // the controller and its channels start disabled with nothing pending
    this.wr(PL080_CONFIG, PL080_CONFIG_ENABLE);
    this.wr(PL080_ERR_CLEAR, 0xff);
    this.wr(PL080_TC_CLEAR, 0xff);
    for (let i = 0; i < PL080_CHANNELS; i++) {
      this.phys.push({ id: i, base: PL080_Cx_BASE(i) });
      this.wr(PL080_Cx_BASE(i) + PL080_CH_CONFIG, 0);
    }

    const ops = (kind: 'memcpy' | 'slave'): DmaDeviceOps => ({
      prepMemcpy: kind === 'memcpy' ? (c, d, s, l, f) => this.prepMemcpy(c, d, s, l, f) : undefined,
      prepSlaveSg: kind === 'slave' ? (c, segs, dir, f) => this.prepSlaveSg(c, segs, dir, f) : undefined,
      prepCyclic: kind === 'slave' ? (c, b, bl, pl, dir, f) => this.prepCyclic(c, b, bl, pl, dir, f) : undefined,
      config: kind === 'slave' ? (c, cfg) => this.config(c, cfg) : undefined,
      issuePending: (c) => this.issuePending(c),
      txStatus: (c, cookie, st) => this.txStatus(c, cookie, st),
      pause: (c) => this.pause(c),
      resume: (c) => this.resume(c),
      terminateAll: (c) => this.terminateAll(c),
      freeDesc: (d) => this.freeDesc(d),
    });
    this.memcpy = new DmaDevice(dev, 'dma-pl08x', ops('memcpy'), irq);
    this.memcpy.cap_mask.set(DMA_MEMCPY);
    this.memcpy.directions = 1 << DMA_MEM_TO_MEM;
    this.memcpy.residue_granularity = DMA_RESIDUE_GRANULARITY_SEGMENT;
    for (let i = 0; i < PL080_CHANNELS; i++) this.addChan(this.memcpy, { kind: 'memcpy', signal: -1, periphBuses: 0, waiting: false });
    this.slave = new DmaDevice(dev, 'dma-pl08x', ops('slave'), irq);
    this.slave.cap_mask.set(DMA_SLAVE);
    this.slave.cap_mask.set(DMA_CYCLIC);
    this.slave.directions = (1 << DMA_MEM_TO_DEV) | (1 << DMA_DEV_TO_MEM);
    this.slave.src_addr_widths = this.slave.dst_addr_widths = (1 << 1) | (1 << 2) | (1 << 4);
    this.slave.max_burst = 256;
    this.slave.residue_granularity = DMA_RESIDUE_GRANULARITY_SEGMENT;
    for (let s = 0; s < PL080_SIGNALS; s++) this.addChan(this.slave, { kind: 'slave', signal: s, periphBuses: 1, waiting: false });
    const vm = this.engine.register(this.memcpy);
    const vs = this.engine.register(this.slave);

    const handler = (): number => this.irq(vm, vs);
    const r = k.irq.request(irq, vm.tasklet.wrap(vs.tasklet.wrap(handler)), 0, 'pl08x', this, dev, undefined);
    if (r < 0) {
      k.log(dev, 'err', `unable to request irq ${irq}`);
      return r;
    }
    this.engine.of.register(dev.desc.node, (args) => this.xlate(args));
    this.booting = false;
    k.log(dev, 'info', `initialized ${PL080_CHANNELS} virtual memcpy channels`);
    k.log(dev, 'info', `initialized ${PL080_SIGNALS} virtual slave channels`);
    k.log(dev, 'info', `DMA: PL${part.toString(16).padStart(3, '0')} rev${rev} at 0x${claimed.io.phys.toString(16).padStart(8, '0')} irq ${irq}`);
    return 0;
  }

  // ---- registers ------------------------------------------------------------------------

  /** Register access: timed like any MMIO once running; free during boot. */
  private rd(off: number): number {
    if (this.booting) return Number(this.k.bus.cpuMmioRead(this.io.phys + off, 4)) >>> 0;
    return Number(this.k.drivers.mmioRead(this.io.add(off), 4, 'readl')) >>> 0;
  }

  private wr(off: number, v: number): void {
    if (this.booting) this.k.bus.cpuMmioWrite(this.io.phys + off, 4, v >>> 0);
    else this.k.drivers.mmioWrite(this.io.add(off), 4, v >>> 0, 'writel');
  }

  private u32(dev: Device, prop: string, dflt: number): number {
    const p = dev.desc.node.properties.get(prop);
    return p && p.bytes.length === 4 ? p.u32() : dflt;
  }

  private addChan(d: DmaDevice, v: VChan): void {
    const c = new DmaChan(d, d.channels.length);
    c.priv = v;
    d.channels.push(c);
    this.vchans.push(c);
  }

  private st(c: DmaChan): VChan {
    return c.priv as VChan;
  }

  /** pl08x_of_xlate: <&dmac SIGNAL BUSES> → the signal's virtual slave channel. */
  private xlate(args: number[]): DmaChan | null {
    if (args.length !== 2) {
      this.k.log(this.dev, 'err', 'DMA channel translation requires two cells');
      return null;
    }
    const chan = this.slave.channels[args[0]];
    if (!chan) {
      this.k.log(this.dev, 'err', 'DMA slave channel not found');
      return null;
    }
    const got = this.engine.getChannel(chan);
    if (got) this.st(got).periphBuses = args[1];
    return got;
  }

  // ---- descriptors ----------------------------------------------------------------------

  private config(c: DmaChan, cfg: SlaveConfig): number {
    for (const w of [cfg.srcWidth, cfg.dstWidth]) {
      if (w !== 0 && w !== 1 && w !== 2 && w !== 4) {
        this.k.log(this.dev, 'err', `bad runtime_config: alien address width (${w} bytes; the PL080 does 1, 2 or 4)`);
        return -EINVAL;
      }
    }
    if (cfg.deviceFc) {
      this.k.log(this.dev, 'err', 'peripheral flow control is not supported');
      return -EINVAL;
    }
    c.config = cfg;
    return 0;
  }

  /** An LLI block for `n` LLIs, or null (with Linux's complaint). */
  private lliBlock(n: number): PoolBlock | null {
    if (n > MAX_NUM_TSFR_LLIS) {
      this.k.log(this.dev, 'err', `pl08x_fill_llis_for_desc need to increase MAX_NUM_TSFR_LLIS from 0x${MAX_NUM_TSFR_LLIS.toString(16)} (${n} LLIs)`);
      return null;
    }
    let b = this.pool.take();
    if (!b) {
      const page = this.k.dma.allocCoherent(this.dev, this.pool.allocation, GFP_NOWAIT, 'dma_pool_alloc', undefined);
      if (!page) {
        this.k.log(this.dev, 'err', 'pl08x: could not allocate LLIs');
        return null;
      }
      this.pool.addPage(page);
      b = this.pool.take();
    }
    return b ?? null;
  }

  /** Write the LLIs into their block; the last links to 0 (or, cyclic, back to the first). */
  private writeLlis(block: PoolBlock, llis: { src: number; dst: number; control: number }[], cyclic: boolean): void {
    const cpu = this.k.cpu;
    llis.forEach((l, i) => {
      const at = block.kva + i * PL080_LLI_SIZE;
      const next = i + 1 < llis.length ? block.dma + (i + 1) * PL080_LLI_SIZE : cyclic ? block.dma : 0;
      cpu.writeU(at, 4, l.src >>> 0);
      cpu.writeU(at + 4, 4, l.dst >>> 0);
      cpu.writeU(at + 8, 4, next >>> 0);
      cpu.writeU(at + 12, 4, l.control >>> 0);
    });
  }

  private tooHigh(addr: number, len: number, what: string): boolean {
    if (addr >= 0 && addr + len <= TWO32) return false;
    this.k.log(this.dev, 'err', `${what} 0x${addr.toString(16)}+${len} is beyond the PL080's 32-bit bus addresses`);
    return true;
  }

  private prepMemcpy(c: DmaChan, dst: number, src: number, len: number, flags: number): DmaAsyncTxDescriptor | null {
    if (len <= 0) return null;
    if (this.tooHigh(src, len, 'memcpy source') || this.tooHigh(dst, len, 'memcpy destination')) return null;
    let w = this.memcpyWidth;
    while (w > 1 && (src % w || dst % w || len % w)) w >>= 1;
    const wc = widthCode(w);
    const bc = burstCode(this.memcpyBurst);
    const perLli = PL080_CONTROL_TRANSFER_SIZE_MASK * w;
    const llis: { src: number; dst: number; control: number }[] = [];
    for (let off = 0; off < len; off += perLli) {
      const n = Math.min(perLli, len - off);
      let control = (n / w) | (bc << PL080_CONTROL_SB_SIZE_SHIFT) | (bc << PL080_CONTROL_DB_SIZE_SHIFT) | (wc << PL080_CONTROL_SWIDTH_SHIFT) | (wc << PL080_CONTROL_DWIDTH_SHIFT) | PL080_CONTROL_SRC_INCR | PL080_CONTROL_DST_INCR;
      if (off + n >= len) control |= PL080_CONTROL_TC_IRQ_EN;
      llis.push({ src: src + off, dst: dst + off, control: control >>> 0 });
    }
    const block = this.lliBlock(llis.length);
    if (!block) return null;
    this.writeLlis(block, llis, false);
    const txd: Txd = { block, count: llis.length, ccfg: (PL080_FLOW_MEM2MEM << PL080_CONFIG_FLOW_CONTROL_SHIFT) | PL080_CONFIG_TC_IRQ_MASK | PL080_CONFIG_ERR_IRQ_MASK };
    return new DmaAsyncTxDescriptor(c, { kind: 'memcpy', direction: DMA_MEM_TO_MEM, segs: [{ src, dst, len }], flags, hw: txd });
  }

  /** The FIFO end of a slave transfer from the channel's configuration, or null with a complaint. */
  private fifo(c: DmaChan, dir: number): { addr: number; width: number; burst: number } | null {
    const cfg = c.config;
    if (!cfg) {
      this.k.log(this.dev, 'err', `${c.who}: no slave configuration (dmaengine_slave_config) before preparing a slave transfer`);
      return null;
    }
    const toDev = dir === DMA_MEM_TO_DEV;
    const addr = toDev ? cfg.dstAddr : cfg.srcAddr;
    const width = toDev ? cfg.dstWidth : cfg.srcWidth;
    const burst = toDev ? cfg.dstMaxburst : cfg.srcMaxburst;
    if (addr < 0) {
      this.k.log(this.dev, 'err', `${c.who}: the slave configuration has no ${toDev ? 'dst_addr' : 'src_addr'} for ${transferDirName(dir)}`);
      return null;
    }
    if (width !== 1 && width !== 2 && width !== 4) {
      this.k.log(this.dev, 'err', `bad runtime_config: alien address width (${toDev ? 'dst_addr_width' : 'src_addr_width'} ${width})`);
      return null;
    }
    if (this.tooHigh(addr, width, 'FIFO address')) return null;
    return { addr, width, burst };
  }

  /** LLIs for a list of memory segments against a fixed FIFO; the TC interrupt where `tcAt` says. */
  private slaveLlis(c: DmaChan, segs: MemSegment[], dir: number, f: { addr: number; width: number; burst: number }, tcAt: (segIndex: number, last: boolean) => boolean): { src: number; dst: number; control: number }[] | null {
    const toDev = dir === DMA_MEM_TO_DEV;
    const wc = widthCode(f.width);
    const bc = burstCode(f.burst);
    const ahb2 = (this.st(c).periphBuses & 2) !== 0 && !(this.st(c).periphBuses & 1);
    const perLli = PL080_CONTROL_TRANSFER_SIZE_MASK * f.width;
    const llis: { src: number; dst: number; control: number }[] = [];
    for (let si = 0; si < segs.length; si++) {
      const s = segs[si];
      if (s.len <= 0 || s.len % f.width) {
        this.k.log(this.dev, 'err', `${c.who}: segment ${si} is ${s.len} bytes, not a multiple of the ${f.width}-byte FIFO width`);
        return null;
      }
      if (this.tooHigh(s.addr, s.len, 'buffer')) return null;
      for (let off = 0; off < s.len; off += perLli) {
        const n = Math.min(perLli, s.len - off);
        let control = (n / f.width) | (bc << PL080_CONTROL_SB_SIZE_SHIFT) | (bc << PL080_CONTROL_DB_SIZE_SHIFT) | (wc << PL080_CONTROL_SWIDTH_SHIFT) | (wc << PL080_CONTROL_DWIDTH_SHIFT);
        control |= toDev ? PL080_CONTROL_SRC_INCR : PL080_CONTROL_DST_INCR;
        if (ahb2) control |= toDev ? PL080_CONTROL_DST_AHB2 : PL080_CONTROL_SRC_AHB2;
        if (tcAt(si, off + n >= s.len)) control |= PL080_CONTROL_TC_IRQ_EN;
        llis.push({ src: toDev ? s.addr + off : f.addr, dst: toDev ? f.addr : s.addr + off, control: control >>> 0 });
      }
    }
    return llis;
  }

  private slaveCcfg(c: DmaChan, dir: number): number {
    const sig = this.st(c).signal;
    const flow = dir === DMA_MEM_TO_DEV ? PL080_FLOW_MEM2PER : PL080_FLOW_PER2MEM;
    const sel = dir === DMA_MEM_TO_DEV ? sig << PL080_CONFIG_DST_SEL_SHIFT : sig << PL080_CONFIG_SRC_SEL_SHIFT;
    return (flow << PL080_CONFIG_FLOW_CONTROL_SHIFT) | sel | PL080_CONFIG_TC_IRQ_MASK | PL080_CONFIG_ERR_IRQ_MASK;
  }

  private prepSlaveSg(c: DmaChan, segs: MemSegment[], dir: number, flags: number): DmaAsyncTxDescriptor | null {
    const f = this.fifo(c, dir);
    if (!f || segs.length === 0) return null;
    const llis = this.slaveLlis(c, segs, dir, f, (si, last) => last && si === segs.length - 1);
    if (!llis) return null;
    const block = this.lliBlock(llis.length);
    if (!block) return null;
    this.writeLlis(block, llis, false);
    const out: DescSegment[] = segs.map((s) => (dir === DMA_MEM_TO_DEV ? { src: s.addr, dst: f.addr, len: s.len } : { src: f.addr, dst: s.addr, len: s.len }));
    return new DmaAsyncTxDescriptor(c, { kind: 'slave', direction: dir, segs: out, flags, hw: { block, count: llis.length, ccfg: this.slaveCcfg(c, dir) } satisfies Txd });
  }

  private prepCyclic(c: DmaChan, buf: number, bufLen: number, periodLen: number, dir: number, flags: number): DmaAsyncTxDescriptor | null {
    const f = this.fifo(c, dir);
    if (!f) return null;
    if (periodLen <= 0 || bufLen <= 0 || bufLen % periodLen) {
      this.k.log(this.dev, 'err', `${c.who}: cyclic buffer of ${bufLen} bytes is not a whole number of ${periodLen}-byte periods`);
      return null;
    }
    const periods: MemSegment[] = [];
    for (let off = 0; off < bufLen; off += periodLen) periods.push({ addr: buf + off, len: periodLen });
    const llis = this.slaveLlis(c, periods, dir, f, (_si, last) => last);
    if (!llis) return null;
    const block = this.lliBlock(llis.length);
    if (!block) return null;
    this.writeLlis(block, llis, true);
    const seg: DescSegment = dir === DMA_MEM_TO_DEV ? { src: buf, dst: f.addr, len: bufLen } : { src: f.addr, dst: buf, len: bufLen };
    return new DmaAsyncTxDescriptor(c, { kind: 'cyclic', direction: dir, segs: [seg], flags: flags | DMA_PREP_INTERRUPT, periodLen, hw: { block, count: llis.length, ccfg: this.slaveCcfg(c, dir) } satisfies Txd });
  }

  private freeDesc(d: DmaAsyncTxDescriptor): void {
    const t = d.hw as Txd | undefined;
    if (t) this.pool.give(t.block.dma, t.block.kva);
    d.hw = undefined;
  }

  // ---- running them -----------------------------------------------------------------------

  private virt(c: DmaChan): VirtDma {
    return this.engine.virtOf(c.device);
  }

  private issuePending(c: DmaChan): void {
    const st = this.st(c);
    if (!this.virt(c).issue(c)) return;
    if (st.phy) {
      if (!st.at) this.startNext(c);
      return;
    }
    if (st.waiting) return;
    const phy = this.phys.find((p) => !p.serving);
    if (!phy) {
      st.waiting = true; // pl08x: "no physical channel available", waits for one to free up
      return;
    }
    phy.serving = c;
    st.phy = phy;
    this.startNext(c);
  }

  /** pl08x_start_next_txd: load the physical channel from the first LLI and enable it. */
  private startNext(c: DmaChan): void {
    const st = this.st(c);
    const d = this.virt(c).start(c);
    if (!d) {
      this.freePhy(c);
      return;
    }
    st.at = d;
    const t = d.hw as Txd;
    const cpu = this.k.cpu;
    const base = st.phy!.base;
    const kva = t.block.kva;
    this.wr(base + PL080_CH_SRC_ADDR, cpu.readU(kva, 4));
    this.wr(base + PL080_CH_DST_ADDR, cpu.readU(kva + 4, 4));
    this.wr(base + PL080_CH_LLI, cpu.readU(kva + 8, 4));
    this.wr(base + PL080_CH_CONTROL, cpu.readU(kva + 12, 4));
    this.wr(base + PL080_CH_CONFIG, t.ccfg);
    this.wr(base + PL080_CH_CONFIG, t.ccfg | PL080_CONFIG_ENABLE_CH);
  }

  /** pl08x_phy_free: give the physical channel to a waiting virtual channel, or back to the pool. */
  private freePhy(c: DmaChan): void {
    const st = this.st(c);
    const phy = st.phy;
    st.phy = undefined;
    st.at = undefined;
    if (!phy) return;
    phy.serving = undefined;
    const next = this.vchans.find((v) => this.st(v).waiting && v.issued.length > 0);
    if (next) {
      const ns = this.st(next);
      ns.waiting = false;
      ns.phy = phy;
      phy.serving = next;
      this.startNext(next);
    }
  }

  private irq(vm: VirtDma, vs: VirtDma): number {
    const err = this.rd(PL080_ERR_STATUS);
    const tc = this.rd(PL080_TC_STATUS);
    if (!err && !tc) return IRQ_NONE;
    if (err) this.wr(PL080_ERR_CLEAR, err);
    if (tc) this.wr(PL080_TC_CLEAR, tc);
    for (const phy of this.phys) {
      const bit = 1 << phy.id;
      if (!((err | tc) & bit)) continue;
      const c = phy.serving;
      if (!c) {
        this.k.log(this.dev, 'err', `pl08x_irq Error TC interrupt on unused channel: 0x${bit.toString(16).padStart(8, '0')}`);
        continue;
      }
      const st = this.st(c);
      const d = st.at;
      if (!d) continue;
      const v = c.device === this.memcpy ? vm : vs;
      if (err & bit) {
        this.k.log(this.dev, 'err', `pl08x_irq error interrupt on channel ${phy.id}`);
        const residue = this.residue(c, d);
        st.at = undefined;
        v.cookieComplete(d, { result: d.direction === DMA_DEV_TO_MEM ? DMA_TRANS_WRITE_FAILED : DMA_TRANS_READ_FAILED, residue });
        if (v.next(c)) this.startNext(c);
        else this.freePhy(c);
        continue;
      }
      if (d.kind === 'cyclic') {
        v.cyclicCallback(d);
        continue;
      }
      st.at = undefined;
      v.cookieComplete(d, { result: DMA_TRANS_NOERROR, residue: 0 });
      if (v.next(c)) this.startNext(c);
      else this.freePhy(c);
    }
    return IRQ_HANDLED;
  }

  /** pl08x_getbytes_chan: the control register's count, plus the LLIs the channel has not reached. */
  private residue(c: DmaChan, d: DmaAsyncTxDescriptor): number {
    const st = this.st(c);
    if (!st.phy || st.at !== d) return d.total;
    const base = st.phy.base;
    const t = d.hw as Txd;
    const cctl = this.rd(base + PL080_CH_CONTROL);
    const bytesIn = (ctl: number): number => (ctl & PL080_CONTROL_TRANSFER_SIZE_MASK) << ((ctl >>> PL080_CONTROL_SWIDTH_SHIFT) & 7);
    let bytes = bytesIn(cctl);
    const clli = (this.rd(base + PL080_CH_LLI) & PL080_LLI_ADDR_MASK) >>> 0;
    if (!clli) return bytes;
    const cpu = this.k.cpu;
    for (let index = (clli - t.block.dma) / PL080_LLI_SIZE; index >= 0 && index < t.count; index++) {
      const at = t.block.kva + index * PL080_LLI_SIZE;
      bytes += bytesIn(cpu.readU(at + 12, 4));
      // a LLI pointer going backward ends the list (the loop of a cyclic transfer)
      if ((cpu.readU(at + 8, 4) & PL080_LLI_ADDR_MASK) >>> 0 <= clli) break;
    }
    return bytes;
  }

  private txStatus(c: DmaChan, cookie: number, state: TxState): void {
    const queued = [...c.submitted, ...c.issued].find((d) => d.cookie === cookie);
    if (queued) {
      state.residue = queued.total;
      return;
    }
    const at = this.st(c).at;
    state.residue = at ? this.residue(c, at) : 0;
  }

  /** pl08x_pause: halt the physical channel and wait for its FIFO to drain. */
  private pause(c: DmaChan): number {
    const st = this.st(c);
    if (!st.phy && !st.at) return 0;
    if (st.phy) {
      const reg = st.phy.base + PL080_CH_CONFIG;
      this.wr(reg, this.rd(reg) | PL080_CONFIG_HALT);
      let polls = 0;
      while (this.rd(reg) & PL080_CONFIG_ACTIVE && ++polls < PAUSE_POLLS) {
        /* each read is 100 ns of virtual time */
      }
      if (polls >= PAUSE_POLLS) this.k.log(this.dev, 'err', `pause: unable to pause channel ${st.phy.id}`);
    }
    c.paused = true;
    return 0;
  }

  private resume(c: DmaChan): number {
    const st = this.st(c);
    if (!st.phy && !st.at) return 0;
    if (st.phy) {
      const reg = st.phy.base + PL080_CH_CONFIG;
      this.wr(reg, this.rd(reg) & ~PL080_CONFIG_HALT);
    }
    c.paused = false;
    return 0;
  }

  /** pl08x_terminate_all: disable the physical channel, drop its pending interrupt, free it. */
  private terminateAll(c: DmaChan): number {
    const st = this.st(c);
    st.waiting = false;
    if (st.phy) {
      const base = st.phy.base;
      this.wr(base + PL080_CH_CONFIG, this.rd(base + PL080_CH_CONFIG) & ~(PL080_CONFIG_ENABLE_CH | PL080_CONFIG_TC_IRQ_MASK | PL080_CONFIG_ERR_IRQ_MASK | PL080_CONFIG_HALT));
      const bit = 1 << st.phy.id;
      this.wr(PL080_ERR_CLEAR, bit);
      if (this.rd(PL080_RAW_TC_STATUS) & bit) this.wr(PL080_TC_CLEAR, bit);
      this.freePhy(c);
    }
    st.at = undefined;
    c.paused = false;
    return 0;
  }
}

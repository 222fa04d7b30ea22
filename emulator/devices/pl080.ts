/**
 * `arm,pl080`: the Arm PrimeCell DMA controller (PL080 TRM, DDI 0196), register for register:
 * eight channels, sixteen peripheral request lines, a combined interrupt from terminal-count and
 * error status, and linked-list items (LLIs) that live in memory. A channel runs the transfer in
 * its registers, then fetches the next LLI (four words: source, destination, next LLI, control)
 * from RAM through the controller's own DMA port (so an LLI must sit in memory mapped for the
 * controller) and goes on until an LLI whose next pointer is 0. A channel's control register
 * counts the remaining transfers down: that is the residue a driver reads.
 *
 * Memory-to-memory channels move data as fast as the bus lets them. Memory-to-peripheral and
 * peripheral-to-memory channels move at most a burst whenever the peripheral's request line says
 * it can take or give data (its FIFO), one FIFO-width access at a time at the FIFO's fixed address.
 */
import type { DeviceContext, DeviceModel, TransferHandle } from './device-model';
import { dmaRequestFabric, DmaRequestFabric, DmaRequestTarget } from './dma-request';

export const PL080_INT_STATUS = 0x000;
export const PL080_TC_STATUS = 0x004;
export const PL080_TC_CLEAR = 0x008;
export const PL080_ERR_STATUS = 0x00c;
export const PL080_ERR_CLEAR = 0x010;
export const PL080_RAW_TC_STATUS = 0x014;
export const PL080_RAW_ERR_STATUS = 0x018;
export const PL080_EN_CHAN = 0x01c;
export const PL080_SOFT_BREQ = 0x020;
export const PL080_SOFT_SREQ = 0x024;
export const PL080_SOFT_LBREQ = 0x028;
export const PL080_SOFT_LSREQ = 0x02c;
export const PL080_CONFIG = 0x030;
export const PL080_SYNC = 0x034;
export const PL080_PERIPH_ID0 = 0xfe0;
export const PL080_PCELL_ID0 = 0xff0;

/** Channel `n`'s register block. */
export function PL080_Cx_BASE(n: number): number {
  return 0x100 + n * 0x20;
}
export const PL080_CH_SRC_ADDR = 0x00;
export const PL080_CH_DST_ADDR = 0x04;
export const PL080_CH_LLI = 0x08;
export const PL080_CH_CONTROL = 0x0c;
export const PL080_CH_CONFIG = 0x10;

export const PL080_CONFIG_ENABLE = 1 << 0;
export const PL080_CONFIG_M1_BE = 1 << 1;
export const PL080_CONFIG_M2_BE = 1 << 2;

/** LLI word 2 (and the channel LLI register): next LLI address, bit 0 = fetch it on AHB master 2. */
export const PL080_LLI_ADDR_MASK = 0xffff_fffc;
export const PL080_LLI_LM_AHB2 = 1 << 0;
/** Bytes of one LLI in memory: source, destination, next LLI, control. */
export const PL080_LLI_SIZE = 16;

export const PL080_CONTROL_TC_IRQ_EN = 1 << 31;
export const PL080_CONTROL_PROT_SHIFT = 28;
export const PL080_CONTROL_DST_INCR = 1 << 27;
export const PL080_CONTROL_SRC_INCR = 1 << 26;
export const PL080_CONTROL_DST_AHB2 = 1 << 25;
export const PL080_CONTROL_SRC_AHB2 = 1 << 24;
export const PL080_CONTROL_DWIDTH_SHIFT = 21;
export const PL080_CONTROL_SWIDTH_SHIFT = 18;
export const PL080_CONTROL_DB_SIZE_SHIFT = 15;
export const PL080_CONTROL_SB_SIZE_SHIFT = 12;
export const PL080_CONTROL_TRANSFER_SIZE_MASK = 0xfff;

export const PL080_BSIZE_1 = 0;
export const PL080_BSIZE_4 = 1;
export const PL080_BSIZE_8 = 2;
export const PL080_BSIZE_16 = 3;
export const PL080_BSIZE_32 = 4;
export const PL080_BSIZE_64 = 5;
export const PL080_BSIZE_128 = 6;
export const PL080_BSIZE_256 = 7;
export const PL080_WIDTH_8BIT = 0;
export const PL080_WIDTH_16BIT = 1;
export const PL080_WIDTH_32BIT = 2;

export const PL080_CONFIG_HALT = 1 << 18;
export const PL080_CONFIG_ACTIVE = 1 << 17;
export const PL080_CONFIG_LOCK = 1 << 16;
export const PL080_CONFIG_TC_IRQ_MASK = 1 << 15;
export const PL080_CONFIG_ERR_IRQ_MASK = 1 << 14;
export const PL080_CONFIG_FLOW_CONTROL_SHIFT = 11;
export const PL080_CONFIG_DST_SEL_SHIFT = 6;
export const PL080_CONFIG_SRC_SEL_SHIFT = 1;
export const PL080_CONFIG_ENABLE_CH = 1 << 0;

export const PL080_FLOW_MEM2MEM = 0;
export const PL080_FLOW_MEM2PER = 1;
export const PL080_FLOW_PER2MEM = 2;

export const PL080_CHANNELS = 8;
export const PL080_SIGNALS = 16;

const BURST_ITEMS = [1, 4, 8, 16, 32, 64, 128, 256];
/** A memory-to-memory channel moves this much per bus tenure (the residue's granularity). */
const M2M_CHUNK = 4096;
const SETUP_NS = 200;
/** Cost of one peripheral (FIFO) access on the AHB, ns. */
const PERIPH_ACCESS_NS = 20;
/** PL080 PrimeCell ids: part 0x080, designer Arm, revision 0; cell id 0xB105F00D. */
const PERIPH_ID = [0x80, 0x10, 0x04, 0x00];
const PCELL_ID = [0x0d, 0xf0, 0x05, 0xb1];

interface Channel {
  n: number;
  src: number;
  dst: number;
  lli: number;
  control: number;
  config: number;
  /** Enabled and not finished. */
  running: boolean;
  /** A burst is on the bus (the config register's Active bit). */
  busy?: { cancelled: boolean };
  /** The LLI segment now running. */
  seg?: { h: TransferHandle; bytes: number; done: number };
  /** Peripheral line the channel waits on (-1: none). */
  line: number;
}

export class Pl080 implements DeviceModel, DmaRequestTarget {
  readonly compatible = 'arm,pl080';
  private enabled = false;
  private sync = 0;
  private rawTc = 0;
  private rawErr = 0;
  private softB = 0;
  private softS = 0;
  private readonly ch: Channel[] = [];
  private readonly fabric: DmaRequestFabric;
  private readonly buf = new Uint8Array(M2M_CHUNK);
  private readonly word = new Uint8Array(PL080_LLI_SIZE);
  private readonly view = new DataView(this.word.buffer);

  constructor(private readonly ctx: DeviceContext) {
    for (let n = 0; n < PL080_CHANNELS; n++) this.ch.push({ n, src: 0, dst: 0, lli: 0, control: 0, config: 0, running: false, line: -1 });
    this.fabric = dmaRequestFabric(ctx.bus);
    this.fabric.attachController(ctx.desc.node, this);
  }

  mmioRead(offset: number, size: 1 | 2 | 4 | 8): number | bigint {
    const v = this.read32(offset & ~3) >>> ((offset & 3) * 8);
    if (size === 8) return BigInt(v >>> 0);
    return size === 4 ? v >>> 0 : v & (2 ** (size * 8) - 1);
  }

  mmioWrite(offset: number, _size: 1 | 2 | 4 | 8, value: number | bigint): void {
    const v = Number(BigInt.asUintN(32, BigInt(value))) >>> 0;
    if (offset >= 0x100 && offset < PL080_Cx_BASE(PL080_CHANNELS)) {
      this.writeChannel(this.ch[(offset - 0x100) >> 5], offset & 0x1f, v);
      return;
    }
    switch (offset) {
      case PL080_TC_CLEAR:
        this.rawTc &= ~v;
        this.update();
        return;
      case PL080_ERR_CLEAR:
        this.rawErr &= ~v;
        this.update();
        return;
      case PL080_SOFT_BREQ:
      case PL080_SOFT_LBREQ:
        this.softB |= v & 0xffff;
        this.kickSoft(v);
        return;
      case PL080_SOFT_SREQ:
      case PL080_SOFT_LSREQ:
        this.softS |= v & 0xffff;
        this.kickSoft(v);
        return;
      case PL080_CONFIG: {
        const was = this.enabled;
        this.enabled = (v & PL080_CONFIG_ENABLE) !== 0;
        if (v & (PL080_CONFIG_M1_BE | PL080_CONFIG_M2_BE)) this.ctx.log('warn', 'pl080: big-endian AHB masters are not modelled; treating them as little-endian');
        if (this.enabled && !was) for (const c of this.ch) if (c.running) this.service(c);
        return;
      }
      case PL080_SYNC:
        this.sync = v & 0xffff;
        return;
      default:
        return;
    }
  }

  snapshot(): Record<string, number | string | boolean> {
    const s: Record<string, number | string | boolean> = { enabled: this.enabled, raw_tc: this.rawTc, raw_err: this.rawErr, enabled_channels: this.enabledMask() };
    for (const c of this.ch) {
      if (!c.running && !c.config) continue;
      s[`ch${c.n}`] = `src 0x${c.src.toString(16)} dst 0x${c.dst.toString(16)} lli 0x${c.lli.toString(16)} control 0x${c.control.toString(16)} config 0x${this.configOf(c).toString(16)}`;
    }
    return s;
  }

  /** A peripheral's request line may be active. */
  dmaRequest(line: number): void {
    for (const c of this.ch) if (c.running && c.line === line && !c.busy) this.service(c);
  }

  // ---- registers ------------------------------------------------------------------------

  private read32(offset: number): number {
    if (offset >= 0x100 && offset < PL080_Cx_BASE(PL080_CHANNELS)) {
      const c = this.ch[(offset - 0x100) >> 5];
      switch (offset & 0x1f) {
        case PL080_CH_SRC_ADDR:
          return c.src;
        case PL080_CH_DST_ADDR:
          return c.dst;
        case PL080_CH_LLI:
          return c.lli;
        case PL080_CH_CONTROL:
          return c.control;
        case PL080_CH_CONFIG:
          return this.configOf(c);
        default:
          return 0;
      }
    }
    if (offset >= PL080_PERIPH_ID0 && offset < PL080_PERIPH_ID0 + 16) return PERIPH_ID[(offset - PL080_PERIPH_ID0) >> 2];
    if (offset >= PL080_PCELL_ID0 && offset < PL080_PCELL_ID0 + 16) return PCELL_ID[(offset - PL080_PCELL_ID0) >> 2];
    switch (offset) {
      case PL080_INT_STATUS:
        return this.tcStatus() | this.errStatus();
      case PL080_TC_STATUS:
        return this.tcStatus();
      case PL080_ERR_STATUS:
        return this.errStatus();
      case PL080_RAW_TC_STATUS:
        return this.rawTc;
      case PL080_RAW_ERR_STATUS:
        return this.rawErr;
      case PL080_EN_CHAN:
        return this.enabledMask();
      case PL080_SOFT_BREQ:
      case PL080_SOFT_LBREQ:
        return this.softB | this.requestLines(8);
      case PL080_SOFT_SREQ:
      case PL080_SOFT_LSREQ:
        return this.softS | this.requestLines(1);
      case PL080_CONFIG:
        return this.enabled ? PL080_CONFIG_ENABLE : 0;
      case PL080_SYNC:
        return this.sync;
      default:
        return 0;
    }
  }

  private configOf(c: Channel): number {
    let v = c.config & ~(PL080_CONFIG_ACTIVE | PL080_CONFIG_ENABLE_CH);
    if (c.running) v |= PL080_CONFIG_ENABLE_CH;
    if (c.busy) v |= PL080_CONFIG_ACTIVE;
    return v >>> 0;
  }

  private enabledMask(): number {
    let m = 0;
    for (const c of this.ch) if (c.running) m |= 1 << c.n;
    return m;
  }

  private requestLines(min: number): number {
    let m = 0;
    for (let l = 0; l < PL080_SIGNALS; l++) if (this.fabric.ready(this.ctx.desc.node, l) >= min) m |= 1 << l;
    return m;
  }

  private tcStatus(): number {
    let m = 0;
    for (const c of this.ch) if (c.config & PL080_CONFIG_TC_IRQ_MASK) m |= 1 << c.n;
    return this.rawTc & m;
  }

  private errStatus(): number {
    let m = 0;
    for (const c of this.ch) if (c.config & PL080_CONFIG_ERR_IRQ_MASK) m |= 1 << c.n;
    return this.rawErr & m;
  }

  /** The combined interrupt (DMACINTR) follows the masked status. */
  private update(): void {
    const line = this.ctx.irqLine();
    if (line < 0) return;
    if (this.tcStatus() | this.errStatus()) this.ctx.irqc.raise(line);
    else this.ctx.irqc.lower(line);
  }

  private writeChannel(c: Channel, reg: number, v: number): void {
    switch (reg) {
      case PL080_CH_SRC_ADDR:
        c.src = v;
        return;
      case PL080_CH_DST_ADDR:
        c.dst = v;
        return;
      case PL080_CH_LLI:
        c.lli = v;
        return;
      case PL080_CH_CONTROL:
        c.control = v;
        return;
      case PL080_CH_CONFIG: {
        const wasRunning = c.running;
        const wasHalted = (c.config & PL080_CONFIG_HALT) !== 0;
        c.config = v & ~PL080_CONFIG_ACTIVE;
        if (!(v & PL080_CONFIG_ENABLE_CH)) {
          if (wasRunning) this.abort(c);
          return;
        }
        if (!wasRunning) this.start(c);
        else if (wasHalted && !(v & PL080_CONFIG_HALT)) this.service(c);
        return;
      }
      default:
        return;
    }
  }

  // ---- the channel engine ---------------------------------------------------------------

  private flow(c: Channel): number {
    return (c.config >> PL080_CONFIG_FLOW_CONTROL_SHIFT) & 7;
  }

  private start(c: Channel): void {
    const flow = this.flow(c);
    if (flow !== PL080_FLOW_MEM2MEM && flow !== PL080_FLOW_MEM2PER && flow !== PL080_FLOW_PER2MEM) {
      this.ctx.log('err', `pl080: channel ${c.n}: flow control ${flow} (peripheral-controlled or peripheral-to-peripheral) is not modelled`);
      this.error(c, 'unsupported flow control');
      return;
    }
    c.line = flow === PL080_FLOW_MEM2PER ? (c.config >> PL080_CONFIG_DST_SEL_SHIFT) & 15 : flow === PL080_FLOW_PER2MEM ? (c.config >> PL080_CONFIG_SRC_SEL_SHIFT) & 15 : -1;
    c.running = true;
    this.beginSegment(c);
    if (c.running) this.service(c, SETUP_NS);
  }

  private beginSegment(c: Channel): void {
    const bytes = (c.control & PL080_CONTROL_TRANSFER_SIZE_MASK) << ((c.control >>> PL080_CONTROL_SWIDTH_SHIFT) & 7);
    const flow = this.flow(c);
    const toMem = flow !== PL080_FLOW_MEM2PER;
    const memAddr = flow === PL080_FLOW_PER2MEM ? c.dst : flow === PL080_FLOW_MEM2PER ? c.src : c.dst;
    const kind = flow === PL080_FLOW_MEM2MEM ? 'M2M' : flow === PL080_FLOW_MEM2PER ? 'M2P' : 'P2M';
    c.seg = { h: this.ctx.transferStart(`ch${c.n} ${kind} LLI`, memAddr, bytes, toMem), bytes, done: 0 };
  }

  private abort(c: Channel): void {
    if (c.busy) c.busy.cancelled = true;
    c.busy = undefined;
    c.running = false;
    if (c.seg) this.ctx.transferEnd(c.seg.h, false, c.seg.done);
    c.seg = undefined;
  }

  /** Plan the next bus tenure of a channel, if it may move now. */
  private service(c: Channel, extraNs = 0): void {
    if (!c.running || c.busy || !this.enabled || c.config & PL080_CONFIG_HALT) return;
    const left = c.control & PL080_CONTROL_TRANSFER_SIZE_MASK;
    if (left === 0) {
      this.endSegment(c);
      return;
    }
    const sw = 1 << ((c.control >>> PL080_CONTROL_SWIDTH_SHIFT) & 7);
    let items: number;
    let ns: number;
    if (c.line < 0) {
      items = Math.min(left, Math.max(1, Math.floor(M2M_CHUNK / sw)));
      ns = Math.ceil((items * sw) / this.ctx.bytesPerNs);
    } else {
      const ready = this.readyItems(c);
      if (ready === 0) return; // wait for the peripheral's request
      const toPeriph = this.flow(c) === PL080_FLOW_MEM2PER;
      const bsize = BURST_ITEMS[(c.control >>> (toPeriph ? PL080_CONTROL_DB_SIZE_SHIFT : PL080_CONTROL_SB_SIZE_SHIFT)) & 7];
      items = Math.min(left, bsize, ready);
      ns = items * PERIPH_ACCESS_NS + Math.ceil((items * sw) / this.ctx.bytesPerNs);
    }
    const ev = this.ctx.sched.after(extraNs + ns, `pl080 ch${c.n}`, () => {
      if (c.busy !== ev) return;
      c.busy = undefined;
      this.move(c, items);
    });
    c.busy = ev;
  }

  /** Items the peripheral can transfer now, counting software requests. */
  private readyItems(c: Channel): number {
    let r = this.fabric.ready(this.ctx.desc.node, c.line);
    const bit = 1 << c.line;
    if (this.softB & bit) r = Math.max(r, 256);
    else if (this.softS & bit) r = Math.max(r, 1);
    return r;
  }

  private kickSoft(lines: number): void {
    for (const c of this.ch) if (c.running && c.line >= 0 && lines & (1 << c.line)) this.service(c);
  }

  private move(c: Channel, items: number): void {
    const seg = c.seg!;
    const sw = 1 << ((c.control >>> PL080_CONTROL_SWIDTH_SHIFT) & 7);
    const dw = 1 << ((c.control >>> PL080_CONTROL_DWIDTH_SHIFT) & 7);
    if (c.line >= 0) {
      // the peripheral may have more now, never less than planned
      items = Math.min(items, this.readyItems(c) || items);
      const bit = 1 << c.line;
      this.softB &= ~bit;
      this.softS &= ~bit;
    }
    const bytes = items * sw;
    const buf = bytes <= this.buf.length ? this.buf : new Uint8Array(bytes);
    const bus = this.ctx.bus;
    const port = this.ctx.port;
    // source side
    let got: number;
    if (c.control & PL080_CONTROL_SRC_INCR) got = bus.deviceRead(port, c.src, buf, 0, bytes, seg.h);
    else {
      got = 0;
      for (let i = 0; i < bytes; i += sw) {
        const n = bus.deviceRead(port, c.src, buf, i, sw, seg.h);
        got += n;
        if (n < sw) break;
      }
    }
    if (got < bytes) {
      this.error(c, port.lastError ?? 'bus error', `reading 0x${(c.src >>> 0).toString(16)}`);
      return;
    }
    // destination side
    let put: number;
    if (c.control & PL080_CONTROL_DST_INCR) put = bus.deviceWrite(port, c.dst, buf, 0, bytes, seg.h);
    else {
      put = 0;
      for (let i = 0; i < bytes; i += dw) {
        const n = bus.deviceWrite(port, c.dst, buf, i, Math.min(dw, bytes - i), seg.h);
        put += n;
        if (n < Math.min(dw, bytes - i)) break;
      }
    }
    if (put < bytes) {
      this.error(c, port.lastError ?? 'bus error', `writing 0x${(c.dst >>> 0).toString(16)}`);
      return;
    }
    if (c.control & PL080_CONTROL_SRC_INCR) c.src = (c.src + bytes) >>> 0;
    if (c.control & PL080_CONTROL_DST_INCR) c.dst = (c.dst + bytes) >>> 0;
    const left = (c.control & PL080_CONTROL_TRANSFER_SIZE_MASK) - items;
    c.control = ((c.control & ~PL080_CONTROL_TRANSFER_SIZE_MASK) | left) >>> 0;
    seg.done += bytes;
    if (left === 0) this.endSegment(c);
    else this.service(c);
  }

  /** Terminal count of one LLI: interrupt if asked, then the next LLI or the end of the chain. */
  private endSegment(c: Channel): void {
    const seg = c.seg;
    const tcIrq = (c.control & PL080_CONTROL_TC_IRQ_EN) !== 0;
    const next = (c.lli & PL080_LLI_ADDR_MASK) >>> 0;
    if (next) {
      const n = this.ctx.bus.deviceRead(this.ctx.port, next, this.word, 0, PL080_LLI_SIZE, seg?.h);
      if (n < PL080_LLI_SIZE) {
        this.error(c, this.ctx.port.lastError ?? 'bus error', `fetching the LLI at 0x${next.toString(16)}`);
        return;
      }
    }
    if (seg) this.ctx.transferEnd(seg.h, true, seg.done);
    c.seg = undefined;
    if (tcIrq) {
      this.rawTc |= 1 << c.n;
      this.update();
    }
    if (!next) {
      c.running = false;
      return;
    }
    const w = this.view;
    c.src = w.getUint32(0, true);
    c.dst = w.getUint32(4, true);
    c.lli = w.getUint32(8, true);
    c.control = w.getUint32(12, true);
    this.beginSegment(c);
    this.service(c);
  }

  private error(c: Channel, why: string, what?: string): void {
    this.ctx.log('err', `pl080: channel ${c.n}: DMA error ${what ? `${what}: ` : ''}${why}`);
    if (c.busy) c.busy.cancelled = true;
    c.busy = undefined;
    c.running = false;
    if (c.seg) this.ctx.transferEnd(c.seg.h, false, c.seg.done);
    c.seg = undefined;
    this.rawErr |= 1 << c.n;
    this.update();
  }
}

/**
 * `dmalab,nic`: a network card with receive and transmit descriptor rings in memory, in the manner
 * of the DEC Tulip / Synopsys stmmac family. Each ring is an array of 32-byte descriptors the card
 * reads and writes through its DMA port (through the IOMMU, past the CPU caches when non-coherent);
 * the first word of a descriptor holds the OWN bit: set, the descriptor belongs to the card; clear,
 * to the CPU. A descriptor may instead link to the next one (CHAIN), so a list of descriptors from
 * a dma_pool works as well as an array.
 *
 * Receive: frames arrive from the wire on their own (the scenario's `sys.net.send`, or the
 * devicetree's `dmalab,rx-packets` traffic) into a 32 KiB FIFO. The receive engine takes the
 * descriptor at its position; if the card owns it, the engine latches its buffer address and size
 * at that instant, writes the frame into the buffer, writes the descriptor's first word back (OWN
 * clear, FS|LS, the frame length), moves on and raises the RX interrupt. It reads descriptors in
 * bursts of NIC_RX_PREFETCH and keeps the ones it owns for the next frames, as real cards do. If the card does not own
 * it (the ring is full), the frame waits in the FIFO and the engine polls the descriptor: it reads
 * it again whenever a CPU store reaches it (memory-observers.ts), on a write to RX_TAIL, and when
 * another frame arrives. A frame that finds the FIFO full is dropped and counted (RX_DROPPED,
 * RX_OVERRUN). So a descriptor handed over (OWN) before its address is written, or without a
 * dma_wmb() between the two, is read with the old address, and the frame lands in the old buffer.
 *
 * Transmit: the driver fills descriptors (buffer, length, FS on a frame's first fragment, LS on its
 * last), sets OWN and writes TX_TAIL. The transmit engine reads each fragment, gathers a frame from
 * FS to LS (a scatter-gather list: one descriptor per DMA segment), writes each descriptor back with
 * OWN clear, puts the frame on the wire and raises the TX interrupt. It stops at a descriptor the
 * CPU owns, until the next TX_TAIL write.
 *
 * Interrupts: NIC_STATUS bits, write 1 to clear, enabled by NIC_IMR, one level line, at most one
 * raise per NIC_ITR nanoseconds (interrupt moderation). The wire runs at 10 Gb/s. Clearing RX_EN
 * or TX_EN stops that engine at once (a frame in flight is abandoned, the receive FIFO emptied);
 * writing a ring's base or size puts its engine back at the ring's first descriptor. A descriptor
 * fetch that faults stops the engine (NIC_INT_ERR) until its ring base is written again, or RESET.
 */
import type { DeviceContext, DeviceModel, TransferHandle } from './device-model';
import { memoryObservers, MemoryObservers, MemoryWatch } from './memory-observers';
import { Fifo } from '../lib/fifo';

// ---- registers (32-bit) ---------------------------------------------------------------------
export const NIC_CTRL = 0x00;
export const NIC_STATUS = 0x04;
export const NIC_IMR = 0x08;
export const NIC_ITR = 0x0c;
export const NIC_RX_RING_LO = 0x10;
export const NIC_RX_RING_HI = 0x14;
export const NIC_RX_RING_SIZE = 0x18;
export const NIC_RX_HEAD = 0x1c;
export const NIC_RX_TAIL = 0x20;
export const NIC_RX_CUR = 0x24;
export const NIC_TX_RING_LO = 0x30;
export const NIC_TX_RING_HI = 0x34;
export const NIC_TX_RING_SIZE = 0x38;
export const NIC_TX_HEAD = 0x3c;
export const NIC_TX_TAIL = 0x40;
export const NIC_TX_CUR = 0x44;
export const NIC_RX_PACKETS = 0x50;
export const NIC_RX_DROPPED = 0x54;
export const NIC_TX_PACKETS = 0x58;
export const NIC_RX_FIFO = 0x5c;
export const NIC_RX_ERRORS = 0x60;

export const NIC_CTRL_RX_EN = 1 << 0;
export const NIC_CTRL_TX_EN = 1 << 1;
export const NIC_CTRL_RESET = 1 << 31;

/** Interrupt status / mask bits. */
export const NIC_INT_RX = 1 << 0;
export const NIC_INT_TX = 1 << 1;
export const NIC_INT_RX_NOBUF = 1 << 2;
export const NIC_INT_RX_OVERRUN = 1 << 3;
export const NIC_INT_ERR = 1 << 4;

// ---- descriptors (32 bytes, little-endian) ---------------------------------------------------
export const NIC_DESC_SIZE = 32;
/** Word 0: OWN, status, and (receive) the frame length the card wrote. */
export const NIC_DESC_STATUS = 0x00;
/** Word 1: buffer size (receive: capacity; transmit: bytes to send) and flags. */
export const NIC_DESC_CTRL = 0x04;
export const NIC_DESC_BUF_LO = 0x08;
export const NIC_DESC_BUF_HI = 0x0c;
/** With NIC_DESC_CHAIN: the bus address of the next descriptor (0 ends the chain). */
export const NIC_DESC_NEXT_LO = 0x10;
export const NIC_DESC_NEXT_HI = 0x14;

export const NIC_DESC_OWN = 1 << 31;
/** Status: the card could not complete this descriptor (bus/IOMMU fault, or a truncated frame). */
export const NIC_DESC_ERR = 1 << 30;
/** Status and control: first / last descriptor of a frame. */
export const NIC_DESC_FS = 1 << 29;
export const NIC_DESC_LS = 1 << 28;
/** Status (receive): the frame was longer than the buffer; only the buffer's size was written. */
export const NIC_DESC_TRUNC = 1 << 27;
/** Control: the next descriptor is at NEXT, not the following slot of the ring. */
export const NIC_DESC_CHAIN = 1 << 24;
export const NIC_DESC_LEN_MASK = 0xffff;

export const NIC_RX_FIFO_BYTES = 32 * 1024;
/** Receive descriptors the card reads in one burst (it keeps those it owns for the next frames). */
export const NIC_RX_PREFETCH = 4;
export const NIC_MAX_FRAME = 16 * 1024;
/** The wire: 10 Gb/s, with 20 bytes of preamble and inter-frame gap per frame. */
export const NIC_LINK_MBPS = 10_000;

/** Byte `i` of frame `seq` of the devicetree traffic (`dmalab,rx-packets`): the sequence number, then a ramp. */
export function nicTrafficByte(seq: number, i: number): number {
  return i < 4 ? (seq >>> (8 * i)) & 0xff : (seq + i) & 0xff;
}

/** Wire time of a frame, ns. */
export function nicWireNs(len: number): number {
  return Math.ceil(((len + 20) * 8 * 1000) / NIC_LINK_MBPS);
}

/** Per-descriptor overhead of a DMA (fetch, write-back), ns: the card keeps up with 64-byte frames at line rate. */
const FETCH_NS = 20;
const NOT_ON_RING = 0xffff_ffff;

interface Ring {
  name: 'RX' | 'TX';
  base: number;
  size: number;
  /** Bus address of the descriptor the engine takes next (0: at the end of a chain). */
  cur: number;
  halted: boolean;
}

interface Latched {
  addr: number;
  ctrl: number;
  buf: number;
  next: number;
}

/** A DMA in progress: the descriptor it latched, the data, the transfer. */
interface Job {
  d: Latched;
  frame: Uint8Array;
  n: number;
  h: TransferHandle;
  timer?: { cancelled: boolean };
}

export interface NicCounters {
  rxPackets: number;
  rxDropped: number;
  rxErrors: number;
  txPackets: number;
}

export class Nic implements DeviceModel {
  readonly compatible = 'dmalab,nic';
  private ctrl = 0;
  private isr = 0;
  private imr = 0;
  private itr = 0;
  private nextRaise = 0;
  private raiseTimer?: { cancelled: boolean };
  private rx: Ring = { name: 'RX', base: 0, size: 0, cur: 0, halted: false };
  private tx: Ring = { name: 'TX', base: 0, size: 0, cur: 0, halted: false };
  private rxTail = 0;
  private txTail = 0;
  private readonly fifo: Uint8Array[] = [];
  private fifoBytes = 0;
  /** The frame being written to memory (its DMA takes time): one at a time, so one record, reused. */
  private readonly rxJob: Job = { d: { addr: 0, ctrl: 0, buf: 0, next: 0 }, frame: new Uint8Array(0), n: 0, h: undefined };
  private readonly rxDoneCb = (): void => this.rxDone();
  /** The ring is full and a frame waits: the engine polls the descriptor at rxWaitAt. */
  private rxWaiting = false;
  private rxWatch?: MemoryWatch;
  private rxWaitAt = -1;
  private readonly txJob: Job = { d: { addr: 0, ctrl: 0, buf: 0, next: 0 }, frame: new Uint8Array(0), n: 0, h: undefined };
  private readonly txDoneCb = (): void => this.txDone();
  /** Frames on the wire towards the card, in arrival order; one scheduler event at a time. */
  private readonly wire = new Fifo<{ at: number; frame: Uint8Array }>();
  private wireEvent = false;
  private readonly wireCb = (): void => this.wireArrive();
  private txParts: Uint8Array[] = [];
  private readonly counters: NicCounters = { rxPackets: 0, rxDropped: 0, rxErrors: 0, txPackets: 0 };
  /** Frames the card put on the wire, oldest first, with the time each left. */
  readonly transmitted: { t: number; data: Uint8Array }[] = [];
  private wireFree = 0;
  /** 2^dma-bits: the addresses the card can emit (Infinity from 53 bits up: every address is exact). */
  private readonly addrSpan: number;
  private readonly observers: MemoryObservers;
  private readonly desc = new Uint8Array(NIC_DESC_SIZE * NIC_RX_PREFETCH);
  private readonly dv = new DataView(this.desc.buffer);
  /** Receive descriptors read ahead, owned by the card, in ring order from rx.cur (a burst's tail). */
  private readonly rxAhead: Latched[] = Array.from({ length: NIC_RX_PREFETCH }, () => ({ addr: 0, ctrl: 0, buf: 0, next: 0 }));
  private rxAheadAt = 0;
  private rxAheadN = 0;
  /** Bytes the last descriptor fetch read. */
  private fetched = 0;
  private readonly word = new Uint8Array(4);
  private readonly wordView = new DataView(this.word.buffer);
  private readonly traffic: { count: number; size: number; interval: number; sent: number; started: boolean };

  constructor(private readonly ctx: DeviceContext) {
    const bits = ctx.desc.knob('dmalab,dma-bits', 32);
    this.addrSpan = bits >= 53 ? Infinity : 2 ** bits;
    this.observers = memoryObservers(ctx.bus);
    this.traffic = {
      count: ctx.desc.knob('dmalab,rx-packets', 0),
      size: ctx.desc.knob('dmalab,rx-packet-size', 64),
      interval: ctx.desc.knob('dmalab,rx-interval-ns', 1000),
      sent: 0,
      started: false,
    };
  }

  // ---- the wire (the scenario's sys.net and the devicetree traffic use these) -----------------

  /**
   * A frame arrives from the wire after its wire time, behind frames already on it (the card keeps
   * `frame`: pass a copy). Returns the arrival time.
   */
  wireSend(frame: Uint8Array): number {
    if (frame.length < 1 || frame.length > NIC_MAX_FRAME) throw new RangeError(`a frame is 1 to ${NIC_MAX_FRAME} bytes, not ${frame.length}`);
    const s = this.ctx.sched;
    const at = Math.max(s.now, this.wireFree) + nicWireNs(frame.length);
    this.wireFree = at;
    this.wire.push({ at, frame });
    if (!this.wireEvent) {
      this.wireEvent = true;
      s.at(at, 'nic frame arrives', this.wireCb);
    }
    return at;
  }

  private wireArrive(): void {
    const w = this.wire.shift()!;
    const next = this.wire.peek();
    if (next) this.ctx.sched.at(next.at, 'nic frame arrives', this.wireCb);
    else this.wireEvent = false;
    this.arrive(w.frame);
  }

  /** Counters (as the registers show them). */
  stats(): NicCounters {
    return { ...this.counters };
  }

  // ---- registers ----------------------------------------------------------------------------

  mmioRead(offset: number, size: 1 | 2 | 4 | 8): number | bigint {
    let v: number;
    switch (offset & ~3) {
      case NIC_CTRL:
        v = this.ctrl;
        break;
      case NIC_STATUS:
        v = this.isr;
        break;
      case NIC_IMR:
        v = this.imr;
        break;
      case NIC_ITR:
        v = this.itr;
        break;
      case NIC_RX_RING_LO:
        v = this.rx.base % 2 ** 32;
        break;
      case NIC_RX_RING_HI:
        v = Math.floor(this.rx.base / 2 ** 32);
        break;
      case NIC_RX_RING_SIZE:
        v = this.rx.size;
        break;
      case NIC_RX_HEAD:
        v = this.index(this.rx);
        break;
      case NIC_RX_TAIL:
        v = this.rxTail;
        break;
      case NIC_RX_CUR:
        v = this.rx.cur % 2 ** 32;
        break;
      case NIC_TX_RING_LO:
        v = this.tx.base % 2 ** 32;
        break;
      case NIC_TX_RING_HI:
        v = Math.floor(this.tx.base / 2 ** 32);
        break;
      case NIC_TX_RING_SIZE:
        v = this.tx.size;
        break;
      case NIC_TX_HEAD:
        v = this.index(this.tx);
        break;
      case NIC_TX_TAIL:
        v = this.txTail;
        break;
      case NIC_TX_CUR:
        v = this.tx.cur % 2 ** 32;
        break;
      case NIC_RX_PACKETS:
        v = this.counters.rxPackets;
        break;
      case NIC_RX_DROPPED:
        v = this.counters.rxDropped;
        break;
      case NIC_TX_PACKETS:
        v = this.counters.txPackets;
        break;
      case NIC_RX_FIFO:
        v = this.fifoBytes;
        break;
      case NIC_RX_ERRORS:
        v = this.counters.rxErrors;
        break;
      default:
        v = 0;
    }
    v = (v >>> 0) >>> ((offset & 3) * 8);
    if (size === 8) return BigInt(v);
    return size === 4 ? v >>> 0 : v & (2 ** (size * 8) - 1);
  }

  mmioWrite(offset: number, size: 1 | 2 | 4 | 8, value: number | bigint): void {
    const big = BigInt.asUintN(64, BigInt(value));
    const v = Number(big & 0xffff_ffffn);
    switch (offset) {
      case NIC_CTRL:
        this.setCtrl(v);
        return;
      case NIC_STATUS:
        this.isr &= ~v;
        this.update();
        return;
      case NIC_IMR:
        this.imr = v & 0x1f;
        this.update();
        return;
      case NIC_ITR:
        this.itr = v;
        return;
      case NIC_RX_RING_LO:
        this.setBase(this.rx, size === 8 ? Number(big) : v + Math.floor(this.rx.base / 2 ** 32) * 2 ** 32);
        return;
      case NIC_RX_RING_HI:
        this.setBase(this.rx, (this.rx.base % 2 ** 32) + v * 2 ** 32);
        return;
      case NIC_RX_RING_SIZE:
        this.rx.size = v;
        this.rx.cur = this.rx.base;
        this.rxAheadN = 0;
        this.stopWaiting();
        return;
      case NIC_RX_TAIL:
        this.rxTail = v;
        this.rxKick();
        return;
      case NIC_TX_RING_LO:
        this.setBase(this.tx, size === 8 ? Number(big) : v + Math.floor(this.tx.base / 2 ** 32) * 2 ** 32);
        return;
      case NIC_TX_RING_HI:
        this.setBase(this.tx, (this.tx.base % 2 ** 32) + v * 2 ** 32);
        return;
      case NIC_TX_RING_SIZE:
        this.tx.size = v;
        this.tx.cur = this.tx.base;
        return;
      case NIC_TX_TAIL:
        this.txTail = v;
        this.txKick();
        return;
      default:
        return;
    }
  }

  snapshot(): Record<string, number | string | boolean> {
    return {
      ctrl: this.ctrl,
      status: this.isr,
      imr: this.imr,
      itr: this.itr,
      rxRing: `0x${this.rx.base.toString(16)} x ${this.rx.size}`,
      rxHead: this.index(this.rx),
      rxCur: `0x${this.rx.cur.toString(16)}`,
      rxWaiting: this.rxWaiting,
      rxBusy: this.rxJob.timer !== undefined,
      rxHalted: this.rx.halted,
      rxFifoBytes: this.fifoBytes,
      txRing: `0x${this.tx.base.toString(16)} x ${this.tx.size}`,
      txHead: this.index(this.tx),
      txCur: `0x${this.tx.cur.toString(16)}`,
      txHalted: this.tx.halted,
      ...this.counters,
    };
  }

  // ---- control ------------------------------------------------------------------------------

  private setCtrl(v: number): void {
    if (v & NIC_CTRL_RESET) {
      this.reset();
      return;
    }
    const was = this.ctrl;
    this.ctrl = v & (NIC_CTRL_RX_EN | NIC_CTRL_TX_EN);
    if (this.ctrl & NIC_CTRL_RX_EN && !(was & NIC_CTRL_RX_EN)) {
      this.startTraffic();
      this.rxKick();
    }
    if (!(this.ctrl & NIC_CTRL_RX_EN)) this.stopRx();
    if (!(this.ctrl & NIC_CTRL_TX_EN)) this.stopTx();
    if (this.ctrl & NIC_CTRL_TX_EN && !(was & NIC_CTRL_TX_EN)) this.txKick();
  }

  /** Receiver off: it stops at once (a frame being written is abandoned) and the FIFO empties. */
  private stopRx(): void {
    this.stopWaiting();
    this.rxAheadN = 0;
    this.abandon(this.rxJob);
    this.counters.rxDropped += this.fifo.length;
    this.fifo.length = 0;
    this.fifoBytes = 0;
  }

  /** Transmitter off: it stops at once (a fragment being read is abandoned). */
  private stopTx(): void {
    this.abandon(this.txJob);
    this.txParts = [];
  }

  private abandon(j: Job): void {
    if (!j.timer) return;
    j.timer.cancelled = true;
    j.timer = undefined;
    this.ctx.transferEnd(j.h, false, 0);
  }

  private reset(): void {
    this.stopRx();
    this.stopTx();
    if (this.raiseTimer) this.raiseTimer.cancelled = true;
    this.raiseTimer = undefined;
    this.ctrl = this.isr = this.imr = this.itr = 0;
    this.rx = { name: 'RX', base: 0, size: 0, cur: 0, halted: false };
    this.tx = { name: 'TX', base: 0, size: 0, cur: 0, halted: false };
    this.rxTail = this.txTail = 0;
    this.nextRaise = 0;
    this.update();
  }

  private setBase(r: Ring, base: number): void {
    r.base = base;
    r.cur = base;
    r.halted = false;
    if (r === this.rx) {
      this.stopWaiting();
      this.rxAheadN = 0;
    }
  }

  /** The address the device emits: cut to its addressing width. */
  private busAddr(a: number): number {
    return a < this.addrSpan ? a : a % this.addrSpan;
  }

  private index(r: Ring): number {
    return this.slot(r, r.cur);
  }

  /** Index of the descriptor at `addr` in ring `r`, or NOT_ON_RING. */
  private slot(r: Ring, addr: number): number {
    if (r.size > 0 && addr >= r.base && addr < r.base + r.size * NIC_DESC_SIZE && (addr - r.base) % NIC_DESC_SIZE === 0) return (addr - r.base) / NIC_DESC_SIZE;
    return NOT_ON_RING;
  }

  /** Where the engine goes after the descriptor it latched. */
  private advance(r: Ring, d: Latched): void {
    if (d.ctrl & NIC_DESC_CHAIN) r.cur = d.next;
    else {
      const i = this.slot(r, d.addr);
      r.cur = i !== NOT_ON_RING ? r.base + ((i + 1) % r.size) * NIC_DESC_SIZE : d.addr + NIC_DESC_SIZE;
    }
  }

  /**
   * Read the descriptor at `r.cur` through the DMA port into `d`; returns its status word, or -1
   * after a fault (the engine halts).
   */
  private fetch(r: Ring, d: Latched, burst = 1): number {
    const addr = r.cur;
    const got = this.ctx.bus.deviceRead(this.ctx.port, this.busAddr(addr), this.desc, 0, NIC_DESC_SIZE * burst, undefined);
    this.fetched = got;
    if (got < NIC_DESC_SIZE) {
      r.halted = true;
      this.ctx.log('err', `nic: ${r.name} descriptor fetch at 0x${addr.toString(16)} failed: ${this.ctx.port.lastError ?? 'bus error'}; the ${r.name} engine stopped (reset the card)`);
      this.isr |= NIC_INT_ERR;
      this.update();
      return -1;
    }
    const dv = this.dv;
    d.addr = addr;
    d.ctrl = dv.getUint32(NIC_DESC_CTRL, true);
    d.buf = dv.getUint32(NIC_DESC_BUF_LO, true) + dv.getUint32(NIC_DESC_BUF_HI, true) * 2 ** 32;
    d.next = dv.getUint32(NIC_DESC_NEXT_LO, true) + dv.getUint32(NIC_DESC_NEXT_HI, true) * 2 ** 32;
    return dv.getUint32(NIC_DESC_STATUS, true);
  }

  /**
   * The receive engine's fetch: the descriptor at rx.cur into `d`, and, in the same burst, up to
   * NIC_RX_PREFETCH - 1 following descriptors of the ring that the card owns, kept (latched) for
   * the next frames. Returns the first one's status word, or -1 after a fault.
   */
  private rxFetch(d: Latched): number {
    const r = this.rx;
    if (this.rxAheadN > 0 && this.rxAhead[this.rxAheadAt].addr === r.cur) {
      const a = this.rxAhead[this.rxAheadAt++];
      this.rxAheadN--;
      d.addr = a.addr;
      d.ctrl = a.ctrl;
      d.buf = a.buf;
      d.next = a.next;
      return NIC_DESC_OWN;
    }
    this.rxAheadN = 0;
    const i = this.slot(r, r.cur);
    const burst = i === NOT_ON_RING ? 1 : Math.min(NIC_RX_PREFETCH, r.size - i);
    const status = this.fetch(r, d, burst);
    if (status === -1 || !(status & NIC_DESC_OWN) || d.ctrl & NIC_DESC_CHAIN) return status;
    const dv = this.dv;
    this.rxAheadAt = 0;
    const n = Math.min(burst, Math.floor(this.fetched / NIC_DESC_SIZE));
    for (let k = 1; k < n; k++) {
      const o = k * NIC_DESC_SIZE;
      if (!(dv.getUint32(o + NIC_DESC_STATUS, true) & NIC_DESC_OWN)) break;
      const a = this.rxAhead[k - 1];
      a.addr = d.addr + o;
      a.ctrl = dv.getUint32(o + NIC_DESC_CTRL, true);
      a.buf = dv.getUint32(o + NIC_DESC_BUF_LO, true) + dv.getUint32(o + NIC_DESC_BUF_HI, true) * 2 ** 32;
      a.next = dv.getUint32(o + NIC_DESC_NEXT_LO, true) + dv.getUint32(o + NIC_DESC_NEXT_HI, true) * 2 ** 32;
      this.rxAheadN++;
      if (a.ctrl & NIC_DESC_CHAIN) break;
    }
    return status;
  }

  /** Write a descriptor's first word back (OWN clear). */
  private writeBack(d: Latched, status: number, h: TransferHandle): void {
    this.wordView.setUint32(0, status >>> 0, true);
    this.ctx.bus.deviceWrite(this.ctx.port, this.busAddr(d.addr + NIC_DESC_STATUS), this.word, 0, 4, h);
  }

  // ---- receive ------------------------------------------------------------------------------

  private startTraffic(): void {
    const t = this.traffic;
    if (t.started || t.count === 0) return;
    t.started = true;
    const size = Math.min(Math.max(t.size, 1), NIC_MAX_FRAME);
    const gap = Math.max(t.interval, nicWireNs(size));
    const next = (): void => {
      const seq = t.sent++;
      const f = new Uint8Array(size);
      for (let i = 0; i < size; i++) f[i] = nicTrafficByte(seq, i);
      this.arrive(f);
      if (t.sent < t.count) this.ctx.sched.after(gap, 'nic traffic', next);
    };
    this.ctx.sched.after(nicWireNs(size), 'nic traffic', next);
  }

  private arrive(frame: Uint8Array): void {
    if (!(this.ctrl & NIC_CTRL_RX_EN) || this.fifoBytes + frame.length > NIC_RX_FIFO_BYTES) {
      this.counters.rxDropped++;
      if (this.ctrl & NIC_CTRL_RX_EN) {
        this.isr |= NIC_INT_RX_OVERRUN;
        this.update();
      }
      return;
    }
    this.fifo.push(frame);
    this.fifoBytes += frame.length;
    this.rxKick();
  }

  /** Look at the descriptor at the engine's position (when a frame waits): take it if the card owns it, else poll it. */
  private rxKick(): void {
    const j = this.rxJob;
    if (!(this.ctrl & NIC_CTRL_RX_EN) || j.timer || this.rx.halted || this.fifo.length === 0) return;
    if (this.rx.cur === 0) {
      this.waitFor(-1);
      return;
    }
    const status = this.rxFetch(j.d);
    if (status === -1) {
      this.stopWaiting();
      return;
    }
    if (!(status & NIC_DESC_OWN)) {
      this.waitFor(j.d.addr);
      return;
    }
    if (this.rxWaiting) this.stopWaiting();
    // the descriptor is latched: the frame goes where it said at this instant
    const frame = this.fifo.shift()!;
    this.fifoBytes -= frame.length;
    j.frame = frame;
    j.n = Math.min(frame.length, j.d.ctrl & NIC_DESC_LEN_MASK);
    j.h = this.ctx.transferStart('RX frame', this.busAddr(j.d.buf), j.n, true);
    j.timer = this.ctx.sched.after(FETCH_NS + Math.ceil(j.n / this.ctx.bytesPerNs), 'nic RX DMA', this.rxDoneCb);
  }

  /** The frame's DMA: into the buffer, then the descriptor's first word, then the interrupt. */
  private rxDone(): void {
    const j = this.rxJob;
    const d = j.d;
    const n = j.n;
    j.timer = undefined;
    const moved = n > 0 ? this.ctx.bus.deviceWrite(this.ctx.port, this.busAddr(d.buf), j.frame, 0, n, j.h) : 0;
    let status = NIC_DESC_FS | NIC_DESC_LS | moved;
    if (moved < n) {
      status |= NIC_DESC_ERR;
      this.ctx.log('err', `nic: RX frame of ${j.frame.length} bytes: DMA to 0x${d.buf.toString(16)} failed after ${moved} bytes: ${this.ctx.port.lastError ?? 'bus error'}`);
    }
    if (n < j.frame.length) status |= NIC_DESC_TRUNC | NIC_DESC_ERR;
    this.writeBack(d, status, j.h);
    this.ctx.transferEnd(j.h, moved === n, moved);
    if (status & NIC_DESC_ERR) this.counters.rxErrors++;
    else this.counters.rxPackets++;
    this.advance(this.rx, d);
    this.isr |= NIC_INT_RX;
    this.update();
    this.rxKick();
  }

  /**
   * The ring is full: poll the descriptor at `addr`, i.e. read it again whenever a store reaches
   * its bytes (-1: the chain ended; only a register write or a new frame looks again).
   */
  private waitFor(addr: number): void {
    if (this.rxWaiting && this.rxWaitAt === addr) return;
    this.stopWaiting();
    this.rxWaiting = true;
    this.rxWaitAt = addr;
    this.isr |= NIC_INT_RX_NOBUF;
    this.update();
    const r = addr >= 0 ? this.ctx.bus.resolve(this.ctx.port, this.busAddr(addr)) : undefined;
    if (!r) return;
    this.rxWatch = this.observers.watch(r.phys, NIC_DESC_SIZE, (viaCache) => {
      if (viaCache && !this.ctx.port.coherent) return; // a non-coherent card reads RAM, not the CPU cache
      this.rxKick();
    });
  }

  private stopWaiting(): void {
    this.observers.unwatch(this.rxWatch);
    this.rxWatch = undefined;
    this.rxWaiting = false;
    this.rxWaitAt = -1;
  }

  // ---- transmit -----------------------------------------------------------------------------

  private txKick(): void {
    const j = this.txJob;
    if (!(this.ctrl & NIC_CTRL_TX_EN) || j.timer || this.tx.halted || this.tx.cur === 0) return;
    const status = this.fetch(this.tx, j.d);
    if (status === -1 || !(status & NIC_DESC_OWN)) return; // stopped: the next TX_TAIL write looks again
    j.n = j.d.ctrl & NIC_DESC_LEN_MASK;
    j.h = this.ctx.transferStart('TX fragment', this.busAddr(j.d.buf), j.n, false);
    j.timer = this.ctx.sched.after(FETCH_NS + Math.ceil(j.n / this.ctx.bytesPerNs), 'nic TX DMA', this.txDoneCb);
  }

  /** A fragment's DMA: read it, write its descriptor back, and at LS the frame leaves. */
  private txDone(): void {
    const j = this.txJob;
    const d = j.d;
    const n = j.n;
    j.timer = undefined;
    const data = new Uint8Array(n);
    const moved = n > 0 ? this.ctx.bus.deviceRead(this.ctx.port, this.busAddr(d.buf), data, 0, n, j.h) : 0;
    const ok = moved === n;
    if (!ok) this.ctx.log('err', `nic: TX fragment of ${n} bytes: DMA from 0x${d.buf.toString(16)} failed after ${moved} bytes: ${this.ctx.port.lastError ?? 'bus error'}`);
    if (d.ctrl & NIC_DESC_FS) this.txParts = [];
    this.txParts.push(data.subarray(0, moved));
    this.writeBack(d, (d.ctrl & (NIC_DESC_FS | NIC_DESC_LS)) | (ok ? 0 : NIC_DESC_ERR) | moved, j.h);
    this.ctx.transferEnd(j.h, ok, moved);
    this.advance(this.tx, d);
    if (!ok) {
      this.txParts = [];
      this.isr |= NIC_INT_ERR | NIC_INT_TX;
      this.update();
    } else if (d.ctrl & NIC_DESC_LS) this.send();
    this.txKick();
  }

  /** A frame (FS..LS) is complete: onto the wire. */
  private send(): void {
    const total = this.txParts.reduce((s, p) => s + p.length, 0);
    const frame = new Uint8Array(total);
    let off = 0;
    for (const p of this.txParts) {
      frame.set(p, off);
      off += p.length;
    }
    this.txParts = [];
    this.transmitted.push({ t: this.ctx.sched.now, data: frame });
    this.counters.txPackets++;
    this.isr |= NIC_INT_TX;
    this.update();
  }

  // ---- interrupt ------------------------------------------------------------------------------

  private update(): void {
    const line = this.ctx.irqLine();
    if (line < 0) return;
    if (!(this.isr & this.imr)) {
      this.ctx.irqc.lower(line);
      return;
    }
    if (this.ctx.irqc.isAsserted(line) || this.raiseTimer) return;
    const now = this.ctx.sched.now;
    if (now < this.nextRaise) {
      this.raiseTimer = this.ctx.sched.at(this.nextRaise, 'nic interrupt moderation', () => {
        this.raiseTimer = undefined;
        this.update();
      });
      return;
    }
    this.nextRaise = now + this.itr;
    this.ctx.irqc.raise(line);
  }
}

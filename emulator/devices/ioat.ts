/**
 * `intel,ioat`: a memory-to-memory copy engine in the manner of Intel I/OAT (QuickData, "Crystal
 * Beach" v3): a few channels, each following a chain of 64-byte descriptors in memory (size,
 * control, source, destination, next). The driver appends descriptors and tells the channel how
 * many there are by writing DMACOUNT; the channel fetches each descriptor through the engine's DMA
 * port, copies, and on completion writes its status (the address of the last completed descriptor)
 * to the completion area at CHANCMP and, if the descriptor asks, raises its interrupt, once per
 * arming (CHANCTRL.INT_REARM). Faults halt the channel with the cause in CHANERR.
 *
 * The register layout is simplified from the real one (documented here and in README); the
 * descriptor format is the real `struct ioat_dma_descriptor`.
 */
import type { DeviceContext, DeviceModel, TransferHandle } from './device-model';

export const IOAT_CHANCNT = 0x00;
export const IOAT_XFERCAP = 0x01;
export const IOAT_INTRCTRL = 0x03;
export const IOAT_ATTNSTATUS = 0x04;
export const IOAT_VER = 0x08;
export const IOAT_DMACAPABILITY = 0x10;

/** Channel `n`'s register block. */
export function IOAT_CHAN_BASE(n: number): number {
  return 0x80 * (n + 1);
}
export const IOAT_CHANCTRL = 0x00;
export const IOAT_CHANCMD = 0x04;
export const IOAT_DMACOUNT = 0x06;
export const IOAT_CHANSTS = 0x08;
export const IOAT_CHAINADDR = 0x10;
export const IOAT_CHANCMP = 0x18;
export const IOAT_CHANERR = 0x28;

export const IOAT_INTRCTRL_MASTER_INT_EN = 0x01;
export const IOAT_INTRCTRL_INT_STATUS = 0x02;

export const IOAT_CHANCTRL_INT_REARM = 0x0001;
export const IOAT_CHANCTRL_ERR_INT_EN = 0x0010;

export const IOAT_CHANCMD_SUSPEND = 0x04;
export const IOAT_CHANCMD_ABORT = 0x08;
export const IOAT_CHANCMD_RESUME = 0x10;
export const IOAT_CHANCMD_RESET = 0x20;

export const IOAT_CHANSTS_STATUS = 0x7;
export const IOAT_CHANSTS_ACTIVE = 0x0;
export const IOAT_CHANSTS_DONE = 0x1;
export const IOAT_CHANSTS_SUSPENDED = 0x2;
export const IOAT_CHANSTS_HALTED = 0x3;
export const IOAT_CHANSTS_COMPLETED_MASK = ~0x3f;

export const IOAT_CHANERR_SRC_ADDR_ERR = 0x1;
export const IOAT_CHANERR_DEST_ADDR_ERR = 0x2;
export const IOAT_CHANERR_NEXT_ADDR_ERR = 0x4;
export const IOAT_CHANERR_LENGTH_ERR = 0x8;

/** Descriptor layout (struct ioat_dma_descriptor), 64 bytes. */
export const IOAT_DESC_SIZE = 64;
export const IOAT_DESC_SIZE_OFF = 0x00;
export const IOAT_DESC_CTL_OFF = 0x04;
export const IOAT_DESC_SRC_OFF = 0x08;
export const IOAT_DESC_DST_OFF = 0x10;
export const IOAT_DESC_NEXT_OFF = 0x18;
export const IOAT_DESC_CTL_INT_EN = 1 << 0;
export const IOAT_DESC_CTL_COMPL_WRITE = 1 << 3;
export const IOAT_DESC_CTL_FENCE = 1 << 4;
export const IOAT_DESC_CTL_NULL = 1 << 5;

export const IOAT_CHANNELS = 4;
/** log2 of the largest copy one descriptor may describe (1 MiB). */
export const IOAT_XFERCAP_LOG = 20;
export const IOAT_VERSION = 0x33;

const CHUNK = 1024 * 1024;
const FETCH_NS = 100;

interface Chan {
  n: number;
  ctrl: number;
  chainAddr: number;
  cmpAddr: number;
  err: number;
  /** DMACOUNT as written by the driver, and how many descriptors the channel has completed (16-bit counts). */
  dmacount: number;
  count: number;
  /** Address of the next descriptor to fetch (undefined: start at CHAINADDR). */
  next?: number;
  completed: number;
  state: number;
  armed: boolean;
  suspendReq: boolean;
  timer?: { cancelled: boolean };
  cur?: { addr: number; h?: TransferHandle; size: number; ctl: number; src: number; dst: number; next: number; done: number };
}

export class Ioat implements DeviceModel {
  readonly compatible = 'intel,ioat';
  private intrctrl = 0;
  private attn = 0;
  private readonly ch: Chan[] = [];
  private readonly desc = new Uint8Array(IOAT_DESC_SIZE);
  private readonly dv = new DataView(this.desc.buffer);
  private readonly buf = new Uint8Array(CHUNK);
  private readonly sts = new Uint8Array(8);

  constructor(private readonly ctx: DeviceContext) {
    for (let n = 0; n < IOAT_CHANNELS; n++) this.ch.push({ n, ctrl: 0, chainAddr: 0, cmpAddr: 0, err: 0, dmacount: 0, count: 0, completed: 0, state: IOAT_CHANSTS_DONE, armed: false, suspendReq: false });
  }

  mmioRead(offset: number, size: 1 | 2 | 4 | 8): number | bigint {
    const c = this.chanAt(offset);
    let v: bigint;
    if (c) {
      const r = offset - IOAT_CHAN_BASE(c.n);
      if (r >= IOAT_CHANSTS && r < IOAT_CHANSTS + 8) v = BigInt(this.chansts(c)) >> BigInt((r - IOAT_CHANSTS) * 8);
      else if (r >= IOAT_CHAINADDR && r < IOAT_CHAINADDR + 8) v = BigInt(c.chainAddr) >> BigInt((r - IOAT_CHAINADDR) * 8);
      else if (r >= IOAT_CHANCMP && r < IOAT_CHANCMP + 8) v = BigInt(c.cmpAddr) >> BigInt((r - IOAT_CHANCMP) * 8);
      else if (r === IOAT_CHANCTRL) v = BigInt(c.ctrl);
      else if (r === IOAT_DMACOUNT) v = BigInt(c.dmacount);
      else if (r === IOAT_CHANERR) v = BigInt(c.err);
      else v = 0n;
    } else {
      switch (offset) {
        case IOAT_CHANCNT:
          v = BigInt(IOAT_CHANNELS);
          break;
        case IOAT_XFERCAP:
          v = BigInt(IOAT_XFERCAP_LOG);
          break;
        case IOAT_INTRCTRL:
          v = BigInt(this.intrctrl | (this.attn ? IOAT_INTRCTRL_INT_STATUS : 0));
          break;
        case IOAT_ATTNSTATUS:
          v = BigInt(this.attn);
          break;
        case IOAT_VER:
          v = BigInt(IOAT_VERSION);
          break;
        case IOAT_DMACAPABILITY:
          v = 1n;
          break;
        default:
          v = 0n;
      }
    }
    v = BigInt.asUintN(size * 8, v);
    return size === 8 ? v : Number(v);
  }

  mmioWrite(offset: number, size: 1 | 2 | 4 | 8, value: number | bigint): void {
    const v = BigInt.asUintN(size * 8, BigInt(value));
    const c = this.chanAt(offset);
    if (!c) {
      if (offset === IOAT_INTRCTRL) {
        this.intrctrl = Number(v) & IOAT_INTRCTRL_MASTER_INT_EN;
        this.update();
      } else if (offset === IOAT_ATTNSTATUS) {
        this.attn &= ~Number(v & 0xffff_ffffn);
        this.update();
      }
      return;
    }
    const r = offset - IOAT_CHAN_BASE(c.n);
    switch (r) {
      case IOAT_CHANCTRL:
        c.ctrl = Number(v) & IOAT_CHANCTRL_ERR_INT_EN;
        if (Number(v) & IOAT_CHANCTRL_INT_REARM) c.armed = true;
        return;
      case IOAT_CHANCMD:
        this.command(c, Number(v) & 0xff);
        return;
      case IOAT_DMACOUNT:
        c.dmacount = Number(v) & 0xffff;
        this.run(c);
        return;
      case IOAT_CHAINADDR:
        c.chainAddr = Number(v);
        return;
      case IOAT_CHAINADDR + 4:
        c.chainAddr = (c.chainAddr % 0x1_0000_0000) + Number(v) * 0x1_0000_0000;
        return;
      case IOAT_CHANCMP:
        c.cmpAddr = Number(v);
        return;
      case IOAT_CHANCMP + 4:
        c.cmpAddr = (c.cmpAddr % 0x1_0000_0000) + Number(v) * 0x1_0000_0000;
        return;
      case IOAT_CHANERR:
        c.err &= ~Number(v & 0xffff_ffffn);
        return;
      default:
        return;
    }
  }

  snapshot(): Record<string, number | string | boolean> {
    const s: Record<string, number | string | boolean> = { intrctrl: this.intrctrl, attnstatus: this.attn };
    for (const c of this.ch) s[`ch${c.n}`] = `sts 0x${this.chansts(c).toString(16)} dmacount ${c.dmacount} count ${c.count} chanerr 0x${c.err.toString(16)}`;
    return s;
  }

  // ---- internals ------------------------------------------------------------------------

  private chanAt(offset: number): Chan | undefined {
    const i = Math.floor(offset / 0x80) - 1;
    return i >= 0 && i < IOAT_CHANNELS ? this.ch[i] : undefined;
  }

  private chansts(c: Chan): number {
    return c.completed - (c.completed % 64) + c.state;
  }

  private update(): void {
    const line = this.ctx.irqLine();
    if (line < 0) return;
    if (this.attn && this.intrctrl & IOAT_INTRCTRL_MASTER_INT_EN) this.ctx.irqc.raise(line);
    else this.ctx.irqc.lower(line);
  }

  private command(c: Chan, cmd: number): void {
    if (cmd & IOAT_CHANCMD_RESET) {
      this.stop(c, false);
      c.dmacount = 0;
      c.count = 0;
      c.next = undefined;
      c.completed = 0;
      c.err = 0;
      c.state = IOAT_CHANSTS_DONE;
      c.suspendReq = false;
      return;
    }
    if (cmd & IOAT_CHANCMD_ABORT) {
      this.stop(c, false);
      c.state = IOAT_CHANSTS_HALTED;
      return;
    }
    if (cmd & IOAT_CHANCMD_SUSPEND) {
      if (c.cur) c.suspendReq = true;
      else if (c.state !== IOAT_CHANSTS_HALTED) c.state = IOAT_CHANSTS_SUSPENDED;
      return;
    }
    if (cmd & IOAT_CHANCMD_RESUME && c.state === IOAT_CHANSTS_SUSPENDED) {
      c.state = IOAT_CHANSTS_DONE;
      this.run(c);
    }
  }

  private stop(c: Chan, ok: boolean): void {
    if (c.timer) c.timer.cancelled = true;
    c.timer = undefined;
    if (c.cur?.h) this.ctx.transferEnd(c.cur.h, ok, c.cur.done);
    c.cur = undefined;
  }

  /** Start on the next appended descriptor if the channel is idle. */
  private run(c: Chan): void {
    if (c.cur || c.timer || c.state === IOAT_CHANSTS_HALTED || c.state === IOAT_CHANSTS_SUSPENDED) return;
    if (c.count === c.dmacount) {
      c.state = IOAT_CHANSTS_DONE;
      return;
    }
    c.state = IOAT_CHANSTS_ACTIVE;
    c.timer = this.ctx.sched.after(FETCH_NS, `ioat ch${c.n} fetch`, () => {
      c.timer = undefined;
      this.fetch(c);
    });
  }

  private fetch(c: Chan): void {
    const addr = c.next ?? c.chainAddr;
    const got = this.ctx.bus.deviceRead(this.ctx.port, addr, this.desc, 0, IOAT_DESC_SIZE, undefined);
    if (got < IOAT_DESC_SIZE) {
      this.halt(c, IOAT_CHANERR_NEXT_ADDR_ERR, `fetching the descriptor at 0x${addr.toString(16)}`);
      return;
    }
    const d = this.dv;
    const size = d.getUint32(IOAT_DESC_SIZE_OFF, true);
    const ctl = d.getUint32(IOAT_DESC_CTL_OFF, true);
    const src = Number(d.getBigUint64(IOAT_DESC_SRC_OFF, true));
    const dst = Number(d.getBigUint64(IOAT_DESC_DST_OFF, true));
    const next = Number(d.getBigUint64(IOAT_DESC_NEXT_OFF, true));
    c.cur = { addr, size, ctl, src, dst, next, done: 0 };
    if (ctl & IOAT_DESC_CTL_NULL || size === 0) {
      this.complete(c);
      return;
    }
    if (size > 2 ** IOAT_XFERCAP_LOG) {
      this.halt(c, IOAT_CHANERR_LENGTH_ERR, `descriptor at 0x${addr.toString(16)} asks for ${size} bytes, more than XFERCAP`);
      return;
    }
    c.cur.h = this.ctx.transferStart(`ch${c.n} copy`, dst, size, true);
    this.chunk(c);
  }

  private chunk(c: Chan): void {
    const x = c.cur!;
    const n = Math.min(CHUNK, x.size - x.done);
    c.timer = this.ctx.sched.after(Math.ceil(n / this.ctx.bytesPerNs), `ioat ch${c.n} copy`, () => {
      c.timer = undefined;
      const bus = this.ctx.bus;
      const port = this.ctx.port;
      const r = bus.deviceRead(port, x.src + x.done, this.buf, 0, n, x.h);
      if (r < n) {
        x.done += r;
        this.halt(c, IOAT_CHANERR_SRC_ADDR_ERR, `reading 0x${(x.src + x.done).toString(16)}`);
        return;
      }
      const w = bus.deviceWrite(port, x.dst + x.done, this.buf, 0, n, x.h);
      x.done += w;
      if (w < n) {
        this.halt(c, IOAT_CHANERR_DEST_ADDR_ERR, `writing 0x${(x.dst + x.done).toString(16)}`);
        return;
      }
      if (x.done < x.size) this.chunk(c);
      else this.complete(c);
    });
  }

  private complete(c: Chan): void {
    const x = c.cur!;
    if (x.h) this.ctx.transferEnd(x.h, true, x.done);
    c.cur = undefined;
    c.completed = x.addr;
    c.count = (c.count + 1) & 0xffff;
    c.next = x.next;
    const more = c.count !== c.dmacount;
    c.state = c.suspendReq ? IOAT_CHANSTS_SUSPENDED : more ? IOAT_CHANSTS_ACTIVE : IOAT_CHANSTS_DONE;
    c.suspendReq = false;
    if (x.ctl & IOAT_DESC_CTL_COMPL_WRITE && c.cmpAddr) this.writeCompletion(c, x.h);
    if (x.ctl & IOAT_DESC_CTL_INT_EN) this.attention(c);
    this.run(c);
  }

  private writeCompletion(c: Chan, h: TransferHandle | undefined): void {
    new DataView(this.sts.buffer).setBigUint64(0, BigInt(this.chansts(c)), true);
    this.ctx.bus.deviceWrite(this.ctx.port, c.cmpAddr, this.sts, 0, 8, h);
  }

  private attention(c: Chan): void {
    if (!c.armed) return;
    c.armed = false;
    this.attn |= 1 << c.n;
    this.update();
  }

  private halt(c: Chan, err: number, what: string): void {
    this.ctx.log('err', `ioat: channel ${c.n}: ${what}: ${this.ctx.port.lastError ?? 'bus error'} (CHANERR 0x${err.toString(16)})`);
    const h = c.cur?.h;
    this.stop(c, false);
    c.err |= err;
    c.state = IOAT_CHANSTS_HALTED;
    if (c.cmpAddr) this.writeCompletion(c, h);
    if (c.ctrl & IOAT_CHANCTRL_ERR_INT_EN) {
      c.armed = true;
      this.attention(c);
    }
  }
}

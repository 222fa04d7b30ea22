/**
 * `dmalab,dad`: the DMA Acquisition Device of the LDD3 example, as API.md specifies it. A bus
 * master with a command register, a 64-bit bus address in two halves, a length, a status with
 * write-1-to-clear done/error bits, a checksum and an acquisition sequence number. Transfers take
 * time proportional to their length and move in bursts, so a mapping torn down mid-transfer shows.
 */
import type { DeviceContext, DeviceModel, TransferHandle } from './device-model';

export const DAD_COMMAND = 0x00;
export const DAD_ADDR = 0x04;
export const DAD_ADDR_HI = 0x08;
export const DAD_LEN = 0x0c;
export const DAD_STATUS = 0x10;
export const DAD_CHECKSUM = 0x14;
export const DAD_SEQ = 0x18;

export const DAD_CMD_DISABLEDMA = 0;
export const DAD_CMD_ENABLEDMA = 1;
export const DAD_CMD_WR = 2;
export const DAD_CMD_RD = 3;

export const DAD_STATUS_BUSY = 1 << 0;
export const DAD_STATUS_DONE = 1 << 1;
export const DAD_STATUS_ERROR = 1 << 2;

const SETUP_NS = 500;
const BURST = 256 * 1024;

/** (seq * 31 + i) & 0xff for i in [0, 256 + BURST): any block is a window of this ramp. */
const RAMP = (() => {
  const r = new Uint8Array(256 + BURST);
  for (let i = 0; i < 256; i++) r[i] = i;
  // the rest by doubling copies: a byte loop at module load costs 200 ms under the debugger's inspector
  for (let n = 256; n < r.length; n *= 2) r.copyWithin(n, 0, Math.min(n, r.length - n));
  return r;
})();

/** Sum of bytes ((start + i) & 0xff) for i in [0, n). */
function rampSum(start: number, n: number): number {
  const full = Math.floor(n / 256);
  let sum = full * 32640;
  const rest = n % 256;
  const s = start & 0xff;
  // sum of (s + i) & 0xff for i < rest
  const first = Math.min(rest, 256 - s);
  sum += first * s + (first * (first - 1)) / 2;
  const wrap = rest - first;
  sum += (wrap * (wrap - 1)) / 2;
  return sum;
}

export class Dad implements DeviceModel {
  readonly compatible = 'dmalab,dad';
  private dir: 2 | 3 = 3;
  private addrLo = 0;
  private addrHi = 0;
  private len = 0;
  private status = 0;
  private checksum = 0;
  private seq = 0;
  private busy = false;
  private readonly addrBits: number;
  private xfer?: { h: TransferHandle; base: number; len: number; done: number; sum: number; write: boolean; seq: number; timer?: { cancelled: boolean } };
  private buf = new Uint8Array(BURST);

  constructor(private readonly ctx: DeviceContext) {
    this.addrBits = ctx.desc.knob('dmalab,dma-bits', 32);
  }

  mmioRead(offset: number, size: 1 | 2 | 4 | 8): number | bigint {
    let v: number;
    switch (offset & ~3) {
      case DAD_COMMAND:
        v = this.busy ? DAD_CMD_ENABLEDMA : this.dir;
        break;
      case DAD_ADDR:
        v = this.addrLo;
        break;
      case DAD_ADDR_HI:
        v = this.addrHi;
        break;
      case DAD_LEN:
        v = this.len;
        break;
      case DAD_STATUS:
        v = this.status | (this.busy ? DAD_STATUS_BUSY : 0);
        break;
      case DAD_CHECKSUM:
        v = this.checksum;
        break;
      case DAD_SEQ:
        v = this.seq;
        break;
      default:
        v = 0;
    }
    v = v >>> ((offset & 3) * 8);
    if (size === 8) return BigInt(v >>> 0);
    return size === 4 ? v >>> 0 : v & (2 ** (size * 8) - 1);
  }

  mmioWrite(offset: number, size: 1 | 2 | 4 | 8, value: number | bigint): void {
    const v = Number(BigInt.asUintN(32, BigInt(value)));
    switch (offset) {
      case DAD_COMMAND:
        this.command(v & 0xff);
        return;
      case DAD_ADDR:
        this.addrLo = v >>> 0;
        if (size === 8) this.addrHi = Number(BigInt.asUintN(64, BigInt(value)) >> 32n);
        return;
      case DAD_ADDR_HI:
        this.addrHi = v >>> 0;
        return;
      case DAD_LEN:
        this.len = v >>> 0;
        return;
      case DAD_STATUS:
        this.status &= ~(v & (DAD_STATUS_DONE | DAD_STATUS_ERROR));
        if (!(this.status & (DAD_STATUS_DONE | DAD_STATUS_ERROR))) this.ctx.irqc.lower(this.ctx.irqLine());
        return;
      case DAD_SEQ:
        this.seq = v >>> 0;
        return;
      default:
        return;
    }
  }

  snapshot(): Record<string, number | string | boolean> {
    return {
      direction: this.dir === 2 ? 'WR (device reads memory)' : 'RD (device writes memory)',
      address: `0x${this.busAddress().toString(16)}`,
      length: this.len,
      status: this.status | (this.busy ? DAD_STATUS_BUSY : 0),
      checksum: this.checksum,
      seq: this.seq,
      busy: this.busy,
      progress: this.xfer ? this.xfer.done : 0,
    };
  }

  /** The bus address the device emits: the register pair cut to its addressing width. */
  private busAddress(): number {
    const full = this.addrHi * 0x1_0000_0000 + this.addrLo;
    return this.addrBits >= 53 ? full : full % 2 ** this.addrBits;
  }

  private command(cmd: number): void {
    switch (cmd) {
      case DAD_CMD_DISABLEDMA:
        if (this.xfer) this.finish(false, 'disabled');
        return;
      case DAD_CMD_WR:
      case DAD_CMD_RD:
        this.dir = cmd;
        return;
      case DAD_CMD_ENABLEDMA:
        if (this.busy) {
          this.ctx.log('warn', 'dad: ENABLEDMA while a transfer is running: ignored');
          return;
        }
        this.start();
        return;
      default:
        this.ctx.log('warn', `dad: unknown command ${cmd}`);
    }
  }

  private start(): void {
    const write = this.dir === DAD_CMD_RD; // RD: the device writes memory
    const base = this.busAddress();
    this.busy = true;
    this.status &= ~(DAD_STATUS_DONE | DAD_STATUS_ERROR);
    const h = this.ctx.transferStart(write ? 'RD (device→memory)' : 'WR (memory→device)', base, this.len, write);
    this.xfer = { h, base, len: this.len, done: 0, sum: 0, write, seq: this.seq };
    this.scheduleBurst(SETUP_NS);
  }

  private scheduleBurst(delay: number): void {
    const x = this.xfer!;
    const n = Math.min(BURST, x.len - x.done);
    x.timer = this.ctx.sched.after(delay + Math.ceil(n / this.ctx.bytesPerNs), 'dad burst', () => this.burst());
  }

  private burst(): void {
    const x = this.xfer;
    if (!x) return;
    const n = Math.min(BURST, x.len - x.done);
    if (n > 0) {
      let moved: number;
      if (x.write) {
        const start = (x.seq * 31 + x.done) & 0xff;
        moved = this.ctx.bus.deviceWrite(this.ctx.port, x.base + x.done, RAMP, start, n, x.h);
        x.sum = (x.sum + rampSum(start, moved)) >>> 0;
      } else {
        moved = this.ctx.bus.deviceRead(this.ctx.port, x.base + x.done, this.buf, 0, n, x.h);
        let s = x.sum;
        const b = this.buf;
        for (let i = 0; i < moved; i++) s += b[i];
        x.sum = s >>> 0;
      }
      x.done += moved;
      if (moved < n) {
        this.finish(false, this.ctx.port.lastError ?? 'bus error');
        return;
      }
    }
    if (x.done >= x.len) this.finish(true);
    else this.scheduleBurst(0);
  }

  private finish(ok: boolean, why?: string): void {
    const x = this.xfer!;
    if (x.timer) x.timer.cancelled = true;
    this.xfer = undefined;
    this.busy = false;
    this.checksum = x.sum;
    if (x.write && ok) this.seq = (this.seq + 1) >>> 0;
    this.ctx.transferEnd(x.h, ok, x.done);
    if (why === 'disabled') return; // aborted by the driver: no completion, no interrupt
    this.status |= DAD_STATUS_DONE | (ok ? 0 : DAD_STATUS_ERROR);
    if (!ok && why) this.ctx.log('err', `dad: DMA error after ${x.done} of ${x.len} bytes: ${why}`);
    this.ctx.irqc.raise(this.ctx.irqLine());
  }
}

/**
 * `dmalab,uart`: a serial port with 32-byte TX and RX FIFOs and DMA request lines, in the manner of
 * the PL011 (data register, flags, control with loopback, DMA control). Bytes leave on the line at
 * `dmalab,baud` (10 bits per byte); with loopback on they come back into the RX FIFO, otherwise the
 * far end of the line sends `dmalab,rx-bytes` bytes of a known pattern once the receiver is enabled
 * with RTS asserted (and tests can make bytes arrive with `receive`). A byte that finds the RX FIFO
 * full is lost (an overrun), as on the real thing.
 *
 * DMA: with TXDMAE set the TX request line (the first cell of the `dmas` entry named "tx") is
 * active while the TX FIFO has room; with RXDMAE the RX line is active while the RX FIFO holds
 * data. The controller moves bytes through the data register (byte accesses at UART_DR).
 */
import type { DeviceContext, DeviceModel } from './device-model';
import { dmaRequestFabric, DmaRequestFabric, DmaRequester } from './dma-request';
import type { DtNode } from '../platform/dts';

export const UART_DR = 0x00;
export const UART_FR = 0x04;
export const UART_CR = 0x08;
export const UART_DMACR = 0x0c;
export const UART_RIS = 0x10;
export const UART_IMSC = 0x14;
export const UART_MIS = 0x18;
export const UART_ICR = 0x1c;
export const UART_RXLVL = 0x20;
export const UART_TXLVL = 0x24;
export const UART_TXCOUNT = 0x28;
export const UART_RXCOUNT = 0x2c;
export const UART_OVERRUNS = 0x30;
export const UART_BAUD = 0x34;

export const UART_FR_TXFF = 1 << 0;
export const UART_FR_TXFE = 1 << 1;
export const UART_FR_RXFF = 1 << 2;
export const UART_FR_RXFE = 1 << 3;
export const UART_FR_BUSY = 1 << 4;

export const UART_CR_UARTEN = 1 << 0;
export const UART_CR_TXE = 1 << 1;
export const UART_CR_RXE = 1 << 2;
export const UART_CR_LBE = 1 << 3;
export const UART_CR_RTS = 1 << 4;

export const UART_DMACR_RXDMAE = 1 << 0;
export const UART_DMACR_TXDMAE = 1 << 1;

/** Interrupt bits (RIS/IMSC/MIS/ICR): RX data waiting, TX FIFO empty, RX overrun. */
export const UART_INT_RX = 1 << 0;
export const UART_INT_TX = 1 << 1;
export const UART_INT_OE = 1 << 2;

export const UART_FIFO_SIZE = 32;
const DEFAULT_BAUD = 3_000_000;

/** Byte `i` of what the far end of the line sends (`dmalab,rx-bytes`): printable, period 26. */
export function uartRemoteByte(i: number): number {
  return 0x41 + (i % 26);
}

export class Uart implements DeviceModel, DmaRequester {
  readonly compatible = 'dmalab,uart';
  private readonly tx: number[] = [];
  private readonly rx: number[] = [];
  private cr = 0;
  private dmacr = 0;
  private ris = 0;
  private imsc = 0;
  private txCount = 0;
  private rxCount = 0;
  private overruns = 0;
  private shifting?: { cancelled: boolean };
  private remoteSent = 0;
  private remoteTimer?: { cancelled: boolean };
  private readonly byteNs: number;
  private readonly remoteBytes: number;
  private readonly fabric: DmaRequestFabric;
  private readonly lines = new Map<'tx' | 'rx', { node: DtNode; line: number }>();
  /** Every byte that left on the line, in order (tests and panels read it). */
  readonly transmitted: number[] = [];

  constructor(private readonly ctx: DeviceContext) {
    const baud = ctx.desc.knob('dmalab,baud', DEFAULT_BAUD);
    this.byteNs = Math.max(1, Math.round(10e9 / baud));
    this.remoteBytes = ctx.desc.knob('dmalab,rx-bytes', 0);
    this.fabric = dmaRequestFabric(ctx.bus);
    ctx.desc.dmaNames.forEach((name, i) => {
      const spec = ctx.desc.dmas[i];
      if ((name === 'tx' || name === 'rx') && spec?.controller && spec.args.length > 0) {
        this.lines.set(name, { node: spec.controller, line: spec.args[0] });
        this.fabric.connect(spec.controller, spec.args[0], this);
      }
    });
  }

  mmioRead(offset: number, size: 1 | 2 | 4 | 8): number | bigint {
    let v: number;
    switch (offset & ~3) {
      case UART_DR:
        if ((offset & 3) !== 0) return size === 8 ? 0n : 0;
        v = this.pop();
        break;
      case UART_FR:
        v = (this.tx.length >= UART_FIFO_SIZE ? UART_FR_TXFF : 0) | (this.tx.length === 0 ? UART_FR_TXFE : 0) | (this.rx.length >= UART_FIFO_SIZE ? UART_FR_RXFF : 0) | (this.rx.length === 0 ? UART_FR_RXFE : 0) | (this.shifting ? UART_FR_BUSY : 0);
        break;
      case UART_CR:
        v = this.cr;
        break;
      case UART_DMACR:
        v = this.dmacr;
        break;
      case UART_RIS:
        v = this.ris;
        break;
      case UART_IMSC:
        v = this.imsc;
        break;
      case UART_MIS:
        v = this.ris & this.imsc;
        break;
      case UART_RXLVL:
        v = this.rx.length;
        break;
      case UART_TXLVL:
        v = this.tx.length;
        break;
      case UART_TXCOUNT:
        v = this.txCount;
        break;
      case UART_RXCOUNT:
        v = this.rxCount;
        break;
      case UART_OVERRUNS:
        v = this.overruns;
        break;
      case UART_BAUD:
        v = Math.round(10e9 / this.byteNs);
        break;
      default:
        v = 0;
    }
    v = v >>> ((offset & 3) * 8);
    if (size === 8) return BigInt(v >>> 0);
    return size === 4 ? v >>> 0 : v & (2 ** (size * 8) - 1);
  }

  mmioWrite(offset: number, _size: 1 | 2 | 4 | 8, value: number | bigint): void {
    const v = Number(BigInt.asUintN(32, BigInt(value))) >>> 0;
    switch (offset) {
      case UART_DR:
        this.push(v & 0xff);
        return;
      case UART_CR: {
        const was = this.cr;
        this.cr = v & 0x1f;
        if ((this.cr & ~was & (UART_CR_UARTEN | UART_CR_TXE)) !== 0) this.shift();
        this.remote();
        this.requests();
        return;
      }
      case UART_DMACR:
        this.dmacr = v & 3;
        this.requests();
        return;
      case UART_IMSC:
        this.imsc = v & 7;
        this.update();
        return;
      case UART_ICR:
        this.ris &= ~v;
        this.refreshRis();
        return;
      default:
        return;
    }
  }

  snapshot(): Record<string, number | string | boolean> {
    return { cr: this.cr, dmacr: this.dmacr, ris: this.ris, imsc: this.imsc, tx_fifo: this.tx.length, rx_fifo: this.rx.length, transmitted: this.txCount, received: this.rxCount, overruns: this.overruns };
  }

  /** Bytes arrive from the far end of the line (tests; the `dmalab,rx-bytes` sender uses it too). */
  receive(bytes: ArrayLike<number>): void {
    for (let i = 0; i < bytes.length; i++) this.arrive(bytes[i] & 0xff);
  }

  /** Request-line level: RX FIFO level or TX FIFO room, when DMA is enabled for that direction. */
  dmaReady(line: number): number {
    const txl = this.lines.get('tx');
    const rxl = this.lines.get('rx');
    if (rxl && rxl.line === line && this.dmacr & UART_DMACR_RXDMAE) return this.rx.length;
    if (txl && txl.line === line && this.dmacr & UART_DMACR_TXDMAE && this.cr & UART_CR_UARTEN) return UART_FIFO_SIZE - this.tx.length;
    return 0;
  }

  // ---- internals ------------------------------------------------------------------------

  private push(b: number): void {
    if (this.tx.length >= UART_FIFO_SIZE) return; // written while full: dropped
    this.tx.push(b);
    this.refreshRis();
    this.shift();
  }

  private pop(): number {
    const b = this.rx.shift();
    if (b === undefined) return 0;
    this.refreshRis();
    if (this.rx.length === UART_FIFO_SIZE - 1) this.remote();
    return b;
  }

  /** The transmitter shifts one byte out every byte time while enabled. */
  private shift(): void {
    if (this.shifting || this.tx.length === 0 || (this.cr & (UART_CR_UARTEN | UART_CR_TXE)) !== (UART_CR_UARTEN | UART_CR_TXE)) return;
    this.shifting = this.ctx.sched.after(this.byteNs, 'uart tx', () => {
      this.shifting = undefined;
      const b = this.tx.shift();
      if (b !== undefined) {
        this.txCount++;
        this.transmitted.push(b);
        if (this.cr & UART_CR_LBE) this.arrive(b);
        this.refreshRis();
        this.request('tx');
      }
      this.shift();
    });
  }

  private arrive(b: number): void {
    if (!(this.cr & UART_CR_UARTEN) || !(this.cr & UART_CR_RXE)) return; // receiver off: the byte is not sampled
    if (this.rx.length >= UART_FIFO_SIZE) {
      this.overruns++;
      this.ris |= UART_INT_OE;
      this.update();
      return;
    }
    this.rx.push(b);
    this.rxCount++;
    this.refreshRis();
    this.request('rx');
  }

  /** The far end sends while the receiver is on, RTS is asserted and the RX FIFO is not full. */
  private remote(): void {
    if (this.remoteTimer || this.remoteSent >= this.remoteBytes || this.cr & UART_CR_LBE) return;
    const want = UART_CR_UARTEN | UART_CR_RXE | UART_CR_RTS;
    if ((this.cr & want) !== want || this.rx.length >= UART_FIFO_SIZE) return;
    this.remoteTimer = this.ctx.sched.after(this.byteNs, 'uart remote', () => {
      this.remoteTimer = undefined;
      if ((this.cr & want) !== want || this.cr & UART_CR_LBE) return;
      if (this.rx.length >= UART_FIFO_SIZE) return; // flow control: wait for room
      this.arrive(uartRemoteByte(this.remoteSent++));
      this.remote();
    });
  }

  private refreshRis(): void {
    this.ris = (this.ris & UART_INT_OE) | (this.rx.length ? UART_INT_RX : 0) | (this.tx.length === 0 ? UART_INT_TX : 0);
    this.update();
  }

  private update(): void {
    const line = this.ctx.irqLine();
    if (line < 0) return;
    if (this.ris & this.imsc) this.ctx.irqc.raise(line);
    else this.ctx.irqc.lower(line);
  }

  private requests(): void {
    this.request('tx');
    this.request('rx');
  }

  private request(which: 'tx' | 'rx'): void {
    const l = this.lines.get(which);
    if (l && this.dmaReady(l.line) > 0) this.fabric.request(l.node, l.line);
  }
}

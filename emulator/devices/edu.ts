/**
 * `qemu,edu`: QEMU's educational PCI device (docs/specs/edu.rst), register for register: an id,
 * a liveness inverter, a factorial unit, interrupt raise/acknowledge with a status word, and a DMA
 * engine between RAM and a 4 KiB buffer at 0x40000 in the device's own space. Its DMA addresses
 * are cut to 28 bits unless `dmalab,dma-bits` says otherwise; it complains when it has to clamp.
 */
import type { DeviceContext, DeviceModel } from './device-model';

export const EDU_ID = 0x00;
export const EDU_LIVENESS = 0x04;
export const EDU_FACTORIAL = 0x08;
export const EDU_STATUS = 0x20;
export const EDU_IRQ_STATUS = 0x24;
export const EDU_IRQ_RAISE = 0x60;
export const EDU_IRQ_ACK = 0x64;
export const EDU_DMA_SRC = 0x80;
export const EDU_DMA_DST = 0x88;
export const EDU_DMA_COUNT = 0x90;
export const EDU_DMA_CMD = 0x98;

export const EDU_STATUS_COMPUTING = 0x01;
export const EDU_STATUS_IRQFACT = 0x80;
export const EDU_DMA_RUN = 0x1;
export const EDU_DMA_DIR_TO_RAM = 0x2;
export const EDU_DMA_IRQ = 0x4;
export const EDU_DMA_START = 0x40000;
export const EDU_DMA_SIZE = 4096;
export const EDU_IRQ_FACT = 0x1;
export const EDU_IRQ_DMA = 0x100;

const FACT_NS = 10_000;
const SETUP_NS = 1_000;

export class Edu implements DeviceModel {
  readonly compatible = 'qemu,edu';
  private liveness = 0;
  private fact = 0;
  private status = 0;
  private irqStatus = 0;
  private src = 0n;
  private dst = 0n;
  private cnt = 0n;
  private cmd = 0n;
  private readonly dmaMask: bigint;
  private readonly buffer = new Uint8Array(EDU_DMA_SIZE);

  constructor(private readonly ctx: DeviceContext) {
    const bits = ctx.desc.knob('dmalab,dma-bits', 28);
    this.dmaMask = (1n << BigInt(bits)) - 1n;
  }

  mmioRead(offset: number, size: 1 | 2 | 4 | 8): number | bigint {
    if ((offset < 0x80 && size !== 4) || (offset >= 0x80 && size !== 4 && size !== 8)) return size === 8 ? 0xffff_ffff_ffff_ffffn : 2 ** (size * 8) - 1;
    let v: bigint;
    switch (offset) {
      case EDU_ID:
        v = 0x010000edn;
        break;
      case EDU_LIVENESS:
        v = BigInt(~this.liveness >>> 0);
        break;
      case EDU_FACTORIAL:
        v = BigInt(this.fact >>> 0);
        break;
      case EDU_STATUS:
        v = BigInt(this.status);
        break;
      case EDU_IRQ_STATUS:
        v = BigInt(this.irqStatus >>> 0);
        break;
      case EDU_DMA_SRC:
        v = this.src;
        break;
      case EDU_DMA_DST:
        v = this.dst;
        break;
      case EDU_DMA_COUNT:
        v = this.cnt;
        break;
      case EDU_DMA_CMD:
        v = this.cmd;
        break;
      default:
        v = 0xffff_ffff_ffff_ffffn;
    }
    return size === 8 ? v : Number(v & 0xffff_ffffn);
  }

  mmioWrite(offset: number, size: 1 | 2 | 4 | 8, value: number | bigint): void {
    if ((offset < 0x80 && size !== 4) || (offset >= 0x80 && size !== 4 && size !== 8)) return;
    const v = size === 8 ? BigInt.asUintN(64, BigInt(value)) : BigInt.asUintN(32, BigInt(value));
    const n = Number(v & 0xffff_ffffn);
    switch (offset) {
      case EDU_LIVENESS:
        this.liveness = n;
        return;
      case EDU_FACTORIAL:
        if (this.status & EDU_STATUS_COMPUTING) return;
        this.fact = n;
        this.status |= EDU_STATUS_COMPUTING;
        this.ctx.sched.after(FACT_NS, 'edu factorial', () => this.factorialDone());
        return;
      case EDU_STATUS:
        this.status = (this.status & EDU_STATUS_COMPUTING) | (n & EDU_STATUS_IRQFACT);
        return;
      case EDU_IRQ_RAISE:
        this.raise(n);
        return;
      case EDU_IRQ_ACK:
        this.irqStatus &= ~n;
        if (this.irqStatus === 0) this.ctx.irqc.lower(this.ctx.irqLine());
        return;
      case EDU_DMA_SRC:
        if (!(this.cmd & 1n)) this.src = v;
        return;
      case EDU_DMA_DST:
        if (!(this.cmd & 1n)) this.dst = v;
        return;
      case EDU_DMA_COUNT:
        if (!(this.cmd & 1n)) this.cnt = v;
        return;
      case EDU_DMA_CMD:
        if (this.cmd & 1n) return;
        this.cmd = v;
        if (v & 1n) this.startDma();
        return;
      default:
        return;
    }
  }

  snapshot(): Record<string, number | string | boolean> {
    return {
      status: this.status,
      irq_status: this.irqStatus,
      dma_src: `0x${this.src.toString(16)}`,
      dma_dst: `0x${this.dst.toString(16)}`,
      dma_count: Number(this.cnt),
      dma_cmd: Number(this.cmd),
      factorial: this.fact >>> 0,
    };
  }

  private raise(val: number): void {
    this.irqStatus = (this.irqStatus | val) >>> 0;
    if (this.irqStatus) this.ctx.irqc.raise(this.ctx.irqLine());
  }

  private factorialDone(): void {
    let r = 1;
    for (let i = this.fact; i > 0; i--) r = Math.imul(r, i) >>> 0;
    this.fact = r;
    this.status &= ~EDU_STATUS_COMPUTING;
    if (this.status & EDU_STATUS_IRQFACT) this.raise(EDU_IRQ_FACT);
  }

  private clamp(a: bigint): number {
    const r = a & this.dmaMask;
    if (r !== a) this.ctx.log('warn', `EDU: clamping DMA 0x${a.toString(16).padStart(16, '0')} to 0x${r.toString(16).padStart(16, '0')}!`);
    return Number(r);
  }

  private inBuffer(addr: bigint, cnt: bigint): boolean {
    const end = addr + cnt;
    return addr >= BigInt(EDU_DMA_START) && end <= BigInt(EDU_DMA_START + EDU_DMA_SIZE) && end >= addr;
  }

  private startDma(): void {
    const toRam = (this.cmd & BigInt(EDU_DMA_DIR_TO_RAM)) !== 0n;
    const cnt = this.cnt;
    const devAddr = toRam ? this.src : this.dst;
    if (!this.inBuffer(devAddr, cnt)) {
      this.ctx.log('err', `EDU: DMA range 0x${devAddr.toString(16).padStart(16, '0')}-0x${(devAddr + cnt - 1n).toString(16).padStart(16, '0')} out of bounds (0x${EDU_DMA_START.toString(16).padStart(16, '0')}-0x${(EDU_DMA_START + EDU_DMA_SIZE - 1).toString(16).padStart(16, '0')})!`);
      this.cmd &= ~1n;
      return;
    }
    const n = Number(cnt);
    const ramAddr = this.clamp(toRam ? this.dst : this.src);
    const off = Number(devAddr) - EDU_DMA_START;
    const h = this.ctx.transferStart(toRam ? 'EDU→RAM' : 'RAM→EDU', ramAddr, n, toRam);
    this.ctx.sched.after(SETUP_NS + Math.ceil(n / this.ctx.bytesPerNs), 'edu dma', () => {
      const moved = toRam ? this.ctx.bus.deviceWrite(this.ctx.port, ramAddr, this.buffer, off, n, h) : this.ctx.bus.deviceRead(this.ctx.port, ramAddr, this.buffer, off, n, h);
      const ok = moved === n;
      if (!ok) this.ctx.log('err', `EDU: DMA stopped after ${moved} of ${n} bytes: ${this.ctx.port.lastError ?? 'bus error'}`);
      this.ctx.transferEnd(h, ok, moved);
      this.cmd &= ~1n;
      if (this.cmd & BigInt(EDU_DMA_IRQ)) this.raise(EDU_IRQ_DMA);
    });
  }
}

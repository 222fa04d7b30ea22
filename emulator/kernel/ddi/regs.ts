/**
 * Register access for DDI drivers (ddi_regs_map_setup(9F), ddi_get8(9F)/ddi_put8(9F) and their
 * wider siblings): a register set of the device node mapped through the same ioremap and MMIO path
 * as Linux's readl/writel, behind an access handle that carries the byte order of the device
 * (ddi_device_acc_attr(9S)).
 */
import { hex } from '../../lib/hex';
import { KernelOops } from '../cpu';
import { IoMem } from '../driver-core';
import { DDI_STRUCTURE_BE_ACC } from './consts';
import type { DdiResource, DevInfo } from './devinfo';

/** ddi_acc_handle_t of a register mapping. */
export class RegsHandle implements DdiResource {
  freed = false;

  constructor(
    /** @internal */ readonly dip: DevInfo,
    /** @internal */ readonly io: IoMem,
    /** @internal */ readonly rnumber: number,
    /** @internal */ readonly bigEndian: boolean,
  ) {}

  get what(): string {
    return `register set ${this.rnumber} mapping (ddi_regs_map_free)`;
  }

  release(): void {
    if (this.freed) return;
    this.freed = true;
    this.dip.k.drivers.iounmap(this.io);
  }

  toString(): string {
    return `ddi_acc_handle_t(${this.dip.instanceName} regs ${this.rnumber} at ${hex(this.io.phys)})`;
  }
}

/** ddi_regs_map_setup: map register set `rnumber` from `offset` for `len` bytes (0: to its end). */
export function regsMapSetup(dip: DevInfo, rnumber: number, offset: number, len: number, endian: number): RegsHandle | string {
  const reg = dip.dev.desc.reg[rnumber];
  if (!Number.isInteger(rnumber) || rnumber < 0 || !reg) return `register set ${String(rnumber)} does not exist (the node has ${dip.dev.desc.reg.length})`;
  if (!Number.isInteger(offset) || offset < 0 || !Number.isInteger(len) || len < 0) return `invalid offset ${String(offset)} or length ${String(len)}`;
  const size = len === 0 ? reg.size - offset : len;
  if (size <= 0 || offset + size > reg.size) return `offset ${hex(offset)} + length ${hex(size)} is outside register set ${rnumber} (${hex(reg.size)} bytes)`;
  const io = dip.k.drivers.ioremap(reg.base + offset, size);
  if (!io) return `cannot map ${hex(reg.base + offset)}`;
  return new RegsHandle(dip, io, rnumber, endian === DDI_STRUCTURE_BE_ACC);
}

function swap(v: number | bigint, size: 1 | 2 | 4 | 8): number | bigint {
  if (size === 1) return v;
  if (size === 8) {
    let x = BigInt.asUintN(64, BigInt(v));
    let r = 0n;
    for (let i = 0; i < 8; i++) {
      r = (r << 8n) | (x & 0xffn);
      x >>= 8n;
    }
    return r;
  }
  let x = Number(v);
  let r = 0;
  for (let i = 0; i < size; i++) {
    r = r * 256 + (x & 0xff);
    x = Math.floor(x / 256);
  }
  return r;
}

function target(h: RegsHandle, a: unknown, size: number, fn: string): IoMem {
  if (!(h instanceof RegsHandle)) throw new KernelOops(`${fn}(): the first argument must be the ddi_acc_handle_t from ddi_regs_map_setup, got ${String(h)}`);
  if (h.freed) throw new KernelOops(`${fn}(): the access handle was freed by ddi_regs_map_free`);
  if (!(a instanceof IoMem) || a.kva !== h.io.kva) throw new KernelOops(`${fn}(): the address is not inside the mapping of this access handle (${h}): got ${String(a)}`);
  if (a.offset % size !== 0) throw new KernelOops(`${fn}(): misaligned ${size * 8}-bit register access at offset ${hex(a.offset)}`);
  return a;
}

export function regGet(h: RegsHandle, a: IoMem, size: 1 | 2 | 4 | 8, fn: string): number | bigint {
  const io = target(h, a, size, fn);
  const v = h.dip.k.drivers.mmioRead(io, size, fn);
  const r = h.bigEndian ? swap(v, size) : v;
  return size === 8 ? BigInt.asUintN(64, BigInt(r)) : Number(r) >>> 0;
}

export function regPut(h: RegsHandle, a: IoMem, size: 1 | 2 | 4 | 8, value: number | bigint, fn: string): void {
  const io = target(h, a, size, fn);
  let v: number | bigint = size === 8 ? BigInt.asUintN(64, BigInt(value)) : Number(BigInt.asUintN(size * 8, BigInt(value)));
  if (h.bigEndian) v = swap(v, size);
  h.dip.k.drivers.mmioWrite(io, size, v, fn);
}

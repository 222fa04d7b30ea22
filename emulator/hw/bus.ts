/**
 * The interconnect: what a physical address decodes to (RAM or a device's MMIO window), the
 * CPU's MMIO port, and the DMA master ports of bus-master devices. A device's access goes through
 * its IOMMU (or its bus's dma-ranges), then to RAM past the CPU cache (non-coherent) or snooping
 * it (coherent). Faults stop the access; the device model sees how many bytes got through.
 */
import { DataCache } from './cache';
import { Iommu } from './iommu';
import { PhysicalMemory } from './physical-memory';
import { hex } from '../lib/hex';

export interface MmioHandler {
  mmioRead(offset: number, size: 1 | 2 | 4 | 8): number | bigint;
  mmioWrite(offset: number, size: 1 | 2 | 4 | 8, value: number | bigint): void;
}

export interface MmioRegion {
  base: number;
  size: number;
  owner: string;
  handler: MmioHandler;
}

export interface DmaRange {
  bus: number;
  cpu: number;
  size: number;
}

/** One device's bus-master port: how its addresses reach memory. */
export interface DmaPort {
  readonly device: string;
  readonly coherent: boolean;
  readonly iommu?: Iommu;
  readonly streamId: number;
  /** bus→cpu windows (empty: identity over the whole space). */
  readonly dmaRanges: DmaRange[];
  /** Set after a failed access: what went wrong. */
  lastError?: string;
}

export interface DeviceAccess {
  port: DmaPort;
  bus: number;
  len: number;
  write: boolean;
  /** What the device model says it is doing (the transfer), passed through to listeners. */
  tag: unknown;
}

export interface BusListener {
  /** Every device access, after it happened: `done` of its bytes reached memory (the checker's view: bus addresses). `a` is reused after the call. */
  deviceAccess?(a: DeviceAccess, done: number): void;
  /** Each physical run an access reached (data breakpoints, memory events). */
  physAccess?(a: DeviceAccess, phys: number, len: number, busAddr: number): void;
}

export class Bus {
  private ram: { base: number; end: number }[] = [];
  private mmio: MmioRegion[] = [];
  listeners: BusListener[] = [];
  /** The device access in progress (IOMMU fault handlers read it). */
  current?: DeviceAccess;
  /**
   * Access records by nesting depth, reused rather than allocated per access (an access that
   * reaches a device's MMIO window may start another). Listeners must not keep them.
   */
  private records: DeviceAccess[] = [];
  private nesting = 0;

  constructor(
    readonly mem: PhysicalMemory,
    readonly cache: DataCache,
  ) {}

  addRam(base: number, size: number): void {
    this.ram.push({ base, end: base + size });
    this.ram.sort((a, b) => a.base - b.base);
  }

  addMmio(region: MmioRegion): void {
    const clash = this.mmio.find((r) => r.base < region.base + region.size && region.base < r.base + r.size);
    if (clash) throw new Error(`MMIO window of ${region.owner} [${hex(region.base)}..] overlaps ${clash.owner}`);
    this.mmio.push(region);
    this.mmio.sort((a, b) => a.base - b.base);
  }

  get ramBanks(): readonly { base: number; end: number }[] {
    return this.ram;
  }

  get mmioRegions(): readonly MmioRegion[] {
    return this.mmio;
  }

  isRam(phys: number, len = 1): boolean {
    for (const r of this.ram) if (phys >= r.base && phys + len <= r.end) return true;
    return false;
  }

  mmioAt(phys: number): MmioRegion | undefined {
    for (const r of this.mmio) if (phys >= r.base && phys < r.base + r.size) return r;
    return undefined;
  }

  cpuMmioRead(phys: number, size: 1 | 2 | 4 | 8): number | bigint {
    const r = this.mmioAt(phys);
    if (!r) return size === 8 ? 0xffff_ffff_ffff_ffffn : 2 ** (size * 8) - 1; // master abort reads all-ones
    return r.handler.mmioRead(phys - r.base, size);
  }

  cpuMmioWrite(phys: number, size: 1 | 2 | 4 | 8, value: number | bigint): void {
    const r = this.mmioAt(phys);
    if (r) r.handler.mmioWrite(phys - r.base, size, value);
  }

  /** Device reads `len` bytes at bus address `bus` into dst. Returns bytes transferred (< len on a fault). */
  deviceRead(port: DmaPort, bus: number, dst: Uint8Array, dstOff: number, len: number, tag: unknown): number {
    return this.access(port, bus, dst, dstOff, len, false, tag);
  }

  deviceWrite(port: DmaPort, bus: number, src: Uint8Array, srcOff: number, len: number, tag: unknown): number {
    return this.access(port, bus, src, srcOff, len, true, tag);
  }

  /** Where a device's bus address lands, without side effects (device view of memory). */
  resolve(port: DmaPort, bus: number): { phys: number; write: boolean } | undefined {
    if (port.iommu) {
      const t = port.iommu.lookup(port.streamId, bus);
      return t && (t.read || t.write) ? { phys: t.phys, write: t.write } : undefined;
    }
    const phys = this.busToCpu(port, bus);
    return phys < 0 ? undefined : { phys, write: true };
  }

  busToCpu(port: DmaPort, bus: number): number {
    if (port.dmaRanges.length === 0) return bus;
    for (const r of port.dmaRanges) if (bus >= r.bus && bus < r.bus + r.size) return bus - r.bus + r.cpu;
    return -1;
  }

  private access(port: DmaPort, bus: number, buf: Uint8Array, off: number, len: number, write: boolean, tag: unknown): number {
    port.lastError = undefined;
    const a = (this.records[this.nesting] ??= { port, bus, len, write, tag });
    a.port = port;
    a.bus = bus;
    a.len = len;
    a.write = write;
    a.tag = tag;
    const outer = this.current;
    this.nesting++;
    try {
      this.current = a;
      const done = this.transfer(a, buf, off);
      this.current = outer;
      for (const l of this.listeners) l.deviceAccess?.(a, done);
      return done;
    } finally {
      this.nesting--;
      this.current = outer;
    }
  }

  private transfer(a: DeviceAccess, buf: Uint8Array, off: number): number {
    const { port, bus, len, write, tag } = a;
    let done = 0;
    let next = len > 0 ? this.translate(port, bus, write, len) : 0;
    // the IOMMU's run length is read at once: an access this one makes (into another device's MMIO
    // window, which may start a DMA through the same IOMMU) translates too
    let nextRun = port.iommu ? port.iommu.lastRun : 0;
    while (done < len) {
      // a physically contiguous run starting at bus + done; every page is translated exactly once
      const b0 = bus + done;
      const p0 = next;
      if (p0 < 0) return done;
      let runLen: number;
      if (port.iommu) {
        runLen = nextRun;
        if (done + runLen < len) {
          next = this.translate(port, bus + done + runLen, write, len - done - runLen);
          nextRun = port.iommu.lastRun;
        }
      } else {
        runLen = len - done;
        const w = port.dmaRanges.find((r) => b0 >= r.bus && b0 < r.bus + r.size);
        if (w) runLen = Math.min(runLen, w.bus + w.size - b0);
        if (done + runLen < len) next = this.translate(port, b0 + runLen, write, len - done - runLen);
      }
      const n = this.touchPhys(port, p0, buf, off + done, runLen, write, tag);
      if (n > 0) for (const l of this.listeners) l.physAccess?.(a, p0, n, b0);
      done += n;
      if (n < runLen) return done;
    }
    return done;
  }

  /** First physical address of a run at `busAddr` (through the IOMMU: its length is in iommu.lastRun). */
  private translate(port: DmaPort, busAddr: number, write: boolean, maxLen: number): number {
    if (port.iommu) {
      const p = port.iommu.translateRun(port.streamId, busAddr, maxLen, write);
      if (p < 0) port.lastError = port.iommu.faults[port.iommu.faults.length - 1]?.line ?? 'IOMMU fault';
      return p;
    }
    const p = this.busToCpu(port, busAddr);
    if (p < 0) port.lastError = `bus address ${hex(busAddr)} is outside every dma-ranges window of ${port.device}`;
    return p;
  }

  /** RAM (through the cache model) or another device's MMIO window. */
  private touchPhys(port: DmaPort, phys: number, buf: Uint8Array, off: number, len: number, write: boolean, tag: unknown): number {
    for (const r of this.ram) {
      if (phys >= r.base && phys < r.end) {
        const n = Math.min(len, r.end - phys);
        if (write) this.cache.deviceWrite(phys, buf, off, n, port.coherent, tag);
        else this.cache.deviceRead(phys, buf, off, n, port.coherent, tag);
        if (n < len) port.lastError = `physical address ${hex(r.end)} is past the end of RAM`;
        return n;
      }
    }
    const m = this.mmioAt(phys);
    if (m) {
      // device-to-device: byte accesses into the target's window (FIFOs)
      let i = 0;
      for (; i < len && phys + i < m.base + m.size; i++) {
        if (write) m.handler.mmioWrite(phys + i - m.base, 1, buf[off + i]);
        else buf[off + i] = Number(m.handler.mmioRead(phys + i - m.base, 1)) & 0xff;
      }
      return i;
    }
    port.lastError = `physical address ${hex(phys)} decodes to nothing (no RAM, no device)`;
    return 0;
  }
}

/**
 * The driver model: platform devices from the devicetree, drivers matched by `compatible`,
 * probe and remove in process context, managed resources released after remove, and the
 * dma-debug leak check at unbind. MMIO windows are ioremapped as `IoMem`.
 */
import { hex } from '../lib/hex';
import { KernelOops } from './cpu';
import type { Device } from './device';
import { ENXIO, EINVAL, errnoName } from './errno';
import type { Kernel } from './kernel';
import { Task, Tasks } from './task';

export const IORESOURCE_MEM = 0x200;
export const IORESOURCE_IRQ = 0x400;

/** `void __iomem *`: an ioremapped MMIO window. */
export class IoMem {
  constructor(
    /** @internal */ readonly k: Kernel,
    /** @internal */ readonly phys: number,
    /** @internal */ readonly size: number,
    /** @internal */ readonly kva: number,
    /** @internal */ readonly offset = 0,
  ) {}

  add(off: number): IoMem {
    return new IoMem(this.k, this.phys, this.size, this.kva, this.offset + off);
  }

  get va(): bigint {
    return this.k.as.va(this.kva + this.offset);
  }

  toString(): string {
    return `${hex(this.va)} (MMIO ${hex(this.phys + this.offset)})`;
  }
}

export interface Resource {
  start: bigint;
  end: bigint;
  flags: number;
  name: string;
}

export class PlatformDevice {
  readonly resource: Resource[];

  constructor(
    readonly dev: Device,
    readonly id: number,
  ) {
    this.resource = [
      ...dev.desc.reg.map((r) => ({ start: BigInt(r.base), end: BigInt(r.base + r.size - 1), flags: IORESOURCE_MEM, name: dev.desc.node.path })),
      ...dev.desc.irqs.map((q) => ({ start: BigInt(q.line), end: BigInt(q.line), flags: IORESOURCE_IRQ, name: dev.desc.node.path })),
    ];
  }

  get name(): string {
    return this.dev.name;
  }

  get num_resources(): number {
    return this.resource.length;
  }
}

export interface PlatformDriverSpec {
  name: string;
  of_match_table: (string | { compatible: string })[];
  probe(pdev: PlatformDevice): number | void | Promise<number | void>;
  remove?(pdev: PlatformDevice): void | number | Promise<void | number>;
}

export interface Binding {
  driver: PlatformDriverSpec;
  pdev: PlatformDevice;
  probed: boolean;
}

const MMIO_READ_NS = 100;
const MMIO_WRITE_NS = 20;

export class DriverCore {
  readonly bindings: Binding[] = [];
  readonly tasks: Tasks;
  /** The device whose probe is running (misc_register attributes the node to it). */
  probing?: Device;
  private probeTask?: Task;

  constructor(private readonly k: Kernel) {
    this.tasks = new Tasks(k);
  }

  /** Devices whose compatible the driver matches, in devicetree order. */
  match(driver: PlatformDriverSpec): Device[] {
    const table = (driver.of_match_table ?? []).map((m) => (typeof m === 'string' ? m : m?.compatible));
    return this.k.devices.filter((d) => d.desc.compatible.some((c) => table.includes(c)));
  }

  kthread(): Task {
    if (!this.probeTask) this.probeTask = this.tasks.create('kworker/0:1');
    return this.probeTask;
  }

  /** Bind and probe; resolves to the probe's return value. */
  async probe(driver: PlatformDriverSpec, dev: Device): Promise<number> {
    const pdev = new PlatformDevice(dev, this.bindings.length);
    dev.driverName = driver.name;
    const b: Binding = { driver, pdev, probed: false };
    this.bindings.push(b);
    this.probing = dev;
    let ret: number | void;
    try {
      ret = await this.tasks.enter(this.kthread(), () => driver.probe(pdev));
    } finally {
      this.probing = undefined;
    }
    const code = typeof ret === 'number' ? ret : 0;
    if (code < 0) {
      this.k.log(undefined, 'warn', `${driver.name}: probe of ${dev.name} failed with error ${code} (${errnoName(code)})`);
      this.unbind(b);
      return code;
    }
    if (code > 0) this.k.log(undefined, 'warn', `${driver.name}: probe of ${dev.name} returned ${code}, expected 0 or a negative errno`);
    b.probed = true;
    return 0;
  }

  async remove(b: Binding): Promise<void> {
    if (!b.probed) return;
    if (b.driver.remove) await this.tasks.enter(this.kthread(), () => b.driver.remove!(b.pdev));
    b.probed = false;
    this.unbind(b);
  }

  private unbind(b: Binding): void {
    const dev = b.pdev.dev;
    dev.releaseDevres();
    this.k.chardev.forgetDevice(dev);
    this.k.debug?.driverUnbound(dev, undefined);
    dev.driverData = undefined;
  }

  // ---- resources ------------------------------------------------------------------------

  getIrq(pdev: PlatformDevice, index: number): number {
    const q = pdev.dev.desc.irqs[index];
    if (!q) {
      this.k.log(pdev.dev, 'err', `IRQ index ${index} not found`);
      return -ENXIO;
    }
    return q.line;
  }

  getResource(pdev: PlatformDevice, type: number, index: number): Resource | null {
    return pdev.resource.filter((r) => r.flags & type)[index] ?? null;
  }

  ioremap(phys: number, size: number): IoMem | null {
    if (!Number.isFinite(phys) || !Number.isInteger(size) || size <= 0) return null;
    if (this.k.bus.isRam(phys)) {
      this.k.log(undefined, 'warn', `ioremap on RAM at ${hex(phys)} - ${hex(phys + size - 1)}: refused`);
      return null;
    }
    const kva = this.k.as.reserveArea(size);
    if (kva < 0) return null;
    return new IoMem(this.k, phys, size, kva);
  }

  iounmap(io: IoMem): void {
    this.k.as.releaseArea(io.kva, io.size);
  }

  devmIoremapResource(pdev: PlatformDevice, index: number): IoMem | number {
    const r = this.getResource(pdev, 0x200, index);
    if (!r) return -EINVAL;
    const io = this.ioremap(Number(r.start), Number(r.end - r.start + 1n));
    if (!io) return -12;
    pdev.dev.addDevres(`ioremap ${hex(io.phys)}`, () => this.iounmap(io));
    return io;
  }

  // ---- MMIO -----------------------------------------------------------------------------

  private target(io: IoMem, size: number, what: string): number {
    if (!(io instanceof IoMem)) throw new KernelOops(`${what}(): the address is not an __iomem pointer from ioremap (got ${String(io)})`);
    if (io.offset < 0 || io.offset + size > io.size) {
      throw new KernelOops(`BUG: unable to handle page fault for address: ${hex(io.va)}\n${what}() at offset ${hex(io.offset)} is outside the ${io.size}-byte ioremap window of ${hex(io.phys)}`);
    }
    return io.phys + io.offset;
  }

  /**
   * readb/w/l/q: the load, then (unless `relaxed`, readl_relaxed) the read barrier Linux puts after
   * it (`__iormb()`), so a status read from the device orders the loads of DMA memory that follow.
   */
  mmioRead(io: IoMem, size: 1 | 2 | 4 | 8, what: string, relaxed = false): number | bigint {
    const phys = this.target(io, size, what);
    const s = this.k.machine.sched;
    s.advanceTo(s.now + MMIO_READ_NS);
    const v = this.k.bus.cpuMmioRead(phys, size);
    if (!relaxed) this.k.cpu.buffers?.loadBarrier();
    return v;
  }

  /**
   * writeb/w/l/q: (unless `relaxed`, writel_relaxed) the write barrier Linux puts before the store
   * (`__iowmb()`), so the CPU's stores to DMA memory reach it before the device hears the doorbell.
   */
  mmioWrite(io: IoMem, size: 1 | 2 | 4 | 8, value: number | bigint, what: string, relaxed = false): void {
    const phys = this.target(io, size, what);
    if (!relaxed) this.k.cpu.buffers?.storeBarrier();
    this.k.bus.cpuMmioWrite(phys, size, value);
    const s = this.k.machine.sched;
    s.advanceTo(s.now + MMIO_WRITE_NS);
  }

  /** The platform device bound to a Device, if any. */
  pdevOf(dev: Device): PlatformDevice | undefined {
    return this.bindings.find((b) => b.pdev.dev === dev)?.pdev;
  }

}

/**
 * The emulated kernel: memory management, the DMA API with its checker, interrupts, sleeping,
 * devices and drivers, on top of a Machine. It boots from the platform (logging as Linux does),
 * gives each device its DMA configuration (mask, bus limit, coherency, IOMMU domain, bounce pool),
 * and turns hardware happenings into trace events and findings.
 */
import type { DmaPort } from '../hw/bus';
import { Machine } from '../machine';
import type { DeviceDesc, Platform } from '../platform/model';
import { Prng } from '../lib/prng';
import { addr, size as fmtSize } from '../lib/hex';
import { Trace, TraceEvent } from '../trace/events';
import { CallSite, captureSite } from './call-site';
import { Cpu } from './cpu';
import { Device } from './device';
import { FINDING_SEVERITY, Finding, FindingId, Related } from './findings';
import { gfpMaySleep, gfpName } from './gfp';
import { IrqCore } from './irq';
import { KernelAddressSpace, LAYOUTS } from './address-space';
import { PAGE_SIZE, PageAllocator } from './page-alloc';
import { Kmalloc } from './slab';
import { Vmalloc } from './vmalloc';
import { Waits } from './wait';
import { DirectOps } from './dma/direct';
import { IommuOps } from './dma/iommu-ops';
import { DmaCore } from './dma/mapping';
import { DmaDebug, TransferTag, dirtyReadFinding } from './dma/debug';
import { IommuDomain } from './dma/iommu-domain';
import { Swiotlb } from './dma/swiotlb';
import { CoherentPool } from './dma/coherent-pool';
import type { DmaEnv } from './dma/env';
import { DriverCore } from './driver-core';
import { CharDevices } from './chardev';
import { DmaEngine } from './dmaengine/core';
import { CpuBuffers } from './write-buffer';
import { memoryObservers } from '../devices/memory-observers';

export interface KernelOptions {
  seed: number;
  /** The DMA-API checker (dma-debug and beyond). Off only for measurements. */
  checks: boolean;
}

export type LogLevel = 'err' | 'warn' | 'info' | 'debug';

export class Kernel {
  readonly trace = new Trace();
  readonly machine: Machine;
  readonly prng: Prng;
  readonly pages: PageAllocator;
  readonly as: KernelAddressSpace;
  readonly cpu: Cpu;
  readonly kmalloc: Kmalloc;
  readonly vmalloc: Vmalloc;
  readonly swiotlb?: Swiotlb;
  readonly direct: DirectOps;
  readonly iommuOps: IommuOps;
  readonly debug?: DmaDebug;
  readonly dma: DmaCore;
  readonly irq: IrqCore;
  readonly waits: Waits;
  readonly drivers: DriverCore;
  readonly chardev: CharDevices;
  readonly dmaengine: DmaEngine;
  readonly devices: Device[] = [];
  /** The device behind each bus-master port (every device access is attributed through it). */
  private readonly byPort = new Map<DmaPort, Device>();
  readonly findings: Finding[] = [];
  private seen = new Map<string, Finding>();
  private wokeFlag = false;
  private transferIds = 1;
  private domainIds = 1;

  constructor(
    readonly platform: Platform,
    readonly opts: KernelOptions,
  ) {
    this.prng = new Prng(opts.seed);
    this.machine = new Machine(platform, {
      log: (desc, level, text) => this.log(this.deviceOf(desc), level, text),
      transferStart: (desc, label, bus, size, write) => this.transferStart(desc, label, bus, size, write),
      transferEnd: (h, ok, done) => this.transferEnd(h as TransferTag & { bus: number; size: number; write: boolean }, ok, done),
    });
    const m = this.machine;
    this.pages = new PageAllocator(platform.memory, platform.zoneDmaLimit, platform.arch !== 'arm', this.prng);
    this.as = new KernelAddressSpace(LAYOUTS[platform.arch], platform.memory);
    this.cpu = new Cpu(this.as, m.cache, m.ram);
    // weakly-ordered CPUs post stores to non-cacheable memory and read it ahead (write-buffer.ts)
    this.cpu.observers = memoryObservers(m.bus);
    if (platform.arch !== 'x86_64') this.cpu.buffers = new CpuBuffers(m.ram, m.sched, this.cpu.observers, platform.cacheLineSize);
    const minAlign = platform.arch === 'arm' ? platform.cacheLineSize : platform.arch === 'arm64' ? 128 : 8;
    this.kmalloc = new Kmalloc(this.pages, this.as, this.cpu, minAlign, (msg) => this.log(undefined, 'warn', msg));
    this.vmalloc = new Vmalloc(this.pages, this.as);
    // unmapping (vunmap's TLB maintenance) is a full barrier: nothing stays posted to freed pages
    this.vmalloc.barrier = () => this.cpu.buffers?.fullBarrier();
    const env: DmaEnv = {
      arch: platform.arch,
      cache: m.cache,
      ram: m.ram,
      pages: this.pages,
      as: this.as,
      vmalloc: this.vmalloc,
      zoneDmaLimit: platform.zoneDmaLimit,
      now: () => this.now,
      emit: (e) => this.emit(e),
      log: (dev, level, text) => this.log(dev, level, text),
      finding: (id, dev, message, related) => this.report(id, dev, message, this.here(), related ?? []),
    };
    this.direct = new DirectOps(env);
    this.iommuOps = new IommuOps(env);
    this.irq = new IrqCore({
      irqc: m.irqc,
      eventDepth: () => m.sched.depth,
      emitInterrupt: (line, handled, dev) => {
        this.cpu.buffers?.loadBarrier(); // interrupt entry: nothing read ahead survives it
        this.emit({ kind: 'interrupt', t: this.now, device: dev?.nodeName ?? '', line, handled });
      },
      log: (dev, level, text) => this.log(dev, level, text),
      woke: () => this.woke(),
    });
    m.irqc.sink = this.irq;
    this.waits = new Waits({ sched: m.sched, mightSleep: (what) => this.mightSleep(what), woke: () => this.woke(), here: () => this.here() });
    if (opts.checks) {
      const debug = new DmaDebug(
        { finding: (id, dev, msg, site, rel) => this.report(id, dev, msg, site, rel), now: () => this.now, here: () => captureSite() },
        platform.cacheLineSize,
        this.kmalloc,
      );
      this.debug = debug;
      this.cpu.listener = (phys, len, write) => debug.cpuAccess(phys, len, write);
      m.cache.listener = {
        staleRead: (line, by) => debug.staleRead(line, by),
        dirtyDeviceRead: (line, tag) => dirtyReadFinding(debug, { finding: (id, dev, msg, site, rel) => this.report(id, dev, msg, site, rel), now: () => this.now, here: () => captureSite() }, line, tag as TransferTag),
      };
      m.bus.listeners.push({
        deviceAccess: (a, done) => {
          const dev = this.byPort.get(a.port);
          if (dev) debug.deviceAccess(a, done, dev, a.tag as TransferTag | undefined);
        },
      });
    }
    for (const iommu of m.iommus.values()) {
      iommu.onFault = (f) => {
        const cur = m.bus.current;
        const dev = (cur && this.byPort.get(cur.port)) ?? this.devices.find((d) => d.dma.port.iommu === iommu && d.dma.port.streamId === f.streamId);
        this.log(undefined, 'err', f.line);
        this.emit({ kind: 'iommu-fault', t: this.now, device: dev?.nodeName ?? '', iommu: iommu.name, iova: f.iova, write: f.write, reason: f.reason, text: f.line, site: (cur?.tag as TransferTag | undefined)?.site });
        if (dev && this.debug) this.debug.iommuFault(dev, f, cur?.tag as TransferTag | undefined);
        else if (dev) this.report('iommu-fault', dev, f.line, (cur?.tag as TransferTag | undefined)?.site, []);
      };
    }
    this.dma = new DmaCore(this);
    this.drivers = new DriverCore(this);
    this.chardev = new CharDevices(this);
    this.swiotlb = this.boot();
    this.dmaengine = new DmaEngine(this);
    this.dmaengine.probeBuiltin();
  }

  get now(): number {
    return this.machine.sched.now;
  }

  get bus() {
    return this.machine.bus;
  }

  get cache() {
    return this.machine.cache;
  }

  get ram() {
    return this.machine.ram;
  }

  emit(e: TraceEvent): void {
    this.trace.emit(e);
  }

  log(dev: Device | undefined, level: LogLevel, text: string): void {
    this.emit({ kind: 'log', t: this.now, device: dev?.nodeName ?? '', level, text: dev ? `${dev.logPrefix}: ${text}` : text });
  }

  /** Where the script is now (captured raw; resolved only if someone asks). */
  here(): CallSite {
    return captureSite();
  }

  report(id: FindingId, dev: Device | undefined, message: string, site: CallSite | undefined, related: Related[]): void {
    const loc = site?.location();
    const key = `${id}|${dev?.name ?? ''}|${loc ? `${loc.file}:${loc.line}:${loc.column}` : message}`;
    const prev = this.seen.get(key);
    if (prev) {
      prev.count++;
      return;
    }
    const f: Finding = { id, severity: FINDING_SEVERITY[id], message, device: dev?.nodeName ?? '', t: this.now, site, related, count: 1 };
    this.seen.set(key, f);
    this.findings.push(f);
    const prefix = id.startsWith('unmap') || id.startsWith('sync') || id.startsWith('map-') || id === 'sg-count-mismatch' || id === 'free-coherent-cpu-mismatch' || id === 'leak-at-remove' || id === 'overlapping-cacheline' ? 'DMA-API: ' : '';
    this.log(dev, f.severity === 'error' ? 'err' : 'warn', `${prefix}${message}`);
    this.emit({ kind: 'finding', t: this.now, device: f.device, finding: f, site });
  }

  /** might_sleep(): sleeping in atomic context is a bug the kernel reports and survives. */
  mightSleep(what: string): void {
    if (!this.irq.atomic) return;
    const ctx = this.irq.inIrq > 0 ? `in the interrupt handler of irq ${this.irq.currentLine}` : 'with interrupts disabled by spin_lock_irqsave';
    const owner = this.irq.inIrq > 0 ? this.irq.registered(this.irq.currentLine)[0]?.dev : undefined;
    this.report('sleep-in-irq', owner ?? this.devices[0], `BUG: sleeping function called from invalid context: ${what} ${ctx} (in_atomic(): 1, irqs_disabled(): 1)`, this.here(), []);
  }

  gfpCheck(gfp: number, api: string): void {
    if (gfpMaySleep(gfp) && this.irq.atomic) this.mightSleep(`${api}(${gfpName(gfp)})`);
  }

  woke(): void {
    this.wokeFlag = true;
    this.cpu.buffers?.loadBarrier(); // a wake-up is a full barrier for the woken task (and the end of a handler)
  }

  /** True once per wake-up: the run loop yields to promise continuations only when needed. */
  takeWoke(): boolean {
    const w = this.wokeFlag;
    this.wokeFlag = false;
    return w;
  }

  deviceOf(desc: DeviceDesc): Device | undefined {
    return this.devices.find((d) => d.desc === desc);
  }

  /** A device by node name ("dad@10000000" or "dad"), bus id ("10000000.dad") or label. */
  deviceByName(name: string): Device | undefined {
    const md = this.machine.deviceByName(name);
    return md ? this.deviceOf(md.desc) : undefined;
  }

  private transferStart(desc: DeviceDesc, label: string, bus: number, size: number, write: boolean): TransferTag & { bus: number; size: number; write: boolean } {
    const device = this.deviceOf(desc)!;
    // a device starting a transfer on its own (in a hardware event, also one a busy-wait runs, and
    // no interrupt handler entered since) has no script line on the stack to blame: capturing one
    // would cost a stack walk and find nothing (or the busy-wait's line, which did not start it)
    const depth = this.machine.sched.depth;
    const onItsOwn = depth > 0 && this.irq.handlerEventDepth < depth;
    const tag = { device, id: this.transferIds++, label, site: this.dmaengine.transferSite(device, bus) ?? (onItsOwn ? undefined : this.here()), t: this.now, bus, size, write };
    this.emit({ kind: 'transfer-start', t: this.now, device: desc.name, id: tag.id, bus, size, write, label, site: tag.site });
    return tag;
  }

  private transferEnd(tag: TransferTag & { bus: number; size: number; write: boolean }, ok: boolean, done: number): void {
    this.emit({ kind: 'transfer-complete', t: this.now, device: tag.device.nodeName, id: tag.id, bus: tag.bus, size: tag.size, write: tag.write, ok, done, label: tag.label, site: tag.site });
  }

  private boot(): Swiotlb | undefined {
    const p = this.platform;
    this.log(undefined, 'info', `Booting DMA Lab on ${p.model} (${p.arch})`);
    for (const m of p.memory) this.log(undefined, 'info', `memory: [mem ${addr(m.base)}-${addr(m.base + m.size - 1)}] ${fmtSize(m.size)}`);
    for (const z of this.pages.zones) this.log(undefined, 'info', `  ${z.name.padEnd(8)} [mem ${addr(z.start)}-${addr(z.end - 1)}]`);
    const pools = new Map<string, Swiotlb | CoherentPool>();
    for (const r of p.reserved) {
      this.pages.reserve(r.base, r.size, 'reserved');
      if (r.kind === 'restricted-dma-pool') pools.set(r.name, new Swiotlb(r.name, r.base, r.size));
      else if (r.kind === 'shared-dma-pool') pools.set(r.name, new CoherentPool(r.name, r.base, r.size, r.noMap));
      this.log(undefined, 'info', `Reserved memory: created ${r.kind === 'reserved' ? 'reserved' : r.kind === 'restricted-dma-pool' ? 'restricted DMA' : 'DMA memory'} pool at ${addr(r.base)}, size ${r.size >> 20} MiB`);
    }
    let swiotlb: Swiotlb | undefined;
    if (p.swiotlbSize > 0) {
      const phys = this.pages.allocContig(p.swiotlbSize / PAGE_SIZE, 0x04 /* GFP_DMA32: low memory */, 'swiotlb', 1 << 20);
      if (phys >= 0) {
        swiotlb = new Swiotlb('swiotlb', phys, p.swiotlbSize);
        this.log(undefined, 'info', `software IO TLB: mapped [mem ${addr(phys)}-${addr(phys + p.swiotlbSize - 1)}] (${p.swiotlbSize >> 20}MB)`);
      } else this.log(undefined, 'warn', 'software IO TLB: failed to allocate the bounce buffer pool');
    }
    for (const [desc, iommu] of this.machine.iommus) {
      if (desc.kind === 'vtd') this.log(undefined, 'info', `DMAR: IOMMU enabled (${iommu.format.name} page tables, 48-bit IOVA)`);
      else this.log(undefined, 'info', `arm-smmu-v3 ${desc.logName}: ias 48-bit, oas 48-bit (${iommu.format.name} page tables)`);
    }
    const top = this.pages.zones.reduce((m, z) => Math.max(m, z.end), 0);
    for (const md of this.machine.devices) {
      const desc = md.desc;
      let domain: IommuDomain | undefined;
      if (md.port.iommu) {
        domain = new IommuDomain(this.domainIds++, md.port.iommu, this.ram, this.pages);
        md.port.iommu.attach(md.port.streamId, domain.id, domain.root);
      }
      const restricted = desc.restrictedPool ? (pools.get(desc.restrictedPool.name) as Swiotlb | undefined) : undefined;
      const coherentPool = desc.memoryRegion ? (pools.get(desc.memoryRegion.name) as CoherentPool | undefined) : undefined;
      const dev = new Device(desc.busId, desc, {
        mask: 0xffff_ffffn,
        coherentMask: 0xffff_ffffn,
        busDmaLimit: Number.isFinite(desc.busDmaLimit) ? desc.busDmaLimit - 1 : Infinity,
        coherent: desc.coherent,
        port: md.port,
        domain,
        swiotlb: domain ? undefined : (restricted ?? swiotlb),
        forceBounce: !domain && !!restricted,
        coherentPool,
      });
      this.devices.push(dev);
      this.byPort.set(md.port, dev);
      if (domain) this.log(undefined, 'info', `iommu: Adding device ${dev.name} to group ${domain.id} (stream id ${addr(md.port.streamId).replace(/^0x0+(?=.)/, '0x')})`);
      if (restricted) this.log(undefined, 'info', `${dev.name}: assigned restricted DMA pool ${restricted.name}`);
      if (!domain && desc.dmaRanges.length && top > 0) {
        const reach = desc.dmaRanges.map((w) => `bus ${addr(w.bus)} -> cpu ${addr(w.cpu)} (${fmtSize(w.size)})`).join(', ');
        this.log(undefined, 'debug', `${dev.name}: dma-ranges ${reach}`);
      }
    }
    return swiotlb;
  }
}

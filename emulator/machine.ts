/**
 * The machine: the hardware a platform describes, assembled. RAM, the CPU data cache, the bus,
 * IOMMUs, the interrupt controller, virtual time, and one model per device node with its MMIO
 * window, DMA port and interrupt lines. No kernel here: only what a board has.
 */
import { Bus, DmaPort } from './hw/bus';
import { DataCache } from './hw/cache';
import { InterruptController } from './hw/interrupt-controller';
import { Iommu } from './hw/iommu';
import { PhysicalMemory } from './hw/physical-memory';
import { Scheduler } from './hw/scheduler';
import type { DeviceContext, DeviceModel, TransferHandle } from './devices/device-model';
import { DEVICE_MODELS } from './devices/registry';
import type { DeviceDesc, IommuDesc, Platform } from './platform/model';

export interface MachineHooks {
  log(desc: DeviceDesc, level: 'err' | 'warn' | 'info', text: string): void;
  transferStart(desc: DeviceDesc, label: string, bus: number, size: number, write: boolean): TransferHandle;
  transferEnd(h: TransferHandle, ok: boolean, done: number): void;
}

export interface MachineDevice {
  desc: DeviceDesc;
  model: DeviceModel;
  port: DmaPort;
}

export class Machine {
  readonly sched = new Scheduler();
  readonly ram = new PhysicalMemory();
  readonly cache: DataCache;
  readonly bus: Bus;
  readonly irqc: InterruptController;
  readonly iommus = new Map<IommuDesc, Iommu>();
  readonly devices: MachineDevice[] = [];

  constructor(
    readonly platform: Platform,
    hooks: MachineHooks,
  ) {
    this.cache = new DataCache(this.ram, platform.cacheLineSize, Math.floor(platform.cacheSize / platform.cacheLineSize));
    this.bus = new Bus(this.ram, this.cache);
    for (const m of platform.memory) this.bus.addRam(m.base, m.size);
    this.irqc = new InterruptController('intc', this.sched);
    for (const d of platform.iommus) this.iommus.set(d, new Iommu(d.name, d.kind, this.ram, d.logName));
    for (const desc of platform.devices) {
      const factory = desc.compatible.map((c) => DEVICE_MODELS.get(c)).find(Boolean);
      if (!factory) continue; // the platform model already reported it
      const port: DmaPort = {
        device: desc.name,
        coherent: desc.coherent,
        iommu: desc.iommu ? this.iommus.get(desc.iommu.desc) : undefined,
        streamId: desc.iommu?.streamId ?? 0,
        dmaRanges: desc.dmaRanges,
      };
      for (const irq of desc.irqs) this.irqc.configure(irq.line, irq.trigger);
      const mbps = Math.min(desc.knob('dmalab,bandwidth', 1000), platform.busBandwidthMBps);
      const ctx: DeviceContext = {
        desc,
        sched: this.sched,
        bus: this.bus,
        port,
        irqc: this.irqc,
        bytesPerNs: Math.max(mbps, 1) / 1000,
        irqLine: (i = 0) => desc.irqs[i]?.line ?? -1,
        log: (level, text) => hooks.log(desc, level, text),
        transferStart: (label, bus, size, write) => hooks.transferStart(desc, label, bus, size, write),
        transferEnd: (h, ok, done) => hooks.transferEnd(h, ok, done),
      };
      const model = factory(ctx);
      for (const r of desc.reg) this.bus.addMmio({ base: r.base, size: r.size, owner: desc.name, handler: model });
      this.devices.push({ desc, model, port });
    }
  }

  deviceByName(name: string): MachineDevice | undefined {
    const n = name.toLowerCase();
    return this.devices.find((d) => d.desc.name === n || d.desc.node.baseName === n || d.desc.busId === n || d.desc.node.labels.includes(name));
  }
}

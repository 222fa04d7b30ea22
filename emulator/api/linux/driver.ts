/**
 * The driver model and MMIO: platform drivers matched by `compatible`, resources and interrupts of
 * a platform device, ioremap and the register accessors, misc character devices, driver data.
 */
import { Device } from '../../kernel/device';
import { KernelOops } from '../../kernel/cpu';
import { IoMem, IORESOURCE_IRQ, IORESOURCE_MEM, PlatformDevice, PlatformDriverSpec, Resource } from '../../kernel/driver-core';
import type { File, FileOperations, MiscDevice } from '../../kernel/chardev';
import { UserPtr } from '../../kernel/chardev';
import { K } from '../current';
import { ErrPtr } from './types';
import { toAddr } from '../../lib/hex';
import { devArg } from './args';

export { Device, IoMem, PlatformDevice, UserPtr, IORESOURCE_MEM, IORESOURCE_IRQ };
export type { File, FileOperations, MiscDevice, Resource, PlatformDriverSpec };
/** `struct device` */
export type device = Device;
/** `struct platform_device` */
export type platform_device = PlatformDevice;

/** The tag the runner looks for on a script's default export. */
export const PLATFORM_DRIVER = Symbol.for('dmalab.platform_driver');

export interface PlatformDriver extends PlatformDriverSpec {
  readonly [PLATFORM_DRIVER]: true;
}

/**
 * `platform_driver`: declare the driver. Export it as the script's default export; the kernel
 * binds it to every devicetree node whose `compatible` is in `of_match_table`, calls `probe`
 * for each, and `remove` at the end of the run.
 */
export function platform_driver(spec: PlatformDriverSpec): PlatformDriver {
  if (!spec || typeof spec !== 'object') throw new TypeError('platform_driver(): expects { name, of_match_table, probe, remove }');
  if (typeof spec.name !== 'string' || !spec.name) throw new TypeError('platform_driver(): `name` must be a non-empty string');
  if (!Array.isArray(spec.of_match_table) || spec.of_match_table.length === 0) throw new TypeError(`platform_driver(${spec.name}): \`of_match_table\` must list at least one compatible, e.g. ['dmalab,dad']`);
  if (typeof spec.probe !== 'function') throw new TypeError(`platform_driver(${spec.name}): \`probe\` must be a function`);
  return Object.assign(Object.create(null), spec, { [PLATFORM_DRIVER]: true as const });
}

function pdevArg(pdev: unknown, fn: string): PlatformDevice {
  if (!(pdev instanceof PlatformDevice)) throw new KernelOops(`${fn}(): the first argument must be the platform_device passed to probe, got ${String(pdev)}`);
  return pdev;
}


/** `platform_get_irq(pdev, index)`: the Linux IRQ number of the device's `index`-th interrupt, or a negative errno. */
export function platform_get_irq(pdev: PlatformDevice, index: number): number {
  return K().drivers.getIrq(pdevArg(pdev, 'platform_get_irq'), index);
}

/** `platform_get_resource(pdev, IORESOURCE_MEM, index)`: a resource (start/end as phys_addr_t) or null. */
export function platform_get_resource(pdev: PlatformDevice, type: number, index: number): Resource | null {
  return K().drivers.getResource(pdevArg(pdev, 'platform_get_resource'), type, index);
}

/** `resource_size(res)` */
export function resource_size(res: Resource): number {
  return Number(res.end - res.start + 1n);
}

/** `devm_platform_ioremap_resource(pdev, index)`: map the `index`-th MMIO window, unmapped automatically after remove. ERR_PTR on failure. */
export function devm_platform_ioremap_resource(pdev: PlatformDevice, index: number): IoMem | ErrPtr {
  const r = K().drivers.devmIoremapResource(pdevArg(pdev, 'devm_platform_ioremap_resource'), index);
  return typeof r === 'number' ? new ErrPtr(r) : r;
}

/** `ioremap(phys, size)`: map an MMIO window; null on failure. */
export function ioremap(phys: bigint | number, size: number): IoMem | null {
  return K().drivers.ioremap(toAddr(phys), size);
}

/** `iounmap(addr)` */
export function iounmap(addr: IoMem): void {
  if (!(addr instanceof IoMem)) throw new KernelOops(`iounmap(): not an __iomem pointer: ${String(addr)}`);
  K().drivers.iounmap(addr);
}

/** `readb(addr)`: 8-bit MMIO read. */
export function readb(addr: IoMem): number {
  return Number(K().drivers.mmioRead(addr, 1, 'readb'));
}
/** `readw(addr)`: 16-bit MMIO read. */
export function readw(addr: IoMem): number {
  return Number(K().drivers.mmioRead(addr, 2, 'readw'));
}
/** `readl(addr)`: 32-bit MMIO read. */
export function readl(addr: IoMem): number {
  return Number(K().drivers.mmioRead(addr, 4, 'readl')) >>> 0;
}
/** `readq(addr)`: 64-bit MMIO read. */
export function readq(addr: IoMem): bigint {
  return BigInt(K().drivers.mmioRead(addr, 8, 'readq'));
}
/** `writeb(value, addr)`: 8-bit MMIO write (value first, as in Linux). */
export function writeb(value: number, addr: IoMem): void {
  K().drivers.mmioWrite(addr, 1, Number(value) & 0xff, 'writeb');
}
/** `writew(value, addr)` */
export function writew(value: number, addr: IoMem): void {
  K().drivers.mmioWrite(addr, 2, Number(value) & 0xffff, 'writew');
}
/** `writel(value, addr)`: 32-bit MMIO write. */
export function writel(value: number | bigint, addr: IoMem): void {
  K().drivers.mmioWrite(addr, 4, Number(BigInt.asUintN(32, BigInt(value))), 'writel');
}
/** `writeq(value, addr)`: 64-bit MMIO write. */
export function writeq(value: bigint | number, addr: IoMem): void {
  K().drivers.mmioWrite(addr, 8, BigInt.asUintN(64, BigInt(value)), 'writeq');
}
/** `ioread32(addr)` */
export const ioread32 = readl;
/** `iowrite32(value, addr)` */
export const iowrite32 = writel;

/** `MISC_DYNAMIC_MINOR` */
export const MISC_DYNAMIC_MINOR = 255;

/** `misc_register(misc)`: create /dev/<misc.name> served by `misc.fops`. The scenario opens it with `sys.open`. */
export function misc_register(misc: MiscDevice): number {
  const k = K();
  return k.chardev.register(misc, k.drivers.probing);
}

/** `misc_deregister(misc)` */
export function misc_deregister(misc: MiscDevice): void {
  K().chardev.deregister(misc);
}

/** `dev_set_drvdata(dev, data)` */
export function dev_set_drvdata(dev: Device, data: unknown): void {
  devArg(dev, 'dev_set_drvdata').driverData = data;
}
/** `dev_get_drvdata(dev)` */
export function dev_get_drvdata<T = unknown>(dev: Device): T {
  return devArg(dev, 'dev_get_drvdata').driverData as T;
}
/** `platform_set_drvdata(pdev, data)` */
export function platform_set_drvdata(pdev: PlatformDevice, data: unknown): void {
  pdevArg(pdev, 'platform_set_drvdata').dev.driverData = data;
}
/** `platform_get_drvdata(pdev)` */
export function platform_get_drvdata<T = unknown>(pdev: PlatformDevice): T {
  return pdevArg(pdev, 'platform_get_drvdata').dev.driverData as T;
}
/** `dev_name(dev)`: "10000000.dad" */
export function dev_name(dev: Device): string {
  return devArg(dev, 'dev_name').name;
}

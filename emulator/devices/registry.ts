/** The device models the emulator implements, by devicetree `compatible`. */
import { Dad } from './dad';
import type { DeviceFactory } from './device-model';
import { Edu } from './edu';
import { Ioat } from './ioat';
import { Nic } from './nic';
import { Pl080 } from './pl080';
import { Uart } from './uart';

export const DEVICE_MODELS: ReadonlyMap<string, DeviceFactory> = new Map<string, DeviceFactory>([
  ['dmalab,dad', (ctx) => new Dad(ctx)],
  ['qemu,edu', (ctx) => new Edu(ctx)],
  ['arm,pl080', (ctx) => new Pl080(ctx)],
  ['intel,ioat', (ctx) => new Ioat(ctx)],
  ['dmalab,uart', (ctx) => new Uart(ctx)],
  ['dmalab,nic', (ctx) => new Nic(ctx)],
]);

export const DEVICE_MODEL_NAMES: ReadonlySet<string> = new Set(DEVICE_MODELS.keys());

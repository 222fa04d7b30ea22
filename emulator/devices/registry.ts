/** The device models the emulator implements, by devicetree `compatible`. */
import { Dad } from './dad';
import type { DeviceFactory } from './device-model';
import { Edu } from './edu';

export const DEVICE_MODELS: ReadonlyMap<string, DeviceFactory> = new Map<string, DeviceFactory>([
  ['dmalab,dad', (ctx) => new Dad(ctx)],
  ['qemu,edu', (ctx) => new Edu(ctx)],
]);

export const DEVICE_MODEL_NAMES: ReadonlySet<string> = new Set(DEVICE_MODELS.keys());

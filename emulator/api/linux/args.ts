/** Argument checks shared by the API faces: a wrong argument is a kernel bug with a clear message. */
import { Device } from '../../kernel/device';
import { KernelOops } from '../../kernel/cpu';
import { Ptr } from '../../kernel/ptr';

export function devArg(dev: unknown, fn: string): Device {
  if (!(dev instanceof Device)) throw new KernelOops(`${fn}(): the first argument must be a struct device (pdev.dev), got ${String(dev)}`);
  return dev;
}

export function ptrArg(p: unknown, fn: string): Ptr {
  if (!(p instanceof Ptr)) throw new KernelOops(`${fn}(): expected a kernel pointer (Ptr), got ${String(p)}`);
  return p;
}

/** Boot a kernel on a built-in platform without a script (for kernel-level tests). */
import { Kernel } from '../../emulator/kernel/kernel';
import { loadPlatform } from '../../emulator/runner/platforms';
import { bindKernel } from '../../emulator/api/current';
import { setFrameResolver } from '../../emulator/kernel/call-site';

export function boot(platform: string, seed = 1, checks = true): Kernel {
  const k = new Kernel(loadPlatform(platform), { seed, checks });
  setFrameResolver(undefined);
  bindKernel(k);
  return k;
}

export function device(k: Kernel, name: string) {
  const d = k.deviceByName(name);
  if (!d) throw new Error(`no device ${name}`);
  return d;
}

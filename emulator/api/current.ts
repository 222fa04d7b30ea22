/**
 * The kernel a script's API calls reach: one run at a time per thread (the CLI process, or the
 * debugger's worker), bound by the runner before the script is loaded.
 */
import type { Kernel } from '../kernel/kernel';
import { CallSite, captureCaller } from '../kernel/call-site';

let current: Kernel | undefined;

export function bindKernel(k: Kernel | undefined): void {
  current = k;
}

export function K(): Kernel {
  if (!current) throw new Error('dmalab: the kernel API was called outside a DMA Lab run (run the script with `dmalab run`)');
  return current;
}

/**
 * The script line that called `apiFn`, when the checker is on (it costs a stack capture, so only
 * calls whose site outlives them use it: maps and allocations). Other calls leave the site to be
 * captured if and when a finding is reported.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export function site(apiFn: Function): CallSite | undefined {
  return current?.opts.checks ? captureCaller(apiFn) : undefined;
}

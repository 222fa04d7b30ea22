/**
 * dev_info / pr_info and friends: kernel printf with the kernel's extensions (%pad for a
 * dma_addr_t, %pa for a phys_addr_t, %p for pointers, %zu/%zx, %llx...). Lines go to the run's
 * dmesg log with the virtual timestamp.
 */
import { Device } from '../../kernel/device';
import { KernelOops } from '../../kernel/cpu';
import { K } from '../current';

type Arg = unknown;

function hexOf(v: Arg): string {
  if (typeof v === 'bigint') return BigInt.asUintN(64, v).toString(16);
  if (typeof v === 'number') return (v < 0 ? v >>> 0 : v).toString(16);
  if (v && typeof v === 'object' && 'va' in v) return (v as { va: bigint }).va.toString(16);
  return String(v);
}

/** Format like the kernel's vsnprintf for the conversions drivers use. */
export function kformat(fmt: string, args: Arg[]): string {
  let i = 0;
  return String(fmt).replace(/%([-+ 0#]*)(\d*)(?:\.(\d+))?(hh|h|ll|l|z|j|t)?([diuxXscpo%])(ad|a|S|s|x)?/g, (m, flags: string, width: string, prec: string, _len: string, conv: string, ext: string) => {
    if (conv === '%') return '%';
    const v = args[i++];
    let s: string;
    switch (conv) {
      case 'd':
      case 'i':
        s = typeof v === 'bigint' ? v.toString() : String(Math.trunc(Number(v)));
        break;
      case 'u':
        s = typeof v === 'bigint' ? BigInt.asUintN(64, v).toString() : String(Number(v) >>> 0 === Number(v) ? Number(v) : Number(v) < 0 ? Number(v) >>> 0 : Number(v));
        break;
      case 'x':
      case 'X':
        s = hexOf(v);
        if (flags.includes('#')) s = '0x' + s;
        if (conv === 'X') s = s.toUpperCase();
        break;
      case 'o':
        s = (typeof v === 'bigint' ? v : BigInt(Math.trunc(Number(v)))).toString(8);
        break;
      case 'c':
        s = typeof v === 'number' ? String.fromCharCode(v) : String(v);
        break;
      case 's':
        s = String(v);
        if (prec) s = s.slice(0, Number(prec));
        break;
      case 'p':
        if (ext === 'ad' || ext === 'a') return '0x' + hexOf(v).padStart(16, '0');
        if (ext === 'S' || ext === 's') return String(v);
        if (ext === 'x') return hexOf(v).padStart(16, '0');
        return '0x' + hexOf(v).padStart(16, '0');
      default:
        return m;
    }
    const w = Number(width || 0);
    if (s.length < w) s = flags.includes('-') ? s.padEnd(w) : flags.includes('0') && conv !== 's' ? s.padStart(w, '0') : s.padStart(w);
    return s;
  });
}

function devLog(level: 'err' | 'warn' | 'info' | 'debug', fn: string, dev: Device, fmt: string, args: Arg[]): void {
  if (!(dev instanceof Device)) throw new KernelOops(`${fn}(): the first argument must be a struct device (pdev.dev), got ${String(dev)}`);
  K().log(dev, level, kformat(fmt, args).replace(/\n$/, ''));
}

/** `dev_info(dev, fmt, ...)`: an informational line prefixed with the driver and device name. */
export function dev_info(dev: Device, fmt: string, ...args: Arg[]): void {
  devLog('info', 'dev_info', dev, fmt, args);
}
/** `dev_warn(dev, fmt, ...)` */
export function dev_warn(dev: Device, fmt: string, ...args: Arg[]): void {
  devLog('warn', 'dev_warn', dev, fmt, args);
}
/** `dev_err(dev, fmt, ...)` */
export function dev_err(dev: Device, fmt: string, ...args: Arg[]): void {
  devLog('err', 'dev_err', dev, fmt, args);
}
/** `dev_dbg(dev, fmt, ...)`: a debug line (shown with --verbose and in the debug console). */
export function dev_dbg(dev: Device, fmt: string, ...args: Arg[]): void {
  devLog('debug', 'dev_dbg', dev, fmt, args);
}
/** `pr_info(fmt, ...)` */
export function pr_info(fmt: string, ...args: Arg[]): void {
  K().log(undefined, 'info', kformat(fmt, args).replace(/\n$/, ''));
}
/** `pr_warn(fmt, ...)` */
export function pr_warn(fmt: string, ...args: Arg[]): void {
  K().log(undefined, 'warn', kformat(fmt, args).replace(/\n$/, ''));
}
/** `pr_err(fmt, ...)` */
export function pr_err(fmt: string, ...args: Arg[]): void {
  K().log(undefined, 'err', kformat(fmt, args).replace(/\n$/, ''));
}
/** `pr_debug(fmt, ...)` */
export function pr_debug(fmt: string, ...args: Arg[]): void {
  K().log(undefined, 'debug', kformat(fmt, args).replace(/\n$/, ''));
}

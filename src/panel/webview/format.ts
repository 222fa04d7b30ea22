/** How the panel writes sizes, times, addresses and source locations. */
import type { SourceLocation } from '../../../emulator/kernel/findings';

/** 4096 → "4 KiB", 1536 → "1.5 KiB", 100 → "100 B". */
export function formatSize(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${Number.isInteger(v) ? v : v.toFixed(v < 10 ? 2 : 1).replace(/\.?0+$/, '')} ${units[u]}`;
}

/** Virtual time: 0 → "0 ns", 1500 → "1.5 µs", 2.5e6 → "2.5 ms". */
export function formatTime(ns: number): string {
  const abs = Math.abs(ns);
  const fmt = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(Math.abs(v) < 10 ? 3 : Math.abs(v) < 100 ? 2 : 1).replace(/\.?0+$/, ''));
  if (abs < 1e3) return `${fmt(ns)} ns`;
  if (abs < 1e6) return `${fmt(ns / 1e3)} µs`;
  if (abs < 1e9) return `${fmt(ns / 1e6)} ms`;
  return `${fmt(ns / 1e9)} s`;
}

export function baseName(file: string): string {
  const i = Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\'));
  return i >= 0 ? file.slice(i + 1) : file;
}

/** "dad.ts:40". */
export function locationText(l: SourceLocation): string {
  return `${baseName(l.file)}:${l.line}`;
}

/** "0x8ffff8000+4096" → "0x8ffff8000". */
export function physOf(run: string): string {
  const i = run.indexOf('+');
  return i >= 0 ? run.slice(0, i) : run;
}

/** "DMA_FROM_DEVICE" → "FROM_DEVICE". */
export function shortDir(d: string): string {
  return d.replace(/^DMA_/, '');
}

/** 10000 → "10,000" (toLocaleString builds a number formatter per call: slow over thousands of rows). */
export function num(n: number): string {
  const s = String(Math.trunc(Math.abs(n)));
  let out = '';
  for (let i = s.length; i > 0; i -= 3) out = s.slice(Math.max(0, i - 3), i) + (out ? `,${out}` : '');
  return n < 0 ? `-${out}` : out;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${num(n)} ${n === 1 ? one : many}`;
}

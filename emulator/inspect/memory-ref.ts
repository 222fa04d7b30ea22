/**
 * Memory as each agent sees it, for debuggers and panels: `phys:0x…` (RAM as the bus sees it),
 * `iova:<device>:0x…` (what that device reaches through its IOMMU or dma-ranges) and plain `0x…`
 * (a CPU virtual address, read through the CPU cache). Reads have no side effects: no cache line
 * is allocated, no fault is recorded, no checker runs. Unreadable bytes (holes, faults, unmapped
 * addresses) end the data, as DAP's `unreadableBytes` expects.
 */
import type { Kernel } from '../kernel/kernel';
import type { Device } from '../kernel/device';
import { parseRefSyntax } from './memory-ref-syntax';

export type MemoryView = { kind: 'phys'; addr: number } | { kind: 'iova'; dev: Device; addr: number } | { kind: 'cpu'; addr: number; va: bigint };

export class MemoryRefError extends Error {}

const PAGE = 4096;

/** Parse a memory reference, with an offset added (DAP's `offset`). */
export function parseMemoryRef(k: Kernel, ref: string, offset = 0): MemoryView {
  const r = parseRefSyntax(String(ref));
  if (!r) throw new MemoryRefError(`unknown memory reference "${String(ref).trim()}": use phys:0x…, iova:<device>:0x… or 0x… (a CPU virtual address)`);
  if (r.kind === 'phys') return { kind: 'phys', addr: num(r.addr) + offset };
  if (r.kind === 'iova') {
    const dev = k.deviceByName(r.device);
    if (!dev) throw new MemoryRefError(`no device "${r.device}" on this platform (devices: ${k.devices.map((d) => d.nodeName).join(', ')})`);
    return { kind: 'iova', dev, addr: num(r.addr) + offset };
  }
  const va = r.addr + BigInt(offset);
  const addr = k.as.fromVa(va);
  if (addr < 0) throw new MemoryRefError(`0x${r.addr.toString(16)} is not a kernel virtual address on this platform`);
  return { kind: 'cpu', addr, va };
}

function num(v: bigint): number {
  if (v > 0x1f_ffff_ffff_ffffn) throw new MemoryRefError(`address 0x${v.toString(16)} is beyond the emulated 2^53 address space`);
  return Number(v);
}

/** The display address of a view, in its own form. */
export function viewAddress(v: MemoryView): string {
  if (v.kind === 'phys') return `phys:0x${v.addr.toString(16)}`;
  if (v.kind === 'iova') return `iova:${v.dev.nodeName}:0x${v.addr.toString(16)}`;
  return `0x${v.va.toString(16)}`;
}

/** Physical address behind one byte of the view, and whether the CPU cache applies; undefined when unreadable. */
function resolve(k: Kernel, v: MemoryView, at: number): { phys: number; viaCache: boolean } | undefined {
  if (v.kind === 'phys') return k.bus.isRam(at) ? { phys: at, viaCache: false } : undefined;
  if (v.kind === 'iova') {
    const t = k.bus.resolve(v.dev.dma.port, at);
    if (!t || !k.bus.isRam(t.phys)) return undefined;
    return { phys: t.phys, viaCache: v.dev.dma.coherent };
  }
  const t = k.as.translate(at);
  if (!t || !k.bus.isRam(t.phys)) return undefined;
  return { phys: t.phys, viaCache: t.cached };
}

export interface ReadResult {
  address: string;
  data: Uint8Array;
  unreadable: number;
}

export function readMemory(k: Kernel, v: MemoryView, count: number): ReadResult {
  const n = Math.max(0, Math.min(count, 1 << 24));
  const out = new Uint8Array(n);
  const base = v.addr;
  let done = 0;
  while (done < n) {
    const chunk = Math.min(n - done, PAGE - ((base + done) % PAGE));
    const r = resolve(k, v, base + done);
    if (!r) break;
    k.ram.read(r.phys, out, done, chunk);
    if (r.viaCache) {
      // what the CPU (or a snooping device) sees: cached lines win over RAM
      for (const line of k.cache.linesIn(r.phys, chunk)) {
        const l = k.cache.peekLine(line.addr)!;
        const s = Math.max(line.addr, r.phys);
        const e = Math.min(line.addr + k.cache.lineSize, r.phys + chunk);
        out.set(l.data.subarray(s - line.addr, e - line.addr), done + (s - r.phys));
      }
    }
    done += chunk;
  }
  return { address: viewAddress(v), data: out.subarray(0, done), unreadable: n - done };
}

/** Write bytes into the view: RAM directly for phys/iova (a bus master's write), through the cache for the CPU view. Returns bytes written. */
export function writeMemory(k: Kernel, v: MemoryView, data: Uint8Array): number {
  let done = 0;
  while (done < data.length) {
    const chunk = Math.min(data.length - done, PAGE - ((v.addr + done) % PAGE));
    const r = resolve(k, v, v.addr + done);
    if (!r) break;
    if (v.kind === 'cpu' && r.viaCache) k.cache.cpuWrite(r.phys, data, done, chunk);
    else k.ram.write(r.phys, data, done, chunk);
    done += chunk;
  }
  return done;
}

/** The physical runs behind `len` bytes of a view now (for watchpoints); unreadable parts are left out. */
export function physicalRuns(k: Kernel, v: MemoryView, len: number): { phys: number; len: number }[] {
  const runs: { phys: number; len: number }[] = [];
  for (let done = 0; done < len; ) {
    const n = Math.min(len - done, PAGE - ((v.addr + done) % PAGE));
    const r = resolve(k, v, v.addr + done);
    if (r) {
      const last = runs[runs.length - 1];
      if (last && last.phys + last.len === r.phys) last.len += n;
      else runs.push({ phys: r.phys, len: n });
    }
    done += n;
  }
  return runs;
}

/** Size of the allocation a CPU address points into (for a watchpoint on a buffer variable). */
export function allocationSize(k: Kernel, v: MemoryView): number | undefined {
  if (v.kind !== 'cpu') return undefined;
  const t = k.as.translate(v.addr);
  if (!t) return undefined;
  const obj = k.kmalloc.objectAt(t.phys);
  if (obj) return obj.size - (t.phys - obj.phys);
  const area = k.vmalloc.areaAt(v.addr);
  if (area) return area.size - (v.addr - area.kva);
  const block = k.pages.blockAt(t.phys);
  return block ? block.pages * PAGE - (t.phys - block.phys) : undefined;
}

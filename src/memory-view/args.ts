/**
 * What the memory view is opened on, from whatever the caller has: a memory reference string,
 * the Variables view's context-menu argument, a row of the live mappings (the DMA panel's
 * `dmalab/mappings` rows, or a hand-made `{ cpu, phys, device, dma, size }`), or what the user
 * typed into an input box. Pure: no vscode.
 */

import { ADDRESS_PATTERN, addressValue, formatRef, parseRefSyntax } from '../../emulator/inspect/memory-ref-syntax';

export interface OpenTarget {
  /** `0x…` (CPU virtual address), `phys:0x…` or `iova:<device>:0x…`. */
  memoryReference: string;
  /** The device of the device column (node name, short name or label). */
  device?: string;
  /** Bytes to show; the view picks one (the mapping or allocation) when absent. */
  length?: number;
}

export type ParsedArgument = { target: OpenTarget } | { error: string } | { ask: true };

const NUM = ADDRESS_PATTERN;
/** Longest range a view shows. */
export const MAX_LENGTH = 1 << 16;
const MAX_ADDRESS = 0x1f_ffff_ffff_ffffn;
/** CPU virtual addresses are 64-bit. */
const MAX_VA = 0xffff_ffff_ffff_ffffn;

/** Whether `s` is one of the three memory reference forms. */
export function isMemoryReference(s: string): boolean {
  return parseRefSyntax(s) !== undefined;
}

/** A number given as a number, a bigint, "0x…" or decimal text ("0x1000+64" reads 0x1000). */
function toBigInt(v: unknown): bigint | undefined {
  if (typeof v === 'bigint') return v >= 0n ? v : undefined;
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? BigInt(v) : undefined;
  if (typeof v !== 'string') return undefined;
  const m = new RegExp(`^\\s*(${NUM})`, 'i').exec(v.replace(/^phys:/i, ''));
  return m ? addressValue(m[1]) : undefined;
}

const hex = (v: bigint) => `0x${v.toString(16)}`;

function toLength(v: unknown): number | undefined {
  const n = toBigInt(v);
  if (n === undefined || n <= 0n) return undefined;
  return Number(n > BigInt(MAX_LENGTH) ? BigInt(MAX_LENGTH) : n);
}

/** Normalise a reference string (hex addresses, no separators); undefined when it is none of the forms or out of range. */
export function normaliseReference(s: string): string | undefined {
  const r = parseRefSyntax(s);
  if (!r || r.addr > (r.kind === 'cpu' ? MAX_VA : MAX_ADDRESS)) return undefined;
  return formatRef(r);
}

/** The device an `iova:` reference names. */
function refDevice(ref: string): string | undefined {
  const r = parseRefSyntax(ref);
  return r?.kind === 'iova' ? r.device : undefined;
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : typeof v === 'number' || typeof v === 'bigint' ? String(v) : undefined);

/**
 * The argument `dmalab.openMemoryView` was called with:
 * - a memory reference string;
 * - the Variables view's context argument `{ sessionId, container, variable: { name, value, memoryReference } }`;
 * - a mapping row `{ cpu?, phys?, device?, dma?, size? }`, or a `dmalab/mappings` row `{ cpuVa, cpuPhys: ["0x…+len"], device, dma, size }`;
 * - `{ memoryReference, device?, length? }`.
 * Nothing (the command palette, a keybinding) means: ask for an address.
 */
export function parseOpenArgument(arg: unknown): ParsedArgument {
  if (arg === undefined || arg === null || (typeof arg === 'string' && !arg.trim())) return { ask: true };
  if (typeof arg === 'string') {
    const ref = normaliseReference(arg);
    if (!ref) return { error: `"${arg}" is not a memory reference: use 0x… (a CPU virtual address), phys:0x… or iova:<device>:0x…` };
    return { target: { memoryReference: ref, device: refDevice(ref) } };
  }
  if (!isObject(arg)) return { error: `cannot open a memory view on ${typeof arg === 'number' ? String(arg) : typeof arg} (give a memory reference, a variable or a mapping)` };

  // the Variables view's context menu
  if (isObject(arg.variable)) {
    const v = arg.variable;
    const name = str(v.name) ?? 'the variable';
    const ref = str(v.memoryReference);
    if (!ref) return { error: `${name} has no memory reference: only pointers (Ptr) and DMA buffers open in the memory view` };
    const norm = normaliseReference(ref);
    if (!norm) return { error: `${name}: memory reference "${ref}" is not one DMA Lab knows` };
    return { target: { memoryReference: norm, device: refDevice(norm) } };
  }

  // an explicit target
  if (typeof arg.memoryReference === 'string') {
    const norm = normaliseReference(arg.memoryReference);
    if (!norm) return { error: `"${arg.memoryReference}" is not a memory reference: use 0x…, phys:0x… or iova:<device>:0x…` };
    return { target: { memoryReference: norm, device: str(arg.device) ?? refDevice(norm), length: toLength(arg.length) } };
  }

  // a mapping row
  const device = str(arg.device);
  const cpu = toBigInt(arg.cpu ?? arg.cpuVa);
  const physList = Array.isArray(arg.cpuPhys) ? arg.cpuPhys : arg.phys !== undefined ? [arg.phys] : [];
  const phys = physList.length ? toBigInt(physList[0]) : undefined;
  const dma = toBigInt(arg.dma);
  const length = toLength(arg.size ?? arg.length);
  if (cpu === undefined && phys === undefined && dma === undefined) {
    return { error: 'the mapping has no address to show (cpu, phys or dma)' };
  }
  // one piece of CPU memory: follow the driver's buffer (it stays after the unmap); a scatter-gather
  // list is contiguous only on the device side, so follow its DMA addresses
  let memoryReference: string;
  if (cpu !== undefined && physList.length <= 1) memoryReference = hex(cpu);
  else if (dma !== undefined && device) memoryReference = `iova:${device}:${hex(dma)}`;
  else if (phys !== undefined) memoryReference = `phys:${hex(phys)}`;
  else if (cpu !== undefined) memoryReference = hex(cpu);
  else return { error: 'the mapping has a DMA address but no device' };
  return { target: { memoryReference, device, length } };
}

/**
 * An address the user typed: `0x…` (hex) or decimal, with an optional length after it
 * (`0x80000000 4096`, `0x80000000+0x1000`, `0x80000000, 256`). `prefix` is what may precede the
 * address (`phys:`). Returns the hex address or the reason it is refused.
 */
export function parseAddressInput(text: string, prefix?: string): { address: string; length?: number } | { error: string } {
  let t = text.trim();
  if (!t) return { error: 'Type an address, e.g. 0x80000000 (and optionally a length: 0x80000000 4096)' };
  if (prefix && t.toLowerCase().startsWith(prefix.toLowerCase())) t = t.slice(prefix.length).trim();
  const m = new RegExp(`^(${NUM}|[0-9a-f_]+)(?:\\s*(?:[+,]\\s*|\\s+)(${NUM}|[0-9a-f_]+))?$`, 'i').exec(t);
  if (!m) return { error: `"${text.trim()}" is not an address: type hex as 0x… or a decimal number, then optionally a length` };
  for (const part of [m[1], m[2]]) {
    if (part !== undefined && !/^0x/i.test(part) && /[a-f]/i.test(part)) return { error: `"${part}" looks hexadecimal: write it as 0x${part}` };
  }
  const addr = addressValue(m[1]);
  const len = m[2] === undefined ? undefined : addressValue(m[2]);
  if (addr === undefined || (m[2] !== undefined && len === undefined)) return { error: `"${text.trim()}" is not an address: type hex as 0x… or a decimal number, then optionally a length` };
  if (addr > MAX_ADDRESS) return { error: `${hex(addr)} is beyond the emulated address space (2^53)` };
  if (len === undefined) return { address: hex(addr) };
  if (len <= 0n) return { error: 'the length must be at least 1 byte' };
  if (len > BigInt(MAX_LENGTH)) return { error: `at most ${MAX_LENGTH} bytes (64 KiB) in one view` };
  return { address: hex(addr), length: Number(len) };
}

/**
 * The text of a memory reference, the one grammar the debug adapter (memory-ref.ts, which resolves
 * it against a run) and the extension's views (which check and normalise what users give them)
 * share: `phys:<addr>` (RAM as the bus sees it), `iova:<device>:<addr>` (what a device reaches) and
 * a bare `<addr>` (a CPU virtual address). Addresses are `0x…` hex or decimal, `_` allowed between
 * digits. Pure text: no kernel, so the extension can use it without the engine.
 */

export type MemoryRefSyntax = { kind: 'phys'; addr: bigint } | { kind: 'iova'; device: string; addr: bigint } | { kind: 'cpu'; addr: bigint };

/** An address: 0x… hex or decimal, with `_` separators. */
export const ADDRESS_PATTERN = '(?:0x[0-9a-f_]+|[0-9][0-9_]*)';

const PHYS = new RegExp(`^phys:(${ADDRESS_PATTERN})$`, 'i');
const IOVA = new RegExp(`^iova:([^:\\s]+):(${ADDRESS_PATTERN})$`, 'i');
const CPU = new RegExp(`^(${ADDRESS_PATTERN})$`, 'i');

/** The value of an address written as ADDRESS_PATTERN allows, or undefined (e.g. `0x_`). */
export function addressValue(text: string): bigint | undefined {
  try {
    return BigInt(text.replace(/_/g, ''));
  } catch {
    return undefined;
  }
}

/** Parse a memory reference (surrounding blanks ignored); undefined when it is none of the forms. */
export function parseRefSyntax(text: string): MemoryRefSyntax | undefined {
  const s = text.trim();
  let m = PHYS.exec(s);
  if (m) {
    const addr = addressValue(m[1]);
    return addr === undefined ? undefined : { kind: 'phys', addr };
  }
  m = IOVA.exec(s);
  if (m) {
    const addr = addressValue(m[2]);
    return addr === undefined ? undefined : { kind: 'iova', device: m[1], addr };
  }
  m = CPU.exec(s);
  if (m) {
    const addr = addressValue(m[1]);
    return addr === undefined ? undefined : { kind: 'cpu', addr };
  }
  return undefined;
}

/** The normal form: hex addresses, no separators. */
export function formatRef(r: MemoryRefSyntax): string {
  const a = `0x${r.addr.toString(16)}`;
  return r.kind === 'phys' ? `phys:${a}` : r.kind === 'iova' ? `iova:${r.device}:${a}` : a;
}

// The resolved device tree: nodes and properties after includes, merges,
// deletions and phandle fixups, with property values as the bytes dtc would
// put in the blob.

import type { Diagnostic, Range } from './diagnostics';
import { bytesToString } from './literals';

export interface DtReference {
  /** Byte offset of the phandle cell, or of the path string, in `bytes`. */
  offset: number;
  /** The label or path as written (`&foo` gives 'foo', `&{/soc/x}` gives '/soc/x'). */
  target: string;
  /** The referenced node; undefined when it could not be resolved. */
  node?: DtNode;
  /** 'phandle' for a reference inside `< >` (4 bytes), 'path' for one outside (a NUL-terminated path). */
  kind: 'phandle' | 'path';
  range: Range;
}

export interface DtProperty {
  name: string;
  /** Exactly what dtc would emit in the blob: big-endian cells, NUL-terminated strings, phandles filled in. */
  bytes: Uint8Array;
  /** The whole `name = ...;` definition that won (the last one). */
  range: Range;
  /** One per comma-separated value component, same order. */
  valueRanges: Range[];
  /** Phandle and path references and where they sit in `bytes`. */
  refs: DtReference[];
  /** Labels on the property (`lbl: name = ...;`). */
  labels: string[];
  isEmpty(): boolean;
  /** Big-endian 32-bit cell at `index` (default 0). Throws a RangeError if the value is too short. */
  u32(index?: number): number;
  /** All complete 32-bit cells. */
  cells(): number[];
  /** Cells `index` and `index + 1` as one 64-bit number (default index 0). Throws a RangeError if too short. */
  u64(index?: number): bigint;
  /** The NUL-separated strings. */
  strings(): string[];
  /** The first string ('' for an empty value). */
  string(): string;
}

export interface DtNode {
  /** 'dad@10000000'; '' for the root. */
  name: string;
  /** 'dad' */
  baseName: string;
  /** '10000000' */
  unitAddress?: string;
  /** '/soc/dad@10000000', '/' for the root. */
  path: string;
  labels: string[];
  parent?: DtNode;
  /** In source order. */
  children: DtNode[];
  /** In source order. */
  properties: Map<string, DtProperty>;
  phandle?: number;
  /** Every `name { }` / `&label { }` block that contributed. */
  definitions: Range[];
  /** A child by exact name, or by base name (no unit address) when that is unique. */
  child(name: string): DtNode | undefined;
}

export interface DeviceTree {
  root: DtNode;
  memreserve: { address: bigint; size: bigint; range: Range }[];
  /** All diagnostics, from every file, in source order. */
  diagnostics: Diagnostic[];
  /** Node labels. */
  labels: Map<string, DtNode>;
  /** '/soc/dad@10000000'; also accepts an alias from /aliases as the first component ('serial0', 'serial0/child'). */
  byPath(path: string): DtNode | undefined;
  byPhandle(phandle: number): DtNode | undefined;
  /** Every file read (the main file first, then includes in the order first read). */
  files: string[];
  /** The source had `/plugin/;` (an overlay). */
  isPlugin: boolean;
}

const NO_BYTES = new Uint8Array(0);

export class DtPropertyImpl implements DtProperty {
  bytes: Uint8Array = NO_BYTES;
  refs: DtReference[] = [];
  labels: string[] = [];

  constructor(
    readonly name: string,
    public range: Range,
    public valueRanges: Range[],
  ) {}

  private fail(what: string): never {
    const s = this.range.start;
    throw new RangeError(`property '${this.name}' (${this.range.file}:${s.line}:${s.col}) has ${this.bytes.length} bytes: ${what}`);
  }

  isEmpty(): boolean {
    return this.bytes.length === 0;
  }

  u32(index = 0): number {
    const o = index * 4;
    if (!Number.isInteger(index) || index < 0 || o + 4 > this.bytes.length) this.fail(`no 32-bit cell at index ${index}`);
    const b = this.bytes;
    return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
  }

  cells(): number[] {
    const n = this.bytes.length >> 2;
    const out = new Array<number>(n);
    for (let i = 0; i < n; i++) out[i] = this.u32(i);
    return out;
  }

  u64(index = 0): bigint {
    if (!Number.isInteger(index) || index < 0 || (index + 2) * 4 > this.bytes.length) this.fail(`no 64-bit value at cell index ${index}`);
    return (BigInt(this.u32(index)) << 32n) | BigInt(this.u32(index + 1));
  }

  strings(): string[] {
    const b = this.bytes;
    const out: string[] = [];
    let start = 0;
    for (let i = 0; i < b.length; i++) {
      if (b[i] === 0) {
        out.push(bytesToString(b.subarray(start, i)));
        start = i + 1;
      }
    }
    if (start < b.length) out.push(bytesToString(b.subarray(start)));
    return out;
  }

  string(): string {
    return this.strings()[0] ?? '';
  }
}

export class DtNodeImpl implements DtNode {
  readonly baseName: string;
  readonly unitAddress?: string;
  readonly path: string;
  readonly labels: string[] = [];
  readonly children: DtNodeImpl[] = [];
  readonly properties = new Map<string, DtPropertyImpl>();
  phandle?: number;
  readonly definitions: Range[] = [];
  private readonly byName = new Map<string, DtNodeImpl>();

  // Resolver state.
  omitIfNoRef = false;
  referenced = false;
  deleted = false;

  constructor(
    readonly name: string,
    readonly parent?: DtNodeImpl,
  ) {
    const at = name.indexOf('@');
    this.baseName = at < 0 ? name : name.slice(0, at);
    if (at >= 0) this.unitAddress = name.slice(at + 1);
    this.path = parent === undefined ? '/' : parent.parent === undefined ? '/' + name : parent.path + '/' + name;
  }

  child(name: string): DtNodeImpl | undefined {
    const exact = this.byName.get(name);
    if (exact !== undefined) return exact;
    let found: DtNodeImpl | undefined;
    for (const c of this.children) {
      if (c.baseName === name) {
        if (found !== undefined) return undefined;
        found = c;
      }
    }
    return found;
  }

  /** Exact-name lookup only (what dtc uses for merges and paths). */
  childExact(name: string): DtNodeImpl | undefined {
    return this.byName.get(name);
  }

  addChild(name: string): DtNodeImpl {
    const c = new DtNodeImpl(name, this);
    this.children.push(c);
    this.byName.set(name, c);
    return c;
  }

  removeChild(c: DtNodeImpl): void {
    const i = this.children.indexOf(c);
    if (i >= 0) this.children.splice(i, 1);
    if (this.byName.get(c.name) === c) this.byName.delete(c.name);
  }
}

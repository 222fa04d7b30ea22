/**
 * The panel snapshot off the wire: `dmalab/panel` sends its two big lists (mappings, IOMMU entries)
 * as rows of numbers and string indices (PanelWire); the webview turns them back into the objects
 * the sections draw, with addresses written as the other snapshots write them. This runs in the
 * webview: its only runtime import is the engine's dependency-free hex formatting.
 */
import type { IommuEntryRow, IommuTableRow, MappingRow } from '../../emulator/inspect/snapshots';
import type { IommuEntryTuple, MappingTuple, PanelSnapshot, PanelWire } from '../../emulator/inspect/panel-snapshot';
import { hexAddress as hex, hexU64 } from '../../emulator/lib/hex';


/** base + offset as hex; `base` a hex string (kernel addresses pass 2^53). */
function vaWriter(base: string): (off: number) => string {
  const b = BigInt(base);
  // the usual layouts: the base's low 48 bits are zero and offsets fit in them
  if (b % 2n ** 48n === 0n) {
    const head = (b >> 48n).toString(16);
    return (off) => (off < 2 ** 48 ? `0x${head}${hex(off).slice(2).padStart(12, '0')}` : `0x${(b + BigInt(off)).toString(16)}`);
  }
  return (off) => `0x${(b + BigInt(off)).toString(16)}`;
}

/**
 * A mapping row over its wire tuple: addresses are written only when read (the table draws the
 * rows in view, not 10,000), so unpacking a snapshot allocates one small object per row.
 */
class WireMapping implements MappingRow {
  constructor(
    private readonly t: MappingTuple,
    private readonly str: readonly string[],
    private readonly va: (off: number) => string,
  ) {}
  get id(): number {
    return this.t[0];
  }
  get device(): string {
    return this.str[this.t[1]];
  }
  get type(): string {
    return this.str[this.t[2]];
  }
  get dir(): string {
    return this.str[this.t[3]];
  }
  get dma(): string {
    return hex(this.t[4]);
  }
  get size(): number {
    return this.t[5];
  }
  get cpuPhys(): string[] {
    const cpu = this.t[6];
    const out: string[] = [];
    for (let i = 0; i < cpu.length; i += 2) out.push(`${hex(cpu[i])}+${cpu[i + 1]}`);
    return out;
  }
  /** The CPU-side runs as numbers: phys, len, phys, len… (the memory map draws them). */
  get runs(): readonly number[] {
    return this.t[6];
  }
  get cpuVa(): string | undefined {
    return this.t[7] >= 0 ? this.va(this.t[7]) : undefined;
  }
  get owner(): 'cpu' | 'device' {
    return this.t[8] ? 'device' : 'cpu';
  }
  get bounce(): string | undefined {
    return this.t[9] >= 0 ? hex(this.t[9]) : undefined;
  }
  get createdAt(): MappingRow['createdAt'] {
    const [, , , , , , , , , , file, line, column] = this.t;
    return file >= 0 ? { file: this.str[file], line, column } : undefined;
  }
  toJSON(): MappingRow {
    return { id: this.id, device: this.device, type: this.type, dir: this.dir, dma: this.dma, size: this.size, cpuPhys: this.cpuPhys, cpuVa: this.cpuVa, owner: this.owner, bounce: this.bounce, createdAt: this.createdAt };
  }
}

/** An IOMMU entry over its wire tuple, written when read. */
class WireEntry implements IommuEntryRow {
  constructor(private readonly t: IommuEntryTuple) {}
  get iova(): string {
    return hex(this.t[0]);
  }
  get phys(): string {
    return hex(this.t[1]);
  }
  get level(): number {
    return this.t[2];
  }
  get size(): number {
    return 2 ** (12 + 9 * (this.t[2] - 1));
  }
  get read(): boolean {
    return (this.t[3] & 1) !== 0;
  }
  get write(): boolean {
    return (this.t[3] & 2) !== 0;
  }
  get mapping(): number | undefined {
    return this.t[4] >= 0 ? this.t[4] : undefined;
  }
  get pte(): string {
    return hexU64(this.t[5]);
  }
  get fault(): boolean | undefined {
    return this.t[6] ? true : undefined;
  }
  toJSON(): IommuEntryRow {
    return { iova: this.iova, phys: this.phys, size: this.size, read: this.read, write: this.write, mapping: this.mapping, level: this.level, pte: this.pte, fault: this.fault };
  }
}

/** CPU-side runs of a mapping as numbers [phys, len, …]: from the wire when the row came from it, else parsed. */
export function physRunsOf(m: MappingRow): readonly number[] {
  if (m instanceof WireMapping) return m.runs;
  const out: number[] = [];
  for (const r of m.cpuPhys) {
    const i = r.indexOf('+');
    out.push(Number(i >= 0 ? r.slice(0, i) : r), i >= 0 ? Number(r.slice(i + 1)) : 0);
  }
  return out;
}

export function unpackMappings(w: Pick<PanelWire, 'strings' | 'vaBase' | 'mappings'>): MappingRow[] {
  const va = vaWriter(w.vaBase);
  return w.mappings.map((t) => new WireMapping(t, w.strings, va));
}

export function unpackIommu(w: Pick<PanelWire, 'iommu'>): IommuTableRow[] {
  return w.iommu.map((d) => ({ ...d, entries: d.entries.map((t) => new WireEntry(t)) }));
}

/** The snapshot the sections draw. */
export function unpackPanel(w: PanelWire): PanelSnapshot {
  const { wire: _wire, strings: _strings, vaBase: _vaBase, mappings: _m, iommu: _i, ...rest } = w;
  return { ...rest, mappings: unpackMappings(w), iommu: unpackIommu(w) };
}

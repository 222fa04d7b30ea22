/**
 * Semantic checks the platform model does not make. The model (buildPlatform) checks what it
 * reads, for the devices it instantiates (enabled nodes with a device model), and its diagnostics
 * are used as they are; these checks cover every node and what the model does not look at:
 * cell counts of reg, ranges, dma-ranges, interrupts, interrupts-extended, dmas and iommus from
 * the relevant #*-cells, dma-names against dmas, the unit address against reg, the
 * reserved-memory rules Linux enforces, and where and how the `dmalab,` knobs are written.
 * A property the model already reported on is not reported again.
 */
import type { Diagnostic, DtNode, DtProperty, Range, Severity } from '../../../emulator/platform/dts';
import { DEVICE_KNOBS } from '../../../emulator/platform/model';
import type { Analysis } from './analysis';
import { CHOSEN_KNOBS, DEVICE_KNOB_DOCS, ROOT_KNOBS } from './bindings';
import { rangeKey } from './positions';

export const CheckCode = {
  cells: 'cell-count',
  phandleArgs: 'phandle-args',
  dmaNames: 'dma-names',
  unitAddress: 'unit-address',
  reservedMemory: 'reserved-memory',
  knob: 'knob',
  interrupts: 'interrupts',
} as const;

/** One entry of a phandle + arguments list (`dmas`, `iommus`, `interrupts-extended`). */
export interface PhandleEntry {
  /** Cell index of the phandle. */
  cell: number;
  target?: DtNode;
  args: number[];
  range: Range;
}

export interface PhandleList {
  entries: PhandleEntry[];
  /** False when an entry could not be parsed (the later ones are unknown). */
  complete: boolean;
  error?: { range: Range; message: string };
}

/** Reads `prop` as of_parse_phandle_with_args does, with `cellsName` (`#dma-cells`...) of each target. */
export function phandleList(n: DtNode, prop: DtProperty, cellsName: string, byPhandle: (p: number) => DtNode | undefined): PhandleList {
  const entries: PhandleEntry[] = [];
  if (prop.bytes.length % 4 !== 0) return { entries, complete: false, error: { range: prop.range, message: `${prop.name} of ${n.path} must be a list of cells (<&target args...>)` } };
  const cells = prop.cells();
  for (let i = 0; i < cells.length; ) {
    const ref = prop.refs.find((r) => r.kind === 'phandle' && r.offset === i * 4);
    const range = ref?.range ?? prop.range;
    if (cells[i] === 0) {
      entries.push({ cell: i, args: [], range });
      i++;
      continue;
    }
    if (ref !== undefined && ref.node === undefined) return { entries, complete: false }; // an unknown label: reported by the resolver
    const target = ref?.node ?? byPhandle(cells[i]);
    if (target === undefined) {
      return { entries, complete: false, error: { range, message: `${prop.name} of ${n.path}: entry ${entries.length}: cell ${i} (0x${cells[i].toString(16)}) is not a phandle to a node` } };
    }
    const cp = target.properties.get(cellsName);
    if (cp === undefined || cp.bytes.length !== 4) {
      return { entries, complete: false, error: { range, message: `${prop.name} of ${n.path}: entry ${entries.length} points at ${target.path}, which has no ${cellsName}` } };
    }
    const count = cp.u32();
    if (i + 1 + count > cells.length) {
      const found = cells.length - i - 1;
      return {
        entries,
        complete: false,
        error: { range, message: `${prop.name} of ${n.path}: entry ${entries.length} needs ${count} cell${count === 1 ? '' : 's'} after the phandle (${cellsName} of ${target.path}), found ${found}` },
      };
    }
    entries.push({ cell: i, target, args: cells.slice(i + 1, i + 1 + count), range });
    i += 1 + count;
  }
  return { entries, complete: true };
}

export function addressCells(n: DtNode | undefined): number {
  const p = n?.properties.get('#address-cells');
  return p && p.bytes.length === 4 ? p.u32() : 2;
}

export function sizeCells(n: DtNode | undefined): number {
  const p = n?.properties.get('#size-cells');
  return p && p.bytes.length === 4 ? p.u32() : 1;
}

/** Cells [i, i+n) as one unsigned number. */
export function cellsValue(cells: number[], i: number, n: number): bigint {
  let v = 0n;
  for (let k = 0; k < n; k++) v = (v << 32n) | BigInt(cells[i + k] >>> 0);
  return v;
}

/** The interrupt parent Linux's of_irq_find_parent finds: interrupt-parent, else the tree parent, until a node with #interrupt-cells. */
export function interruptParent(n: DtNode, byPhandle: (p: number) => DtNode | undefined): DtNode | undefined {
  let child: DtNode = n;
  for (let depth = 0; depth < 64; depth++) {
    const ip = child.properties.get('interrupt-parent');
    let p: DtNode | undefined;
    if (ip !== undefined) p = ip.refs[0]?.node ?? (ip.bytes.length === 4 ? byPhandle(ip.u32()) : undefined);
    else p = child.parent;
    if (p === undefined || p === child) return undefined;
    if (p.properties.has('#interrupt-cells')) return p;
    child = p;
  }
  return undefined;
}

function okay(n: DtNode): boolean {
  const s = n.properties.get('status');
  if (!s) return true;
  const v = s.string();
  return v === 'okay' || v === 'ok';
}

const hex = (v: bigint | number): string => `0x${v.toString(16)}`;

export function semanticChecks(a: Analysis): Diagnostic[] {
  const out: Diagnostic[] = [];
  const tree = a.tree;
  const byPhandle = (p: number): DtNode | undefined => tree.byPhandle(p);
  const covered = new Set(a.modelDiagnostics.map((d) => rangeKey(d.range)));
  const isCovered = (p: DtProperty): boolean => covered.has(rangeKey(p.range)) || p.refs.some((r) => covered.has(rangeKey(r.range)));
  const report = (range: Range, severity: Severity, message: string, code: string): void => {
    out.push({ file: range.file, range, severity, message, code });
  };
  /** The node's name in the open document when it is declared there, else the start of its first block. */
  const nameRange = (n: DtNode): Range => {
    for (const idx of a.allIndexes) {
      for (const e of idx.entriesOf(n)) if (e.decl.kind === 'node') return e.decl.nameRange;
    }
    const d = n.definitions[0];
    return d ? { file: d.file, start: d.start, end: d.start } : { file: a.file, start: { line: 1, col: 1, offset: 0 }, end: { line: 1, col: 1, offset: 0 } };
  };

  const cellCount = (n: DtNode, prop: DtProperty | undefined, stride: number, parts: string): void => {
    if (prop === undefined || prop.isEmpty() || isCovered(prop)) return;
    if (prop.bytes.length % 4 !== 0) {
      report(prop.range, 'error', `${prop.name} of ${n.path} must be a list of 32-bit cells, found ${prop.bytes.length} bytes`, CheckCode.cells);
      return;
    }
    const cells = prop.bytes.length / 4;
    if (stride === 0) report(prop.range, 'error', `${prop.name} of ${n.path} has ${cells} cells, but ${parts} add up to 0`, CheckCode.cells);
    else if (cells % stride !== 0) report(prop.range, 'error', `${prop.name} of ${n.path} has ${cells} cells, not a multiple of ${parts} = ${stride}`, CheckCode.cells);
  };

  /** In an overlay, a node's #address-cells/#size-cells come from the tree it applies to unless it says. */
  const cellsKnown = (n: DtNode): boolean => !tree.isPlugin || (n.properties.has('#address-cells') && n.properties.has('#size-cells'));

  const walk = (n: DtNode): void => {
    checkNode(n);
    for (const c of n.children) walk(c);
  };

  const checkNode = (n: DtNode): void => {
    const parent = n.parent;
    // reg, ranges, dma-ranges
    if (parent !== undefined && cellsKnown(parent)) {
      const ac = addressCells(parent);
      const sc = sizeCells(parent);
      cellCount(n, n.properties.get('reg'), ac + sc, `#address-cells (${ac}) + #size-cells (${sc}) of ${parent.path}`);
      const cac = addressCells(n);
      const csc = sizeCells(n);
      if (cellsKnown(n)) {
        for (const name of ['ranges', 'dma-ranges']) {
          cellCount(n, n.properties.get(name), cac + ac + csc, `#address-cells of ${n.path} (${cac}) + #address-cells of ${parent.path} (${ac}) + #size-cells (${csc})`);
        }
      }
      checkUnitAddress(n, parent, ac);
    } else if (parent !== undefined) checkUnitAddress(n, parent, 0);
    // interrupts
    const ints = n.properties.get('interrupts');
    if (ints !== undefined && !ints.isEmpty() && !isCovered(ints)) {
      const ic = interruptParent(n, byPhandle);
      if (ic === undefined) report(ints.range, 'warning', `interrupts of ${n.path}: no interrupt parent (no interrupt-parent in the node or its ancestors)`, CheckCode.interrupts);
      else {
        const cp = ic.properties.get('#interrupt-cells');
        const count = cp && cp.bytes.length === 4 ? cp.u32() : 0;
        if (!ic.properties.has('interrupt-controller')) report(ints.range, 'error', `interrupt parent ${ic.path} of ${n.path} is not an interrupt-controller`, CheckCode.interrupts);
        else if (count === 0) report(ints.range, 'error', `interrupt parent ${ic.path} of ${n.path} has no usable #interrupt-cells`, CheckCode.interrupts);
        else cellCount(n, ints, count, `#interrupt-cells of ${ic.path}`);
      }
    }
    // phandle + args lists
    const lists: [string, string][] = [['interrupts-extended', '#interrupt-cells'], ['iommus', '#iommu-cells'], ['dmas', '#dma-cells']];
    let dmas: PhandleList | undefined;
    for (const [name, cellsName] of lists) {
      const p = n.properties.get(name);
      if (p === undefined || p.isEmpty()) continue;
      const list = phandleList(n, p, cellsName, byPhandle);
      if (name === 'dmas') dmas = list;
      if (list.error && !isCovered(p)) report(list.error.range, 'error', list.error.message, CheckCode.phandleArgs);
    }
    // dma-names
    const names = n.properties.get('dma-names');
    if (names !== undefined && !isCovered(names)) {
      const count = names.strings().length;
      if (!n.properties.has('dmas')) report(names.range, 'warning', `dma-names of ${n.path} without a dmas property`, CheckCode.dmaNames);
      else if (dmas?.complete && count !== dmas.entries.length) {
        const e = dmas.entries.length;
        report(names.range, 'error', `dma-names of ${n.path} has ${count} name${count === 1 ? '' : 's'} for ${e} dmas entr${e === 1 ? 'y' : 'ies'}`, CheckCode.dmaNames);
      }
    }
    checkKnobs(n);
  };

  const checkUnitAddress = (n: DtNode, parent: DtNode, ac: number): void => {
    const reg = n.properties.get('reg');
    const ranges = n.properties.get('ranges');
    const hasReg = reg !== undefined && !reg.isEmpty();
    const unit = n.unitAddress;
    if (a.tree.isPlugin && parent.parent === undefined && /^fragment@\d+$/.test(n.name)) return; // made by dtc for an overlay's &label { }
    if (unit === undefined) {
      if (hasReg) report(nameRange(n), 'warning', `node ${n.path} has a reg property, but no unit address (name it ${n.name}@<address>)`, CheckCode.unitAddress);
      return;
    }
    if (!hasReg && (ranges === undefined || ranges.isEmpty())) {
      report(nameRange(n), 'warning', `node ${n.path} has a unit address, but no reg or ranges property`, CheckCode.unitAddress);
      return;
    }
    if (/^0x/i.test(unit)) {
      report(nameRange(n), 'warning', `unit address of ${n.path} should not have a leading "0x"`, CheckCode.unitAddress);
      return;
    }
    if (/^0[0-9a-fA-F]/.test(unit)) report(nameRange(n), 'warning', `unit address of ${n.path} should not have leading zeros`, CheckCode.unitAddress);
    if (!hasReg || ac === 0 || !/^[0-9a-fA-F]+$/.test(unit)) return;
    const cells = reg.cells();
    if (reg.bytes.length % 4 !== 0 || cells.length < ac) return;
    const addr = cellsValue(cells, 0, ac);
    if (BigInt(`0x${unit}`) !== addr) {
      report(nameRange(n), 'warning', `unit address ${unit} of ${n.path} does not match its first reg address ${hex(addr)} (name it ${n.baseName}@${addr.toString(16)})`, CheckCode.unitAddress);
    }
  };

  const checkKnobs = (n: DtNode): void => {
    const isRoot = n.parent === undefined;
    const isChosen = n.path === '/chosen';
    const compat = n.properties.get('compatible')?.strings() ?? [];
    for (const [name, prop] of n.properties) {
      if (!name.startsWith('dmalab,') || isCovered(prop)) continue;
      if (ROOT_KNOBS[name]) {
        if (!isRoot) report(prop.range, 'warning', `${name} is read from the root node only: it has no effect in ${n.path}`, CheckCode.knob);
        else if (name === 'dmalab,bus-bandwidth' && prop.bytes.length === 4 && prop.u32() === 0) report(prop.range, 'error', 'dmalab,bus-bandwidth must be at least 1 (MB/s)', CheckCode.knob);
        continue;
      }
      if (CHOSEN_KNOBS[name]) {
        if (!isChosen) report(prop.range, 'warning', `${name} is read from /chosen only: it has no effect in ${n.path}`, CheckCode.knob);
        continue;
      }
      const spec = DEVICE_KNOBS[name];
      if (spec === undefined) {
        const known = [...Object.keys(ROOT_KNOBS), ...Object.keys(CHOSEN_KNOBS), ...Object.keys(DEVICE_KNOBS)];
        report(prop.range, 'warning', `unknown knob ${name} on ${n.path} (knobs: ${known.join(', ')})`, CheckCode.knob);
        continue;
      }
      if (isRoot || isChosen) {
        report(prop.range, 'warning', `${name} is a device knob: it has no effect in ${n.path}`, CheckCode.knob);
        continue;
      }
      if (prop.bytes.length !== 4) {
        report(prop.range, 'error', `${name} of ${n.path} must be one 32-bit cell (${spec.doc}), found ${prop.bytes.length} bytes`, CheckCode.knob);
        continue;
      }
      const v = prop.u32();
      if (v < spec.min || v > spec.max) {
        report(prop.range, 'error', `${name} of ${n.path} must be between ${spec.min} and ${spec.max} (${spec.doc}), found ${v}`, CheckCode.knob);
        continue;
      }
      if (compat.length === 0) {
        report(prop.range, 'warning', `${name} has no effect on ${n.path}: the node is not a device (no compatible)`, CheckCode.knob);
        continue;
      }
      const only = DEVICE_KNOB_DOCS[name]?.only;
      if (only && !compat.some((c) => only.includes(c))) report(prop.range, 'warning', `${name} is read by ${only.join(', ')} only: it has no effect on ${n.path}`, CheckCode.knob);
    }
  };

  const checkReservedMemory = (): void => {
    const root = tree.root;
    const rm = root.children.find((c) => c.name === 'reserved-memory');
    if (rm === undefined) return;
    if (!rm.properties.has('ranges')) report(nameRange(rm), 'error', '/reserved-memory needs a "ranges" property ("ranges;" for 1:1): Linux ignores the node without one', CheckCode.reservedMemory);
    const rootAc = addressCells(root);
    const rootSc = sizeCells(root);
    if (addressCells(rm) !== rootAc || sizeCells(rm) !== rootSc) {
      report(nameRange(rm), 'error', `/reserved-memory must have the root's #address-cells (${rootAc}) and #size-cells (${rootSc}), found ${addressCells(rm)} and ${sizeCells(rm)}`, CheckCode.reservedMemory);
    }
    const arch = root.properties.get('dmalab,arch')?.string() ?? 'arm64';
    for (const c of rm.children) {
      if (!okay(c)) continue;
      const compat = c.properties.get('compatible')?.strings() ?? [];
      const has = (p: string): boolean => c.properties.has(p);
      const where = (p: string): Range => c.properties.get(p)?.range ?? nameRange(c);
      if (compat.includes('restricted-dma-pool')) {
        for (const p of ['no-map', 'linux,cma-default', 'linux,dma-default']) {
          if (has(p)) report(where(p), 'error', `restricted-dma-pool ${c.name} must not have "${p}" (Linux refuses the pool)`, CheckCode.reservedMemory);
        }
        const r = a.platform?.reserved.find((x) => x.node === c);
        if (r && r.size < 128 * 2048) report(nameRange(c), 'warning', `restricted-dma-pool ${c.name} has ${r.size} bytes, less than one swiotlb segment (128 slots of 2 KiB = 256 KiB): larger mappings cannot bounce`, CheckCode.reservedMemory);
      } else if (compat.includes('shared-dma-pool')) {
        if (!has('reusable') && !has('no-map') && arch === 'arm') {
          report(nameRange(c), 'error', `shared-dma-pool ${c.name} on 32-bit Arm needs "no-map" (or "reusable" for CMA): Linux does not support coherent pools in the linear map there`, CheckCode.reservedMemory);
        }
        if (has('linux,cma-default') && !has('reusable')) report(where('linux,cma-default'), 'warning', `"linux,cma-default" on ${c.name} needs "reusable" (a CMA area)`, CheckCode.reservedMemory);
        if (has('linux,dma-default') && has('reusable')) report(where('linux,dma-default'), 'warning', `"linux,dma-default" on ${c.name} is for a non-reusable coherent pool`, CheckCode.reservedMemory);
      }
    }
    const regions = [...(a.platform?.reserved ?? [])].sort((x, y) => x.base - y.base);
    for (let i = 1; i < regions.length; i++) {
      const p = regions[i - 1];
      const r = regions[i];
      if (r.base < p.base + p.size) {
        report(nameRange(r.node), 'error', `reserved-memory ${r.name} [${hex(r.base)}, +${hex(r.size)}) overlaps ${p.name} [${hex(p.base)}, +${hex(p.size)})`, CheckCode.reservedMemory);
      }
    }
  };

  walk(tree.root);
  checkReservedMemory();
  return out;
}

/**
 * The platform model: what the emulator needs to know about a machine, resolved from a devicetree.
 * Memory banks, reserved memory, cache geometry, IOMMUs, interrupt routing and, for each device,
 * its MMIO windows (through every `ranges`), its DMA view (through every `dma-ranges`, or an
 * IOMMU), coherency and knobs. Problems are diagnostics with positions; the model is built from
 * whatever is usable.
 */
import type { DeviceTree, Diagnostic, DtNode, DtProperty, Range } from './dts';
import type { DmaRange } from '../hw/bus';
import type { IommuKind } from '../hw/iommu';
import type { Trigger } from '../hw/interrupt-controller';

export type Arch = 'x86_64' | 'arm64' | 'arm';

export interface MemoryBank {
  base: number;
  size: number;
}

export interface ReservedRegion {
  name: string;
  base: number;
  size: number;
  kind: 'shared-dma-pool' | 'restricted-dma-pool' | 'reserved';
  noMap: boolean;
  reusable: boolean;
  node: DtNode;
}

export interface IommuDesc {
  name: string;
  kind: IommuKind;
  /** Name the kernel logs it under, e.g. "dmar0" or "9050000.iommu". */
  logName: string;
  node: DtNode;
}

export interface DeviceIrq {
  line: number;
  trigger: Trigger;
}

export interface DeviceDesc {
  node: DtNode;
  /** Node name with unit address: "dad@10000000". */
  name: string;
  /** Linux's platform device name: "10000000.dad". */
  busId: string;
  compatible: string[];
  reg: MemoryBank[];
  irqs: DeviceIrq[];
  coherent: boolean;
  /** bus→cpu windows from dma-ranges; empty means identity. */
  dmaRanges: DmaRange[];
  /** Highest bus address the interconnect lets the device reach, +1 (Infinity: no limit). */
  busDmaLimit: number;
  iommu?: { desc: IommuDesc; streamId: number };
  memoryRegion?: ReservedRegion;
  restrictedPool?: ReservedRegion;
  /** A `dmalab,` knob as a u32, or the default. */
  knob(name: string, dflt: number): number;
  /** `dmas` specifiers in order (Linux's of_dma request path reads these); [] when absent. */
  dmas: DmaSpec[];
  /** `dma-names`, in order; [] when absent. */
  dmaNames: string[];
}

/** One `dmas` entry: a phandle to a DMA controller and its `#dma-cells` arguments. */
export interface DmaSpec {
  /** Position in `dmas` (what `dma-names` index i names). */
  index: number;
  /** The controller node; undefined for an empty (phandle 0) or unparsable entry. */
  controller?: DtNode;
  /** The specifier cells after the phandle. */
  args: number[];
  /** Where the entry is written (its phandle reference). */
  range: Range;
}

export interface Platform {
  name: string;
  file: string;
  model: string;
  arch: Arch;
  memory: MemoryBank[];
  reserved: ReservedRegion[];
  cacheLineSize: number;
  cacheSize: number;
  iommus: IommuDesc[];
  devices: DeviceDesc[];
  /** Exclusive physical limit of ZONE_DMA (0: no ZONE_DMA). */
  zoneDmaLimit: number;
  swiotlbSize: number;
  busBandwidthMBps: number;
  diagnostics: Diagnostic[];
  tree: DeviceTree;
}

/** The `dmalab,` knobs a device node may carry: one 32-bit cell each, within a range. */
export const DEVICE_KNOBS: Record<string, { min: number; max: number; doc: string }> = {
  'dmalab,dma-bits': { min: 1, max: 64, doc: 'address bits the device drives on the bus' },
  'dmalab,bandwidth': { min: 1, max: 1_000_000, doc: 'DMA bandwidth of the device, MB/s' },
  'dmalab,baud': { min: 300, max: 100_000_000, doc: 'serial line rate of a dmalab,uart, bits/s' },
  'dmalab,rx-bytes': { min: 0, max: 1 << 24, doc: 'bytes the far end of a dmalab,uart line sends once the receiver is ready' },
  'dmalab,rx-packets': { min: 0, max: 100_000_000, doc: 'frames the far end of a dmalab,nic link sends once the receiver is enabled' },
  'dmalab,rx-packet-size': { min: 1, max: 16384, doc: 'bytes per frame of the dmalab,rx-packets traffic' },
  'dmalab,rx-interval-ns': { min: 1, max: 1_000_000_000, doc: 'ns between the starts of two dmalab,rx-packets frames (at least their wire time at 10 Gb/s)' },
};

/** Compatibles that describe infrastructure rather than a device model. */
const INFRASTRUCTURE = new Set(['simple-bus', 'simple-mfd', 'fixed-clock', 'fixed-factor-clock']);
const IOMMU_KINDS: Record<string, IommuKind> = { 'intel,vtd': 'vtd', 'arm,smmu-v3': 'smmuv3' };
const IRQ_CONTROLLERS = new Set(['arm,gic-v3', 'arm,gic-400', 'arm,cortex-a15-gic', 'intel,ioapic']);

export interface BuildOptions {
  /** Compatibles that have a device model (the device registry's keys). */
  deviceModels: ReadonlySet<string>;
}

export function buildPlatform(tree: DeviceTree, file: string, name: string, opts: BuildOptions): Platform {
  const diags: Diagnostic[] = [];
  const root = tree.root;
  const error = (range: Range | undefined, message: string, severity: 'error' | 'warning' = 'error'): void => {
    const r = range ?? root.definitions[0] ?? { file, start: { line: 1, col: 1, offset: 0 }, end: { line: 1, col: 1, offset: 0 } };
    diags.push({ file: r.file, range: r, severity, message });
  };
  const nodeRange = (n: DtNode): Range | undefined => n.definitions[0];

  const archProp = root.properties.get('dmalab,arch');
  const archStr = archProp ? archProp.string() : 'arm64';
  let arch: Arch = 'arm64';
  if (archStr === 'x86_64' || archStr === 'arm64' || archStr === 'arm') arch = archStr;
  else error(archProp?.range, `dmalab,arch must be "x86_64", "arm64" or "arm", found "${archStr}"`);

  const modelProp = root.properties.get('model');
  const model = modelProp ? modelProp.string() : name;

  // memory banks
  const memory: MemoryBank[] = [];
  const walk = (n: DtNode, fn: (n: DtNode) => void): void => {
    fn(n);
    for (const c of n.children) walk(c, fn);
  };
  walk(root, (n) => {
    const dt = n.properties.get('device_type');
    if (n.parent && dt && dt.string() === 'memory' && okay(n)) {
      for (const r of regOf(n, error)) if (r.size > 0) memory.push(r);
    }
  });
  memory.sort((a, b) => a.base - b.base);
  if (memory.length === 0) error(nodeRange(root), 'the platform has no memory node (a node with device_type = "memory" and a reg)');
  for (let i = 1; i < memory.length; i++) {
    if (memory[i].base < memory[i - 1].base + memory[i - 1].size) error(nodeRange(root), `memory banks overlap at 0x${memory[i].base.toString(16)}`);
  }

  // reserved memory
  const reserved: ReservedRegion[] = [];
  const rm = root.child('reserved-memory');
  if (rm) {
    for (const c of rm.children) {
      if (!okay(c)) continue;
      const compat = stringsOf(c, 'compatible');
      const kind = compat.includes('restricted-dma-pool') ? 'restricted-dma-pool' : compat.includes('shared-dma-pool') ? 'shared-dma-pool' : 'reserved';
      const regs = regOf(c, error);
      const noMap = c.properties.has('no-map');
      const reusable = c.properties.has('reusable');
      if (noMap && reusable) error(nodeRange(c), `reserved-memory node ${c.name}: "no-map" and "reusable" cannot both be set`);
      if (kind === 'restricted-dma-pool' && reusable) error(nodeRange(c), `restricted-dma-pool ${c.name} must not be "reusable"`);
      if (regs.length === 0) {
        error(nodeRange(c), `reserved-memory node ${c.name} has no reg (dynamic "size"/"alloc-ranges" placement is not supported)`);
        continue;
      }
      const r = regs[0];
      if (!memory.some((m) => r.base >= m.base && r.base + r.size <= m.base + m.size)) {
        error(nodeRange(c), `reserved-memory node ${c.name} [0x${r.base.toString(16)}, +0x${r.size.toString(16)}) is not inside a memory bank`);
        continue;
      }
      reserved.push({ name: c.name, base: r.base, size: r.size, kind, noMap, reusable, node: c });
    }
  }

  // cache geometry from the first cpu node, then knobs
  let cacheLineSize = 64;
  let cacheSize = 1 << 20;
  const cpus = root.child('cpus');
  const cpu0 = cpus?.children.find((c) => c.baseName === 'cpu');
  if (cpu0) {
    cacheLineSize = u32Prop(cpu0, 'd-cache-line-size', cacheLineSize, error);
    cacheSize = u32Prop(cpu0, 'd-cache-size', cacheSize, error);
  }
  if (cacheLineSize & (cacheLineSize - 1) || cacheLineSize < 16 || cacheLineSize > 512) {
    error(cpu0?.properties.get('d-cache-line-size')?.range, `d-cache-line-size must be a power of two between 16 and 512, found ${cacheLineSize}`);
    cacheLineSize = 64;
  }
  if (cacheSize < cacheLineSize * 8) {
    error(cpu0?.properties.get('d-cache-size')?.range, `d-cache-size ${cacheSize} is smaller than 8 lines`);
    cacheSize = 1 << 20;
  }

  const zoneProp = root.properties.get('dmalab,zone-dma-limit');
  const zoneDmaLimit = zoneProp ? cellsNumber(zoneProp, error) : arch === 'x86_64' ? 1 << 24 : 0;
  const chosen = root.child('chosen');
  const swiotlbSize = chosen ? u32Prop(chosen, 'dmalab,swiotlb-size', 64 << 20, error) : 64 << 20;
  if (swiotlbSize % (2048 * 128) !== 0) error(chosen?.properties.get('dmalab,swiotlb-size')?.range, `dmalab,swiotlb-size must be a multiple of 256 KiB (128 slots of 2 KiB)`);
  const busBandwidthMBps = u32Prop(root, 'dmalab,bus-bandwidth', 16000, error);

  // IOMMUs
  const iommus: IommuDesc[] = [];
  const iommuByNode = new Map<DtNode, IommuDesc>();
  walk(root, (n) => {
    if (!okay(n)) return;
    const kind = stringsOf(n, 'compatible').map((c) => IOMMU_KINDS[c]).find(Boolean);
    if (!kind) return;
    const regs = regOf(n, error);
    const idx = iommus.length;
    const logName = kind === 'vtd' ? `dmar${idx}` : `${(regs[0]?.base ?? 0).toString(16)}.${n.baseName}`;
    const d: IommuDesc = { name: n.name, kind, logName, node: n };
    iommus.push(d);
    iommuByNode.set(n, d);
  });

  // devices: nodes with a compatible that is not infrastructure
  const devices: DeviceDesc[] = [];
  walk(root, (n) => {
    if (!n.parent || !okay(n)) return;
    if (n.parent === rm || n.parent === cpus || n === cpus || n.parent.baseName === 'cpus') return;
    const compatible = stringsOf(n, 'compatible');
    if (compatible.length === 0) return;
    if (compatible.some((c) => INFRASTRUCTURE.has(c) || IRQ_CONTROLLERS.has(c) || IOMMU_KINDS[c])) return;
    if (!compatible.some((c) => opts.deviceModels.has(c))) {
      error(n.properties.get('compatible')?.range ?? nodeRange(n), `no device model implements compatible ${compatible.map((c) => `"${c}"`).join(', ')} (node ${n.path}); known models: ${[...opts.deviceModels].join(', ')}`);
      return;
    }
    devices.push(deviceOf(n));
  });

  function deviceOf(n: DtNode): DeviceDesc {
    const reg = regOf(n, error);
    const busId = reg.length ? `${reg[0].base.toString(16)}.${n.baseName}` : n.baseName;
    const { ranges: dmaRanges, limit: busDmaLimit } = dmaRangesOf(n, error);
    let coherent = arch === 'x86_64';
    for (let a: DtNode | undefined = n; a; a = a.parent) {
      if (a.properties.has('dma-coherent')) {
        coherent = true;
        break;
      }
      if (a.properties.has('dma-noncoherent')) {
        coherent = false;
        break;
      }
    }
    let iommu: DeviceDesc['iommu'];
    const ip = n.properties.get('iommus');
    if (ip) {
      const ref = ip.refs[0];
      const target = ref?.node;
      const desc = target ? iommuByNode.get(target) : undefined;
      if (!target || !desc) error(ip.range, `iommus of ${n.path} does not point at an IOMMU node (compatible "intel,vtd" or "arm,smmu-v3")`);
      else {
        const cellsN = u32Prop(target, '#iommu-cells', 1, error);
        const cells = ip.cells();
        if (cells.length !== 1 + cellsN) error(ip.range, `iommus of ${n.path} has ${cells.length - 1} specifier cells; ${target.path} has #iommu-cells = <${cellsN}>`);
        iommu = { desc, streamId: cells[1] ?? 0 };
      }
    }
    const irqs = irqsOf(n, tree, error);
    let memoryRegion: ReservedRegion | undefined;
    let restrictedPool: ReservedRegion | undefined;
    const mr = n.properties.get('memory-region');
    if (mr) {
      for (const ref of mr.refs) {
        const r = reserved.find((x) => x.node === ref.node);
        if (!r) error(ref.range, `memory-region of ${n.path} does not point at a usable reserved-memory node`);
        else if (r.kind === 'restricted-dma-pool') restrictedPool = r;
        else if (r.kind === 'shared-dma-pool') memoryRegion = r;
        else error(ref.range, `memory-region ${r.name} of ${n.path} is neither a shared-dma-pool nor a restricted-dma-pool`);
      }
    }
    const knobs = new Map<string, number>();
    for (const [name, prop] of n.properties) {
      if (!name.startsWith('dmalab,')) continue;
      const spec = DEVICE_KNOBS[name];
      if (!spec) {
        error(prop.range, `unknown knob ${name} on ${n.path} (device knobs: ${Object.keys(DEVICE_KNOBS).join(', ')})`, 'warning');
        continue;
      }
      if (prop.bytes.length !== 4) {
        error(prop.range, `${name} of ${n.path} must be one 32-bit cell (${spec.doc}), found ${prop.bytes.length} bytes`);
        continue;
      }
      const v = prop.u32();
      if (v < spec.min || v > spec.max) error(prop.range, `${name} of ${n.path} must be between ${spec.min} and ${spec.max} (${spec.doc}), found ${v}`);
      else knobs.set(name, v);
    }
    return {
      node: n,
      name: n.name,
      busId,
      compatible: stringsOf(n, 'compatible'),
      reg,
      irqs,
      coherent,
      dmaRanges,
      busDmaLimit,
      iommu,
      memoryRegion,
      restrictedPool,
      knob: (k, d) => knobs.get(k) ?? d,
      ...dmasOf(n, tree, error),
    };
  }

  return { name, file, model, arch, memory, reserved, cacheLineSize, cacheSize, iommus, devices, zoneDmaLimit, swiotlbSize, busBandwidthMBps, diagnostics: [...tree.diagnostics, ...diags], tree };
}

type ErrorFn = (range: Range | undefined, message: string, severity?: 'error' | 'warning') => void;

function okay(n: DtNode): boolean {
  const s = n.properties.get('status');
  if (!s) return true;
  const v = s.string();
  return v === 'okay' || v === 'ok';
}

function stringsOf(n: DtNode, prop: string): string[] {
  const p = n.properties.get(prop);
  return p ? p.strings() : [];
}

function u32Prop(n: DtNode, prop: string, dflt: number, error: ErrorFn): number {
  const p = n.properties.get(prop);
  if (!p) return dflt;
  if (p.bytes.length !== 4) {
    error(p.range, `${prop} of ${n.path} must be one 32-bit cell, found ${p.bytes.length} bytes`);
    return dflt;
  }
  return p.u32(0);
}

function cellsNumber(p: DtProperty, error: ErrorFn): number {
  const c = p.cells();
  if (c.length === 0 || c.length > 2) {
    error(p.range, `${p.name} must be one or two cells`);
    return 0;
  }
  return combine(c, 0, c.length);
}

/** Cells [i, i+n) as one number (n ≤ 2 gives exact values; more cells must have zero high parts). */
function combine(cells: number[], i: number, n: number): number {
  let v = 0;
  for (let k = 0; k < n; k++) v = v * 0x1_0000_0000 + (cells[i + k] >>> 0);
  return v;
}

function addressCells(n: DtNode | undefined): number {
  const p = n?.properties.get('#address-cells');
  return p && p.bytes.length === 4 ? p.u32() : 2;
}

function sizeCells(n: DtNode | undefined): number {
  const p = n?.properties.get('#size-cells');
  return p && p.bytes.length === 4 ? p.u32() : 1;
}

/** `reg` of a node translated to CPU physical addresses through every parent's `ranges`. */
export function regOf(n: DtNode, error: ErrorFn): MemoryBank[] {
  const p = n.properties.get('reg');
  if (!p) return [];
  const ac = addressCells(n.parent);
  const sc = sizeCells(n.parent);
  const cells = p.cells();
  const stride = ac + sc;
  if (stride === 0 || cells.length % stride !== 0) {
    error(p.range, `reg of ${n.path} has ${cells.length} cells, not a multiple of #address-cells (${ac}) + #size-cells (${sc})`);
    return [];
  }
  const out: MemoryBank[] = [];
  for (let i = 0; i < cells.length; i += stride) {
    const child = combine(cells, i, ac);
    const size = combine(cells, i + ac, sc);
    const cpu = translateUp(n.parent, child, error, p.range);
    if (cpu !== undefined) out.push({ base: cpu, size });
  }
  return out;
}

/** Translate an address in `bus`'s child address space up to the root through `ranges`. */
function translateUp(bus: DtNode | undefined, addr: number, error: ErrorFn, at: Range): number | undefined {
  for (let b = bus; b && b.parent; b = b.parent) {
    const rp = b.properties.get('ranges');
    if (!rp) {
      error(at, `address 0x${addr.toString(16)} cannot be translated: ${b.path} has no "ranges" property (use "ranges;" for 1:1)`);
      return undefined;
    }
    if (rp.isEmpty()) continue;
    const cac = addressCells(b);
    const pac = addressCells(b.parent);
    const sc = sizeCells(b);
    const cells = rp.cells();
    const stride = cac + pac + sc;
    if (cells.length % stride !== 0) {
      error(rp.range, `ranges of ${b.path} has ${cells.length} cells, not a multiple of ${cac} + ${pac} + ${sc}`);
      return undefined;
    }
    let found = false;
    for (let i = 0; i < cells.length; i += stride) {
      const c = combine(cells, i, cac);
      const par = combine(cells, i + cac, pac);
      const sz = combine(cells, i + cac + pac, sc);
      if (addr >= c && addr < c + sz) {
        addr = addr - c + par;
        found = true;
        break;
      }
    }
    if (!found) {
      error(at, `address 0x${addr.toString(16)} is outside every "ranges" window of ${b.path}`);
      return undefined;
    }
  }
  return addr;
}

/** A device's bus→CPU windows, composed from every ancestor's dma-ranges. */
function dmaRangesOf(n: DtNode, error: ErrorFn): { ranges: DmaRange[]; limit: number } {
  const FULL = 2 ** 52;
  let windows: DmaRange[] = [{ bus: 0, cpu: 0, size: FULL }];
  let identity = true;
  for (let b = n.parent; b && b.parent; b = b.parent) {
    const dp = b.properties.get('dma-ranges');
    if (!dp || dp.isEmpty()) continue;
    const cac = addressCells(b);
    const pac = addressCells(b.parent);
    const sc = sizeCells(b);
    const cells = dp.cells();
    const stride = cac + pac + sc;
    if (cells.length % stride !== 0) {
      error(dp.range, `dma-ranges of ${b.path} has ${cells.length} cells, not a multiple of ${cac} + ${pac} + ${sc}`);
      continue;
    }
    const next: DmaRange[] = [];
    for (let i = 0; i < cells.length; i += stride) {
      const child = combine(cells, i, cac);
      const parent = combine(cells, i + cac, pac);
      const size = combine(cells, i + cac + pac, sc);
      for (const w of windows) {
        // w maps device-bus [w.bus, +size) to this level's child space [w.cpu, +size)
        const s = Math.max(w.cpu, child);
        const e = Math.min(w.cpu + w.size, child + size);
        if (e > s) next.push({ bus: w.bus + (s - w.cpu), cpu: s - child + parent, size: e - s });
      }
    }
    windows = next;
    identity = false;
  }
  if (identity) return { ranges: [], limit: Infinity };
  const limit = windows.reduce((m, w) => Math.max(m, w.bus + w.size), 0);
  return { ranges: windows, limit };
}

/**
 * `dmas` / `dma-names` as of_parse_phandle_with_args(np, "dmas", "#dma-cells", i) reads them:
 * each entry is a phandle and as many cells as the target's `#dma-cells`; a phandle of 0 is an
 * empty entry. Broken entries are errors at their position; later entries cannot be parsed.
 */
function dmasOf(n: DtNode, tree: DeviceTree, error: ErrorFn): { dmas: DmaSpec[]; dmaNames: string[] } {
  const p = n.properties.get('dmas');
  const np = n.properties.get('dma-names');
  const dmaNames = np ? np.strings() : [];
  const dmas: DmaSpec[] = [];
  if (!p) {
    if (np) error(np.range, `dma-names of ${n.path} without a dmas property`, 'warning');
    return { dmas, dmaNames };
  }
  const cells = p.cells();
  if (p.bytes.length % 4 !== 0) error(p.range, `dmas of ${n.path} must be a list of cells (<&controller args...>)`);
  let parsed = true;
  for (let i = 0; i < cells.length; ) {
    const ref = p.refs.find((r) => r.kind === 'phandle' && r.offset === i * 4);
    const range = ref?.range ?? p.range;
    const index = dmas.length;
    if (cells[i] === 0) {
      dmas.push({ index, args: [], range });
      i++;
      continue;
    }
    const target = ref?.node ?? tree.byPhandle(cells[i]);
    if (!target) {
      error(range, `dmas of ${n.path}: entry ${index}: cell ${i} (0x${cells[i].toString(16)}) is not a phandle to a node`);
      parsed = false;
      break;
    }
    const dc = target.properties.get('#dma-cells');
    if (!dc || dc.bytes.length !== 4) {
      error(range, `dmas of ${n.path}: entry ${index} points at ${target.path}, which has no #dma-cells (not a DMA controller)`);
      parsed = false;
      break;
    }
    const count = dc.u32();
    if (i + 1 + count > cells.length) {
      error(range, `dmas of ${n.path}: entry ${index} needs ${count} cells after the phandle (#dma-cells of ${target.path}), found ${cells.length - i - 1}`);
      parsed = false;
      break;
    }
    dmas.push({ index, controller: target, args: cells.slice(i + 1, i + 1 + count), range });
    i += 1 + count;
  }
  if (!np) error(p.range, `dmas of ${n.path} without dma-names: dma_request_chan() finds channels by name`, 'warning');
  else if (parsed && dmaNames.length !== dmas.length) error(np.range, `dma-names of ${n.path} has ${dmaNames.length} name${dmaNames.length === 1 ? '' : 's'} for ${dmas.length} dmas entr${dmas.length === 1 ? 'y' : 'ies'}`);
  return { dmas, dmaNames };
}

function irqsOf(n: DtNode, tree: DeviceTree, error: ErrorFn): DeviceIrq[] {
  const p = n.properties.get('interrupts');
  if (!p) return [];
  let parent: DtNode | undefined;
  for (let a: DtNode | undefined = n; a && !parent; a = a.parent) {
    const ip = a.properties.get('interrupt-parent');
    if (ip) parent = ip.refs[0]?.node ?? tree.byPhandle(ip.u32());
  }
  if (!parent) {
    error(p.range, `interrupts of ${n.path}: no interrupt-parent in the node or its ancestors`);
    return [];
  }
  const icp = parent.properties.get('#interrupt-cells');
  const ic = icp && icp.bytes.length === 4 ? icp.u32() : 0;
  if (!parent.properties.has('interrupt-controller') || ic === 0) {
    error(p.range, `interrupt-parent ${parent.path} of ${n.path} is not an interrupt controller with #interrupt-cells`);
    return [];
  }
  const cells = p.cells();
  if (cells.length % ic !== 0) {
    error(p.range, `interrupts of ${n.path} has ${cells.length} cells; ${parent.path} has #interrupt-cells = <${ic}>`);
    return [];
  }
  const gic = stringsOf(parent, 'compatible').some((c) => c.includes('gic'));
  const out: DeviceIrq[] = [];
  for (let i = 0; i < cells.length; i += ic) {
    let line: number;
    let flags: number;
    if (gic && ic >= 3) {
      line = cells[i + 1] + (cells[i] === 1 ? 16 : 32); // PPI : SPI
      flags = cells[i + 2];
    } else {
      line = cells[i];
      flags = ic >= 2 ? cells[i + 1] : 4;
    }
    out.push({ line, trigger: flags & 0x3 ? 'edge' : 'level' });
  }
  return out;
}

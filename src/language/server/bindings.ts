/**
 * What the language server knows about devicetree bindings as DMA Lab reads them: the meaning of
 * standard properties, the `dmalab,` knobs (the device knobs come from the platform model's
 * DEVICE_KNOBS), the compatibles of the built-in device models and of the infrastructure nodes the
 * model understands, and where each property belongs. Hover and completion read these tables;
 * the checks use the knob placement rules.
 */
import type { DtNode } from '../../../emulator/platform/dts';
import { DEVICE_KNOBS } from '../../../emulator/platform/model';
import { DEVICE_MODEL_NAMES } from '../../../emulator/devices/registry';

/** Where a node sits and what it is, as far as property suggestions care. */
export type NodeRole =
  | 'root'
  | 'chosen'
  | 'aliases'
  | 'cpus'
  | 'cpu'
  | 'memory'
  | 'reserved-memory'
  | 'reserved-region'
  | 'bus'
  | 'iommu'
  | 'interrupt-controller'
  | 'dma-controller'
  | 'device'
  | 'other';

export interface PropertyDoc {
  /** One-paragraph meaning (markdown). */
  doc: string;
  /** What the value looks like, shown in hover and used to build the completion snippet. */
  value: 'empty' | 'cells' | 'string' | 'strings' | 'phandle' | 'phandle-args' | 'cells-or-string';
  /** Roles the property fits (completion); undefined: any node. */
  roles?: NodeRole[];
  /** Choices for a string value. */
  choices?: string[];
  /** Completion snippet (LSP snippet syntax) when the default from `value` is not right. */
  snippet?: string;
}

const DEVICE_ROLES: NodeRole[] = ['device', 'dma-controller', 'iommu', 'interrupt-controller', 'other'];

export const PROPERTIES: Record<string, PropertyDoc> = {
  compatible: {
    doc: 'The binding this node follows, most specific first. DMA Lab instantiates a device model for the first string it implements; `simple-bus` and the IOMMU, interrupt-controller and reserved-memory compatibles describe infrastructure.',
    value: 'strings',
  },
  model: { doc: 'Human-readable name of the board (the boot log prints it).', value: 'string', roles: ['root'] },
  reg: {
    doc: "Register windows (or memory ranges) as `<address size>` pairs in the parent's address space, `#address-cells` + `#size-cells` of the parent per entry. DMA Lab translates them to CPU addresses through every ancestor's `ranges`.",
    value: 'cells',
  },
  ranges: {
    doc: "How this bus's child address space maps onto its parent's: `<child-address parent-address size>` triples (this node's `#address-cells`, the parent's `#address-cells`, this node's `#size-cells`). An empty `ranges;` is a 1:1 mapping; without `ranges` child addresses cannot be translated.",
    value: 'cells',
    roles: ['bus', 'reserved-memory', 'root', 'other'],
  },
  'dma-ranges': {
    doc: "How bus masters below this bus see memory: `<bus-address cpu-address size>` windows (child `#address-cells`, parent `#address-cells`, `#size-cells`). DMA Lab composes the windows of every ancestor: a device reaches only RAM inside them, and the highest bus address sets its bus DMA limit (buffers above it bounce through swiotlb). Absent: the bus address is the CPU address.",
    value: 'cells',
    roles: ['bus', 'other'],
  },
  '#address-cells': { doc: 'Cells per address in the `reg` of children (and in this node’s `ranges`/`dma-ranges` child side). Default 2.', value: 'cells', snippet: '#address-cells = <${1:1}>;' },
  '#size-cells': { doc: 'Cells per size in the `reg` of children (and in this node’s `ranges`/`dma-ranges`). Default 1; 0 under `cpus`.', value: 'cells', snippet: '#size-cells = <${1:1}>;' },
  status: {
    doc: '`"okay"` (or absent): the device exists; anything else (`"disabled"`, `"reserved"`, `"fail"`) removes it from the platform.',
    value: 'string',
    choices: ['okay', 'disabled', 'reserved', 'fail'],
  },
  device_type: { doc: '`"memory"` marks a RAM node (its `reg` gives the banks); `"cpu"` a CPU.', value: 'string', choices: ['memory', 'cpu'], roles: ['memory', 'cpu', 'other'] },
  phandle: { doc: 'This node’s phandle (dtc assigns one to every node a reference points at).', value: 'cells' },
  'interrupt-parent': { doc: 'The interrupt controller this node and its descendants signal, as `<&label>`.', value: 'phandle', snippet: 'interrupt-parent = <&${1}>;' },
  interrupts: {
    doc: "Interrupt specifiers for the interrupt parent, `#interrupt-cells` of that controller per entry. On a GIC: `<type number flags>` with type 0 = SPI (Linux irq number + 32), 1 = PPI (+ 16), flags 4 = level high, 1 = edge rising; on a two-cell controller `<line flags>`.",
    value: 'cells',
    roles: DEVICE_ROLES,
  },
  'interrupts-extended': { doc: 'Interrupt specifiers each naming its controller: `<&controller args...>`, `#interrupt-cells` of that controller per entry.', value: 'phandle-args', roles: DEVICE_ROLES },
  'interrupt-names': { doc: 'A name for each `interrupts` entry.', value: 'strings', roles: DEVICE_ROLES },
  'interrupt-controller': { doc: 'This node is an interrupt controller (it needs `#interrupt-cells`).', value: 'empty', roles: ['interrupt-controller', 'other'] },
  '#interrupt-cells': { doc: 'Cells per interrupt specifier of this controller (3 on a GIC, 2 on an IOAPIC-like controller).', value: 'cells', roles: ['interrupt-controller', 'other'] },
  'dma-coherent': { doc: 'Bus masters at or below this node snoop the CPU caches: no cache maintenance on map/sync, coherent memory is cacheable. (x86-64 platforms are coherent by default, Arm ones are not.)', value: 'empty', roles: ['bus', 'device', 'dma-controller', 'other'] },
  'dma-noncoherent': { doc: 'Bus masters at or below this node do not snoop the CPU caches (overrides an ancestor’s or the architecture’s default): the DMA API cleans and invalidates cache lines, coherent memory is mapped uncached.', value: 'empty', roles: ['bus', 'device', 'dma-controller', 'other'] },
  iommus: {
    doc: 'The IOMMU this device masters through and its stream id: `<&iommu stream-id>` (`#iommu-cells` of the IOMMU after the phandle). With one every DMA address is an IOVA the IOMMU translates through page tables in RAM.',
    value: 'phandle-args',
    roles: ['device', 'dma-controller', 'other'],
    snippet: 'iommus = <&${1:smmu} ${2:0x100}>;',
  },
  '#iommu-cells': { doc: 'Cells after the phandle in an `iommus` entry pointing here (1: the stream id / PCI requester id).', value: 'cells', roles: ['iommu', 'other'] },
  'memory-region': { doc: 'Reserved-memory regions for this device: a `shared-dma-pool` serves its coherent allocations, a `restricted-dma-pool` becomes its private bounce pool (every streaming mapping bounces through it).', value: 'phandle', roles: ['device', 'dma-controller', 'other'], snippet: 'memory-region = <&${1}>;' },
  dmas: {
    doc: 'The system DMA controller channels this peripheral uses: `<&controller args...>` per entry, `#dma-cells` of the controller after the phandle (for an `arm,pl080`: request line, AHB masters). `dma_request_chan(dev, name)` finds the entry `dma-names` gives that name.',
    value: 'phandle-args',
    roles: ['device', 'other'],
    snippet: 'dmas = <&${1:dmac} ${2:0} ${3:1}>;',
  },
  'dma-names': { doc: 'A name for each `dmas` entry, in order: what `dma_request_chan(dev, "tx")` asks for.', value: 'strings', roles: ['device', 'other'] },
  '#dma-cells': { doc: 'Cells after the phandle in a `dmas` entry pointing at this DMA controller.', value: 'cells', roles: ['dma-controller', 'other'] },
  'dma-channels': { doc: 'Number of DMA channels the controller provides (informational).', value: 'cells', roles: ['dma-controller'] },
  'dma-requests': { doc: 'Number of DMA request lines the controller has (informational).', value: 'cells', roles: ['dma-controller'] },
  'memcpy-bus-width': { doc: '`arm,pl080`: bus width of memcpy transfers in bits (8, 16 or 32; default 32).', value: 'cells', roles: ['dma-controller'] },
  'memcpy-burst-size': { doc: '`arm,pl080`: burst size of memcpy transfers (1 to 256 transfers; default 256).', value: 'cells', roles: ['dma-controller'] },
  'no-map': { doc: 'Reserved memory the kernel does not put in its linear map (a `shared-dma-pool` here is reached through an uncached remap). Not with `reusable`; never on a `restricted-dma-pool`.', value: 'empty', roles: ['reserved-region'] },
  reusable: { doc: 'The kernel may use the region for movable pages while the device does not need it (a CMA pool). Not with `no-map`; never on a `restricted-dma-pool`.', value: 'empty', roles: ['reserved-region'] },
  'linux,cma-default': { doc: 'This reusable `shared-dma-pool` is the default CMA area.', value: 'empty', roles: ['reserved-region'] },
  'linux,dma-default': { doc: 'This `shared-dma-pool` is the default coherent pool of devices without a `memory-region`.', value: 'empty', roles: ['reserved-region'] },
  size: { doc: 'Size of a dynamically placed reserved region (not supported by DMA Lab: give a `reg`).', value: 'cells', roles: ['reserved-region'] },
  alignment: { doc: 'Alignment of a dynamically placed reserved region.', value: 'cells', roles: ['reserved-region'] },
  'd-cache-line-size': { doc: 'CPU data cache line size in bytes (a power of two, 16 to 512): the unit of cache maintenance and of `cacheline-shared` findings.', value: 'cells', roles: ['cpu'] },
  'd-cache-size': { doc: 'CPU data cache size in bytes (at least 8 lines).', value: 'cells', roles: ['cpu'] },
  'stdout-path': { doc: 'The console, as a path or alias (`"serial0:115200n8"`).', value: 'string', roles: ['chosen'] },
  bootargs: { doc: 'The kernel command line.', value: 'string', roles: ['chosen'] },
  'clock-frequency': { doc: 'Clock frequency in Hz.', value: 'cells' },
  'current-speed': { doc: 'Serial line speed in bits/s.', value: 'cells', roles: ['device'] },
};

/** Knobs of the root node. */
export const ROOT_KNOBS: Record<string, PropertyDoc> = {
  'dmalab,arch': { doc: 'The architecture the emulator models: `"x86_64"` (coherent DMA, VT-d), `"arm64"` (default) or `"arm"` (32-bit, LPAE): cache maintenance, kernel address layout, kmalloc alignment.', value: 'string', choices: ['x86_64', 'arm64', 'arm'], roles: ['root'] },
  'dmalab,zone-dma-limit': { doc: 'Exclusive physical limit of ZONE_DMA, one or two cells (default 16 MiB on x86_64, none on Arm).', value: 'cells', roles: ['root'] },
  'dmalab,bus-bandwidth': { doc: 'Interconnect bandwidth in MB/s (default 16000): no device moves data faster.', value: 'cells', roles: ['root'] },
};

/** Knobs of /chosen. */
export const CHOSEN_KNOBS: Record<string, PropertyDoc> = {
  'dmalab,swiotlb-size': { doc: 'Size of the global swiotlb bounce pool in bytes, a multiple of 256 KiB (128 slots of 2 KiB); default 64 MiB, allocated in low memory at boot.', value: 'cells', roles: ['chosen'] },
};

/**
 * The compatibles a device knob is meant for, read from its description in the platform model:
 * the device models it names ("serial line rate of a dmalab,uart"), else those of a knob it
 * names ("bytes per frame of the dmalab,rx-packets traffic"); none: any device.
 */
function knobTargets(): Map<string, string[]> {
  const named = (doc: string): string[] => [...doc.matchAll(/[a-z0-9-]+,[a-z0-9-]+/g)].map((m) => m[0]);
  const out = new Map<string, string[]>();
  for (const [name, k] of Object.entries(DEVICE_KNOBS)) {
    const models = named(k.doc).filter((c) => DEVICE_MODEL_NAMES.has(c));
    if (models.length) out.set(name, models);
  }
  for (const [name, k] of Object.entries(DEVICE_KNOBS)) {
    if (out.has(name)) continue;
    const via = named(k.doc).map((n) => out.get(n)).find(Boolean);
    if (via) out.set(name, via);
  }
  return out;
}

/** Device knobs (from the platform model), with the compatibles they are meant for. */
export const DEVICE_KNOB_DOCS: Record<string, PropertyDoc & { min: number; max: number; only?: string[] }> = (() => {
  const targets = knobTargets();
  return Object.fromEntries(
    Object.entries(DEVICE_KNOBS).map(([name, k]) => {
      const entry: PropertyDoc & { min: number; max: number; only?: string[] } = {
        doc: `${k.doc[0].toUpperCase()}${k.doc.slice(1)}: one 32-bit cell, ${k.min} to ${k.max}.`,
        value: 'cells',
        roles: ['device', 'dma-controller'],
        min: k.min,
        max: k.max,
      };
      const only = targets.get(name);
      if (only) entry.only = only;
      return [name, entry];
    }),
  );
})();

export function propertyDoc(name: string): PropertyDoc | undefined {
  return PROPERTIES[name] ?? ROOT_KNOBS[name] ?? CHOSEN_KNOBS[name] ?? DEVICE_KNOB_DOCS[name];
}

export interface CompatibleDoc {
  summary: string;
  kind: 'device' | 'dma-controller' | 'bus' | 'iommu' | 'interrupt-controller' | 'pool' | 'other';
  /** For consumers of system DMA: the dma-names their driver requests. */
  dmaNames?: string[];
  /** For DMA controllers: what the `dmas` specifier cells mean. */
  dmaCells?: string[];
}

export const COMPATIBLES: Record<string, CompatibleDoc> = {
  'dmalab,dad': { kind: 'device', summary: 'DMA Acquisition Device (LDD3’s example): a bus master that writes acquired blocks into memory and raises an interrupt; registers and flow in API.md.' },
  'qemu,edu': { kind: 'device', summary: 'QEMU’s edu device (docs/specs/edu.rst): DMA both ways through a 4 KiB buffer, 28-bit DMA addresses unless `dmalab,dma-bits` says otherwise, a factorial unit and interrupts.' },
  'arm,pl080': { kind: 'dma-controller', summary: 'Arm PrimeCell PL080 DMA controller (driver dma-pl08x): 8 physical channels shared by 8 memcpy and 16 slave virtual channels, one per request line; LLIs in coherent memory.', dmaCells: ['request line', 'AHB masters (bit 0 AHB1, bit 1 AHB2)'] },
  'intel,ioat': { kind: 'dma-controller', summary: 'I/OAT-like memory-to-memory copy engine (driver ioatdma): 4 memcpy channels with 256-entry descriptor rings, found with `dma_request_chan_by_mask(DMA_MEMCPY)`.' },
  'dmalab,uart': { kind: 'device', summary: 'UART with 32-byte TX and RX FIFOs fed by a system DMA controller through two request lines (`dma-names = "tx", "rx"`); `dmalab,baud`, `dmalab,rx-bytes`.', dmaNames: ['tx', 'rx'] },
  'simple-bus': { kind: 'bus', summary: 'A bus whose children are devices: addresses translate through its `ranges`, DMA through its `dma-ranges`.' },
  'simple-mfd': { kind: 'bus', summary: 'A multi-function device whose children are devices.' },
  'arm,smmu-v3': { kind: 'iommu', summary: 'Arm SMMUv3: devices behind it (`iommus = <&smmu stream-id>`) get a DMA domain with LPAE stage-1 page tables in RAM.' },
  'intel,vtd': { kind: 'iommu', summary: 'Intel VT-d remapping unit: devices behind it (`iommus = <&dmar requester-id>`) get a DMA domain with second-level page tables in RAM.' },
  'arm,gic-v3': { kind: 'interrupt-controller', summary: 'Arm GICv3 interrupt controller: 3-cell specifiers `<type number flags>`, SPI n is Linux irq n + 32.' },
  'arm,gic-400': { kind: 'interrupt-controller', summary: 'Arm GIC-400 interrupt controller: 3-cell specifiers.' },
  'arm,cortex-a15-gic': { kind: 'interrupt-controller', summary: 'Arm Cortex-A15 GIC: 3-cell specifiers.' },
  'intel,ioapic': { kind: 'interrupt-controller', summary: 'IOAPIC-like interrupt controller: 2-cell specifiers `<line flags>`.' },
  'shared-dma-pool': { kind: 'pool', summary: 'A reserved region serving the coherent allocations (`dma_alloc_coherent`) of the devices whose `memory-region` points here; `reusable` makes it a CMA area.' },
  'restricted-dma-pool': { kind: 'pool', summary: 'A reserved region that becomes the private swiotlb of the devices whose `memory-region` points here: every streaming mapping bounces through it.' },
};

export function compatibleDoc(c: string): CompatibleDoc | undefined {
  return COMPATIBLES[c];
}

/** The compatibles a device model implements (the registry's keys). */
export function modelCompatibles(): string[] {
  return [...DEVICE_MODEL_NAMES];
}

export function hasDeviceModel(c: string): boolean {
  return DEVICE_MODEL_NAMES.has(c);
}

/** What kind of node `node` is, from its place in the tree and its properties. */
export function roleOf(node: DtNode): NodeRole {
  if (!node.parent) return 'root';
  const parent = node.parent;
  if (!parent.parent) {
    if (node.name === 'chosen') return 'chosen';
    if (node.name === 'aliases') return 'aliases';
    if (node.name === 'cpus') return 'cpus';
    if (node.name === 'reserved-memory') return 'reserved-memory';
  }
  if (parent.name === 'reserved-memory' && parent.parent && !parent.parent.parent) return 'reserved-region';
  if (parent.name === 'cpus') return 'cpu';
  const compat = node.properties.get('compatible')?.strings() ?? [];
  const dt = node.properties.get('device_type')?.string();
  if (dt === 'memory' || node.baseName === 'memory') return 'memory';
  if (node.properties.has('interrupt-controller')) return 'interrupt-controller';
  if (node.properties.has('#iommu-cells') || compat.some((c) => COMPATIBLES[c]?.kind === 'iommu')) return 'iommu';
  if (node.properties.has('#dma-cells') || compat.some((c) => COMPATIBLES[c]?.kind === 'dma-controller')) return 'dma-controller';
  if (compat.some((c) => COMPATIBLES[c]?.kind === 'bus') || (node.properties.has('ranges') && compat.length === 0)) return 'bus';
  if (compat.length > 0) return 'device';
  return 'other';
}

/**
 * One range of memory as the three agents see it, for the memory view: from any memory reference
 * (`0x…` a CPU virtual address, `phys:0x…` RAM, `iova:<device>:0x…` what a device reaches), the
 * corresponding CPU virtual address, physical address and device bus address (IOVA), with the
 * live DMA mapping that ties them together.
 *
 * The correspondence holds per run: the range is cut where any of the address spaces may stop
 * being contiguous (page boundaries: vmalloc pages, IOMMU pages) and rejoined where all of them
 * continue, so a vmalloc buffer or a scatter-gather mapping behind an IOMMU still lines up byte
 * for byte. Each run names the reference to read it with in each view, or why that view has
 * nothing there. A bounced mapping (swiotlb) shows the driver's buffer in the CPU and RAM views
 * and the bounce slot in the device view: the bytes differ until the sync copies them.
 *
 * Read-only: nothing here touches the cache, the IOTLB or the checker.
 */
import type { Kernel } from '../kernel/kernel';
import type { Device } from '../kernel/device';
import type { DmaEntry } from '../kernel/dma/debug';
import { kernelVaHex, mappingDir, translationOf } from './snapshots';
import { hexAddress as hex } from '../lib/hex';
import { allocationSize, MemoryRefError, parseMemoryRef } from './memory-ref';

export type ViewKind = 'cpu' | 'ram' | 'device';

/** A stretch of the range where every view is contiguous. References are of the run's first byte. */
export interface AddressRun {
  offset: number;
  length: number;
  /** `0x…`: the CPU virtual address. */
  cpu?: string;
  /** `phys:0x…`: the RAM behind the CPU's view (the driver's buffer). */
  ram?: string;
  /** `iova:<device>:0x…`: the device's bus address. */
  device?: string;
  /** The CPU reaches it through its data cache (false: an uncached mapping, e.g. a coherent buffer on a non-coherent platform). */
  cached?: boolean;
  /** Where the device's accesses land when that is not `ram` (a swiotlb bounce slot), `0x…`. */
  deviceLandsAt?: string;
  /** The device may write there (IOMMU permission; always true without an IOMMU). */
  deviceWritable?: boolean;
  /** Why a view has no bytes here (unmapped, not RAM, not reachable by the device...). */
  why: Partial<Record<ViewKind, string>>;
}

export interface AddressDevice {
  /** Node name ("dad@1c000000"), usable in `iova:<device>:0x…`. */
  name: string;
  /** The node name without unit address, or its first label. */
  short: string;
  /** "smmu0 (stream 0x10)", "dma-ranges" or "direct". */
  translation: string;
  coherent: boolean;
}

export interface AddressMapping {
  id: number;
  device: string;
  type: string;
  dir: string;
  dma: string;
  size: number;
  owner: 'cpu' | 'device';
  bounce?: string;
  /** Where the range starts inside the mapping, in bytes. */
  offset: number;
}

export interface AddressViews {
  /** The reference the range was given by, normalised. */
  reference: string;
  /** Which view that reference is in. */
  anchor: ViewKind;
  length: number;
  /** Start of the range in each view (hex), when it has one. */
  cpuVa?: string;
  phys?: string;
  device?: AddressDevice;
  iova?: string;
  /** The live mapping the start of the range belongs to. */
  mapping?: AddressMapping;
  lineSize: number;
  runs: AddressRun[];
  /** The devices a device view can be chosen from. */
  devices: AddressDevice[];
}

const PAGE = 4096;
/** Longest range one snapshot describes, and the default when no length is asked for. */
export const MAX_VIEW_LENGTH = 1 << 16;
const DEFAULT_MAX = 1 << 14;


/** What one byte of the range is in each view. */
interface Point {
  kva?: number;
  phys?: number;
  iova?: number;
  /** Physical address the device reaches at `iova` when it is not `phys`. */
  land?: number;
  cached?: boolean;
  devWrite?: boolean;
  entry?: DmaEntry;
  why: Partial<Record<ViewKind, string>>;
}

export function deviceInfo(dev: Device): AddressDevice {
  const d = dev.desc;
  return {
    name: d.name,
    short: d.node.labels[0] ?? d.name.split('@')[0],
    translation: translationOf(d),
    coherent: dev.dma.coherent,
  };
}

/**
 * Resolve `length` bytes from `memoryReference` into the CPU's, the RAM's and `device`'s views.
 * Without a device, the device of the live mapping at the start of the range is used (none when
 * no mapping covers it). Without a length, the rest of that mapping or allocation (at most 16 KiB).
 */
export function addressViews(k: Kernel, memoryReference: string, opts: { device?: string; length?: number } = {}): AddressViews {
  const v = parseMemoryRef(k, memoryReference);
  const anchor: ViewKind = v.kind === 'cpu' ? 'cpu' : v.kind === 'phys' ? 'ram' : 'device';
  let dev: Device | undefined;
  if (v.kind === 'iova') dev = v.dev;
  else if (opts.device) {
    dev = k.deviceByName(opts.device);
    if (!dev) throw new MemoryRefError(`no device "${opts.device}" on this platform (devices: ${k.devices.map((d) => d.nodeName).join(', ')})`);
  }
  const entries = k.debug?.entries() ?? [];
  const r = new Resolver(k, entries);

  const pointAt = (o: number): Point => {
    if (v.kind === 'cpu') return r.fromCpu(v.addr + o, dev);
    if (v.kind === 'phys') return r.fromPhys(v.addr + o, dev);
    return r.fromIova(v.addr + o, v.dev);
  };

  const first = pointAt(0);
  if (!dev && first.entry) dev = first.entry.dev;
  const start = dev && !opts.device && v.kind !== 'iova' ? pointAt(0) : first;

  let length = opts.length !== undefined && Number.isFinite(opts.length) && opts.length > 0 ? Math.floor(opts.length) : suggestedLength(k, v, start);
  length = Math.max(1, Math.min(length, MAX_VIEW_LENGTH));

  const runs: AddressRun[] = [];
  let prev: { p: Point; run: AddressRun } | undefined;
  for (let o = 0; o < length; ) {
    const p = o === 0 ? start : pointAt(o);
    // the next place any of the views may jump: a page boundary in any of the spaces
    let step = length - o;
    for (const a of [v.addr + o, p.kva, p.phys, p.iova, p.land]) if (a !== undefined) step = Math.min(step, PAGE - (a % PAGE));
    if (prev && continues(prev.p, prev.run.length, p)) prev.run.length += step;
    else {
      prev = { p, run: runOf(p, o, step, dev, k) };
      runs.push(prev.run);
    }
    o += step;
  }

  const dInfo = dev ? deviceInfo(dev) : undefined;
  return {
    reference: memoryReference.trim(),
    anchor,
    length,
    cpuVa: start.kva !== undefined ? kernelVaHex(k, start.kva) : undefined,
    phys: start.phys !== undefined ? hex(start.phys) : undefined,
    device: dInfo,
    iova: start.iova !== undefined ? hex(start.iova) : undefined,
    mapping: start.entry ? mappingOf(start.entry, start) : undefined,
    lineSize: k.cache.lineSize,
    runs,
    devices: k.devices.map(deviceInfo),
  };
}

/** Whether `p` is the byte right after a run that started at `q` and is `len` long, in every view. */
function continues(q: Point, len: number, p: Point): boolean {
  const same = (a: number | undefined, b: number | undefined) => (a === undefined ? b === undefined : b === a + len);
  return (
    same(q.kva, p.kva) &&
    same(q.phys, p.phys) &&
    same(q.iova, p.iova) &&
    same(q.land, p.land) &&
    q.cached === p.cached &&
    q.devWrite === p.devWrite &&
    q.why.cpu === p.why.cpu &&
    q.why.ram === p.why.ram &&
    q.why.device === p.why.device
  );
}

function runOf(p: Point, offset: number, length: number, dev: Device | undefined, k: Kernel): AddressRun {
  return {
    offset,
    length,
    cpu: p.kva !== undefined ? kernelVaHex(k, p.kva) : undefined,
    ram: p.phys !== undefined ? `phys:${hex(p.phys)}` : undefined,
    device: p.iova !== undefined && dev ? `iova:${dev.nodeName}:${hex(p.iova)}` : undefined,
    cached: p.kva !== undefined ? p.cached : undefined,
    deviceLandsAt: p.land !== undefined ? hex(p.land) : undefined,
    deviceWritable: p.iova !== undefined && !p.why.device ? p.devWrite : undefined,
    why: { ...p.why },
  };
}

function mappingOf(e: DmaEntry, p: Point): AddressMapping {
  let offset = 0;
  if (p.iova !== undefined && e.bus.length && p.iova >= e.dma) offset = p.iova - e.dma;
  else if (p.phys !== undefined) {
    let before = 0;
    for (const c of e.cpu) {
      if (p.phys >= c.phys && p.phys < c.phys + c.len) {
        offset = before + (p.phys - c.phys);
        break;
      }
      before += c.len;
    }
  }
  return {
    id: e.id,
    device: e.dev.nodeName,
    type: e.type,
    dir: mappingDir(e),
    dma: hex(e.dma),
    size: e.size,
    owner: e.owner,
    bounce: e.bounce !== undefined ? hex(e.bounce) : undefined,
    offset: Math.min(offset, e.size),
  };
}

function suggestedLength(k: Kernel, v: ReturnType<typeof parseMemoryRef>, p: Point): number {
  let n: number | undefined;
  if (p.entry) n = p.entry.size - mappingOf(p.entry, p).offset;
  if (!n && v.kind === 'cpu') n = allocationSize(k, v);
  if (!n && p.phys !== undefined) {
    const obj = k.kmalloc.objectAt(p.phys);
    if (obj) n = obj.size - (p.phys - obj.phys);
  }
  return Math.min(n && n > 0 ? n : PAGE, DEFAULT_MAX);
}

/** Address arithmetic across the views, with the live mappings and the devices' IOMMU tables. */
class Resolver {
  /** IOMMU leaves per device, read once per snapshot (for phys → IOVA). */
  private leaves = new Map<Device, { iova: number; phys: number; size: number; write: boolean }[]>();

  constructor(
    private readonly k: Kernel,
    private readonly entries: readonly DmaEntry[],
  ) {}

  /** The live mapping whose CPU side holds `phys`, for `dev` if given (streaming ones first, the newest first). */
  private entryForPhys(phys: number, dev?: Device): DmaEntry | undefined {
    let best: DmaEntry | undefined;
    for (const e of this.entries) {
      if (dev && e.dev !== dev) continue;
      if (!e.cpu.some((c) => phys >= c.phys && phys < c.phys + c.len)) continue;
      if (!best || (best.type === 'coherent' && e.type !== 'coherent') || (best.type === e.type && e.id > best.id)) best = e;
    }
    return best;
  }

  private entryForIova(iova: number, dev: Device): DmaEntry | undefined {
    return this.entries.find((e) => e.dev === dev && e.bus.some((b) => iova >= b.dma && iova < b.dma + b.len));
  }

  fromCpu(kva: number, dev: Device | undefined): Point {
    const k = this.k;
    const t = k.as.translate(kva);
    if (!t) {
      const why = k.as.isVmalloc(kva) ? 'a vmalloc-area address with no page behind it now' : 'not mapped in the kernel address space';
      return { kva, why: { cpu: why, ram: 'no physical address: the CPU address is not mapped', device: 'no physical address: the CPU address is not mapped' } };
    }
    const p = this.withDevice({ kva, phys: t.phys, cached: t.cached, why: {} }, dev);
    if (!k.bus.isRam(t.phys)) {
      const mmio = k.bus.mmioAt(t.phys);
      p.why.cpu = mmio ? `MMIO of ${mmio.owner}: the debugger does not read device registers` : `phys ${hex(t.phys)} is not RAM`;
      p.why.ram = p.why.ram ?? `phys ${hex(t.phys)} is not RAM`;
    }
    return p;
  }

  fromPhys(phys: number, dev: Device | undefined): Point {
    const k = this.k;
    const p: Point = { phys, why: {} };
    if (!k.bus.isRam(phys)) {
      const mmio = k.bus.mmioAt(phys);
      p.why.ram = mmio ? `MMIO of ${mmio.owner}, not RAM` : `phys ${hex(phys)} is not RAM (no memory bank there)`;
    }
    this.cpuOf(p, dev);
    return this.withDevice(p, dev);
  }

  fromIova(iova: number, dev: Device): Point {
    const k = this.k;
    const p: Point = { iova, why: {} };
    const t = k.bus.resolve(dev.dma.port, iova);
    const e = this.entryForIova(iova, dev);
    p.entry = e;
    if (!t) {
      p.why.device = this.unreachable(iova, dev);
      p.why.ram = p.why.cpu = `no physical address: ${hex(iova)} does not translate for ${dev.nodeName}`;
      return p;
    }
    p.devWrite = t.write;
    if (!k.bus.isRam(t.phys)) p.why.device = `${dev.nodeName} reaches phys ${hex(t.phys)} there, which is not RAM`;
    if (e && e.bounce !== undefined && e.cpu.length === 1 && iova - e.dma < e.cpu[0].len) {
      // the device works on the bounce slot; the driver's buffer is the CPU's side of the mapping
      p.phys = e.cpu[0].phys + (iova - e.dma);
      p.land = t.phys;
    } else p.phys = t.phys;
    if (!k.bus.isRam(p.phys)) p.why.ram = `phys ${hex(p.phys)} is not RAM`;
    this.cpuOf(p, dev);
    return p;
  }

  /** The CPU address of `p.phys`: the driver's mapping of it when a coherent buffer has one, else the linear map. */
  private cpuOf(p: Point, dev: Device | undefined): void {
    const k = this.k;
    const phys = p.phys!;
    const e = this.entries.find((x) => x.kva >= 0 && x.cpu.length === 1 && phys >= x.cpu[0].phys && phys < x.cpu[0].phys + x.cpu[0].len && (!dev || x.dev === dev)) ?? this.entries.find((x) => x.kva >= 0 && x.cpu.length === 1 && phys >= x.cpu[0].phys && phys < x.cpu[0].phys + x.cpu[0].len);
    const kva = e ? e.kva + (phys - e.cpu[0].phys) : k.as.linearVa(phys);
    if (kva < 0) {
      p.why.cpu = `phys ${hex(phys)} has no kernel virtual address (outside the linear map, not a coherent buffer)`;
      return;
    }
    const t = k.as.translate(kva);
    p.kva = kva;
    p.cached = t?.cached ?? true;
    if (!k.bus.isRam(phys)) p.why.cpu = p.why.ram ?? `phys ${hex(phys)} is not RAM`;
  }

  /** Fill in the device side of a point whose physical address is known. */
  private withDevice(p: Point, dev: Device | undefined): Point {
    const phys = p.phys!;
    const e = this.entryForPhys(phys, dev);
    p.entry = e;
    if (!dev) {
      if (e) dev = e.dev;
      else {
        p.why.device = 'no device chosen (no live mapping covers this memory)';
        return p;
      }
    }
    const port = dev.dma.port;
    if (e && e.dev === dev && e.bounce !== undefined && e.cpu.length === 1) {
      p.iova = e.dma + (phys - e.cpu[0].phys);
    } else if (port.iommu) {
      const hit = this.iommuReverse(dev, phys, e && e.dev === dev ? e : undefined);
      if (hit === undefined) {
        p.why.device = dev.dma.domain
          ? `phys ${hex(phys)} is not mapped in ${dev.nodeName}'s IOMMU domain ${dev.dma.domain.id}: the device cannot reach it`
          : `${dev.nodeName} has no IOMMU domain`;
        return p;
      }
      p.iova = hit;
    } else if (port.dmaRanges.length === 0) {
      p.iova = phys;
    } else {
      const r = port.dmaRanges.find((x) => phys >= x.cpu && phys < x.cpu + x.size);
      if (!r) {
        p.why.device = `phys ${hex(phys)} is outside ${dev.nodeName}'s dma-ranges: the device cannot reach it`;
        return p;
      }
      p.iova = r.bus + (phys - r.cpu);
    }
    const t = this.k.bus.resolve(port, p.iova);
    if (!t) p.why.device = this.unreachable(p.iova, dev);
    else {
      p.devWrite = t.write;
      if (t.phys !== phys) p.land = t.phys;
      if (!this.k.bus.isRam(t.phys)) p.why.device = `${dev.nodeName} reaches phys ${hex(t.phys)} there, which is not RAM`;
    }
    return p;
  }

  private unreachable(iova: number, dev: Device): string {
    return dev.dma.port.iommu
      ? `IOVA ${hex(iova)} is not mapped for ${dev.nodeName}: an access would fault the IOMMU`
      : `bus address ${hex(iova)} is outside ${dev.nodeName}'s dma-ranges`;
  }

  /** The IOVA at which `dev`'s IOMMU domain maps `phys` (inside `entry`'s bus ranges when given). */
  private iommuReverse(dev: Device, phys: number, entry: DmaEntry | undefined): number | undefined {
    const d = dev.dma.domain;
    if (!d) return undefined;
    let list = this.leaves.get(dev);
    if (!list) {
      list = [];
      for (const l of d.leaves()) if (l.read || l.write) list.push({ iova: l.iova, phys: l.phys, size: l.size, write: l.write });
      this.leaves.set(dev, list);
    }
    let fallback: number | undefined;
    for (const l of list) {
      if (phys < l.phys || phys >= l.phys + l.size) continue;
      const iova = l.iova + (phys - l.phys);
      if (!entry || entry.bus.some((b) => iova >= b.dma && iova < b.dma + b.len)) return iova;
      fallback ??= iova;
    }
    return fallback;
  }
}

/**
 * What the emulator resolved for a node, in words: the binding (compatible, which device model),
 * and for a device its MMIO windows (reg through every ranges), interrupt lines, coherency, IOMMU
 * and stream id and the kernel's IOMMU domain, the default DMA mask and what it reaches (the
 * dma-ranges windows and bus limit against the RAM banks), the bounce pool, the coherent pool and
 * the DMA channels by name; for infrastructure nodes (root, memory, reserved regions, IOMMUs,
 * buses) what the platform model made of them. Hover shows these lines.
 */
import type { DtNode } from '../../../emulator/platform/dts';
import type { DeviceDesc, Platform } from '../../../emulator/platform/model';
import type { Device } from '../../../emulator/kernel/device';
import type { Kernel } from '../../../emulator/kernel/kernel';
import { hex, size } from '../../../emulator/lib/hex';
import type { Analysis } from './analysis';
import { compatibleDoc, hasDeviceModel, roleOf } from './bindings';
import { addressCells, cellsValue, interruptParent, sizeCells } from './checks';

const span = (base: number, len: number): string => `${hex(base)}-${hex(base + len - 1)} (${size(len)})`;
const code = (s: string): string => `\`${s}\``;

/** The markdown of a node: a title line, then facts as a bullet list. */
export function nodeFacts(a: Analysis, node: DtNode): string {
  const lines: string[] = [];
  const title = node.parent ? `**${node.name}**` : '**/** (root)';
  const labels = node.labels.length ? ` — label${node.labels.length > 1 ? 's' : ''} ${node.labels.map((l) => code(l)).join(', ')}` : '';
  const out = [`${title} ${code(node.path)}${labels}`];
  const status = node.properties.get('status')?.string();
  if (status !== undefined && status !== 'okay' && status !== 'ok') {
    out.push('', `status ${code(`"${status}"`)}: not part of the platform.`);
    return out.join('\n');
  }
  binding(node, lines);
  const p = a.platform;
  if (p !== undefined) {
    const desc = p.devices.find((d) => d.node === node);
    const k = a.kernel().k;
    if (desc !== undefined) deviceFacts(p, desc, k, k?.devices.find((d) => d.desc === desc), lines);
    else infrastructureFacts(a, p, node, k, lines);
  } else if (a.tree.isPlugin) lines.push('an overlay (/plugin/): what the emulator resolves depends on the tree it is applied to');
  else if (a.platformError !== undefined) lines.push(`the platform model could not be built: ${a.platformError}`);
  if (lines.length) out.push('', ...lines.map((l) => `- ${l}`));
  return out.join('\n');
}

function binding(node: DtNode, lines: string[]): void {
  const compat = node.properties.get('compatible')?.strings() ?? [];
  if (compat.length === 0) return;
  const modelled = compat.find((c) => hasDeviceModel(c));
  const documented = compat.find((c) => compatibleDoc(c) !== undefined);
  if (modelled !== undefined) lines.push(`device model ${code(modelled)}: ${compatibleDoc(modelled)?.summary ?? 'built in'}`);
  else if (documented !== undefined) lines.push(`${code(documented)}: ${compatibleDoc(documented)!.summary}`);
  else lines.push(`compatible ${compat.map((c) => code(c)).join(', ')}: no device model implements it`);
}

function deviceFacts(p: Platform, d: DeviceDesc, k: Kernel | undefined, dev: Device | undefined, lines: string[]): void {
  lines.push(`Linux device ${code(d.busId)}`);
  if (d.reg.length) lines.push(`MMIO ${d.reg.map((r) => span(r.base, r.size)).join(', ')} (CPU addresses, through every ${code('ranges')})`);
  if (d.irqs.length) {
    const gic = isGic(interruptParent(d.node, (ph) => p.tree.byPhandle(ph)));
    const spec = (line: number): string => (gic ? (line >= 32 ? `GIC SPI ${line - 32}, ` : line >= 16 ? `GIC PPI ${line - 16}, ` : '') : '');
    lines.push(`interrupt${d.irqs.length > 1 ? 's' : ''}: ${d.irqs.map((i) => `irq ${i.line} (${spec(i.line)}${i.trigger})`).join(', ')}`);
  }
  lines.push(coherency(p, d));
  if (d.iommu) {
    const dom = dev?.dma.domain;
    const i = d.iommu.desc;
    lines.push(
      `IOMMU ${code(i.node.labels[0] ?? i.name)} (${i.kind === 'vtd' ? 'Intel VT-d' : 'Arm SMMUv3'}, ${i.logName}), stream id ${hex(d.iommu.streamId)}` +
        (dom ? `, IOMMU domain ${dom.id} (group ${dom.id}): every DMA address is an IOVA` : ''),
    );
  }
  const mask = dev?.dma.mask ?? 0xffff_ffffn;
  const bits = mask.toString(2).length;
  lines.push(`DMA mask ${hex(mask)} (${bits}-bit, the default until the driver calls ${code('dma_set_mask')}); coherent mask ${hex(dev?.dma.coherentMask ?? 0xffff_ffffn)}`);
  const driven = d.node.properties.get('dmalab,dma-bits');
  if (driven && driven.bytes.length === 4) lines.push(`the device drives ${driven.u32()} address bits (${code('dmalab,dma-bits')})`);
  lines.push(reach(p, d, mask));
  if (d.iommu === undefined) {
    const tlb = dev?.dma.swiotlb;
    if (d.restrictedPool) lines.push(`bounce pool: restricted-dma-pool ${code(d.restrictedPool.name)} ${span(d.restrictedPool.base, d.restrictedPool.size)}: every streaming mapping bounces`);
    else if (tlb) lines.push(`bounce pool: ${tlb.name} ${span(tlb.start, tlb.size)} for buffers out of reach`);
    else if (p.swiotlbSize > 0) lines.push(`bounce pool: the global swiotlb (${size(p.swiotlbSize)}) for buffers out of reach`);
    else lines.push('no bounce pool: buffers out of reach fail to map');
  } else lines.push('bounce pool: none needed (the IOMMU maps any page)');
  if (d.memoryRegion) lines.push(`coherent allocations from shared-dma-pool ${code(d.memoryRegion.name)} ${span(d.memoryRegion.base, d.memoryRegion.size)}`);
  if (d.dmas.length || d.dmaNames.length) lines.push(`DMA channels: ${channels(d)}`);
  const bw = d.node.properties.get('dmalab,bandwidth');
  const mbps = Math.min(d.knob('dmalab,bandwidth', 1000), p.busBandwidthMBps);
  lines.push(`DMA bandwidth ${mbps} MB/s${bw ? '' : ' (default)'}${mbps === p.busBandwidthMBps ? ' (the bus limit)' : ''}`);
  if (k && dev) {
    const engines = k.dmaengine.devices.filter((e) => e.dev === dev);
    for (const e of engines) lines.push(`dmaengine ${code(`dma${e.dev_id}`)} (${e.driver}): ${e.channels.length} channels, ${e.cap_mask.toString()}`);
  }
}

function isGic(n: DtNode | undefined): boolean {
  return (n?.properties.get('compatible')?.strings() ?? []).some((c) => c.includes('gic'));
}

function coherency(p: Platform, d: DeviceDesc): string {
  for (let n: DtNode | undefined = d.node; n; n = n.parent) {
    if (n.properties.has('dma-coherent')) return `coherent DMA (${code('dma-coherent')} on ${n.path}): no cache maintenance`;
    if (n.properties.has('dma-noncoherent')) return `non-coherent DMA (${code('dma-noncoherent')} on ${n.path}): the DMA API cleans and invalidates CPU cache lines`;
  }
  return d.coherent
    ? `coherent DMA (the ${p.arch} default): no cache maintenance`
    : `non-coherent DMA (the ${p.arch} default): the DMA API cleans and invalidates CPU cache lines`;
}

/** Which RAM the device reaches with `mask`, through its dma-ranges windows and bus limit. */
function reach(p: Platform, d: DeviceDesc, mask: bigint): string {
  if (d.iommu) return 'reach: any RAM page, mapped at an IOVA below the mask (allocated top-down, below 4 GiB first)';
  const limit = Math.min(Number(mask) + 1, d.busDmaLimit);
  const windows = d.dmaRanges.length ? d.dmaRanges : [{ bus: 0, cpu: 0, size: 2 ** 52 }];
  const reached: string[] = [];
  const missed: string[] = [];
  for (const m of p.memory) {
    let covered = 0;
    for (const w of windows) {
      const s = Math.max(m.base, w.cpu);
      const e = Math.min(m.base + m.size, w.cpu + w.size);
      if (e <= s) continue;
      const busS = s - w.cpu + w.bus;
      const busE = Math.min(e - w.cpu + w.bus, limit);
      if (busE <= busS) continue;
      const len = busE - busS;
      covered += len;
      const cpu = s;
      reached.push(`${span(cpu, len)}${w.bus !== w.cpu ? ` at bus ${hex(busS)}` : ''}`);
    }
    if (covered < m.size) missed.push(`${size(m.size - covered)} of the bank at ${hex(m.base)}`);
  }
  const how = d.dmaRanges.length
    ? `dma-ranges windows ${d.dmaRanges.map((w) => `bus ${hex(w.bus)} → CPU ${hex(w.cpu)} (${size(w.size)})`).join(', ')}, bus limit ${hex(d.busDmaLimit)}`
    : 'no dma-ranges: bus address = CPU address';
  const r = reached.length ? `RAM ${reached.join(', ')}` : 'no RAM';
  const m = missed.length ? `; out of reach (bounced): ${missed.join(', ')}` : '';
  return `reach with this mask: ${r}${m} (${how})`;
}

function channels(d: DeviceDesc): string {
  const parts: string[] = [];
  const n = Math.max(d.dmas.length, d.dmaNames.length);
  for (let i = 0; i < n; i++) {
    const name = d.dmaNames[i] ?? `#${i}`;
    const s = d.dmas[i];
    if (s === undefined) parts.push(`${code(name)} → (no dmas entry)`);
    else if (s.controller === undefined) parts.push(`${code(name)} → (empty entry)`);
    else {
      const c = s.controller;
      const compat = c.properties.get('compatible')?.strings() ?? [];
      const meaning = compat.map((x) => compatibleDoc(x)?.dmaCells).find(Boolean);
      const args = s.args.map((v, j) => (meaning?.[j] ? `${meaning[j]} ${v}` : String(v))).join(', ');
      parts.push(`${code(name)} → ${code(c.labels[0] ?? c.name)} (${c.name}${compat[0] ? `, ${compat[0]}` : ''})${args ? `: ${args}` : ''}`);
    }
  }
  return parts.join('; ');
}

function infrastructureFacts(a: Analysis, p: Platform, node: DtNode, k: Kernel | undefined, lines: string[]): void {
  const role = roleOf(node);
  if (role === 'root') {
    lines.push(`${code(p.model)}, arch ${code(p.arch)}`);
    lines.push(`RAM ${p.memory.map((m) => span(m.base, m.size)).join(', ') || 'none'}`);
    if (p.zoneDmaLimit > 0) lines.push(`ZONE_DMA below ${hex(p.zoneDmaLimit)}`);
    lines.push(swiotlb(p, k));
    lines.push(`data cache ${size(p.cacheSize)}, ${p.cacheLineSize}-byte lines; bus bandwidth ${p.busBandwidthMBps} MB/s`);
    lines.push(`${p.devices.length} device${p.devices.length === 1 ? '' : 's'}${p.iommus.length ? `, ${p.iommus.length} IOMMU${p.iommus.length > 1 ? 's' : ''}` : ''}`);
    return;
  }
  if (role === 'chosen') {
    lines.push(swiotlb(p, k));
    return;
  }
  if (role === 'memory') {
    const banks = p.memory.filter((m) => regCovers(node, m.base));
    if (banks.length) lines.push(`RAM ${banks.map((m) => span(m.base, m.size)).join(', ')}`);
    return;
  }
  const r = p.reserved.find((x) => x.node === node);
  if (r) {
    const users = p.devices.filter((d) => d.memoryRegion === r || d.restrictedPool === r).map((d) => code(d.busId));
    const flags = [r.noMap ? 'no-map' : '', r.reusable ? 'reusable' : ''].filter(Boolean).join(', ');
    const what = r.kind === 'restricted-dma-pool' ? 'restricted DMA pool (a private swiotlb)' : r.kind === 'shared-dma-pool' ? 'coherent DMA memory pool' : 'reserved (no pool)';
    lines.push(`${what} ${span(r.base, r.size)}${flags ? `, ${flags}` : ''}`);
    lines.push(users.length ? `used by ${users.join(', ')}` : 'no device points at it (memory-region)');
    return;
  }
  const iommu = p.iommus.find((i) => i.node === node);
  if (iommu) {
    lines.push(`${iommu.kind === 'vtd' ? 'Intel VT-d' : 'Arm SMMUv3'} ${code(iommu.logName)}: ${iommu.kind === 'vtd' ? 'second-level' : 'LPAE stage-1'} page tables in RAM, 48-bit IOVAs`);
    const behind = p.devices.filter((d) => d.iommu?.desc === iommu);
    if (behind.length) {
      const dom = (d: DeviceDesc): string => {
        const id = k?.devices.find((x) => x.desc === d)?.dma.domain?.id;
        return id !== undefined ? `, domain ${id}` : '';
      };
      lines.push(`devices: ${behind.map((d) => `${code(d.busId)} (stream id ${hex(d.iommu!.streamId)}${dom(d)})`).join(', ')}`);
    } else lines.push('no device masters through it');
    return;
  }
  if (node.properties.has('interrupt-controller')) {
    const ic = node.properties.get('#interrupt-cells');
    lines.push(`interrupt controller, ${ic && ic.bytes.length === 4 ? ic.u32() : '?'} cells per specifier`);
    return;
  }
  if (role === 'bus' || node.properties.has('ranges') || node.properties.has('dma-ranges')) busFacts(node, lines);
}

function swiotlb(p: Platform, k: Kernel | undefined): string {
  const t = k?.swiotlb;
  if (t) return `swiotlb ${span(t.start, t.size)}, ${t.nslabs} slots of 2 KiB`;
  return p.swiotlbSize > 0 ? `swiotlb of ${size(p.swiotlbSize)}` : 'no swiotlb';
}

function regCovers(node: DtNode, base: number): boolean {
  const reg = node.properties.get('reg');
  if (!reg || !node.parent) return false;
  const ac = addressCells(node.parent);
  const sc = sizeCells(node.parent);
  const cells = reg.cells();
  for (let i = 0; ac + sc > 0 && i + ac + sc <= cells.length; i += ac + sc) if (Number(cellsValue(cells, i, ac)) === base) return true;
  return false;
}

function busFacts(node: DtNode, lines: string[]): void {
  const cac = addressCells(node);
  const pac = addressCells(node.parent);
  const sc = sizeCells(node);
  for (const name of ['ranges', 'dma-ranges']) {
    const prop = node.properties.get(name);
    if (!prop) continue;
    if (prop.isEmpty()) {
      lines.push(`${code(name)}: 1:1`);
      continue;
    }
    const cells = prop.cells();
    const stride = cac + pac + sc;
    if (stride === 0 || cells.length % stride !== 0) continue;
    const ws: string[] = [];
    for (let i = 0; i < cells.length; i += stride) {
      const child = cellsValue(cells, i, cac);
      const parent = cellsValue(cells, i + cac, pac);
      const len = cellsValue(cells, i + cac + pac, sc);
      ws.push(name === 'ranges' ? `child ${hex(child)} → parent ${hex(parent)} (${size(Number(len))})` : `bus ${hex(child)} → ${hex(parent)} (${size(Number(len))})`);
    }
    lines.push(`${code(name)}: ${ws.join(', ')}`);
  }
}

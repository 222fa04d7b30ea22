/**
 * The dma-mapping core: the entry points drivers call (dma_map_single, dma_unmap_page,
 * dma_sync_*, dma_alloc_coherent...). Each dispatches to the device's back-end (dma-direct or
 * dma-iommu), records the mapping for the checker, and emits the trace event consumers see.
 */
import type { Device } from '../device';
import type { Kernel } from '../kernel';
import type { CallSite } from '../call-site';
import { KernelOops } from '../cpu';
import { DMA_MAPPING_ERROR, DMA_NONE, dirName, validDir } from './dir';
import type { CoherentBuffer, DmaOps, SgSegment } from './env';
import type { DmaEntry, EntryType } from './debug';
import { EIO } from '../errno';
import { maskLimit } from '../device';

export interface SgElem {
  phys: number;
  len: number;
}

export interface SgMapping {
  dev: Device;
  elems: SgElem[];
  segs: SgSegment[];
  dir: number;
  nents: number;
}

export class DmaCore {
  private coherent = new Map<string, CoherentBuffer>();
  private mapIds = 1;

  constructor(private readonly k: Kernel) {}

  ops(dev: Device): DmaOps {
    return dev.dma.domain ? this.k.iommuOps : this.k.direct;
  }

  private checkArgs(dev: Device, size: number, dir: number, api: string): void {
    if (!validDir(dir) || dir === DMA_NONE) throw new KernelOops(`kernel BUG at kernel/dma/mapping.c: ${api}(): invalid DMA direction ${String(dir)} (use DMA_TO_DEVICE, DMA_FROM_DEVICE or DMA_BIDIRECTIONAL)`);
    if (!Number.isInteger(size) || size <= 0 || size > 2 ** 48) throw new KernelOops(`${api}(): invalid size ${String(size)} for ${dev.name}`);
  }

  /** dma_map_page_attrs / dma_map_single_attrs: returns the DMA address or DMA_MAPPING_ERROR. */
  mapPage(dev: Device, phys: number, size: number, dir: number, attrs: number, type: 'single' | 'page', api: string, site: CallSite | undefined): number {
    this.checkArgs(dev, size, dir, api);
    const k = this.k;
    if (k.debug) {
      const block = k.pages.blockAt(phys);
      if (block?.use === 'stack') k.debug.mapFromStack(dev, k.as.va(k.as.linearVa(phys)), site);
    }
    const ops = this.ops(dev);
    const dma = ops.mapPage(dev, phys, size, dir, attrs);
    if (dma === DMA_MAPPING_ERROR) return dma;
    const bounce = ops.bounceSlot(dev, dma);
    const id = this.mapIds++;
    k.debug?.add({ dev, type, dma, size, dir, cpu: [{ phys, len: size }], bus: [{ dma, len: size }], kva: -1, sgCallEnts: 0, sgMappedEnts: 0, mapErr: 'not-checked', site, bounce, api });
    k.emit({ kind: 'dma-map', t: k.now, site, device: dev.nodeName, api, dma, phys, size, dir: dirName(dir), bounced: bounce !== undefined, id });
    return dma;
  }

  unmapPage(dev: Device, dma: number, size: number, dir: number, attrs: number, type: EntryType, api: string, site: CallSite | undefined): void {
    this.checkArgs(dev, size, dir, api);
    const k = this.k;
    const entry = k.debug?.unmap(dev, { dma, size, dir, type }, site, dma === DMA_MAPPING_ERROR);
    if (dma === DMA_MAPPING_ERROR) return;
    // the kernel trusts the driver's arguments: a wrong size or direction has real consequences
    this.ops(dev).unmapPage(dev, dma, size, dir, attrs);
    k.emit({ kind: 'dma-unmap', t: k.now, site, device: dev.nodeName, api, dma, size, dir: dirName(dir), id: entry?.id ?? 0 });
  }

  sync(dev: Device, dma: number, size: number, dir: number, forCpu: boolean, api: string, site: CallSite | undefined): void {
    this.checkArgs(dev, size, dir, api);
    const k = this.k;
    k.debug?.sync(dev, { dma, size, dir }, forCpu, site);
    const ops = this.ops(dev);
    if (forCpu) ops.syncForCpu(dev, dma, size, dir);
    else ops.syncForDevice(dev, dma, size, dir);
    k.emit({ kind: 'dma-sync', t: k.now, site, device: dev.nodeName, api, dma, size, dir: dirName(dir), forCpu });
  }

  mapSg(dev: Device, elems: SgElem[], nents: number, dir: number, attrs: number, api: string, site: CallSite | undefined): SgMapping | null {
    this.checkArgs(dev, Math.max(1, elems.reduce((s, e) => s + e.len, 0)), dir, api);
    const k = this.k;
    if (k.debug) for (const e of elems) if (k.pages.blockAt(e.phys)?.use === 'stack') k.debug.mapFromStack(dev, k.as.va(k.as.linearVa(e.phys)), site);
    const segs = this.ops(dev).mapSg(dev, elems, dir, attrs);
    if (!segs) return null;
    const size = elems.reduce((s, e) => s + e.len, 0);
    const id = this.mapIds++;
    k.debug?.add({ dev, type: 'scatter-gather', dma: segs[0].dma, size, dir, cpu: elems.map((e) => ({ ...e })), bus: segs.map((s) => ({ ...s })), kva: -1, sgCallEnts: nents, sgMappedEnts: segs.length, mapErr: 'none', site, api });
    k.emit({ kind: 'dma-map', t: k.now, site, device: dev.nodeName, api, dma: segs[0].dma, phys: elems[0].phys, size, dir: dirName(dir), bounced: segs.some((s) => this.ops(dev).bounceSlot(dev, s.dma) !== undefined), id });
    return { dev, elems, segs, dir, nents };
  }

  unmapSg(m: SgMapping, nents: number, dir: number, attrs: number, api: string, site: CallSite | undefined): void {
    const k = this.k;
    const size = m.elems.reduce((s, e) => s + e.len, 0);
    this.checkArgs(m.dev, Math.max(size, 1), dir, api);
    const entry = k.debug?.unmap(m.dev, { dma: m.segs[0].dma, size, dir, type: 'scatter-gather', sgCallEnts: nents }, site, false);
    // the kernel walks only the entries it is told about: a wrong count leaves the rest unsynced
    // (and, with dma-direct, still mapped)
    const n = Math.max(0, Math.min(nents, m.elems.length));
    this.ops(m.dev).unmapSg(m.dev, m.elems, m.segs, n, dir, attrs);
    k.emit({ kind: 'dma-unmap', t: k.now, site, device: m.dev.nodeName, api, dma: m.segs[0].dma, size, dir: dirName(dir), id: entry?.id ?? 0 });
  }

  syncSg(m: SgMapping, nents: number, dir: number, forCpu: boolean, api: string, site: CallSite | undefined): void {
    const k = this.k;
    const size = m.elems.reduce((s, e) => s + e.len, 0);
    this.checkArgs(m.dev, Math.max(size, 1), dir, api);
    k.debug?.sync(m.dev, { dma: m.segs[0].dma, size: m.segs[0].len, dir, sgCallEnts: nents }, forCpu, site);
    // the kernel walks only the entries it is told about: a wrong count leaves the rest unsynced
    const n = Math.max(0, Math.min(nents, m.elems.length));
    this.ops(m.dev).syncSg(m.dev, m.elems, m.segs, n, dir, forCpu);
    let synced = 0;
    for (let i = 0; i < n; i++) synced += m.elems[i].len;
    k.emit({ kind: 'dma-sync', t: k.now, site, device: m.dev.nodeName, api, dma: m.segs[0].dma, size: synced, dir: dirName(dir), forCpu });
  }

  allocCoherent(dev: Device, size: number, gfp: number, api: string, site: CallSite | undefined): CoherentBuffer | null {
    if (!Number.isInteger(size) || size <= 0) throw new KernelOops(`${api}(): invalid size ${String(size)} for ${dev.name}`);
    const k = this.k;
    if (size > 2 ** 32) {
      k.log(dev, 'warn', `${api}: refusing ${size} bytes`);
      return null;
    }
    k.gfpCheck(gfp, api);
    const buf = this.ops(dev).allocCoherent(dev, size, gfp);
    if (!buf) {
      k.log(dev, 'warn', `${api}: failed to allocate ${size} bytes`);
      return null;
    }
    this.coherent.set(`${dev.name}:${buf.dma}`, buf);
    const id = this.mapIds++;
    k.debug?.add({ dev, type: 'coherent', dma: buf.dma, size, dir: 0, cpu: [{ phys: buf.phys, len: size }], bus: [{ dma: buf.dma, len: size }], kva: buf.kva, sgCallEnts: 0, sgMappedEnts: 0, mapErr: 'none', site, api });
    k.emit({ kind: 'dma-alloc', t: k.now, site, device: dev.nodeName, api, dma: buf.dma, phys: buf.phys, size, free: false, id });
    return buf;
  }

  freeCoherent(dev: Device, size: number, kva: number, dma: number, api: string, site: CallSite | undefined): void {
    const k = this.k;
    const entry = k.debug?.unmap(dev, { dma, size, dir: 0, type: 'coherent', kva }, site, false);
    const key = `${dev.name}:${dma}`;
    const buf = this.coherent.get(key);
    k.emit({ kind: 'dma-alloc', t: k.now, site, device: dev.nodeName, api, dma, phys: buf?.phys ?? -1, size, free: true, id: entry?.id ?? 0 });
    if (!buf) return;
    this.coherent.delete(key);
    this.ops(dev).freeCoherent(dev, buf);
  }

  coherentBuffers(): IterableIterator<CoherentBuffer> {
    return this.coherent.values();
  }

  mapResource(dev: Device, phys: number, size: number, dir: number, api: string, site: CallSite | undefined): number {
    this.checkArgs(dev, size, dir, api);
    const k = this.k;
    if (k.bus.isRam(phys)) k.log(dev, 'warn', `${api}: ${phys.toString(16)} is RAM, not an MMIO resource: use dma_map_page`);
    const dma = this.ops(dev).mapResource(dev, phys, size, dir);
    if (dma === DMA_MAPPING_ERROR) return dma;
    const id = this.mapIds++;
    k.debug?.add({ dev, type: 'resource', dma, size, dir, cpu: [{ phys, len: size }], bus: [{ dma, len: size }], kva: -1, sgCallEnts: 0, sgMappedEnts: 0, mapErr: 'not-checked', site, api });
    k.emit({ kind: 'dma-map', t: k.now, site, device: dev.nodeName, api, dma, phys, size, dir: dirName(dir), bounced: false, id });
    return dma;
  }

  unmapResource(dev: Device, dma: number, size: number, dir: number, api: string, site: CallSite | undefined): void {
    this.checkArgs(dev, size, dir, api);
    const k = this.k;
    const entry = k.debug?.unmap(dev, { dma, size, dir, type: 'resource' }, site, dma === DMA_MAPPING_ERROR);
    if (dma !== DMA_MAPPING_ERROR) this.ops(dev).unmapResource(dev, dma, size);
    k.emit({ kind: 'dma-unmap', t: k.now, site, device: dev.nodeName, api, dma, size, dir: dirName(dir), id: entry?.id ?? 0 });
  }

  mappingError(dev: Device, dma: number): boolean {
    this.k.debug?.mappingErrorChecked(dev, dma);
    return dma === DMA_MAPPING_ERROR;
  }

  setMask(dev: Device, mask: bigint, which: 'streaming' | 'coherent' | 'both'): number {
    if (mask < 0n || mask > 0xffff_ffff_ffff_ffffn) return -EIO;
    if (which !== 'coherent' && !this.ops(dev).supported(dev, mask)) return -EIO;
    if (which !== 'coherent') dev.dma.mask = mask;
    if (which !== 'streaming') dev.dma.coherentMask = mask;
    return 0;
  }

  maxMappingSize(dev: Device): number {
    return this.ops(dev).maxMappingSize(dev);
  }

  optMappingSize(dev: Device): number {
    return Math.min(this.ops(dev).optMappingSize(dev), this.maxMappingSize(dev));
  }

  /** Read-only view of live mappings for consumers. */
  liveMappings(): DmaEntry[] {
    return this.k.debug?.entries() ?? [];
  }

  requiredMaskBits(dev: Device): number {
    return Math.ceil(Math.log2(maskLimit(dev.dma.mask) + 1));
  }
}

/**
 * dma-iommu: every streaming mapping gets IOVA space in the device's domain and page-table entries
 * whose permissions follow the direction (DMA_TO_DEVICE: the device may only read). A scatterlist
 * maps into one IOVA range and contiguous pieces merge into fewer DMA segments.
 */
import { alignUp } from '../../lib/extents';
import type { Prot } from '../../hw/io-pte';
import { Device, maskLimit } from '../device';
import { orderFor, PAGE_SIZE } from '../page-alloc';
import { archSyncForCpu, archSyncForDevice } from './arch-sync';
import { coherentCpuMapping, releaseCoherentCpuMapping } from './coherent-remap';
import { DMA_ATTR_SKIP_CPU_SYNC, DMA_FROM_DEVICE, DMA_MAPPING_ERROR, DMA_TO_DEVICE } from './dir';
import { CoherentBuffer, DmaEnv, DmaOps, SgSegment, SIZE_MAX } from './env';
import type { IommuDomain } from './iommu-domain';

/** dma_get_max_seg_size() for a platform device without dma_parms. */
const MAX_SEG_SIZE = 65536;
/** iommu_dma_opt_mapping_size(): the largest IOVA size the rcaches serve. */
const OPT_MAPPING_SIZE = PAGE_SIZE << 5;

export function protFromDir(dir: number): Prot {
  return { read: dir !== DMA_FROM_DEVICE, write: dir !== DMA_TO_DEVICE };
}

export class IommuOps implements DmaOps {
  readonly name = 'iommu' as const;

  constructor(private readonly env: DmaEnv) {}

  private domain(dev: Device): IommuDomain {
    return dev.dma.domain!;
  }

  private limit(dev: Device, coherent = false): number {
    return Math.min(maskLimit(coherent ? dev.dma.coherentMask : dev.dma.mask), dev.dma.busDmaLimit);
  }

  mapPage(dev: Device, phys: number, size: number, dir: number, attrs: number): number {
    const d = this.domain(dev);
    const off = phys % PAGE_SIZE;
    const len = alignUp(size + off, PAGE_SIZE);
    if (!dev.dma.coherent && !(attrs & DMA_ATTR_SKIP_CPU_SYNC)) archSyncForDevice(this.env.cache, this.env.arch, phys, size, dir);
    const iova = d.allocIova(len, this.limit(dev));
    if (iova < 0) {
      this.env.log(dev, 'err', `iommu: no IOVA space for ${len} bytes below ${this.limit(dev).toString(16)}`);
      return DMA_MAPPING_ERROR;
    }
    if (!d.map(iova, phys - off, len, protFromDir(dir))) {
      d.freeIova(iova);
      return DMA_MAPPING_ERROR;
    }
    return iova + off;
  }

  unmapPage(dev: Device, dma: number, size: number, dir: number, attrs: number): void {
    const d = this.domain(dev);
    const off = dma % PAGE_SIZE;
    const iova = dma - off;
    const phys = d.iovaToPhys(dma);
    if (phys >= 0 && !dev.dma.coherent && !(attrs & DMA_ATTR_SKIP_CPU_SYNC)) archSyncForCpu(this.env.cache, this.env.arch, phys, size, dir);
    d.unmap(iova, alignUp(size + off, PAGE_SIZE));
    d.freeIova(iova);
  }

  syncForCpu(dev: Device, dma: number, size: number, dir: number): void {
    if (dev.dma.coherent) return;
    this.forEachPhysRun(dev, dma, size, (p, n) => archSyncForCpu(this.env.cache, this.env.arch, p, n, dir));
  }

  syncForDevice(dev: Device, dma: number, size: number, dir: number): void {
    if (dev.dma.coherent) return;
    this.forEachPhysRun(dev, dma, size, (p, n) => archSyncForDevice(this.env.cache, this.env.arch, p, n, dir));
  }

  mapSg(dev: Device, elems: { phys: number; len: number }[], dir: number, attrs: number): SgSegment[] | null {
    const d = this.domain(dev);
    // each element is padded to page granularity inside one IOVA range
    let total = 0;
    const layout = elems.map((e) => {
      const off = e.phys % PAGE_SIZE;
      const span = alignUp(e.len + off, PAGE_SIZE);
      const at = total;
      total += span;
      return { ...e, off, span, at };
    });
    if (total === 0) return null;
    const iova = d.allocIova(total, this.limit(dev));
    if (iova < 0) return null;
    const prot = protFromDir(dir);
    for (const e of layout) {
      if (!dev.dma.coherent && !(attrs & DMA_ATTR_SKIP_CPU_SYNC)) archSyncForDevice(this.env.cache, this.env.arch, e.phys, e.len, dir);
      if (!d.map(iova + e.at, e.phys - e.off, e.span, prot)) {
        d.unmap(iova, e.at);
        d.freeIova(iova);
        return null;
      }
    }
    // merge: a piece continues the previous segment when the IOVAs are contiguous
    const segs: SgSegment[] = [];
    for (const e of layout) {
      const dma = iova + e.at + e.off;
      const last = segs[segs.length - 1];
      if (last && last.dma + last.len === dma && last.len + e.len <= MAX_SEG_SIZE) last.len += e.len;
      else segs.push({ dma, len: e.len });
    }
    return segs;
  }

  syncSg(dev: Device, elems: readonly { phys: number; len: number }[], _segs: readonly SgSegment[], nents: number, dir: number, forCpu: boolean): void {
    // as iommu_dma_sync_sg_*: cache maintenance on each entry's CPU pages, not on the merged segments
    if (dev.dma.coherent) return;
    for (const e of elems.slice(0, nents)) {
      if (forCpu) archSyncForCpu(this.env.cache, this.env.arch, e.phys, e.len, dir);
      else archSyncForDevice(this.env.cache, this.env.arch, e.phys, e.len, dir);
    }
  }

  unmapSg(dev: Device, elems: readonly { phys: number; len: number }[], segs: readonly SgSegment[], nents: number, dir: number, attrs: number): void {
    const d = this.domain(dev);
    if (!segs.length) return;
    // the whole IOVA range goes (it is one allocation); only the named entries are synced back
    if (!dev.dma.coherent && !(attrs & DMA_ATTR_SKIP_CPU_SYNC)) for (const e of elems.slice(0, nents)) archSyncForCpu(this.env.cache, this.env.arch, e.phys, e.len, dir);
    const start = segs[0].dma - (segs[0].dma % PAGE_SIZE);
    const alloc = d.iovaAllocAt(start);
    d.unmap(start, alloc ? alloc.size : alignUp(segs.reduce((s, x) => s + x.len, 0), PAGE_SIZE));
    d.freeIova(start);
  }

  allocCoherent(dev: Device, size: number, gfp: number): CoherentBuffer | null {
    const env = this.env;
    const d = this.domain(dev);
    const bytes = PAGE_SIZE << orderFor(size);
    const phys = env.pages.alloc(orderFor(size), gfp, 'dma-coherent');
    if (phys < 0) return null;
    const iova = d.allocIova(bytes, this.limit(dev, true));
    if (iova < 0 || !d.map(iova, phys, bytes, { read: true, write: true })) {
      if (iova >= 0) d.freeIova(iova);
      env.pages.free(phys);
      return null;
    }
    const m = coherentCpuMapping(env, phys, size, dev.dma.coherent, true);
    if (!m) {
      d.unmap(iova, bytes);
      d.freeIova(iova);
      env.pages.free(phys);
      return null;
    }
    return { kva: m.kva, dma: iova, phys, size, source: 'pages', remapped: m.remapped };
  }

  freeCoherent(dev: Device, buf: CoherentBuffer): void {
    const d = this.domain(dev);
    const alloc = d.iovaAllocAt(buf.dma);
    d.unmap(buf.dma, alloc ? alloc.size : alignUp(buf.size, PAGE_SIZE));
    d.freeIova(buf.dma);
    releaseCoherentCpuMapping(this.env, buf.kva, buf.remapped);
    this.env.pages.free(buf.phys);
  }

  mapResource(dev: Device, phys: number, size: number, dir: number): number {
    const d = this.domain(dev);
    const off = phys % PAGE_SIZE;
    const len = alignUp(size + off, PAGE_SIZE);
    const iova = d.allocIova(len, this.limit(dev));
    if (iova < 0) return DMA_MAPPING_ERROR;
    if (!d.map(iova, phys - off, len, protFromDir(dir))) {
      d.freeIova(iova);
      return DMA_MAPPING_ERROR;
    }
    return iova + off;
  }

  unmapResource(dev: Device, dma: number, size: number): void {
    const d = this.domain(dev);
    const off = dma % PAGE_SIZE;
    d.unmap(dma - off, alignUp(size + off, PAGE_SIZE));
    d.freeIova(dma - off);
  }

  maxMappingSize(): number {
    return SIZE_MAX;
  }

  optMappingSize(): number {
    return OPT_MAPPING_SIZE;
  }

  supported(): boolean {
    return true;
  }

  dmaToPhys(dev: Device, dma: number): number {
    return this.domain(dev).iovaToPhys(dma);
  }

  bounceSlot(): undefined {
    return undefined;
  }

  private forEachPhysRun(dev: Device, dma: number, size: number, fn: (phys: number, len: number) => void): void {
    const d = this.domain(dev);
    let done = 0;
    while (done < size) {
      const n = Math.min(size - done, PAGE_SIZE - ((dma + done) % PAGE_SIZE));
      const p = d.iovaToPhys(dma + done);
      if (p >= 0) fn(p, n);
      done += n;
    }
  }
}

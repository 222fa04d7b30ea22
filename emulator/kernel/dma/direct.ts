/**
 * dma-direct: DMA addresses are physical addresses seen through the bus's dma-ranges. A buffer the
 * device cannot reach (mask or bus limit) bounces through swiotlb, or fails when there is none.
 * Non-coherent devices get cache maintenance on map, sync and unmap.
 */
import { hex } from '../../lib/hex';
import { Device, maskLimit } from '../device';
import { GFP_DMA, GFP_DMA32, GFP_KERNEL } from '../gfp';
import { orderFor, PAGE_SIZE } from '../page-alloc';
import { archSyncForCpu, archSyncForDevice } from './arch-sync';
import { coherentCpuMapping, releaseCoherentCpuMapping } from './coherent-remap';
import { DMA_ATTR_SKIP_CPU_SYNC, DMA_BIDIRECTIONAL, DMA_FROM_DEVICE, DMA_MAPPING_ERROR, DMA_TO_DEVICE } from './dir';
import { CoherentBuffer, DmaEnv, DmaOps, SgSegment, SIZE_MAX } from './env';
import { Swiotlb } from './swiotlb';

const FOUR_GIB = 0x1_0000_0000;

export class DirectOps implements DmaOps {
  readonly name = 'direct' as const;

  constructor(private readonly env: DmaEnv) {}

  physToDma(dev: Device, phys: number): number {
    const r = dev.dma.port.dmaRanges;
    if (r.length === 0) return phys;
    for (const w of r) if (phys >= w.cpu && phys < w.cpu + w.size) return phys - w.cpu + w.bus;
    return DMA_MAPPING_ERROR;
  }

  dmaToPhys(dev: Device, dma: number): number {
    const r = dev.dma.port.dmaRanges;
    if (r.length === 0) return dma;
    for (const w of r) if (dma >= w.bus && dma < w.bus + w.size) return dma - w.bus + w.cpu;
    return -1;
  }

  /** dma_capable(): the whole range below min(mask, bus limit). */
  capable(dev: Device, dma: number, size: number, coherentMask = false): boolean {
    if (dma < 0) return false;
    const limit = Math.min(maskLimit(coherentMask ? dev.dma.coherentMask : dev.dma.mask), dev.dma.busDmaLimit);
    return dma + size - 1 <= limit;
  }

  mapPage(dev: Device, phys: number, size: number, dir: number, attrs: number): number {
    const pool = dev.dma.swiotlb;
    const dma = this.physToDma(dev, phys);
    if (dev.dma.forceBounce && pool) return this.swiotlbMap(dev, pool, phys, size, dir, attrs);
    if (!this.capable(dev, dma, size)) {
      if (pool) return this.swiotlbMap(dev, pool, phys, size, dir, attrs);
      this.env.finding('mask-unreachable', dev, `DMA addr ${dma < 0 ? `(no dma-ranges window for phys ${hex(phys)})` : hex(dma, 16)}+${size} overflow (mask ${dev.dma.mask.toString(16)}, bus limit ${limitHex(dev.dma.busDmaLimit)}).`);
      return DMA_MAPPING_ERROR;
    }
    if (!dev.dma.coherent && !(attrs & DMA_ATTR_SKIP_CPU_SYNC)) archSyncForDevice(this.env.cache, this.env.arch, phys, size, dir);
    return dma;
  }

  unmapPage(dev: Device, dma: number, size: number, dir: number, attrs: number): void {
    const phys = this.dmaToPhys(dev, dma);
    if (phys < 0) return;
    if (!dev.dma.coherent && !(attrs & DMA_ATTR_SKIP_CPU_SYNC)) archSyncForCpu(this.env.cache, this.env.arch, phys, size, dir);
    const pool = dev.dma.swiotlb;
    if (pool && pool.contains(phys)) this.swiotlbUnmap(dev, pool, phys, size, dir, attrs);
  }

  syncForCpu(dev: Device, dma: number, size: number, dir: number): void {
    const phys = this.dmaToPhys(dev, dma);
    if (phys < 0) return;
    if (!dev.dma.coherent) archSyncForCpu(this.env.cache, this.env.arch, phys, size, dir);
    const pool = dev.dma.swiotlb;
    if (pool && pool.contains(phys) && (dir === DMA_FROM_DEVICE || dir === DMA_BIDIRECTIONAL)) this.bounce(dev, pool, phys, size, false);
  }

  syncForDevice(dev: Device, dma: number, size: number, dir: number): void {
    const phys = this.dmaToPhys(dev, dma);
    if (phys < 0) return;
    const pool = dev.dma.swiotlb;
    if (pool && pool.contains(phys) && (dir === DMA_TO_DEVICE || dir === DMA_BIDIRECTIONAL)) this.bounce(dev, pool, phys, size, true);
    if (!dev.dma.coherent) archSyncForDevice(this.env.cache, this.env.arch, phys, size, dir);
  }

  mapSg(dev: Device, elems: { phys: number; len: number }[], dir: number, attrs: number): SgSegment[] | null {
    const segs: SgSegment[] = [];
    for (const e of elems) {
      const dma = this.mapPage(dev, e.phys, e.len, dir, attrs);
      if (dma === DMA_MAPPING_ERROR) {
        segs.forEach((s) => this.unmapPage(dev, s.dma, s.len, dir, attrs | DMA_ATTR_SKIP_CPU_SYNC));
        return null;
      }
      segs.push({ dma, len: e.len });
    }
    return segs;
  }

  unmapSg(dev: Device, _elems: readonly { phys: number; len: number }[], segs: readonly SgSegment[], nents: number, dir: number, attrs: number): void {
    // one segment per entry: the ones not named stay mapped
    for (const s of segs.slice(0, nents)) this.unmapPage(dev, s.dma, s.len, dir, attrs);
  }

  syncSg(dev: Device, _elems: readonly { phys: number; len: number }[], segs: readonly SgSegment[], nents: number, dir: number, forCpu: boolean): void {
    // one segment per entry: each synced like a single mapping (bounce slots included)
    for (const s of segs.slice(0, nents)) {
      if (forCpu) this.syncForCpu(dev, s.dma, s.len, dir);
      else this.syncForDevice(dev, s.dma, s.len, dir);
    }
  }

  allocCoherent(dev: Device, size: number, gfp: number): CoherentBuffer | null {
    const env = this.env;
    const cp = dev.dma.coherentPool;
    if (cp) {
      const phys = cp.take(size);
      if (phys < 0) return null;
      const m = coherentCpuMapping(env, phys, size, dev.dma.coherent, !cp.noMap);
      if (!m) {
        cp.give(phys);
        return null;
      }
      return { kva: m.kva, dma: this.physToDma(dev, phys), phys, size, source: 'pool', remapped: m.remapped };
    }
    if (dev.dma.forceBounce && dev.dma.swiotlb) {
      const pool = dev.dma.swiotlb;
      const phys = pool.alloc(-2, Math.ceil(size / PAGE_SIZE) * PAGE_SIZE, () => true);
      if (phys < 0) return null;
      const m = coherentCpuMapping(env, phys, size, dev.dma.coherent, true);
      if (!m) {
        pool.release(phys);
        return null;
      }
      return { kva: m.kva, dma: this.physToDma(dev, phys), phys, size, source: 'swiotlb', remapped: m.remapped };
    }
    // dma_direct_optimal_gfp_mask: the zone that fits the coherent mask and the bus limit
    const limitBus = Math.min(maskLimit(dev.dma.coherentMask), dev.dma.busDmaLimit);
    const physLimit = this.busLimitToPhys(dev, limitBus);
    let zoneGfp = gfp & ~(GFP_DMA | GFP_DMA32);
    if (physLimit < env.zoneDmaLimit) zoneGfp |= GFP_DMA;
    else if (physLimit < FOUR_GIB) zoneGfp |= GFP_DMA32;
    const order = orderFor(size);
    for (const g of [zoneGfp, (zoneGfp & ~GFP_DMA32) | GFP_DMA]) {
      const phys = env.pages.alloc(order, g || GFP_KERNEL, 'dma-coherent', { limit: physLimit + 1 });
      if (phys < 0) continue;
      const dma = this.physToDma(dev, phys);
      if (!this.capable(dev, dma, size, true)) {
        env.pages.free(phys);
        continue;
      }
      const m = coherentCpuMapping(env, phys, size, dev.dma.coherent, true);
      if (!m) {
        env.pages.free(phys);
        return null;
      }
      return { kva: m.kva, dma, phys, size, source: 'pages', remapped: m.remapped };
    }
    return null;
  }

  freeCoherent(dev: Device, buf: CoherentBuffer): void {
    releaseCoherentCpuMapping(this.env, buf.kva, buf.remapped);
    if (buf.source === 'pool') dev.dma.coherentPool?.give(buf.phys);
    else if (buf.source === 'swiotlb') dev.dma.swiotlb?.release(buf.phys);
    else this.env.pages.free(buf.phys);
  }

  mapResource(dev: Device, phys: number, size: number, _dir: number): number {
    const dma = this.physToDma(dev, phys);
    if (!this.capable(dev, dma, size)) {
      this.env.finding('mask-unreachable', dev, `DMA addr ${dma < 0 ? `(no dma-ranges window for phys ${hex(phys)})` : hex(dma, 16)}+${size} overflow (mask ${dev.dma.mask.toString(16)}, bus limit ${limitHex(dev.dma.busDmaLimit)}).`);
      return DMA_MAPPING_ERROR;
    }
    return dma;
  }

  unmapResource(): void {
    /* nothing to undo in dma-direct */
  }

  maxMappingSize(dev: Device): number {
    if (dev.dma.swiotlb && (dev.dma.forceBounce || this.addressingLimited(dev))) return Swiotlb.maxMappingSize;
    return SIZE_MAX;
  }

  optMappingSize(dev: Device): number {
    return this.maxMappingSize(dev);
  }

  supported(dev: Device, mask: bigint): boolean {
    if (mask >= 0xffff_ffffn) return true;
    // the smallest zone must be reachable with this mask
    const banks = this.env.pages.zones;
    const lowest = banks.length ? banks[0].start : 0;
    const zoneTop = this.env.zoneDmaLimit > 0 ? this.env.zoneDmaLimit - 1 : lowest + PAGE_SIZE - 1;
    const minMask = this.physToDma(dev, zoneTop);
    return minMask >= 0 && maskLimit(mask) >= minMask;
  }

  bounceSlot(dev: Device, dma: number): number | undefined {
    const phys = this.dmaToPhys(dev, dma);
    return phys >= 0 && dev.dma.swiotlb?.contains(phys) ? phys : undefined;
  }

  /** Whether some RAM is beyond what the device can address. */
  private addressingLimited(dev: Device): boolean {
    const top = this.env.pages.zones.reduce((m, z) => Math.max(m, z.end), 0) - 1;
    const dma = this.physToDma(dev, top);
    return dma < 0 || !this.capable(dev, dma, 1);
  }

  private busLimitToPhys(dev: Device, busLimit: number): number {
    const r = dev.dma.port.dmaRanges;
    if (r.length === 0) return busLimit;
    let best = -1;
    for (const w of r) if (busLimit >= w.bus) best = Math.max(best, Math.min(busLimit, w.bus + w.size - 1) - w.bus + w.cpu);
    return best;
  }

  private swiotlbMap(dev: Device, pool: Swiotlb, phys: number, size: number, dir: number, attrs: number): number {
    const env = this.env;
    const tlb = pool.alloc(phys, size, (slot, sz) => this.capable(dev, this.physToDma(dev, slot), sz));
    if (tlb < 0) {
      if (size > Swiotlb.maxMappingSize) {
        env.log(dev, 'err', `swiotlb: mapping of ${size} bytes exceeds the ${Swiotlb.maxMappingSize}-byte maximum (dma_max_mapping_size)`);
      }
      env.finding('swiotlb-full', dev, `swiotlb buffer is full (sz: ${size} bytes), total ${pool.nslabs} (slots), used ${pool.used} (slots)`);
      return DMA_MAPPING_ERROR;
    }
    const dma = this.physToDma(dev, tlb);
    if (!this.capable(dev, dma, size)) {
      pool.release(tlb);
      env.finding('mask-unreachable', dev, `swiotlb addr ${hex(dma, 16)}+${size} overflow (mask ${dev.dma.mask.toString(16)}, bus limit ${limitHex(dev.dma.busDmaLimit)}).`);
      return DMA_MAPPING_ERROR;
    }
    // the kernel always copies the original into the slot, whatever the direction
    this.bounce(dev, pool, tlb, size, true);
    if (!dev.dma.coherent && !(attrs & DMA_ATTR_SKIP_CPU_SYNC)) archSyncForDevice(env.cache, env.arch, tlb, size, dir);
    return dma;
  }

  private swiotlbUnmap(dev: Device, pool: Swiotlb, tlb: number, size: number, dir: number, attrs: number): void {
    const at = pool.infoAt(tlb);
    if (!at) return;
    if (!(attrs & DMA_ATTR_SKIP_CPU_SYNC) && (dir === DMA_FROM_DEVICE || dir === DMA_BIDIRECTIONAL)) this.bounce(dev, pool, tlb, size, false);
    pool.release(at.slot);
  }

  private bounce(dev: Device, pool: Swiotlb, tlb: number, size: number, toDevice: boolean): void {
    const r = pool.bounce(this.env.cache, tlb, size, toDevice);
    if (r) this.env.emit({ kind: 'bounce', t: this.env.now(), device: dev.nodeName, dir: toDevice ? 'to-slot' : 'from-slot', orig: r.orig, slot: tlb, size });
  }
}

function limitHex(limit: number): string {
  return limit === Infinity ? '0' : limit.toString(16);
}

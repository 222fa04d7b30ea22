/**
 * How kernel values read in a debugger: pointers with their physical address and owner, DMA
 * addresses in hex, scatterlist entries with their segment, MMIO windows, devices. Each
 * description may carry a memory reference for hex views.
 */
import type { Kernel } from '../kernel/kernel';
import { Ptr } from '../kernel/ptr';
import { Device } from '../kernel/device';
import { IoMem, PlatformDevice } from '../kernel/driver-core';
import { UserPtr } from '../kernel/chardev';

export interface ValueView {
  text: string;
  type: string;
  memoryReference?: string;
}

const hex = (n: number | bigint) => `0x${n.toString(16)}`;

export function describeValue(k: Kernel, v: unknown): ValueView | undefined {
  if (v instanceof Ptr) {
    const t = k.as.translate(v.kva);
    let what = t ? `phys ${hex(t.phys)}` : 'unmapped';
    if (t) {
      const obj = k.kmalloc.objectAt(t.phys);
      const block = k.pages.blockAt(t.phys);
      if (obj) what += `, ${obj.cache ?? 'kmalloc'} object +${t.phys - obj.phys} of ${obj.size} bytes`;
      else if (block) what += `, ${block.use}`;
      if (!t.cached) what += ', uncached';
      const owner = k.debug?.entries().find((e) => e.type !== 'coherent' && e.cpu.some((c) => t.phys >= c.phys && t.phys < c.phys + c.len));
      if (owner) what += `, mapped ${owner.type} for ${owner.dev.nodeName}: owned by the ${owner.owner}`;
    } else if (k.as.isVmalloc(v.kva)) what = 'vmalloc area, unmapped';
    return { text: `${hex(v.va)} (${what})`, type: 'Ptr', memoryReference: hex(v.va) };
  }
  if (typeof v === 'bigint') return { text: `${hex(BigInt.asUintN(64, v))} (${v})`, type: 'bigint' };
  if (v instanceof IoMem) return { text: `${hex(v.va)} (MMIO ${hex(v.phys + v.offset)}, ${v.size}-byte window)`, type: 'IoMem' };
  if (v instanceof Device) return { text: `device ${v.name} (${v.nodeName}${v.dma.domain ? `, IOMMU domain ${v.dma.domain.id}` : ''}${v.dma.coherent ? ', coherent' : ', non-coherent'}, mask ${hex(v.dma.mask)})`, type: 'Device' };
  if (v instanceof PlatformDevice) return { text: `platform_device ${v.name}`, type: 'PlatformDevice' };
  if (v instanceof UserPtr) return { text: `${hex(v.uva)} (__user)`, type: 'UserPtr' };
  if (v && typeof v === 'object' && (v as { constructor?: { name?: string } }).constructor?.name === 'Scatterlist') {
    const s = v as { buf: Ptr | null; length: number; dma_address: number; dma_length: number };
    const seg = s.dma_address >= 0 ? ` → dma ${hex(s.dma_address)}, ${s.dma_length} bytes` : '';
    return { text: `sg ${s.buf ? hex(s.buf.va) : 'empty'}, ${s.length} bytes${seg}`, type: 'Scatterlist', memoryReference: s.buf ? hex(s.buf.va) : undefined };
  }
  if (v && typeof v === 'object' && 'cpu' in v && 'dma' in v && (v as { cpu: unknown }).cpu instanceof Ptr && typeof (v as { dma: unknown }).dma === 'bigint') {
    const c = v as { cpu: Ptr; dma: bigint };
    return { text: `coherent { cpu: ${hex(c.cpu.va)}, dma: ${hex(c.dma)} }`, type: 'DmaCoherent', memoryReference: hex(c.cpu.va) };
  }
  return undefined;
}

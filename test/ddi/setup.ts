/** Shared set-up of the DDI tests: a kernel with a dev_info_t for its dad device, attributes, a device that writes. */
import { boot, device } from '../helpers/kernel';
import type { Kernel } from '../../emulator/kernel/kernel';
import { PlatformDevice } from '../../emulator/kernel/driver-core';
import { DevInfo } from '../../emulator/kernel/ddi/devinfo';
import * as ddi from '../../emulator/api/ddi/index';
import type { TransferTag } from '../../emulator/kernel/dma/debug';

export interface Rig {
  k: Kernel;
  dip: DevInfo;
}

/** Boot `platform` and make the dev_info_t of its dad node, as attach would get it. */
export function rig(platform: string, seed = 1): Rig {
  const k = boot(platform, seed);
  const dev = device(k, 'dad');
  dev.driverName = 'ddt';
  return { k, dip: new DevInfo(k, new PlatformDevice(dev, 0), 0, 'ddt', 200, undefined) };
}

/** Permissive 32-bit attributes; override what a test is about. */
export function attr(over: Partial<ddi.ddi_dma_attr_t> = {}): ddi.ddi_dma_attr_t {
  return {
    dma_attr_version: ddi.DMA_ATTR_V0,
    dma_attr_addr_lo: 0n,
    dma_attr_addr_hi: 0xffff_ffffn,
    dma_attr_count_max: 0xffff_ffffn,
    dma_attr_align: 1,
    dma_attr_burstsizes: 0x3c,
    dma_attr_minxfer: 1,
    dma_attr_maxxfer: 0xffff_ffffn,
    dma_attr_seg: 0xffff_ffffn,
    dma_attr_sgllen: 0x7fff_ffff,
    dma_attr_granular: 1,
    dma_attr_flags: 0,
    ...over,
  };
}

export function handle(r: Rig, a: ddi.ddi_dma_attr_t): ddi.ddi_dma_handle_t {
  const h = ddi.ddi_dma_alloc_handle(r.dip, a, ddi.DDI_DMA_SLEEP);
  if (h.status !== ddi.DDI_SUCCESS) throw new Error(`ddi_dma_alloc_handle: ${h.status}`);
  return h.handle;
}

/** The cookies of the current window: the one from the bind/getwin and the rest from ddi_dma_nextcookie. */
export function cookies(h: ddi.ddi_dma_handle_t, first: ddi.ddi_dma_cookie_t, ccount: number): ddi.ddi_dma_cookie_t[] {
  const out = [first];
  for (let i = 1; i < ccount; i++) out.push(ddi.ddi_dma_nextcookie(h));
  return out;
}

/** Every window's cookies, walked with ddi_dma_getwin, with each window's offset and length. */
export function walk(h: ddi.ddi_dma_handle_t, bind: { cookie: ddi.ddi_dma_cookie_t; ccount: number }): { off: number; len: number; cookies: ddi.ddi_dma_cookie_t[] }[] {
  const { nwin } = ddi.ddi_dma_numwin(h);
  const out = [];
  for (let w = 0; w < nwin; w++) {
    if (w === 0) {
      const cs = cookies(h, bind.cookie, bind.ccount);
      out.push({ off: 0, len: cs.reduce((s, c) => s + c.dmac_size, 0), cookies: cs });
      continue;
    }
    const r = ddi.ddi_dma_getwin(h, w);
    if (r.status !== ddi.DDI_SUCCESS) throw new Error(`ddi_dma_getwin(${w}) failed`);
    out.push({ off: r.off, len: r.len, cookies: cookies(h, r.cookie, r.ccount) });
  }
  return out;
}

/** The device writes `data` at a cookie's address (through its IOMMU or bus window, past a non-coherent cache). */
export function deviceWrites(r: Rig, c: ddi.ddi_dma_cookie_t, data: Uint8Array): number {
  return r.k.bus.deviceWrite(r.dip.dev.dma.port, Number(c.dmac_laddress), data, 0, Math.min(data.length, c.dmac_size), tag(r, 'test write'));
}

/** What a device model passes with its accesses, so the checker can say which transfer it was. */
function tag(r: Rig, label: string): TransferTag {
  return { device: r.dip.dev, id: 0, label, t: r.k.now };
}

/** The device reads a cookie. */
export function deviceReads(r: Rig, c: ddi.ddi_dma_cookie_t): Uint8Array {
  const out = new Uint8Array(c.dmac_size);
  r.k.bus.deviceRead(r.dip.dev.dma.port, Number(c.dmac_laddress), out, 0, c.dmac_size, tag(r, 'test read'));
  return out;
}

export function pattern(len: number, seed: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) out[i] = (i * 7 + seed) & 0xff;
  return out;
}

export function ids(k: Kernel): string[] {
  return k.findings.map((f) => f.id);
}

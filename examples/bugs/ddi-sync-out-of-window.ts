// A read of two blocks is bound with DDI_DMA_PARTIAL and dma_attr_maxxfer of one block, so it has
// two windows. After walking them, read(9E) syncs the whole object for the kernel as if it were one
// window: offset 0 means the start of the current (second) window, and the length runs past its
// end. ddi_dma_sync fails with DDI_FAILURE and synchronizes nothing.
// platforms: x86-64-vtd, arm64-smmu-noncoherent, arm32-swiotlb
import {
  ddi_driver, dev_info_t, dev_t, uio_t, Ptr, caddr_t, ddi_acc_handle_t, ddi_intr_handle_t, ddi_dma_handle_t,
  ddi_dma_mem_handle_t, ddi_dma_attr_t, ddi_dma_cookie_t, kmutex_t, kcondvar_t, DDI_ATTACH, DDI_DETACH,
  DDI_SUCCESS, DDI_FAILURE, DMA_ATTR_V0, DDI_DMA_SLEEP, DDI_DMA_READ, DDI_DMA_STREAMING, DDI_DMA_PARTIAL,
  DDI_DMA_PARTIAL_MAP, DDI_DMA_MAPPED, DDI_DMA_SYNC_FORKERNEL, DDI_INTR_TYPE_FIXED, DDI_INTR_ALLOC_STRICT,
  DDI_INTR_CLAIMED, DDI_INTR_UNCLAIMED, S_IFCHR, DDI_PSEUDO, MUTEX_DRIVER, CV_DRIVER, UIO_READ, EIO, ENOMEM,
  ddi_regs_map_setup, ddi_regs_map_free, ddi_get32, ddi_put8, ddi_put32, ddi_intr_alloc, ddi_intr_get_pri,
  ddi_intr_add_handler, ddi_intr_enable, ddi_intr_disable, ddi_intr_remove_handler, ddi_intr_free, DDI_INTR_PRI,
  ddi_dma_alloc_handle, ddi_dma_free_handle, ddi_dma_mem_alloc, ddi_dma_mem_free, ddi_dma_addr_bind_handle,
  ddi_dma_unbind_handle, ddi_dma_numwin, ddi_dma_getwin, ddi_dma_sync, ddi_create_minor_node,
  ddi_remove_minor_node, uiomove, mutex_init, mutex_enter, mutex_exit, cv_init, cv_wait, cv_signal,
} from 'dmalab/ddi';
import { DAD_COMMAND, DAD_ADDR, DAD_ADDR_HI, DAD_LEN, DAD_STATUS, DAD_CMD_RD, DAD_CMD_ENABLEDMA, DAD_STATUS_DONE, DAD_STATUS_ERROR } from 'dmalab/devices';

const BLOCK = 4096;
const attr: ddi_dma_attr_t = {
  dma_attr_version: DMA_ATTR_V0, dma_attr_addr_lo: 0n, dma_attr_addr_hi: 0xffff_ffffn, dma_attr_count_max: 0xffff_ffffn,
  dma_attr_align: BLOCK, dma_attr_burstsizes: 0x3c, dma_attr_minxfer: 1, dma_attr_maxxfer: BLOCK,
  dma_attr_seg: 0xffff_ffffn, dma_attr_sgllen: 1, dma_attr_granular: 1, dma_attr_flags: 0,
};
let regs: caddr_t, regs_h: ddi_acc_handle_t, intr_h: ddi_intr_handle_t, dma_h: ddi_dma_handle_t;
let buf: Ptr, buf_acc: ddi_dma_mem_handle_t, mutex: kmutex_t, cv: kcondvar_t, busy = false, status = 0;

function dad_intr(): number {
  mutex_enter(mutex);
  const st = ddi_get32(regs_h, regs.add(DAD_STATUS));
  if (!(st & DAD_STATUS_DONE)) {
    mutex_exit(mutex);
    return DDI_INTR_UNCLAIMED;
  }
  ddi_put32(regs_h, regs.add(DAD_STATUS), DAD_STATUS_DONE | DAD_STATUS_ERROR);
  status = st & DAD_STATUS_ERROR ? EIO : 0;
  busy = false;
  cv_signal(cv);
  mutex_exit(mutex);
  return DDI_INTR_CLAIMED;
}

async function transfer(c: ddi_dma_cookie_t): Promise<number> {
  mutex_enter(mutex);
  ddi_put8(regs_h, regs.add(DAD_COMMAND), DAD_CMD_RD);
  ddi_put32(regs_h, regs.add(DAD_ADDR), c.dmac_address);
  ddi_put32(regs_h, regs.add(DAD_ADDR_HI), Number(c.dmac_laddress >> 32n));
  ddi_put32(regs_h, regs.add(DAD_LEN), c.dmac_size);
  busy = true;
  ddi_put8(regs_h, regs.add(DAD_COMMAND), DAD_CMD_ENABLEDMA);
  while (busy) await cv_wait(cv, mutex);
  mutex_exit(mutex);
  return status;
}

async function dad_read(_dev: dev_t, uio: uio_t): Promise<number> {
  const count = Math.min(uio.uio_resid, 2 * BLOCK);
  const b = ddi_dma_addr_bind_handle(dma_h, null, buf, count, DDI_DMA_READ | DDI_DMA_STREAMING | DDI_DMA_PARTIAL, DDI_DMA_SLEEP);
  if (b.status !== DDI_DMA_MAPPED && b.status !== DDI_DMA_PARTIAL_MAP) return ENOMEM;
  const { nwin } = ddi_dma_numwin(dma_h);
  let err = await transfer(b.cookie);
  for (let win = 1; win < nwin && !err; win++) {
    const w = ddi_dma_getwin(dma_h, win);
    err = w.status === DDI_SUCCESS ? await transfer(w.cookie) : EIO;
  }
  ddi_dma_sync(dma_h, 0, count, DDI_DMA_SYNC_FORKERNEL); // BUG: ddi-sync-out-of-window
  ddi_dma_unbind_handle(dma_h);
  return err || uiomove(buf, count, UIO_READ, uio);
}

export default ddi_driver({
  name: 'dad',
  compatible: 'dmalab,dad',
  attach(dip: dev_info_t, cmd: number) {
    if (cmd !== DDI_ATTACH) return DDI_FAILURE;
    const r = ddi_regs_map_setup(dip, 0, 0, 0, null);
    if (r.status !== DDI_SUCCESS) return DDI_FAILURE;
    [regs, regs_h] = [r.addr, r.handle];
    const i = ddi_intr_alloc(dip, DDI_INTR_TYPE_FIXED, 0, 1, DDI_INTR_ALLOC_STRICT);
    const h = ddi_dma_alloc_handle(dip, attr, DDI_DMA_SLEEP);
    if (i.status !== DDI_SUCCESS || h.status !== DDI_SUCCESS) return DDI_FAILURE;
    [intr_h, dma_h] = [i.h_array[0], h.handle];
    const m = ddi_dma_mem_alloc(dma_h, 2 * BLOCK, null, DDI_DMA_STREAMING, DDI_DMA_SLEEP);
    if (m.status !== DDI_SUCCESS) return DDI_FAILURE;
    [buf, buf_acc] = [m.kaddr, m.acc_handle];
    mutex = mutex_init(null, 'dad', MUTEX_DRIVER, DDI_INTR_PRI(ddi_intr_get_pri(intr_h).pri));
    cv = cv_init(null, 'dad', CV_DRIVER, null);
    ddi_intr_add_handler(intr_h, dad_intr, null, null);
    ddi_intr_enable(intr_h);
    return ddi_create_minor_node(dip, 'dad', S_IFCHR, 0, DDI_PSEUDO, 0);
  },
  detach(dip: dev_info_t, cmd: number) {
    if (cmd !== DDI_DETACH) return DDI_FAILURE;
    ddi_remove_minor_node(dip, null);
    ddi_intr_disable(intr_h);
    ddi_intr_remove_handler(intr_h);
    ddi_intr_free(intr_h);
    ddi_dma_mem_free(buf_acc);
    ddi_dma_free_handle(dma_h);
    ddi_regs_map_free(regs_h);
    return DDI_SUCCESS;
  },
  cb_ops: { cb_read: dad_read },
});

export async function scenario(sys: { open(p: string): Promise<{ read(n: number): Promise<Uint8Array> }>; log(m: string): void }) {
  const f = await sys.open('/dev/dad');
  sys.log(`read ${(await f.read(2 * BLOCK)).length} bytes`);
}

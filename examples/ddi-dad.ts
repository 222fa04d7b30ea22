// The DMA Acquisition Device, read side, written against the illumos/Solaris DDI. read(9E) binds
// the driver's DMA buffer with DDI_DMA_PARTIAL: a read is larger than dma_attr_maxxfer, so the bind
// makes several DMA windows. The driver walks them with ddi_dma_getwin and programs each cookie of a
// window into the device (a cookie is one acquisition block: dma_attr_count_max), sleeping on a
// condition variable until the interrupt handler signals the end of the transfer. Each block is
// synchronised for the kernel (ddi_dma_sync) and checked against the device's checksum; unbinding
// synchronises the last window, and uiomove copies the data out.
//
// With an IOMMU (x86-64-vtd, arm64-smmu-noncoherent) a window is one DVMA range, cut into cookies
// only by count_max; without one (arm32-swiotlb) the cookies are bus addresses of the buffer.
//
// platforms: x86-64-vtd, arm64-smmu-noncoherent, arm32-swiotlb
// run:       dmalab run examples/ddi-dad.ts --platform arm64-smmu-noncoherent
import {
  ddi_driver, dev_info_t, dev_t, uio_t, cred_t, Ptr, caddr_t, ddi_acc_handle_t, ddi_intr_handle_t,
  ddi_dma_handle_t, ddi_dma_mem_handle_t, ddi_dma_attr_t, ddi_dma_cookie_t, ddi_device_acc_attr_t,
  kmutex_t, kcondvar_t,
  DDI_ATTACH, DDI_DETACH, DDI_SUCCESS, DDI_FAILURE, DMA_ATTR_V0, DDI_DEVICE_ATTR_V0, DDI_STRUCTURE_LE_ACC,
  DDI_STRICTORDER_ACC, DDI_DMA_SLEEP, DDI_DMA_READ, DDI_DMA_STREAMING, DDI_DMA_PARTIAL, DDI_DMA_MAPPED,
  DDI_DMA_PARTIAL_MAP, DDI_DMA_SYNC_FORKERNEL, DDI_INTR_TYPE_FIXED, DDI_INTR_ALLOC_STRICT,
  DDI_INTR_CLAIMED, DDI_INTR_UNCLAIMED, S_IFCHR, DDI_PSEUDO, MUTEX_DRIVER, CV_DRIVER, UIO_READ,
  CE_NOTE, CE_WARN, EIO, ENXIO, ENOMEM,
  ddi_get_instance, ddi_set_driver_private, ddi_get_driver_private, ddi_report_dev,
  ddi_regs_map_setup, ddi_regs_map_free, ddi_get32, ddi_put8, ddi_put32,
  ddi_intr_alloc, ddi_intr_get_pri, ddi_intr_add_handler, ddi_intr_enable, ddi_intr_disable,
  ddi_intr_remove_handler, ddi_intr_free, DDI_INTR_PRI,
  ddi_dma_alloc_handle, ddi_dma_free_handle, ddi_dma_mem_alloc, ddi_dma_mem_free,
  ddi_dma_addr_bind_handle, ddi_dma_unbind_handle, ddi_dma_numwin, ddi_dma_getwin, ddi_dma_nextcookie,
  ddi_dma_sync, ddi_create_minor_node, ddi_remove_minor_node, getminor, uiomove,
  mutex_init, mutex_destroy, mutex_enter, mutex_exit, cv_init, cv_destroy, cv_timedwait, cv_signal,
  ddi_get_lbolt, drv_usectohz, cmn_err,
} from 'dmalab/ddi';
import {
  DAD_COMMAND, DAD_ADDR, DAD_ADDR_HI, DAD_LEN, DAD_STATUS, DAD_CHECKSUM, DAD_CMD_DISABLEDMA,
  DAD_CMD_ENABLEDMA, DAD_CMD_RD, DAD_STATUS_DONE, DAD_STATUS_ERROR, dad_pattern_byte,
} from 'dmalab/devices';

/** One acquisition block: what one transfer of the device fills. */
const DAD_BLOCK = 4096;
/** A read moves up to four blocks. */
const DAD_READ_MAX = 4 * DAD_BLOCK;

/** What the device's DMA engine can do, and how the driver wants its transfers cut. */
const dad_dma_attr: ddi_dma_attr_t = {
  dma_attr_version: DMA_ATTR_V0,
  dma_attr_addr_lo: 0n,
  dma_attr_addr_hi: 0xffff_ffffn, // the device drives 32 address bits
  dma_attr_count_max: DAD_BLOCK - 1, // one transfer, one block: a cookie is at most a block
  dma_attr_align: DAD_BLOCK,
  dma_attr_burstsizes: 0x3c,
  dma_attr_minxfer: 1,
  dma_attr_maxxfer: 2 * DAD_BLOCK, // at most two blocks per window: a full read needs two windows
  dma_attr_seg: 0xffff_ffffn, // a cookie may not cross a 4 GiB boundary
  dma_attr_sgllen: 2,
  dma_attr_granular: 1,
  dma_attr_flags: 0,
};

/** The registers are little-endian and must be accessed in program order. */
const dad_acc_attr: ddi_device_acc_attr_t = {
  devacc_attr_version: DDI_DEVICE_ATTR_V0,
  devacc_attr_endian_flags: DDI_STRUCTURE_LE_ACC,
  devacc_attr_dataorder: DDI_STRICTORDER_ACC,
};

interface DadState {
  instance: number;
  regs: caddr_t;
  regs_h: ddi_acc_handle_t;
  intr_h: ddi_intr_handle_t;
  dma_h: ddi_dma_handle_t;
  buf: Ptr;
  buf_acc: ddi_dma_mem_handle_t;
  mutex: kmutex_t;
  cv: kcondvar_t;
  busy: boolean;
  status: number;
  checksum: number;
}

/** Soft state by instance (getminor(dev) is the instance). */
const dad_state: DadState[] = [];

/** The interrupt handler: acknowledge, record the result, wake the reader. */
function dad_intr(arg1: unknown): number {
  const dad = arg1 as DadState;
  mutex_enter(dad.mutex);
  const status = ddi_get32(dad.regs_h, dad.regs.add(DAD_STATUS));
  if (!(status & DAD_STATUS_DONE)) {
    mutex_exit(dad.mutex);
    return DDI_INTR_UNCLAIMED;
  }
  ddi_put32(dad.regs_h, dad.regs.add(DAD_STATUS), DAD_STATUS_DONE | DAD_STATUS_ERROR);
  dad.status = status & DAD_STATUS_ERROR ? EIO : 0;
  dad.checksum = ddi_get32(dad.regs_h, dad.regs.add(DAD_CHECKSUM));
  dad.busy = false;
  cv_signal(dad.cv);
  mutex_exit(dad.mutex);
  return DDI_INTR_CLAIMED;
}

/** Program one cookie into the device and sleep until it is written (or a second has passed). */
async function dad_transfer(dad: DadState, c: ddi_dma_cookie_t): Promise<number> {
  const h = dad.regs_h;
  mutex_enter(dad.mutex);
  ddi_put8(h, dad.regs.add(DAD_COMMAND), DAD_CMD_DISABLEDMA);
  ddi_put8(h, dad.regs.add(DAD_COMMAND), DAD_CMD_RD);
  ddi_put32(h, dad.regs.add(DAD_ADDR), c.dmac_address);
  ddi_put32(h, dad.regs.add(DAD_ADDR_HI), Number(c.dmac_laddress >> 32n));
  ddi_put32(h, dad.regs.add(DAD_LEN), c.dmac_size);
  dad.busy = true;
  ddi_put8(h, dad.regs.add(DAD_COMMAND), DAD_CMD_ENABLEDMA);
  const deadline = ddi_get_lbolt() + drv_usectohz(1000000);
  while (dad.busy) {
    if ((await cv_timedwait(dad.cv, dad.mutex, deadline)) < 0) {
      ddi_put8(h, dad.regs.add(DAD_COMMAND), DAD_CMD_DISABLEDMA);
      dad.busy = false;
      mutex_exit(dad.mutex);
      cmn_err(CE_WARN, 'dad%d: DMA timed out', dad.instance);
      return EIO;
    }
  }
  const err = dad.status;
  mutex_exit(dad.mutex);
  return err;
}

/** The CPU's sum of a block, to compare with what the device says it wrote. */
function block_sum(p: Ptr, off: number, len: number): number {
  const bytes = p.readBytes(off, len);
  let sum = 0;
  for (const b of bytes) sum += b;
  return sum >>> 0;
}

/** read(9E): bind, walk windows and cookies, unbind, copy out. */
async function dad_read(dev: dev_t, uio: uio_t, _credp: cred_t): Promise<number> {
  const dad = dad_state[getminor(dev)];
  if (!dad) return ENXIO;
  const count = Math.min(uio.uio_resid, DAD_READ_MAX);
  if (count === 0) return 0;

  const flags = DDI_DMA_READ | DDI_DMA_STREAMING | DDI_DMA_PARTIAL;
  const bind = ddi_dma_addr_bind_handle(dad.dma_h, null, dad.buf, count, flags, DDI_DMA_SLEEP);
  if (bind.status !== DDI_DMA_MAPPED && bind.status !== DDI_DMA_PARTIAL_MAP) return ENOMEM;
  const nwin = bind.status === DDI_DMA_PARTIAL_MAP ? ddi_dma_numwin(dad.dma_h).nwin : 1;

  let err = 0;
  let cookie = bind.cookie;
  let ccount = bind.ccount;
  let off = 0; // the window's offset in the buffer
  for (let win = 0; win < nwin && !err; win++) {
    if (win > 0) {
      // the previous window is synchronised for the CPU and released; this one is mapped
      const w = ddi_dma_getwin(dad.dma_h, win);
      if (w.status !== DDI_SUCCESS) {
        err = EIO;
        break;
      }
      ({ cookie, ccount, off } = w);
    }
    let coff = off;
    for (let i = 0; i < ccount && !err; i++) {
      if (i > 0) cookie = ddi_dma_nextcookie(dad.dma_h);
      err = await dad_transfer(dad, cookie);
      if (err) break;
      // the kernel looks at the block before the binding ends: synchronise it first
      ddi_dma_sync(dad.dma_h, coff, cookie.dmac_size, DDI_DMA_SYNC_FORKERNEL);
      if (block_sum(dad.buf, coff, cookie.dmac_size) !== dad.checksum) {
        cmn_err(CE_WARN, 'dad%d: block at offset %d: checksum mismatch', dad.instance, coff);
        err = EIO;
      }
      coff += cookie.dmac_size;
    }
  }
  // unbinding synchronises the last window for the CPU
  ddi_dma_unbind_handle(dad.dma_h);
  if (err) return err;
  return uiomove(dad.buf, count, UIO_READ, uio);
}

function dad_free(dad: Partial<DadState>): void {
  if (dad.buf_acc) ddi_dma_mem_free(dad.buf_acc);
  if (dad.dma_h) ddi_dma_free_handle(dad.dma_h);
  if (dad.intr_h) ddi_intr_free(dad.intr_h);
  if (dad.regs_h) ddi_regs_map_free(dad.regs_h);
}

export default ddi_driver({
  name: 'dad',
  compatible: 'dmalab,dad',

  async attach(dip: dev_info_t, cmd: number) {
    if (cmd !== DDI_ATTACH) return DDI_FAILURE;
    const instance = ddi_get_instance(dip);
    const dad: Partial<DadState> = { instance, busy: false, status: 0, checksum: 0 };

    const regs = ddi_regs_map_setup(dip, 0, 0, 0, dad_acc_attr);
    if (regs.status !== DDI_SUCCESS) return DDI_FAILURE;
    dad.regs = regs.addr;
    dad.regs_h = regs.handle;

    const intr = ddi_intr_alloc(dip, DDI_INTR_TYPE_FIXED, 0, 1, DDI_INTR_ALLOC_STRICT);
    if (intr.status !== DDI_SUCCESS) {
      dad_free(dad);
      return DDI_FAILURE;
    }
    dad.intr_h = intr.h_array[0];
    const { pri } = ddi_intr_get_pri(dad.intr_h);

    const dma = ddi_dma_alloc_handle(dip, dad_dma_attr, DDI_DMA_SLEEP);
    if (dma.status !== DDI_SUCCESS) {
      dad_free(dad);
      return DDI_FAILURE;
    }
    dad.dma_h = dma.handle;
    const mem = ddi_dma_mem_alloc(dad.dma_h, DAD_READ_MAX, dad_acc_attr, DDI_DMA_STREAMING, DDI_DMA_SLEEP);
    if (mem.status !== DDI_SUCCESS) {
      dad_free(dad);
      return DDI_FAILURE;
    }
    dad.buf = mem.kaddr;
    dad.buf_acc = mem.acc_handle;

    // the handler takes the mutex too: initialise it at the interrupt's priority
    dad.mutex = mutex_init(null, 'dad', MUTEX_DRIVER, DDI_INTR_PRI(pri));
    dad.cv = cv_init(null, 'dad', CV_DRIVER, null);
    const state = dad as DadState;
    if (ddi_intr_add_handler(state.intr_h, dad_intr, state, null) !== DDI_SUCCESS || ddi_intr_enable(state.intr_h) !== DDI_SUCCESS) {
      dad_free(dad);
      return DDI_FAILURE;
    }
    if (ddi_create_minor_node(dip, 'dad', S_IFCHR, instance, DDI_PSEUDO, 0) !== DDI_SUCCESS) {
      ddi_intr_disable(state.intr_h);
      ddi_intr_remove_handler(state.intr_h);
      dad_free(dad);
      return DDI_FAILURE;
    }
    dad_state[instance] = state;
    ddi_set_driver_private(dip, state);
    ddi_report_dev(dip);
    cmn_err(CE_NOTE, 'dad%d: acquisition device ready, /dev/dad', instance);
    return DDI_SUCCESS;
  },

  detach(dip: dev_info_t, cmd: number) {
    if (cmd !== DDI_DETACH) return DDI_FAILURE;
    const dad = ddi_get_driver_private<DadState>(dip);
    ddi_remove_minor_node(dip, null);
    ddi_intr_disable(dad.intr_h);
    ddi_intr_remove_handler(dad.intr_h);
    cv_destroy(dad.cv);
    mutex_destroy(dad.mutex);
    dad_free(dad);
    delete dad_state[dad.instance];
    return DDI_SUCCESS;
  },

  cb_ops: { cb_read: dad_read },
});

/** User space: three reads (two of four blocks, one of a block and a half), each block checked against the device's pattern. */
export async function scenario(sys: { open(path: string): Promise<{ read(n: number): Promise<Uint8Array>; close(): Promise<void> }>; log(m: string): void }) {
  const f = await sys.open('/dev/dad');
  let seq = 0;
  for (const want of [DAD_READ_MAX, DAD_READ_MAX, DAD_BLOCK + DAD_BLOCK / 2]) {
    const data = await f.read(want);
    if (data.length !== want) throw new Error(`asked for ${want} bytes, got ${data.length}`);
    const blocks = Math.ceil(want / DAD_BLOCK);
    for (let b = 0; b < blocks; b++, seq++) {
      let wrong = 0;
      const end = Math.min(want, (b + 1) * DAD_BLOCK);
      for (let i = b * DAD_BLOCK; i < end; i++) if (data[i] !== dad_pattern_byte(seq, i - b * DAD_BLOCK)) wrong++;
      if (wrong) throw new Error(`block ${seq}: ${wrong} bytes differ from the device's pattern`);
    }
    sys.log(`read ${want} bytes: ${blocks} blocks, pattern OK`);
  }
  await f.close();
}

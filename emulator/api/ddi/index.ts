/**
 * `dmalab/ddi`: the illumos/Solaris DDI subset a DMA driver uses, on the same emulated kernel and
 * hardware as `dmalab/linux`. DMA handles allocated against a `ddi_dma_attr_t`, memory from
 * ddi_dma_mem_alloc, binds that produce cookies (ddi_dma_nextcookie) and windows (ddi_dma_getwin),
 * ddi_dma_sync; and what a driver needs to reach its device: `ddi_driver` with attach/detach,
 * register access (ddi_regs_map_setup, ddi_get32/ddi_put32...), interrupts (ddi_intr_*),
 * cmn_err, kmem, mutexes and condition variables, minor nodes and uiomove.
 *
 * Names, argument orders and values are illumos's; C out-parameters are returned next to the
 * status (`const { status, handle } = ddi_dma_alloc_handle(dip, attr, DDI_DMA_SLEEP)`); uint64_t
 * attribute fields and DMA addresses are bigint (numbers are accepted where a value fits).
 */
export * from './consts';
export * from './driver';
export * from './dma';
export * from './regs';
export * from './intr';
export * from './kernel';
export * from './errno';
export { Ptr } from '../../kernel/ptr';

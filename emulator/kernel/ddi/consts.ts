/**
 * The numbers of the illumos DDI (sys/sunddi.h, sys/ddidmareq.h, sys/ddi_intr.h, sys/cmn_err.h):
 * return codes, DMA request flags, sync types, attach commands. Values are illumos's own, so a
 * driver ported from C compares and ORs them the same way.
 */

// ---- generic results ------------------------------------------------------------------------
/** The call succeeded. */
export const DDI_SUCCESS = 0;
/** The call failed. */
export const DDI_FAILURE = -1;

// ---- ddi_dma_*_bind_handle() and friends ------------------------------------------------------
/** ddi_dma_addr_bind_handle: the whole object is bound in one window. */
export const DDI_DMA_MAPPED = 0;
/** Same value as DDI_DMA_MAPPED (obsolete ddi_dma_map name). */
export const DDI_DMA_MAPOK = 0;
/** ddi_dma_addr_bind_handle: bound as several windows (DDI_DMA_PARTIAL); walk them with ddi_dma_getwin. */
export const DDI_DMA_PARTIAL_MAP = 1;
/** No more windows or cookies (obsolete walkers). */
export const DDI_DMA_DONE = 2;
/** No DMA resources (DVMA space, copy buffer) for the request now. */
export const DDI_DMA_NORESOURCES = -1;
/** The object cannot be mapped for this device with these attributes. */
export const DDI_DMA_NOMAPPING = -2;
/** The object needs several windows but DDI_DMA_PARTIAL was not requested. */
export const DDI_DMA_TOOBIG = -3;
/** The object is smaller than the device can transfer. */
export const DDI_DMA_TOOSMALL = -4;
/** The object is locked. */
export const DDI_DMA_LOCKED = -5;
/** Bad DMA limits (obsolete ddi_dma_lim_t). */
export const DDI_DMA_BADLIMITS = -6;
/** The handle is stale. */
export const DDI_DMA_STALE = -7;
/** ddi_dma_alloc_handle: the ddi_dma_attr_t makes no sense (see the log for which field). */
export const DDI_DMA_BADATTR = -8;
/** ddi_dma_addr_bind_handle: the handle is already bound. */
export const DDI_DMA_INUSE = -9;

// ---- DMA request flags (ddi_dma_addr_bind_handle, ddi_dma_mem_alloc) --------------------------
/** Memory → device. */
export const DDI_DMA_WRITE = 0x0001;
/** Device → memory. */
export const DDI_DMA_READ = 0x0002;
/** Bind flag: both directions. */
export const DDI_DMA_RDWR = DDI_DMA_READ | DDI_DMA_WRITE;
/** Bind flag: a redzone after the mapping (accepted, no effect here). */
export const DDI_DMA_REDZONE = 0x0004;
/** Bind flag: the object may be bound as several DMA windows. */
export const DDI_DMA_PARTIAL = 0x0008;
/** Flag: memory shared by CPU and device with random access (uncached on non-coherent platforms). */
export const DDI_DMA_CONSISTENT = 0x0010;
/** Bind flag: exclusive access (accepted, no effect here). */
export const DDI_DMA_EXCLUSIVE = 0x0020;
/** Flag: sequential, one-way buffers (cached; synchronize with ddi_dma_sync). */
export const DDI_DMA_STREAMING = 0x0040;

// ---- ddi_dma_sync() ---------------------------------------------------------------------------
/** ddi_dma_sync: make CPU writes visible to the device. */
export const DDI_DMA_SYNC_FORDEV = 0x0;
/** ddi_dma_sync: make device writes visible to the CPU. */
export const DDI_DMA_SYNC_FORCPU = 0x1;
/** ddi_dma_sync: as DDI_DMA_SYNC_FORCPU, for the kernel's own view. */
export const DDI_DMA_SYNC_FORKERNEL = 0x2;

// ---- attributes -------------------------------------------------------------------------------
/** dma_attr_version of a ddi_dma_attr_t. */
export const DMA_ATTR_V0 = 0;
/** The current dma_attr_version (DMA_ATTR_V0). */
export const DMA_ATTR_VERSION = DMA_ATTR_V0;
/** devacc_attr_version of a ddi_device_acc_attr_t. */
export const DDI_DEVICE_ATTR_V0 = 0x0001;
/** Register byte order: never swap. */
export const DDI_NEVERSWAP_ACC = 0x00;
/** Register byte order: the device is little-endian. */
export const DDI_STRUCTURE_LE_ACC = 0x01;
/** Register byte order: the device is big-endian (ddi_get/ddi_put swap). */
export const DDI_STRUCTURE_BE_ACC = 0x02;
/** Register accesses happen in program order. */
export const DDI_STRICTORDER_ACC = 0x00;
/** Register accesses may be reordered. */
export const DDI_UNORDERED_OK_ACC = 0x01;
/** Register stores may be merged. */
export const DDI_MERGING_OK_ACC = 0x02;
/** Register loads may be cached. */
export const DDI_LOADCACHING_OK_ACC = 0x03;
/** Register stores may be cached. */
export const DDI_STORECACHING_OK_ACC = 0x04;

// ---- attach / detach --------------------------------------------------------------------------
/** attach(9E) command: attach a new instance. */
export const DDI_ATTACH = 0;
/** attach(9E) command: resume after suspend. */
export const DDI_RESUME = 1;
/** attach(9E) command: power-management resume (obsolete). */
export const DDI_PM_RESUME = 2;
/** detach(9E) command: detach the instance. */
export const DDI_DETACH = 0;
/** detach(9E) command: suspend. */
export const DDI_SUSPEND = 1;
/** detach(9E) command: power-management suspend (obsolete). */
export const DDI_PM_SUSPEND = 2;
/** detach(9E) command: hot-plug removal. */
export const DDI_HOTPLUG_DETACH = 3;

// ---- interrupts -------------------------------------------------------------------------------
/** ddi_intr_alloc type: a fixed (line-based) interrupt, the only kind the platforms have. */
export const DDI_INTR_TYPE_FIXED = 0x1;
/** ddi_intr_alloc type: MSI (not available on the built-in platforms). */
export const DDI_INTR_TYPE_MSI = 0x2;
/** ddi_intr_alloc type: MSI-X (not available on the built-in platforms). */
export const DDI_INTR_TYPE_MSIX = 0x4;
/** ddi_intr_alloc behaviour: fewer interrupts than asked is fine. */
export const DDI_INTR_ALLOC_NORMAL = 0;
/** ddi_intr_alloc behaviour: all or nothing. */
export const DDI_INTR_ALLOC_STRICT = 1;
/** An interrupt handler's result: the interrupt was not from this device. */
export const DDI_INTR_UNCLAIMED = 0;
/** An interrupt handler's result: handled. */
export const DDI_INTR_CLAIMED = 1;
/** The priority fixed interrupts get (illumos' default for a device interrupt). */
export const DDI_INTR_PRI_DEFAULT = 5;
/** Highest priority a driver interrupt may have (LOCK_LEVEL). */
export const LOCK_LEVEL = 10;

// ---- minor nodes and uio ----------------------------------------------------------------------
/** ddi_create_minor_node spec_type: a character device. */
export const S_IFCHR = 0x2000;
/** ddi_create_minor_node node_type of a pseudo device. */
export const DDI_PSEUDO = 'ddi_pseudo';
/** uiomove direction: kernel buffer → the caller (read). */
export const UIO_READ = 0;
/** uiomove direction: the caller → kernel buffer (write). */
export const UIO_WRITE = 1;
/** Bits of a dev_t below the major number (64-bit illumos). */
export const NBITSMINOR = 32;

// ---- cmn_err ----------------------------------------------------------------------------------
/** cmn_err level: continue the previous message (no prefix). */
export const CE_CONT = 0;
/** cmn_err level: "NOTICE: ..." */
export const CE_NOTE = 1;
/** cmn_err level: "WARNING: ..." */
export const CE_WARN = 2;
/** cmn_err level: panic the system (the run stops with a kernel oops). */
export const CE_PANIC = 3;
/** cmn_err level: print nothing. */
export const CE_IGNORE = 4;

// ---- memory -----------------------------------------------------------------------------------
/** kmem_alloc flag: may sleep until memory is available. */
export const KM_SLEEP = 0x0000;
/** kmem_alloc flag: fail instead of sleeping. */
export const KM_NOSLEEP = 0x0001;

// ---- mutexes and condition variables ----------------------------------------------------------
/** mutex_init type: adaptive. */
export const MUTEX_ADAPTIVE = 0;
/** mutex_init type: spin. */
export const MUTEX_SPIN = 1;
/** mutex_init type for drivers. */
export const MUTEX_DRIVER = 4;
/** mutex_init type: the default. */
export const MUTEX_DEFAULT = 6;
/** cv_init type: the default. */
export const CV_DEFAULT = 0;
/** cv_init type for drivers. */
export const CV_DRIVER = 1;

/** illumos's clock rate: ticks per second of lbolt. */
export const DDI_HZ = 100;
/** MMU_PAGESIZE */
export const MMU_PAGESIZE = 4096;
/** MMU_PAGEOFFSET */
export const MMU_PAGEOFFSET = MMU_PAGESIZE - 1;
/** rootnex_max_copybuf_size: the most copy buffer one bind may hold at a time. */
export const ROOTNEX_MAX_COPYBUF = 0x100000;

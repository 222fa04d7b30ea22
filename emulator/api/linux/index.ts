/**
 * `dmalab/linux`: the subset of the Linux kernel API a DMA driver uses, running on the emulated
 * machine. Names, argument orders and return conventions follow the kernel; C out-parameters are
 * returned objects, `dma_addr_t`/`phys_addr_t`/masks are bigint, sizes are number.
 */
export * from './types';
export * from './printk';
export * from './driver';
export * from './memory';
export * from './dma';
export * from './scatterlist';
export * from './sched';
export * from './dmaengine';
export * from './barriers';

/**
 * `jiffies`: the tick counter (HZ per second of virtual time). Read it as a variable; it advances
 * with virtual time.
 */
export declare const jiffies: number;

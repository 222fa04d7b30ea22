/**
 * The dmaengine enumerations, with Linux's values (include/linux/dmaengine.h): transfer
 * directions, transaction status, preparation/control flags, capability bits, slave bus widths,
 * completion results and residue granularity.
 */

// enum dma_transfer_direction
/** Memory to memory (a memcpy). */
export const DMA_MEM_TO_MEM = 0;
/** Memory to a peripheral FIFO (transmit). */
export const DMA_MEM_TO_DEV = 1;
/** A peripheral FIFO to memory (receive). */
export const DMA_DEV_TO_MEM = 2;
/** Peripheral to peripheral (not supported by the built-in controllers). */
export const DMA_DEV_TO_DEV = 3;
/** No direction. */
export const DMA_TRANS_NONE = 4;

// enum dma_status
/** The transaction completed. */
export const DMA_COMPLETE = 0;
/** Submitted, issued or running (or terminated: a dropped cookie never completes). */
export const DMA_IN_PROGRESS = 1;
/** The channel is paused (dmaengine_pause). */
export const DMA_PAUSED = 2;
/** The transaction failed (a bus error or IOMMU fault on the controller). */
export const DMA_ERROR = 3;
/** Completion out of order (not produced by the built-in controllers). */
export const DMA_OUT_OF_ORDER = 4;

// enum dma_ctrl_flags
/** Ask for the completion interrupt (the PL080 driver always takes one; the I/OAT engine raises none without it, and the callback waits for the driver's completion timer). */
export const DMA_PREP_INTERRUPT = 1 << 0;
/** The client acknowledges the descriptor: the provider may reuse it. */
export const DMA_CTRL_ACK = 1 << 1;
/** Later operations depend on this one (accepted, no effect on the built-in controllers). */
export const DMA_PREP_FENCE = 1 << 5;
/** The descriptor is kept after completion for another submission (dmaengine_desc_set_reuse). */
export const DMA_CTRL_REUSE = 1 << 6;

// enum dma_transaction_type: capability bits of a dma_cap_mask_t.
/** Capability: memory-to-memory copies. */
export const DMA_MEMCPY = 0;
/** Capability: interrupt-only descriptors (no built-in controller has it). */
export const DMA_INTERRUPT = 7;
/** Capability: channels are handed to one client at a time. */
export const DMA_PRIVATE = 8;
/** Capability: async_tx offload (no built-in controller has it). */
export const DMA_ASYNC_TX = 9;
/** Capability: transfers to and from peripherals. */
export const DMA_SLAVE = 10;
/** Capability: cyclic (ring) transfers. */
export const DMA_CYCLIC = 11;
/** Capability bits a mask may carry (DMA_TX_TYPE_END). */
export const DMA_TX_TYPE_END = 16;

// enum dma_slave_buswidth: bytes per FIFO access.
/** Width not given. */
export const DMA_SLAVE_BUSWIDTH_UNDEFINED = 0;
/** FIFO accesses of 1 byte. */
export const DMA_SLAVE_BUSWIDTH_1_BYTE = 1;
/** FIFO accesses of 2 bytes. */
export const DMA_SLAVE_BUSWIDTH_2_BYTES = 2;
/** FIFO accesses of 3 bytes. */
export const DMA_SLAVE_BUSWIDTH_3_BYTES = 3;
/** FIFO accesses of 4 bytes. */
export const DMA_SLAVE_BUSWIDTH_4_BYTES = 4;
/** FIFO accesses of 8 bytes. */
export const DMA_SLAVE_BUSWIDTH_8_BYTES = 8;
/** FIFO accesses of 16 bytes. */
export const DMA_SLAVE_BUSWIDTH_16_BYTES = 16;
/** FIFO accesses of 32 bytes. */
export const DMA_SLAVE_BUSWIDTH_32_BYTES = 32;
/** FIFO accesses of 64 bytes. */
export const DMA_SLAVE_BUSWIDTH_64_BYTES = 64;
/** FIFO accesses of 128 bytes. */
export const DMA_SLAVE_BUSWIDTH_128_BYTES = 128;

// enum dmaengine_tx_result
/** Result: the transfer completed without error. */
export const DMA_TRANS_NOERROR = 0;
/** Result: the controller could not read the source. */
export const DMA_TRANS_READ_FAILED = 1;
/** Result: the controller could not write the destination. */
export const DMA_TRANS_WRITE_FAILED = 2;
/** Result: the transfer was aborted (another one failed before it). */
export const DMA_TRANS_ABORTED = 3;

// enum dma_residue_granularity
/** The residue is known per descriptor. */
export const DMA_RESIDUE_GRANULARITY_DESCRIPTOR = 0;
/** The residue is known per segment (LLI). */
export const DMA_RESIDUE_GRANULARITY_SEGMENT = 1;
/** The residue is known per burst. */
export const DMA_RESIDUE_GRANULARITY_BURST = 2;

/** The first cookie a channel hands out (and its initial last-used/last-completed value). */
export const DMA_MIN_COOKIE = 1;

const DIRS = ['DMA_MEM_TO_MEM', 'DMA_MEM_TO_DEV', 'DMA_DEV_TO_MEM', 'DMA_DEV_TO_DEV', 'DMA_TRANS_NONE'];

export function transferDirName(d: number): string {
  return DIRS[d] ?? `direction ${d}`;
}

const CAPS: Record<number, string> = { [DMA_MEMCPY]: 'DMA_MEMCPY', [DMA_INTERRUPT]: 'DMA_INTERRUPT', [DMA_PRIVATE]: 'DMA_PRIVATE', [DMA_ASYNC_TX]: 'DMA_ASYNC_TX', [DMA_SLAVE]: 'DMA_SLAVE', [DMA_CYCLIC]: 'DMA_CYCLIC' };

export function capName(c: number): string {
  return CAPS[c] ?? `capability ${c}`;
}

/**
 * `dmalab/devices`: register maps and constants of the built-in device models, for drivers to
 * program them by name.
 */
export {
  DAD_COMMAND,
  DAD_ADDR,
  DAD_ADDR_HI,
  DAD_LEN,
  DAD_STATUS,
  DAD_CHECKSUM,
  DAD_SEQ,
  DAD_CMD_DISABLEDMA,
  DAD_CMD_ENABLEDMA,
  DAD_CMD_WR,
  DAD_CMD_RD,
  DAD_STATUS_BUSY,
  DAD_STATUS_DONE,
  DAD_STATUS_ERROR,
} from '../../devices/dad';

export {
  EDU_ID,
  EDU_LIVENESS,
  EDU_FACTORIAL,
  EDU_STATUS,
  EDU_IRQ_STATUS,
  EDU_IRQ_RAISE,
  EDU_IRQ_ACK,
  EDU_DMA_SRC,
  EDU_DMA_DST,
  EDU_DMA_COUNT,
  EDU_DMA_CMD,
  EDU_STATUS_COMPUTING,
  EDU_STATUS_IRQFACT,
  EDU_DMA_RUN,
  EDU_DMA_DIR_TO_RAM,
  EDU_DMA_IRQ,
  EDU_DMA_START,
  EDU_DMA_SIZE,
  EDU_IRQ_FACT,
  EDU_IRQ_DMA,
} from '../../devices/edu';

/** The byte the dad device writes at offset `i` of acquisition block `seq` (DAD_CMD_RD). */
export function dad_pattern_byte(seq: number, i: number): number {
  return (seq * 31 + i) & 0xff;
}

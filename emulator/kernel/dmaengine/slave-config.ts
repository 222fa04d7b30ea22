/**
 * `struct dma_slave_config`: where a slave channel's peripheral end is (its FIFO's DMA address),
 * how wide each FIFO access is and how many accesses the peripheral takes per request (maxburst).
 * Addresses are bigint `dma_addr_t`, as the client got them from dma_map_resource.
 */
import { KernelOops } from '../cpu';
import { DMA_DEV_TO_DEV, DMA_TRANS_NONE } from './constants';

export interface DmaSlaveConfig {
  /** Deprecated in Linux (the prep call's direction is what counts); checked when given. */
  direction?: number;
  src_addr?: bigint;
  dst_addr?: bigint;
  src_addr_width?: number;
  dst_addr_width?: number;
  src_maxburst?: number;
  dst_maxburst?: number;
  src_port_window_size?: number;
  dst_port_window_size?: number;
  /** Peripheral flow control: not supported by the built-in controllers. */
  device_fc?: boolean;
}

/** The configuration as a controller driver reads it (numbers; -1 for an unset address). */
export interface SlaveConfig {
  direction: number;
  srcAddr: number;
  dstAddr: number;
  srcWidth: number;
  dstWidth: number;
  srcMaxburst: number;
  dstMaxburst: number;
  deviceFc: boolean;
}

function addrOf(v: unknown, field: string): number {
  if (v === undefined || v === null) return -1;
  if (typeof v !== 'bigint' && typeof v !== 'number') throw new KernelOops(`dmaengine_slave_config(): ${field} must be a dma_addr_t (bigint), got ${String(v)}`);
  const n = BigInt(v);
  if (n < 0n || n > 0x1f_ffff_ffff_ffffn) throw new KernelOops(`dmaengine_slave_config(): ${field} 0x${n.toString(16)} is not a bus address`);
  return Number(n);
}

function num(v: unknown, field: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new KernelOops(`dmaengine_slave_config(): ${field} must be a non-negative integer, got ${String(v)}`);
  return v;
}

/** Validate and copy (the kernel copies the struct: later changes to the client's object do not count). */
export function readSlaveConfig(cfg: DmaSlaveConfig): SlaveConfig {
  if (!cfg || typeof cfg !== 'object') throw new KernelOops(`dmaengine_slave_config(): expected a struct dma_slave_config object, got ${String(cfg)}`);
  const direction = cfg.direction === undefined ? DMA_TRANS_NONE : num(cfg.direction, 'direction');
  if (direction > DMA_TRANS_NONE) throw new KernelOops(`dmaengine_slave_config(): direction ${direction} is not an enum dma_transfer_direction`);
  if (direction === DMA_DEV_TO_DEV) throw new KernelOops(`dmaengine_slave_config(): DMA_DEV_TO_DEV is not supported by the built-in controllers`);
  return {
    direction,
    srcAddr: addrOf(cfg.src_addr, 'src_addr'),
    dstAddr: addrOf(cfg.dst_addr, 'dst_addr'),
    srcWidth: num(cfg.src_addr_width, 'src_addr_width'),
    dstWidth: num(cfg.dst_addr_width, 'dst_addr_width'),
    srcMaxburst: num(cfg.src_maxburst, 'src_maxburst'),
    dstMaxburst: num(cfg.dst_maxburst, 'dst_maxburst'),
    deviceFc: cfg.device_fc === true,
  };
}

/**
 * `struct dma_device`: what a controller driver registers with the dmaengine core: the device
 * that does the DMA (clients map their buffers for it), its capabilities, its channels, and the
 * operations the client API reaches (device_prep_*, device_issue_pending, device_tx_status,
 * device_config, device_pause/resume, device_terminate_all, device_synchronize).
 */
import type { Device } from '../device';
import { DmaCapMask } from './cap-mask';
import type { DmaChan } from './channel';
import type { DmaAsyncTxDescriptor } from './descriptor';
import type { SlaveConfig } from './slave-config';

/** A slave transfer's memory side: one (mapped) DMA segment. */
export interface MemSegment {
  addr: number;
  len: number;
}

export interface TxState {
  residue: number;
}

export interface DmaDeviceOps {
  /** device_alloc_chan_resources: 0 or -errno, when a client gets the channel. */
  allocChanResources?(chan: DmaChan): number;
  /** device_free_chan_resources: when the client releases it (nothing is queued any more). */
  freeChanResources?(chan: DmaChan): void;
  prepMemcpy?(chan: DmaChan, dst: number, src: number, len: number, flags: number): DmaAsyncTxDescriptor | null;
  prepSlaveSg?(chan: DmaChan, segs: MemSegment[], dir: number, flags: number): DmaAsyncTxDescriptor | null;
  prepCyclic?(chan: DmaChan, buf: number, bufLen: number, periodLen: number, dir: number, flags: number): DmaAsyncTxDescriptor | null;
  /** device_config: 0 or -EINVAL. */
  config?(chan: DmaChan, cfg: SlaveConfig): number;
  /** The driver's tx_submit, before the core assigns the cookie: 0 or -errno. */
  txSubmit?(desc: DmaAsyncTxDescriptor): number;
  /** device_issue_pending: the core has moved submitted descriptors to `chan.issued`. */
  issuePending(chan: DmaChan): void;
  /** device_tx_status for a cookie the core found not complete: the residue (and a poll of the hardware). */
  txStatus(chan: DmaChan, cookie: number, state: TxState): void;
  pause?(chan: DmaChan): number;
  resume?(chan: DmaChan): number;
  /** device_terminate_all: stop the hardware; the core then drops every queued descriptor. */
  terminateAll?(chan: DmaChan): number;
  /** Release what a descriptor holds (LLIs, ring slots) when it is freed. */
  freeDesc?(desc: DmaAsyncTxDescriptor): void;
}

export class DmaDevice {
  /** dmaN: set when registered. */
  dev_id = -1;
  /** Capabilities: DMA_MEMCPY, DMA_SLAVE, DMA_CYCLIC, DMA_PRIVATE. */
  readonly cap_mask = new DmaCapMask();
  readonly channels: DmaChan[] = [];
  /** Bit (1 << direction) per supported enum dma_transfer_direction. */
  directions = 0;
  /** Bit (1 << bytes) per supported slave bus width. */
  src_addr_widths = 0;
  dst_addr_widths = 0;
  max_burst = 0;
  residue_granularity = 0;
  /** Descriptors may be marked reusable (dmaengine_desc_set_reuse). */
  descriptor_reuse = true;

  constructor(
    /** The device that masters the bus: map buffers for this one. */
    readonly dev: Device,
    /** Driver name, for messages ("dma-pl08x"). */
    readonly driver: string,
    /** @internal */ readonly ops: DmaDeviceOps,
    /** @internal the controller's interrupt line (names the context callbacks run in) */ readonly irq: number,
  ) {}

  toString(): string {
    return `dma${this.dev_id} (${this.dev.name})`;
  }
}

/**
 * What a built-in controller driver claims at probe: its register window (ioremapped) and its
 * interrupt line. Undefined, with the reason logged, when the node lacks either.
 */
export function claimController(k: import('../kernel').Kernel, dev: import('../device').Device, driverName: string): { io: import('../driver-core').IoMem; irq: number } | undefined {
  dev.driverName = driverName;
  const res = dev.desc.reg[0];
  const irq = dev.desc.irqs[0]?.line ?? -1;
  const io = res ? k.drivers.ioremap(res.base, res.size) : null;
  if (!io || irq < 0) {
    k.log(dev, 'err', 'no register window or interrupt: not probing');
    return undefined;
  }
  return { io, irq };
}

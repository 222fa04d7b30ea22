/**
 * `struct dma_chan` with the virt-dma bookkeeping of drivers/dma/virt-dma.h: the cookies, the
 * client that holds the channel, its slave configuration, and the descriptor lists a transfer
 * moves through (submitted by dmaengine_submit, issued by dma_async_issue_pending, active on the
 * hardware, completed and waiting for the tasklet that runs the callbacks).
 */
import type { CallSite } from '../call-site';
import type { Device } from '../device';
import type { CookieState } from './cookie';
import { DMA_MIN_COOKIE } from './constants';
import type { DmaAsyncTxDescriptor } from './descriptor';
import type { DmaDevice } from './dma-device';
import type { SlaveConfig } from './slave-config';

export class DmaChan implements CookieState {
  /** Last cookie handed out. */
  cookie = DMA_MIN_COOKIE;
  /** Last cookie completed. */
  completed_cookie = DMA_MIN_COOKIE;
  /** How many clients hold the channel (0 or 1: every channel here is private to its client). */
  client_count = 0;
  /** "dma:<name>" once requested by name (dma_request_chan), else null. */
  name: string | null = null;

  /** @internal */ clientDev?: Device;
  /** @internal "10300000.serial:tx", as Linux's dbg_client_name */ clientName = '';
  /** @internal */ requestSite?: CallSite;
  /** @internal */ config?: SlaveConfig;
  /** @internal */ submitted: DmaAsyncTxDescriptor[] = [];
  /** @internal */ issued: DmaAsyncTxDescriptor[] = [];
  /** @internal */ active: DmaAsyncTxDescriptor[] = [];
  /** @internal */ completed: DmaAsyncTxDescriptor[] = [];
  /** @internal completed reusable descriptors the client may submit again (desc_allocated) */ allocated = new Set<DmaAsyncTxDescriptor>();
  /** @internal a cyclic descriptor whose period callback is due */ cyclicDue?: DmaAsyncTxDescriptor;
  /** @internal cookies that completed with an error, for tx_status (bounded) */ failed = new Map<number, number>();
  /** @internal */ paused = false;
  /** @internal the provider's per-channel state */ priv: unknown;

  constructor(
    /** The controller (`chan->device`); `chan.device.dev` is the device to map buffers for. */
    readonly device: DmaDevice,
    /** Index within the controller. */
    readonly chan_id: number,
  ) {}

  /** "dma0chan3", as dma_chan_name() prints it. */
  get dbgName(): string {
    return `dma${this.device.dev_id}chan${this.chan_id}`;
  }

  /** Who holds it, for messages: "dma1chan0 (10300000.serial:tx)". */
  get who(): string {
    const client = this.clientName || this.clientDev?.name;
    return client ? `${this.dbgName} (${client})` : this.dbgName;
  }

  toString(): string {
    return this.dbgName;
  }
}

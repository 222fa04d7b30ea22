/**
 * Devicetree DMA helpers (drivers/dma/of-dma.c): controllers register a translation from a `dmas`
 * specifier to a channel, and of_dma_request_slave_channel(np, name) finds the channel a client's
 * `dmas`/`dma-names` name: every entry with that name is tried, starting at a rotating index as
 * Linux does to spread clients over duplicates; an entry whose controller has not registered gives
 * -EPROBE_DEFER, no usable entry -ENODEV.
 */
import type { DmaSpec } from '../../platform/model';
import type { DtNode } from '../../platform/dts';
import type { Device } from '../device';
import { ENODEV, EPROBE_DEFER } from '../errno';
import type { DmaChan } from './channel';

/** A controller's of_dma_xlate: the channel for a specifier's cells, or null. */
export type OfDmaXlate = (args: number[], spec: DmaSpec) => DmaChan | null;

export class OfDma {
  private readonly controllers = new Map<DtNode, OfDmaXlate>();
  private lastIndex = 0;

  /** of_dma_controller_register */
  register(node: DtNode, xlate: OfDmaXlate): void {
    this.controllers.set(node, xlate);
  }

  /** of_dma_request_slave_channel: a channel or a negative errno; `log` gets Linux's complaints. */
  requestSlaveChannel(dev: Device, name: string, log: (text: string) => void): DmaChan | number {
    const desc = dev.desc;
    if (!desc.node.properties.has('dmas')) return -ENODEV;
    const count = desc.dmaNames.length;
    if (count === 0) {
      log(`of_dma_request_slave_channel: dma-names property of node '${desc.node.path}' missing or empty`);
      return -ENODEV;
    }
    const start = ++this.lastIndex;
    let ret = -ENODEV;
    for (let i = 0; i < count; i++) {
      const idx = (i + start) % count;
      if (desc.dmaNames[idx] !== name) continue;
      const spec = desc.dmas[idx];
      if (!spec?.controller) continue;
      const xlate = this.controllers.get(spec.controller);
      if (!xlate) {
        ret = -EPROBE_DEFER;
        continue;
      }
      const chan = xlate(spec.args, spec);
      if (chan) return chan;
    }
    return ret;
  }
}

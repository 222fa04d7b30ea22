/**
 * Interrupt handles (ddi_intr_alloc(9F) and friends): a fixed interrupt of the device node, a
 * handler added to it, and enabling it registers the handler with the kernel's IRQ core, so it
 * runs in interrupt context when the device raises its line. The handler returns
 * DDI_INTR_CLAIMED or DDI_INTR_UNCLAIMED.
 */
import { KernelOops } from '../cpu';
import type { CallSite } from '../call-site';
import { DDI_FAILURE, DDI_INTR_PRI_DEFAULT, DDI_SUCCESS } from './consts';
import type { DdiResource, DevInfo } from './devinfo';

export type DdiIntrHandler = (arg1: unknown, arg2: unknown) => number;

/** ddi_intr_handle_t */
export class IntrHandle implements DdiResource {
  freed = false;
  enabled = false;
  /** @internal */ handler?: DdiIntrHandler;
  /** @internal */ arg1: unknown;
  /** @internal */ arg2: unknown;

  constructor(
    /** @internal */ readonly dip: DevInfo,
    readonly inum: number,
    /** @internal */ readonly line: number,
    readonly pri = DDI_INTR_PRI_DEFAULT,
  ) {}

  get what(): string {
    return `interrupt ${this.inum}${this.enabled ? ' (still enabled: ddi_intr_disable)' : this.handler ? ' (ddi_intr_remove_handler)' : ''} (ddi_intr_free)`;
  }

  release(): void {
    if (this.enabled) this.dip.k.irq.free(this.line, this);
    this.enabled = false;
    this.handler = undefined;
    this.freed = true;
  }

  toString(): string {
    return `ddi_intr_handle_t(${this.dip.instanceName} inum ${this.inum}, irq ${this.line})`;
  }
}

export function intrArg(h: unknown, fn: string): IntrHandle {
  if (!(h instanceof IntrHandle)) throw new KernelOops(`${fn}(): not a ddi_intr_handle_t from ddi_intr_alloc: ${String(h)}`);
  if (h.freed) throw new KernelOops(`${fn}(): ${h} was freed by ddi_intr_free`);
  return h;
}

export function intrAlloc(dip: DevInfo, inum: number, count: number, strict: boolean): IntrHandle[] | undefined {
  const irqs = dip.dev.desc.irqs;
  if (!Number.isInteger(inum) || inum < 0 || !Number.isInteger(count) || count < 1) return undefined;
  const avail = irqs.length - inum;
  if (avail <= 0 || (strict && avail < count)) return undefined;
  const out: IntrHandle[] = [];
  for (let i = 0; i < Math.min(count, avail); i++) out.push(new IntrHandle(dip, inum + i, irqs[inum + i].line));
  return out;
}

export function intrEnable(h: IntrHandle, site: CallSite | undefined): number {
  if (h.enabled) return DDI_FAILURE;
  const handler = h.handler;
  if (!handler) return DDI_FAILURE;
  const k = h.dip.k;
  const r = k.irq.request(h.line, () => handler(h.arg1, h.arg2), 0, h.dip.instanceName, h, h.dip.dev, site);
  if (r) return DDI_FAILURE;
  h.enabled = true;
  return DDI_SUCCESS;
}

export function intrDisable(h: IntrHandle): number {
  if (!h.enabled) return DDI_FAILURE;
  h.dip.k.irq.free(h.line, h);
  h.enabled = false;
  return DDI_SUCCESS;
}

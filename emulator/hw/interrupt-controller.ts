/**
 * The interrupt controller: numbered lines that devices assert and deassert (level) or pulse
 * (edge). Delivery is to one sink (the kernel's IRQ core), scheduled at the instant the line rises
 * so handlers run between other events, never inside a device model.
 */
import { Scheduler } from './scheduler';

export type Trigger = 'level' | 'edge';

export interface IrqSink {
  /** Called at the delivery instant; returns nothing, the kernel decides what runs. */
  deliver(line: number): void;
}

export class InterruptController {
  private asserted = new Set<number>();
  private pendingDelivery = new Set<number>();
  private triggers = new Map<number, Trigger>();
  sink?: IrqSink;
  raised = 0;

  constructor(
    readonly name: string,
    private readonly sched: Scheduler,
  ) {}

  configure(line: number, trigger: Trigger): void {
    this.triggers.set(line, trigger);
  }

  isAsserted(line: number): boolean {
    return this.asserted.has(line);
  }

  /** Raise a line. A level line stays asserted until `lower`. */
  raise(line: number): void {
    const edge = this.triggers.get(line) === 'edge';
    if (!edge && this.asserted.has(line)) return;
    if (!edge) this.asserted.add(line);
    this.raised++;
    this.scheduleDelivery(line);
  }

  lower(line: number): void {
    this.asserted.delete(line);
  }

  /** Deliver again if a level line is still asserted (after a handler returned without clearing it). */
  recheck(line: number, delayNs: number): void {
    if (this.asserted.has(line)) this.scheduleDelivery(line, delayNs);
  }

  private scheduleDelivery(line: number, delayNs = 0): void {
    if (this.pendingDelivery.has(line)) return;
    this.pendingDelivery.add(line);
    this.sched.after(delayNs, `irq ${line}`, () => {
      this.pendingDelivery.delete(line);
      const edge = this.triggers.get(line) === 'edge';
      if (edge || this.asserted.has(line)) this.sink?.deliver(line);
    });
  }
}

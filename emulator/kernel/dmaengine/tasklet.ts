/**
 * Tasklets: the bottom half where dmaengine drivers finish descriptors and run client callbacks
 * (vchan_complete). As on Linux, a tasklet scheduled by an interrupt handler runs as the handler
 * returns (irq_exit runs pending softirqs), still in atomic context; one scheduled from elsewhere
 * (a poll from dmaengine_tx_status, a timer) runs at the next step of virtual time, in softirq
 * context, which is atomic too. Sleeping in a callback is therefore reported (sleep-in-irq),
 * naming the controller's interrupt.
 */
import type { IrqHandler } from '../irq';
import type { Kernel } from '../kernel';

/** While interrupts are held off (spin_lock_irqsave), softirqs wait this long and try again. */
const RETRY_NS = 1000;

export class Tasklet {
  private scheduled = false;
  private pendingEvent = false;
  private inHandler = 0;

  constructor(
    private readonly k: Kernel,
    /** The controller's interrupt line: atomic-context reports name it. */
    private readonly line: number,
    private readonly fn: () => void,
  ) {}

  /** tasklet_schedule */
  schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    if (this.inHandler > 0) return; // runs when the handler returns
    this.post(0);
  }

  /** Wrap the controller's hard-irq handler: what it scheduled runs before it returns. */
  wrap(h: IrqHandler): IrqHandler {
    return (irq, devId) => {
      this.inHandler++;
      let r: ReturnType<IrqHandler>;
      try {
        r = h(irq, devId);
      } finally {
        this.inHandler--;
      }
      if (this.inHandler === 0 && this.scheduled) this.run();
      return r;
    };
  }

  private post(delay: number): void {
    if (this.pendingEvent) return;
    this.pendingEvent = true;
    this.k.machine.sched.after(delay, 'dmaengine tasklet', () => {
      this.pendingEvent = false;
      if (!this.scheduled) return;
      const irq = this.k.irq;
      if (irq.irqsOff > 0) {
        this.post(RETRY_NS);
        return;
      }
      irq.inIrq++;
      const prev = irq.currentLine;
      irq.currentLine = this.line;
      try {
        this.run();
      } finally {
        irq.inIrq--;
        irq.currentLine = prev;
        this.k.woke();
      }
    });
  }

  private run(): void {
    this.scheduled = false;
    this.fn();
  }
}

/**
 * The IRQ core: handlers registered with request_irq run when the device raises the line, in
 * interrupt context (no sleeping). Level lines that stay asserted after a handler re-fire; a line
 * nobody handles is eventually disabled, as the kernel does. spin_lock_irqsave holds delivery back.
 */
import type { InterruptController, IrqSink } from '../hw/interrupt-controller';
import type { CallSite } from './call-site';
import type { Device } from './device';

export const IRQ_NONE = 0;
export const IRQ_HANDLED = 1;
export const IRQ_WAKE_THREAD = 2;
export const IRQF_SHARED = 0x80;

export type IrqHandler = (irq: number, devId: unknown) => number | Promise<number> | void;

interface Action {
  handler: IrqHandler;
  devId: unknown;
  name: string;
  dev?: Device;
  site?: CallSite;
  shared: boolean;
}

/** After this many unhandled deliveries in a row the line is disabled ("nobody cared"). */
const NOBODY_CARED = 1000;
const REFIRE_NS = 1000;

export interface IrqHost {
  irqc: InterruptController;
  /** How many hardware events are running (the scheduler's depth). */
  eventDepth(): number;
  emitInterrupt(line: number, handled: boolean, dev?: Device): void;
  log(dev: Device | undefined, level: 'err' | 'warn' | 'info', text: string): void;
  /** Handlers may have woken waiters: the run loop must let promise continuations run. */
  woke(): void;
}

export class IrqCore implements IrqSink {
  private actions = new Map<number, Action[]>();
  private unhandled = new Map<number, number>();
  private disabled = new Set<number>();
  private deferred = new Set<number>();
  /** Depth of interrupt context (a handler is running). */
  inIrq = 0;
  /** spin_lock_irqsave nesting: interrupts are held while > 0. */
  irqsOff = 0;
  currentLine = -1;
  /** Event depth at which the innermost running handler was entered (-1: none). */
  handlerEventDepth = -1;

  constructor(private readonly host: IrqHost) {}

  request(line: number, handler: IrqHandler, flags: number, name: string, devId: unknown, dev: Device | undefined, site: CallSite | undefined): number {
    const list = this.actions.get(line) ?? [];
    const shared = (flags & IRQF_SHARED) !== 0;
    if (list.length && (!shared || !list.every((a) => a.shared))) return -16; // -EBUSY
    list.push({ handler, devId, name, dev, site, shared });
    this.actions.set(line, list);
    this.disabled.delete(line);
    this.unhandled.delete(line);
    // a level line already asserted fires as soon as it is enabled
    this.host.irqc.recheck(line, 0);
    return 0;
  }

  free(line: number, devId: unknown): boolean {
    const list = this.actions.get(line);
    if (!list) return false;
    const i = list.findIndex((a) => a.devId === devId);
    if (i < 0) return false;
    list.splice(i, 1);
    if (list.length === 0) this.actions.delete(line);
    return true;
  }

  registered(line: number): { name: string; dev?: Device }[] {
    return (this.actions.get(line) ?? []).map((a) => ({ name: a.name, dev: a.dev }));
  }

  deliver(line: number): void {
    const list = this.actions.get(line);
    if (!list || this.disabled.has(line)) return; // masked: nobody requested it
    if (this.irqsOff > 0) {
      this.deferred.add(line);
      return;
    }
    // announced before the handlers run, so a debugger can stop here and step into them
    this.host.emitInterrupt(line, list.length > 0, list[0]?.dev);
    let handled = false;
    this.inIrq++;
    const prev = this.currentLine;
    const prevDepth = this.handlerEventDepth;
    this.handlerEventDepth = this.host.eventDepth();
    this.currentLine = line;
    try {
      for (const a of [...list]) {
        const r = a.handler(line, a.devId);
        if (r === IRQ_HANDLED || r === IRQ_WAKE_THREAD || (r !== null && typeof r === 'object' && typeof (r as Promise<number>).then === 'function')) handled = true;
      }
    } finally {
      this.inIrq--;
      this.currentLine = prev;
      this.handlerEventDepth = prevDepth;
      this.host.woke();
    }
    if (handled) this.unhandled.delete(line);
    else {
      const n = (this.unhandled.get(line) ?? 0) + 1;
      this.unhandled.set(line, n);
      if (n >= NOBODY_CARED) {
        this.host.log(list[0]?.dev, 'err', `irq ${line}: nobody cared (try booting with the "irqpoll" option)`);
        this.host.log(undefined, 'err', `Disabling IRQ #${line}`);
        this.disabled.add(line);
        return;
      }
    }
    this.host.irqc.recheck(line, REFIRE_NS);
  }

  /** spin_lock_irqsave */
  disable(): void {
    this.irqsOff++;
  }

  /** spin_unlock_irqrestore: deliver what arrived meanwhile. */
  enable(): void {
    if (this.irqsOff > 0) this.irqsOff--;
    if (this.irqsOff === 0 && this.deferred.size) {
      const lines = [...this.deferred];
      this.deferred.clear();
      for (const l of lines) this.host.irqc.recheck(l, 0);
    }
  }

  get atomic(): boolean {
    return this.inIrq > 0 || this.irqsOff > 0;
  }
}

/**
 * DMA request lines: the wires between slave peripherals and a system DMA controller (a PL080's
 * DMACBREQ/DMACSREQ inputs). The devicetree says which line a peripheral drives: the first cell of
 * each `dmas` specifier. A peripheral tells the controller when its line may need service; the
 * controller asks how many items the peripheral can take or give right now (its FIFO room or
 * level) and moves at most a burst of them through ordinary bus accesses to the FIFO register.
 *
 * One fabric per machine (keyed on its bus); controllers and peripherals find each other by the
 * controller's devicetree node, whatever order the machine builds them in.
 */
import type { Bus } from '../hw/bus';
import type { DtNode } from '../platform/dts';

/** What a peripheral shows on a request line. */
export interface DmaRequester {
  /** Items (of the peripheral's FIFO width) it can transfer now: RX level or TX room. 0: line idle. */
  dmaReady(line: number): number;
}

/** What a controller does when a line it serves may have become active. */
export interface DmaRequestTarget {
  dmaRequest(line: number): void;
}

export class DmaRequestFabric {
  private controllers = new Map<DtNode, DmaRequestTarget>();
  private peripherals = new Map<DtNode, Map<number, DmaRequester>>();

  /** A controller serves the request lines of `node`. */
  attachController(node: DtNode, target: DmaRequestTarget): void {
    this.controllers.set(node, target);
  }

  /** A peripheral drives request `line` of the controller at `node`. */
  connect(node: DtNode, line: number, who: DmaRequester): void {
    let m = this.peripherals.get(node);
    if (!m) this.peripherals.set(node, (m = new Map()));
    m.set(line, who);
  }

  /** Items the peripheral on `line` of `node` can transfer now (0 when nothing is wired there). */
  ready(node: DtNode, line: number): number {
    return this.peripherals.get(node)?.get(line)?.dmaReady(line) ?? 0;
  }

  /** The peripheral's line may have become active: the controller re-examines it. */
  request(node: DtNode, line: number): void {
    this.controllers.get(node)?.dmaRequest(line);
  }
}

const fabrics = new WeakMap<Bus, DmaRequestFabric>();

/** The request-line fabric of the machine that owns `bus`. */
export function dmaRequestFabric(bus: Bus): DmaRequestFabric {
  let f = fabrics.get(bus);
  if (!f) fabrics.set(bus, (f = new DmaRequestFabric()));
  return f;
}

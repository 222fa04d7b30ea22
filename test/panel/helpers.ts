/** Real panel snapshots, taken from runs of the examples, and a DOM to render them in. */
import * as path from 'path';
import { JSDOM } from 'jsdom';
import { runScript } from '../../emulator/runner/run';
import { panelSnapshot, type PanelSnapshot, type PanelSnapshotArgs, type PanelWire } from '../../emulator/inspect/panel-snapshot';
import { unpackPanel } from '../../src/panel/wire';
import type { TraceEvent } from '../../emulator/trace/events';
import type { Kernel } from '../../emulator/kernel/kernel';
import type { WebviewToHost } from '../../src/panel/protocol';
import type { Ctx } from '../../src/panel/webview/common';

export const root = path.join(__dirname, '..', '..');
export const example = (name: string) => path.join(root, 'examples', name);

/**
 * Run `script` and take the panel snapshot at the `nth` (1-based) trace event `when` accepts, as
 * the probe would at a stop there (the event is the stop's "last event"), and unpack it the way the
 * webview does after its JSON trip.
 */
export async function snapshotAt(script: string, platform: string, when: (e: TraceEvent, k: Kernel) => boolean, opts: { nth?: number; args?: PanelSnapshotArgs; stop?: boolean } = {}): Promise<PanelSnapshot> {
  let snap: PanelSnapshot | undefined;
  let seen = 0;
  await runScript({
    script,
    platform,
    onKernel: (k) => {
      k.trace.subscribe((e) => {
        if (snap || !when(e, k) || ++seen < (opts.nth ?? 1)) return;
        const stop = opts.stop === false ? undefined : { reason: 'event', filter: e.kind, description: e.kind };
        snap = unpackPanel(JSON.parse(JSON.stringify(panelSnapshot(k, opts.args ?? {}, stop, e))) as PanelWire);
      });
    },
  });
  if (!snap) throw new Error(`no matching event in ${script}`);
  return snap;
}

/** A fresh document, and a Ctx that records what the panel posts and which mappings it selects. */
export function dom(): { doc: Document; window: JSDOM['window']; posted: WebviewToHost[]; selected: number[]; ctx: Ctx } {
  const jsdom = new JSDOM('<!DOCTYPE html><html><body></body></html>', { pretendToBeVisual: true });
  const posted: WebviewToHost[] = [];
  const selected: number[] = [];
  const doc = jsdom.window.document;
  return { doc, window: jsdom.window, posted, selected, ctx: { doc, post: (m) => posted.push(m), select: (id) => selected.push(id) } };
}

export function click(el: Element): void {
  el.dispatchEvent(new (el.ownerDocument.defaultView as unknown as typeof globalThis & { MouseEvent: typeof MouseEvent }).MouseEvent('click', { bubbles: true, cancelable: true }));
}

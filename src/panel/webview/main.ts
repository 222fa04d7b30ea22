/// <reference lib="dom" />
/**
 * The webview's entry (bundled for the browser as dist/panel-webview.js): builds the panel, hands
 * it the host's messages and sends back the user's clicks.
 */
import type { HostToWebview, WebviewToHost } from '../protocol';
import { Panel, type PersistedState } from './panel';
import { unpackPanel } from '../wire';

interface VsCodeApi {
  postMessage(m: WebviewToHost): void;
  getState(): PersistedState | undefined;
  setState(s: PersistedState): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const panel = new Panel(document, (m) => vscode.postMessage(m), (s) => vscode.setState(s), vscode.getState() ?? {});
document.body.appendChild(panel.root);

window.addEventListener('message', (e: MessageEvent<HostToWebview>) => {
  const m = e.data;
  switch (m.type) {
    case 'state':
      panel.update(m.status, m.snapshot ? unpackPanel(m.snapshot) : null);
      break;
    case 'status':
      panel.setStatus(m.status);
      break;
    case 'coherency':
      panel.setCoherency(m.coherency);
      break;
  }
});

// the timeline draws to the width it has
let resize = 0;
new ResizeObserver(() => {
  cancelAnimationFrame(resize);
  resize = requestAnimationFrame(() => panel.timeline.draw());
}).observe(panel.timeline.element);

vscode.postMessage({ type: 'ready' });

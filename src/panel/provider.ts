/**
 * The DMA panel's host side: a webview view (`dmalab.panel`) that follows the DMA Lab session the
 * DebugEvents hub tracks. At every stop it asks the adapter for one `dmalab/panel` snapshot (and
 * the top frame, for the status line) and posts it to the webview; while the program runs it
 * refreshes at most every 500 ms when findings or memory changes come in; when the run ends it
 * keeps the last state (with the findings reported since) and says so. Nothing is fetched while
 * the view is hidden: it catches up when shown.
 */
import * as vscode from 'vscode';
import type { DebugEvents, StopInfo } from '../debug-events';
import type { FindingJson } from '../../emulator/kernel/findings';
import type { CoherencyView, HostToWebview, PanelStatus, PanelWire, WebviewToHost } from './protocol';
import { makeNonce, webviewHtml } from '../webview-page';
import { RefreshThrottle, RUNNING_REFRESH_MS } from '../refresh-throttle';
import { findingsOnly, mergeFindings, stopText, type TopFrame } from './status';

export const PANEL_VIEW_ID = 'dmalab.panel';

const IDLE: PanelStatus = { state: 'idle', text: 'No DMA Lab debug session' };

export class DmaPanelProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  private view?: vscode.WebviewView;
  private status: PanelStatus = IDLE;
  private snapshot: PanelWire | null = null;
  /** Findings the adapter reported this session: the last snapshot may predate some (merged, once each, when the run ends). */
  private later: FindingJson[] = [];
  private hubStop?: StopInfo;
  private selected?: number;
  private session?: vscode.DebugSession;
  private readonly throttle = new RefreshThrottle(() => this.fetch(), RUNNING_REFRESH_MS);
  /** A refresh was skipped while the view was hidden. */
  private stale = false;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly events: DebugEvents,
  ) {
    this.disposables.push(
      events.onDidStart((s) => {
        this.session = s;
        this.snapshot = null;
        this.later = [];
        this.hubStop = undefined;
        this.status = { state: 'running', text: 'Running', program: programOf(s) };
        this.post({ type: 'state', status: this.status, snapshot: null });
      }),
      events.onDidStop((info) => {
        if (info.session !== events.session) return;
        this.session = info.session;
        this.hubStop = info;
        this.status = { state: 'paused', text: stopText(null, info), program: programOf(info.session) };
        this.postStatus();
        this.throttle.request(true);
      }),
      events.onDidContinue((s) => {
        if (s !== this.session) return;
        this.hubStop = undefined;
        this.status = { ...this.status, state: 'running', text: 'Running', error: undefined };
        this.postStatus();
      }),
      events.onDidReportFinding(({ session, finding }) => {
        if (session !== this.session) return;
        this.later.push(finding);
        if (this.status.state === 'running') this.throttle.request(false);
      }),
      events.onDidChangeMemory(({ session }) => {
        // a device write while running, or a write from the debugger while stopped
        if (session === this.session && this.status.state !== 'ended') this.throttle.request(this.status.state === 'paused');
      }),
      events.onDidEnd((s) => {
        if (s !== this.session) return;
        this.throttle.cancel();
        this.session = undefined;
        this.hubStop = undefined;
        if (this.snapshot) this.snapshot = { ...this.snapshot, findings: mergeFindings(this.snapshot.findings, this.later), stop: null };
        else if (this.later.length) this.snapshot = findingsOnly(mergeFindings([], this.later));
        this.later = [];
        this.status = { state: 'ended', text: 'Run ended', program: this.status.program };
        this.post({ type: 'state', status: this.status, snapshot: this.snapshot });
      }),
    );
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    const dist = vscode.Uri.joinPath(this.extensionUri, 'dist');
    const media = vscode.Uri.joinPath(this.extensionUri, 'media');
    view.webview.options = { enableScripts: true, localResourceRoots: [dist, media] };
    view.webview.html = webviewHtml({
      title: 'DMA Lab',
      cspSource: view.webview.cspSource,
      nonce: makeNonce(),
      scriptUri: view.webview.asWebviewUri(vscode.Uri.joinPath(dist, 'panel-webview.js')).toString(),
      styleUri: view.webview.asWebviewUri(vscode.Uri.joinPath(media, 'panel.css')).toString(),
    });
    // this view's listeners go with it (VS Code creates a new view each time the panel is re-opened)
    const listeners = [
      view.webview.onDidReceiveMessage((m: WebviewToHost) => this.onMessage(m)),
      view.onDidChangeVisibility(() => {
        if (view.visible && this.stale) this.throttle.request(true);
      }),
    ];
    view.onDidDispose(() => {
      for (const l of listeners) l.dispose();
      if (this.view === view) this.view = undefined;
    });
  }

  private async onMessage(m: WebviewToHost): Promise<void> {
    switch (m.type) {
      case 'ready':
        this.post({ type: 'state', status: this.status, snapshot: this.snapshot });
        if (this.session && (this.stale || !this.snapshot) && this.status.state !== 'idle') this.throttle.request(true);
        break;
      case 'openSource': {
        const pos = new vscode.Position(Math.max(0, m.line - 1), Math.max(0, (m.column ?? 1) - 1));
        try {
          await vscode.window.showTextDocument(vscode.Uri.file(m.file), { selection: new vscode.Range(pos, pos), preview: true });
        } catch (e) {
          void vscode.window.showErrorMessage(`DMA Lab: cannot open ${m.file}: ${(e as Error).message}`);
        }
        break;
      }
      case 'openMemory':
        try {
          await vscode.commands.executeCommand('dmalab.openMemoryView', { cpu: m.cpu, phys: m.phys, device: m.device, dma: m.dma });
        } catch (e) {
          void vscode.window.showErrorMessage(`DMA Lab: cannot open the memory view: ${(e as Error).message}`);
        }
        break;
      case 'selectMapping':
        this.selected = m.id;
        if (this.session) {
          try {
            const part = (await this.session.customRequest('dmalab/panel', { mapping: m.id, parts: ['coherency'] })) as PanelWire;
            const view: CoherencyView | null = part.coherency;
            if (this.selected !== m.id) break; // a later pick is on its way
            if (this.snapshot) this.snapshot = { ...this.snapshot, coherency: view };
            this.post({ type: 'coherency', coherency: view });
          } catch {
            // the session went away meanwhile: the panel keeps what it shows
          }
        }
        break;
    }
  }

  /** Fetch a snapshot now (RefreshThrottle decides when, and that only one is out at a time). */
  private async fetch(): Promise<void> {
    const session = this.session;
    if (!session) return;
    if (!this.view?.visible) {
      this.stale = true;
      return;
    }
    this.stale = false;
    try {
      const paused = this.status.state === 'paused';
      const selected = this.selected;
      const [snap, frame] = await Promise.all([session.customRequest('dmalab/panel', { mapping: selected }) as Promise<PanelWire>, paused ? topFrame(session) : Promise.resolve(undefined)]);
      if (session !== this.session) return;
      if (selected !== this.selected) {
        // the user picked another buffer meanwhile: this answer's coherency is for the old one
        this.throttle.request(true);
        return;
      }
      // `later` stays: a finding reported while this request was out is not in `snap` (merged at the end, once)
      this.snapshot = snap;
      if (this.status.state === 'paused') this.status = { ...this.status, text: stopText(snap, this.hubStop, frame), error: undefined };
      else this.status = { ...this.status, error: undefined };
      this.post({ type: 'state', status: this.status, snapshot: snap });
    } catch (e) {
      if (session === this.session) {
        this.status = { ...this.status, error: (e as Error).message };
        this.postStatus();
      }
    }
  }

  private postStatus(): void {
    this.post({ type: 'status', status: this.status });
  }

  private post(m: HostToWebview): void {
    void this.view?.webview.postMessage(m);
  }

  dispose(): void {
    this.throttle.cancel();
    for (const d of this.disposables) d.dispose();
  }
}

function programOf(s: vscode.DebugSession): string | undefined {
  const p = s.configuration?.program;
  return typeof p === 'string' ? p : undefined;
}

/** The top frame of the stopped thread, for "at dad.ts:40 (dad_transfer)". */
async function topFrame(s: vscode.DebugSession): Promise<TopFrame | undefined> {
  try {
    const r = (await s.customRequest('stackTrace', { threadId: 1, startFrame: 0, levels: 1 })) as { stackFrames?: { name: string; line: number; source?: { path?: string } }[] };
    const f = r.stackFrames?.[0];
    return f ? { name: f.name, file: f.source?.path, line: f.line } : undefined;
  } catch {
    return undefined;
  }
}

/** Register the panel's view provider; dispose to unregister. */
export function registerDmaPanel(context: vscode.ExtensionContext, events: DebugEvents): vscode.Disposable {
  const provider = new DmaPanelProvider(context.extensionUri, events);
  return vscode.Disposable.from(provider, vscode.window.registerWebviewViewProvider(PANEL_VIEW_ID, provider));
}

/**
 * One memory view: an editor-area webview panel on one memory reference, following one DMA Lab
 * debug session. It reads the three views at every stop and after every memory change (at most
 * twice a second while the program runs), writes the bytes the user types through the view they
 * typed them in, and keeps its last content, read-only, once the session ends.
 */
import * as vscode from 'vscode';
import type { OpenTarget } from './args';
import { escapeHtml, makeNonce, webviewHtml } from '../webview-page';
import { encodeBase64, loadView, viewData, writeTarget, type Loaded } from './load';
import type { FromWebview, SessionStatus, ToWebview } from './model';
import { RefreshThrottle, RUNNING_REFRESH_MS } from '../refresh-throttle';

/** While the program runs, memory views refresh at most this often (ms). */

export function panelTitle(ref: string): string {
  const m = /^iova:([^:@]+)[^:]*:(.*)$/.exec(ref);
  if (m) return `${m[1]} ${m[2]}`;
  if (ref.startsWith('phys:')) return `phys ${ref.slice(5)}`;
  return `CPU ${ref}`;
}

export class MemoryView implements vscode.Disposable {
  readonly panel: vscode.WebviewPanel;
  private loaded?: Loaded;
  private status: SessionStatus = 'loading';
  private statusText?: string;
  private readonly refresher = new RefreshThrottle(() => this.refresh(), RUNNING_REFRESH_MS);
  private missed = false;
  private disposed = false;
  private readonly onDispose = new vscode.EventEmitter<void>();
  readonly onDidDispose = this.onDispose.event;

  constructor(
    extensionUri: vscode.Uri,
    readonly target: OpenTarget,
    private session: vscode.DebugSession | undefined,
    stopped: boolean,
    stopDescription?: string,
  ) {
    this.status = stopped ? 'stopped' : 'running';
    this.statusText = stopped ? pausedText(stopDescription) : runningText();
    const roots = [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')];
    this.panel = vscode.window.createWebviewPanel('dmalab.memoryView', `Memory: ${panelTitle(target.memoryReference)}`, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false }, { enableScripts: true, localResourceRoots: roots });
    const w = this.panel.webview;
    w.html = webviewHtml({
      cspSource: w.cspSource,
      nonce: makeNonce(),
      scriptUri: w.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'memory-webview.js')).toString(),
      styleUri: w.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'memory-view.css')).toString(),
      title: target.memoryReference,
      body: `<div id="app" class="app"><header class="head"><h1 id="title">${escapeHtml(target.memoryReference)}</h1><div class="status status-loading">Reading memory…</div></header></div>`,
    });
    w.onDidReceiveMessage((m: FromWebview) => void this.onMessage(m));
    this.panel.onDidChangeViewState(() => {
      if (this.panel.visible && this.missed) this.requestRefresh();
    });
    this.panel.onDidDispose(() => this.dispose());
  }

  follows(s: vscode.DebugSession): boolean {
    return !!this.session && this.session.id === s.id;
  }

  get ended(): boolean {
    return this.status === 'ended';
  }

  /** The session stopped: read everything again now. */
  onStop(description: string | undefined): void {
    this.setStatus('stopped', pausedText(description));
    this.requestRefresh();
  }

  onContinue(): void {
    this.setStatus('running', runningText());
  }

  /** Memory may have changed (a device wrote, the debugger wrote, a stop). */
  onMemory(stopped: boolean): void {
    this.requestRefresh(stopped);
  }

  /** The session ended: keep what was read, say so, no more writes. */
  onEnd(): void {
    this.refresher.cancel();
    this.session = undefined;
    this.setStatus('ended', this.loaded ? 'The debug session ended: these are the last bytes read (read-only). A new DMA Lab session brings this view back to life.' : 'The debug session ended before the memory could be read.');
  }

  /** A new session started after ours ended: follow it (its addresses are the same for the same program and seed). */
  adopt(s: vscode.DebugSession): void {
    this.session = s;
    this.setStatus('running', 'A new debug session started: this view follows it and reads memory at its first stop.');
  }

  private setStatus(status: SessionStatus, text?: string): void {
    this.status = status;
    this.statusText = text;
    this.post({ type: 'status', status, statusText: text, editable: status !== 'ended' && !!this.loaded });
  }

  /** Refresh soon: right away when stopped, throttled while running, on becoming visible when hidden. */
  requestRefresh(stopped = this.status === 'stopped'): void {
    if (this.disposed || !this.session) return;
    if (!this.panel.visible) {
      this.missed = true;
      return;
    }
    this.refresher.request(stopped);
  }

  /** Read the three views now (the throttle makes sure only one read runs at a time). */
  private async refresh(): Promise<void> {
    const s = this.session;
    if (this.disposed || !s) return;
    this.missed = false;
    try {
      const l = await loadView((command, args) => Promise.resolve(s.customRequest(command, args)), this.target);
      if (s !== this.session || this.disposed) return;
      this.loaded = l;
      // the view keeps what it was opened on: the device and length chosen the first time stay
      this.target.device ??= l.views.device?.name;
      this.target.length ??= l.views.length;
      this.post({ type: 'data', data: viewData(l, this.status, this.statusText) });
    } catch (e) {
      if (s === this.session && !this.disposed) this.post({ type: 'error', message: `Cannot read ${this.target.memoryReference}: ${(e as Error).message ?? e}` });
    }
  }

  private async onMessage(m: FromWebview): Promise<void> {
    switch (m.type) {
      case 'ready':
        // a webview shown again starts empty: give it what we have, then what is there now
        if (this.loaded) this.post({ type: 'data', data: viewData(this.loaded, this.status, this.statusText) });
        if (this.status !== 'ended') this.requestRefresh(true);
        return;
      case 'refresh':
        this.requestRefresh(true);
        return;
      case 'device':
        this.target.device = m.name;
        this.requestRefresh(true);
        return;
      case 'length':
        this.target.length = Math.max(1, Math.min(1 << 16, Math.floor(m.length)));
        this.requestRefresh(true);
        return;
      case 'write':
        await this.write(m.view, m.offset, m.value);
        return;
    }
  }

  private async write(view: 'cpu' | 'ram' | 'device', offset: number, value: number): Promise<void> {
    const s = this.session;
    if (!s || !this.loaded) {
      this.post({ type: 'error', message: 'The debug session ended: the view is read-only.' });
      return;
    }
    const t = writeTarget(this.loaded, view, offset);
    if ('error' in t) {
      this.post({ type: 'error', message: `Cannot write there: ${t.error}` });
      return;
    }
    try {
      await s.customRequest('writeMemory', { memoryReference: t.memoryReference, offset: t.offset, data: encodeBase64(Uint8Array.of(value & 0xff)) });
    } catch (e) {
      this.post({ type: 'error', message: `Writing ${t.memoryReference}+${t.offset} failed: ${(e as Error).message ?? e}` });
    }
    // the adapter announces the write as a memory event too; either way the views are read again
    this.requestRefresh(true);
  }

  private post(m: ToWebview): void {
    if (!this.disposed) void this.panel.webview.postMessage(m);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.refresher.cancel();
    this.onDispose.fire();
    this.onDispose.dispose();
    this.panel.dispose();
  }
}

function pausedText(description: string | undefined): string {
  if (!description) return 'Paused.';
  return /^paused/i.test(description) ? description : `Paused: ${description}`;
}

function runningText(): string {
  return `Running: read again on memory changes, at most every ${RUNNING_REFRESH_MS} ms; exact at the next stop.`;
}

// The host side with a stand-in for the `vscode` module: what it asks the adapter and posts to the
// webview at a stop, while running (throttled), when the run ends; what the webview's clicks do.
import * as assert from 'assert';
import Module from 'module';
import type { FindingJson } from '../../emulator/kernel/findings';
import type { HostToWebview, PanelWire, WebviewToHost } from '../../src/panel/protocol';
import { findingsOnly } from '../../src/panel/status';
import { RUNNING_REFRESH_MS, SETTLE_MS } from '../../src/refresh-throttle';

// ---- a minimal `vscode` ------------------------------------------------------------------------
class EventEmitter<T> {
  private ls: ((e: T) => void)[] = [];
  event = (l: (e: T) => void) => {
    this.ls.push(l);
    return { dispose: () => (this.ls = this.ls.filter((x) => x !== l)) };
  };
  fire(e: T) {
    for (const l of this.ls) l(e);
  }
  dispose() {}
}
const calls: { showTextDocument: unknown[][]; executeCommand: unknown[][] } = { showTextDocument: [], executeCommand: [] };
const fakeVscode = {
  EventEmitter,
  Uri: { file: (p: string) => ({ fsPath: p, toString: () => `file://${p}` }), joinPath: (u: { fsPath: string }, ...p: string[]) => ({ fsPath: [u.fsPath, ...p].join('/'), toString: () => `file://${[u.fsPath, ...p].join('/')}` }) },
  Position: class {
    constructor(
      readonly line: number,
      readonly character: number,
    ) {}
  },
  Range: class {
    constructor(
      readonly start: unknown,
      readonly end: unknown,
    ) {}
  },
  Disposable: { from: (...d: { dispose(): void }[]) => ({ dispose: () => d.forEach((x) => x.dispose()) }) },
  window: {
    showTextDocument: async (...a: unknown[]) => void calls.showTextDocument.push(a),
    showErrorMessage: async () => undefined,
    registerWebviewViewProvider: () => ({ dispose() {} }),
  },
  commands: { executeCommand: async (...a: unknown[]) => void calls.executeCommand.push(a) },
};
const M = Module as unknown as { _load(request: string, parent: unknown, isMain: boolean): unknown };
const load = M._load;
M._load = function (request: string, parent: unknown, isMain: boolean) {
  return request === 'vscode' ? fakeVscode : load.call(this, request, parent, isMain);
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { DmaPanelProvider } = require('../../src/panel/provider') as typeof import('../../src/panel/provider');
M._load = load;

// ---- a session, the hub, a webview ------------------------------------------------------------------
const wire = (now: number, findings: FindingJson[] = []): PanelWire => ({ ...findingsOnly(findings, 'p'), now_ns: now });

function setup() {
  const requests: { command: string; args: unknown }[] = [];
  let now = 0;
  const session = {
    configuration: { program: '/w/dad.ts' },
    customRequest: async (command: string, args: unknown) => {
      requests.push({ command, args });
      if (command === 'stackTrace') return { stackFrames: [{ name: 'dad_transfer', line: 50, source: { path: '/w/dad.ts' } }] };
      return wire(++now);
    },
  };
  const hub = {
    session: session as unknown,
    started: new EventEmitter<unknown>(),
    ended: new EventEmitter<unknown>(),
    stopped: new EventEmitter<{ session: unknown; reason: string; description?: string }>(),
    continued: new EventEmitter<unknown>(),
    finding: new EventEmitter<{ session: unknown; finding: FindingJson }>(),
    memory: new EventEmitter<{ session: unknown; memoryReference?: string }>(),
  };
  const events = {
    get session() {
      return hub.session;
    },
    onDidStart: hub.started.event,
    onDidEnd: hub.ended.event,
    onDidStop: hub.stopped.event,
    onDidContinue: hub.continued.event,
    onDidReportFinding: hub.finding.event,
    onDidChangeMemory: hub.memory.event,
  };
  const posted: HostToWebview[] = [];
  let receive: (m: WebviewToHost) => unknown = () => undefined;
  const view = {
    visible: true,
    webview: {
      options: {},
      html: '',
      cspSource: 'vscode-resource:',
      asWebviewUri: (u: { fsPath: string }) => ({ toString: () => `vscode-resource:${u.fsPath}` }),
      postMessage: async (m: HostToWebview) => void posted.push(m),
      onDidReceiveMessage: (l: (m: WebviewToHost) => unknown) => ((receive = l), { dispose() {} }),
    },
    onDidChangeVisibility: () => ({ dispose() {} }),
    onDidDispose: () => ({ dispose() {} }),
  };
  const provider = new DmaPanelProvider(fakeVscode.Uri.file('/ext') as never, events as never);
  provider.resolveWebviewView(view as never);
  return { provider, hub, session, view, posted, requests, send: (m: WebviewToHost) => receive(m) };
}

const settle = (ms = 0) => new Promise((r) => setTimeout(r, ms));
const finding = (id: string, line: number): FindingJson => ({ id, severity: 'error', message: id, device: 'dad@1', time_ns: line, count: 1, location: { file: '/w/dad.ts', line, column: 1 }, related: [] });

describe('panel host (provider)', () => {
  it('serves a strict page from dist/ and media/', () => {
    const t = setup();
    const html = (t.view.webview as { html: string }).html;
    assert.match(html, /script-src 'nonce-[A-Za-z0-9]+'/);
    assert.match(html, /src="vscode-resource:\/ext\/dist\/panel-webview\.js"/);
    assert.match(html, /href="vscode-resource:\/ext\/media\/panel\.css"/);
    t.provider.dispose();
  });

  it('at a stop: one panel snapshot and the top frame, posted with "Paused on … at dad.ts:50"', async () => {
    const t = setup();
    t.hub.started.fire(t.session);
    t.hub.stopped.fire({ session: t.session, reason: 'breakpoint', description: 'Paused on breakpoint' });
    await settle(SETTLE_MS * 3);
    assert.deepStrictEqual(t.requests.map((r) => r.command).sort(), ['dmalab/panel', 'stackTrace']);
    const last = t.posted.at(-1) as Extract<HostToWebview, { type: 'state' }>;
    assert.strictEqual(last.type, 'state');
    assert.strictEqual(last.status.text, 'Paused on breakpoint at dad.ts:50 (dad_transfer)');
    assert.strictEqual(last.snapshot?.now_ns, 1);
    t.provider.dispose();
  });

  it('while running: "Running", then at most one refresh per interval however many events come', async function () {
    this.timeout(5000);
    const t = setup();
    t.hub.started.fire(t.session);
    t.hub.continued.fire(t.session);
    assert.strictEqual((t.posted.at(-1) as { status: { text: string } }).status.text, 'Running');
    for (let i = 0; i < 50; i++) t.hub.memory.fire({ session: t.session, memoryReference: 'iova:dad:0x1000' });
    t.hub.finding.fire({ session: t.session, finding: finding('cpu-read-stale', 7) });
    await settle(SETTLE_MS * 3);
    assert.strictEqual(t.requests.filter((r) => r.command === 'dmalab/panel').length, 1, 'the burst makes one refresh');
    for (let i = 0; i < 50; i++) t.hub.memory.fire({ session: t.session, memoryReference: 'iova:dad:0x1000' });
    await settle(RUNNING_REFRESH_MS / 2);
    assert.strictEqual(t.requests.filter((r) => r.command === 'dmalab/panel').length, 1, 'not before the interval is over');
    await settle(RUNNING_REFRESH_MS);
    assert.strictEqual(t.requests.filter((r) => r.command === 'dmalab/panel').length, 2, 'one more after the interval');
    assert.ok(!t.requests.some((r) => r.command === 'stackTrace'), 'no stack while running');
    t.provider.dispose();
  });

  it('when the run ends: the last state stays, with the findings reported since, and says so', async () => {
    const t = setup();
    t.hub.started.fire(t.session);
    t.hub.stopped.fire({ session: t.session, reason: 'step', description: 'Paused after a step' });
    await settle(SETTLE_MS * 3);
    t.hub.continued.fire(t.session);
    t.hub.finding.fire({ session: t.session, finding: finding('leak-at-remove', 9) });
    t.hub.ended.fire(t.session);
    const last = t.posted.at(-1) as Extract<HostToWebview, { type: 'state' }>;
    assert.deepStrictEqual([last.type, last.status.state, last.status.text], ['state', 'ended', 'Run ended']);
    assert.strictEqual(last.snapshot?.now_ns, 1, 'the snapshot of the last stop');
    assert.deepStrictEqual(last.snapshot?.findings.map((f) => f.id), ['leak-at-remove']);
    await settle(RUNNING_REFRESH_MS + 100);
    assert.strictEqual(t.requests.filter((r) => r.command === 'dmalab/panel').length, 1, 'nothing asked of a session that is gone');
    t.provider.dispose();
  });

  it('a hidden view fetches nothing, and catches up when the webview is back', async () => {
    const t = setup();
    t.view.visible = false;
    t.hub.started.fire(t.session);
    t.hub.stopped.fire({ session: t.session, reason: 'step', description: 'Paused after a step' });
    await settle(SETTLE_MS * 3);
    assert.strictEqual(t.requests.length, 0);
    t.view.visible = true;
    await t.send({ type: 'ready' });
    await settle(SETTLE_MS * 3);
    assert.strictEqual(t.requests.filter((r) => r.command === 'dmalab/panel').length, 1);
    t.provider.dispose();
  });

  it('clicks: a source line opens the file at the line; a mapping opens the memory view; a buffer choice fetches its coherency', async () => {
    const t = setup();
    t.hub.started.fire(t.session);
    await t.send({ type: 'openSource', file: '/w/dad.ts', line: 40, column: 20 });
    const [uri, opts] = calls.showTextDocument.at(-1) as [{ fsPath: string }, { selection: { start: { line: number; character: number } } }];
    assert.strictEqual(uri.fsPath, '/w/dad.ts');
    assert.deepStrictEqual([opts.selection.start.line, opts.selection.start.character], [39, 19]);
    await t.send({ type: 'openMemory', cpu: '0xffff0008bfff8000', phys: '0x8ffff8000', device: 'dad@10000000', dma: '0xfffff000' });
    assert.deepStrictEqual(calls.executeCommand.at(-1), ['dmalab.openMemoryView', { cpu: '0xffff0008bfff8000', phys: '0x8ffff8000', device: 'dad@10000000', dma: '0xfffff000' }]);
    await t.send({ type: 'selectMapping', id: 7 });
    assert.deepStrictEqual(t.requests.at(-1), { command: 'dmalab/panel', args: { mapping: 7, parts: ['coherency'] } });
    assert.strictEqual(t.posted.at(-1)!.type, 'coherency');
    t.hub.stopped.fire({ session: t.session, reason: 'step', description: 'Paused after a step' });
    await settle(SETTLE_MS * 3);
    assert.deepStrictEqual(t.requests.find((r) => r.command === 'dmalab/panel' && !(r.args as { parts?: unknown }).parts)?.args, { mapping: 7 }, 'later snapshots keep the chosen buffer');
    t.provider.dispose();
  });
});

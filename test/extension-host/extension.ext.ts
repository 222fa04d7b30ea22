/**
 * The extension inside a real extension host: it activates, registers what it contributes, its
 * debugger resolves and runs a launch configuration, and a buggy example's finding reaches the
 * Problems view (the diagnostics API).
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';

const EXTENSION_ID = 'dmalab.dmalab';

function workspaceDir(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the test instance has no workspace folder');
  return folder.uri.fsPath;
}

function lineOf(file: string, text: string): number {
  const i = fs.readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes(text));
  assert.ok(i >= 0, `"${text}" is not in ${file}`);
  return i + 1;
}

async function until<T>(what: string, fn: () => T | undefined, timeout = 60_000): Promise<T> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('DMA Lab in the extension host', () => {
  const extension = () => {
    const e = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(e, `${EXTENSION_ID} is not loaded`);
    return e;
  };

  it('activates', async () => {
    await extension().activate();
    assert.ok(extension().isActive);
  });

  it('registers every command it contributes', async () => {
    await extension().activate();
    const registered = new Set(await vscode.commands.getCommands(true));
    const contributed = (extension().packageJSON.contributes.commands as { command: string }[]).map((c) => c.command);
    assert.ok(contributed.length > 0);
    assert.deepStrictEqual(contributed.filter((c) => !registered.has(c)), [], 'contributed but not registered');
  });

  it('the debugger resolves a launch configuration and runs the script to a clean exit', async () => {
    const file = path.join(workspaceDir(), 'examples', 'dad.ts');
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(file));
    let exitCode: number | undefined;
    const tracker = vscode.debug.registerDebugAdapterTrackerFactory('dmalab', {
      createDebugAdapterTracker: () => ({
        onDidSendMessage: (m: { type: string; event?: string; body?: { exitCode?: number } }) => {
          if (m.type === 'event' && m.event === 'exited') exitCode = m.body?.exitCode;
        },
      }),
    });
    let session: vscode.DebugSession | undefined;
    let ended = false;
    const subs = [
      vscode.debug.onDidStartDebugSession((s) => s.type === 'dmalab' && (session = s)),
      vscode.debug.onDidTerminateDebugSession((s) => s === session && (ended = true)),
    ];
    try {
      const config = { type: 'dmalab', request: 'launch', name: 'extension-host test', program: '${file}', platform: 'x86-64-vtd' };
      assert.ok(await vscode.debug.startDebugging(vscode.workspace.workspaceFolders![0], config, { noDebug: true }), 'startDebugging refused the configuration');
      await until('the session to end', () => ended, 120_000);
      assert.strictEqual(session!.configuration.program, file, '${file} resolved to the active editor');
      assert.strictEqual(session!.configuration.platform, 'x86-64-vtd');
      assert.strictEqual(exitCode, 0, 'the run of dad.ts exits clean');
    } finally {
      tracker.dispose();
      for (const s of subs) s.dispose();
    }
  });

  it('Run Driver Script on a buggy example puts its finding in the Problems view', async () => {
    const file = path.join(workspaceDir(), 'examples', 'bugs', 'unmap-size-mismatch.ts');
    const uri = vscode.Uri.file(file);
    await vscode.commands.executeCommand('dmalab.runDriver', uri);
    const d = await until('the unmap-size-mismatch diagnostic', () => vscode.languages.getDiagnostics(uri).find((x) => x.code === 'unmap-size-mismatch'));
    assert.strictEqual(d.source, 'DMA Lab');
    assert.strictEqual(d.severity, vscode.DiagnosticSeverity.Error);
    assert.strictEqual(d.range.start.line + 1, lineOf(file, '// BUG: unmap-size-mismatch'));
    assert.match(d.message, /device driver frees DMA memory with different size/);
  });
});

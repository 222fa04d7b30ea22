// `dmalab lsp --stdio` and the bundled dist/lsp-server.js: a real process speaking LSP on stdio.
import * as assert from 'assert';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import type { InitializeResult, PublishDiagnosticsParams } from 'vscode-languageserver';
import { ROOT, messageOf } from './client';

async function session(args: string[]): Promise<{ caps: InitializeResult; diags: PublishDiagnosticsParams; code: number | null; stderr: string }> {
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const conn = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  const diags = new Promise<PublishDiagnosticsParams>((resolve) => conn.onNotification('textDocument/publishDiagnostics', resolve));
  conn.listen();
  const caps = await conn.sendRequest<InitializeResult>('initialize', { processId: null, rootUri: null, capabilities: {} });
  await conn.sendNotification('initialized', {});
  await conn.sendNotification('textDocument/didOpen', { textDocument: { uri: 'file:///virtual/x.dts', languageId: 'devicetree', version: 1, text: '/dts-v1/;\n/ {\n\tx = <1>\n};\n' } });
  const d = await diags;
  await conn.sendRequest('shutdown');
  await conn.sendNotification('exit');
  const code = await exited;
  conn.dispose();
  return { caps, diags: d, code, stderr };
}

describe('lsp: the standalone server', () => {
  before(function () {
    if (!fs.existsSync(path.join(ROOT, 'dist', 'cli.js')) || !fs.existsSync(path.join(ROOT, 'dist', 'lsp-server.js'))) {
      throw new Error('dist/cli.js or dist/lsp-server.js is missing: npm test builds them first (npm run build)');
    }
  });

  for (const [name, args] of [
    ['dmalab lsp --stdio', [path.join('bin', 'dmalab.js'), 'lsp', '--stdio']],
    ['dist/lsp-server.js --stdio', [path.join('dist', 'lsp-server.js'), '--stdio']],
  ] as const) {
    it(`${name}: initialize, diagnostics, shutdown and exit with status 0`, async () => {
      const s = await session([...args]);
      assert.strictEqual(s.caps.capabilities.hoverProvider, true);
      assert.strictEqual(s.caps.capabilities.documentFormattingProvider, true);
      assert.deepStrictEqual(s.caps.capabilities.renameProvider, { prepareProvider: true });
      assert.strictEqual(s.diags.uri, 'file:///virtual/x.dts');
      assert.ok(s.diags.diagnostics.some((d) => /expected ';' after property 'x'/.test(messageOf(d))), JSON.stringify(s.diags));
      assert.strictEqual(s.code, 0, s.stderr);
    });
  }

  it('dmalab lsp refuses other arguments', async () => {
    const child = spawn(process.execPath, [path.join('bin', 'dmalab.js'), 'lsp', '--port', '1'], { cwd: ROOT });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.strictEqual(code, 2);
    assert.match(stderr, /dmalab lsp: unexpected argument --port/);
  });
});

// More of the adapter: function breakpoints on API names, logpoints and hit counts, setVariable,
// memory events after device writes, restart, and the stdio transport.
import * as assert from 'assert';
import * as path from 'path';
import { spawn } from 'child_process';
import { DebugProtocol } from '@vscode/debugprotocol';
import { Adapter, example, lineOf, root, startAdapter } from '../helpers/dap';

const dad = example('dad.ts');

async function configure(a: Adapter, args: Record<string, unknown>, setup: () => Promise<unknown>) {
  const initialized = a.dc.waitForEvent('initialized');
  const launched = a.dc.launch(args);
  await initialized;
  await setup();
  await a.dc.configurationDoneRequest();
  await launched;
}

describe('debug adapter: more capabilities', function () {
  let a: Adapter;
  beforeEach(async () => (a = await startAdapter()));
  afterEach(async () => a.stop());

  it('a function breakpoint on an API name stops at the call in the script', async () => {
    const stopped = a.dc.waitForEvent('stopped');
    await configure(a, { program: dad, platform: 'x86-64-vtd' }, async () => {
      const r = await a.dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'dma_unmap_single' }, { name: 'no_such_api' }] });
      assert.deepStrictEqual(r.body.breakpoints.map((b) => b.verified), [true, false]);
    });
    const s = (await stopped) as DebugProtocol.StoppedEvent;
    assert.strictEqual(s.body.reason, 'function breakpoint');
    const st = await a.dc.stackTraceRequest({ threadId: 1 });
    assert.strictEqual(st.body.stackFrames[0].line, lineOf(dad, 'dma_unmap_single(dad.dev, dad.dma_addr, dad.dma_size, dad.dma_dir);'));
    assert.strictEqual(st.body.stackFrames[0].name, 'dad_interrupt');
  });

  it('logpoints print without stopping; a hit count stops on the n-th hit; setVariable changes a local', async () => {
    const line = lineOf(dad, 'count = Math.min(count, DAD_BLOCK);');
    const logs: string[] = [];
    a.dc.on('output', (e) => logs.push(e.body.output));
    const stopped = a.dc.waitForEvent('stopped');
    await configure(a, { program: dad, platform: 'x86-64-vtd' }, () =>
      a.dc.setBreakpointsRequest({ source: { path: dad }, breakpoints: [{ line, logMessage: 'read of {count} bytes' }, { line: line + 1, hitCondition: '3' }] }),
    );
    await stopped;
    assert.strictEqual(logs.filter((l) => l.includes('read of 4096 bytes')).length, 3, 'the logpoint printed on each of the three calls');
    const st = await a.dc.stackTraceRequest({ threadId: 1 });
    const scopes = await a.dc.scopesRequest({ frameId: st.body.stackFrames[0].id });
    const set = await a.dc.setVariableRequest({ variablesReference: scopes.body.scopes[0].variablesReference, name: 'count', value: '16' });
    assert.strictEqual(set.body.value, '16');
    const ev = await a.dc.evaluateRequest({ expression: 'count', frameId: st.body.stackFrames[0].id });
    assert.strictEqual(ev.body.result, '16');
  });

  it('memory events follow device writes', async () => {
    const memory = a.dc.waitForEvent('memory');
    await configure(a, { program: dad, platform: 'arm64-smmu-noncoherent' }, async () => undefined);
    const m = (await memory) as DebugProtocol.MemoryEvent;
    assert.match(m.body.memoryReference, /^iova:dad@10000000:0x[0-9a-f]+$/);
    assert.strictEqual(m.body.count, 4096);
  });

  it('restart runs the program again from the start', async () => {
    const line = lineOf(dad, 'count = Math.min(count, DAD_BLOCK);');
    await a.dc.hitBreakpoint({ program: dad, platform: 'x86-64-vtd' }, { path: dad, line });
    const initialized = a.dc.waitForEvent('initialized');
    const restarted = a.dc.send('restart', { arguments: { program: dad, platform: 'x86-64-vtd' } });
    await initialized;
    await a.dc.setBreakpointsRequest({ source: { path: dad }, breakpoints: [{ line }] });
    const stopped = a.dc.waitForEvent('stopped');
    await a.dc.configurationDoneRequest();
    await restarted;
    await stopped;
    const scope = await a.dc.scopesRequest({ frameId: (await a.dc.stackTraceRequest({ threadId: 1 })).body.stackFrames[0].id });
    const dmaScope = await a.dc.variablesRequest({ variablesReference: scope.body.scopes.find((s) => s.name === 'DMA')!.variablesReference });
    const now = dmaScope.body.variables.find((v) => v.name === 'now_ns');
    assert.ok(now && Number(now.value) < 1e6, 'virtual time started again');
  });
});

describe('debug adapter: stdio transport', () => {
  it('dmalab dap speaks DAP on stdin/stdout', async () => {
    const proc = spawn(process.execPath, [path.join(root, 'bin', 'dmalab.js'), 'dap'], { cwd: root });
    const send = (seq: number, command: string, args: object) => {
      const body = JSON.stringify({ seq, type: 'request', command, arguments: args });
      proc.stdin.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    };
    const messages: { type: string; command?: string; success?: boolean; body?: { exceptionBreakpointFilters?: { filter: string }[] } }[] = [];
    let buf = '';
    const got = new Promise<void>((resolve) => {
      proc.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        for (;;) {
          const m = /Content-Length: (\d+)\r\n\r\n/.exec(buf);
          if (!m || buf.length < m.index + m[0].length + Number(m[1])) break;
          messages.push(JSON.parse(buf.slice(m.index + m[0].length, m.index + m[0].length + Number(m[1]))));
          buf = buf.slice(m.index + m[0].length + Number(m[1]));
          if (messages.some((x) => x.command === 'initialize')) resolve();
        }
      });
    });
    send(1, 'initialize', { adapterID: 'dmalab', linesStartAt1: true, columnsStartAt1: true });
    await got;
    proc.kill();
    const init = messages.find((x) => x.command === 'initialize')!;
    assert.strictEqual(init.success, true);
    assert.ok(init.body!.exceptionBreakpointFilters!.some((f) => f.filter === 'dma-map'));
  });
});

describe('debug adapter: conditions, caught errors, async stacks', function () {
  let a: Adapter;
  beforeEach(async () => (a = await startAdapter()));
  afterEach(async () => a.stop());
  const catches = path.join(root, 'test', 'fixtures', 'catches.ts');

  it('a conditional line breakpoint stops only when its condition holds', async () => {
    const line = lineOf(dad, 'count = Math.min(count, DAD_BLOCK);');
    const exited = a.dc.waitForEvent('exited');
    await configure(a, { program: dad, platform: 'x86-64-vtd' }, () => a.dc.setBreakpointsRequest({ source: { path: dad }, breakpoints: [{ line, condition: 'count > 99999' }] }));
    assert.strictEqual(((await exited) as DebugProtocol.ExitedEvent).body.exitCode, 0, 'never stopped');
  });

  it('"caught" stops at a throw the script catches; asyncStackTraces shows the await chain', async () => {
    const stopped = a.dc.waitForEvent('stopped');
    await configure(a, { program: catches, platform: 'x86-64-vtd', asyncStackTraces: true }, () => a.dc.setExceptionBreakpointsRequest({ filters: ['caught'] }));
    const s = (await stopped) as DebugProtocol.StoppedEvent;
    assert.strictEqual(s.body.reason, 'exception');
    assert.match(s.body.text!, /recoverable/);
    const st = await a.dc.stackTraceRequest({ threadId: 1 });
    assert.strictEqual(st.body.stackFrames[0].line, lineOf(catches, "throw new Error('recoverable');"));
    assert.strictEqual(st.body.stackFrames[1].name, 'probe');
    // into the awaited function: the await chain appears below it
    await a.dc.setExceptionBreakpointsRequest({ filters: [] });
    const line = lineOf(catches, 'return 7;');
    await a.dc.setBreakpointsRequest({ source: { path: catches }, breakpoints: [{ line }] });
    const again = a.dc.waitForEvent('stopped');
    await a.dc.continueRequest({ threadId: 1 });
    await again;
    const st2 = await a.dc.stackTraceRequest({ threadId: 1 });
    assert.strictEqual(st2.body.stackFrames[0].name, 'settle');
    assert.ok(st2.body.stackFrames.some((f) => f.name.startsWith('await')), JSON.stringify(st2.body.stackFrames.map((f) => f.name)));
    assert.ok(st2.body.stackFrames.some((f) => f.name === 'probe' && f.line === lineOf(catches, 'v = await settle();')));
  });
});

// The debug adapter at the DAP level: launch, line breakpoints in the .ts, stack, scopes,
// variables rendered as kernel values, stepping, evaluation, the end of the run.
import * as assert from 'assert';
import { DebugProtocol } from '@vscode/debugprotocol';
import { Adapter, example, lineOf, startAdapter } from '../helpers/dap';

describe('debug adapter: basics', function () {
  let a: Adapter;
  beforeEach(async () => (a = await startAdapter()));
  afterEach(async () => a.stop());

  const dad = example('dad.ts');

  it('stops at a breakpoint on a .ts line, with the script frames and their locals', async () => {
    const line = lineOf(dad, 'if (copy_to_user(buf, dad.buffer, count)) return -EFAULT;');
    await a.dc.hitBreakpoint({ program: dad, platform: 'arm64-smmu-noncoherent' }, { path: dad, line });
    const st = await a.dc.stackTraceRequest({ threadId: 1 });
    const top = st.body.stackFrames[0];
    assert.strictEqual(top.name, 'dad_read');
    assert.strictEqual(top.source?.path, dad);
    assert.strictEqual(top.line, line);
    assert.ok(st.body.stackFrames.every((f) => !f.source || f.source.path?.endsWith('.ts')), 'no emulator frames by default');
    const scopes = await a.dc.scopesRequest({ frameId: top.id });
    assert.deepStrictEqual(scopes.body.scopes.map((s) => s.name).slice(0, 1), ['Locals']);
    assert.ok(scopes.body.scopes.some((s) => s.name === 'DMA'));
    const locals = await a.dc.variablesRequest({ variablesReference: scopes.body.scopes[0].variablesReference });
    const count = locals.body.variables.find((v) => v.name === 'count');
    assert.strictEqual(count?.value, '4096');
    const dadVar = locals.body.variables.find((v) => v.name === 'dad')!;
    const fields = await a.dc.variablesRequest({ variablesReference: dadVar.variablesReference });
    const buffer = fields.body.variables.find((v) => v.name === 'buffer')!;
    assert.match(buffer.value, /^0xffff[0-9a-f]+ \(phys 0x[0-9a-f]+, kmalloc-4k object \+0 of 4096 bytes/);
    assert.ok(buffer.memoryReference?.startsWith('0xffff'));
    const dmaAddr = fields.body.variables.find((v) => v.name === 'dma_addr')!;
    assert.match(dmaAddr.value, /^0x[0-9a-f]+ \(\d+\)$/);
  });

  it('evaluates in the paused frame, steps over, continues to the end', async () => {
    const line = lineOf(dad, 'count = Math.min(count, DAD_BLOCK);');
    await a.dc.hitBreakpoint({ program: dad, platform: 'x86-64-vtd' }, { path: dad, line });
    const st = await a.dc.stackTraceRequest({ threadId: 1 });
    const ev = await a.dc.evaluateRequest({ expression: 'count * 2', frameId: st.body.stackFrames[0].id, context: 'watch' });
    assert.strictEqual(ev.body.result, '8192');
    await Promise.all([a.dc.nextRequest({ threadId: 1 }), a.dc.waitForEvent('stopped')]);
    const st2 = await a.dc.stackTraceRequest({ threadId: 1 });
    assert.strictEqual(st2.body.stackFrames[0].line, line + 1);
    await a.dc.setBreakpointsRequest({ source: { path: dad }, breakpoints: [] });
    const exited = a.dc.waitForEvent('exited');
    const terminated = a.dc.waitForEvent('terminated');
    await a.dc.continueRequest({ threadId: 1 });
    assert.strictEqual(((await exited) as DebugProtocol.ExitedEvent).body.exitCode, 0);
    await terminated;
  });

  it('runs without debugging (noDebug): breakpoints and DMA filters never stop, findings still arrive', async () => {
    const bug = example('bugs/unmap-size-mismatch.ts');
    const initialized = a.dc.waitForEvent('initialized');
    const exited = a.dc.waitForEvent('exited');
    const finding = a.dc.waitForEvent('dmalab.finding');
    let stops = 0;
    a.dc.on('stopped', () => stops++);
    const launched = a.dc.launch({ program: bug, platform: 'x86-64-vtd', noDebug: true, stopOnEntry: true } as DebugProtocol.LaunchRequestArguments);
    await initialized;
    const r = await a.dc.setBreakpointsRequest({ source: { path: bug }, breakpoints: [{ line: lineOf(bug, '// BUG: unmap-size-mismatch') }] });
    assert.strictEqual(r.body.breakpoints[0].verified, false);
    assert.match(r.body.breakpoints[0].message!, /without debugging/);
    await a.dc.setExceptionBreakpointsRequest({ filters: [], filterOptions: [{ filterId: 'dma-map' }] });
    await a.dc.configurationDoneRequest();
    await launched;
    assert.strictEqual(((await finding) as DebugProtocol.Event).body.id, 'unmap-size-mismatch');
    assert.strictEqual(((await exited) as DebugProtocol.ExitedEvent).body.exitCode, 1);
    assert.strictEqual(stops, 0);
  });

  it('moves a breakpoint on a line without code, and refuses files outside the bundle', async () => {
    const initialized = a.dc.waitForEvent('initialized');
    const launched = a.dc.launch({ program: dad, platform: 'x86-64-vtd' });
    await initialized;
    const blank = lineOf(dad, 'const DAD_BLOCK = 4096;') + 1; // the empty line after it
    const r = await a.dc.setBreakpointsRequest({ source: { path: dad }, breakpoints: [{ line: blank }] });
    assert.strictEqual(r.body.breakpoints[0].verified, true);
    assert.ok(r.body.breakpoints[0].line! > blank);
    const other = await a.dc.setBreakpointsRequest({ source: { path: example('edu.ts') }, breakpoints: [{ line: 10 }] });
    assert.strictEqual(other.body.breakpoints[0].verified, false);
    assert.match(other.body.breakpoints[0].message!, /not part of the driver bundle/);
    await a.dc.configurationDoneRequest();
    await launched;
  });

  it('reports a missing program or platform clearly', async () => {
    await assert.rejects(a.dc.launch({ platform: 'x86-64-vtd' }), /"program" is missing/);
  });
});

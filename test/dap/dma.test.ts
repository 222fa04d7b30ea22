// DMA-aware debugging at the DAP level: event breakpoints (with conditions), hardware stops,
// memory as the CPU, RAM and a device see it, data breakpoints hit by a device, pausing a
// busy loop, script errors, and requests that make no sense.
import * as assert from 'assert';
import * as path from 'path';
import { DebugProtocol } from '@vscode/debugprotocol';
import { Adapter, example, lineOf, root, startAdapter } from '../helpers/dap';

const dad = example('dad.ts');
const fixture = (f: string) => path.join(root, 'test', 'fixtures', f);

/** Launch with exception filters set during configuration; resolves at the first stop (or exit). */
async function launchWith(a: Adapter, args: Record<string, unknown>, filters: DebugProtocol.ExceptionFilterOptions[], extra?: () => Promise<unknown>) {
  const initialized = a.dc.waitForEvent('initialized');
  const launched = a.dc.launch(args);
  await initialized;
  await a.dc.setExceptionBreakpointsRequest({ filters: [], filterOptions: filters });
  if (extra) await extra();
  const stopped = a.dc.waitForEvent('stopped');
  await a.dc.configurationDoneRequest();
  await launched;
  return (await stopped) as DebugProtocol.StoppedEvent;
}

describe('debug adapter: DMA-aware debugging', function () {
  let a: Adapter;
  beforeEach(async () => (a = await startAdapter()));
  afterEach(async () => a.stop());

  it('dma-map stops at the script line that mapped, naming the event', async () => {
    const stop = await launchWith(a, { program: dad, platform: 'arm64-smmu-noncoherent' }, [{ filterId: 'dma-map' }]);
    assert.strictEqual(stop.body.reason, 'exception');
    assert.match(stop.body.description!, /^dma-map: dma_map_single → 0xfffff000, 4096 bytes, FROM_DEVICE$/);
    const st = await a.dc.stackTraceRequest({ threadId: 1 });
    assert.strictEqual(st.body.stackFrames[0].source?.path, dad);
    assert.strictEqual(st.body.stackFrames[0].line, lineOf(dad, 'const bus_addr = dma_map_single('));
    const info = await a.dc.exceptionInfoRequest({ threadId: 1 });
    assert.strictEqual(info.body.exceptionId, 'dma-map');
    const maps = (await a.dc.customRequest('dmalab/mappings')).body as { createdAt?: { file: string; line: number } }[];
    assert.deepStrictEqual(maps[0].createdAt && [maps[0].createdAt.file, maps[0].createdAt.line], [dad, st.body.stackFrames[0].line], 'the mapping knows its script line under the debugger too');
  });

  it('a condition on the event filters stops: a never-true condition lets the run finish', async () => {
    const exited = a.dc.waitForEvent('exited');
    const initialized = a.dc.waitForEvent('initialized');
    const launched = a.dc.launch({ program: dad, platform: 'x86-64-vtd' });
    await initialized;
    const r = await a.dc.setExceptionBreakpointsRequest({ filters: [], filterOptions: [{ filterId: 'dma-map', condition: 'size > 4096 && dir == "FROM_DEVICE" && device == "dad"' }, { filterId: 'interrupt', condition: 'irq == 99' }] });
    assert.ok(r.body?.breakpoints?.every((b) => b.verified));
    await a.dc.configurationDoneRequest();
    await launched;
    assert.strictEqual(((await exited) as DebugProtocol.ExitedEvent).body.exitCode, 0);
  });

  it('a condition that holds stops: it reads the event\'s fields by name', async () => {
    // the map in dad.ts is 4096 bytes FROM_DEVICE; the first interrupt of the run is dad's
    const stop = await launchWith(a, { program: dad, platform: 'x86-64-vtd' }, [{ filterId: 'dma-map', condition: 'size == 4096 && dir == "FROM_DEVICE" && device == "dad" && iova == dma && kind == "dma-map"' }]);
    assert.match(stop.body.description!, /^dma-map: dma_map_single → 0x[0-9a-f]+, 4096 bytes, FROM_DEVICE$/);
  });

  it('a condition that throws is reported once and counts as false from then on', async () => {
    const exited = a.dc.waitForEvent('exited');
    const output: string[] = [];
    a.dc.on('output', (e) => output.push(String(e.body.output)));
    const initialized = a.dc.waitForEvent('initialized');
    const launched = a.dc.launch({ program: dad, platform: 'x86-64-vtd' });
    await initialized;
    // the first unmap throws; from then on the condition counts as false, even where it would now hold
    await a.dc.setExceptionBreakpointsRequest({ filters: [], filterOptions: [{ filterId: 'dma-unmap', condition: 'sise > 0' }, { filterId: 'dma-map', condition: '(globalThis.__maps = (globalThis.__maps ?? 0) + 1) > 1 || nosuch' }] });
    await a.dc.configurationDoneRequest();
    await launched;
    assert.strictEqual(((await exited) as DebugProtocol.ExitedEvent).body.exitCode, 0);
    assert.strictEqual(output.filter((o) => /breakpoint dma-unmap: condition "sise > 0" failed: sise is not defined \(said once/.test(o)).length, 1, output.join(''));
    assert.strictEqual(output.filter((o) => /breakpoint dma-map: condition .* failed: nosuch is not defined/.test(o)).length, 1, output.join(''));
  });

  it('a condition that does not parse is refused with a message', async () => {
    const initialized = a.dc.waitForEvent('initialized');
    const launched = a.dc.launch({ program: dad, platform: 'x86-64-vtd' });
    await initialized;
    const r = await a.dc.setExceptionBreakpointsRequest({ filters: [], filterOptions: [{ filterId: 'dma-sync', condition: 'size >' }] });
    assert.strictEqual(r.body?.breakpoints?.[0].verified, false);
    assert.match(r.body!.breakpoints![0].message!, /does not parse/);
    await a.dc.configurationDoneRequest();
    await launched;
  });

  it('transfer-complete freezes the hardware: the CPU view is stale against RAM and the device view', async () => {
    const stop = await launchWith(a, { program: dad, platform: 'arm64-smmu-noncoherent' }, [{ filterId: 'transfer-complete' }]);
    assert.match(stop.body.description!, /transfer RD \(device→memory\) complete, 4096 bytes at 0xfffff000/);
    const st = await a.dc.stackTraceRequest({ threadId: 1 });
    assert.strictEqual(st.body.stackFrames[0].line, lineOf(dad, 'writeb(DAD_CMD_ENABLEDMA, dad.regs.add(DAD_COMMAND));'), 'the line that started the transfer');
    const maps = (await a.dc.customRequest('dmalab/mappings')).body as { cpuPhys: string[]; cpuVa: string; dma: string; device: string }[];
    const m = maps[0];
    const phys = m.cpuPhys[0].split('+')[0];
    const ram = Buffer.from((await a.dc.send('readMemory', { memoryReference: `phys:${phys}`, count: 64 })).body.data, 'base64');
    const cpu = Buffer.from((await a.dc.send('readMemory', { memoryReference: m.cpuVa, count: 64 })).body.data, 'base64');
    const dev = Buffer.from((await a.dc.send('readMemory', { memoryReference: `iova:dad:${m.dma}`, count: 64 })).body.data, 'base64');
    assert.deepStrictEqual([...ram.subarray(0, 4)], [0, 1, 2, 3], 'the device wrote block 0 into RAM');
    assert.deepStrictEqual(dev, ram, 'the device sees RAM');
    assert.deepStrictEqual([...cpu.subarray(0, 4)], [0x5a, 0x5a, 0x5a, 0x5a], 'the CPU still sees its cached (stale) lines');
    const tables = (await a.dc.customRequest('dmalab/iommuTables')).body as { device: string; entries: { iova: string; write: boolean }[] }[];
    assert.ok(tables.find((t) => t.device.startsWith('dad'))!.entries.some((e) => e.iova === m.dma && e.write));
  });

  it('a data breakpoint on a buffer variable fires when the device writes it', async () => {
    const line = lineOf(dad, 'writeb(DAD_CMD_ENABLEDMA, dad.regs.add(DAD_COMMAND));');
    await a.dc.hitBreakpoint({ program: dad, platform: 'arm32-swiotlb' }, { path: dad, line });
    const st = await a.dc.stackTraceRequest({ threadId: 1 });
    const scopes = await a.dc.scopesRequest({ frameId: st.body.stackFrames[0].id });
    const locals = await a.dc.variablesRequest({ variablesReference: scopes.body.scopes[0].variablesReference });
    const maps = (await a.dc.customRequest('dmalab/mappings')).body as { bounce?: string; dma: string }[];
    assert.ok(maps[0].bounce, 'on arm32 the buffer bounces: the device writes the slot');
    const mm = (await a.dc.customRequest('dmalab/memoryMap')).body as { regions: { kind: string; base: string; size: number; used?: number }[]; devices: { name: string; translation: string }[] };
    const pool = mm.regions.find((r) => r.kind === 'swiotlb')!;
    assert.ok(pool && pool.used! > 0, 'the memory map shows the swiotlb pool with the slot in use');
    assert.ok(BigInt(maps[0].bounce!) >= BigInt(pool.base) && BigInt(maps[0].bounce!) < BigInt(pool.base) + BigInt(pool.size));
    assert.ok(mm.regions.some((r) => r.kind === 'ram') && mm.regions.some((r) => r.kind === 'mmio'));
    assert.match(mm.devices.find((d) => d.name.startsWith('dad@'))!.translation, /^(dma-ranges|direct)$/, 'no IOMMU on arm32');
    const info = await a.dc.dataBreakpointInfoRequest({ name: `iova:dad:${maps[0].dma}`, asAddress: true, bytes: 4096 } as DebugProtocol.DataBreakpointInfoArguments);
    assert.ok(info.body.dataId);
    const set = await a.dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId!, accessType: 'write' }] });
    assert.ok(set.body.breakpoints[0].verified);
    assert.ok(locals.body.variables.length > 0);
    const stopped = a.dc.waitForEvent('stopped');
    await a.dc.setBreakpointsRequest({ source: { path: dad }, breakpoints: [] });
    await a.dc.continueRequest({ threadId: 1 });
    const s = (await stopped) as DebugProtocol.StoppedEvent;
    assert.strictEqual(s.body.reason, 'data breakpoint');
    assert.match(s.body.description!, /^dad@1c000000 \(DMA\) wrote 4096 bytes of iova:dad@1c000000:0x[0-9a-f]+ \(4096 bytes\)/);
  });

  it('pause interrupts a busy loop in the script', async () => {
    const initialized = a.dc.waitForEvent('initialized');
    const launched = a.dc.launch({ program: fixture('busy-loop.ts'), platform: 'x86-64-vtd' });
    await initialized;
    await a.dc.configurationDoneRequest();
    await launched;
    // a pause may land before the loop has run; resume and pause again until it is inside
    const loop = lineOf(fixture('busy-loop.ts'), 'while (spins >= 0) spins++;');
    let inLoop = false;
    for (let attempt = 0; attempt < 20 && !inLoop; attempt++) {
      if (attempt > 0) await a.dc.continueRequest({ threadId: 1 });
      const stopped = a.dc.waitForEvent('stopped');
      await a.dc.pauseRequest({ threadId: 1 });
      assert.strictEqual(((await stopped) as DebugProtocol.StoppedEvent).body.reason, 'pause');
      const st = await a.dc.stackTraceRequest({ threadId: 1 });
      const top = st.body.stackFrames[0];
      assert.ok(top, 'a pause always shows a script frame');
      const v = await a.dc.evaluateRequest({ expression: 'typeof spins === "number" && spins > 0', frameId: top.id });
      inLoop = v.body.result === 'true';
      if (inLoop) {
        assert.strictEqual(top.name, 'probe');
        // V8 attributes a pause at the loop's back-edge to the loop or to the statement before it
        assert.ok([loop - 1, loop].includes(top.line), `stopped at line ${top.line}`);
      }
    }
    assert.ok(inLoop, 'paused inside the running loop');
  });

  it('a script that throws stops where the error ends the run, at the throwing line', async () => {
    const stop = await launchWith(a, { program: fixture('throws.ts'), platform: 'x86-64-vtd' }, [{ filterId: 'uncaught' }]);
    assert.strictEqual(stop.body.reason, 'exception');
    assert.match(stop.body.text!, /the driver gave up/);
    const st = await a.dc.stackTraceRequest({ threadId: 1 });
    assert.strictEqual(st.body.stackFrames[0].line, 4);
    const exited = a.dc.waitForEvent('exited');
    await a.dc.continueRequest({ threadId: 1 });
    assert.strictEqual(((await exited) as DebugProtocol.ExitedEvent).body.exitCode, 2);
  });

  it('malformed and out-of-order requests get errors and the session survives', async () => {
    await assert.rejects(a.dc.stackTraceRequest({ threadId: 1 }), /no program is running/);
    await assert.rejects(a.dc.customRequest('dmalab/nonsense'), /unknown request/);
    await assert.rejects(a.dc.launch({ program: dad, platform: 'pdp-11' }), /unknown platform "pdp-11"/);
    const line = lineOf(dad, 'count = Math.min(count, DAD_BLOCK);');
    await a.dc.hitBreakpoint({ program: dad, platform: 'x86-64-vtd' }, { path: dad, line });
    await assert.rejects(a.dc.variablesRequest({ variablesReference: 99999 }), /no variables 99999/);
    await assert.rejects(a.dc.send('readMemory', { memoryReference: 'iova:nosuch:0x0', count: 4 }), /no device "nosuch"/);
    await assert.rejects(a.dc.setExceptionBreakpointsRequest({ filters: ['dma-teleport'] }), /unknown exception filter/);
    const st = await a.dc.stackTraceRequest({ threadId: 1 });
    assert.strictEqual(st.body.stackFrames[0].line, line, 'still stopped where it was');
  });
});

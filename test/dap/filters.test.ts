// Every DMA event filter stops at the script line behind the event.
import * as assert from 'assert';
import * as fs from 'fs';
import { DebugProtocol } from '@vscode/debugprotocol';
import { Adapter, example, lineOf, startAdapter } from '../helpers/dap';

interface Case {
  filter: string;
  script: string;
  platform: string;
  /** Text of the line the stop must show. */
  line: string;
  description: RegExp;
}

const dad = example('dad.ts');
const bug = (id: string) => example(`bugs/${id}.ts`);

const CASES: Case[] = [
  { filter: 'dma-map', script: dad, platform: 'arm32-swiotlb', line: 'const bus_addr = dma_map_single(', description: /dma_map_single → 0x[0-9a-f]+, 4096 bytes, FROM_DEVICE \(bounced\)/ },
  { filter: 'bounce', script: dad, platform: 'arm32-swiotlb', line: 'const bus_addr = dma_map_single(', description: /swiotlb bounce to-slot: 4096 bytes/ },
  { filter: 'transfer-start', script: dad, platform: 'x86-64-vtd', line: 'writeb(DAD_CMD_ENABLEDMA, dad.regs.add(DAD_COMMAND));', description: /transfer RD \(device→memory\) started at 0xfffff000, 4096 bytes/ },
  { filter: 'transfer-complete', script: dad, platform: 'x86-64-vtd', line: 'writeb(DAD_CMD_ENABLEDMA, dad.regs.add(DAD_COMMAND));', description: /complete, 4096 bytes/ },
  { filter: 'dma-unmap', script: dad, platform: 'x86-64-vtd', line: 'dma_unmap_single(dad.dev, dad.dma_addr, dad.dma_size, dad.dma_dir);', description: /dma_unmap_single 0xfffff000, 4096 bytes, FROM_DEVICE/ },
  { filter: 'dma-sync', script: bug('sync-dir-mismatch'), platform: 'x86-64-vtd', line: 'dma_sync_single_for_cpu(dev, tx_dma, len, DMA_TO_DEVICE);', description: /dma_sync_single_for_cpu/ },
  { filter: 'dma-alloc', script: bug('leak-at-remove'), platform: 'arm64-smmu-noncoherent', line: 'dma_alloc_coherent(dev, BLOCK, GFP_KERNEL); // BUG', description: /dma_alloc_coherent 0x[0-9a-f]+, 4096 bytes/ },
  { filter: 'iommu-fault', script: bug('iommu-fault'), platform: 'x86-64-vtd', line: '// BUG: iommu-fault', description: /DMAR: \[DMA Write NO_PASID\]/ },
  { filter: 'dma-api-error', script: bug('unmap-size-mismatch'), platform: 'arm64-smmu-noncoherent', line: '// BUG: unmap-size-mismatch', description: /error \[unmap-size-mismatch\] device driver frees DMA memory with different size/ },
  { filter: 'coherency', script: bug('cpu-read-device-owned'), platform: 'arm64-smmu-noncoherent', line: '// BUG: cpu-read-device-owned', description: /error \[cpu-read-device-owned\]/ },
];

describe('debug adapter: every DMA filter', function () {
  let a: Adapter;
  beforeEach(async () => (a = await startAdapter()));
  afterEach(async () => a.stop());

  for (const c of CASES) {
    it(`${c.filter} stops at "${c.line}" (${c.platform})`, async () => {
      const initialized = a.dc.waitForEvent('initialized');
      const launched = a.dc.launch({ program: c.script, platform: c.platform });
      await initialized;
      await a.dc.setExceptionBreakpointsRequest({ filters: [], filterOptions: [{ filterId: c.filter }] });
      const stopped = a.dc.waitForEvent('stopped');
      await a.dc.configurationDoneRequest();
      await launched;
      const s = (await stopped) as DebugProtocol.StoppedEvent;
      assert.match(s.body.description!, new RegExp(`^${c.filter}: `));
      assert.match(s.body.description!, c.description);
      const st = await a.dc.stackTraceRequest({ threadId: 1 });
      const top = st.body.stackFrames[0];
      assert.strictEqual(top.source?.path, c.script);
      assert.strictEqual(top.line, lineOf(c.script, c.line), `stopped at ${top.line}: ${fs.readFileSync(c.script, 'utf8').split('\n')[top.line - 1]}`);
    });
  }

  it('interrupt stops before the handler runs; step into enters the handler', async () => {
    const initialized = a.dc.waitForEvent('initialized');
    const launched = a.dc.launch({ program: dad, platform: 'arm64-smmu-noncoherent' });
    await initialized;
    await a.dc.setExceptionBreakpointsRequest({ filters: [], filterOptions: [{ filterId: 'interrupt' }] });
    const stopped = a.dc.waitForEvent('stopped');
    await a.dc.configurationDoneRequest();
    await launched;
    const s = (await stopped) as DebugProtocol.StoppedEvent;
    assert.match(s.body.description!, /^interrupt: interrupt 72 from dad@10000000$/);
    const stepped = a.dc.waitForEvent('stopped');
    await a.dc.stepInRequest({ threadId: 1 });
    await stepped;
    const st = await a.dc.stackTraceRequest({ threadId: 1 });
    assert.strictEqual(st.body.stackFrames[0].name, 'dad_interrupt');
    assert.strictEqual(st.body.stackFrames[0].line, lineOf(dad, 'const dad = dev_id as DadDev;'));
  });
});

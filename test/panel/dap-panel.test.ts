// `dmalab/panel` through the debug adapter (needs `node build.mjs`): what the panel's host gets at
// a DMA-event stop, and the coherency part alone for the buffer the user picks.
import * as assert from 'assert';
import { startAdapter, example, lineOf, type Adapter } from '../helpers/dap';
import type { PanelWire } from '../../emulator/inspect/panel-snapshot';
import { unpackPanel } from '../../src/panel/wire';
import { stopText } from '../../src/panel/status';

const dad = example('dad.ts');

describe('dmalab/panel over DAP', function () {
  this.timeout(60000);
  let a: Adapter;
  beforeEach(async () => (a = await startAdapter()));
  afterEach(async () => a.stop());

  it('at a dma-map stop: the stop, its event, the mapping, its IOMMU entry, its cache lines', async () => {
    const initialized = a.dc.waitForEvent('initialized');
    const launched = a.dc.launch({ program: dad, platform: 'arm64-smmu-noncoherent' });
    await initialized;
    await a.dc.setExceptionBreakpointsRequest({ filters: [], filterOptions: [{ filterId: 'dma-map' }] });
    const stopped = a.dc.waitForEvent('stopped');
    await a.dc.configurationDoneRequest();
    await launched;
    await stopped;
    const wire = (await a.dc.customRequest('dmalab/panel')).body as PanelWire;
    assert.strictEqual(wire.wire, 1);
    const snap = unpackPanel(wire);
    assert.deepStrictEqual([snap.stop?.reason, snap.stop?.filter], ['event', 'dma-map']);
    assert.strictEqual(snap.event?.kind, 'dma-map');
    assert.strictEqual(snap.mappings.length, 1);
    const m = snap.mappings[0];
    assert.strictEqual(m.createdAt?.line, lineOf(dad, 'const bus_addr = dma_map_single('));
    assert.deepStrictEqual(snap.iommu.find((d) => d.device === m.device)!.entries.map((e) => [e.iova, e.mapping]), [[m.dma, m.id]]);
    assert.strictEqual(snap.coherency?.mapping, m.id);
    assert.strictEqual(stopText(snap, undefined), `Paused on dma_map_single → iova ${m.dma}, 4096 bytes, DMA_FROM_DEVICE`);
    const part = unpackPanel((await a.dc.customRequest('dmalab/panel', { mapping: m.id, parts: ['coherency'] })).body as PanelWire);
    assert.strictEqual(part.coherency?.lines.length, 64);
    assert.deepStrictEqual([part.mappings.length, part.iommu.length], [0, 0]);
  });
});

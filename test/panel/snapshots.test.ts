// The panel's snapshot, taken from real runs of the examples: mappings, IOMMU tables with their
// owners and lines, faults, coherency of a buffer with the findings about it, the timeline.
import * as assert from 'assert';
import * as path from 'path';
import { example, root, snapshotAt } from './helpers';
import { lineOf } from '../helpers/dap';
import { iommuTables, liveMappings } from '../../emulator/inspect/snapshots';
import { findingConcerns, panelSnapshot, type PanelSnapshot } from '../../emulator/inspect/panel-snapshot';
import { runScript } from '../../emulator/runner/run';
import { unpackPanel } from '../../src/panel/wire';
import { hexAddress as hex } from '../../emulator/lib/hex';

const dad = example('dad.ts');

describe('panel snapshot', function () {
  let atMap: PanelSnapshot;
  before(async () => {
    atMap = await snapshotAt(dad, 'arm64-smmu-noncoherent', (e) => e.kind === 'dma-map', { nth: 2 });
  });

  it('lists the live mapping with its addresses, owner and the line that created it', () => {
    assert.strictEqual(atMap.mappings.length, 1);
    const m = atMap.mappings[0];
    assert.strictEqual(m.device, 'dad@10000000');
    assert.strictEqual(m.dir, 'DMA_FROM_DEVICE');
    assert.strictEqual(m.owner, 'device');
    assert.match(m.dma, /^0x[0-9a-f]+$/);
    assert.match(m.cpuVa!, /^0xffff/);
    assert.deepStrictEqual([m.createdAt?.file, m.createdAt?.line], [dad, lineOf(dad, 'const bus_addr = dma_map_single(')]);
    assert.strictEqual(atMap.stop?.reason, 'event');
    assert.strictEqual(atMap.event?.kind, 'dma-map');
  });

  it('walks the IOMMU tables: the entry behind the mapping, its level, raw PTE, permissions and owner', () => {
    const d = atMap.iommu.find((x) => x.device === 'dad@10000000')!;
    assert.ok(d, 'the dad device has a domain');
    assert.strictEqual(d.levels, 4);
    assert.deepStrictEqual(
      [4, 3, 2, 1].map((l) => d.tables.filter((t) => t.level === l).length > 0),
      [true, true, true, true],
      'one table page at least per level',
    );
    assert.strictEqual(d.tables[0].phys, d.root, 'the walk starts at the root');
    assert.strictEqual(d.entries.length, 1);
    const e = d.entries[0];
    const m = atMap.mappings[0];
    assert.strictEqual(e.iova, m.dma);
    assert.strictEqual(e.phys, m.cpuPhys[0].split('+')[0]);
    assert.deepStrictEqual([e.size, e.level, e.read, e.write, e.mapping], [4096, 1, true, true, m.id]);
    assert.match(e.pte, /^0x[0-9a-f]{16}$/);
    assert.strictEqual(Number(BigInt(e.pte) & 0xffffffffff000n), Number(e.phys), 'the raw entry points at the page');
    assert.strictEqual(e.createdAt, undefined, 'the panel takes the line from the mapping row');
    assert.deepStrictEqual(
      atMap.iommu.filter((x) => x.device !== 'dad@10000000').map((x) => x.entries.length),
      [0, 0, 0, 0],
    );
  });

  it('shows the chosen buffer\'s cache lines and the findings about it', async () => {
    const stale = example(path.join('bugs', 'cpu-read-stale.ts'));
    const s = await snapshotAt(stale, 'arm64-smmu-noncoherent', (e) => e.kind === 'finding');
    const c = s.coherency!;
    assert.strictEqual(c.mapping, s.mappings[0].id);
    assert.strictEqual(c.lineSize, 64);
    assert.strictEqual(c.lines.length, c.totalLines);
    assert.strictEqual(c.lines.length, Math.ceil(s.mappings[0].size / 64));
    assert.ok(c.counts.stale > 0, `the device wrote under cached lines: ${JSON.stringify(c.counts)}`);
    assert.strictEqual(c.lines.filter((l) => l.state === 'stale').length, c.counts.stale);
    assert.deepStrictEqual(c.findings.map((f) => f.id), ['cpu-read-stale']);
    // the coherency part alone, for a mapping that is not there any more
    const part = await snapshotAt(stale, 'arm64-smmu-noncoherent', (e) => e.kind === 'finding', { args: { parts: ['coherency'], mapping: 999 } });
    assert.strictEqual(part.coherency?.requested, 999);
    assert.deepStrictEqual([part.mappings.length, part.iommu.length, part.timeline.ticks.length], [0, 0, 0]);
  });

  it('records IOMMU faults per domain and marks the entry a permission fault hit', async () => {
    const ro = example(path.join('bugs', 'device-write-to-device-read-only.ts'));
    const s = await snapshotAt(ro, 'arm64-smmu-noncoherent', (e) => e.kind === 'finding');
    const d = s.iommu.find((x) => x.device === 'dad@10000000')!;
    assert.strictEqual(d.faults.length, 1);
    assert.deepStrictEqual([d.faults[0].reason, d.faults[0].write], ['permission', true]);
    assert.strictEqual(d.faults[0].at?.file, ro);
    assert.deepStrictEqual(d.entries.map((e) => [e.iova, e.write, !!e.fault]), [[d.faults[0].iova, false, true]]);
    const tr = example(path.join('bugs', 'iommu-fault.ts'));
    const t = await snapshotAt(tr, 'x86-64-vtd', (e) => e.kind === 'finding');
    const td = t.iommu.find((x) => x.faults.length)!;
    assert.strictEqual(td.faults[0].reason, 'translation');
    assert.strictEqual(td.entries.length, 0);
  });

  it('shapes the timeline: transfers paired into bars per device, maps and interrupts as ticks, the stop', async () => {
    const s = await snapshotAt(dad, 'arm64-smmu-noncoherent', (e) => e.kind === 'dma-map', { nth: 3 });
    const tl = s.timeline;
    assert.deepStrictEqual(tl.devices, ['dad@10000000']);
    assert.strictEqual(tl.bars.length, 2, 'two reads done before the third map');
    for (const b of tl.bars) {
      assert.ok(b.end !== undefined && b.end > b.start, 'both finished');
      assert.strictEqual(b.write, true, 'RD: the device writes memory');
      assert.strictEqual(b.at?.line, lineOf(dad, 'writeb(DAD_CMD_ENABLEDMA'));
    }
    assert.strictEqual(tl.ticks.filter((t) => t.kind === 'map').length, 3);
    assert.strictEqual(tl.ticks.filter((t) => t.kind === 'interrupt').length, 2);
    assert.strictEqual(tl.now, s.now_ns);
    assert.ok(tl.bars[1].end! <= tl.now);
  });

  it('keeps only the most recent events and says so', async () => {
    const s = await snapshotAt(dad, 'arm64-smmu-noncoherent', (e) => e.kind === 'dma-map', { nth: 4, args: { maxEvents: 5 } });
    assert.strictEqual(s.timeline.truncated, true);
    assert.strictEqual(s.timeline.bars.length + s.timeline.ticks.length <= 5, true);
    assert.ok(s.timeline.from > 0);
  });

  it('10,000 mappings: every IOMMU entry finds its owner, every mapping has its entries', async function () {
    this.timeout(120000);
    const s = await snapshotAt(path.join(root, 'bench', 'scripts', 'panel-mappings.ts'), 'arm64-smmu-noncoherent', (e) => e.kind === 'log' && e.text.startsWith('panel:ready'), { stop: false });
    assert.strictEqual(s.mappings.length, 10000);
    const byId = new Map(s.mappings.map((m) => [m.id, m]));
    const d = s.iommu.find((x) => x.device === 'dad@10000000')!;
    assert.strictEqual(d.truncated, false);
    const owned = new Set<number>();
    for (const e of d.entries) {
      assert.ok(e.mapping !== undefined, `entry ${e.iova} has an owner`);
      const m = byId.get(e.mapping!)!;
      const dma = Number(m.dma);
      const iova = Number(e.iova);
      assert.ok(iova < dma + m.size && dma < iova + e.size, `entry ${e.iova} overlaps its owner #${m.id} at ${m.dma}`);
      owned.add(m.id);
    }
    assert.strictEqual(owned.size, 10000);
  });
});

describe('panel wire form', () => {
  it('unpacks to exactly what the object snapshots (dmalab/mappings, dmalab/iommuTables) say, in under a third of the bytes', async function () {
    this.timeout(120000);
    let checked = 0;
    let failure: unknown;
    await runScript({
      script: path.join(root, 'bench', 'scripts', 'panel-mappings.ts'),
      platform: 'arm64-smmu-noncoherent',
      onKernel: (k) => {
        k.trace.subscribe((e) => {
          if (e.kind !== 'log' || !e.text.startsWith('panel:ready')) return;
          try {
            check(k);
          } catch (err) {
            failure = err;
          }
        });
        const check = (k: Parameters<typeof panelSnapshot>[0]) => {
          const wire = panelSnapshot(k);
          const text = JSON.stringify(wire);
          const snap = unpackPanel(JSON.parse(text));
          const json = <T>(v: T): T => JSON.parse(JSON.stringify(v));
          const maps = liveMappings(k).sort((a, b) => a.id - b.id);
          assert.deepStrictEqual(json(snap.mappings), json(maps));
          assert.deepStrictEqual(json(snap.iommu), json(iommuTables(k, 20000, { createdAt: false })));
          const lists = JSON.stringify([wire.strings, wire.mappings, wire.iommu]).length;
          const objects = JSON.stringify([maps, iommuTables(k, 20000, { createdAt: false })]).length;
          assert.ok(lists < objects / 3, `${lists} vs ${objects} bytes`);
          checked++;
        };
      },
    });
    if (failure) throw failure;
    assert.strictEqual(checked, 1);
  });

  it('writes hex like Number#toString(16) does, past 2^31 too', () => {
    for (const n of [0, 1, 255, 0x7fffffff, 0x80000000, 0xffffffff, 0x1_0000_0000, 0x8ffff8000, 2 ** 48 - 1, 2 ** 53 - 1]) assert.strictEqual(hex(n), `0x${n.toString(16)}`);
  });
});

describe('findingConcerns', () => {
  const entry = { device: 'dad@1', bus: [{ dma: 0x10000, len: 0x1000 }], cpu: [{ phys: 0x80000020, len: 0x100 }], bounce: undefined, size: 0x100 };
  it('matches device addresses of the same device and cache lines of the buffer', () => {
    assert.ok(findingConcerns({ device: 'dad@1', message: 'x [device address=0x0000000000010800] [size=4 bytes]' }, entry, 64));
    assert.ok(!findingConcerns({ device: 'edu@2', message: 'x [device address=0x0000000000010800]' }, entry, 64), 'another device');
    assert.ok(!findingConcerns({ device: 'dad@1', message: 'x [device address=0x0000000000011000]' }, entry, 64), 'past the end');
    assert.ok(findingConcerns({ device: 'edu@2', message: 'CPU read stale data at phys 0x0000000080000000: ...' }, entry, 64), 'the line holding the start');
    assert.ok(!findingConcerns({ device: 'dad@1', message: 'CPU read stale data at phys 0x0000000080000140: ...' }, entry, 64), 'the line after the end');
  });
});

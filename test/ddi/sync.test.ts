// ddi_dma_sync does the platform's real cache maintenance: on a non-coherent SoC the CPU reads stale
// cache lines after the device wrote a buffer unless it syncs FORCPU, and the device reads stale
// RAM under the CPU's dirty lines unless the driver syncs FORDEV. Offsets select part of the window.
import * as assert from 'assert';
import { bindKernel } from '../../emulator/api/current';
import * as ddi from '../../emulator/api/ddi/index';
import { attr, deviceReads, deviceWrites, handle, ids, pattern, rig, type Rig } from './setup';

const PAGE = 4096;

/** A long-lived READ binding of one page whose cache lines hold `old` (the CPU wrote it while it owned the buffer). */
function primedReadBuffer(r: Rig, old: Uint8Array) {
  const h = handle(r, attr());
  const m = ddi.ddi_dma_mem_alloc(h, PAGE, null, ddi.DDI_DMA_STREAMING, ddi.DDI_DMA_SLEEP);
  const p = m.kaddr!;
  const b = ddi.ddi_dma_addr_bind_handle(h, null, p, PAGE, ddi.DDI_DMA_READ | ddi.DDI_DMA_STREAMING, ddi.DDI_DMA_SLEEP);
  assert.strictEqual(b.status, ddi.DDI_DMA_MAPPED);
  ddi.ddi_dma_sync(h, 0, 0, ddi.DDI_DMA_SYNC_FORCPU);
  p.writeBytes(0, old);
  assert.deepStrictEqual(p.readBytes(0, PAGE), old);
  ddi.ddi_dma_sync(h, 0, 0, ddi.DDI_DMA_SYNC_FORDEV); // the device's again (arm64: clean, the lines stay)
  return { h, p, cookie: b.cookie };
}

describe('DDI: ddi_dma_sync', () => {
  afterEach(() => bindKernel(undefined));

  it('arm64 non-coherent: without DDI_DMA_SYNC_FORCPU the CPU reads the stale cache lines', () => {
    const r = rig('arm64-smmu-noncoherent');
    const old = pattern(PAGE, 1);
    const fresh = pattern(PAGE, 2);
    const { p, cookie } = primedReadBuffer(r, old);
    assert.strictEqual(deviceWrites(r, cookie, fresh), PAGE);
    assert.deepStrictEqual(p.readBytes(0, PAGE), old, 'the cached old bytes, not what the device wrote');
    assert.ok(ids(r.k).includes('cpu-read-device-owned'), `the checker names it: ${ids(r.k).join(', ')}`);
  });

  it('arm64 non-coherent: DDI_DMA_SYNC_FORCPU invalidates the lines and the CPU sees the device\'s data', () => {
    const r = rig('arm64-smmu-noncoherent');
    const old = pattern(PAGE, 1);
    const fresh = pattern(PAGE, 2);
    const { h, p, cookie } = primedReadBuffer(r, old);
    deviceWrites(r, cookie, fresh);
    assert.strictEqual(ddi.ddi_dma_sync(h, 0, PAGE, ddi.DDI_DMA_SYNC_FORCPU), ddi.DDI_SUCCESS);
    assert.deepStrictEqual(p.readBytes(0, PAGE), fresh);
    assert.deepStrictEqual(ids(r.k), []);
    assert.ok(r.k.trace.events.some((e) => e.kind === 'dma-sync' && e.api === 'ddi_dma_sync' && e.forCpu));
  });

  it('x86 is coherent: the data is right either way (only the ownership rule is broken)', () => {
    const r = rig('x86-64-vtd');
    const fresh = pattern(PAGE, 2);
    const { p, cookie } = primedReadBuffer(r, pattern(PAGE, 1));
    deviceWrites(r, cookie, fresh);
    assert.deepStrictEqual(p.readBytes(0, PAGE), fresh);
  });

  it('syncs only the range asked for: the rest of the window stays stale', () => {
    const r = rig('arm64-smmu-noncoherent');
    const old = pattern(PAGE, 1);
    const fresh = pattern(PAGE, 2);
    const { h, p, cookie } = primedReadBuffer(r, old);
    deviceWrites(r, cookie, fresh);
    ddi.ddi_dma_sync(h, 1024, 1024, ddi.DDI_DMA_SYNC_FORKERNEL);
    assert.deepStrictEqual(p.readBytes(1024, 1024), fresh.subarray(1024, 2048), 'the synced range is fresh');
    assert.deepStrictEqual(ids(r.k), []);
    assert.deepStrictEqual(p.readBytes(0, 64), old.subarray(0, 64), 'outside it the old lines remain');
    assert.deepStrictEqual(ids(r.k), ['cpu-read-stale']);
  });

  it('arm64 non-coherent: the device reads stale RAM under dirty lines unless the driver syncs FORDEV', () => {
    for (const syncFirst of [false, true]) {
      const r = rig('arm64-smmu-noncoherent');
      const h = handle(r, attr());
      const m = ddi.ddi_dma_mem_alloc(h, PAGE, null, ddi.DDI_DMA_STREAMING, ddi.DDI_DMA_SLEEP);
      const p = m.kaddr!;
      const before = pattern(PAGE, 4);
      p.writeBytes(0, before);
      const b = ddi.ddi_dma_addr_bind_handle(h, null, p, PAGE, ddi.DDI_DMA_WRITE | ddi.DDI_DMA_STREAMING, ddi.DDI_DMA_SLEEP);
      assert.deepStrictEqual(deviceReads(r, b.cookie), before, 'the bind cleaned the cache for the device');
      ddi.ddi_dma_sync(h, 0, 0, ddi.DDI_DMA_SYNC_FORCPU); // the CPU's, to fill in the next message
      const next = pattern(PAGE, 5);
      p.writeBytes(0, next);
      if (syncFirst) ddi.ddi_dma_sync(h, 0, 0, ddi.DDI_DMA_SYNC_FORDEV);
      const seen = deviceReads(r, b.cookie);
      if (syncFirst) {
        assert.deepStrictEqual(seen, next);
        assert.deepStrictEqual(ids(r.k), []);
      } else {
        assert.deepStrictEqual(seen, before, 'the device got the old RAM');
        assert.ok(ids(r.k).includes('dirty-cache-not-flushed'));
      }
    }
  });

  it('DDI_DMA_CONSISTENT memory is uncached: no sync needed for the data to be right', () => {
    const r = rig('arm64-smmu-noncoherent');
    const h = handle(r, attr());
    const m = ddi.ddi_dma_mem_alloc(h, PAGE, null, ddi.DDI_DMA_CONSISTENT, ddi.DDI_DMA_SLEEP);
    const p = m.kaddr!;
    p.writeBytes(0, pattern(PAGE, 1));
    const b = ddi.ddi_dma_addr_bind_handle(h, null, p, PAGE, ddi.DDI_DMA_RDWR | ddi.DDI_DMA_CONSISTENT, ddi.DDI_DMA_SLEEP);
    const fresh = pattern(PAGE, 7);
    deviceWrites(r, b.cookie, fresh);
    assert.deepStrictEqual(p.readBytes(0, PAGE), fresh);
    p.write32(0, 0xdeadbeef);
    assert.strictEqual(new DataView(deviceReads(r, b.cookie).buffer).getUint32(0, true), 0xdeadbeef);
    assert.deepStrictEqual(ids(r.k), [], 'a consistent binding is shared, not handed back and forth');
    ddi.ddi_dma_unbind_handle(h);
  });
});

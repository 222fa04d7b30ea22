// The DDI's own misuse findings and the panics of misused interfaces: binding a bound handle,
// syncing outside the current window, freeing a bound handle; too many ddi_dma_nextcookie calls,
// using a freed handle.
import * as assert from 'assert';
import { bindKernel } from '../../emulator/api/current';
import * as ddi from '../../emulator/api/ddi/index';
import { attr, handle, ids, rig } from './setup';

const PAGE = 4096;

function bound(platform: string, maxxfer = 0xffff_ffff) {
  const r = rig(platform);
  const h = handle(r, attr({ dma_attr_maxxfer: maxxfer }));
  const m = ddi.ddi_dma_mem_alloc(h, 4 * PAGE, null, ddi.DDI_DMA_STREAMING, ddi.DDI_DMA_SLEEP);
  const b = ddi.ddi_dma_addr_bind_handle(h, null, m.kaddr!, 4 * PAGE, ddi.DDI_DMA_READ | ddi.DDI_DMA_PARTIAL, ddi.DDI_DMA_SLEEP);
  return { r, h, m, b };
}

describe('DDI: findings', () => {
  afterEach(() => bindKernel(undefined));

  it('ddi-bind-inuse: a second bind returns DDI_DMA_INUSE and leaves the first binding alone', () => {
    const { r, h, m, b } = bound('x86-64-vtd');
    const again = ddi.ddi_dma_addr_bind_handle(h, null, m.kaddr!, PAGE, ddi.DDI_DMA_WRITE, ddi.DDI_DMA_SLEEP);
    assert.strictEqual(again.status, ddi.DDI_DMA_INUSE);
    assert.deepStrictEqual(ids(r.k), ['ddi-bind-inuse']);
    const f = r.k.findings[0];
    assert.strictEqual(f.severity, 'error');
    assert.match(f.message, /is already bound to 16384 bytes .*DDI_DMA_INUSE/);
    assert.strictEqual(r.dip.dev.dma.domain!.iovaToPhys(Number(b.cookie.dmac_laddress)), r.k.as.translate(m.kaddr!.kva)!.phys, 'still mapped');
    assert.strictEqual(ddi.ddi_dma_unbind_handle(h), ddi.DDI_SUCCESS);
    assert.strictEqual(ddi.ddi_dma_unbind_handle(h), ddi.DDI_FAILURE, 'unbinding twice fails (no finding)');
    assert.deepStrictEqual(ids(r.k), ['ddi-bind-inuse']);
  });

  it('ddi-sync-out-of-window: a range outside the current window fails and syncs nothing', () => {
    const { r, h, b } = bound('arm32-swiotlb', PAGE);
    assert.strictEqual(b.status, ddi.DDI_DMA_PARTIAL_MAP);
    assert.strictEqual(ddi.ddi_dma_sync(h, 0, 0, ddi.DDI_DMA_SYNC_FORCPU), ddi.DDI_SUCCESS, 'offset 0, length 0: the current window');
    assert.strictEqual(ddi.ddi_dma_sync(h, 100, 200, ddi.DDI_DMA_SYNC_FORCPU), ddi.DDI_SUCCESS);
    assert.strictEqual(ddi.ddi_dma_getwin(h, 2).status, ddi.DDI_SUCCESS);
    const syncs = r.k.trace.events.filter((e) => e.kind === 'dma-sync').length;
    assert.strictEqual(ddi.ddi_dma_sync(h, 100, 200, ddi.DDI_DMA_SYNC_FORCPU), ddi.DDI_FAILURE, 'window 0 is not current any more');
    assert.strictEqual(ddi.ddi_dma_sync(h, 2 * PAGE, PAGE + 1, ddi.DDI_DMA_SYNC_FORCPU), ddi.DDI_FAILURE, 'runs past the window');
    assert.strictEqual(r.k.trace.events.filter((e) => e.kind === 'dma-sync').length, syncs, 'nothing synchronized');
    assert.strictEqual(ddi.ddi_dma_sync(h, 2 * PAGE, PAGE, ddi.DDI_DMA_SYNC_FORCPU), ddi.DDI_SUCCESS);
    assert.deepStrictEqual(ids(r.k), ['ddi-sync-out-of-window', 'ddi-sync-out-of-window']);
    assert.match(r.k.findings[0].message, /offset 100 length 200 .* is outside the current DMA window 2 \[offset 8192, length 4096\].*that range is in window 0/);
    ddi.ddi_dma_unbind_handle(h);
    assert.strictEqual(ddi.ddi_dma_sync(h, 0, 0, ddi.DDI_DMA_SYNC_FORCPU), ddi.DDI_FAILURE, 'an unbound handle has no window');
    assert.match(r.k.findings[2].message, /is not bound/);
  });

  it('findings about a DDI binding speak the DDI: its sync, its unbind, its direction names', () => {
    const { r, m } = bound('arm64-smmu-noncoherent');
    m.kaddr!.read32(0); // the device owns it: no ddi_dma_sync(FORKERNEL) yet
    assert.deepStrictEqual(ids(r.k), ['cpu-read-device-owned']);
    const f = r.k.findings[0];
    assert.match(f.message, /of a DDI_DMA_READ buffer the device owns .* without ddi_dma_sync\(DDI_DMA_SYNC_FORKERNEL\) or ddi_dma_unbind_handle/);
    assert.doesNotMatch(f.message + f.related.map((x) => x.message).join(), /dma_sync_\*|dma_unmap|DMA_FROM_DEVICE/);
  });

  it('ddi-free-bound-handle: the handle goes, its mappings stay and leak at remove', () => {
    const { r, h } = bound('arm64-smmu-noncoherent');
    ddi.ddi_dma_free_handle(h);
    assert.deepStrictEqual(ids(r.k), ['ddi-free-bound-handle']);
    assert.strictEqual(r.k.debug!.entries(r.dip.dev).length, 1, 'the mapping is still live');
    assert.throws(() => ddi.ddi_dma_unbind_handle(h), /was freed by ddi_dma_free_handle/);
    assert.throws(() => ddi.ddi_dma_free_handle(h), /duplicate free/);
    r.k.debug!.driverUnbound(r.dip.dev, undefined);
    assert.deepStrictEqual(ids(r.k), ['ddi-free-bound-handle', 'leak-at-remove']);
  });

  it('panics on misuse the DDI does not survive', () => {
    const { h, b } = bound('x86-64-vtd');
    assert.strictEqual(b.ccount, 1);
    assert.throws(() => ddi.ddi_dma_nextcookie(h), /called too many times/);
    const r = rig('x86-64-vtd');
    const h2 = handle(r, attr());
    const p = ddi.kmem_alloc(64, ddi.KM_SLEEP)!;
    assert.throws(() => ddi.ddi_dma_addr_bind_handle(h2, null, p, 64, ddi.DDI_DMA_STREAMING, ddi.DDI_DMA_SLEEP), /DDI_DMA_READ, DDI_DMA_WRITE or DDI_DMA_RDWR/);
    assert.throws(() => ddi.ddi_dma_sync(h2, 0, 0, 7), /DDI_DMA_SYNC_FORDEV/);
    assert.throws(() => ddi.kmem_free(p, 32), /bad free size/);
    ddi.kmem_free(p, 64);
  });
});

// ddi_dma_attr_t is enforced as the illumos root nexus does: bad attributes are refused, cookies are
// cut by count_max and seg, windows come from maxxfer, sgllen and the copy buffer, window sizes
// respect granular, memory out of the address range goes through the copy buffer, and an IOMMU
// turns a scattered buffer into one DVMA cookie.
import * as assert from 'assert';
import { bindKernel } from '../../emulator/api/current';
import * as ddi from '../../emulator/api/ddi/index';
import { attr, cookies, deviceReads, deviceWrites, handle, ids, pattern, rig, walk } from './setup';

const PAGE = 4096;

describe('DDI: ddi_dma_attr_t', () => {
  afterEach(() => bindKernel(undefined));

  it('refuses attributes that make no sense with DDI_DMA_BADATTR', () => {
    const r = rig('x86-64-vtd');
    const bad: [string, Partial<ddi.ddi_dma_attr_t>][] = [
      ['seg below a page', { dma_attr_seg: 0x7ff }],
      ['seg not ending in 0xfff', { dma_attr_seg: 0x1_0000 }],
      ['count_max below a page', { dma_attr_count_max: 0x7ff }],
      ['maxxfer below a page', { dma_attr_maxxfer: 2048 }],
      ['granular above a page', { dma_attr_granular: 8192 }],
      ['granular 0', { dma_attr_granular: 0 }],
      ['sgllen 0', { dma_attr_sgllen: 0 }],
      ['addr_hi not above addr_lo', { dma_attr_addr_lo: 0x1000_0000n, dma_attr_addr_hi: 0x1000_0000n }],
    ];
    for (const [why, over] of bad) {
      const res = ddi.ddi_dma_alloc_handle(r.dip, attr(over), ddi.DDI_DMA_SLEEP);
      assert.strictEqual(res.status, ddi.DDI_DMA_BADATTR, why);
      assert.strictEqual(res.handle, null, why);
    }
    assert.strictEqual(ddi.ddi_dma_alloc_handle(r.dip, attr(), ddi.DDI_DMA_DONTWAIT).status, ddi.DDI_SUCCESS);
    assert.ok(r.k.trace.events.some((e) => e.kind === 'log' && /dma_attr_seg 0x7ff is below a page .*: DDI_DMA_BADATTR/.test(e.text)), 'the log names the field');
  });

  it('cuts cookies at count_max + 1, with and without an IOMMU', () => {
    for (const plat of ['arm32-swiotlb', 'arm64-smmu-noncoherent']) {
      const r = rig(plat);
      const h = handle(r, attr({ dma_attr_count_max: PAGE - 1 }));
      const m = ddi.ddi_dma_mem_alloc(h, 4 * PAGE, null, ddi.DDI_DMA_STREAMING, ddi.DDI_DMA_SLEEP);
      assert.strictEqual(m.status, ddi.DDI_SUCCESS);
      const b = ddi.ddi_dma_addr_bind_handle(h, null, m.kaddr!, 4 * PAGE, ddi.DDI_DMA_READ | ddi.DDI_DMA_STREAMING, ddi.DDI_DMA_SLEEP);
      assert.strictEqual(b.status, ddi.DDI_DMA_MAPPED, plat);
      assert.strictEqual(b.ccount, 4, plat);
      const cs = cookies(h, b.cookie, b.ccount);
      cs.forEach((c, i) => {
        assert.strictEqual(c.dmac_size, PAGE);
        assert.strictEqual(c.dmac_laddress, cs[0].dmac_laddress + BigInt(i * PAGE), 'contiguous on the bus');
        assert.strictEqual(c.dmac_address, Number(c.dmac_laddress & 0xffff_ffffn));
      });
      assert.throws(() => ddi.ddi_dma_nextcookie(h), /ddi_dma_nextcookie\(\) called too many times/);
      ddi.ddi_dma_unbind_handle(h);
      ddi.ddi_dma_mem_free(m.acc_handle!);
      ddi.ddi_dma_free_handle(h);
      assert.deepStrictEqual(ids(r.k), []);
      assert.strictEqual(r.k.debug!.entries(r.dip.dev).length, 0, 'unbind released every mapping');
    }
  });

  it('never lets a cookie cross a dma_attr_seg boundary: on the bus without an IOMMU, in DVMA space with one', () => {
    // a 16 KiB-aligned buffer; the object [4 KiB, 12 KiB) straddles an 8 KiB boundary physically
    const seg = 0x1fff;
    const counts: Record<string, number> = {};
    for (const plat of ['arm32-swiotlb', 'arm64-smmu-noncoherent']) {
      const r = rig(plat);
      const h = handle(r, attr({ dma_attr_seg: seg, dma_attr_align: 4 * PAGE }));
      const m = ddi.ddi_dma_mem_alloc(h, 4 * PAGE, null, ddi.DDI_DMA_STREAMING, ddi.DDI_DMA_SLEEP);
      const b = ddi.ddi_dma_addr_bind_handle(h, null, m.kaddr!.add(PAGE), 2 * PAGE, ddi.DDI_DMA_WRITE | ddi.DDI_DMA_STREAMING, ddi.DDI_DMA_SLEEP);
      assert.strictEqual(b.status, ddi.DDI_DMA_MAPPED);
      const cs = cookies(h, b.cookie, b.ccount);
      for (const c of cs) {
        const a = Number(c.dmac_laddress);
        assert.strictEqual(Math.floor(a / (seg + 1)), Math.floor((a + c.dmac_size - 1) / (seg + 1)), `${plat}: cookie ${a.toString(16)}+${c.dmac_size} crosses a segment`);
      }
      assert.strictEqual(cs.reduce((s, c) => s + c.dmac_size, 0), 2 * PAGE);
      counts[plat] = cs.length;
      ddi.ddi_dma_unbind_handle(h);
    }
    assert.strictEqual(counts['arm32-swiotlb'], 2, 'the physical range crosses the boundary: two cookies');
    assert.strictEqual(counts['arm64-smmu-noncoherent'], 1, 'the DVMA range is allocated aligned: one cookie');
  });

  it('makes windows of dma_attr_maxxfer bytes with DDI_DMA_PARTIAL, and DDI_DMA_TOOBIG without it', () => {
    for (const plat of ['x86-64-vtd', 'arm64-smmu-noncoherent', 'arm32-swiotlb']) {
      const r = rig(plat);
      const h = handle(r, attr({ dma_attr_maxxfer: PAGE }));
      const m = ddi.ddi_dma_mem_alloc(h, 4 * PAGE, null, ddi.DDI_DMA_STREAMING, ddi.DDI_DMA_SLEEP);
      const whole = ddi.ddi_dma_addr_bind_handle(h, null, m.kaddr!, 4 * PAGE, ddi.DDI_DMA_READ, ddi.DDI_DMA_SLEEP);
      assert.strictEqual(whole.status, ddi.DDI_DMA_TOOBIG, plat);
      assert.strictEqual(ddi.ddi_dma_numwin(h).status, ddi.DDI_FAILURE, 'nothing is bound');
      const b = ddi.ddi_dma_addr_bind_handle(h, null, m.kaddr!, 4 * PAGE, ddi.DDI_DMA_READ | ddi.DDI_DMA_PARTIAL, ddi.DDI_DMA_SLEEP);
      assert.strictEqual(b.status, ddi.DDI_DMA_PARTIAL_MAP, plat);
      assert.deepStrictEqual(ddi.ddi_dma_numwin(h), { status: ddi.DDI_SUCCESS, nwin: 4 });
      const wins = walk(h, b);
      assert.deepStrictEqual(wins.map((w) => [w.off, w.len, w.cookies.length]), [[0, PAGE, 1], [PAGE, PAGE, 1], [2 * PAGE, PAGE, 1], [3 * PAGE, PAGE, 1]], plat);
      assert.strictEqual(r.k.debug!.entries(r.dip.dev).length, 1, 'only the current window has resources');
      assert.strictEqual(ddi.ddi_dma_getwin(h, 4).status, ddi.DDI_FAILURE, 'there is no window 4');
      ddi.ddi_dma_unbind_handle(h);
      assert.deepStrictEqual(ids(r.k), []);
    }
  });

  it('keeps only the current window mapped: moving on releases the old one, unbinding the last', () => {
    const r = rig('arm64-smmu-noncoherent');
    const h = handle(r, attr({ dma_attr_maxxfer: PAGE }));
    const m = ddi.ddi_dma_mem_alloc(h, 2 * PAGE, null, ddi.DDI_DMA_STREAMING, ddi.DDI_DMA_SLEEP);
    const b = ddi.ddi_dma_addr_bind_handle(h, null, m.kaddr!, 2 * PAGE, ddi.DDI_DMA_READ | ddi.DDI_DMA_PARTIAL, ddi.DDI_DMA_SLEEP);
    const dom = r.dip.dev.dma.domain!;
    const phys0 = r.k.as.translate(m.kaddr!.kva)!.phys;
    assert.strictEqual(dom.iovaToPhys(Number(b.cookie.dmac_laddress)), phys0);
    const w1 = ddi.ddi_dma_getwin(h, 1);
    assert.strictEqual(w1.status, ddi.DDI_SUCCESS);
    // the DVMA space of window 0 went back and now holds window 1: only one window has resources
    assert.strictEqual(dom.iovaToPhys(Number(w1.cookie.dmac_laddress)), phys0 + PAGE);
    assert.strictEqual([...dom.leaves()].length, 1);
    ddi.ddi_dma_unbind_handle(h);
    assert.strictEqual([...dom.leaves()].length, 0);
    assert.strictEqual(deviceWrites(r, w1.cookie, pattern(PAGE, 1)), 0, 'after unbind the device faults');
    assert.deepStrictEqual(ids(r.k), ['iommu-fault']);
  });

  it('cuts windows at dma_attr_sgllen cookies', () => {
    const r = rig('arm32-swiotlb');
    const h = handle(r, attr({ dma_attr_sgllen: 3 }));
    const p = ddi.kmem_alloc(16 * PAGE, ddi.KM_SLEEP)!; // scattered pages
    const b = ddi.ddi_dma_addr_bind_handle(h, null, p, 16 * PAGE, ddi.DDI_DMA_RDWR | ddi.DDI_DMA_PARTIAL, ddi.DDI_DMA_SLEEP);
    assert.strictEqual(b.status, ddi.DDI_DMA_PARTIAL_MAP);
    const wins = walk(h, b);
    let next = 0;
    for (const w of wins) {
      assert.ok(w.cookies.length <= 3, `window at ${w.off} has ${w.cookies.length} cookies`);
      assert.strictEqual(w.off, next, 'windows follow each other');
      assert.strictEqual(w.cookies.reduce((s, c) => s + c.dmac_size, 0), w.len);
      next += w.len;
    }
    assert.strictEqual(next, 16 * PAGE);
    assert.ok(wins.length >= 6, `16 scattered pages in windows of at most 3 cookies (got ${wins.length} windows)`);
    ddi.ddi_dma_unbind_handle(h);
    ddi.kmem_free(p, 16 * PAGE);
  });

  it('trims windows to dma_attr_granular, and refuses when granular and sgllen 1 leave an empty window', () => {
    const r = rig('x86-64-vtd');
    const granular = 1536;
    // maxxfer 8 KiB is 7680 bytes of 1536-byte granules (a maxxfer that rounds below a page is refused)
    assert.strictEqual(ddi.ddi_dma_alloc_handle(r.dip, attr({ dma_attr_maxxfer: PAGE, dma_attr_granular: granular }), ddi.DDI_DMA_SLEEP).status, ddi.DDI_DMA_BADATTR);
    const h = handle(r, attr({ dma_attr_maxxfer: 2 * PAGE, dma_attr_granular: granular }));
    const m = ddi.ddi_dma_mem_alloc(h, 4 * PAGE, null, ddi.DDI_DMA_STREAMING, ddi.DDI_DMA_SLEEP);
    const b = ddi.ddi_dma_addr_bind_handle(h, null, m.kaddr!, 4 * PAGE, ddi.DDI_DMA_READ | ddi.DDI_DMA_PARTIAL, ddi.DDI_DMA_SLEEP);
    const wins = walk(h, b);
    assert.deepStrictEqual(wins.map((w) => w.len), [7680, 7680, 1024], 'maxxfer rounded down to a multiple of granular');
    ddi.ddi_dma_unbind_handle(h);

    // without an IOMMU: cookies of a scattered buffer that starts mid-page; one cookie per window
    const r32 = rig('arm32-swiotlb');
    const h32 = handle(r32, attr({ dma_attr_sgllen: 1, dma_attr_granular: 512 }));
    const p = ddi.kmem_alloc(4 * PAGE, ddi.KM_SLEEP)!;
    const res = ddi.ddi_dma_addr_bind_handle(h32, null, p.add(0x100), 2 * PAGE, ddi.DDI_DMA_READ | ddi.DDI_DMA_PARTIAL, ddi.DDI_DMA_SLEEP);
    assert.strictEqual(res.status, ddi.DDI_DMA_NOMAPPING, 'a 0x100-byte cookie cannot make a window of 512-byte granules');
    const ok = handle(r32, attr({ dma_attr_sgllen: 1, dma_attr_granular: 256 }));
    const b2 = ddi.ddi_dma_addr_bind_handle(ok, null, p.add(0x100), 2 * PAGE, ddi.DDI_DMA_READ | ddi.DDI_DMA_PARTIAL, ddi.DDI_DMA_SLEEP);
    assert.strictEqual(b2.status, ddi.DDI_DMA_PARTIAL_MAP);
    const w2 = walk(ok, b2);
    for (const w of w2.slice(0, -1)) assert.strictEqual(w.len % 256, 0, `window at ${w.off}: ${w.len} bytes`);
    assert.strictEqual(w2.reduce((s, w) => s + w.len, 0), 2 * PAGE);
    ddi.ddi_dma_unbind_handle(ok);
  });

  it('DVMA: one cookie for a scattered buffer behind an IOMMU, one per physical run without', () => {
    const counts: Record<string, number> = {};
    for (const plat of ['x86-64-vtd', 'arm64-smmu-noncoherent', 'arm32-swiotlb']) {
      const r = rig(plat);
      const h = handle(r, attr());
      const p = ddi.kmem_alloc(16 * PAGE, ddi.KM_SLEEP)!;
      const b = ddi.ddi_dma_addr_bind_handle(h, null, p, 16 * PAGE, ddi.DDI_DMA_READ | ddi.DDI_DMA_STREAMING, ddi.DDI_DMA_SLEEP);
      assert.strictEqual(b.status, ddi.DDI_DMA_MAPPED, plat);
      counts[plat] = b.ccount;
      // the device writes each cookie; after unbind the buffer holds it all, in order
      const data = pattern(16 * PAGE, 3);
      let at = 0;
      for (const c of cookies(h, b.cookie, b.ccount)) {
        assert.strictEqual(deviceWrites(r, c, data.subarray(at, at + c.dmac_size)), c.dmac_size, `${plat}: cookie at ${at}`);
        at += c.dmac_size;
      }
      assert.strictEqual(at, 16 * PAGE);
      ddi.ddi_dma_unbind_handle(h);
      assert.deepStrictEqual(p.readBytes(0, 16 * PAGE), data, `${plat}: the data arrived`);
      assert.deepStrictEqual(ids(r.k), [], plat);
      ddi.kmem_free(p, 16 * PAGE);
    }
    assert.strictEqual(counts['x86-64-vtd'], 1);
    assert.strictEqual(counts['arm64-smmu-noncoherent'], 1);
    assert.ok(counts['arm32-swiotlb'] > 1, `scattered pages without an IOMMU: ${counts['arm32-swiotlb']} cookies`);
  });

  it('sends memory outside [addr_lo, addr_hi] through the copy buffer, both ways', () => {
    const r = rig('arm32-swiotlb');
    const pool = r.k.swiotlb!;
    const inPool = (c: ddi.ddi_dma_cookie_t) => {
      const phys = Number(c.dmac_laddress) + 0x8000_0000; // dma-ranges: bus 0 = CPU 0x80000000
      return phys >= pool.start && phys < pool.end;
    };
    // kmem from high memory (above 4 GiB): no bus address at all for this device
    const h = handle(r, attr());
    const p = ddi.kmem_alloc(2048, ddi.KM_SLEEP)!;
    const out = pattern(2048, 9);
    p.writeBytes(0, out);
    const b = ddi.ddi_dma_addr_bind_handle(h, null, p, 2048, ddi.DDI_DMA_WRITE | ddi.DDI_DMA_STREAMING, ddi.DDI_DMA_SLEEP);
    assert.strictEqual(b.status, ddi.DDI_DMA_MAPPED);
    assert.ok(inPool(b.cookie), 'the cookie is a copy-buffer address');
    assert.deepStrictEqual(deviceReads(r, b.cookie), out, 'the bind filled the copy buffer');
    ddi.ddi_dma_unbind_handle(h);

    // reachable memory, but above dma_attr_addr_hi of this handle
    const low = handle(r, attr({ dma_attr_addr_hi: 0x0fff_ffffn }));
    const m = ddi.ddi_dma_mem_alloc(handle(r, attr()), PAGE, null, ddi.DDI_DMA_STREAMING, ddi.DDI_DMA_SLEEP);
    const b2 = ddi.ddi_dma_addr_bind_handle(low, null, m.kaddr!, PAGE, ddi.DDI_DMA_READ | ddi.DDI_DMA_STREAMING, ddi.DDI_DMA_SLEEP);
    assert.strictEqual(b2.status, ddi.DDI_DMA_MAPPED);
    assert.ok(b2.cookie.dmac_laddress <= 0x0fff_ffffn && inPool(b2.cookie), 'copy buffer below addr_hi');
    const data = pattern(PAGE, 5);
    deviceWrites(r, b2.cookie, data);
    const ram = new Uint8Array(16);
    r.k.ram.read(r.k.as.translate(m.kaddr!.kva)!.phys, ram, 0, 16);
    assert.notDeepStrictEqual(ram, data.subarray(0, 16), 'the device wrote the copy buffer, not the memory');
    assert.strictEqual(ddi.ddi_dma_sync(low, 0, 0, ddi.DDI_DMA_SYNC_FORCPU), ddi.DDI_SUCCESS);
    assert.deepStrictEqual(m.kaddr!.readBytes(0, PAGE), data, 'ddi_dma_sync copied the copy buffer back');
    ddi.ddi_dma_unbind_handle(low);
    assert.strictEqual(pool.used, 0, 'the copy buffer went back to the pool');
    assert.deepStrictEqual(ids(r.k), []);
    assert.ok(r.k.trace.events.some((e) => e.kind === 'bounce'), 'the trace shows the copies');
  });

  it('allocates ddi_dma_mem_alloc memory inside the device\'s reach and alignment; CONSISTENT is uncached on a non-coherent platform', () => {
    const r = rig('arm32-swiotlb');
    const h = handle(r, attr({ dma_attr_addr_hi: 0x00ff_ffffn, dma_attr_align: 0x10000 }));
    const m = ddi.ddi_dma_mem_alloc(h, 3000, null, ddi.DDI_DMA_CONSISTENT, ddi.DDI_DMA_SLEEP);
    assert.strictEqual(m.status, ddi.DDI_SUCCESS);
    assert.strictEqual(m.real_length, PAGE);
    const t = r.k.as.translate(m.kaddr!.kva)!;
    assert.ok(t.phys >= 0x8000_0000 && t.phys + PAGE - 1 <= 0x80ff_ffff, `within addr_hi on the bus (phys ${t.phys.toString(16)})`);
    assert.strictEqual(t.phys % 0x10000, 0, 'aligned to dma_attr_align');
    assert.strictEqual(t.cached, false, 'consistent memory of a non-coherent device is uncached');
    const s = ddi.ddi_dma_mem_alloc(h, 100, null, ddi.DDI_DMA_STREAMING, ddi.DDI_DMA_SLEEP);
    assert.strictEqual(r.k.as.translate(s.kaddr!.kva)!.cached, true, 'streaming memory is cached');
    ddi.ddi_dma_mem_free(m.acc_handle!);
    ddi.ddi_dma_mem_free(s.acc_handle!);
    assert.throws(() => ddi.ddi_dma_mem_free(s.acc_handle!), /duplicate free/);
  });
});

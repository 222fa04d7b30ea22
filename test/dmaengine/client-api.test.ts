// The dmaengine client API with Linux semantics, called as a driver would (the kernel bound, virtual
// time stepped by hand): channels by name and by capability, cookies and status, residue, callbacks
// in atomic context, cyclic periods, pause/resume/terminate, descriptor reuse, and the DMA API's
// checks applying to what the controller touches.
import * as assert from 'assert';
import { boot, device } from '../helpers/kernel';
import { bindKernel } from '../../emulator/api/current';
import type { Kernel } from '../../emulator/kernel/kernel';
import * as L from '../../emulator/api/linux/index';
import type { DmaChan } from '../../emulator/api/linux/index';
import type { Uart } from '../../emulator/devices/uart';
import { UART_CR, UART_CR_RXE, UART_CR_TXE, UART_CR_UARTEN, UART_DMACR, UART_DMACR_RXDMAE, UART_DMACR_TXDMAE } from '../../emulator/devices/uart';

const PLATFORMS = ['x86-64-vtd', 'arm64-smmu-noncoherent', 'arm32-swiotlb'];

function runUntil(k: Kernel, cond: () => boolean = () => false): void {
  while (!cond() && k.machine.sched.step()) {
    /* advance */
  }
}

function memcpyChan(): DmaChan {
  const mask = L.dma_cap_zero();
  L.dma_cap_set(L.DMA_MEMCPY, mask);
  const chan = L.dma_request_chan_by_mask(mask);
  assert.ok(!L.IS_ERR(chan), `no memcpy channel: ${String(chan)}`);
  return chan as DmaChan;
}

/** Source and destination buffers mapped for the channel's device; `pattern` in the source. */
function buffers(chan: DmaChan, size: number) {
  const dev = L.dmaengine_get_dma_device(chan);
  const src = L.kmalloc(size, L.GFP_KERNEL)!;
  const dst = L.kzalloc(size, L.GFP_KERNEL)!;
  const pattern = Uint8Array.from({ length: size }, (_, i) => (i * 29 + 7) & 0xff);
  src.writeBytes(0, pattern);
  const s = L.dma_map_single(dev, src, size, L.DMA_TO_DEVICE);
  const d = L.dma_map_single(dev, dst, size, L.DMA_FROM_DEVICE);
  assert.strictEqual(L.dma_mapping_error(dev, s) || L.dma_mapping_error(dev, d), 0);
  return {
    dev, src, dst, s, d, pattern,
    unmap: () => {
      L.dma_unmap_single(dev, d, size, L.DMA_FROM_DEVICE);
      L.dma_unmap_single(dev, s, size, L.DMA_TO_DEVICE);
    },
  };
}

const ids = (k: Kernel) => k.findings.map((f) => f.id);

describe('dmaengine client API', () => {
  afterEach(() => bindKernel(undefined));

  for (const plat of PLATFORMS) {
    it(`memcpy on ${plat}: cookies, status before and after issue, callback in atomic context, the bytes`, () => {
      const k = boot(plat);
      const chan = memcpyChan();
      const size = 40000;
      const b = buffers(chan, size);
      const contexts: number[] = [];
      const results: number[] = [];
      const d1 = L.dmaengine_prep_dma_memcpy(chan, b.d, b.s, size / 2, L.DMA_PREP_INTERRUPT | L.DMA_CTRL_ACK)!;
      const d2 = L.dmaengine_prep_dma_memcpy(chan, b.d + BigInt(size / 2), b.s + BigInt(size / 2), size / 2, L.DMA_PREP_INTERRUPT | L.DMA_CTRL_ACK)!;
      d1.callback = () => contexts.push(k.irq.inIrq);
      d2.callback_result = (_p, r) => results.push(r.result);
      d2.callback = () => assert.fail('callback_result wins over callback');
      const c1 = L.dmaengine_submit(d1);
      const c2 = L.dmaengine_submit(d2);
      assert.strictEqual(L.dma_submit_error(c1), 0);
      assert.strictEqual(c2, c1 + 1);
      runUntil(k);
      let st = L.dmaengine_tx_status(chan, c2);
      assert.strictEqual(st.status, L.DMA_IN_PROGRESS, 'nothing runs before dma_async_issue_pending');
      assert.strictEqual(st.residue, size / 2);
      assert.strictEqual(st.used, c2);
      L.dma_async_issue_pending(chan);
      runUntil(k, () => results.length > 0);
      st = L.dmaengine_tx_status(chan, c2);
      assert.deepStrictEqual([st.status, st.residue, st.last], [L.DMA_COMPLETE, 0, c2]);
      assert.strictEqual(L.dma_async_is_tx_complete(chan, c1), L.DMA_COMPLETE);
      assert.deepStrictEqual(contexts, [1], 'the callback ran once, in atomic context');
      assert.deepStrictEqual(results, [L.DMA_TRANS_NOERROR]);
      b.unmap();
      assert.deepStrictEqual(b.dst.readBytes(0, size), b.pattern);
      L.dma_release_channel(chan);
      assert.deepStrictEqual(ids(k), []);
    });
  }

  it('dma_request_chan resolves dmas/dma-names; a held channel, an unknown name and a node without dmas give -ENODEV', () => {
    const k = boot('arm64-smmu-noncoherent');
    const uart = device(k, 'serial');
    const tx = L.dma_request_chan(uart, 'tx') as DmaChan;
    const rx = L.dma_request_chan(uart, 'rx') as DmaChan;
    assert.ok(!L.IS_ERR(tx) && !L.IS_ERR(rx));
    assert.deepStrictEqual([L.dma_chan_name(tx), L.dma_chan_name(rx), tx.name], ['dma1chan0', 'dma1chan1', 'dma:tx']);
    assert.strictEqual(L.dmaengine_get_dma_device(tx), device(k, 'dma-controller'));
    assert.strictEqual(L.PTR_ERR(L.dma_request_chan(uart, 'tx')), -L.ENODEV, 'already held');
    assert.strictEqual(L.PTR_ERR(L.dma_request_chan(uart, 'foo')), -L.ENODEV);
    assert.strictEqual(L.PTR_ERR(L.dma_request_chan(device(k, 'dad'), 'tx')), -L.ENODEV);
    L.dma_release_channel(tx);
    assert.strictEqual(L.dma_request_chan(uart, 'tx'), tx, 'free again after release');
    // by capability
    const mask = L.dma_cap_zero();
    L.dma_cap_set(L.DMA_SLAVE, mask);
    L.dma_cap_set(L.DMA_CYCLIC, mask);
    const slave = L.dma_request_chan_by_mask(mask) as DmaChan;
    assert.strictEqual(L.dma_chan_name(slave), 'dma1chan2', 'the first free slave channel');
    assert.throws(() => L.dmaengine_submit(null as never), /NULL pointer dereference/);
    assert.throws(() => L.dmaengine_slave_config(L.ERR_PTR(-19) as never, {}), /error pointer/);
  });

  it('x86: DMA_MEMCPY finds the I/OAT engine, DMA_SLAVE finds nothing', () => {
    const k = boot('x86-64-vtd');
    const chan = memcpyChan();
    assert.strictEqual(L.dmaengine_get_dma_device(chan), device(k, 'dma'));
    const mask = L.dma_cap_zero();
    L.dma_cap_set(L.DMA_SLAVE, mask);
    assert.strictEqual(L.PTR_ERR(L.dma_request_chan_by_mask(mask)), -L.ENODEV);
  });

  it('PL080: the residue counts down while the transfer runs (control register + remaining LLIs)', () => {
    const k = boot('arm64-smmu-noncoherent');
    const chan = memcpyChan();
    const size = 64 * 1024; // 5 LLIs of at most 16380 bytes
    const b = buffers(chan, size);
    const d = L.dmaengine_prep_dma_memcpy(chan, b.d, b.s, size, L.DMA_PREP_INTERRUPT)!;
    const cookie = L.dmaengine_submit(d);
    L.dma_async_issue_pending(chan);
    const seen: number[] = [];
    runUntil(k, () => {
      const st = L.dmaengine_tx_status(chan, cookie);
      if (seen[seen.length - 1] !== st.residue) seen.push(st.residue);
      return st.status === L.DMA_COMPLETE;
    });
    assert.ok(seen.length > 8, `residue steps: ${seen}`);
    assert.strictEqual(seen[0], size);
    assert.strictEqual(seen[seen.length - 1], 0);
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i] < seen[i - 1], `residue goes down: ${seen}`);
    b.unmap();
    assert.deepStrictEqual(b.dst.readBytes(0, size), b.pattern);
  });

  it('pause holds the transfer (DMA_PAUSED, residue frozen), resume finishes it; the I/OAT engine cannot pause', () => {
    const k = boot('arm32-swiotlb');
    const chan = memcpyChan();
    const size = 64 * 1024;
    const b = buffers(chan, size);
    let done = false;
    const d = L.dmaengine_prep_dma_memcpy(chan, b.d, b.s, size, L.DMA_PREP_INTERRUPT)!;
    d.callback = () => (done = true);
    const cookie = L.dmaengine_submit(d);
    L.dma_async_issue_pending(chan);
    runUntil(k, () => L.dmaengine_tx_status(chan, cookie).residue < size / 2);
    assert.strictEqual(L.dmaengine_pause(chan), 0);
    const held = L.dmaengine_tx_status(chan, cookie);
    assert.strictEqual(held.status, L.DMA_PAUSED);
    L.udelay(2000);
    runUntil(k);
    assert.ok(!done);
    assert.strictEqual(L.dmaengine_tx_status(chan, cookie).residue, held.residue);
    assert.strictEqual(L.dmaengine_resume(chan), 0);
    runUntil(k, () => done);
    assert.strictEqual(L.dmaengine_tx_status(chan, cookie).status, L.DMA_COMPLETE);
    b.unmap();
    assert.deepStrictEqual(b.dst.readBytes(0, size), b.pattern);
    bindKernel(undefined);
    boot('x86-64-vtd');
    assert.strictEqual(L.dmaengine_pause(memcpyChan()), -L.ENOSYS);
  });

  it('terminate drops running and queued descriptors without callbacks; the channel works again after', () => {
    for (const plat of ['arm64-smmu-noncoherent', 'x86-64-vtd']) {
      const k = boot(plat);
      const chan = memcpyChan();
      const size = 64 * 1024;
      const b = buffers(chan, size);
      let calls = 0;
      const first = L.dmaengine_prep_dma_memcpy(chan, b.d, b.s, size / 2, L.DMA_PREP_INTERRUPT)!;
      const second = L.dmaengine_prep_dma_memcpy(chan, b.d + BigInt(size / 2), b.s + BigInt(size / 2), size / 2, L.DMA_PREP_INTERRUPT)!;
      first.callback = second.callback = () => calls++;
      L.dmaengine_submit(first);
      const c2 = L.dmaengine_submit(second);
      L.dma_async_issue_pending(chan);
      k.machine.sched.step();
      assert.strictEqual(L.dmaengine_terminate_async(chan), 0);
      runUntil(k);
      assert.strictEqual(calls, 0, `${plat}: no callback after terminate`);
      assert.strictEqual(L.dmaengine_tx_status(chan, c2).status, L.DMA_IN_PROGRESS, 'a terminated cookie never completes');
      const again = L.dmaengine_prep_dma_memcpy(chan, b.d, b.s, size, L.DMA_PREP_INTERRUPT)!;
      again.callback = () => calls++;
      const c3 = L.dmaengine_submit(again);
      L.dma_async_issue_pending(chan);
      runUntil(k, () => calls > 0);
      assert.strictEqual(L.dmaengine_tx_status(chan, c3).status, L.DMA_COMPLETE);
      b.unmap();
      assert.deepStrictEqual(b.dst.readBytes(0, size), b.pattern, plat);
      assert.deepStrictEqual(ids(k), [], plat);
      bindKernel(undefined);
    }
  });

  it('a callback that sleeps is reported (sleep-in-irq); terminate_async is fine there, terminate_sync is not', async () => {
    const k = boot('arm64-smmu-noncoherent');
    const chan = memcpyChan();
    const b = buffers(chan, 4096);
    const d = L.dmaengine_prep_dma_memcpy(chan, b.d, b.s, 4096, L.DMA_PREP_INTERRUPT)!;
    let r = -1;
    d.callback = () => {
      r = L.dmaengine_terminate_async(chan);
      void L.dmaengine_terminate_sync(chan);
    };
    L.dmaengine_submit(d);
    L.dma_async_issue_pending(chan);
    runUntil(k, () => r >= 0);
    await Promise.resolve();
    assert.strictEqual(r, 0);
    assert.deepStrictEqual(ids(k), ['sleep-in-irq']);
    assert.match(k.findings[0].message, /BUG: sleeping function called from invalid context: dmaengine_terminate_sync\(\) in the interrupt handler of irq \d+/);
    b.unmap();
  });

  it('descriptor reuse: DMA_CTRL_REUSE + DMA_CTRL_ACK may go again; unacked, in flight or freed may not', () => {
    const k = boot('x86-64-vtd');
    const chan = memcpyChan();
    const b = buffers(chan, 8192);
    let calls = 0;
    const d = L.dmaengine_prep_dma_memcpy(chan, b.d, b.s, 8192, L.DMA_PREP_INTERRUPT | L.DMA_CTRL_ACK)!;
    d.callback = () => calls++;
    assert.strictEqual(L.dmaengine_desc_set_reuse(d), 0);
    const cookies: number[] = [];
    for (let i = 0; i < 3; i++) {
      cookies.push(L.dmaengine_submit(d));
      L.dma_async_issue_pending(chan);
      runUntil(k, () => calls > i);
    }
    assert.deepStrictEqual(cookies.map((c) => c - cookies[0]), [0, 1, 2], 'a new cookie each time');
    assert.deepStrictEqual(ids(k), []);
    // submitted again while queued
    const c = L.dmaengine_submit(d);
    assert.strictEqual(L.dma_submit_error(L.dmaengine_submit(d)), -L.EBUSY);
    assert.deepStrictEqual(ids(k), ['dmaengine-desc-reuse']);
    assert.match(k.findings[0].message, /already submitted .*list_add double add/);
    L.dma_async_issue_pending(chan);
    runUntil(k, () => L.dmaengine_tx_status(chan, c).status === L.DMA_COMPLETE);
    // a reusable descriptor without the ack
    L.dmaengine_desc_clear_reuse(d);
    const e = L.dmaengine_prep_dma_memcpy(chan, b.d, b.s, 8192, L.DMA_PREP_INTERRUPT)!;
    L.dmaengine_desc_set_reuse(e);
    L.dmaengine_submit(e);
    L.dma_async_issue_pending(chan);
    runUntil(k);
    assert.ok(L.dmaengine_submit(e) > 0, 'it goes ahead, reported');
    assert.match(k.findings[1].message, /reusable memcpy descriptor of 8192 bytes that was never acknowledged/);
    L.dma_async_issue_pending(chan);
    runUntil(k);
    L.async_tx_ack(e);
    assert.ok(L.async_tx_test_ack(e));
    assert.ok(L.dmaengine_submit(e) > 0);
    L.dma_async_issue_pending(chan);
    runUntil(k);
    assert.strictEqual(k.findings.length, 2);
    assert.strictEqual(L.dmaengine_desc_free(e), 0);
    assert.strictEqual(L.dma_submit_error(L.dmaengine_submit(e)), -L.EINVAL, 'freed');
    assert.match(k.findings[2].message, /freed in dmaengine_desc_free\(\).*use after free/);
    b.unmap();
  });

  it('cyclic RX: a callback every period, the residue tells where the ring is', () => {
    const k = boot('arm64-smmu-noncoherent');
    const uart = device(k, 'serial');
    const model = k.machine.deviceByName('serial')!.model as Uart;
    const rx = L.dma_request_chan(uart, 'rx') as DmaChan;
    const dmadev = L.dmaengine_get_dma_device(rx);
    const fifo = L.dma_map_resource(dmadev, BigInt(uart.desc.reg[0].base), 4, L.DMA_TO_DEVICE);
    assert.strictEqual(L.dma_mapping_error(dmadev, fifo), 0);
    assert.strictEqual(L.dmaengine_slave_config(rx, { src_addr: fifo, src_addr_width: L.DMA_SLAVE_BUSWIDTH_1_BYTE, src_maxburst: 4 }), 0);
    const ring = L.dma_alloc_coherent(dmadev, 256, L.GFP_KERNEL)!;
    const desc = L.dmaengine_prep_dma_cyclic(rx, ring.dma, 256, 64, L.DMA_DEV_TO_MEM, L.DMA_PREP_INTERRUPT)!;
    let periods = 0;
    desc.callback = () => periods++;
    const cookie = L.dmaengine_submit(desc);
    L.dma_async_issue_pending(rx);
    L.writel(UART_CR_UARTEN | UART_CR_RXE, L.ioremap(BigInt(uart.desc.reg[0].base) + BigInt(UART_CR), 4)!);
    L.writel(UART_DMACR_RXDMAE, L.ioremap(BigInt(uart.desc.reg[0].base) + BigInt(UART_DMACR), 4)!);
    const bytes = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
    for (let i = 0; i < bytes.length; i += 20) {
      model.receive(bytes.subarray(i, i + 20));
      runUntil(k);
    }
    assert.strictEqual(periods, 4, 'four whole periods of 64 bytes');
    const st = L.dmaengine_tx_status(rx, cookie);
    assert.deepStrictEqual([st.status, st.residue], [L.DMA_IN_PROGRESS, 256 - (300 - 256)]);
    const got = ring.cpu.readBytes(0, 256);
    for (let i = 0; i < 256; i++) assert.strictEqual(got[i], bytes[i < 44 ? 256 + i : i], `ring byte ${i}`);
    assert.strictEqual(L.dmaengine_terminate_async(rx), 0);
    L.dma_free_coherent(dmadev, 256, ring.cpu, ring.dma);
    L.dma_unmap_resource(dmadev, fifo, 4, L.DMA_TO_DEVICE);
    L.dma_release_channel(rx);
    assert.deepStrictEqual(ids(k), []);
  });

  it('PL080: virtual channels share the eight physical ones; a ninth waits for one to free up', () => {
    const k = boot('arm32-swiotlb');
    const copies: { b: ReturnType<typeof buffers>; doneAt: number }[] = [];
    for (let i = 0; i < 8; i++) {
      const chan = memcpyChan();
      const b = buffers(chan, 16 * 1024);
      const c = { b, doneAt: -1 };
      const d = L.dmaengine_prep_dma_memcpy(chan, b.d, b.s, 16 * 1024, L.DMA_PREP_INTERRUPT)!;
      d.callback = () => (c.doneAt = k.now);
      L.dmaengine_submit(d);
      L.dma_async_issue_pending(chan);
      copies.push(c);
    }
    const uart = device(k, 'serial');
    const base = BigInt(uart.desc.reg[0].base);
    const tx = L.dma_request_chan(uart, 'tx') as DmaChan;
    const dmadev = L.dmaengine_get_dma_device(tx);
    const fifo = L.dma_map_resource(dmadev, base, 4, L.DMA_FROM_DEVICE);
    L.dma_mapping_error(dmadev, fifo);
    L.dmaengine_slave_config(tx, { dst_addr: fifo, dst_addr_width: L.DMA_SLAVE_BUSWIDTH_1_BYTE, dst_maxburst: 8 });
    L.writel(UART_CR_UARTEN | UART_CR_TXE, L.ioremap(base + BigInt(UART_CR), 4)!);
    L.writel(UART_DMACR_TXDMAE, L.ioremap(base + BigInt(UART_DMACR), 4)!);
    const msg = L.kmalloc(32, L.GFP_KERNEL)!;
    msg.writeBytes(0, Uint8Array.from({ length: 32 }, (_, i) => 0x30 + i));
    const m = L.dma_map_single(dmadev, msg, 32, L.DMA_TO_DEVICE);
    L.dma_mapping_error(dmadev, m);
    let txAt = -1;
    const d = L.dmaengine_prep_slave_single(tx, m, 32, L.DMA_MEM_TO_DEV, L.DMA_PREP_INTERRUPT)!;
    d.callback = () => (txAt = k.now);
    const cookie = L.dmaengine_submit(d);
    L.dma_async_issue_pending(tx);
    assert.strictEqual(L.dmaengine_tx_status(tx, cookie).residue, 32, 'waiting for a physical channel');
    runUntil(k, () => txAt >= 0);
    const first = Math.min(...copies.map((c) => c.doneAt).filter((t) => t >= 0));
    assert.ok(txAt > first, `the slave transfer ran after a memcpy gave its channel back (${txAt} > ${first})`);
    runUntil(k);
    assert.ok(copies.every((c) => c.doneAt >= 0));
    for (const c of copies) {
      c.b.unmap();
      assert.deepStrictEqual(c.b.dst.readBytes(0, 16 * 1024), c.b.pattern);
    }
    const model = k.machine.deviceByName('serial')!.model as Uart;
    assert.deepStrictEqual(model.transmitted, Array.from({ length: 32 }, (_, i) => 0x30 + i));
    L.dma_unmap_single(dmadev, m, 32, L.DMA_TO_DEVICE);
    L.dma_unmap_resource(dmadev, fifo, 4, L.DMA_FROM_DEVICE);
    assert.deepStrictEqual(ids(k), []);
  });

  it('a memcpy too big for one I/OAT descriptor is split; without DMA_PREP_INTERRUPT the completion timer finds it', () => {
    const k = boot('x86-64-vtd');
    const chan = memcpyChan();
    const size = (5 << 20) / 4; // 1.25 MiB: two descriptors of at most 1 MiB
    const b = buffers(chan, size);
    let at = -1;
    const d = L.dmaengine_prep_dma_memcpy(chan, b.d, b.s, size, L.DMA_CTRL_ACK)!;
    d.callback = () => (at = k.now);
    L.dmaengine_submit(d);
    L.dma_async_issue_pending(chan);
    runUntil(k, () => at >= 0);
    assert.ok(at >= 100e6, `found by the 100 ms completion timer (at ${at} ns)`);
    b.unmap();
    assert.deepStrictEqual(b.dst.readBytes(0, size), b.pattern);
    assert.deepStrictEqual(ids(k), []);
  });

  it('I/OAT: a fault halts the channel; the descriptor fails (DMA_ERROR), the driver resets it and goes on', () => {
    const k = boot('x86-64-vtd');
    const chan = memcpyChan();
    const b = buffers(chan, 8192);
    const results: number[] = [];
    const bad = L.dmaengine_prep_dma_memcpy(chan, b.d, 0x1234_0000n, 8192, L.DMA_PREP_INTERRUPT)!;
    bad.callback_result = (_p, r) => results.push(r.result);
    const c1 = L.dmaengine_submit(bad);
    L.dma_async_issue_pending(chan);
    runUntil(k, () => results.length > 0);
    assert.deepStrictEqual(results, [L.DMA_TRANS_READ_FAILED]);
    assert.strictEqual(L.dmaengine_tx_status(chan, c1).status, L.DMA_ERROR);
    assert.deepStrictEqual(ids(k), ['iommu-fault']);
    const good = L.dmaengine_prep_dma_memcpy(chan, b.d, b.s, 8192, L.DMA_PREP_INTERRUPT)!;
    good.callback_result = (_p, r) => results.push(r.result);
    const c2 = L.dmaengine_submit(good);
    L.dma_async_issue_pending(chan);
    runUntil(k, () => results.length > 1);
    assert.deepStrictEqual(results, [L.DMA_TRANS_READ_FAILED, L.DMA_TRANS_NOERROR]);
    assert.strictEqual(L.dmaengine_tx_status(chan, c2).status, L.DMA_COMPLETE);
    b.unmap();
    assert.deepStrictEqual(b.dst.readBytes(0, 8192), b.pattern);
  });

  it('the DMA API checks apply to what the controller touches', () => {
    // arm64: a buffer mapped for the client's own device is not in the controller's IOMMU domain
    let k = boot('arm64-smmu-noncoherent');
    let chan = memcpyChan();
    const uart = device(k, 'serial');
    // (a first, bigger mapping keeps the IOVAs of the two domains from coinciding)
    const big = L.kmalloc(1 << 20, L.GFP_KERNEL)!;
    const bigDma = L.dma_map_single(uart, big, 1 << 20, L.DMA_TO_DEVICE);
    L.dma_mapping_error(uart, bigDma);
    const src = L.kmalloc(4096, L.GFP_KERNEL)!;
    const wrong = L.dma_map_single(uart, src, 4096, L.DMA_TO_DEVICE);
    L.dma_mapping_error(uart, wrong);
    let b = buffers(chan, 4096);
    let d = L.dmaengine_prep_dma_memcpy(chan, b.d, wrong, 4096, L.DMA_PREP_INTERRUPT)!;
    let status = -1;
    d.callback_result = (_p, r) => (status = r.result);
    let cookie = L.dmaengine_submit(d);
    L.dma_async_issue_pending(chan);
    runUntil(k, () => status >= 0);
    assert.strictEqual(status, L.DMA_TRANS_READ_FAILED);
    assert.strictEqual(L.dmaengine_tx_status(chan, cookie).status, L.DMA_ERROR);
    // said at the prep (the buffer belongs to another device), then by the IOMMU when the engine uses it
    assert.deepStrictEqual(ids(k), ['dmaengine-wrong-device', 'iommu-fault']);
    assert.match(k.findings[0].message, /dmaengine_prep_dma_memcpy\(\): source 0x[0-9a-f]+ \(4096 bytes\) was mapped for 10300000\.serial, not for the device of dma0chan\d+ \(10200000\.dma-controller\)/);
    assert.match(k.findings[1].message, /sid 0x102/);
    L.dma_unmap_single(uart, wrong, 4096, L.DMA_TO_DEVICE);
    L.dma_unmap_single(uart, bigDma, 1 << 20, L.DMA_TO_DEVICE);
    b.unmap();
    bindKernel(undefined);

    // arm32: no IOMMU, the data arrives, but no mapping of the controller covers it
    k = boot('arm32-swiotlb');
    chan = memcpyChan();
    const low = L.kmalloc(4096, L.GFP_KERNEL | L.GFP_DMA)!;
    const other = L.dma_map_single(device(k, 'serial'), low, 4096, L.DMA_TO_DEVICE);
    L.dma_mapping_error(device(k, 'serial'), other);
    b = buffers(chan, 4096);
    d = L.dmaengine_prep_dma_memcpy(chan, b.d, other, 4096, L.DMA_PREP_INTERRUPT)!;
    status = -1;
    d.callback_result = (_p, r) => (status = r.result);
    cookie = L.dmaengine_submit(d);
    L.dma_async_issue_pending(chan);
    runUntil(k, () => status >= 0);
    assert.strictEqual(L.dmaengine_tx_status(chan, cookie).status, L.DMA_COMPLETE, 'the bus delivered it');
    assert.deepStrictEqual(ids(k), ['dmaengine-wrong-device', 'device-access-out-of-mapping']);
    L.dma_unmap_single(device(k, 'serial'), other, 4096, L.DMA_TO_DEVICE);
    b.unmap();
    bindKernel(undefined);

    // non-coherent: reading the destination before unmapping it
    k = boot('arm64-smmu-noncoherent');
    chan = memcpyChan();
    b = buffers(chan, 4096);
    b.dst.read32(0); // a line of the destination in the cache
    d = L.dmaengine_prep_dma_memcpy(chan, b.d, b.s, 4096, L.DMA_PREP_INTERRUPT)!;
    let done = false;
    d.callback = () => (done = true);
    L.dmaengine_submit(d);
    L.dma_async_issue_pending(chan);
    runUntil(k, () => done);
    assert.notStrictEqual(b.dst.read32(0), new DataView(b.pattern.buffer).getUint32(0, true), 'the CPU reads the stale line');
    assert.deepStrictEqual(ids(k), ['cpu-read-device-owned']);
    assert.strictEqual(k.findings[0].count, 2, 'before the transfer, and after it');
    b.unmap();
  });
});

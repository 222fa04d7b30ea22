// The dmalab,nic model, driven through its registers and descriptors as a driver would: receive into
// a ring, a full ring that waits and then drops, transmit gathered from fragments, chained
// descriptors, devicetree traffic, interrupt moderation, faults.
import * as assert from 'assert';
import * as fs from 'fs';
import { boot, device } from '../helpers/kernel';
import { bindKernel } from '../../emulator/api/current';
import { Kernel } from '../../emulator/kernel/kernel';
import { loadDeviceTree } from '../../emulator/platform/dts';
import { buildPlatform } from '../../emulator/platform/model';
import { loadPlatform } from '../../emulator/runner/platforms';
import { DEVICE_MODEL_NAMES } from '../../emulator/devices/registry';
import { GFP_KERNEL } from '../../emulator/kernel/gfp';
import {
  Nic, NIC_CTRL, NIC_CTRL_RX_EN, NIC_CTRL_TX_EN, NIC_DESC_BUF_HI, NIC_DESC_BUF_LO, NIC_DESC_CHAIN, NIC_DESC_CTRL, NIC_DESC_ERR, NIC_DESC_FS,
  NIC_DESC_LS, NIC_DESC_NEXT_HI, NIC_DESC_NEXT_LO, NIC_DESC_OWN, NIC_DESC_SIZE, NIC_DESC_STATUS, NIC_DESC_TRUNC, NIC_IMR, NIC_INT_ERR, NIC_INT_RX,
  NIC_INT_RX_NOBUF, NIC_INT_RX_OVERRUN, NIC_INT_TX, NIC_ITR, NIC_RX_DROPPED, NIC_RX_ERRORS, NIC_RX_FIFO, NIC_RX_FIFO_BYTES, NIC_RX_HEAD,
  NIC_RX_PACKETS, NIC_RX_RING_HI, NIC_RX_RING_LO, NIC_RX_RING_SIZE, NIC_RX_TAIL, NIC_STATUS, NIC_TX_HEAD, NIC_TX_PACKETS, NIC_TX_RING_HI,
  NIC_TX_RING_LO, NIC_TX_RING_SIZE, NIC_TX_TAIL, nicTrafficByte, nicWireNs,
} from '../../emulator/devices/nic';

type Rig = ReturnType<typeof rig>;

/** A kernel with the nic's registers, coherent memory for rings and buffers, and a clock. */
function rig(k: Kernel) {
  const dev = device(k, 'nic');
  const md = k.machine.deviceByName('nic')!;
  const nic = md.model as Nic;
  const base = dev.desc.reg[0].base;
  const r = (off: number) => Number(k.bus.cpuMmioRead(base + off, 4));
  const w = (off: number, v: number) => k.bus.cpuMmioWrite(base + off, 4, v);
  const coherent = (size: number) => k.dma.allocCoherent(dev, size, GFP_KERNEL, 'test', undefined)!;
  /** Run virtual time until `cond` or `ns` pass. */
  const run = (cond: () => boolean = () => false, ns = 1e7) => {
    const end = k.now + ns;
    while (!cond() && k.machine.sched.step(end)) {
      /* advance */
    }
  };
  const line = dev.desc.irqs[0].line;
  return { k, dev, nic, r, w, coherent, run, line };
}

/** Descriptor i of a ring at `ring` (a coherent buffer): the CPU's view. */
function desc(t: Rig, ring: { kva: number }, i: number) {
  const at = ring.kva + i * NIC_DESC_SIZE;
  const cpu = t.k.cpu;
  return {
    get: (off: number) => cpu.readU(at + off, 4),
    set: (off: number, v: number) => cpu.writeU(at + off, 4, v >>> 0),
  };
}

/** An RX ring of `n` descriptors, each with a `size`-byte coherent buffer, all owned by the card. */
function rxRing(t: Rig, n: number, size = 2048) {
  const ring = t.coherent(n * NIC_DESC_SIZE);
  const bufs = Array.from({ length: n }, () => t.coherent(size));
  bufs.forEach((b, i) => {
    const d = desc(t, ring, i);
    d.set(NIC_DESC_BUF_LO, b.dma % 2 ** 32);
    d.set(NIC_DESC_BUF_HI, Math.floor(b.dma / 2 ** 32));
    d.set(NIC_DESC_CTRL, size);
    d.set(NIC_DESC_STATUS, NIC_DESC_OWN);
  });
  t.k.cpu.buffers?.storeBarrier();
  t.w(NIC_RX_RING_LO, ring.dma % 2 ** 32);
  t.w(NIC_RX_RING_HI, Math.floor(ring.dma / 2 ** 32));
  t.w(NIC_RX_RING_SIZE, n);
  return { ring, bufs };
}

function frame(seq: number, len: number): Uint8Array {
  return Uint8Array.from({ length: len }, (_, i) => (seq * 13 + i) & 0xff);
}

function bytes(t: Rig, kva: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  t.k.cpu.read(kva, out, 0, len);
  return out;
}

describe('dmalab,nic model', () => {
  afterEach(() => bindKernel(undefined));

  for (const plat of ['x86-64-vtd', 'arm64-smmu-noncoherent', 'arm32-swiotlb']) {
    it(`receives frames into the ring's buffers and hands each descriptor back (${plat})`, () => {
      const t = rig(boot(plat));
      const { ring, bufs } = rxRing(t, 4);
      t.w(NIC_IMR, NIC_INT_RX);
      t.w(NIC_CTRL, NIC_CTRL_RX_EN);
      const sent = [frame(0, 60), frame(1, 1514), frame(2, 200)];
      for (const f of sent) t.nic.wireSend(f);
      t.run(() => t.r(NIC_RX_PACKETS) === 3);
      assert.strictEqual(t.r(NIC_RX_PACKETS), 3);
      assert.strictEqual(t.r(NIC_RX_HEAD), 3);
      assert.ok(t.r(NIC_STATUS) & NIC_INT_RX);
      assert.ok(t.k.machine.irqc.isAsserted(t.line), 'the RX interrupt is raised');
      sent.forEach((f, i) => {
        const st = desc(t, ring, i).get(NIC_DESC_STATUS);
        assert.strictEqual(st, NIC_DESC_FS | NIC_DESC_LS | f.length, `descriptor ${i}: OWN clear, FS|LS, the length`);
        assert.deepStrictEqual(bytes(t, bufs[i].kva, f.length), f, `frame ${i} in its buffer`);
      });
      assert.ok(desc(t, ring, 3).get(NIC_DESC_STATUS) & NIC_DESC_OWN, 'the fourth is still the card\'s');
      t.w(NIC_STATUS, NIC_INT_RX);
      assert.ok(!t.k.machine.irqc.isAsserted(t.line), 'write 1 to clear lowers the line');
    });
  }

  it('frames arrive at the wire\'s pace: 10 Gb/s with preamble and gap', () => {
    const t = rig(boot('x86-64-vtd'));
    const t0 = t.k.now;
    const a = t.nic.wireSend(frame(0, 64));
    const b = t.nic.wireSend(frame(1, 1500));
    assert.strictEqual(a, t0 + nicWireNs(64));
    assert.strictEqual(b, a + nicWireNs(1500));
    assert.strictEqual(nicWireNs(64), 68);
  });

  it('a full ring keeps frames in the FIFO, polls the descriptor, and takes it the moment the CPU hands it back', () => {
    for (const plat of ['x86-64-vtd', 'arm64-smmu-noncoherent']) {
      const t = rig(boot(plat));
      const { ring } = rxRing(t, 2);
      t.w(NIC_IMR, NIC_INT_RX | NIC_INT_RX_NOBUF);
      t.w(NIC_CTRL, NIC_CTRL_RX_EN);
      for (let i = 0; i < 4; i++) t.nic.wireSend(frame(i, 100));
      t.run();
      assert.strictEqual(t.r(NIC_RX_PACKETS), 2, plat);
      assert.strictEqual(t.r(NIC_RX_FIFO), 200, 'two frames wait in the FIFO');
      assert.ok(t.r(NIC_STATUS) & NIC_INT_RX_NOBUF);
      // the CPU gives descriptor 0 back: the card reads it as soon as the store reaches it
      const d = desc(t, ring, 0);
      d.set(NIC_DESC_STATUS, NIC_DESC_OWN);
      assert.strictEqual(t.nic.snapshot().rxBusy, plat === 'x86-64-vtd', 'x86: the store is seen at once; arm64: it sits in the write buffer');
      t.k.cpu.buffers?.storeBarrier(); // arm64: the store leaves the CPU's write buffer
      assert.strictEqual(t.nic.snapshot().rxBusy, true, 'the card latched the descriptor when the store reached it');
      t.run();
      assert.strictEqual(t.r(NIC_RX_PACKETS), 3, `${plat}: the waiting frame went into descriptor 0`);
      assert.strictEqual(d.get(NIC_DESC_STATUS), NIC_DESC_FS | NIC_DESC_LS | 100);
      // an RX_TAIL write is a poll demand too
      assert.strictEqual(t.r(NIC_RX_FIFO), 100);
      t.w(NIC_RX_TAIL, 1);
      t.run();
      assert.strictEqual(t.r(NIC_RX_PACKETS), 3, 'still no descriptor of the card\'s');
    }
  });

  it('a full ring that stays full drops what the FIFO cannot hold, and counts it', () => {
    const t = rig(boot('x86-64-vtd'));
    rxRing(t, 1);
    t.w(NIC_IMR, NIC_INT_RX_OVERRUN);
    t.w(NIC_CTRL, NIC_CTRL_RX_EN);
    const n = NIC_RX_FIFO_BYTES / 1024 + 1 + 5;
    for (let i = 0; i < n; i++) t.nic.wireSend(frame(i, 1024));
    t.run();
    assert.strictEqual(t.r(NIC_RX_PACKETS), 1);
    assert.strictEqual(t.r(NIC_RX_FIFO), NIC_RX_FIFO_BYTES);
    assert.strictEqual(t.r(NIC_RX_DROPPED), 5);
    assert.ok(t.r(NIC_STATUS) & NIC_INT_RX_OVERRUN);
    assert.deepStrictEqual(t.nic.stats(), { rxPackets: 1, rxDropped: 5, rxErrors: 0, txPackets: 0 });
    // a receiver that is off drops everything
    t.w(NIC_CTRL, 0);
    assert.strictEqual(t.r(NIC_RX_FIFO), 0);
    t.nic.wireSend(frame(99, 64));
    t.run();
    assert.strictEqual(t.r(NIC_RX_DROPPED), 5 + 32 + 1);
  });

  it('a frame longer than its buffer is truncated and flagged', () => {
    const t = rig(boot('arm64-smmu-noncoherent'));
    const { ring, bufs } = rxRing(t, 2, 256);
    t.w(NIC_CTRL, NIC_CTRL_RX_EN);
    const f = frame(7, 300);
    t.nic.wireSend(f);
    t.run();
    assert.strictEqual(desc(t, ring, 0).get(NIC_DESC_STATUS), NIC_DESC_FS | NIC_DESC_LS | NIC_DESC_TRUNC | NIC_DESC_ERR | 256);
    assert.deepStrictEqual(bytes(t, bufs[0].kva, 256), f.subarray(0, 256));
    assert.strictEqual(t.r(NIC_RX_ERRORS), 1);
    assert.strictEqual(t.r(NIC_RX_PACKETS), 0);
  });

  it('transmits a frame gathered from fragments (FS..LS), writes each descriptor back, and stops at a CPU-owned one', () => {
    for (const plat of ['x86-64-vtd', 'arm64-smmu-noncoherent', 'arm32-swiotlb']) {
      const t = rig(boot(plat));
      const ring = t.coherent(8 * NIC_DESC_SIZE);
      const data = Uint8Array.from({ length: 3000 }, (_, i) => (i * 7) & 0xff);
      const parts = [
        [0, 1000],
        [1000, 24],
        [1024, 1976],
      ];
      parts.forEach(([off, len], i) => {
        const b = t.coherent(len);
        t.k.cpu.write(b.kva, data, off, len);
        const d = desc(t, ring, i);
        d.set(NIC_DESC_BUF_LO, b.dma % 2 ** 32);
        d.set(NIC_DESC_BUF_HI, Math.floor(b.dma / 2 ** 32));
        d.set(NIC_DESC_CTRL, len | (i === 0 ? NIC_DESC_FS : 0) | (i === 2 ? NIC_DESC_LS : 0));
        d.set(NIC_DESC_STATUS, NIC_DESC_OWN);
      });
      t.k.cpu.buffers?.storeBarrier();
      t.w(NIC_TX_RING_LO, ring.dma % 2 ** 32);
      t.w(NIC_TX_RING_HI, Math.floor(ring.dma / 2 ** 32));
      t.w(NIC_TX_RING_SIZE, 8);
      t.w(NIC_IMR, NIC_INT_TX);
      t.w(NIC_CTRL, NIC_CTRL_TX_EN);
      t.w(NIC_TX_TAIL, 3);
      t.run();
      assert.strictEqual(t.nic.transmitted.length, 1, plat);
      assert.deepStrictEqual(t.nic.transmitted[0].data, data);
      assert.strictEqual(t.r(NIC_TX_PACKETS), 1);
      assert.strictEqual(t.r(NIC_TX_HEAD), 3, 'stopped at descriptor 3, the CPU\'s');
      assert.ok(t.r(NIC_STATUS) & NIC_INT_TX);
      parts.forEach(([, len], i) => assert.strictEqual(desc(t, ring, i).get(NIC_DESC_STATUS) & (NIC_DESC_OWN | 0xffff), len, `descriptor ${i} back to the CPU`));
    }
  });

  it('follows chained descriptors (CHAIN, NEXT); NEXT = 0 ends the chain until the ring base is written again', () => {
    const t = rig(boot('arm64-smmu-noncoherent'));
    const blocks = [t.coherent(NIC_DESC_SIZE), t.coherent(NIC_DESC_SIZE)];
    const bufs = [t.coherent(64), t.coherent(64)];
    t.k.cpu.write(bufs[0].kva, Uint8Array.of(1, 2, 3), 0, 3);
    t.k.cpu.write(bufs[1].kva, Uint8Array.of(4, 5), 0, 2);
    [3, 2].forEach((len, i) => {
      const d = desc(t, blocks[i], 0);
      const next = i === 0 ? blocks[1].dma : 0;
      d.set(NIC_DESC_BUF_LO, bufs[i].dma % 2 ** 32);
      d.set(NIC_DESC_BUF_HI, 0);
      d.set(NIC_DESC_NEXT_LO, next % 2 ** 32);
      d.set(NIC_DESC_NEXT_HI, 0);
      d.set(NIC_DESC_CTRL, len | NIC_DESC_CHAIN | (i === 0 ? NIC_DESC_FS : NIC_DESC_LS));
      d.set(NIC_DESC_STATUS, NIC_DESC_OWN);
    });
    t.k.cpu.buffers?.storeBarrier();
    t.w(NIC_TX_RING_SIZE, 0);
    t.w(NIC_TX_RING_LO, blocks[0].dma % 2 ** 32);
    t.w(NIC_TX_RING_HI, 0);
    t.w(NIC_CTRL, NIC_CTRL_TX_EN);
    t.w(NIC_TX_TAIL, 1);
    t.run();
    assert.deepStrictEqual([...t.nic.transmitted[0].data], [1, 2, 3, 4, 5]);
    assert.strictEqual(t.r(NIC_TX_HEAD), 0xffff_ffff, 'off any ring');
    // the same chain again: nothing moves until the base is written
    desc(t, blocks[0], 0).set(NIC_DESC_STATUS, NIC_DESC_OWN);
    desc(t, blocks[1], 0).set(NIC_DESC_STATUS, NIC_DESC_OWN);
    t.k.cpu.buffers?.storeBarrier();
    t.w(NIC_TX_TAIL, 1);
    t.run();
    assert.strictEqual(t.nic.transmitted.length, 1);
    t.w(NIC_TX_RING_LO, blocks[0].dma % 2 ** 32);
    t.w(NIC_TX_TAIL, 1);
    t.run();
    assert.strictEqual(t.nic.transmitted.length, 2);
  });

  it('moderates its interrupt: at most one raise per NIC_ITR nanoseconds', () => {
    const t = rig(boot('x86-64-vtd'));
    rxRing(t, 16);
    t.w(NIC_ITR, 5000);
    t.w(NIC_IMR, NIC_INT_RX);
    t.w(NIC_CTRL, NIC_CTRL_RX_EN);
    const raises: number[] = [];
    const irqc = t.k.machine.irqc;
    const raise = irqc.raise.bind(irqc);
    irqc.raise = (l: number) => {
      raises.push(t.k.now);
      raise(l);
    };
    for (let i = 0; i < 12; i++) t.nic.wireSend(frame(i, 64));
    // a driver that acknowledges each interrupt at once
    for (let step = 0; step < 200 && t.r(NIC_RX_PACKETS) < 12; step++) {
      t.run(() => irqc.isAsserted(t.line), 1e6);
      t.w(NIC_STATUS, NIC_INT_RX);
    }
    t.run(() => irqc.isAsserted(t.line), 1e6);
    assert.strictEqual(t.r(NIC_RX_PACKETS), 12);
    assert.ok(raises.length >= 2 && raises.length < 12, `${raises.length} raises for 12 frames`);
    for (let i = 1; i < raises.length; i++) assert.ok(raises[i] - raises[i - 1] >= 5000, `raise ${i} ${raises[i] - raises[i - 1]} ns after the last`);
  });

  it('stops its engine and says why when a descriptor fetch faults', () => {
    const t = rig(boot('arm64-smmu-noncoherent'));
    t.w(NIC_RX_RING_LO, 0x1234_0000); // no mapping there
    t.w(NIC_RX_RING_SIZE, 4);
    t.w(NIC_IMR, NIC_INT_ERR);
    t.w(NIC_CTRL, NIC_CTRL_RX_EN);
    t.nic.wireSend(frame(0, 64));
    t.run();
    assert.ok(t.r(NIC_STATUS) & NIC_INT_ERR);
    assert.ok(t.nic.snapshot().rxHalted);
    assert.ok(t.k.findings.some((f) => f.id === 'iommu-fault'), t.k.findings.map((f) => f.id).join(', '));
    assert.ok(t.k.trace.events.some((e) => e.kind === 'log' && /descriptor fetch at 0x12340000 failed/.test(e.text)));
  });

  it('sends the devicetree\'s traffic (dmalab,rx-packets, -size, -interval-ns) once the receiver is on', () => {
    const text = fsText('x86-64-vtd').replace('compatible = "dmalab,nic";', 'compatible = "dmalab,nic"; dmalab,rx-packets = <6>; dmalab,rx-packet-size = <90>; dmalab,rx-interval-ns = <2000>;');
    const p = buildPlatform(loadDeviceTree(text, 't.dts'), 't.dts', 't', { deviceModels: DEVICE_MODEL_NAMES });
    assert.deepStrictEqual(p.diagnostics.filter((d) => d.severity !== 'info').map((d) => d.message), []);
    const k = new Kernel(p, { seed: 1, checks: true });
    bindKernel(k);
    const t = rig(k);
    const { bufs } = rxRing(t, 8);
    t.run();
    assert.strictEqual(t.r(NIC_RX_PACKETS), 0, 'nothing before RX_EN');
    const t0 = k.now;
    t.w(NIC_CTRL, NIC_CTRL_RX_EN);
    t.run(() => t.r(NIC_RX_PACKETS) === 6);
    assert.strictEqual(t.r(NIC_RX_PACKETS), 6);
    assert.ok(k.now - t0 >= 5 * 2000, 'one frame per interval');
    for (let seq = 0; seq < 6; seq++) assert.deepStrictEqual(bytes(t, bufs[seq].kva, 90), Uint8Array.from({ length: 90 }, (_, i) => nicTrafficByte(seq, i)));
    t.run();
    assert.strictEqual(t.r(NIC_RX_PACKETS), 6, 'then it stops');
  });

  it('the checker sees the card\'s accesses: a receive buffer unmapped under it is device-access-after-unmap (arm32)', () => {
    const t = rig(boot('arm32-swiotlb'));
    const ring = t.coherent(NIC_DESC_SIZE);
    const buf = t.k.kmalloc.kmalloc(2048, GFP_KERNEL)!;
    const dma = t.k.dma.mapPage(t.dev, buf.phys, 2048, 2, 0, 'single', 'test', undefined);
    t.k.dma.mappingError(t.dev, dma);
    const d = desc(t, ring, 0);
    d.set(NIC_DESC_BUF_LO, dma);
    d.set(NIC_DESC_CTRL, 2048);
    d.set(NIC_DESC_STATUS, NIC_DESC_OWN);
    t.k.cpu.buffers?.storeBarrier();
    t.k.dma.unmapPage(t.dev, dma, 2048, 2, 0, 'single', 'test', undefined);
    t.w(NIC_RX_RING_LO, ring.dma);
    t.w(NIC_RX_RING_SIZE, 1);
    t.w(NIC_CTRL, NIC_CTRL_RX_EN);
    t.nic.wireSend(frame(0, 64));
    t.run();
    assert.ok(t.k.findings.some((f) => f.id === 'device-access-after-unmap'), t.k.findings.map((f) => f.id).join(', '));
  });
});

function fsText(platform: string): string {
  return fs.readFileSync(loadPlatform(platform).file, 'utf8');
}

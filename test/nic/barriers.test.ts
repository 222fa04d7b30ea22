// The CPU's write buffer and read buffer for coherent DMA memory on a weakly-ordered CPU, and the
// barriers that order them (emulator/kernel/write-buffer.ts): what a device sees, and when.
import * as assert from 'assert';
import { boot, device } from '../helpers/kernel';
import { bindKernel } from '../../emulator/api/current';
import * as linux from '../../emulator/api/linux/index';
import type { Kernel } from '../../emulator/kernel/kernel';
import { WRITE_BUFFER_DEPTH } from '../../emulator/kernel/write-buffer';
import { memoryObservers } from '../../emulator/devices/memory-observers';
import { IoMem } from '../../emulator/kernel/driver-core';
import type { Nic } from '../../emulator/devices/nic';

/** A coherent buffer of the nic, its CPU pointer, and the device's view of its bytes. */
function rig(platform: string) {
  const k = boot(platform);
  const dev = device(k, 'nic');
  const c = linux.dma_alloc_coherent(dev, 4096, linux.GFP_KERNEL)!;
  const port = dev.dma.port;
  const seen = (off: number, len = 4): number[] => {
    const b = new Uint8Array(len);
    assert.strictEqual(k.bus.deviceRead(port, Number(c.dma) + off, b, 0, len, undefined), len);
    return [...b];
  };
  const word = (off: number): number => new DataView(Uint8Array.from(seen(off)).buffer).getUint32(0, true);
  const devWrite = (off: number, v: number): void => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v, true);
    k.bus.deviceWrite(port, Number(c.dma) + off, b, 0, 4, undefined);
  };
  const regs = new IoMem(k, dev.desc.reg[0].base, 0x1000, k.as.reserveArea(0x1000));
  return { k, dev, p: c.cpu, dma: c.dma, phys: k.as.translate(c.cpu.kva)!.phys, word, devWrite, regs };
}

function step(k: Kernel): void {
  k.machine.sched.step();
}

describe('write buffer and barriers (weakly-ordered CPUs)', () => {
  afterEach(() => bindKernel(undefined));

  it('arm64: a store to coherent memory is posted; the CPU sees it, the device does not until dma_wmb()', () => {
    const r = rig('arm64-smmu-noncoherent');
    r.p.write32(0, 0x1234_5678);
    assert.strictEqual(r.p.read32(0), 0x1234_5678, 'the CPU reads its own store');
    assert.strictEqual(r.word(0), 0, 'the device reads RAM: not there yet');
    linux.dma_wmb();
    assert.strictEqual(r.word(0), 0x1234_5678);
  });

  it('every flavour of store barrier drains it: wmb, mb, dma_mb, the one in writel and writeq', () => {
    const drains: [string, (r: ReturnType<typeof rig>) => void][] = [
      ['wmb', () => linux.wmb()],
      ['mb', () => linux.mb()],
      ['dma_mb', () => linux.dma_mb()],
      ['writel', (r) => linux.writel(0, r.regs.add(0x0c))],
      ['writeq', (r) => linux.writeq(0n, r.regs.add(0x0c))],
    ];
    for (const [name, drain] of drains) {
      const r = rig('arm64-smmu-noncoherent');
      r.p.write32(8, 42);
      drain(r);
      assert.strictEqual(r.word(8), 42, name);
    }
    const r = rig('arm64-smmu-noncoherent');
    r.p.write32(8, 42);
    linux.rmb();
    linux.dma_rmb();
    linux.smp_wmb();
    assert.strictEqual(r.word(8), 0, 'rmb, dma_rmb and smp_wmb order no stores for the device');
  });

  it('a doorbell written with writel_relaxed() reaches the card before the descriptor does', () => {
    for (const relaxed of [false, true]) {
      const r = rig('arm64-smmu-noncoherent');
      const buf = linux.dma_alloc_coherent(r.dev, 64, linux.GFP_KERNEL)!;
      buf.cpu.write32(0, 0xfeed);
      linux.writel(Number(r.dma), r.regs.add(0x30)); // TX ring base: the descriptor at offset 0
      linux.writel(4, r.regs.add(0x38));
      linux.writel(2, r.regs.add(0x00)); // TX_EN
      r.p.write32(8, Number(buf.dma));
      r.p.write32(4, 4 | (1 << 29) | (1 << 28));
      r.p.write32(0, 1 << 31);
      (relaxed ? linux.writel_relaxed : linux.writel)(1, r.regs.add(0x40)); // TX_TAIL
      for (let i = 0; i < 100; i++) r.k.machine.sched.step();
      const nic = r.k.machine.deviceByName('nic')!.model as Nic;
      assert.strictEqual(nic.transmitted.length, relaxed ? 0 : 1, relaxed ? 'writel_relaxed: the card found the descriptor still the CPU\'s' : 'writel: the stores went first');
    }
  });

  it('without a barrier, stores reach RAM when time moves, in ascending address order: the OWN word overtakes the address', () => {
    const r = rig('arm64-smmu-noncoherent');
    const landed: number[] = [];
    memoryObservers(r.k.bus).watch(r.phys, 32, () => landed.push(r.word(0)));
    // a descriptor written address first, OWN last, and no dma_wmb() between
    r.p.write32(8, 0xaaaa_0000);
    r.p.write32(4, 2048);
    r.p.write32(0, 0x8000_0000);
    assert.deepStrictEqual(landed, []);
    step(r.k); // the CPU goes on (virtual time moves): the write buffer drains
    assert.deepStrictEqual(landed, [0x8000_0000, 0x8000_0000, 0x8000_0000], 'OWN (word 0) was in RAM before the size and the address');
    assert.strictEqual(r.word(8), 0xaaaa_0000);
  });

  it('with dma_wmb() between them the address lands first, in program order', () => {
    const r = rig('arm64-smmu-noncoherent');
    const order: string[] = [];
    memoryObservers(r.k.bus).watch(r.phys, 32, () => order.push(`own=${r.word(0) >>> 31} buf=${r.word(8).toString(16)}`));
    r.p.write32(8, 0xbbbb_0000);
    r.p.write32(4, 2048);
    linux.dma_wmb();
    r.p.write32(0, 0x8000_0000);
    step(r.k);
    assert.deepStrictEqual(order, ['own=0 buf=bbbb0000', 'own=0 buf=bbbb0000', 'own=1 buf=bbbb0000']);
  });

  it(`after ${WRITE_BUFFER_DEPTH} posted stores the next one drains the buffer`, () => {
    const r = rig('arm64-smmu-noncoherent');
    for (let i = 0; i < WRITE_BUFFER_DEPTH; i++) r.p.write32(64 + 4 * i, i + 1);
    assert.strictEqual(r.word(64), 0);
    r.p.write32(256, 99);
    for (let i = 0; i < WRITE_BUFFER_DEPTH; i++) assert.strictEqual(r.word(64 + 4 * i), i + 1);
    assert.strictEqual(r.word(256), 0, 'the newest store waits');
    assert.strictEqual(r.k.cpu.buffers!.pending, 1);
  });

  it('stores inside an earlier posted one merge into it; the last value wins', () => {
    const r = rig('arm64-smmu-noncoherent');
    r.p.writeBytes(0, new Uint8Array(32));
    r.p.write32(0, 1);
    r.p.write32(0, 2);
    assert.strictEqual(r.k.cpu.buffers!.pending, 1);
    linux.dma_wmb();
    assert.strictEqual(r.word(0), 2);
  });

  it('dma_free_coherent drains what is posted before the pages go', () => {
    const r = rig('arm64-smmu-noncoherent');
    const c2 = linux.dma_alloc_coherent(r.dev, 4096, linux.GFP_KERNEL)!;
    c2.cpu.write32(0, 7);
    linux.dma_free_coherent(r.dev, 4096, c2.cpu, c2.dma);
    assert.strictEqual(r.k.cpu.buffers!.pending, 0);
  });

  it('reads: a word read again is fetched again, but the rest of its line is as first fetched until dma_rmb()', () => {
    for (const barrier of [undefined, linux.dma_rmb, linux.rmb, linux.mb]) {
      const r = rig('arm64-smmu-noncoherent');
      r.devWrite(0, 0x8000_0000); // OWN: the device's
      r.devWrite(4, 11);
      assert.strictEqual(r.p.read32(0), 0x8000_0000, 'polled: still the device\'s');
      // the device completes the descriptor: length, then the status
      r.devWrite(4, 64);
      r.devWrite(0, 0);
      assert.strictEqual(r.p.read32(0), 0, 'polled again: a word read again is fresh');
      barrier?.();
      assert.strictEqual(r.p.read32(4), barrier ? 64 : 11, barrier ? `after ${barrier.name}: fresh` : 'without dma_rmb(): the length as it was when the line was first read');
    }
  });

  it('readl() implies the read barrier, readl_relaxed() does not; interrupt entry and wake-ups empty the read buffer', () => {
    for (const [name, act, fresh] of [
      ['readl', (r: ReturnType<typeof rig>) => linux.readl(r.regs.add(0x04)), true],
      ['readl_relaxed', (r: ReturnType<typeof rig>) => linux.readl_relaxed(r.regs.add(0x04)), false],
      ['a wake-up', (r: ReturnType<typeof rig>) => r.k.woke(), true],
    ] as const) {
      const r = rig('arm64-smmu-noncoherent');
      r.devWrite(4, 11);
      r.p.read32(0);
      r.devWrite(4, 64);
      act(r);
      assert.strictEqual(r.p.read32(4), fresh ? 64 : 11, name);
    }
  });

  it('x86 posts nothing and reads nothing ahead: the device sees each store at once, barriers change nothing', () => {
    const r = rig('x86-64-vtd');
    assert.strictEqual(r.k.cpu.buffers, undefined);
    r.p.write32(0, 5);
    assert.strictEqual(r.word(0), 5);
    r.p.read32(4);
    r.devWrite(8, 9);
    assert.strictEqual(r.p.read32(8), 9);
    linux.dma_wmb();
    linux.dma_rmb();
    linux.mb();
  });

  it('arm32 posts too; DDI consistent memory (strictly ordered) and cached memory do not', () => {
    const r = rig('arm32-swiotlb');
    r.p.write32(0, 5);
    assert.strictEqual(r.word(0), 0);
    linux.wmb();
    assert.strictEqual(r.word(0), 5);
    const km = linux.kmalloc(64, linux.GFP_KERNEL)!;
    km.write32(0, 1);
    assert.strictEqual(r.k.cpu.buffers!.pending, 0, 'a cached store goes to the cache, not the write buffer');
    linux.kfree(km);
  });
});

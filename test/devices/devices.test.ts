// The device models, driven through their registers as a driver would.
import * as assert from 'assert';
import fc from 'fast-check';
import { boot, device } from '../helpers/kernel';
import { bindKernel } from '../../emulator/api/current';
import { DAD_ADDR, DAD_ADDR_HI, DAD_CHECKSUM, DAD_CMD_ENABLEDMA, DAD_CMD_RD, DAD_CMD_WR, DAD_COMMAND, DAD_LEN, DAD_SEQ, DAD_STATUS, DAD_STATUS_DONE, DAD_STATUS_ERROR } from '../../emulator/devices/dad';
import { EDU_DMA_CMD, EDU_DMA_COUNT, EDU_DMA_DST, EDU_DMA_SRC, EDU_FACTORIAL, EDU_ID, EDU_IRQ_ACK, EDU_IRQ_RAISE, EDU_IRQ_STATUS, EDU_LIVENESS, EDU_STATUS } from '../../emulator/devices/edu';
import { DMA_FROM_DEVICE, DMA_TO_DEVICE } from '../../emulator/kernel/dma/dir';
import { GFP_KERNEL } from '../../emulator/kernel/gfp';
import type { Kernel } from '../../emulator/kernel/kernel';

function regs(k: Kernel, name: string) {
  const base = device(k, name).desc.reg[0].base;
  return {
    r: (off: number, size: 1 | 2 | 4 | 8 = 4) => k.bus.cpuMmioRead(base + off, size),
    w: (off: number, v: number | bigint, size: 1 | 2 | 4 | 8 = 4) => k.bus.cpuMmioWrite(base + off, size, v),
  };
}

/** Run virtual time until `cond` or no events are left. */
function runUntil(k: Kernel, cond: () => boolean): void {
  while (!cond() && k.machine.sched.step()) {
    /* advance */
  }
}

describe('device models', () => {
  afterEach(() => bindKernel(undefined));

  it('dad moves exactly its bytes both ways, with checksums (property, every platform)', () => {
    fc.assert(
      fc.property(fc.constantFrom('x86-64-vtd', 'arm64-smmu-noncoherent', 'arm32-swiotlb'), fc.integer({ min: 1, max: 20000 }), fc.integer({ min: 0, max: 4095 }), fc.integer({ min: 0, max: 2 ** 31 }), (plat, len, off, seed) => {
        const k = boot(plat);
        const dev = device(k, 'dad');
        const { r, w } = regs(k, 'dad');
        const obj = k.kmalloc.kmalloc(len + off, GFP_KERNEL)!;
        const src = Uint8Array.from({ length: len }, (_, i) => (seed + i * 131) & 0xff);
        k.cpu.write(obj.kva + off, src, 0, len);
        // WR: the device reads memory
        let dma = k.dma.mapPage(dev, obj.phys + off, len, DMA_TO_DEVICE, 0, 'single', 't', undefined);
        k.dma.mappingError(dev, dma);
        w(DAD_COMMAND, DAD_CMD_WR, 1);
        w(DAD_ADDR, dma % 2 ** 32);
        w(DAD_ADDR_HI, Math.floor(dma / 2 ** 32));
        w(DAD_LEN, len);
        w(DAD_COMMAND, DAD_CMD_ENABLEDMA, 1);
        runUntil(k, () => (Number(r(DAD_STATUS)) & DAD_STATUS_DONE) !== 0);
        assert.strictEqual(Number(r(DAD_STATUS)) & DAD_STATUS_ERROR, 0);
        assert.strictEqual(Number(r(DAD_CHECKSUM)), src.reduce((a, b) => a + b, 0) >>> 0);
        k.dma.unmapPage(dev, dma, len, DMA_TO_DEVICE, 0, 'single', 't', undefined);
        w(DAD_STATUS, DAD_STATUS_DONE);
        // RD: the device writes block `seq`
        const seq = Number(r(DAD_SEQ));
        dma = k.dma.mapPage(dev, obj.phys + off, len, DMA_FROM_DEVICE, 0, 'single', 't', undefined);
        k.dma.mappingError(dev, dma);
        w(DAD_COMMAND, DAD_CMD_RD, 1);
        w(DAD_ADDR, dma % 2 ** 32);
        w(DAD_ADDR_HI, Math.floor(dma / 2 ** 32));
        w(DAD_COMMAND, DAD_CMD_ENABLEDMA, 1);
        runUntil(k, () => (Number(r(DAD_STATUS)) & DAD_STATUS_DONE) !== 0);
        k.dma.unmapPage(dev, dma, len, DMA_FROM_DEVICE, 0, 'single', 't', undefined);
        const got = new Uint8Array(len);
        k.cpu.read(obj.kva + off, got, 0, len);
        for (let i = 0; i < len; i++) if (got[i] !== ((seq * 31 + i) & 0xff)) assert.fail(`byte ${i}: ${got[i]}`);
        assert.strictEqual(Number(r(DAD_CHECKSUM)), got.reduce((a, b) => a + b, 0) >>> 0);
        assert.strictEqual(Number(r(DAD_SEQ)), seq + 1);
        assert.deepStrictEqual(k.findings.map((f) => f.id), []);
      }),
      { numRuns: 30 },
    );
  });

  it('dad: a transfer to an unmapped IOVA ends in error status, an interrupt and a DMAR fault line', () => {
    const k = boot('x86-64-vtd');
    const { r, w } = regs(k, 'dad');
    w(DAD_COMMAND, DAD_CMD_RD, 1);
    w(DAD_ADDR, 0x1234_0000);
    w(DAD_LEN, 4096);
    w(DAD_COMMAND, DAD_CMD_ENABLEDMA, 1);
    runUntil(k, () => (Number(r(DAD_STATUS)) & DAD_STATUS_DONE) !== 0);
    assert.strictEqual(Number(r(DAD_STATUS)) & DAD_STATUS_ERROR, DAD_STATUS_ERROR);
    assert.ok(k.machine.irqc.isAsserted(device(k, 'dad').desc.irqs[0].line));
    const log = k.trace.events.filter((e) => e.kind === 'log').map((e) => (e as { text: string }).text);
    assert.ok(log.some((l) => /^DMAR: \[DMA Write NO_PASID\] Request device \[00:01\.0\] fault addr 0x12340000 \[fault reason 0x05\] PTE Write access is not set$/.test(l)), log.join('\n'));
  });

  it('edu: id, liveness, factorial with interrupt, raise/ack', () => {
    const k = boot('x86-64-vtd');
    const { r, w } = regs(k, 'edu');
    const line = device(k, 'edu').desc.irqs[0].line;
    assert.strictEqual(r(EDU_ID), 0x010000ed);
    w(EDU_LIVENESS, 0x0f0f0f0f);
    assert.strictEqual(r(EDU_LIVENESS), 0xf0f0f0f0);
    w(EDU_STATUS, 0x80);
    w(EDU_FACTORIAL, 12);
    assert.strictEqual(Number(r(EDU_STATUS)) & 1, 1, 'computing');
    runUntil(k, () => (Number(r(EDU_STATUS)) & 1) === 0);
    assert.strictEqual(r(EDU_FACTORIAL), 479001600);
    assert.strictEqual(r(EDU_IRQ_STATUS), 1);
    assert.ok(k.machine.irqc.isAsserted(line));
    w(EDU_IRQ_ACK, 1);
    assert.ok(!k.machine.irqc.isAsserted(line));
    w(EDU_IRQ_RAISE, 0x40);
    assert.strictEqual(r(EDU_IRQ_STATUS), 0x40);
    assert.strictEqual(r(EDU_ID, 2), 0xffff, 'only 4-byte accesses below 0x80');
  });

  it('edu clamps DMA addresses to 28 bits and says so, and refuses ranges outside its buffer', () => {
    const k = boot('arm32-swiotlb');
    const { w } = regs(k, 'edu');
    w(EDU_DMA_SRC, 0x1_2345_0000n, 8);
    w(EDU_DMA_DST, 0x40000n, 8);
    w(EDU_DMA_COUNT, 16n, 8);
    w(EDU_DMA_CMD, 1n, 8);
    runUntil(k, () => false);
    w(EDU_DMA_SRC, 0x40ff0n, 8);
    w(EDU_DMA_DST, 0x1000n, 8);
    w(EDU_DMA_COUNT, 64n, 8);
    w(EDU_DMA_CMD, 3n, 8);
    const log = k.trace.events.filter((e) => e.kind === 'log').map((e) => (e as { text: string }).text);
    assert.ok(log.some((l) => l.includes('EDU: clamping DMA 0x0000000123450000 to 0x0000000003450000!')), log.join('\n'));
    assert.ok(log.some((l) => l.includes('EDU: DMA range 0x0000000000040ff0-0x000000000004102f out of bounds (0x0000000000040000-0x0000000000040fff)!')));
  });
});

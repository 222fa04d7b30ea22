// The DMA controller and slave peripheral models, driven through their registers on a bare machine
// (no kernel, so no built-in driver takes their interrupts): PL080 LLI chains fetched from RAM,
// terminal-count interrupts, the residue counting down in the control register, errors, halt;
// the UART's FIFOs and request lines with the PL080 in both directions; the I/OAT-like engine's
// descriptor chain, completion writeback and interrupt arming.
import * as assert from 'assert';
import { Machine } from '../../emulator/machine';
import { loadPlatform } from '../../emulator/runner/platforms';
import { loadDeviceTree } from '../../emulator/platform/dts';
import { buildPlatform, type Platform } from '../../emulator/platform/model';
import { DEVICE_MODEL_NAMES } from '../../emulator/devices/registry';
import {
  PL080_CH_CONFIG, PL080_CH_CONTROL, PL080_CH_DST_ADDR, PL080_CH_LLI, PL080_CH_SRC_ADDR, PL080_CONFIG, PL080_CONFIG_ACTIVE, PL080_CONFIG_ENABLE,
  PL080_CONFIG_ENABLE_CH, PL080_CONFIG_ERR_IRQ_MASK, PL080_CONFIG_FLOW_CONTROL_SHIFT, PL080_CONFIG_HALT, PL080_CONFIG_SRC_SEL_SHIFT,
  PL080_CONFIG_DST_SEL_SHIFT, PL080_CONFIG_TC_IRQ_MASK, PL080_CONTROL_DST_INCR, PL080_CONTROL_SRC_INCR, PL080_CONTROL_SWIDTH_SHIFT,
  PL080_CONTROL_DWIDTH_SHIFT, PL080_CONTROL_TC_IRQ_EN, PL080_CONTROL_TRANSFER_SIZE_MASK, PL080_Cx_BASE, PL080_EN_CHAN, PL080_ERR_STATUS,
  PL080_FLOW_MEM2PER, PL080_FLOW_PER2MEM, PL080_INT_STATUS, PL080_PCELL_ID0, PL080_PERIPH_ID0, PL080_RAW_TC_STATUS, PL080_TC_CLEAR, PL080_TC_STATUS,
  PL080_CONTROL_SB_SIZE_SHIFT, PL080_CONTROL_DB_SIZE_SHIFT, PL080_BSIZE_8,
} from '../../emulator/devices/pl080';
import { UART_CR, UART_CR_LBE, UART_CR_RTS, UART_CR_RXE, UART_CR_TXE, UART_CR_UARTEN, UART_DMACR, UART_DMACR_RXDMAE, UART_DMACR_TXDMAE, UART_RXCOUNT, UART_TXCOUNT, Uart, uartRemoteByte } from '../../emulator/devices/uart';
import {
  IOAT_ATTNSTATUS, IOAT_CHAINADDR, IOAT_CHAN_BASE, IOAT_CHANCMD, IOAT_CHANCMD_RESET, IOAT_CHANCMP, IOAT_CHANCTRL, IOAT_CHANCTRL_INT_REARM, IOAT_CHANERR,
  IOAT_CHANSTS, IOAT_CHANSTS_DONE, IOAT_CHANSTS_HALTED, IOAT_DESC_CTL_COMPL_WRITE, IOAT_DESC_CTL_INT_EN, IOAT_DESC_SIZE, IOAT_DMACOUNT, IOAT_INTRCTRL,
  IOAT_INTRCTRL_MASTER_INT_EN, IOAT_CHANERR_SRC_ADDR_ERR,
} from '../../emulator/devices/ioat';

const hooks = { log: () => undefined, transferStart: () => ({}), transferEnd: () => undefined };

function bare(p: Platform | string) {
  const m = new Machine(typeof p === 'string' ? loadPlatform(p) : p, hooks);
  const dev = (name: string) => {
    const d = m.deviceByName(name);
    if (!d) throw new Error(`no ${name}`);
    const base = d.desc.reg[0].base;
    return {
      d,
      line: d.desc.irqs[0]?.line ?? -1,
      r: (off: number, size: 1 | 2 | 4 | 8 = 4) => m.bus.cpuMmioRead(base + off, size),
      w: (off: number, v: number | bigint, size: 1 | 2 | 4 | 8 = 4) => m.bus.cpuMmioWrite(base + off, size, v),
    };
  };
  const run = (cond: () => boolean = () => false, limit = 1e9) => {
    while (!cond() && m.sched.step(m.sched.now + limit)) {
      /* advance */
    }
  };
  return { m, dev, run };
}

// arm32-swiotlb: the PL080 sits behind dma-ranges; bus 0 = CPU 0x80000000
const BUS = (phys: number) => phys - 0x8000_0000;
const RAM = 0x8100_0000;

function lli(m: Machine, at: number, src: number, dst: number, next: number, control: number): void {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setUint32(0, src, true);
  v.setUint32(4, dst, true);
  v.setUint32(8, next, true);
  v.setUint32(12, control >>> 0, true);
  m.ram.write(at, b);
}

const m2m = (bytes: number, tc: boolean) => (bytes / 4) | (2 << PL080_CONTROL_SWIDTH_SHIFT) | (2 << PL080_CONTROL_DWIDTH_SHIFT) | PL080_CONTROL_SRC_INCR | PL080_CONTROL_DST_INCR | (tc ? PL080_CONTROL_TC_IRQ_EN : 0);

describe('PL080 model', () => {
  it('identifies itself as a PrimeCell PL080', () => {
    const { dev } = bare('arm32-swiotlb');
    const c = dev('dma-controller');
    assert.deepStrictEqual([0, 4, 8, 12].map((o) => c.r(PL080_PERIPH_ID0 + o)), [0x80, 0x10, 0x04, 0x00]);
    assert.deepStrictEqual([0, 4, 8, 12].map((o) => c.r(PL080_PCELL_ID0 + o)), [0x0d, 0xf0, 0x05, 0xb1]);
  });

  it('runs an LLI chain it fetches from RAM, counts the residue down, raises TC only where asked', () => {
    const { m, dev, run } = bare('arm32-swiotlb');
    const c = dev('dma-controller');
    const src = RAM;
    const dst = RAM + 0x10_0000;
    const llis = RAM + 0x20_0000;
    const data = Uint8Array.from({ length: 3 * 8192 }, (_, i) => (i * 37 + 11) & 0xff);
    m.ram.write(src, data);
    // registers hold segment 0; LLI 1 and 2 are in memory; only the last asks for the interrupt
    lli(m, llis, BUS(src + 8192), BUS(dst + 8192), BUS(llis + 16), m2m(8192, false));
    lli(m, llis + 16, BUS(src + 16384), BUS(dst + 16384), 0, m2m(8192, true));
    c.w(PL080_CONFIG, PL080_CONFIG_ENABLE);
    const ch = PL080_Cx_BASE(2);
    c.w(ch + PL080_CH_SRC_ADDR, BUS(src));
    c.w(ch + PL080_CH_DST_ADDR, BUS(dst));
    c.w(ch + PL080_CH_LLI, BUS(llis));
    c.w(ch + PL080_CH_CONTROL, m2m(8192, false));
    c.w(ch + PL080_CH_CONFIG, PL080_CONFIG_TC_IRQ_MASK | PL080_CONFIG_ERR_IRQ_MASK | PL080_CONFIG_ENABLE_CH);
    assert.strictEqual(Number(c.r(PL080_EN_CHAN)), 1 << 2);
    const seen: number[] = [];
    run(() => {
      const left = Number(c.r(ch + PL080_CH_CONTROL)) & PL080_CONTROL_TRANSFER_SIZE_MASK;
      if (seen[seen.length - 1] !== left) seen.push(left);
      return !(Number(c.r(PL080_EN_CHAN)) & 4);
    });
    assert.ok(seen.length > 4, `the transfer count moves down within segments: ${seen}`);
    const got = new Uint8Array(data.length);
    m.ram.read(dst, got);
    assert.deepStrictEqual(got, data);
    assert.strictEqual(Number(c.r(PL080_RAW_TC_STATUS)), 1 << 2);
    assert.strictEqual(Number(c.r(PL080_TC_STATUS)), 1 << 2);
    assert.ok(m.irqc.isAsserted(c.line));
    c.w(PL080_TC_CLEAR, 1 << 2);
    assert.strictEqual(Number(c.r(PL080_INT_STATUS)), 0);
    assert.ok(!m.irqc.isAsserted(c.line));
  });

  it('a masked terminal count sets the raw status but not the line', () => {
    const { m, dev, run } = bare('arm32-swiotlb');
    const c = dev('dma-controller');
    c.w(PL080_CONFIG, PL080_CONFIG_ENABLE);
    const ch = PL080_Cx_BASE(0);
    c.w(ch + PL080_CH_SRC_ADDR, BUS(RAM));
    c.w(ch + PL080_CH_DST_ADDR, BUS(RAM + 4096));
    c.w(ch + PL080_CH_LLI, 0);
    c.w(ch + PL080_CH_CONTROL, m2m(256, true));
    c.w(ch + PL080_CH_CONFIG, PL080_CONFIG_ENABLE_CH);
    run();
    assert.strictEqual(Number(c.r(PL080_RAW_TC_STATUS)), 1);
    assert.strictEqual(Number(c.r(PL080_TC_STATUS)), 0);
    assert.ok(!m.irqc.isAsserted(c.line));
  });

  it('an LLI outside the bus windows is an error: error status, interrupt, channel off', () => {
    const { m, dev, run } = bare('arm32-swiotlb');
    const c = dev('dma-controller');
    c.w(PL080_CONFIG, PL080_CONFIG_ENABLE);
    const ch = PL080_Cx_BASE(1);
    c.w(ch + PL080_CH_SRC_ADDR, BUS(RAM));
    c.w(ch + PL080_CH_DST_ADDR, BUS(RAM + 4096));
    c.w(ch + PL080_CH_LLI, 0x3000_0000); // beyond every dma-ranges window
    c.w(ch + PL080_CH_CONTROL, m2m(64, false));
    c.w(ch + PL080_CH_CONFIG, PL080_CONFIG_TC_IRQ_MASK | PL080_CONFIG_ERR_IRQ_MASK | PL080_CONFIG_ENABLE_CH);
    run();
    assert.strictEqual(Number(c.r(PL080_ERR_STATUS)), 1 << 1);
    assert.strictEqual(Number(c.r(PL080_EN_CHAN)), 0);
    assert.ok(m.irqc.isAsserted(c.line));
  });

  it('halt stops a channel between bursts (Active clears) and clearing it lets it finish', () => {
    const { m, dev, run } = bare('arm32-swiotlb');
    const c = dev('dma-controller');
    c.w(PL080_CONFIG, PL080_CONFIG_ENABLE);
    const ch = PL080_Cx_BASE(0);
    const cfg = PL080_CONFIG_TC_IRQ_MASK | PL080_CONFIG_ENABLE_CH;
    c.w(ch + PL080_CH_SRC_ADDR, BUS(RAM));
    c.w(ch + PL080_CH_DST_ADDR, BUS(RAM + 0x10000));
    c.w(ch + PL080_CH_LLI, 0);
    c.w(ch + PL080_CH_CONTROL, m2m(16380, true));
    c.w(ch + PL080_CH_CONFIG, cfg);
    m.sched.step();
    c.w(ch + PL080_CH_CONFIG, cfg | PL080_CONFIG_HALT);
    run(() => !(Number(c.r(ch + PL080_CH_CONFIG)) & PL080_CONFIG_ACTIVE));
    const left = Number(c.r(ch + PL080_CH_CONTROL)) & PL080_CONTROL_TRANSFER_SIZE_MASK;
    assert.ok(left > 0 && left < 4095, `halted part-way (${left} left)`);
    run();
    assert.strictEqual(Number(c.r(ch + PL080_CH_CONTROL)) & PL080_CONTROL_TRANSFER_SIZE_MASK, left, 'nothing moves while halted');
    c.w(ch + PL080_CH_CONFIG, cfg);
    run();
    assert.strictEqual(Number(c.r(ch + PL080_CH_CONTROL)) & PL080_CONTROL_TRANSFER_SIZE_MASK, 0);
    assert.ok(m.irqc.isAsserted(c.line));
  });
});

describe('dmalab,uart with the PL080', () => {
  it('memory to TX FIFO on request line 0, back through loopback and RX line 1 into a cyclic ring', () => {
    const { m, dev, run } = bare('arm32-swiotlb');
    const c = dev('dma-controller');
    const u = dev('serial');
    const fifo = u.d.desc.reg[0].base; // the peripheral window maps the FIFO at its CPU address
    const msg = Uint8Array.from({ length: 300 }, (_, i) => (i * 5 + 1) & 0xff);
    m.ram.write(RAM, msg);
    c.w(PL080_CONFIG, PL080_CONFIG_ENABLE);
    const byteCtl = (n: number, incr: number, tc: boolean) => n | (PL080_BSIZE_8 << PL080_CONTROL_SB_SIZE_SHIFT) | (PL080_BSIZE_8 << PL080_CONTROL_DB_SIZE_SHIFT) | incr | (tc ? PL080_CONTROL_TC_IRQ_EN : 0);
    // RX: a two-period cyclic ring of 128 bytes (the second LLI points back at the first)
    const ring = RAM + 0x1000;
    const llis = RAM + 0x2000;
    lli(m, llis, fifo, BUS(ring + 64), BUS(llis + 16), byteCtl(64, PL080_CONTROL_DST_INCR, true));
    lli(m, llis + 16, fifo, BUS(ring), BUS(llis), byteCtl(64, PL080_CONTROL_DST_INCR, true));
    const rx = PL080_Cx_BASE(1);
    c.w(rx + PL080_CH_SRC_ADDR, fifo);
    c.w(rx + PL080_CH_DST_ADDR, BUS(ring));
    c.w(rx + PL080_CH_LLI, BUS(llis));
    c.w(rx + PL080_CH_CONTROL, byteCtl(64, PL080_CONTROL_DST_INCR, true));
    c.w(rx + PL080_CH_CONFIG, (PL080_FLOW_PER2MEM << PL080_CONFIG_FLOW_CONTROL_SHIFT) | (1 << PL080_CONFIG_SRC_SEL_SHIFT) | PL080_CONFIG_TC_IRQ_MASK | PL080_CONFIG_ENABLE_CH);
    // TX: 300 bytes from memory
    const tx = PL080_Cx_BASE(0);
    c.w(tx + PL080_CH_SRC_ADDR, BUS(RAM));
    c.w(tx + PL080_CH_DST_ADDR, fifo);
    c.w(tx + PL080_CH_LLI, 0);
    c.w(tx + PL080_CH_CONTROL, byteCtl(300, PL080_CONTROL_SRC_INCR, true));
    c.w(tx + PL080_CH_CONFIG, (PL080_FLOW_MEM2PER << PL080_CONFIG_FLOW_CONTROL_SHIFT) | (0 << PL080_CONFIG_DST_SEL_SHIFT) | PL080_CONFIG_TC_IRQ_MASK | PL080_CONFIG_ENABLE_CH);
    run(undefined, 1e6);
    assert.strictEqual(Number(c.r(PL080_EN_CHAN)), 0b11, 'nothing moves before the UART asks');
    u.w(UART_CR, UART_CR_UARTEN | UART_CR_TXE | UART_CR_RXE | UART_CR_LBE);
    u.w(UART_DMACR, UART_DMACR_TXDMAE | UART_DMACR_RXDMAE);
    run(() => Number(u.r(UART_RXCOUNT)) >= 300);
    run(undefined, 1e6);
    assert.strictEqual(Number(u.r(UART_TXCOUNT)), 300);
    assert.deepStrictEqual((u.d.model as Uart).transmitted, [...msg]);
    assert.strictEqual(Number(c.r(PL080_EN_CHAN)), 0b10, 'TX finished, the cyclic RX goes on');
    // 300 bytes round a 128-byte ring: bytes 256..299 are the last to land, at ring offsets 0..43
    const got = new Uint8Array(128);
    m.ram.read(ring, got);
    for (let i = 0; i < 44; i++) assert.strictEqual(got[i], msg[256 + i], `ring byte ${i}`);
    for (let i = 44; i < 128; i++) assert.strictEqual(got[i], msg[128 + i], `ring byte ${i}`);
    const left = Number(c.r(rx + PL080_CH_CONTROL)) & PL080_CONTROL_TRANSFER_SIZE_MASK;
    assert.strictEqual(left, 64 - 44, 'the residue says where the ring is');
  });

  it('the far end sends dmalab,rx-bytes while RTS is asserted, without overrunning the FIFO', () => {
    const text = `/dts-v1/;
/ { dmalab,arch = "arm"; #address-cells = <1>; #size-cells = <1>;
  memory@80000000 { device_type = "memory"; reg = <0x80000000 0x10000000>; };
  serial@1000 { compatible = "dmalab,uart"; reg = <0x1000 0x1000>; dmalab,rx-bytes = <100>; dmalab,baud = <1000000>; };
};`;
    const p = buildPlatform(loadDeviceTree(text, 't.dts'), 't.dts', 't', { deviceModels: DEVICE_MODEL_NAMES });
    assert.deepStrictEqual(p.diagnostics.filter((d) => d.severity === 'error'), []);
    const { dev, run, m } = bare(p);
    const u = dev('serial');
    u.w(UART_CR, UART_CR_UARTEN | UART_CR_RXE);
    run();
    assert.strictEqual(Number(u.r(UART_RXCOUNT)), 0, 'nothing without RTS');
    u.w(UART_CR, UART_CR_UARTEN | UART_CR_RXE | UART_CR_RTS);
    run();
    assert.strictEqual(Number(u.r(UART_RXCOUNT)), 32, 'the far end stops when the FIFO is full');
    const got: number[] = [];
    for (let i = 0; i < 100; i++) {
      got.push(Number(u.r(0)));
      run();
    }
    assert.deepStrictEqual(got, Array.from({ length: 100 }, (_, i) => uartRemoteByte(i)));
    assert.ok(m.sched.now >= 100 * 10_000, 'one byte per 10 bit times');
  });
});

describe('I/OAT-like copy engine model', () => {
  const text = `/dts-v1/;
/ { dmalab,arch = "x86_64"; #address-cells = <2>; #size-cells = <2>;
  memory@0 { device_type = "memory"; reg = <0x0 0x0 0x0 0x40000000>; };
  ioapic: interrupt-controller@fec00000 { compatible = "intel,ioapic"; reg = <0x0 0xfec00000 0x0 0x1000>; interrupt-controller; #interrupt-cells = <2>; };
  bus { compatible = "simple-bus"; #address-cells = <1>; #size-cells = <1>; ranges = <0x0 0x0 0x0 0xfff00000>; interrupt-parent = <&ioapic>; dma-coherent;
    dma@fe200000 { compatible = "intel,ioat"; reg = <0xfe200000 0x1000>; interrupts = <18 4>; };
  };
};`;

  function setup() {
    const p = buildPlatform(loadDeviceTree(text, 'ioat.dts'), 'ioat.dts', 'ioat', { deviceModels: DEVICE_MODEL_NAMES });
    assert.deepStrictEqual(p.diagnostics.filter((d) => d.severity === 'error'), []);
    return bare(p);
  }

  function desc(m: Machine, at: number, size: number, ctl: number, src: number, dst: number, next: number): void {
    const b = new Uint8Array(IOAT_DESC_SIZE);
    const v = new DataView(b.buffer);
    v.setUint32(0, size, true);
    v.setUint32(4, ctl, true);
    v.setBigUint64(8, BigInt(src), true);
    v.setBigUint64(16, BigInt(dst), true);
    v.setBigUint64(24, BigInt(next), true);
    m.ram.write(at, b);
  }

  it('follows the chain up to DMACOUNT, writes the completion status, interrupts once per arming', () => {
    const { m, dev, run } = setup();
    const e = dev('dma');
    const ring = 0x10_0000;
    const cmp = 0x20_0000;
    const data = Uint8Array.from({ length: 3 * 65536 }, (_, i) => (i * 13) & 0xff);
    m.ram.write(0x100_0000, data);
    for (let i = 0; i < 3; i++) desc(m, ring + i * 64, 65536, i === 2 ? IOAT_DESC_CTL_COMPL_WRITE | IOAT_DESC_CTL_INT_EN : 0, 0x100_0000 + i * 65536, 0x200_0000 + i * 65536, ring + (i + 1) * 64);
    const ch = IOAT_CHAN_BASE(1);
    e.w(IOAT_INTRCTRL, IOAT_INTRCTRL_MASTER_INT_EN, 1);
    e.w(ch + IOAT_CHANCMD, IOAT_CHANCMD_RESET, 1);
    e.w(ch + IOAT_CHAINADDR, BigInt(ring), 8);
    e.w(ch + IOAT_CHANCMP, BigInt(cmp), 8);
    e.w(ch + IOAT_CHANCTRL, IOAT_CHANCTRL_INT_REARM, 2);
    e.w(ch + IOAT_DMACOUNT, 2, 2);
    run();
    const sts = () => Number(e.r(ch + IOAT_CHANSTS, 8));
    assert.strictEqual(sts(), IOAT_CHANSTS_DONE + ring + 64, 'stopped after the second descriptor');
    assert.ok(!m.irqc.isAsserted(e.line), 'no interrupt asked yet');
    const wb = new Uint8Array(8);
    m.ram.read(cmp, wb);
    assert.strictEqual(new DataView(wb.buffer).getBigUint64(0, true), 0n, 'no completion write asked yet');
    e.w(ch + IOAT_DMACOUNT, 3, 2);
    run();
    m.ram.read(cmp, wb);
    assert.strictEqual(Number(new DataView(wb.buffer).getBigUint64(0, true)), IOAT_CHANSTS_DONE + ring + 128);
    const got = new Uint8Array(data.length);
    m.ram.read(0x200_0000, got);
    assert.deepStrictEqual(got, data);
    assert.strictEqual(Number(e.r(IOAT_ATTNSTATUS)), 1 << 1);
    assert.ok(m.irqc.isAsserted(e.line));
    e.w(IOAT_ATTNSTATUS, 1 << 1);
    assert.ok(!m.irqc.isAsserted(e.line));
  });

  it('a fault halts the channel with CHANERR and reports through the writeback', () => {
    const { m, dev, run } = setup();
    const e = dev('dma');
    const ring = 0x10_0000;
    desc(m, ring, 4096, IOAT_DESC_CTL_COMPL_WRITE | IOAT_DESC_CTL_INT_EN, 0x7000_0000, 0x200_0000, ring + 64); // source beyond RAM
    const ch = IOAT_CHAN_BASE(0);
    e.w(ch + IOAT_CHANCMD, IOAT_CHANCMD_RESET, 1);
    e.w(ch + IOAT_CHAINADDR, BigInt(ring), 8);
    e.w(ch + IOAT_CHANCMP, 0x20_0000n, 8);
    e.w(ch + IOAT_DMACOUNT, 1, 2);
    run();
    assert.strictEqual(Number(e.r(ch + IOAT_CHANSTS, 8)) & 7, IOAT_CHANSTS_HALTED);
    assert.strictEqual(Number(e.r(ch + IOAT_CHANERR)), IOAT_CHANERR_SRC_ADDR_ERR);
    const wb = new Uint8Array(8);
    m.ram.read(0x20_0000, wb);
    assert.strictEqual(wb[0] & 7, IOAT_CHANSTS_HALTED);
  });
});

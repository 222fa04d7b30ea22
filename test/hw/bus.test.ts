import * as assert from 'assert';
import { Bus, type DeviceAccess, type DmaPort } from '../../emulator/hw/bus';
import { DataCache } from '../../emulator/hw/cache';
import { Iommu } from '../../emulator/hw/iommu';
import { PhysicalMemory } from '../../emulator/hw/physical-memory';
import { IommuDomain } from '../../emulator/kernel/dma/iommu-domain';
import { PageAllocator } from '../../emulator/kernel/page-alloc';
import { Prng } from '../../emulator/lib/prng';

const MMIO = 0x1000_0000;
const RAM = 0x4000_0000;

/** RAM, a cache, an SMMU with one domain for stream 0x10, and one device port behind it. */
function setup() {
  const ram = new PhysicalMemory();
  const bus = new Bus(ram, new DataCache(ram));
  bus.addRam(RAM, 0x1000_0000);
  const iommu = new Iommu('iommu', 'smmuv3', ram, 'iommu0');
  const dom = new IommuDomain(1, iommu, ram, new PageAllocator([{ base: 0x4800_0000, size: 0x100_0000 }], 0, true, new Prng(1)));
  iommu.attach(0x10, dom.id, dom.root);
  const port: DmaPort = { device: 'dev', coherent: true, iommu, streamId: 0x10, dmaRanges: [] };
  return { ram, bus, dom, port };
}

describe('bus: device accesses', () => {
  it('an access that reaches an MMIO window which starts another DMA through the same IOMMU keeps its own runs', () => {
    const { ram, bus, dom, port } = setup();
    // a register window whose write starts a 64 KiB read through the same IOMMU (a doorbell that fetches at once)
    let nested = 0;
    const seen: DeviceAccess[] = [];
    bus.listeners.push({ deviceAccess: (a) => seen.push({ ...a }) });
    bus.addMmio({
      base: MMIO,
      size: 0x1000,
      owner: 'doorbell',
      handler: {
        mmioRead: () => 0,
        mmioWrite: () => {
          if (nested++ === 0) assert.strictEqual(bus.deviceRead(port, 0x80_0000, new Uint8Array(0x1_0000), 0, 0x1_0000, 'fetch'), 0x1_0000);
        },
      },
    });
    const rw = { read: true, write: true };
    assert.ok(dom.map(0x10_0000, MMIO, 0x1000, rw)); // IOVA page 0: the register window
    assert.ok(dom.map(0x10_1000, RAM + 0x10_0000, 0x2000, rw)); // pages 1-2: 8 KiB of RAM, contiguous
    assert.ok(dom.map(0x80_0000, RAM + 0x20_0000, 0x1_0000, rw)); // what the doorbell fetches
    const src = new Uint8Array(16 + 0x2000).fill(0xab);
    const done = bus.deviceWrite(port, 0x10_0ff0, src, 0, src.length, 'outer');
    assert.strictEqual(done, src.length, 'exactly the bytes asked for');
    assert.strictEqual(nested, 16, 'the 16 register bytes were written one by one');
    const after = new Uint8Array(16);
    ram.read(RAM + 0x10_2000, after);
    assert.deepStrictEqual([...after], new Array(16).fill(0), 'nothing past the mapped 8 KiB was written');
    ram.read(RAM + 0x10_1ff0, after);
    assert.deepStrictEqual([...after], new Array(16).fill(0xab));
    // listeners see the nested access first (it completed inside the outer one), then the outer one, each with its own fields
    assert.deepStrictEqual(seen.map((a) => [a.tag, a.bus, a.len, a.write]), [
      ['fetch', 0x80_0000, 0x1_0000, false],
      ['outer', 0x10_0ff0, 16 + 0x2000, true],
    ]);
    assert.strictEqual(bus.current, undefined, 'no access in progress afterwards');
  });
});

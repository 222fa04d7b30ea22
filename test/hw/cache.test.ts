import * as assert from 'assert';
import { DataCache } from '../../emulator/hw/cache';
import { PhysicalMemory } from '../../emulator/hw/physical-memory';

function setup(capacityLines = 64) {
  const ram = new PhysicalMemory();
  const cache = new DataCache(ram, 64, capacityLines);
  return { ram, cache };
}

const bytes = (n: number, v: number) => new Uint8Array(n).fill(v);

describe('CPU data cache', () => {
  it('is write-back: a CPU write stays in the cache until cleaned', () => {
    const { ram, cache } = setup();
    cache.cpuWrite(0x1000, bytes(64, 0xaa), 0, 64);
    const r = new Uint8Array(64);
    ram.read(0x1000, r);
    assert.strictEqual(r[0], 0, 'RAM still old');
    assert.strictEqual(cache.state(0x1000), 'dirty');
    cache.clean(0x1000, 64);
    ram.read(0x1000, r);
    assert.strictEqual(r[0], 0xaa);
    assert.strictEqual(cache.state(0x1000), 'clean');
  });

  it('a non-coherent device write leaves a stale line the CPU keeps reading', () => {
    const { cache } = setup();
    const out = new Uint8Array(4);
    cache.cpuRead(0x2000, out, 0, 4); // line now cached (zeros)
    const stale: number[] = [];
    cache.listener = { staleRead: (a) => stale.push(a) };
    cache.deviceWrite(0x2000, bytes(4, 0x55), 0, 4, false, 'dev');
    cache.cpuRead(0x2000, out, 0, 4);
    assert.deepStrictEqual([...out], [0, 0, 0, 0], 'the CPU sees the old bytes');
    assert.deepStrictEqual(stale, [0x2000]);
    cache.invalidate(0x2000, 64);
    cache.cpuRead(0x2000, out, 0, 4);
    assert.deepStrictEqual([...out], [0x55, 0x55, 0x55, 0x55], 'after invalidation the CPU sees RAM');
  });

  it('a coherent device snoops: it reads dirty lines and its writes update the cache', () => {
    const { cache } = setup();
    cache.cpuWrite(0x3000, bytes(8, 0x11), 0, 8);
    const seen = new Uint8Array(8);
    cache.deviceRead(0x3000, seen, 0, 8, true, 'dev');
    assert.strictEqual(seen[0], 0x11);
    cache.deviceWrite(0x3000, bytes(8, 0x22), 0, 8, true, 'dev');
    const cpu = new Uint8Array(8);
    cache.cpuRead(0x3000, cpu, 0, 8);
    assert.strictEqual(cpu[0], 0x22);
  });

  it('a non-coherent device read misses dirty data and says so', () => {
    const { cache } = setup();
    cache.cpuWrite(0x4000, bytes(8, 0x33), 0, 8);
    const dirty: number[] = [];
    cache.listener = { dirtyDeviceRead: (a) => dirty.push(a) };
    const seen = new Uint8Array(8);
    cache.deviceRead(0x4000, seen, 0, 8, false, 'dev');
    assert.strictEqual(seen[0], 0, 'the device got RAM');
    assert.deepStrictEqual(dirty, [0x4000]);
  });

  it('invalidate discards dirty bytes inside the range but cleans partial edge lines', () => {
    const { ram, cache } = setup();
    cache.cpuWrite(0x5000, bytes(128, 0x77), 0, 128);
    cache.invalidate(0x5000 + 32, 64); // partial lines at both ends
    const r = new Uint8Array(128);
    ram.read(0x5000, r);
    assert.strictEqual(r[0], 0x77, 'head line was cleaned');
    assert.strictEqual(r[127], 0x77, 'tail line was cleaned');
    cache.cpuWrite(0x6000, bytes(64, 0x99), 0, 64);
    cache.invalidate(0x6000, 64);
    ram.read(0x6000, r, 0, 64);
    assert.strictEqual(r[0], 0, 'a whole dirty line is dropped');
  });

  it('evicts least recently used lines, writing dirty ones back', () => {
    const { ram, cache } = setup(4);
    for (let i = 0; i < 5; i++) cache.cpuWrite(i * 64, bytes(64, i + 1), 0, 64);
    assert.strictEqual(cache.size, 4);
    assert.strictEqual(cache.state(0), 'invalid');
    const r = new Uint8Array(1);
    ram.read(0, r);
    assert.strictEqual(r[0], 1, 'the evicted dirty line reached RAM');
  });

  it('a hit makes its line the most recently used: the next miss evicts the oldest untouched line', () => {
    const { cache } = setup(4);
    const one = new Uint8Array(1);
    for (let i = 0; i < 4; i++) cache.cpuRead(i * 64, one, 0, 1);
    cache.cpuRead(0, one, 0, 1); // line 0 is now the most recent; line 64 the least
    cache.cpuRead(2 * 64, one, 0, 1);
    cache.cpuWrite(4 * 64, one, 0, 1); // a miss: evicts line 64
    assert.deepStrictEqual([0, 1, 2, 3, 4].map((i) => cache.state(i * 64)), ['clean', 'invalid', 'clean', 'clean', 'dirty']);
    cache.invalidate(2 * 64, 64); // dropping a line in the middle keeps the order of the others
    cache.cpuRead(5 * 64, one, 0, 1); // a free slot: nothing evicted
    cache.cpuRead(6 * 64, one, 0, 1); // evicts line 3
    cache.cpuRead(7 * 64, one, 0, 1); // evicts line 0
    assert.deepStrictEqual([0, 3, 4, 5, 6, 7].map((i) => cache.state(i * 64)), ['invalid', 'invalid', 'dirty', 'clean', 'clean', 'clean']);
    assert.strictEqual(cache.size, 4);
  });

  it('memset fills lines in place: a partly covered line keeps its other bytes from RAM', () => {
    const { ram, cache } = setup();
    ram.write(0x7000, bytes(192, 0x11));
    cache.cpuWrite(0x7000 + 32, undefined, 0, 96, 0xa5); // memset: half of line 0x7000, all of 0x7040, none of 0x7080
    const r = new Uint8Array(192);
    cache.cpuRead(0x7000, r, 0, 192);
    assert.deepStrictEqual([r[31], r[32], r[127], r[128]], [0x11, 0xa5, 0xa5, 0x11]);
    assert.strictEqual(cache.state(0x7040), 'dirty');
    ram.read(0x7040, r, 0, 1);
    assert.strictEqual(r[0], 0x11, 'RAM has not seen it yet');
  });

  it('a zero-length device access touches no line', () => {
    const { cache } = setup();
    const dirty: number[] = [];
    cache.listener = { dirtyDeviceRead: (a) => dirty.push(a) };
    cache.cpuWrite(0x1000, bytes(4, 1), 0, 4);
    cache.deviceRead(0x1001, new Uint8Array(0), 0, 0, false, 'dev');
    cache.deviceWrite(0x1001, new Uint8Array(0), 0, 0, false, 'dev');
    assert.deepStrictEqual(dirty, []);
    assert.strictEqual(cache.state(0x1000), 'dirty');
  });

  it('rejects a line size that is not a power of two', () => {
    assert.throws(() => new DataCache(new PhysicalMemory(), 48, 16), /power of two/);
  });
});

describe('CPU data cache: kernel memcpy', () => {
  it('copies what the CPU sees (stale lines included) and updates present destination lines', () => {
    const ram = new PhysicalMemory();
    const cache = new DataCache(ram, 64, 64);
    ram.write(0x1000, new Uint8Array(256).fill(1));
    const seen = new Uint8Array(1);
    cache.cpuRead(0x1000, seen, 0, 1); // line 0x1000 cached with 1s
    cache.deviceWrite(0x1000, new Uint8Array(64).fill(9), 0, 64, false, 'dev'); // RAM now 9s, the line is stale
    cache.cpuWrite(0x8000, new Uint8Array(8).fill(5), 0, 8); // a present destination line
    cache.cpuCopy(0x8000, 0x1000, 256);
    const out = new Uint8Array(256);
    cache.cpuRead(0x8000, out, 0, 256);
    assert.strictEqual(out[0], 1, 'the stale cached bytes were copied, as a real memcpy would');
    assert.strictEqual(out[100], 1);
    assert.strictEqual(cache.state(0x8000), 'dirty', 'the present destination line took the bytes');
    const direct = new Uint8Array(1);
    ram.read(0x8000 + 128, direct);
    assert.strictEqual(direct[0], 1, 'absent destination lines were written to RAM (streaming store)');
  });
});

import * as assert from 'assert';
import fc from 'fast-check';
import { ExtentAllocator } from '../../emulator/lib/extents';

describe('extent allocator', () => {
  it('allocates aligned, low or high, and coalesces on free', () => {
    const a = new ExtentAllocator(0x1000, 0x10_0000);
    const x = a.alloc(0x2000, 0x2000, 'low');
    assert.strictEqual(x, 0x2000);
    const y = a.alloc(0x1000, 0x1000, 'high');
    assert.strictEqual(y, 0xf_f000);
    a.release(x, 0x2000);
    a.release(y, 0x1000);
    assert.strictEqual(a.free, 0xf_f000);
  });

  it('refuses a double free', () => {
    const a = new ExtentAllocator(0, 0x10000);
    const x = a.alloc(0x1000, 0x1000);
    a.release(x, 0x1000);
    assert.throws(() => a.release(x, 0x1000), /double free/);
  });

  it('never hands out overlapping ranges and accounts every byte (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 16 }), fc.boolean(), fc.constantFrom('low', 'high', 'random')), { maxLength: 80 }), (ops) => {
        const a = new ExtentAllocator(0, 0x40_000);
        const live: [number, number][] = [];
        let seed = 1;
        for (const [pages, free, placement] of ops) {
          if (free && live.length) {
            const [s, n] = live.splice(live.length >> 1, 1)[0];
            a.release(s, n);
          } else {
            const n = pages * 0x1000;
            const s = a.alloc(n, 0x1000, placement as 'low', Infinity, (k) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % k);
            if (s >= 0) {
              for (const [t, m] of live) assert.ok(s + n <= t || t + m <= s, 'overlap');
              live.push([s, n]);
            }
          }
          assert.strictEqual(a.free + live.reduce((x, [, n]) => x + n, 0), 0x40_000);
        }
      }),
    );
  });
});

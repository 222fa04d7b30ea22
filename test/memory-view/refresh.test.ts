// When a memory view reads memory again: right after a stop (a burst of requests is one read), at
// most once per interval while the program runs, one read at a time.
import * as assert from 'assert';
import { RefreshThrottle, SETTLE_MS, type Timers } from '../../src/refresh-throttle';

/** Virtual time: timers fire only when the test advances the clock. */
class FakeTimers implements Timers {
  t = 0;
  private next = 1;
  private pending = new Map<number, { at: number; fn: () => void }>();
  now = () => this.t;
  set = (fn: () => void, ms: number) => {
    const id = this.next++;
    this.pending.set(id, { at: this.t + ms, fn });
    return id;
  };
  clear = (h: unknown) => void this.pending.delete(h as number);
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      const due = [...this.pending.entries()].filter(([, p]) => p.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.pending.delete(due[0]);
      this.t = due[1].at;
      due[1].fn();
      await new Promise((r) => setImmediate(r));
    }
    this.t = end;
  }
}

describe('memory view: refresh throttle', () => {
  it('stopped: a burst of requests is one read, soon', async () => {
    const t = new FakeTimers();
    const reads: number[] = [];
    const r = new RefreshThrottle(async () => void reads.push(t.now()), 500, t);
    r.request(true);
    r.request(true);
    r.request(false);
    await t.advance(100);
    assert.deepStrictEqual(reads, [SETTLE_MS]);
    assert.strictEqual(r.pending, false);
  });

  it('running: at most one read per interval, the last request is not lost', async () => {
    const t = new FakeTimers();
    const reads: number[] = [];
    const r = new RefreshThrottle(async () => void reads.push(t.now()), 500, t);
    for (let i = 0; i < 20; i++) {
      r.request(false);
      await t.advance(100);
    }
    await t.advance(1000);
    assert.ok(reads.length >= 4 && reads.length <= 5, `${reads}`);
    for (let i = 1; i < reads.length; i++) assert.ok(reads[i] - reads[i - 1] >= 500, `${reads}`);
    assert.ok(reads[reads.length - 1] >= 1900, 'a request late in the burst is served');
  });

  it('a stop while a throttled read waits brings the read forward', async () => {
    const t = new FakeTimers();
    const reads: number[] = [];
    const r = new RefreshThrottle(async () => void reads.push(t.now()), 500, t);
    r.request(false);
    await t.advance(20);
    r.request(false);
    await t.advance(10);
    r.request(true);
    await t.advance(30);
    assert.deepStrictEqual(reads, [SETTLE_MS, 30 + SETTLE_MS]);
  });

  it('one read at a time: a request during a read makes one more read after it', async () => {
    const t = new FakeTimers();
    let running = 0;
    let most = 0;
    let release: (() => void) | undefined;
    let reads = 0;
    const r = new RefreshThrottle(
      () =>
        new Promise<void>((done) => {
          reads++;
          most = Math.max(most, ++running);
          release = () => {
            running--;
            done();
          };
        }),
      500,
      t,
    );
    r.request(true);
    await t.advance(SETTLE_MS);
    assert.strictEqual(reads, 1);
    r.request(true);
    r.request(true);
    await t.advance(100);
    assert.strictEqual(reads, 1, 'no second read while the first runs');
    release!();
    await new Promise((res) => setImmediate(res));
    await t.advance(SETTLE_MS);
    assert.strictEqual(reads, 2);
    release!();
    await t.advance(1000);
    assert.strictEqual(reads, 2);
    assert.strictEqual(most, 1);
    r.request(true);
    r.cancel();
    await t.advance(1000);
    assert.strictEqual(reads, 2, 'cancelled');
  });
});

import * as assert from 'assert';
import { Fifo } from '../../emulator/lib/fifo';

describe('Fifo', () => {
  it('gives items back in order across compactions, and reports its length', () => {
    const q = new Fifo<number>();
    const out: number[] = [];
    for (let i = 0; i < 5000; i++) {
      q.push(i);
      if (i % 3 === 2) out.push(q.shift()!, q.shift()!);
    }
    assert.strictEqual(q.length, 5000 - out.length);
    assert.strictEqual(q.peek(), out.length);
    while (q.length) out.push(q.shift()!);
    assert.deepStrictEqual(out, Array.from({ length: 5000 }, (_, i) => i));
    assert.strictEqual(q.shift(), undefined);
    assert.strictEqual(q.peek(), undefined);
  });

  it('clear empties it', () => {
    const q = new Fifo<string>();
    q.push('a');
    q.push('b');
    q.clear();
    assert.strictEqual(q.length, 0);
    q.push('c');
    assert.strictEqual(q.shift(), 'c');
  });
});

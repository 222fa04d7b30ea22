// Sleeping, busy-waiting and interrupt delivery in virtual time, as a driver sees them.
import * as assert from 'assert';
import * as path from 'path';
import { runScript } from '../../emulator/runner/run';

describe('time, sleeping and interrupts', () => {
  it('jiffies, msleep, wait_event_timeout, udelay and spin_lock_irqsave behave as in the kernel', async () => {
    const r = await runScript({ script: path.join(__dirname, '..', 'fixtures', 'timing.ts'), platform: 'arm64-smmu-noncoherent' });
    assert.strictEqual(r.error, undefined, r.error?.message);
    const log = r.kernel!.trace.events.filter((e) => e.kind === 'log').map((e) => (e as { text: string }).text);
    const has = (s: string) => assert.ok(log.includes(s), `missing "${s}" in:\n${log.join('\n')}`);
    has('msleep(20): 5 jiffies at HZ=250');
    has('wait_event_timeout without wake: 0 after 2 jiffies');
    has('after udelay(100): 1 interrupt(s), status 0');
    has('with interrupts off: 1 interrupt(s)');
    has('after the unlock: 2 interrupt(s)');
    has('wait_event_timeout woken: yes');
    assert.deepStrictEqual(r.findings.map((f) => f.id), []);
  });
});

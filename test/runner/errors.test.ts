// Bad input gets a clear error that says what and where, and exit status 2.
import * as assert from 'assert';
import * as path from 'path';
import { runScript } from '../../emulator/runner/run';

const fx = (f: string) => path.join(__dirname, '..', 'fixtures', f);
const dad = path.join(__dirname, '..', '..', 'examples', 'dad.ts');

describe('runner: bad input', () => {
  it('a broken .dts: file:line:col of the syntax error', async () => {
    const r = await runScript({ script: dad, platform: fx('broken.dts') });
    assert.strictEqual(r.exitCode, 2);
    assert.strictEqual(r.error?.phase, 'setup');
    assert.match(r.error!.message, /broken\.dts:8:\d+: error: expected ';'/);
  });

  it('a compatible no device model implements', async () => {
    const r = await runScript({ script: dad, platform: fx('unknown-compatible.dts') });
    assert.strictEqual(r.exitCode, 2);
    assert.match(r.error!.message, /unknown-compatible\.dts:14:\d+: error: no device model implements compatible "acme,widget" \(node \/widget@10000000\)/);
  });

  it('an unknown platform name lists the built-in ones', async () => {
    const r = await runScript({ script: dad, platform: 'sparc-sun4m' });
    assert.strictEqual(r.exitCode, 2);
    assert.match(r.error!.message, /unknown platform "sparc-sun4m".*arm32-swiotlb, arm64-smmu-noncoherent, x86-64-vtd/);
  });

  it('a script that does not compile: esbuild diagnostic with its location', async () => {
    const r = await runScript({ script: fx('compile-error.ts'), platform: 'x86-64-vtd' });
    assert.strictEqual(r.exitCode, 2);
    assert.strictEqual(r.error?.phase, 'compile');
    assert.strictEqual(r.error?.location?.line, 7);
    assert.match(r.error!.message, /Unexpected ";"/);
  });

  it('a compile error shows the source line and a caret, not the bundler\'s decoration', async () => {
    const r = await runScript({ script: fx('compile-error.ts'), platform: 'x86-64-vtd' });
    assert.strictEqual(r.error!.message, 'Unexpected ";"\n    7 |     const x = ;\n      |               ^');
  });

  it('imports the API does not have: each named with a suggestion, before anything runs', async () => {
    const r = await runScript({ script: fx('bad-imports.ts'), platform: 'x86-64-vtd' });
    assert.strictEqual(r.exitCode, 2);
    assert.strictEqual(r.error?.phase, 'compile');
    assert.strictEqual(r.kernel, undefined, 'the kernel never booted');
    const lines = r.error!.message.split('\n');
    assert.deepStrictEqual(lines.map((l) => l.replace(/^.*bad-imports\.ts:/, 'bad-imports.ts:')), [
      'dmalab/linux has no export named dma_mapping_eror (did you mean dma_mapping_error?)',
      'bad-imports.ts:11:11: dmalab/linux has no export named dma_map_singel (did you mean dma_map_single?)',
      'bad-imports.ts:4:1: dmalab/pci is not a DMA Lab module (there are dmalab/ddi, dmalab/devices, dmalab/linux)',
    ]);
    assert.deepStrictEqual([r.error!.location?.line, r.error!.location?.column], [12, 12]);
  });

  it('names that only appear in strings and comments are not imports', async () => {
    const r = await runScript({ script: fx('imports-in-strings.ts'), platform: 'x86-64-vtd' });
    assert.strictEqual(r.error, undefined, r.error?.message);
    assert.strictEqual(r.exitCode, 0);
  });

  it('a script that throws: the stack maps to the .ts lines', async () => {
    const r = await runScript({ script: fx('throws.ts'), platform: 'x86-64-vtd' });
    assert.strictEqual(r.exitCode, 2);
    assert.strictEqual(r.error?.phase, 'probe');
    assert.match(r.error!.message, /script error during probe: the driver gave up/);
    assert.strictEqual(r.error?.location?.file, fx('throws.ts'));
    assert.strictEqual(r.error?.location?.line, 4);
    assert.match(r.error!.stack!, /throws\.ts:4:\d+/);
    assert.match(r.error!.stack!, /throws\.ts:11:\d+/);
  });

  it('a kernel oops (double kfree) names the line', async () => {
    const r = await runScript({ script: fx('oops.ts'), platform: 'arm64-smmu-noncoherent' });
    assert.strictEqual(r.exitCode, 2);
    assert.match(r.error!.message, /kernel oops during probe: .*kfree\(0x[0-9a-f]+\): not the start of a live kmalloc object/);
    assert.strictEqual(r.error?.location?.line, 9);
  });

  it('a driver that waits for what can never happen says where it waits', async () => {
    const r = await runScript({ script: fx('hang.ts'), platform: 'x86-64-vtd' });
    assert.strictEqual(r.exitCode, 2);
    assert.match(r.error!.message, /probe of fe000000\.dad never finished: it waits \(wait_for_completion at .*hang\.ts:8:\d+\) and no hardware event is pending/);
  });

  it('a script without a driver export', async () => {
    const r = await runScript({ script: fx('no-driver.ts'), platform: 'x86-64-vtd' });
    assert.strictEqual(r.exitCode, 2);
    assert.match(r.error!.message, /default export must be a driver/);
  });

  it('a driver that matches no device', async () => {
    const r = await runScript({ script: fx('no-match.ts'), platform: 'x86-64-vtd' });
    assert.strictEqual(r.exitCode, 2);
    assert.match(r.error!.message, /no device on platform x86-64-vtd matches the driver's of_match_table \[acme,nothing\]/);
  });
});

describe('runner: determinism', () => {
  it('the same seed gives the same run, event for event', async () => {
    const digest = async (seed: number) => {
      const r = await runScript({ script: dad, platform: 'arm32-swiotlb', seed });
      return r.kernel!.trace.events.map((e) => `${e.t} ${e.kind} ${e.device} ${'text' in e ? e.text : ''} ${'dma' in e ? e.dma : ''}`).join('\n');
    };
    const a = await digest(7);
    const b = await digest(7);
    assert.strictEqual(a, b);
    assert.ok(a.split('\n').length > 20);
  });
});

// The CLI contract of API.md: exit status, --json report shape, --trace in Chrome trace format.
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.join(__dirname, '..', '..');
const bin = path.join(root, 'bin', 'dmalab.js');
const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8' });

describe('dmalab CLI', function () {
  before(function () {
    if (!fs.existsSync(path.join(root, 'dist', 'cli.js'))) throw new Error('dist/cli.js is missing: npm test builds it first (npm run build)');
  });

  it('runs a clean example: exit 0, dmesg lines with virtual timestamps', () => {
    const r = run('run', 'examples/dad.ts', '--platform', 'x86-64-vtd');
    assert.strictEqual(r.status, 0, r.stderr);
    assert.match(r.stdout, /^\[ {4}0\.\d{6}\] Booting DMA Lab on /m);
    assert.match(r.stdout, /dad fe000000\.dad: acquisition device ready/);
    assert.match(r.stdout, /No DMA-API findings\./);
  });

  it('a script that does not compile: exit 2, the error with its line, no findings summary (nothing ran)', () => {
    const r = run('run', 'test/fixtures/compile-error.ts', '--platform', 'x86-64-vtd');
    assert.strictEqual(r.status, 2);
    const out = r.stdout + r.stderr;
    assert.match(out, /test\/fixtures\/compile-error\.ts:7:\d+: error: Unexpected ";"\n {4}7 \| {5}const x = ;/);
    assert.doesNotMatch(out, /DMA-API findings|✘/);
  });

  it('--json prints one report with findings and locations; exit 1 on an error finding', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dmalab-'));
    const script = path.join(dir, 'leak.ts');
    // a script outside the project resolves dmalab/* to the running dmalab
    fs.writeFileSync(
      script,
      `import { platform_driver, kmalloc, GFP_KERNEL, dma_map_single, dma_mapping_error, DMA_TO_DEVICE } from 'dmalab/linux';
export default platform_driver({
  name: 'leak', of_match_table: ['dmalab,dad'],
  probe(pdev) {
    const buf = kmalloc(256, GFP_KERNEL)!;
    const dma = dma_map_single(pdev.dev, buf, 256, DMA_TO_DEVICE);
    return dma_mapping_error(pdev.dev, dma);
  },
});
`,
    );
    const r = run('run', script, '--platform', 'arm64-smmu-noncoherent', '--json');
    assert.strictEqual(r.status, 1, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.strictEqual(report.exitCode, 1);
    assert.ok(Array.isArray(report.log) && report.log.length > 0);
    const leak = report.findings.find((f: { id: string }) => f.id === 'leak-at-remove');
    assert.ok(leak, r.stdout);
    assert.strictEqual(leak.severity, 'error');
    assert.deepStrictEqual(leak.location, { file: script, line: 6, column: 17 });
    assert.match(leak.message, /device driver has pending DMA allocations while released from device \[count=1\]/);
    assert.ok(Array.isArray(leak.related));
  });

  it('--trace writes Chrome trace-event JSON: transfers as slices on a device track', () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dmalab-')), 'trace.json');
    const r = run('run', 'examples/dad.ts', '--platform', 'arm32-swiotlb', '--trace', out);
    assert.strictEqual(r.status, 0, r.stderr);
    const t = JSON.parse(fs.readFileSync(out, 'utf8'));
    const slices = t.traceEvents.filter((e: { ph: string; cat: string }) => e.ph === 'X' && e.cat === 'transfer');
    assert.strictEqual(slices.length, 4);
    assert.ok(slices.every((e: { dur: number }) => e.dur > 0));
    const names = t.traceEvents.filter((e: { ph: string }) => e.ph === 'M').map((e: { args: { name: string } }) => e.args.name);
    assert.ok(names.includes('dad@1c000000'));
    assert.ok(t.traceEvents.some((e: { cat: string }) => e.cat === 'bounce'));
  });

  it('exit 2 and a message on bad usage', () => {
    assert.strictEqual(run('run').status, 2);
    assert.strictEqual(run('frobnicate').status, 2);
    const r = run('run', 'examples/dad.ts', '--seed', 'many');
    assert.strictEqual(r.status, 2);
    assert.match(r.stderr, /--seed must be an integer/);
    const missing = run('run', 'examples/nope.ts');
    assert.strictEqual(missing.status, 2);
    assert.match(missing.stderr, /no such file/);
  });
});

// What "New Driver from Template" writes must be a driver that typechecks against the dmalab/*
// API and runs clean on every built-in platform, with a tsconfig that maps every module.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ts from 'typescript';
import { runScript } from '../../emulator/runner/run';
import { TYPE_MODULES, driverSource, tsconfigSource } from '../../src/templates/driver';

const root = path.join(__dirname, '..', '..');

describe('extension: the driver template', () => {
  let dir: string;
  let file: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dmalab-template-'));
    file = path.join(dir, 'acq-drv.ts');
    fs.writeFileSync(file, driverSource('acq-drv'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const platform of ['arm64-smmu-noncoherent', 'x86-64-vtd', 'arm32-swiotlb']) {
    it(`runs clean on ${platform}: the read returns the device's data, no findings`, async () => {
      const r = await runScript({ script: file, platform });
      assert.strictEqual(r.error, undefined, r.error?.message);
      assert.strictEqual(r.exitCode, 0);
      assert.deepStrictEqual(r.findings.map((f) => f.id), []);
      const log = r.kernel!.trace.events.flatMap((e) => (e.kind === 'log' ? [e.text] : []));
      assert.ok(log.some((l) => /read 4096 bytes: 0 1 2 3 4 5 6 7/.test(l)), log.join('\n'));
    });
  }

  it('typechecks (strict) against the dmalab/* API', () => {
    const options: ts.CompilerOptions = {
      strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ES2022,
      moduleResolution: ts.ModuleResolutionKind.Bundler, skipLibCheck: true, types: [], lib: ['lib.es2022.d.ts'],
      paths: Object.fromEntries(TYPE_MODULES.map((m) => [`dmalab/${m}`, [path.join(root, 'emulator', 'api', m, 'index.ts')]])),
    };
    const program = ts.createProgram([file], options);
    const errors = ts.getPreEmitDiagnostics(program).filter((d) => d.file?.fileName === file);
    assert.deepStrictEqual(errors.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')), []);
  });

  it('its tsconfig maps every importable module to the copied declarations', () => {
    const cfg = JSON.parse(tsconfigSource()) as { compilerOptions: { paths: Record<string, string[]> } };
    for (const m of TYPE_MODULES) assert.deepStrictEqual(cfg.compilerOptions.paths[`dmalab/${m}`], [`./.dmalab/types/${m}.d.ts`]);
    // the modules a script can import are the emulator/api folders with an index.ts (build-types.mjs makes one .d.ts each)
    const api = path.join(root, 'emulator', 'api');
    const modules = fs.readdirSync(api).filter((m) => fs.existsSync(path.join(api, m, 'index.ts')));
    assert.deepStrictEqual([...TYPE_MODULES].sort(), modules.sort());
  });
});

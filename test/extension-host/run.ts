/**
 * The extension-host tests, run by @vscode/test-electron in VS Code desktop: the extension loaded
 * from this working tree (`--extensionDevelopmentPath`), a workspace with the examples, and the
 * tests of this folder (`*.ext.ts`, bundled to out/extension-host/) inside its extension host.
 *
 * VS Code desktop cannot be downloaded on every machine (not on the project's CI), so the binary
 * comes from the environment: DMALAB_VSCODE_EXECUTABLE=/path/to/code npm run test:extension-host.
 * Without it the tests are skipped, with a message, and the command succeeds.
 */
import { execFileSync } from 'child_process';
import * as esbuild from 'esbuild';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runTests } from '@vscode/test-electron';

const ENV = 'DMALAB_VSCODE_EXECUTABLE';
const root = path.resolve(__dirname, '..', '..');
const outDir = path.join(root, 'out', 'extension-host');

async function main(): Promise<number> {
  const exe = process.env[ENV];
  if (!exe) {
    console.log(`skipped: set ${ENV} to a VS Code desktop binary to run the extension-host tests`);
    return 0;
  }
  if (!fs.existsSync(exe)) {
    console.error(`${ENV}=${exe}: no such file`);
    return 1;
  }
  // the extension as the development host loads it (dist/), and the tests, bundled
  execFileSync(process.execPath, ['build.mjs'], { cwd: root, stdio: 'inherit' });
  fs.rmSync(outDir, { recursive: true, force: true });
  const tests = fs.readdirSync(__dirname).filter((f) => f.endsWith('.ext.ts'));
  await esbuild.build({
    entryPoints: [path.join(__dirname, 'index.ts'), ...tests.map((f) => path.join(__dirname, f))],
    outdir: outDir,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: true,
    external: ['vscode', 'mocha'],
    logLevel: 'warning',
  });

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dmalab-exthost-'));
  try {
    const workspace = path.join(tmp, 'workspace');
    fs.cpSync(path.join(root, 'examples'), path.join(workspace, 'examples'), { recursive: true });
    await runTests({
      vscodeExecutablePath: exe,
      extensionDevelopmentPath: root,
      extensionTestsPath: path.join(outDir, 'index.js'),
      extensionTestsEnv: { DMALAB_EXT_TESTS: tests.map((f) => path.join(outDir, f.replace(/\.ts$/, '.js'))).join(path.delimiter) },
      launchArgs: [workspace, '--disable-extensions', '--user-data-dir', path.join(tmp, 'user-data'), '--extensions-dir', path.join(tmp, 'extensions')],
    });
    return 0;
  } catch (e) {
    console.error(`extension-host tests failed: ${(e as Error).message ?? e}`);
    return 1;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);

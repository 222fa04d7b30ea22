// Declaration files for the modules a driver script imports (dmalab/linux, dmalab/ddi,
// dmalab/devices), one self-contained .d.ts each in types/. The extension ships them and "New
// Driver from Template" copies them into the user's workspace for IntelliSense.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createRequire } from 'node:module';

const root = resolve(import.meta.dirname);
// every emulator/api/<m>/index.ts is the module dmalab/<m> (the template's TYPE_MODULES lists the same; a test holds them equal)
const api = join(root, 'emulator', 'api');
const modules = readdirSync(api).filter((m) => existsSync(join(api, m, 'index.ts')));
const dir = mkdtempSync(join(tmpdir(), 'dmalab-types-'));
const config = join(dir, 'dts.config.cjs');
writeFileSync(config, `module.exports = ${JSON.stringify({
  compilationOptions: { preferredConfigPath: join(root, 'tsconfig.json') },
  entries: modules.map((m) => ({
    filePath: join(root, 'emulator', 'api', m, 'index.ts'),
    outFile: join(root, 'types', `${m}.d.ts`),
    // the sources are typechecked by `npm run typecheck`; here only the declarations are wanted
    noCheck: true,
    output: { noBanner: true, exportReferencedTypes: false },
  })),
}, null, 2)};\n`);
try {
  const cli = createRequire(import.meta.url).resolve('dts-bundle-generator/dist/bin/dts-bundle-generator.js');
  execFileSync(process.execPath, [cli, '--silent', '--config', config], { stdio: 'inherit' });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`types: ${modules.map((m) => `types/${m}.d.ts`).join(', ')}`);

// Build: bundle the CLI (and with it the engine) into dist/ with esbuild.
import * as esbuild from 'esbuild';

const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: true, external: ['esbuild', 'vscode'], logLevel: 'warning' };

await Promise.all([
  esbuild.build({ ...common, entryPoints: ['emulator/runner/cli.ts'], outfile: 'dist/cli.js' }),
  esbuild.build({ ...common, entryPoints: ['bench/bench.ts'], outfile: 'dist/bench.js' }),
  esbuild.build({ ...common, entryPoints: ['src/debug/worker-main.ts'], outfile: 'dist/debug-worker.js' }),
  esbuild.build({ ...common, entryPoints: ['src/language/server/main.ts'], outfile: 'dist/lsp-server.js' }),
  esbuild.build({ ...common, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js' }),
]);

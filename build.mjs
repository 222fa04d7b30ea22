// Build: bundle the CLI (and with it the engine) into dist/ with esbuild.
// `node build.mjs --production` (what `npm run package` uses): whitespace and syntax minified but not
// identifiers, so constructor and function names stay what the source says (the debugger shows class
// names; esbuild's keepNames would keep them too, but by wrapping every closure in a __name() call
// that redefines its name each time it is created, which made the engine's hot paths up to 40 %
// slower than the development build the bench measures). No source maps. The maps would carry the whole
// engine's source (megabytes) into the .vsix for frames users never see: what users debug is their
// own script, mapped through the source map esbuild makes for it at run time.
import * as esbuild from 'esbuild';
import * as fs from 'fs';

const production = process.argv.includes('--production');

const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: true, external: ['esbuild', 'vscode'], logLevel: 'warning' };
if (production) {
  Object.assign(common, { sourcemap: false, minifyWhitespace: true, minifySyntax: true, legalComments: 'none' });
  // no maps left over from a development build beside the minified bundles
  for (const f of fs.existsSync('dist') ? fs.readdirSync('dist') : []) if (f.endsWith('.js.map')) fs.rmSync(`dist/${f}`);
}

await Promise.all([
  esbuild.build({ ...common, entryPoints: ['emulator/runner/cli.ts'], outfile: 'dist/cli.js' }),
  esbuild.build({ ...common, entryPoints: ['bench/bench.ts'], outfile: 'dist/bench.js' }),
  esbuild.build({ ...common, entryPoints: ['src/debug/worker-main.ts'], outfile: 'dist/debug-worker.js' }),
  esbuild.build({ ...common, entryPoints: ['src/language/server/main.ts'], outfile: 'dist/lsp-server.js' }),
  esbuild.build({ ...common, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js' }),
  esbuild.build({ bundle: true, platform: 'browser', target: 'es2022', format: 'iife', sourcemap: !production, minify: production, logLevel: 'warning', entryPoints: ['src/memory-view/webview/main.ts'], outfile: 'dist/memory-webview.js' }),
  esbuild.build({ bundle: true, platform: 'browser', target: 'es2022', format: 'iife', sourcemap: !production, minify: production, logLevel: 'warning', entryPoints: ['src/panel/webview/main.ts'], outfile: 'dist/panel-webview.js' }),
]);

#!/usr/bin/env node
// The dmalab command: runs the bundled CLI (built by `npm run build`, which `npm ci` runs too).
const path = require('path');
const fs = require('fs');
const cli = path.join(__dirname, '..', 'dist', 'cli.js');
if (!fs.existsSync(cli)) {
  process.stderr.write('dmalab: dist/cli.js is missing; run `npm run build` in ' + path.join(__dirname, '..') + '\n');
  process.exit(2);
}
require(cli).main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e) => { process.stderr.write('dmalab: internal error: ' + (e && e.stack ? e.stack : e) + '\n'); process.exitCode = 2; },
);

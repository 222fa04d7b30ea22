/** Where the dmalab package lives (platforms/ and examples/ are found from here, wherever the code was built to). */
import * as fs from 'fs';
import * as path from 'path';

let root: string | undefined;

export function packageRoot(): string {
  if (root) return root;
  let dir = __dirname;
  for (;;) {
    const pj = path.join(dir, 'package.json');
    if (fs.existsSync(pj)) {
      try {
        if (JSON.parse(fs.readFileSync(pj, 'utf8')).name === 'dmalab') return (root = dir);
      } catch {
        /* keep looking */
      }
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`dmalab: cannot find the dmalab package root above ${__dirname}`);
    dir = up;
  }
}

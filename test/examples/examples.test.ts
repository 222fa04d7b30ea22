// Every correct example runs clean (exit 0, no findings) on each platform its header names,
// and its scenario's own checks pass (a wrong byte would throw and exit 2).
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { runScript } from '../../emulator/runner/run';
import { readHeader } from '../helpers/example-header';

const dir = path.join(__dirname, '..', '..', 'examples');
const examples = fs.readdirSync(dir).filter((f) => f.endsWith('.ts'));

describe('correct examples', () => {
  it('there are examples, each naming its platforms', () => {
    assert.ok(examples.includes('dad.ts') && examples.includes('edu.ts'));
    for (const f of examples) assert.ok(readHeader(path.join(dir, f)).platforms.length > 0, `${f} has no "// platforms:" header`);
  });
  for (const f of examples) {
    const file = path.join(dir, f);
    for (const platform of readHeader(file).platforms) {
      it(`${f} runs clean on ${platform}`, async () => {
        const r = await runScript({ script: file, platform });
        assert.strictEqual(r.error, undefined, r.error?.message);
        assert.deepStrictEqual(r.findings.map((x) => `${x.id}: ${x.message}`), []);
        assert.strictEqual(r.exitCode, 0);
      });
    }
  }
});

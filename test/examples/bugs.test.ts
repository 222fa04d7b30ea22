// Every finding id has a driver under examples/bugs/ that commits that bug: running it reports
// the id with its severity at the line marked `// BUG: <id>`, and nothing it does not declare.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { runScript } from '../../emulator/runner/run';
import { FINDING_SEVERITY, FindingId } from '../../emulator/kernel/findings';
import { readHeader } from '../helpers/example-header';

const dir = path.join(__dirname, '..', '..', 'examples', 'bugs');
const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.ts')) : [];

/** Ids that belong to later work: not expected yet (none left). */
const LATER = new Set<string>([]);

describe('bug examples', () => {
  it('every finding id in scope has a bug example', () => {
    const missing = Object.keys(FINDING_SEVERITY).filter((id) => !LATER.has(id) && !files.some((f) => f === `${id}.ts` || f.startsWith(`${id}-`)));
    assert.deepStrictEqual(missing, []);
  });

  for (const f of files) {
    const file = path.join(dir, f);
    const id = Object.keys(FINDING_SEVERITY)
      .sort((a, b) => b.length - a.length)
      .find((x) => f === `${x}.ts` || f.startsWith(`${x}-`)) as FindingId | undefined;
    const header = readHeader(file);
    for (const platform of header.platforms) {
      it(`${f} reports ${id} on ${platform}`, async () => {
        assert.ok(id, `${f}: the file name must start with a finding id`);
        const line = header.bugLines.get(id);
        assert.ok(line, `${f}: no line is marked "// BUG: ${id}"`);
        const r = await runScript({ script: file, platform });
        assert.ok(!r.error || r.exitCode === 2, 'consistent exit');
        const hits = r.findings.filter((x) => x.id === id);
        assert.ok(hits.length > 0, `no ${id} finding; got: ${r.findings.map((x) => x.id).join(', ') || 'none'}${r.error ? `; error: ${r.error.message}` : ''}`);
        const at = hits.map((h) => h.site?.location());
        assert.ok(
          at.some((l) => l && l.file === file && l.line === line),
          `${id} reported at ${at.map((l) => (l ? `${path.basename(l.file)}:${l.line}` : '?')).join(', ')}, expected ${f}:${line}`,
        );
        assert.strictEqual(hits[0].severity, FINDING_SEVERITY[id]);
        const unexpected = r.findings.filter((x) => x.id !== id && !header.also.includes(x.id)).map((x) => `${x.id} at line ${x.site?.location()?.line}`);
        assert.deepStrictEqual(unexpected, [], 'findings the example does not declare');
        if (FINDING_SEVERITY[id] === 'error' && !r.error) assert.strictEqual(r.exitCode, 1);
      });
    }
  }
});

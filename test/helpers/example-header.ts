/**
 * Example files describe themselves in their header comments:
 *   // platforms: x86-64-vtd, arm64-smmu-noncoherent     (where the example is meant to run)
 *   // also: other-finding-id                             (bug examples: findings that follow from the bug)
 * and a bug example marks the line that commits the bug with a trailing `// BUG: <finding-id>`.
 */
import * as fs from 'fs';

export interface ExampleHeader {
  platforms: string[];
  also: string[];
  /** finding id → 1-based line of its `// BUG:` marker */
  bugLines: Map<string, number>;
}

export function readHeader(file: string): ExampleHeader {
  const text = fs.readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const field = (name: string): string[] => {
    const l = lines.find((x) => new RegExp(`^//\\s*${name}:`).test(x));
    return l ? l.replace(/^\/\/\s*\w+:\s*/, '').split(',').map((s) => s.trim()).filter(Boolean) : [];
  };
  const bugLines = new Map<string, number>();
  lines.forEach((l, i) => {
    const m = /\/\/\s*BUG:\s*([a-z0-9-]+)/.exec(l);
    if (m && !l.trimStart().startsWith('//')) bugLines.set(m[1], i + 1);
  });
  return { platforms: field('platforms'), also: field('also'), bugLines };
}

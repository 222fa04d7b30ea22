// The property the language server stands on: on any broken platform file the parser returns
// (never throws) and reports at least one error whose position is real (line, column and offset
// agree with each other and with the text), so the editor can put it somewhere. The files are the
// built-in platforms (frozen copies) with 1 to 3 syntax-breaking mutations at token positions: a structural token
// deleted, or a stray `{`, `}`, `=`, `"` or `<` inserted before a token (one the mutant does not
// delete elsewhere: moving an `=` or a `{` to the next token gives valid dts).
import * as assert from 'assert';
import fc from 'fast-check';
import { loadDeviceTree, parseDocument, resolveDocument, type Diagnostic, type DtNode, type DtsToken, type Position } from '../../emulator/platform/dts';
import { fixture } from './client';

const STRUCTURAL = new Set([';', '{', '}', '<', '>', '=', '[', ']']);
const INSERTS = ['{', '}', '=', '"', '<'];

interface Platform {
  file: string;
  text: string;
  /** Tokens written as themselves in the file (not produced by a macro). */
  tokens: DtsToken[];
  /** The structural ones and strings (deleting a string's opening quote breaks it). */
  breakable: DtsToken[];
  lineStarts: number[];
}

function load(name: 'arm64-smmu-noncoherent' | 'arm32-swiotlb' | 'x86-64-vtd'): Platform {
  const { file, text } = fixture(name);
  const doc = parseDocument(text, file, { tokens: true });
  assert.deepStrictEqual(doc.diagnostics, [], `${name} parses cleanly`);
  const tokens = (doc.tokens ?? []).filter((t) => text.slice(t.range.start.offset, t.range.end.offset) === t.text);
  const breakable = tokens.filter((t) => (t.kind === 'punct' && STRUCTURAL.has(t.text)) || t.kind === 'string');
  return { file, text, tokens, breakable, lineStarts: [] };
}

type Mutation = { kind: 'delete'; token: number } | { kind: 'insert'; token: number; text: string };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('delete' as const), token: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('insert' as const), token: fc.nat(), text: fc.constantFrom(...INSERTS) }) },
);

/** Applies mutations at distinct token positions, from the end of the text backwards so offsets stay valid. */
function mutate(p: Platform, ms: Mutation[]): string {
  const edits = new Map<number, { start: number; end: number; text: string }>();
  // an insertion must not put back what a deletion took (`a = <1>` → `a <1>` → `a =<1>` is fine dts)
  const deleted = new Set<string>();
  for (const m of ms) {
    if (m.kind !== 'delete') continue;
    const t = p.breakable[m.token % p.breakable.length];
    const s = t.range.start.offset;
    // a string loses its opening quote; anything else goes whole
    edits.set(s, { start: s, end: t.kind === 'string' ? s + 1 : t.range.end.offset, text: '' });
    deleted.add(t.kind === 'string' ? '"' : t.text);
  }
  for (const m of ms) {
    if (m.kind !== 'insert' || deleted.has(m.text)) continue;
    const t = p.tokens[m.token % p.tokens.length];
    const s = t.range.start.offset;
    if (!edits.has(s)) edits.set(s, { start: s, end: s, text: m.text });
  }
  let text = p.text;
  for (const e of [...edits.values()].sort((a, b) => b.start - a.start)) text = text.slice(0, e.start) + e.text + text.slice(e.end);
  return text;
}

function checkPosition(p: Position, text: string, starts: number[], what: string): void {
  assert.ok(Number.isInteger(p.offset) && p.offset >= 0 && p.offset <= text.length, `${what}: offset ${p.offset} outside 0..${text.length}`);
  assert.ok(p.line >= 1 && p.line <= starts.length, `${what}: line ${p.line} outside 1..${starts.length}`);
  assert.strictEqual(p.col, p.offset - starts[p.line - 1] + 1, `${what}: column does not match the offset`);
  assert.ok(p.line === starts.length || p.offset < starts[p.line], `${what}: line does not match the offset`);
}

function lineStarts(text: string): number[] {
  const s = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) s.push(i + 1);
  return s;
}

describe('lsp: the parser on broken platform files', () => {
  const platforms = (['arm64-smmu-noncoherent', 'arm32-swiotlb', 'x86-64-vtd'] as const).map(load);

  it('never throws and always ends with an error at a real position, on 10,000 mutated platform files', () => {
    let runs = 0;
    fc.assert(
      fc.property(fc.nat(platforms.length - 1), fc.array(mutationArb, { minLength: 1, maxLength: 3 }), (which, ms) => {
        const p = platforms[which];
        const text = mutate(p, ms);
        let diags: Diagnostic[];
        try {
          diags = parseDocument(text, p.file).diagnostics;
        } catch (e) {
          assert.fail(`parseDocument threw on a mutant of ${p.file}: ${(e as Error).stack}`);
        }
        const starts = lineStarts(text);
        const errors = diags.filter((d) => d.severity === 'error');
        assert.ok(errors.length > 0, `no error for a mutant of ${p.file}:\n${text}`);
        for (const d of diags) {
          assert.strictEqual(d.range.file, p.file);
          checkPosition(d.range.start, text, starts, `${d.message} (start)`);
          checkPosition(d.range.end, text, starts, `${d.message} (end)`);
          assert.ok(d.range.end.offset >= d.range.start.offset, `${d.message}: the range ends before it starts`);
        }
        runs++;
      }),
      { numRuns: 10_000, seed: 0xd75 },
    );
    assert.strictEqual(runs, 10_000);
  });

  it('resolveDocument (the server’s tree, from the same parse) equals loadDeviceTree, on 1,000 mutants', () => {
    const dump = (n: DtNode, out: string[] = []): string[] => {
      out.push(`${n.path} [${n.labels.join(',')}] ${n.phandle ?? ''}`);
      for (const [k, v] of n.properties) out.push(`  ${k} = ${Buffer.from(v.bytes).toString('hex')} ${v.refs.map((r) => `${r.target}@${r.offset}`).join(',')}`);
      for (const c of n.children) dump(c, out);
      return out;
    };
    const diags = (ds: Diagnostic[]): string[] => ds.map((d) => `${d.range.start.offset}-${d.range.end.offset} ${d.severity} ${d.message}`).sort();
    fc.assert(
      fc.property(fc.nat(platforms.length - 1), fc.array(mutationArb, { minLength: 0, maxLength: 3 }), (which, ms) => {
        const p = platforms[which];
        const text = mutate(p, ms);
        const tree = resolveDocument(parseDocument(text, p.file));
        const loaded = loadDeviceTree(text, p.file, { readFile: () => undefined });
        assert.ok(tree);
        assert.deepStrictEqual(diags(tree.diagnostics), diags(loaded.diagnostics));
        assert.deepStrictEqual(dump(tree.root), dump(loaded.root));
        assert.deepStrictEqual([...tree.labels.keys()], [...loaded.labels.keys()]);
      }),
      { numRuns: 1000, seed: 0x7ee },
    );
    assert.strictEqual(resolveDocument(parseDocument('#include "x.dtsi"\n/ { };', 'a.dts')), undefined, 'includes need loadDeviceTree');
  });
});

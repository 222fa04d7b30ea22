// The devicetree TextMate grammar against real files, with the engine VS Code uses (vscode-textmate
// + vscode-oniguruma). The scope-by-scope assertions live in test/grammar/*.test.dts
// (vscode-tmgrammar-test); this file checks what those cannot: every platform file tokenizes with no
// invalid.* scope, closes every region, leaves no text unclassified and puts the expected scope on
// each property name, node name, label, reference, number, string and comment (found by a small
// independent scanner). Also: every regex compiles, every include resolves, the contributions and
// the language configuration are consistent. Run by `npm run test:grammar`.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as oniguruma from 'vscode-oniguruma';
import * as vsctm from 'vscode-textmate';

const root = path.join(__dirname, '..', '..');
const grammarPath = path.join(root, 'syntaxes', 'devicetree.tmLanguage.json');
const configPath = path.join(root, 'syntaxes', 'language-configuration.json');
const platformDirs = ['platforms', path.join('bench', 'platforms')];

interface Token {
  text: string;
  start: number;
  scopes: string[];
}

let grammar: vsctm.IGrammar;

async function loadGrammar(): Promise<vsctm.IGrammar> {
  const wasm = fs.readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength) as ArrayBuffer);
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns: string[]) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s: string) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scopeName: string) =>
      scopeName === 'source.dts' ? vsctm.parseRawGrammar(fs.readFileSync(grammarPath, 'utf8'), grammarPath) : null,
  });
  const g = await registry.loadGrammar('source.dts');
  assert.ok(g, 'grammar source.dts did not load');
  return g;
}

/** Tokenize a whole file; returns tokens per line and the rule stack depth at the end. */
function tokenize(text: string): { lines: Token[][]; depth: number } {
  let stack = vsctm.INITIAL;
  const lines: Token[][] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const r = grammar.tokenizeLine(line, stack, 2000);
    assert.ok(!r.stoppedEarly, `line ${i + 1}: tokenization stopped early (a regex is too slow)`);
    stack = r.ruleStack;
    lines.push(r.tokens.map((t) => ({ text: line.slice(t.startIndex, t.endIndex), start: t.startIndex, scopes: t.scopes })));
  });
  return { lines, depth: stack.depth };
}

function tokenAt(tokens: Token[], col: number): Token {
  const t = tokens.find((x) => col >= x.start && col < x.start + x.text.length);
  assert.ok(t, `no token at column ${col}`);
  return t;
}

type Kind = 'code' | 'comment' | 'string';

/** Per character of each line: code, comment or string (a small scanner for dtc's lexical rules). */
function classify(text: string): Kind[][] {
  let state: 'code' | 'block' | 'string' = 'code';
  return text.split(/\r?\n/).map((line) => {
    const kinds: Kind[] = [];
    let lineComment = false;
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      const next = line[i + 1];
      if (lineComment) {
        kinds.push('comment');
      } else if (state === 'block') {
        kinds.push('comment');
        if (c === '*' && next === '/') {
          kinds.push('comment');
          i++;
          state = 'code';
        }
      } else if (state === 'string') {
        kinds.push('string');
        if (c === '\\' && next !== undefined) {
          kinds.push('string');
          i++;
        } else if (c === '"') state = 'code';
      } else if (c === '/' && (next === '/' || next === '*')) {
        kinds.push('comment', 'comment');
        i++;
        if (next === '/') lineComment = true;
        else state = 'block';
      } else if (c === '"') {
        kinds.push('string');
        state = 'string';
      } else kinds.push('code');
    }
    return kinds;
  });
}

function has(t: Token, scope: string): boolean {
  return t.scopes.some((s) => s === scope || s.startsWith(scope + '.'));
}

function platformFiles(): string[] {
  const files: string[] = [];
  for (const dir of platformDirs) {
    const abs = path.join(root, dir);
    if (!fs.existsSync(abs)) continue;
    for (const f of fs.readdirSync(abs).sort()) if (/\.dts[io]?$/.test(f)) files.push(path.join(dir, f));
  }
  return files;
}

describe('devicetree grammar', () => {
  before(async () => {
    grammar = await loadGrammar();
  });

  it('is contributed by package.json with its language configuration', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
    const lang = pkg.contributes?.languages?.find((l: { id: string }) => l.id === 'devicetree');
    assert.ok(lang, 'contributes.languages has no devicetree');
    assert.deepStrictEqual([...lang.extensions].sort(), ['.dts', '.dtsi', '.dtso']);
    assert.ok(lang.aliases.includes('Devicetree'));
    assert.strictEqual(path.resolve(root, lang.configuration), configPath);
    const g = pkg.contributes?.grammars?.find((x: { language: string }) => x.language === 'devicetree');
    assert.ok(g, 'contributes.grammars has no devicetree');
    assert.strictEqual(g.scopeName, 'source.dts');
    assert.strictEqual(path.resolve(root, g.path), grammarPath);
    assert.strictEqual(JSON.parse(fs.readFileSync(grammarPath, 'utf8')).scopeName, 'source.dts');
  });

  it('compiles every regex with Oniguruma and resolves every include', () => {
    const raw = JSON.parse(fs.readFileSync(grammarPath, 'utf8'));
    const repo = raw.repository as Record<string, unknown>;
    let regexes = 0;
    const walk = (node: unknown, where: string): void => {
      if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${where}[${i}]`));
      if (!node || typeof node !== 'object') return;
      for (const [k, v] of Object.entries(node)) {
        if ((k === 'match' || k === 'begin' || k === 'end' || k === 'while') && typeof v === 'string') {
          // vscode-oniguruma does not always throw on a bad pattern: the scanner it builds then
          // matches the empty string at 0 of anything. No valid rule here matches "\x01" that way.
          let scanner: oniguruma.OnigScanner | undefined;
          try {
            scanner = new oniguruma.OnigScanner([v]);
          } catch (e) {
            assert.fail(`${where}.${k}: ${(e as Error).message}: ${v}`);
          }
          const m = scanner.findNextMatchSync('\x01', 0);
          scanner.dispose();
          assert.ok(!m || m.captureIndices[0].end > 0, `${where}.${k} does not compile: ${v}`);
          regexes++;
        } else if (k === 'include' && typeof v === 'string' && v.startsWith('#')) {
          assert.ok(v.slice(1) in repo, `${where}: include ${v} is not in the repository`);
        } else walk(v, `${where}.${k}`);
      }
    };
    walk(raw, 'grammar');
    assert.ok(regexes > 50, `only ${regexes} regexes found`);
  });

  it('language configuration: regexes compile, words keep property names and unit addresses whole', () => {
    const cfg = JSON.parse(fs.readFileSync(configPath, 'utf8'));
    assert.deepStrictEqual(cfg.comments, { lineComment: '//', blockComment: ['/*', '*/'] });
    for (const pair of [['{', '}'], ['[', ']'], ['(', ')'], ['<', '>']]) {
      assert.ok(cfg.brackets.some((b: string[]) => b[0] === pair[0] && b[1] === pair[1]), `bracket ${pair}`);
      assert.ok(cfg.autoClosingPairs.some((p: { open: string }) => p.open === pair[0]), `auto-close ${pair}`);
      assert.ok(cfg.surroundingPairs.some((b: string[]) => b[0] === pair[0]), `surround ${pair}`);
    }
    const start = new RegExp(cfg.folding.markers.start);
    const end = new RegExp(cfg.folding.markers.end);
    assert.ok(start.test('#ifdef CONFIG_X') && start.test('  #if A') && start.test('// #region x'));
    assert.ok(end.test('#endif') && !start.test('#address-cells = <1>;') && !start.test('#include "x"'));
    new RegExp(cfg.indentationRules.increaseIndentPattern);
    new RegExp(cfg.indentationRules.decreaseIndentPattern);
    const words = '\tdmalab,dma-bits = <&gic 0x10>; #address-cells cpu@0 {'.match(new RegExp(cfg.wordPattern, 'g'));
    assert.deepStrictEqual(words, ['dmalab,dma-bits', 'gic', '0x10', '#address-cells', 'cpu@0']);
  });

  const files = platformFiles();
  it('finds the platform files', () => {
    assert.ok(files.filter((f) => f.startsWith('platforms')).length >= 3, `platform files: ${files}`);
  });

  for (const file of files) {
    it(`tokenizes ${file.split(path.sep).join('/')} cleanly, with the expected scopes`, () => {
      const text = fs.readFileSync(path.join(root, file), 'utf8');
      const { lines, depth } = tokenize(text);
      assert.strictEqual(depth, 1, 'a region (node, property, cells, comment...) is still open at end of file');
      const kinds = classify(text);
      const src = text.split(/\r?\n/);
      const checked: Record<string, number> = {};
      const expect = (n: number, col: number, scope: string, what: string) => {
        const t = tokenAt(lines[n], col);
        assert.ok(has(t, scope), `${file}:${n + 1}:${col + 1}: ${what} ${JSON.stringify(t.text)} lacks ${scope}: ${t.scopes.join(' ')}`);
        checked[scope] = (checked[scope] ?? 0) + 1;
      };
      lines.forEach((tokens, n) => {
        for (const t of tokens) {
          const where = `${file}:${n + 1}:${t.start + 1} ${JSON.stringify(t.text)}`;
          const bad = t.scopes.find((s) => s.startsWith('invalid'));
          assert.ok(!bad, `${where}: ${bad}`);
          const meaningful = t.scopes.filter((s) => s !== 'source.dts' && !s.startsWith('meta.'));
          assert.ok(t.text.trim() === '' || meaningful.length > 0, `${where} has no scope but ${t.scopes.join(' ')}`);
        }
        const k = kinds[n];
        k.forEach((kind, col) => {
          if (kind === 'comment') expect(n, col, 'comment', 'comment');
          else if (kind === 'string') expect(n, col, 'string.quoted', 'string');
          else if (src[n][col].trim() !== '') {
            const t = tokenAt(tokens, col);
            assert.ok(!has(t, 'comment') && !has(t, 'string'), `${file}:${n + 1}:${col + 1}: code scoped as ${t.scopes.join(' ')}`);
          }
        });
        // Only code survives: strings and comments blanked, columns kept.
        const code = [...src[n]].map((c, i) => (k[i] === 'code' ? c : ' ')).join('');
        const node = /^(\s*)((?:[A-Za-z_]\w*:\s*)*)(\\?[A-Za-z0-9,._+*#?-]+)(?:@([A-Za-z0-9,._+-]+))?\s*\{/.exec(code);
        const prop = /^(\s*)((?:[A-Za-z_]\w*:\s*)*)(\\?[A-Za-z0-9,._+*#?@-]+)\s*[=;]/.exec(code);
        if (/^\s*\/\s*\{/.test(code)) expect(n, code.indexOf('/'), 'entity.name.tag.root.dts', 'root node');
        for (const m of [node, prop]) {
          if (!m) continue;
          for (const l of m[2].matchAll(/[A-Za-z_]\w*(?=:)/g)) expect(n, m[1].length + l.index!, 'entity.name.type.label.dts', 'label');
          const nameCol = m[1].length + m[2].length;
          if (m === node) {
            expect(n, nameCol, 'entity.name.tag.dts', 'node name');
            if (m[4]) expect(n, nameCol + m[3].length + 1, 'constant.numeric.unit-address.dts', 'unit address');
          } else expect(n, nameCol, 'variable.other.property.dts', 'property name');
        }
        for (const m of code.matchAll(/&([A-Za-z_]\w*)|&\{[^}]*\}/g)) expect(n, m.index!, 'variable.other.reference', 'reference');
        for (const cells of code.matchAll(/<([^<>]*)>/g))
          for (const num of cells[1].matchAll(/(?<![\w@])(0[xX][0-9a-fA-F]+|\d+)\b/g))
            expect(n, cells.index! + 1 + num.index!, 'constant.numeric.integer', 'cell number');
      });
      for (const scope of ['variable.other.property.dts', 'entity.name.tag.dts', 'constant.numeric.integer', 'string.quoted']) {
        assert.ok(checked[scope] > 0, `${file}: nothing checked for ${scope}`);
      }
    });
  }

  it('tokenizes 5,000 lines of platform source and ends at the top level', () => {
    const one = platformFiles()
      .map((f) => fs.readFileSync(path.join(root, f), 'utf8'))
      .join('\n');
    const lines = one.split('\n').length;
    const big = Array.from({ length: Math.ceil(5000 / lines) }, () => one).join('\n');
    const { depth } = tokenize(big);
    assert.strictEqual(depth, 1);
  });
});

// Formatting at the LSP level: dtc style (tabs, one statement per line, `;` placement, blank
// lines between nodes), conservative (comments, preprocessor lines and #if'd out text untouched,
// nothing done to a file with syntax errors) and idempotent.
import * as assert from 'assert';
import fc from 'fast-check';
import { parseDocument } from '../../emulator/platform/dts';
import { LspClient, applyEdits, fixture, messageOf, platformFile, platformText, uriOf } from './client';

const MESSY = `// header comment
/dts-v1/;
#include "nothing-here.h"
#define BASE 0x1000
/ {
  model="x";   compatible = "a","b" ;
    #address-cells=<1>;#size-cells = < 1 >;


  /* a comment
     continued */
  soc { compatible = "simple-bus"; ranges;
  #address-cells = <1>;
        #size-cells = <1>;
   dad: dad@1000
   {
      reg = <BASE 0x100>,
            <0x2000 0x100>;   // trailing
      interrupts = <0 1 4>
      ;
      dma-coherent ;
      mac = [ 00 11  22 ];
   };
   empty@3000 { reg = <0x3000 0x10>; };
      /* the second */
   node2@4000 {reg=<0x4000 0x10>;};
#if 0
   keep   this   as   it   is
#endif



  };
};   
&dad { status = "okay"; };`;

const FORMATTED = `// header comment
/dts-v1/;

#include "nothing-here.h"
#define BASE 0x1000
/ {
\tmodel = "x";
\tcompatible = "a", "b";
\t#address-cells = <1>;
\t#size-cells = <1>;

\t/* a comment
\t   continued */
\tsoc {
\t\tcompatible = "simple-bus";
\t\tranges;
\t\t#address-cells = <1>;
\t\t#size-cells = <1>;

\t\tdad: dad@1000 {
\t\t\treg = <BASE 0x100>,
\t\t\t      <0x2000 0x100>;   // trailing
\t\t\tinterrupts = <0 1 4>;
\t\t\tdma-coherent;
\t\t\tmac = [00 11 22];
\t\t};

\t\tempty@3000 {
\t\t\treg = <0x3000 0x10>;
\t\t};

\t\t/* the second */
\t\tnode2@4000 {
\t\t\treg = <0x4000 0x10>;
\t\t};
#if 0
   keep   this   as   it   is
#endif

\t};
};

&dad {
\tstatus = "okay";
};
`;

describe('lsp: formatting', () => {
  let c: LspClient;
  before(async () => (c = await LspClient.start()));
  after(async () => c.stop());

  async function format(name: string, text: string): Promise<string> {
    const uri = uriOf(`/virtual/${name}.dts`);
    await c.open(uri, text);
    return applyEdits(text, await c.format(uri));
  }

  it('formats a document in dtc style', async () => {
    const out = await format('messy', MESSY);
    assert.strictEqual(out, FORMATTED);
  });

  it('is idempotent and leaves the built-in platforms as they are', async () => {
    assert.strictEqual(await format('formatted', FORMATTED), FORMATTED);
    for (const p of ['arm64-smmu-noncoherent', 'arm32-swiotlb', 'x86-64-vtd']) {
      const uri = uriOf(platformFile(p));
      await c.open(uri, platformText(p));
      assert.deepStrictEqual(await c.format(uri), [], p);
    }
  });

  it('keeps CRLF line endings', async () => {
    const crlf = MESSY.replace(/\n/g, '\r\n');
    const out = await format('crlf', crlf);
    assert.strictEqual(out, FORMATTED.replace(/\n/g, '\r\n'));
  });

  it('formats a range only', async () => {
    const uri = uriOf('/virtual/range.dts');
    await c.open(uri, MESSY);
    const line = MESSY.split('\n').findIndex((l) => l.includes('empty@3000'));
    const edits = await c.formatRange(uri, { start: { line, character: 0 }, end: { line, character: MESSY.split('\n')[line].length } });
    assert.ok(edits.length > 0);
    assert.ok(edits.every((e) => e.range.start.line >= line - 1 && e.range.end.line <= line + 1), JSON.stringify(edits));
    const out = applyEdits(MESSY, edits);
    assert.ok(out.includes('\t\tempty@3000 {\n\t\t\treg = <0x3000 0x10>;\n\t\t};'), out);
    assert.ok(out.includes('  model="x";   compatible'), 'the rest is untouched');
  });

  it('leaves a document with syntax errors alone', async () => {
    const uri = uriOf('/virtual/broken.dts');
    const ds = await c.open(uri, MESSY.replace('reg = <0x3000 0x10>;', 'reg = <0x3000 0x10;'));
    assert.ok(ds.some((d) => /expected '>'/.test(messageOf(d))));
    assert.deepStrictEqual(await c.format(uri), []);
  });

  it('keeps every token and is idempotent, on platforms with white space and comments added anywhere', async () => {
    const uri = uriOf('/virtual/property.dts');
    await c.open(uri, '');
    const tokens = (t: string): string => (parseDocument(t, '/virtual/property.dts', { tokens: true }).tokens ?? []).map((x) => x.text).join(' ');
    const platforms = (['arm64-smmu-noncoherent', 'arm32-swiotlb', 'x86-64-vtd'] as const).map((n) => {
      const text = fixture(n).text;
      return { text, tokens: parseDocument(text, n, { tokens: true }).tokens!, expected: tokens(text) };
    });
    const INSERT = [' ', '\n', '\n\n\n', '\t  ', ' \t\n   ', '/* c */', ' /* multi\n   line */ ', '\n// line\n', '\n\t/* x\n\t * y\n\t */\n'];
    let checked = 0;
    await fc.assert(
      fc.asyncProperty(fc.nat(2), fc.array(fc.record({ token: fc.nat(), text: fc.constantFrom(...INSERT), after: fc.boolean() }), { minLength: 1, maxLength: 12 }), async (which, ms) => {
        const p = platforms[which];
        const at = new Map<number, string>();
        for (const m of ms) {
          const t = p.tokens[m.token % p.tokens.length];
          const o = m.after ? t.range.end.offset : t.range.start.offset;
          at.set(o, (at.get(o) ?? '') + m.text);
        }
        let text = p.text;
        for (const [o, ins] of [...at].sort((x, y) => y[0] - x[0])) text = text.slice(0, o) + ins + text.slice(o);
        // `/` + `/* c */` makes a line comment: only mutants that still say the same thing count
        if (tokens(text) !== p.expected || parseDocument(text, 'x.dts').diagnostics.length > 0) return;
        await c.change(uri, text);
        const once = applyEdits(text, await c.format(uri));
        assert.strictEqual(tokens(once), p.expected, 'the tokens are the same');
        assert.deepStrictEqual(parseDocument(once, 'x.dts').diagnostics, []);
        await c.change(uri, once);
        assert.deepStrictEqual(await c.format(uri), [], `formatting again changes nothing:\n${once}`);
        checked++;
      }),
      { numRuns: 300, seed: 0xf0 },
    );
    assert.ok(checked > 200, `only ${checked} mutants were checked`);
  });
});

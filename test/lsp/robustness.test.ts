// Every feature answers on broken documents: random damage to the platforms, then diagnostics
// and every request at random positions; none may fail (rename may refuse, with a reason).
import * as assert from 'assert';
import fc from 'fast-check';
import { LspClient, fixture, uriOf } from './client';

const DAMAGE = [
  ';', '{', '}', '<', '>', '"', '&', '&{/', '/*', '*/', '//', '\n', ',', '=', '@', ':', 'lbl:', 'dad:', '&dad', '&nosuch', '/delete-node/', '/bits/ 64',
  '\n#include "nothing.h"\n', '\n#define X (\n', '\n#if 0\n', '\n#endif\n', 'é', 'status = "disabled";', 'dmas = <&dmac 0>;', 'interrupt-parent;', 'reg;',
  'iommus = <0>;', 'dma-names = "x";', 'interrupt-parent = <0>;', 'memory-region = <&gic>;', '#interrupt-cells = "x";', '#address-cells = <0>;',
  'ranges = <1 2 3>;', 'reg = <0xffffffff 0xffffffff 0xffffffff 0xffffffff>;', 'dmalab,arch = <1>;', 'dmalab,swiotlb-size = <0>;', 'd-cache-line-size = <3>;',
];

describe('lsp: robustness', () => {
  let c: LspClient;
  before(async () => (c = await LspClient.start()));
  after(async () => c.stop());

  it('answers every request on damaged platforms', async () => {
    const uri = uriOf('/virtual/damaged.dts');
    await c.open(uri, '');
    const texts = (['arm64-smmu-noncoherent', 'arm32-swiotlb', 'x86-64-vtd'] as const).map((n) => fixture(n).text);
    await fc.assert(
      fc.asyncProperty(
        fc.nat(2),
        fc.array(fc.record({ pos: fc.nat(), cut: fc.nat(12), text: fc.constantFrom(...DAMAGE) }), { minLength: 1, maxLength: 4 }),
        fc.array(fc.nat(), { minLength: 2, maxLength: 2 }),
        async (which, ms, at) => {
          let text = texts[which];
          for (const m of ms) {
            const p = m.pos % (text.length + 1);
            text = text.slice(0, p) + m.text + text.slice(p + m.cut);
          }
          const ds = await c.change(uri, text);
          assert.ok(Array.isArray(ds));
          await c.symbols(uri);
          await c.folding(uri);
          await c.format(uri);
          const lines = text.split('\n');
          for (const o of at) {
            const line = o % lines.length;
            const position = { line, character: (o >> 8) % (lines[line].length + 1) };
            await c.hover(uri, position);
            await c.completion(uri, position);
            await c.definition(uri, position);
            await c.references(uri, position, true);
            try {
              await c.prepareRename(uri, position);
              await c.rename(uri, position, 'renamed');
            } catch (e) {
              assert.match((e as Error).message, /already exists|written by a macro/);
            }
          }
        },
      ),
      { numRuns: 150, seed: 0xbad },
    );
  });
});

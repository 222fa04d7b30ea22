// Document symbols (the outline) and folding ranges at the LSP level.
import * as assert from 'assert';
import type { DocumentSymbol } from 'vscode-languageserver';
import { LspClient, fixture, positionOf, textAt, uriOf } from './client';

describe('lsp: outline and folding', () => {
  let c: LspClient;
  const arm64 = fixture('arm64-smmu-noncoherent');
  before(async () => {
    c = await LspClient.start();
    await c.open(arm64.uri, arm64.text);
  });
  after(async () => c.stop());

  it('outlines nodes with their properties and subnodes, and reference blocks', async () => {
    const text = `${arm64.text}\n&dad {\n\tstatus = "okay";\n};\n`.replace('/dts-v1/;\n', '/dts-v1/;\n/memreserve/ 0x9f000000 0x1000;\n');
    const uri = uriOf('/virtual/outline.dts');
    await c.open(uri, text);
    const syms = await c.symbols(uri);
    assert.deepStrictEqual(syms.map((s) => [s.name, s.kind]), [['/memreserve/', 14], ['/', 2], ['&dad', 3]]);
    const root = syms[1];
    const kids = (s: DocumentSymbol): string[] => (s.children ?? []).map((x) => x.name);
    assert.deepStrictEqual(kids(root), [
      'model', 'compatible', 'dmalab,arch', '#address-cells', '#size-cells', 'interrupt-parent', 'dmalab,zone-dma-limit', 'dmalab,bus-bandwidth',
      'chosen', 'cpus', 'memory@40000000', 'interrupt-controller@8000000', 'iommu@9050000', 'soc',
    ]);
    const soc = root.children!.find((s) => s.name === 'soc')!;
    assert.deepStrictEqual(kids(soc).filter((n) => n.includes('@')), ['dad@10000000', 'edu@10100000', 'dma-controller@10200000', 'serial@10300000', 'nic@10400000']);
    const dad = soc.children!.find((s) => s.name === 'dad@10000000')!;
    assert.strictEqual(dad.kind, 2);
    assert.strictEqual(dad.detail, 'dad: "dmalab,dad"');
    assert.strictEqual(textAt(text, dad.selectionRange), 'dad@10000000');
    assert.strictEqual(dad.children!.find((p) => p.name === 'iommus')!.kind, 7);
    assert.strictEqual(syms[2].detail, '"dmalab,dad" /soc/dad@10000000');
    assert.deepStrictEqual(kids(syms[2]), ['status']);
  });

  it('folds node bodies (keeping the closing brace), multi-line properties and comments', async () => {
    const folds = await c.folding(arm64.uri);
    const has = (start: number, end: number, kind?: string): boolean => folds.some((f) => f.startLine === start && f.endLine === end && f.kind === kind);
    const line = (needle: string): number => positionOf(arm64.text, needle).line;
    assert.ok(has(line('/ {'), line('\n};') + 1 - 1), 'the root node');
    assert.ok(has(line('soc {'), line('\t};\n};') - 1), 'soc');
    assert.ok(has(line('dad: dad@'), line('dmalab,bandwidth = <4000>;')), 'dad');
    assert.ok(has(line('reg = <0x0 0x40000000'), line('<0x8 0x80000000')), 'a two-line reg');
    assert.ok(has(0, 2, 'comment'), 'the three // lines of the header');
    assert.ok(has(line('/* A PL080'), line('through the SMMU. */'), 'comment'), 'a block comment');
    assert.ok(folds.every((f) => f.endLine > f.startLine));
  });
});

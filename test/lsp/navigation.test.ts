// Go to definition, find references and rename at the LSP level, for labels and paths, in the
// document and across the files it includes.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Location } from 'vscode-languageserver';
import { LspClient, applyEdits, fixture, positionOf, textAt, uriOf } from './client';

describe('lsp: definition, references, rename', () => {
  let c: LspClient;
  let dir: string;
  const arm64 = fixture('arm64-smmu-noncoherent');
  const SOC = `/ {
	soc {
		dmac: dma-controller@10200000 {
			#dma-cells = <2>;
		};
	};
};
`;
  let main: { uri: string; text: string; file: string };
  let soc: { uri: string; file: string };

  before(async () => {
    c = await LspClient.start();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dmalab-lsp-nav-'));
    soc = { file: path.join(dir, 'soc.dtsi'), uri: uriOf(path.join(dir, 'soc.dtsi')) };
    fs.writeFileSync(soc.file, SOC);
    const file = path.join(dir, 'board.dts');
    const text = `/dts-v1/;
#include "soc.dtsi"

/ {
	#address-cells = <1>;
	#size-cells = <1>;
	serial@1000 {
		reg = <0x1000 0x100>;
		dmas = <&dmac 0 1>, <&dmac 1 1>;
		dma-names = "tx", "rx";
	};
	other {
		ctl = <&{/soc/dma-controller@10200000}>;
		ctl2 = <&{dmac}>;
	};
};

&dmac {
	status = "okay";
};
`;
    main = { uri: uriOf(file), text, file };
    await c.open(main.uri, text);
    await c.open(arm64.uri, arm64.text);
  });
  after(async () => {
    await c.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const show = (l: Location, text: string): string => textAt(text, l.range);

  it('goes from a label reference to the label, in the document', async () => {
    const defs = await c.definition(arm64.uri, positionOf(arm64.text, '&smmu 0x102', 2));
    assert.ok(defs);
    assert.strictEqual(defs.length, 1);
    assert.strictEqual(defs[0].uri, arm64.uri);
    assert.strictEqual(show(defs[0], arm64.text), 'smmu:');
    assert.strictEqual(defs[0].range.start.line, positionOf(arm64.text, 'smmu: iommu').line);
  });

  it('goes from a reference to a label or a path in an included file, and from an #include to the file', async () => {
    const fromLabel = await c.definition(main.uri, positionOf(main.text, '&dmac 0 1', 1));
    assert.deepStrictEqual(fromLabel?.map((l) => [l.uri, show(l, SOC)]), [[soc.uri, 'dmac:']]);
    const fromPath = await c.definition(main.uri, positionOf(main.text, '&{/soc/dma', 5));
    assert.deepStrictEqual(fromPath?.map((l) => [l.uri, show(l, SOC)]), [[soc.uri, 'dma-controller@10200000']]);
    const fromBlock = await c.definition(main.uri, positionOf(main.text, '&dmac {', 2));
    assert.deepStrictEqual(fromBlock?.map((l) => l.uri), [soc.uri]);
    assert.strictEqual(await c.definition(main.uri, positionOf(main.text, 'reg = <0x1000', 1)), null);
    const file = await c.definition(main.uri, positionOf(main.text, '"soc.dtsi"', 3));
    assert.deepStrictEqual(file?.map((l) => [l.uri, l.range.start.line]), [[soc.uri, 0]]);
  });

  it('finds the references of a label, and of a node by any name', async () => {
    const refs = await c.references(arm64.uri, positionOf(arm64.text, 'dmac: dma', 1));
    assert.deepStrictEqual(refs.map((l) => show(l, arm64.text)), ['&dmac', '&dmac']);
    const withDecl = await c.references(arm64.uri, positionOf(arm64.text, '&gic', 1), true);
    assert.deepStrictEqual(withDecl.map((l) => show(l, arm64.text)), ['gic:', '&gic']);
    // the node: through its label, its path and &{label}
    const node = await c.references(main.uri, positionOf(main.text, '&{/soc', 3));
    assert.deepStrictEqual(node.map((l) => show(l, main.text)), ['&dmac', '&dmac', '&{/soc/dma-controller@10200000}', '&{dmac}', '&dmac']);
    // from the included file's label
    const label = await c.references(main.uri, positionOf(main.text, '&dmac {', 1), true);
    assert.deepStrictEqual(label.map((l) => l.uri), [soc.uri, main.uri, main.uri, main.uri, main.uri]);
  });

  it('renames a label everywhere, including &{label} and the included file', async () => {
    const prep = await c.prepareRename(main.uri, positionOf(main.text, '&dmac 1 1', 3));
    assert.ok(prep);
    assert.strictEqual(textAt(main.text, prep.range), 'dmac');
    assert.strictEqual(prep.placeholder, 'dmac');
    const edit = await c.rename(main.uri, positionOf(main.text, '&dmac 1 1', 3), 'pl080');
    assert.ok(edit?.changes);
    assert.strictEqual(applyEdits(SOC, edit.changes[soc.uri]), SOC.replace('dmac:', 'pl080:'));
    assert.strictEqual(applyEdits(main.text, edit.changes[main.uri]), main.text.replace(/&dmac/g, '&pl080').replace('&{dmac}', '&{pl080}'));
    assert.strictEqual(await c.prepareRename(main.uri, positionOf(main.text, 'serial@1000', 1)), null);
  });

  it('refuses names that are not labels and names already taken', async () => {
    await assert.rejects(c.rename(arm64.uri, positionOf(arm64.text, 'edu: edu', 1), '9lives'), /not a label name/);
    await assert.rejects(c.rename(arm64.uri, positionOf(arm64.text, 'edu: edu', 1), 'dad'), /label dad already exists/);
    const ok = await c.rename(arm64.uri, positionOf(arm64.text, 'edu: edu', 1), 'qemu_edu');
    assert.deepStrictEqual(ok?.changes?.[arm64.uri].map((e) => e.newText), ['qemu_edu']);
  });
});

// Diagnostics at the LSP level: syntax errors with recovery, the resolver's and the platform
// model's findings, the semantic checks, missing and broken includes, updates on change.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Diagnostic } from 'vscode-languageserver';
import { syntheticPlatform } from '../../src/language/bench';
import { LspClient, hoverText, messageOf, platformFile, platformText, textAt, uriOf } from './client';

/** A small valid arm64 platform; `soc` and `extra` are spliced in. */
function board(soc = '', extra = ''): string {
  return `/dts-v1/;

/ {
	model = "test board";
	dmalab,arch = "arm64";
	#address-cells = <2>;
	#size-cells = <2>;
	interrupt-parent = <&gic>;

	memory@80000000 {
		device_type = "memory";
		reg = <0x0 0x80000000 0x0 0x40000000>;
	};

	gic: interrupt-controller@8000000 {
		compatible = "arm,gic-v3";
		reg = <0x0 0x08000000 0x0 0x10000>;
		interrupt-controller;
		#interrupt-cells = <3>;
	};

	smmu: iommu@9050000 {
		compatible = "arm,smmu-v3";
		reg = <0x0 0x09050000 0x0 0x20000>;
		#iommu-cells = <1>;
	};
${extra}
	soc {
		compatible = "simple-bus";
		#address-cells = <1>;
		#size-cells = <1>;
		ranges = <0x0 0x0 0x0 0x40000000>;

		dmac: dma-controller@10200000 {
			compatible = "arm,pl080";
			reg = <0x10200000 0x1000>;
			interrupts = <0 42 4>;
			#dma-cells = <2>;
		};
${soc}
	};
};
`;
}

const messages = (ds: Diagnostic[]): string[] => ds.map(messageOf);
function find(ds: Diagnostic[], re: RegExp): Diagnostic {
  const d = ds.find((x) => re.test(messageOf(x)));
  assert.ok(d, `no diagnostic matching ${re}; got:\n${messages(ds).join('\n')}`);
  return d;
}

describe('lsp: diagnostics', () => {
  let c: LspClient;
  let dir: string;
  before(async () => {
    c = await LspClient.start();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dmalab-lsp-'));
  });
  after(async () => {
    await c.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const uri = (name: string): string => uriOf(path.join(dir, name));

  it('publishes nothing for the built-in platforms', async () => {
    for (const p of ['arm64-smmu-noncoherent', 'arm32-swiotlb', 'x86-64-vtd']) {
      const ds = await c.open(uriOf(platformFile(p)), platformText(p));
      assert.deepStrictEqual(messages(ds), [], p);
      c.close(uriOf(platformFile(p)));
    }
    assert.deepStrictEqual(messages(await c.open(uri('clean.dts'), board())), []);
  });

  it('publishes nothing for the benchmark’s synthetic 5,000-line platform (it measures a clean file)', async () => {
    const text = syntheticPlatform(5000);
    assert.ok(text.split('\n').length >= 5000);
    assert.deepStrictEqual(messages(await c.open(uri('synthetic.dts'), text)), []);
  });

  it('recovers from syntax errors: one missing ";" does not hide the rest of the file', async () => {
    const text = board(`
		dad@10000000 {
			compatible = "dmalab,dad"
			reg = <0x10000000 0x1000>;
			interrupts = <0 40 4>;
			iommus = <&nosuch 0x100>;
		};
		edu@10100000 {
			compatible = "qemu,edu";
			reg = <0x10100000 0x100000 ;
			interrupts = <0 41 4>;
		};`);
    const ds = await c.open(uri('syntax.dts'), text);
    const semi = find(ds, /expected ';' after property 'compatible'/);
    assert.strictEqual(semi.severity, 1);
    assert.strictEqual(semi.range.start.line, text.split('\n').findIndex((l) => l.includes('"dmalab,dad"')));
    const gt = find(ds, /expected '>' to close the cell list of 'reg'/);
    assert.ok(gt.range.start.line > semi.range.start.line);
    // the errors after them are still found
    const unknown = find(ds, /unknown label 'nosuch'/);
    assert.strictEqual(textAt(text, unknown.range), '&nosuch');
    assert.strictEqual(unknown.source, 'dmalab');
  });

  it('unknown labels and paths, duplicate labels and node names, properties after subnodes', async () => {
    const text = board(
      `
		dad: dad@10000000 {
			compatible = "dmalab,dad";
			reg = <0x10000000 0x1000>;
			interrupts = <0 40 4>;
		};
		dad: edu@10100000 {
			compatible = "qemu,edu";
			reg = <0x10100000 0x100000>;
			interrupts = <0 41 4>;
		};
		edu@10100000 {
			reg = <0x10100000 0x100000>;
		};`,
      `
	aliases {
		sub {
		};
		serial0 = &{/soc/nowhere};
	};
`,
    );
    const ds = await c.open(uri('names.dts'), `${text}\n&missing {\n\tstatus = "okay";\n};\n`);
    find(ds, /duplicate label 'dad'/);
    find(ds, /duplicate node name 'edu@10100000'/);
    find(ds, /properties must precede subnodes: property 'serial0' follows node 'sub'/);
    assert.strictEqual(textAt(`${text}\n&missing {\n\tstatus = "okay";\n};\n`, find(ds, /unknown path '\/soc\/nowhere'/).range), '&{/soc/nowhere}');
    find(ds, /unknown label 'missing'/);
  });

  it('cell counts of reg, ranges, dma-ranges, interrupts, dmas and iommus from the #*-cells', async () => {
    const text = board(
      `
		dad@10000000 {
			compatible = "dmalab,dad";
			reg = <0x10000000 0x1000 0x5>;
			interrupts = <0 40>;
			iommus = <&smmu>;
		};
		serial@10300000 {
			compatible = "dmalab,uart";
			status = "disabled";
			reg = <0x10300000 0x1000>;
			dmas = <&dmac 0 1>, <&dmac 1>;
			dma-names = "tx", "rx";
		};
		bus@20000000 {
			#address-cells = <1>;
			#size-cells = <1>;
			ranges = <0x0 0x20000000>;
			dma-ranges = <0x0 0x0 0x80000000 0x10000000 0x1>;
		};`,
    );
    const ds = await c.open(uri('cells.dts'), text);
    find(ds, /reg of \/soc\/dad@10000000 has 3 cells, not a multiple of #address-cells \(1\) \+ #size-cells \(1\)/);
    find(ds, /interrupts of \/soc\/dad@10000000 has 2 cells; \/interrupt-controller@8000000 has #interrupt-cells = <3>/);
    find(ds, /iommus of \/soc\/dad@10000000 has 0 specifier cells; \/iommu@9050000 has #iommu-cells = <1>/);
    // a disabled node is not modelled: the server's own checks find these
    const dmas = find(ds, /dmas of \/soc\/serial@10300000: entry 1 needs 2 cells after the phandle \(#dma-cells of \/soc\/dma-controller@10200000\), found 1/);
    assert.strictEqual(textAt(text, dmas.range), '&dmac');
    find(ds, /ranges of \/soc\/bus@20000000 has 2 cells, not a multiple of .* = 3/);
    find(ds, /dma-ranges of \/soc\/bus@20000000 has 5 cells, not a multiple of .* = 3/);
  });

  it('dma-names against dmas, and the unit address against reg', async () => {
    const text = board(`
		serial@10300000 {
			compatible = "dmalab,uart";
			reg = <0x10300000 0x1000>;
			interrupts = <0 43 4>;
			dmas = <&dmac 0 1>, <&dmac 1 1>;
			dma-names = "tx";
		};
		serial@10400000 {
			compatible = "dmalab,uart";
			status = "disabled";
			reg = <0x10400000 0x1000>;
			dmas = <&dmac 2 1>;
			dma-names = "tx", "rx";
		};
		edu@10600000 {
			compatible = "qemu,edu";
			reg = <0x10500000 0x1000>;
			interrupts = <0 44 4>;
		};
		edu@0x10700000 {
			compatible = "qemu,edu";
			reg = <0x10700000 0x1000>;
			interrupts = <0 45 4>;
		};
		edu {
			compatible = "qemu,edu";
			reg = <0x10800000 0x1000>;
			interrupts = <0 46 4>;
		};
		thing@10900000 {
			compatible = "qemu,edu";
			interrupts = <0 47 4>;
		};`);
    const ds = await c.open(uri('names2.dts'), text);
    find(ds, /dma-names of \/soc\/serial@10300000 has 1 name for 2 dmas entries/);
    find(ds, /dma-names of \/soc\/serial@10400000 has 2 names for 1 dmas entry/);
    const ua = find(ds, /unit address 10600000 of \/soc\/edu@10600000 does not match its first reg address 0x10500000/);
    assert.strictEqual(textAt(text, ua.range), 'edu@10600000');
    assert.strictEqual(ua.severity, 2);
    find(ds, /unit address of \/soc\/edu@0x10700000 should not have a leading "0x"/);
    find(ds, /node \/soc\/edu has a reg property, but no unit address/);
    find(ds, /node \/soc\/thing@10900000 has a unit address, but no reg or ranges property/);
  });

  it('reserved-memory: no-map with reusable, restricted pools, pool rules, overlaps', async () => {
    const text = board(
      `
		dad@10000000 {
			compatible = "dmalab,dad";
			reg = <0x10000000 0x1000>;
			interrupts = <0 40 4>;
			memory-region = <&cma>;
		};`,
      `
	reserved-memory {
		#address-cells = <2>;
		#size-cells = <2>;
		ranges;

		cma: pool@90000000 {
			compatible = "shared-dma-pool";
			reg = <0x0 0x90000000 0x0 0x400000>;
			no-map;
			reusable;
		};

		tlb: tlb@90200000 {
			compatible = "restricted-dma-pool";
			reg = <0x0 0x90200000 0x0 0x400000>;
			no-map;
		};
	};
`,
    );
    const ds = await c.open(uri('reserved.dts'), text);
    const both = find(ds, /reserved-memory node pool@90000000: "no-map" and "reusable" cannot both be set/);
    assert.strictEqual(textAt(text, both.range), 'pool@90000000', 'the model points at the node: its name is shown');
    const nm = find(ds, /restricted-dma-pool tlb@90200000 must not have "no-map"/);
    assert.strictEqual(textAt(text, nm.range), 'no-map;');
    find(ds, /reserved-memory tlb@90200000 \[0x90200000, \+0x400000\) overlaps pool@90000000/);
    const ds2 = await c.change(uri('reserved.dts'), text.replace('\t\tranges;\n', '').replace('\t\t#size-cells = <2>;\n\t\tranges', '\t\t#size-cells = <1>;\n\t\tranges'));
    find(ds2, /\/reserved-memory needs a "ranges" property/);
  });

  it('platform-level problems point at the root node’s name, not the whole file', async () => {
    const text = board().replace(/\tmemory@80000000 \{[^}]*\};\n/, '');
    const ds = await c.open(uri('nomemory.dts'), text);
    const d = find(ds, /the platform has no memory node/);
    assert.strictEqual(textAt(text, d.range), '/');
    assert.strictEqual(d.range.start.line, 2);
  });

  it('an overlay: references into the base tree and its cell sizes are not errors', async () => {
    const text = '/dts-v1/;\n/plugin/;\n\n&soc {\n\tfoo@1000 {\n\t\treg = <0x1000 0x10>;\n\t};\n\n\tbar@10 {\n\t};\n};\n';
    const ds = await c.open(uri('overlay.dtso'), text);
    assert.deepStrictEqual(messages(ds), ['node /fragment@0/__overlay__/bar@10 has a unit address, but no reg or ranges property']);
    assert.match(hoverText(await c.hover(uri('overlay.dtso'), { line: 4, character: 2 })), /an overlay \(\/plugin\/\)/);
  });

  it('compatibles no device model implements, and the dmalab knobs', async () => {
    const text = board(
      `
		dad@10000000 {
			compatible = "dmalab,dad";
			reg = <0x10000000 0x1000>;
			interrupts = <0 40 4>;
			dmalab,dma-bits = <65>;
			dmalab,bandwidth = "fast";
			dmalab,baud = <115200>;
			dmalab,turbo = <1>;
		};
		serial@10300000 {
			compatible = "vendor,uart9000";
			reg = <0x10300000 0x1000>;
		};
		bus@10400000 {
			reg = <0x10400000 0x1000>;
			dmalab,dma-bits = <32>;
		};`,
      `
	chosen {
		dmalab,arch = "arm";
	};
`,
    );
    const ds = await c.open(uri('knobs.dts'), text);
    const compat = find(ds, /no device model implements compatible "vendor,uart9000"/);
    assert.strictEqual(textAt(text, compat.range), 'compatible = "vendor,uart9000";');
    find(ds, /dmalab,dma-bits of \/soc\/dad@10000000 must be between 1 and 64 .* found 65/);
    find(ds, /dmalab,bandwidth of \/soc\/dad@10000000 must be one 32-bit cell .* found 5 bytes/);
    find(ds, /dmalab,baud is read by dmalab,uart only/);
    find(ds, /unknown knob dmalab,turbo/);
    find(ds, /dmalab,dma-bits has no effect on \/soc\/bus@10400000: the node is not a device/);
    find(ds, /dmalab,arch is read from the root node only/);
  });

  it('#include and /include/ files that cannot be found, problems inside included files', async () => {
    fs.writeFileSync(path.join(dir, 'soc.dtsi'), '/ {\n\tsoc2 {\n\t\tfoo = <&undefined_label>;\n\t};\n};\n');
    const text = `#include "missing.h"\n/include/ "also-missing.dtsi"\n/include/ "soc.dtsi"\n${board().replace('/dts-v1/;\n', '')}`.replace(/^/, '/dts-v1/;\n');
    const ds = await c.open(uri('includes.dts'), text);
    const a = find(ds, /missing\.h/);
    assert.strictEqual(a.range.start.line, 1);
    const b = find(ds, /also-missing\.dtsi/);
    assert.strictEqual(b.range.start.line, 2);
    const inc = find(ds, /1 error in included file soc\.dtsi; first: soc\.dtsi:3:10: reference to unknown label 'undefined_label'/);
    assert.strictEqual(textAt(text, inc.range), '"soc.dtsi"');
  });

  it('updates on change, and re-checks the documents that include a changed file', async () => {
    const inc = path.join(dir, 'labels.dtsi');
    const incText = '/ {\n\tsoc {\n\t\tdad: dad@10000000 {\n\t\t\tcompatible = "dmalab,dad";\n\t\t\treg = <0x10000000 0x1000>;\n\t\t\tinterrupts = <0 40 4>;\n\t\t};\n\t};\n};\n';
    fs.writeFileSync(inc, incText);
    const main = `${board()}#include "labels.dtsi"\n&dad {\n\tdmalab,dma-bits = <40>;\n};\n`;
    assert.deepStrictEqual(messages(await c.open(uri('main.dts'), main)), []);
    // the open .dtsi wins over the disk, and the including document is checked again
    const again = c.waitDiagnostics(uri('main.dts'), 1);
    await c.open(uriOf(inc), incText.replace('dad: dad@', 'dax: dad@'));
    find(await again, /unknown label 'dad'/);
    const broken = await c.change(uri('main.dts'), main.replace('<40>', '<40'));
    find(broken, /expected '>'/);
    assert.deepStrictEqual(messages(await c.change(uri('main.dts'), main.replace('&dad', '&dax'))), []);
  });

  it('re-checks when the client reports a file changed on disk', async () => {
    const inc = path.join(dir, 'disk.dtsi');
    fs.writeFileSync(inc, '/ {\n\tdisk: disk {\n\t};\n};\n');
    const main = `${board()}#include "disk.dtsi"\n&disk {\n\tstatus = "okay";\n};\n`;
    assert.deepStrictEqual(messages(await c.open(uri('disk.dts'), main)), []);
    fs.writeFileSync(inc, '/ {\n\tdisk2: disk {\n\t};\n};\n');
    const again = c.waitDiagnostics(uri('disk.dts'), 1);
    await c.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: uriOf(inc), type: 2 }] });
    find(await again, /unknown label 'disk'/);
  });
});

// Robustness and speed: random mutations of a realistic platform never make the
// front end throw, and every diagnostic points inside the text it is about.
import * as assert from 'assert';
import fc from 'fast-check';
import { loadDeviceTree, parseDocument, type Diagnostic, type DtNode, type Position } from '../../emulator/platform/dts';

const BOARD_DTSI = `/* SoC description shared by the boards */
#include <dt-bindings/dmalab.h>
/ {
	#address-cells = <2>;
	#size-cells = <2>;
	soc: soc {
		compatible = "simple-bus";
		#address-cells = <1>;
		#size-cells = <1>;
		ranges = <0x0 0x0 0x0 0xffffffff>;
		gic: interrupt-controller@8000000 {
			compatible = "arm,gic-v3";
			#interrupt-cells = <3>;
			interrupt-controller;
			reg = <0x8000000 0x10000>, <0x80a0000 0xf60000>;
		};
	};
};
`;

const BINDINGS_H = `#ifndef DT_BINDINGS_DMALAB_H
#define DT_BINDINGS_DMALAB_H
#define GIC_SPI 0
#define GIC_PPI 1
#define IRQ_TYPE_EDGE_RISING 1
#define IRQ_TYPE_LEVEL_HIGH 4
#define DMALAB_IRQ(n) GIC_SPI (n) IRQ_TYPE_LEVEL_HIGH
#endif
`;

/** A realistic 100-line platform description. */
const PLATFORM = `// SPDX-License-Identifier: MIT
/dts-v1/;
/memreserve/ 0x9f000000 0x01000000;
#include "board.dtsi"

#define DAD_BASE 0x10000000
#define DAD_SIZE 0x1000
#define SMMU_SID(n) (0x100 + (n))

/ {
	model = "DMA Lab reference platform";
	compatible = "dmalab,ref-platform", "dmalab,generic";
	interrupt-parent = <&gic>;

	aliases {
		serial0 = &uart0;
		dma0 = &dad;
	};

	chosen {
		stdout-path = "serial0:115200n8";
		bootargs = "console=ttyAMA0 swiotlb=force";
	};

	memory@80000000 {
		device_type = "memory";
		reg = <0x0 0x80000000 0x0 0x40000000>;
	};

	reserved-memory {
		#address-cells = <2>;
		#size-cells = <2>;
		ranges;

		swiotlb: swiotlb@9e000000 {
			compatible = "restricted-dma-pool";
			reg = /bits/ 64 <0x9e000000 0x00400000>;
			no-map;
		};
	};
};

&soc {
	smmu: iommu@9050000 {
		compatible = "arm,smmu-v3";
		reg = <0x9050000 0x20000>;
		#iommu-cells = <1>;
		interrupts = <DMALAB_IRQ(74)>, <DMALAB_IRQ(75)>;
		interrupt-names = "eventq", "gerror";
	};

	uart0: serial@9000000 {
		compatible = "arm,pl011", "arm,primecell";
		reg = <0x9000000 0x1000>;
		interrupts = <GIC_SPI 1 IRQ_TYPE_LEVEL_HIGH>;
		clock-names = "uartclk", "apb_pclk";
		mac = [00 11 22 33 44 55];
	};

	dad: dma-controller@DAD_BASE {
		compatible = "dmalab,dad";
		reg = <DAD_BASE DAD_SIZE>;
		interrupts = <DMALAB_IRQ(40)>;
		iommus = <&smmu SMMU_SID(0)>;
		memory-region = <&swiotlb>;
		dmalab,dma-bits = <40>;
		dmalab,burst = /bits/ 16 <64 128>;
		dmalab,name = "dad0";
		dma-coherent;
		#dma-cells = <1>;
		status = "disabled";

		channel@0 {
			reg = <0>;
			dmalab,prio = <(1 << 2 | 1)>;
		};

		channel@1 {
			reg = <1>;
			dmalab,prio = <('a' - 'a' + 3)>;
		};
	};

	/omit-if-no-ref/ spare: spare@20000000 {
		reg = <0x20000000 0x100>;
	};
};

&dad {
	status = "okay";
	/delete-property/ dma-coherent;
	/delete-node/ channel@1;
};

&{/soc/serial@9000000} {
	current-speed = <115200>;
};
`;

const FILES: Record<string, string> = {
  '/fz/board.dtsi': BOARD_DTSI,
  '/inc/dt-bindings/dmalab.h': BINDINGS_H,
};

function lineStarts(text: string): number[] {
  const s = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) s.push(i + 1);
  return s;
}

function checkPosition(p: Position, text: string, starts: number[], what: string): void {
  assert.ok(Number.isInteger(p.offset) && p.offset >= 0 && p.offset <= text.length, `${what}: offset ${p.offset} outside 0..${text.length}`);
  assert.ok(p.line >= 1 && p.line <= starts.length, `${what}: line ${p.line} outside 1..${starts.length}`);
  assert.strictEqual(p.col, p.offset - starts[p.line - 1] + 1, `${what}: col does not match offset`);
  assert.ok(p.line === starts.length || p.offset < starts[p.line], `${what}: line does not match offset`);
}

function checkDiagnostics(diags: Diagnostic[], files: Record<string, string>): void {
  const cache = new Map<string, number[]>();
  for (const d of diags) {
    const text = files[d.file];
    assert.ok(text !== undefined, `diagnostic in unknown file ${d.file}`);
    assert.strictEqual(d.range.file, d.file);
    assert.ok(['error', 'warning', 'info'].includes(d.severity));
    assert.ok(typeof d.message === 'string' && d.message.length > 0);
    let starts = cache.get(d.file);
    if (starts === undefined) cache.set(d.file, (starts = lineStarts(text)));
    checkPosition(d.range.start, text, starts, `${d.message} (start)`);
    checkPosition(d.range.end, text, starts, `${d.message} (end)`);
    assert.ok(d.range.end.offset >= d.range.start.offset, 'range ends before it starts');
  }
}

function checkTree(n: DtNode, depth = 0): void {
  assert.ok(depth < 200);
  for (const p of n.properties.values()) {
    assert.ok(p.bytes instanceof Uint8Array);
    p.cells();
    p.strings();
    for (const r of p.refs) assert.ok(r.offset >= 0 && r.offset <= p.bytes.length);
  }
  for (const c of n.children) {
    assert.strictEqual(c.parent, n);
    assert.strictEqual(c.path, (n.path === '/' ? '' : n.path) + '/' + c.name);
    checkTree(c, depth + 1);
  }
}

const TOKENS = [
  ';', '{', '}', '<', '>', '(', ')', '[', ']', '"', "'", '&', '&{/', '/', '/*', '*/', '//', '#', '\\', '\n', '\r\n', '\t', ' ',
  ',', '=', '@', ':', 'lbl:', 'dup:', '0x', '08', '0xffffffffffffffffffff', "'\\x", "'ab'", '"\\', '&nosuch', '&{/soc}', '&{/nope}',
  '/delete-node/', '/delete-property/', '/bits/ 64', '/bits/ 7', '/omit-if-no-ref/', '/memreserve/', '/plugin/;', '/dts-v1/;', '/incbin/',
  '/include/ "', '/include/ "board.dtsi"', '\n#include "board.dtsi"\n', '\n#include "missing.h"\n', '\n#include <', '\n#define X (\n',
  '\n#define F(a,b) a ## b #a\n', 'F(', 'F(1,', 'DMALAB_IRQ(', 'SMMU_SID', '\n#if 0\n', '\n#if\n', '\n#if 1/0\n', '\n#elif\n', '\n#else\n',
  '\n#endif\n', '\n#undef DAD_BASE\n', '\n#pragma x\n', '\n# 12 "x"\n', 'é', '\u{1F600}', '\0', '$', '`',
];

type Mutation =
  | { kind: 'delete'; pos: number; len: number }
  | { kind: 'deleteToken'; pos: number }
  | { kind: 'insert'; pos: number; text: string }
  | { kind: 'duplicate'; pos: number; len: number }
  | { kind: 'char'; pos: number; text: string };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), pos: fc.nat(), len: fc.integer({ min: 1, max: 30 }) }),
  fc.record({ kind: fc.constant('deleteToken' as const), pos: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), pos: fc.nat(), text: fc.constantFrom(...TOKENS) }),
  fc.record({ kind: fc.constant('duplicate' as const), pos: fc.nat(), len: fc.integer({ min: 1, max: 60 }) }),
  fc.record({ kind: fc.constant('char' as const), pos: fc.nat(), text: fc.string({ minLength: 1, maxLength: 2 }) }),
);

function mutate(text: string, ms: Mutation[]): string {
  let t = text;
  for (const m of ms) {
    const pos = m.pos % (t.length + 1);
    switch (m.kind) {
      case 'delete':
        t = t.slice(0, pos) + t.slice(pos + m.len);
        break;
      case 'deleteToken': {
        const rest = t.slice(pos);
        const len = /^\s*\S*/.exec(rest)![0].length;
        t = t.slice(0, pos) + t.slice(pos + len);
        break;
      }
      case 'insert':
      case 'char':
        t = t.slice(0, pos) + m.text + t.slice(pos);
        break;
      case 'duplicate':
        t = t.slice(0, pos) + t.slice(pos, pos + m.len) + t.slice(pos);
        break;
    }
  }
  return t;
}

describe('dts robustness', () => {
  const opts = { readFile: (p: string) => FILES[p], includeDirs: ['/inc'] };

  it('loads the unmutated platform without diagnostics', () => {
    const t = loadDeviceTree(PLATFORM, '/fz/platform.dts', opts);
    assert.deepStrictEqual(t.diagnostics, []);
    assert.ok(PLATFORM.split('\n').length >= 95);
    const dad = t.byPath('/soc/dma-controller@0x10000000');
    assert.ok(dad);
    assert.deepStrictEqual(dad.properties.get('interrupts')?.cells(), [0, 40, 4]);
    assert.deepStrictEqual(dad.properties.get('iommus')?.cells(), [2, 0x100]);
    assert.strictEqual(dad.properties.has('dma-coherent'), false);
    assert.deepStrictEqual(dad.children.map((c) => c.name), ['channel@0']);
    assert.strictEqual(t.byPath('/soc/spare@20000000'), undefined);
    assert.strictEqual(t.byPath('dma0'), dad);
    checkTree(t.root);
    assert.deepStrictEqual(parseDocument(PLATFORM, '/fz/platform.dts', opts).diagnostics, []);
  });

  it('never throws and keeps every diagnostic inside the text, for thousands of random mutations', function () {
    this.timeout(20000);
    let withDiagnostics = 0;
    fc.assert(
      fc.property(fc.array(mutationArb, { minLength: 1, maxLength: 4 }), fc.boolean(), (ms, tree) => {
        const text = mutate(PLATFORM, ms);
        const files = { ...FILES, '/fz/platform.dts': text };
        if (tree) {
          const t = loadDeviceTree(text, '/fz/platform.dts', opts);
          checkDiagnostics(t.diagnostics, files);
          checkTree(t.root);
          if (t.diagnostics.length > 0) withDiagnostics++;
        } else {
          const doc = parseDocument(text, '/fz/platform.dts', opts);
          checkDiagnostics(doc.diagnostics, { '/fz/platform.dts': text });
          if (doc.diagnostics.length > 0) withDiagnostics++;
        }
      }),
      { numRuns: 2000, seed: 0x5eed },
    );
    // The mutations really do break things.
    assert.ok(withDiagnostics > 800, `only ${withDiagnostics} mutants had diagnostics`);
  });

  it('survives token soup', () => {
    const soup = fc
      .array(fc.oneof(fc.constantFrom(...TOKENS, 'a', 'n', '/', '0', '1', 'x@1', '&soc', 'dad'), fc.string({ maxLength: 3 })), { maxLength: 60 })
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(soup, (text) => {
        const t = loadDeviceTree(text, '/fz/x.dts', opts);
        checkDiagnostics(t.diagnostics, { ...FILES, '/fz/x.dts': text });
        checkTree(t.root);
        checkDiagnostics(parseDocument(text, '/fz/x.dts').diagnostics, { '/fz/x.dts': text });
      }),
      { numRuns: 500, seed: 42 },
    );
  });
});

describe('dts: large files', () => {
  function bigFile(lines: number): string {
    const out = ['/dts-v1/;', '#define IRQ_BASE 32', '#define REG(a) <(a) 0x1000>', '/ {', '\t#address-cells = <1>;', '\t#size-cells = <1>;', '\tsoc {'];
    for (let i = 0; out.length < lines - 3; i++) {
      const a = (0x10000000 + i * 0x1000).toString(16);
      out.push(
        `\t\tdev${i}: device@${a} {`,
        `\t\t\tcompatible = "dmalab,dev", "generic"; /* comment */`,
        `\t\t\treg = REG(0x${a});`,
        `\t\t\tinterrupts = <(IRQ_BASE + ${i}) 4>; // line comment`,
        `\t\t\tnext = <&dev${(i + 1) % 500}>, <0x${i.toString(16)}>;`,
        `\t\t\tmac = [00 11 22 33 44 ${(i & 255).toString(16).padStart(2, '0')}];`,
        '\t\t};',
      );
    }
    out.push('\t};', '};', '');
    return out.join('\n');
  }

  const big = bigFile(5000);

  // Speed is measured by `npm run bench` (lsp_diagnostics_5k_lines_ms), never asserted here.
  it('parses and loads a 5,000-line file (and a 20,000-line one) without diagnostics', function () {
    this.timeout(20000);
    assert.ok(big.split('\n').length >= 5000);
    assert.deepStrictEqual(parseDocument(big, '/perf/big.dts').diagnostics, []);
    const tree = loadDeviceTree(big, '/perf/big.dts', { readFile: () => undefined });
    assert.deepStrictEqual(tree.diagnostics, []);
    const large = bigFile(20000);
    assert.deepStrictEqual(parseDocument(large, '/perf/l.dts').diagnostics, []);
  });
});

// Includes, macros and conditionals (through loadDeviceTree and parseDocument).
import * as assert from 'assert';
import { formatDiagnostic, loadDeviceTree, parseDocument, type DeviceTree, type DtNode, type DtProperty } from '../../emulator/platform/dts';

function fakeFs(files: Record<string, string>): { readFile: (p: string) => string | undefined; reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    readFile: (p: string) => {
      reads.push(p);
      return Object.prototype.hasOwnProperty.call(files, p) ? files[p] : undefined;
    },
  };
}
function node(t: DeviceTree, path: string): DtNode {
  const n = t.byPath(path);
  assert.ok(n, `no node ${path}`);
  return n;
}
function prop(n: DtNode, name: string): DtProperty {
  const p = n.properties.get(name);
  assert.ok(p, `no property ${name} in ${n.path}`);
  return p;
}
function diags(t: { diagnostics: Parameters<typeof formatDiagnostic>[0][] }): string[] {
  return t.diagnostics.map(formatDiagnostic);
}

describe('dts preprocessor: includes', () => {
  const files = {
    '/plat/soc.dtsi': '#include <dt-bindings/irq.h>\n/ {\n\tsoc: soc {\n\t\tintc: intc@0 { #interrupt-cells = <2>; };\n\t};\n};\n',
    '/inc/dt-bindings/irq.h': '#ifndef IRQ_H\n#define IRQ_H\n#define IRQ_TYPE_LEVEL_HIGH 4\n#define SPI(n) ((n) + 32)\n#endif\n',
    '/plat/frag.dtsi': 'frag-prop = <1>;\n',
    '/plat/sub/dev.dtsi': '/include/ "../frag.dtsi"\nnested;\n',
  };

  it('splices #include "file" (including directory first) and #include <file> (include dirs)', () => {
    const fs = fakeFs(files);
    const t = loadDeviceTree(
      '/dts-v1/;\n#include "soc.dtsi"\n#include <dt-bindings/irq.h>\n&soc {\n\tdev@1 { interrupts = <SPI(3) IRQ_TYPE_LEVEL_HIGH>; interrupt-parent = <&intc>; };\n};\n',
      '/plat/main.dts',
      { readFile: fs.readFile, includeDirs: ['/inc'] },
    );
    assert.deepStrictEqual(diags(t), []);
    assert.deepStrictEqual(prop(node(t, '/soc/dev@1'), 'interrupts').cells(), [35, 4]);
    assert.deepStrictEqual(t.files, ['/plat/main.dts', '/plat/soc.dtsi', '/inc/dt-bindings/irq.h']);
    assert.ok(fs.reads.includes('/plat/dt-bindings/irq.h'), 'the including directory is searched first');
    // Nodes from an included file carry that file's positions.
    const intc = node(t, '/soc/intc@0');
    assert.strictEqual(intc.definitions[0].file, '/plat/soc.dtsi');
    assert.strictEqual(intc.definitions[0].start.line, 4);
    assert.strictEqual(intc.definitions[0].start.col, 3);
    assert.strictEqual(node(t, '/soc').definitions.map((d) => d.file).join(), '/plat/soc.dtsi,/plat/main.dts');
  });

  it('splices /include/ and #include anywhere, even inside a node, relative to the including file', () => {
    const fs = fakeFs(files);
    const t = loadDeviceTree('/dts-v1/;\n/ {\n\t#include "sub/dev.dtsi"\n\tlast;\n};\n', '/plat/main.dts', { readFile: fs.readFile });
    assert.deepStrictEqual(diags(t), []);
    assert.deepStrictEqual([...t.root.properties.keys()], ['frag-prop', 'nested', 'last']);
    assert.strictEqual(prop(t.root, 'frag-prop').range.file, '/plat/frag.dtsi');
    assert.strictEqual(prop(t.root, 'nested').range.file, '/plat/sub/dev.dtsi');
    assert.strictEqual(prop(t.root, 'last').range.start.line, 4);
  });

  it('reports a missing include at the #include line and keeps going', () => {
    const t = loadDeviceTree('/dts-v1/;\n/ {\n\ta;\n};\n  #include "nope.dtsi"\n/ { b; };\n', '/plat/main.dts', { readFile: () => undefined, includeDirs: ['/inc'] });
    assert.deepStrictEqual(diags(t), ["/plat/main.dts:5:3: error: cannot find include file 'nope.dtsi' (searched /plat, /inc)"]);
    assert.strictEqual(t.diagnostics[0].code, 'include-not-found');
    assert.deepStrictEqual([...t.root.properties.keys()], ['a', 'b']);
  });

  it('orders diagnostics from several files in source order', () => {
    const fs = fakeFs({ '/p/a.dtsi': '/ {\n\tx = <1>\n};\n' });
    const t = loadDeviceTree('/dts-v1/;\n/ { p = ; };\n#include "a.dtsi"\n/ { q = ; };\n', '/p/m.dts', { readFile: fs.readFile });
    assert.deepStrictEqual(
      t.diagnostics.map((d) => `${d.file}:${d.range.start.line}`),
      ['/p/m.dts:2', '/p/a.dtsi:2', '/p/m.dts:4'],
    );
  });

  it('stops runaway recursive includes', () => {
    const fs = fakeFs({ '/r/self.dtsi': '#include "self.dtsi"\n' });
    const t = loadDeviceTree('/dts-v1/;\n#include "self.dtsi"\n/ { };\n', '/r/m.dts', { readFile: fs.readFile });
    assert.strictEqual(t.diagnostics.filter((d) => /nested too deeply/.test(d.message)).length, 1);
  });

  it('parseDocument records includes and, with readFile, learns macros from them', () => {
    const fs = fakeFs(files);
    const src = '/dts-v1/;\n#include <dt-bindings/irq.h>\n/ { i = <SPI(1) IRQ_TYPE_LEVEL_HIGH>; };\n';
    const withFs = parseDocument(src, '/plat/x.dts', { readFile: fs.readFile, includeDirs: ['/inc'] });
    assert.deepStrictEqual(diags(withFs), []);
    assert.strictEqual(withFs.includes[0].resolved, '/inc/dt-bindings/irq.h');
    assert.strictEqual(withFs.includes[0].system, true);
    assert.strictEqual(withFs.includes[0].pathRange.start.col, 10);
    const without = parseDocument(src, '/plat/x.dts');
    assert.deepStrictEqual(
      without.diagnostics.map((d) => d.message),
      ["unknown identifier 'SPI' in the cell list of 'i' (undefined macro?)"],
    );
  });
});

describe('dts preprocessor: macros and conditionals', () => {
  function load(src: string): DeviceTree {
    return loadDeviceTree('/dts-v1/;\n' + src, '/m/main.dts', { readFile: () => undefined });
  }

  it('substitutes object-like and function-like macros, nested, in cells, names and strings', () => {
    const t = load(
      [
        '#define BASE 0x10000000',
        '#define SIZE 0x1000',
        '#define REG(a, s) <(a) (s)>',
        '#define END (BASE + SIZE)',
        '#define NAME dad',
        '#define COMPAT "dmalab,dad"',
        '#define EMPTY',
        '#define STR(x) #x',
        '#define CAT(a, b) a ## b',
        '/ {',
        '\tNAME@10000000 {',
        '\t\treg = REG(BASE, SIZE);',
        '\t\tend = <END>;',
        '\t\tcompatible = COMPAT EMPTY;',
        '\t\ts = STR(hello world);',
        '\t\tc = <CAT(0x, 10)>;',
        '\t\tq = "BASE is not replaced in strings";',
        '\t};',
        '};',
      ].join('\n'),
    );
    assert.deepStrictEqual(diags(t), []);
    const dad = node(t, '/dad@10000000');
    assert.deepStrictEqual(prop(dad, 'reg').cells(), [0x10000000, 0x1000]);
    assert.deepStrictEqual(prop(dad, 'end').cells(), [0x10001000]);
    assert.strictEqual(prop(dad, 'compatible').string(), 'dmalab,dad');
    assert.strictEqual(prop(dad, 's').string(), 'hello world');
    assert.deepStrictEqual(prop(dad, 'c').cells(), [0x10]);
    assert.strictEqual(prop(dad, 'q').string(), 'BASE is not replaced in strings');
    // A value produced by a macro maps back onto the invocation.
    const reg = prop(dad, 'reg');
    assert.strictEqual(reg.valueRanges[0].start.line, 13);
    assert.strictEqual(reg.valueRanges[0].start.col, 9);
  });

  it('pastes a macro into a unit address (dad@ADDR)', () => {
    const t = load('#define ADDR 10000000\n/ { dad@ADDR { }; };');
    assert.deepStrictEqual(diags(t), []);
    assert.ok(t.byPath('/dad@10000000'));
  });

  it('does not expand self-referential macros forever', () => {
    const t = load('#define X X\n#define A B\n#define B A\n/ { p = <1>; };');
    assert.deepStrictEqual(diags(t), []);
    const t2 = load('#define X (X + 1)\n/ { p = <X>; };');
    assert.deepStrictEqual(t2.diagnostics.map((d) => d.message), ["unknown identifier 'X' in expression (undefined macro?)"]);
  });

  it('handles #undef, #ifdef, #ifndef, #if, #elif, #else and #endif', () => {
    const t = load(
      [
        '#define A 1',
        '#define B 0',
        '#ifdef A',
        '/ { a; };',
        '#else',
        '/ { not_a; };',
        '#endif',
        '#ifndef A',
        '/ { not_a2; };',
        '#endif',
        '#undef A',
        '#ifdef A',
        '/ { not_a3; };',
        '#endif',
        '#if 0',
        '/ { zero; }; #error not reported',
        '#elif defined(B) && B == 0',
        '/ { elif; };',
        '#else',
        '/ { else; };',
        '#endif',
        '#if (B + 2) * 3 == 6 && !defined A',
        '/ { expr; };',
        '#endif',
        '#if 1',
        '#if 0',
        '/ { nested_zero; };',
        '#endif',
        '/ { one; };',
        '#endif',
      ].join('\n'),
    );
    assert.deepStrictEqual(diags(t), []);
    assert.deepStrictEqual([...t.root.properties.keys()], ['a', 'elif', 'expr', 'one']);
  });

  it('warns about unsupported directives, reports #error and unbalanced conditionals', () => {
    const t = load('#pragma once\n#warning careful\n#error stop here\n#endif\n#if 1\n/ { p; };\n');
    assert.deepStrictEqual(diags(t), [
      "/m/main.dts:2:1: warning: unsupported preprocessor directive '#pragma' ignored",
      '/m/main.dts:3:1: warning: #warning careful',
      '/m/main.dts:4:1: error: #error stop here',
      '/m/main.dts:5:1: error: #endif without #if',
      '/m/main.dts:6:1: error: unterminated conditional directive (missing #endif)',
    ]);
    assert.ok(t.root.properties.has('p'));
  });

  it('reports macro misuse', () => {
    const t = load('#define F(a, b) (a + b)\n/ { p = <F(1)>; q = <F>; };');
    const msgs = t.diagnostics.map((d) => `${d.range.start.line}:${d.range.start.col} ${d.message}`);
    assert.deepStrictEqual(msgs, [
      "3:10 macro 'F' requires 2 arguments, but 1 given",
      "3:10 unknown identifier 'F' in the cell list of 'p' (undefined macro?)",
      "3:22 unknown identifier 'F' in the cell list of 'q' (undefined macro?)",
    ]);
  });

  it('keeps multi-line directives and comments in directives', () => {
    const t = load('#define LONG (1 + \\\n  2) /* a\n comment */\n/ { p = <LONG>; }; // done\n');
    assert.deepStrictEqual(diags(t), []);
    assert.deepStrictEqual(prop(t.root, 'p').cells(), [3]);
    assert.strictEqual(prop(t.root, 'p').range.start.line, 5);
  });
});

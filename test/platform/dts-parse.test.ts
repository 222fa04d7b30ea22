// Syntax level: parseDocument (one file, positions, labels, references, recovery).
import * as assert from 'assert';
import { formatDiagnostic, parseDocument, type Diagnostic, type NodeDecl, type PropertyDecl, type DtsDocument } from '../../emulator/platform/dts';

function root(doc: DtsDocument, index = 0): NodeDecl {
  const roots = doc.items.filter((i): i is NodeDecl => i.kind === 'node');
  assert.ok(roots[index], 'root node missing');
  return roots[index];
}
function child(n: NodeDecl, name: string): NodeDecl {
  const c = n.body.items.find((i): i is NodeDecl => i.kind === 'node' && i.name === name);
  assert.ok(c, `node ${name} missing`);
  return c;
}
function prop(n: NodeDecl, name: string): PropertyDecl {
  const p = n.body.items.find((i): i is PropertyDecl => i.kind === 'property' && i.name === name);
  assert.ok(p, `property ${name} missing`);
  return p;
}
function errors(doc: { diagnostics: Diagnostic[] }): string[] {
  return doc.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic);
}
function at(d: { range: { start: { line: number; col: number } } }): string {
  return `${d.range.start.line}:${d.range.start.col}`;
}

describe('dts parser: syntax', () => {
  it('parses the header, memreserves, root node and top-level statements in order', () => {
    const doc = parseDocument(
      [
        '/dts-v1/;',
        '/plugin/;',
        '/memreserve/ 0x10000000 0x4000;',
        'res: /memreserve/ (0x2000 * 2) 0x100;',
        '/ { a: x { }; };',
        '&a { y; };',
        '&{/x} { z; };',
        'lbl: &a { };',
        '/delete-node/ &a;',
        '/omit-if-no-ref/ &{/x};',
        '',
      ].join('\n'),
      'top.dts',
    );
    assert.deepStrictEqual(errors(doc), []);
    assert.deepStrictEqual(
      doc.items.map((i) => i.kind),
      ['version', 'plugin', 'memreserve', 'memreserve', 'node', 'refNode', 'refNode', 'refNode', 'deleteNode', 'omitIfNoRef'],
    );
    assert.strictEqual(doc.hasVersion, true);
    assert.strictEqual(doc.isPlugin, true);
    const mr = doc.items[3];
    assert.ok(mr.kind === 'memreserve');
    assert.strictEqual(mr.addressValue, 0x4000n);
    assert.strictEqual(mr.sizeValue, 0x100n);
    assert.deepStrictEqual(mr.labels.map((l) => l.name), ['res']);
    const merge = doc.items[5];
    assert.ok(merge.kind === 'refNode');
    assert.strictEqual(merge.ref.refKind, 'label');
    assert.strictEqual(merge.ref.target, 'a');
    const pathMerge = doc.items[6];
    assert.ok(pathMerge.kind === 'refNode');
    assert.strictEqual(pathMerge.ref.refKind, 'path');
    assert.strictEqual(pathMerge.ref.target, '/x');
    const labelled = doc.items[7];
    assert.ok(labelled.kind === 'refNode');
    assert.deepStrictEqual(labelled.labels.map((l) => l.name), ['lbl']);
    const del = doc.items[8];
    assert.ok(del.kind === 'deleteNode' && del.ref?.target === 'a');
  });

  it('accepts the full property and node name character set', () => {
    const doc = parseDocument(
      '/dts-v1/;\n/ {\n\t#address-cells = <1>;\n\tlinux,phandle = <5>;\n\tdmalab,dma-bits = <40>;\n\tweird+name?*.x_y = "v";\n\t\\escaped;\n\ti2c@3,1 { };\n\tnode.with_chars+-@ab { };\n};\n',
      'names.dts',
    );
    assert.deepStrictEqual(errors(doc), []);
    const r = root(doc);
    assert.deepStrictEqual(
      r.body.items.map((i) => (i.kind === 'property' || i.kind === 'node' ? i.name : i.kind)),
      ['#address-cells', 'linux,phandle', 'dmalab,dma-bits', 'weird+name?*.x_y', 'escaped', 'i2c@3,1', 'node.with_chars+-@ab'],
    );
  });

  it('records positions of nodes, properties, names and values (1-based line:col)', () => {
    const text = '/dts-v1/;\n\n/ {\n\tsoc {\n\t\tdad: dad@10000000 {\n\t\t\treg = <0x10000000 0x1000>, "s";\n\t\t};\n\t};\n};\n';
    const doc = parseDocument(text, '/plat/a.dts');
    const dad = child(child(root(doc), 'soc'), 'dad@10000000');
    assert.strictEqual(at({ range: dad.nameRange }), '5:8');
    assert.strictEqual(dad.range.start.line, 5);
    assert.strictEqual(dad.range.start.col, 3); // starts at the label
    assert.strictEqual(dad.range.end.line, 7);
    assert.strictEqual(dad.range.end.col, 5); // after '};'
    assert.strictEqual(dad.labels[0].name, 'dad');
    assert.strictEqual(at(dad.labels[0]), '5:3');
    const reg = prop(dad, 'reg');
    assert.strictEqual(reg.range.file, '/plat/a.dts');
    assert.strictEqual(at(reg), '6:4');
    assert.strictEqual(text.slice(reg.range.start.offset, reg.range.end.offset), 'reg = <0x10000000 0x1000>, "s";');
    assert.strictEqual(reg.values.length, 2);
    assert.strictEqual(text.slice(reg.values[0].range.start.offset, reg.values[0].range.end.offset), '<0x10000000 0x1000>');
    assert.strictEqual(text.slice(reg.values[1].range.start.offset, reg.values[1].range.end.offset), '"s"');
    const cells = reg.values[0];
    assert.ok(cells.kind === 'cells');
    const first = cells.items[0];
    assert.ok(first.kind === 'number');
    assert.strictEqual(at(first), '6:11');
    assert.strictEqual(first.value, 0x10000000n);
    assert.strictEqual(root(doc).body.range.start.line, 3);
  });

  it('keeps labels and references with their ranges (for go-to-definition and rename)', () => {
    const text = [
      '/dts-v1/;',
      '/ {',
      '\tintc: ic { };',
      '\tdev { ip = <&intc 5>; p = &{/ic}; v = a: <b: 1 c:> , d: "x" e:; l2: q; };',
      '};',
      '&intc { };',
    ].join('\n');
    const doc = parseDocument(text, 'r.dts');
    assert.deepStrictEqual(errors(doc), []);
    assert.deepStrictEqual(doc.labels.map((l) => l.name), ['intc', 'a', 'b', 'c', 'd', 'e', 'l2']);
    assert.deepStrictEqual(
      doc.references.map((r) => `${r.refKind}:${r.target}@${at(r)}`),
      ['label:intc@4:14', 'path:/ic@4:28', 'label:intc@6:1'],
    );
    const ref = doc.references[0];
    assert.strictEqual(text.slice(ref.range.start.offset, ref.range.end.offset), '&intc');
    const dev = child(root(doc), 'dev');
    const v = prop(dev, 'v');
    assert.deepStrictEqual(v.values[0].labels.map((l) => l.name), ['a']);
    const cells = v.values[0];
    assert.ok(cells.kind === 'cells');
    assert.deepStrictEqual(cells.items.map((i) => i.kind), ['label', 'number', 'label']);
    assert.deepStrictEqual(v.values[1].labels.map((l) => l.name), ['d']);
    assert.deepStrictEqual(v.endLabels.map((l) => l.name), ['e']);
    assert.deepStrictEqual(prop(dev, 'q').labels.map((l) => l.name), ['l2']);
  });

  it('parses delete and omit statements inside nodes', () => {
    const doc = parseDocument('/dts-v1/;\n/ {\n\t/delete-property/ foo;\n\t/delete-node/ bar@1;\n\t/omit-if-no-ref/ lbl: baz { };\n};\n', 'd.dts');
    assert.deepStrictEqual(errors(doc), []);
    const items = root(doc).body.items;
    assert.deepStrictEqual(
      items.map((i) => i.kind),
      ['deleteProperty', 'deleteNode', 'node'],
    );
    const baz = items[2];
    assert.ok(baz.kind === 'node');
    assert.ok(baz.omitIfNoRef);
    assert.deepStrictEqual(baz.labels.map((l) => l.name), ['lbl']);
  });

  it('records comments, macros, macro uses, includes and #if-skipped text', () => {
    const text = [
      '/dts-v1/;',
      '#include "board.dtsi" // board',
      '#define IRQ(n) (32 + (n))',
      '/* block',
      '   comment */',
      '#if 0',
      'junk that is skipped {',
      '#endif',
      '/ { interrupts = <IRQ(3)>; };',
    ].join('\n');
    const doc = parseDocument(text, '/p/main.dts');
    assert.deepStrictEqual(errors(doc), []);
    assert.strictEqual(doc.includes.length, 1);
    assert.strictEqual(doc.includes[0].path, 'board.dtsi');
    assert.strictEqual(doc.includes[0].resolved, undefined); // no readFile: not followed
    assert.strictEqual(at(doc.includes[0]), '2:1');
    assert.strictEqual(doc.comments.length, 2);
    assert.strictEqual(at({ range: doc.comments[0] }), '2:23');
    assert.strictEqual(at({ range: doc.comments[1] }), '4:1');
    assert.deepStrictEqual(doc.macros.map((m) => `${m.name}(${m.params}) ${m.body}`), ['IRQ(n) (32 + (n))']);
    assert.strictEqual(doc.macroUses.length, 1);
    assert.strictEqual(at(doc.macroUses[0]), '9:19');
    assert.strictEqual(doc.macroUses[0].expansion, '(32 + (3))');
    assert.strictEqual(doc.inactiveRanges.length, 1);
    assert.strictEqual(doc.inactiveRanges[0].start.line, 7);
    const cells = prop(root(doc), 'interrupts').values[0];
    assert.ok(cells.kind === 'cells' && cells.items[0].kind === 'number');
    assert.strictEqual(cells.items[0].value, 35n);
    // The expanded cell maps back onto the macro invocation.
    assert.strictEqual(at(cells.items[0]), '9:19');
  });

  it('formats diagnostics as file:line:col: severity: message', () => {
    const doc = parseDocument('/dts-v1/;\n/ {\n\treg = <1>\n};\n', 'f.dts');
    assert.deepStrictEqual(doc.diagnostics.map(formatDiagnostic), ["f.dts:3:11: error: expected ';' after property 'reg', found '}'"]);
    assert.strictEqual(doc.diagnostics[0].code, 'syntax');
  });

  it('says what was expected and what was found', () => {
    const cases: [string, string][] = [
      ['/ { a = <1> };', "expected ';' after property 'a', found '}'"],
      ['/ { a = ; };', "expected a property value after '=' in property 'a', found ';'"],
      ['/ { a = <1 2; };', "expected '>' to close the cell list of 'a' opened at 2:9, found ';'"],
      ['/ { a { } };', "expected ';' after node 'a', found '}'"],
      ['/ { a = [00 1]; };', "expected two hex digits in byte string, found '1'"],
      ['/ { a = <(1 + )>; };', "expected a number, character literal or '(' in expression, found ')'"],
      ['/ { a = <((1)>; };', "expected ')' to match '(' at 2:10, found '>'"],
      ['/ { a = <FOO>; };', "unknown identifier 'FOO' in the cell list of 'a' (undefined macro?)"],
      ['/ { a = "x; };', 'missing terminating \'"\' character'],
      ['/ {', "expected '}' to close node '/' opened at 2:3, found end of file"],
      ['foo { };', "expected '/ {', '&label {' or a directive at the top level, found node 'foo' outside the root node"],
      ['/ { a = /bits/ 12 <1>; };', '/bits/ must be 8, 16, 32 or 64, found 12'],
      ['/ { a = <-1>; };', "an expression in a cell list must be in parentheses, found '-'"],
    ];
    for (const [src, message] of cases) {
      const doc = parseDocument('/dts-v1/;\n' + src, 'm.dts');
      const msgs = doc.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message);
      assert.deepStrictEqual(msgs, [message], src);
    }
  });

  it('recovers from three separate errors and keeps the nodes after each', () => {
    const text = [
      '/dts-v1/;', // 1
      '/ {', // 2
      '\ta {', // 3
      '\t\treg = <1 2>', // 4  missing ';'
      '\t\tstatus = "okay";', // 5
      '\t};', // 6
      '\tb {', // 7
      '\t\treg = <1 2;', // 8  unterminated '<'
      '\t\tx = <3>;', // 9
      '\t};', // 10
      '\tc {', // 11
      '\t\tbad = <(1 +)>;', // 12 broken expression
      '\t\ty = <4>;', // 13
      '\t};', // 14
      '\td { z = <5>; };', // 15
      '};', // 16
    ].join('\n');
    const doc = parseDocument(text, 'three.dts');
    assert.deepStrictEqual(
      doc.diagnostics.map((d) => `${at(d)} ${d.severity}`),
      ['4:14 error', '8:13 error', '12:14 error'],
    );
    const r = root(doc);
    assert.deepStrictEqual(r.body.items.map((i) => (i.kind === 'node' ? i.name : '?')), ['a', 'b', 'c', 'd']);
    assert.deepStrictEqual(child(r, 'a').body.items.map((i) => (i.kind === 'property' ? i.name : '?')), ['reg', 'status']);
    assert.deepStrictEqual(child(r, 'b').body.items.map((i) => (i.kind === 'property' ? i.name : '?')), ['reg', 'x']);
    assert.deepStrictEqual(child(r, 'c').body.items.map((i) => (i.kind === 'property' ? i.name : '?')), ['bad', 'y']);
    const status = prop(child(r, 'a'), 'status').values[0];
    assert.ok(status.kind === 'string');
    assert.strictEqual(Buffer.from(status.value).toString(), 'okay');
  });

  it('recovers from a missing value, stray tokens and a missing node name', () => {
    const text = ['/dts-v1/;', '/ {', '\ta = ;', '\t@@@ junk;', '\tb = <1>;', '\t{ c; };', '\td { e; };', '};'].join('\n');
    const doc = parseDocument(text, 'r.dts');
    assert.deepStrictEqual(doc.diagnostics.map((d) => at(d)), ['3:6', '4:6', '6:2']);
    const names = root(doc).body.items.map((i) => (i.kind === 'node' || i.kind === 'property' ? i.name : i.kind));
    assert.deepStrictEqual(names, ['a', 'b', 'd']);
  });

  it('points at the node that probably lacks its closing brace', () => {
    const doc = parseDocument('/dts-v1/;\n/ {\n\ta {\n\t\tx;\n\tb { y; };\n};\n', 'brace.dts');
    assert.deepStrictEqual(doc.diagnostics.map(formatDiagnostic), [
      "brace.dts:6:3: error: expected '}' to close node '/' opened at 2:3, found end of file (node 'a' opened at 3:4 may be missing its '};')",
    ]);
  });

  it('warns about properties after subnodes and duplicate properties; errors on duplicate node names', () => {
    const doc = parseDocument('/dts-v1/;\n/ {\n\tn { };\n\tp = <1>;\n\tp = <2>;\n\tn { };\n};\n', 'w.dts');
    assert.deepStrictEqual(
      doc.diagnostics.map((d) => `${at(d)} ${d.severity} ${d.code}`),
      ['4:2 warning property-after-node', '5:2 warning duplicate-property', '6:2 error duplicate-node'],
    );
    assert.match(doc.diagnostics[1].message, /duplicate property 'p' in node '\/' \(first defined at 4:2\)/);
  });

  it('does not treat a # property at the start of a line as a preprocessor directive', () => {
    const doc = parseDocument('/dts-v1/;\n/ {\n#address-cells = <2>;\n#size-cells = <1>;\n#if-x = <1>;\n};\n', 'h.dts');
    assert.deepStrictEqual(doc.diagnostics, []);
    assert.deepStrictEqual(root(doc).body.items.map((i) => (i.kind === 'property' ? i.name : '?')), ['#address-cells', '#size-cells', '#if-x']);
  });

  it('can keep every token with its range', () => {
    const text = '/dts-v1/;\n/ { l: n@1 { p = <1 &l>, "s"; }; };\n';
    const doc = parseDocument(text, 't.dts', { tokens: true });
    assert.ok(doc.tokens);
    assert.deepStrictEqual(
      doc.tokens.map((t) => `${t.kind}:${t.text}`),
      ['keyword:/dts-v1/', 'punct:;', 'punct:/', 'punct:{', 'label:l:', 'name:n@1', 'punct:{', 'name:p', 'punct:=', 'punct:<', 'number:1', 'ref:&l', 'punct:>', 'punct:,', 'string:"s"', 'punct:;', 'punct:}', 'punct:;', 'punct:}', 'punct:;'],
    );
    for (const t of doc.tokens) assert.strictEqual(text.slice(t.range.start.offset, t.range.end.offset), t.text);
    assert.strictEqual(parseDocument(text, 't.dts').tokens, undefined);
  });

  it('handles CRLF line endings', () => {
    const text = '/dts-v1/;\r\n#define X 5\r\n/ {\r\n\tp = <X>;\r\n\tq = "s";\r\n\tr = <1>\r\n};\r\n';
    const doc = parseDocument(text, 'crlf.dts');
    assert.deepStrictEqual(doc.diagnostics.map((d) => `${at(d)} ${d.message}`), ["6:9 expected ';' after property 'r', found '}'"]);
    const p = prop(root(doc), 'p').values[0];
    assert.ok(p.kind === 'cells' && p.items[0].kind === 'number' && p.items[0].value === 5n);
  });

  it('survives absurd nesting without overflowing the stack', () => {
    const deep = '/dts-v1/;\n/ { ' + 'a { '.repeat(5000) + '}; '.repeat(5000) + '};';
    assert.deepStrictEqual(parseDocument(deep, 'deep.dts').diagnostics.map((d) => d.message), ['nodes nested more than 200 levels deep']);
    const parens = '/dts-v1/;\n/ { p = <' + '('.repeat(5000) + '1' + ')'.repeat(5000) + '>; q; };';
    const doc = parseDocument(parens, 'parens.dts');
    assert.deepStrictEqual(doc.diagnostics.map((d) => d.message), ['expression nested too deeply (more than 200 levels)']);
    assert.deepStrictEqual(root(doc).body.items.map((i) => (i.kind === 'property' ? i.name : '?')), ['p', 'q']);
    const long = '/dts-v1/;\n/ { p = <(' + '1 + '.repeat(5000) + '1)>; };';
    assert.deepStrictEqual(parseDocument(long, 'long.dts').diagnostics.map((d) => d.message), ['expression too complex (more than 2000 terms)']);
  });

  it('handles an empty file and a file of comments', () => {
    assert.deepStrictEqual(parseDocument('', 'e.dts').diagnostics, []);
    const doc = parseDocument('// only\n/* comments */\n', 'e.dts');
    assert.deepStrictEqual(doc.items, []);
    assert.strictEqual(doc.comments.length, 2);
  });
});

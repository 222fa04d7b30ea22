// Tree level: loadDeviceTree (values as blob bytes, merges, deletes, labels, phandles, diagnostics).
import * as assert from 'assert';
import { formatDiagnostic, loadDeviceTree, type DeviceTree, type DtNode, type DtProperty } from '../../emulator/platform/dts';

const noFiles = { readFile: (): string | undefined => undefined };

function load(body: string, file = '/t/main.dts'): DeviceTree {
  return loadDeviceTree('/dts-v1/;\n' + body, file, noFiles);
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
function hex(p: DtProperty): string {
  return Buffer.from(p.bytes).toString('hex');
}
function diags(t: DeviceTree): string[] {
  return t.diagnostics.map(formatDiagnostic);
}
function clean(t: DeviceTree): void {
  assert.deepStrictEqual(diags(t), []);
}

describe('dts tree: values', () => {
  it('encodes cells, strings, byte strings and concatenations like dtc', () => {
    const t = load(`/ {
      cells = <1 0x10 017 'a' '\\n' 0xffffffff>;
      strs = "a", "bc";
      esc = "t\\tq\\"\\x41\\101\\0z";
      bytes = [00 11 2233 aB];
      mixed = "s", <2>, [ff], /bits/ 8 <3>;
      empty;
      suffixes = <10U 10L 10UL 10LL 10ULL 0x10u>;
    };`);
    clean(t);
    const r = t.root;
    assert.strictEqual(hex(prop(r, 'cells')), '00000001' + '00000010' + '0000000f' + '00000061' + '0000000a' + 'ffffffff');
    assert.strictEqual(hex(prop(r, 'strs')), Buffer.from('a\0bc\0').toString('hex'));
    assert.deepStrictEqual(prop(r, 'strs').strings(), ['a', 'bc']);
    assert.strictEqual(Buffer.from(prop(r, 'esc').bytes).toString('latin1'), 't\tq"AA\0z\0');
    assert.strictEqual(hex(prop(r, 'bytes')), '00112233ab');
    assert.strictEqual(hex(prop(r, 'mixed')), '7300' + '00000002' + 'ff' + '03');
    assert.strictEqual(prop(r, 'mixed').valueRanges.length, 4);
    assert.ok(prop(r, 'empty').isEmpty());
    assert.deepStrictEqual(prop(r, 'suffixes').cells(), [10, 10, 10, 10, 10, 16]);
  });

  it('supports /bits/ 8, 16, 32 and 64', () => {
    const t = load(`/ {
      b8 = /bits/ 8 <1 0xff 'x'>;
      b16 = /bits/ 16 <0x1234 2>;
      b32 = /bits/ 32 <5>;
      b64 = /bits/ 64 <0x123456789abcdef0 1>;
    };`);
    clean(t);
    assert.strictEqual(hex(prop(t.root, 'b8')), '01ff78');
    assert.strictEqual(hex(prop(t.root, 'b16')), '12340002');
    assert.strictEqual(hex(prop(t.root, 'b32')), '00000005');
    assert.strictEqual(hex(prop(t.root, 'b64')), '123456789abcdef0' + '0000000000000001');
    assert.strictEqual(prop(t.root, 'b64').u64(0), 0x123456789abcdef0n);
  });

  it('evaluates C expressions with C precedence and dtc (uint64) semantics', () => {
    const cases: [string, bigint][] = [
      ['(1 + 2 * 3)', 7n],
      ['((1 + 2) * 3)', 9n],
      ['(10 - 2 - 3)', 5n],
      ['(1 << 2 + 1)', 8n],
      ['(2 * 3 % 4)', 2n],
      ['(1 | 2 ^ 3 & 4)', 3n],
      ['(6 & 3 == 3)', 0n],
      ['(1 < 2 == 1)', 1n],
      ['(1 || 0 && 0)', 1n],
      ['(0 ? 2 : 0 ? 4 : 5)', 5n],
      ['(1 ? 2 : 3 ? 4 : 5)', 2n],
      ['(!0 + !5)', 1n],
      ['(~0 >> 60)', 15n],
      ['(-1)', (1n << 64n) - 1n],
      ['(-1 >> 63)', 1n],
      ['(7 / 2)', 3n],
      ['(-7 % 3)', ((1n << 64n) - 7n) % 3n],
      ['(0x10 >= 16)', 1n],
      ['(5 != 5)', 0n],
      ["('a' + 1)", 98n],
      ['(1 << 64)', 0n],
      ['(0x100000000 >> 4)', 0x10000000n],
    ];
    const t = load(`/ {\n${cases.map(([e], i) => `e${i} = /bits/ 64 <${e}>;`).join('\n')}\n};`);
    clean(t);
    cases.forEach(([e, v], i) => assert.strictEqual(prop(t.root, `e${i}`).u64(0), v & ((1n << 64n) - 1n), e));
  });

  it('truncates cells to 32 bits with a warning, and reports division by zero', () => {
    const t = load('/ { a = <0x123456789>; b = <(1 / 0)>; c = <(-2)>; d = /bits/ 8 <0x1ff>; };');
    assert.deepStrictEqual(
      t.diagnostics.map((d) => `${d.severity} ${d.message}`),
      [
        'warning value 0x123456789 truncated to 0x23456789 in a 32-bit cell',
        'error division by zero',
        'warning value 0x1ff truncated to 0xff in a 8-bit cell',
      ],
    );
    assert.strictEqual(prop(t.root, 'a').u32(), 0x23456789);
    assert.strictEqual(prop(t.root, 'b').u32(), 0);
    assert.strictEqual(prop(t.root, 'c').u32(), 0xfffffffe); // sign-extended values are not "out of range"
  });

  it('provides accessors that read big-endian cells and strings', () => {
    const t = load('/ { reg = <0x1 0x80000000 0x0 0x1000>; s = "hello"; l = "a", "", "b"; };');
    const reg = prop(t.root, 'reg');
    assert.strictEqual(reg.u32(), 1);
    assert.strictEqual(reg.u32(1), 0x80000000);
    assert.deepStrictEqual(reg.cells(), [1, 0x80000000, 0, 0x1000]);
    assert.strictEqual(reg.u64(0), 0x180000000n);
    assert.strictEqual(reg.u64(2), 0x1000n);
    assert.throws(() => reg.u32(4), RangeError);
    assert.throws(() => reg.u64(3), RangeError);
    assert.strictEqual(prop(t.root, 's').string(), 'hello');
    assert.deepStrictEqual(prop(t.root, 'l').strings(), ['a', '', 'b']);
    assert.strictEqual(reg.isEmpty(), false);
  });
});

describe('dts tree: structure', () => {
  it('builds nodes with names, unit addresses, paths and parents', () => {
    const t = load('/ { soc { dad@10000000 { }; uart@2000 { }; uart@3000 { }; }; };');
    clean(t);
    const dad = node(t, '/soc/dad@10000000');
    assert.strictEqual(dad.name, 'dad@10000000');
    assert.strictEqual(dad.baseName, 'dad');
    assert.strictEqual(dad.unitAddress, '10000000');
    assert.strictEqual(dad.parent?.path, '/soc');
    assert.strictEqual(t.root.path, '/');
    assert.strictEqual(t.root.name, '');
    const soc = node(t, '/soc');
    assert.strictEqual(soc.child('dad'), dad); // unique base name
    assert.strictEqual(soc.child('uart'), undefined); // ambiguous
    assert.strictEqual(soc.child('uart@3000')?.path, '/soc/uart@3000');
    assert.strictEqual(t.byPath('/soc/dad')?.path, '/soc/dad@10000000');
    assert.strictEqual(t.byPath('/nosuch'), undefined);
    assert.strictEqual(t.byPath('/'), t.root);
  });

  it('merges repeated root nodes and &label / &{path} blocks, remembering every definition', () => {
    const t = load(
      [
        '/ {',
        '\tsoc: soc {',
        '\t\tdad: dad@1000 { reg = <1>; status = "disabled"; a; };',
        '\t};',
        '};',
        '/ { model = "m"; soc { extra { }; }; };',
        '&dad { status = "okay"; b; };',
        '&{/soc/dad@1000} { c; };',
        'more: &soc { };',
      ].join('\n'),
    );
    clean(t);
    const dad = node(t, '/soc/dad@1000');
    assert.deepStrictEqual([...dad.properties.keys()], ['reg', 'status', 'a', 'b', 'c']);
    assert.strictEqual(prop(dad, 'status').string(), 'okay');
    assert.strictEqual(prop(dad, 'status').range.start.line, 8);
    assert.deepStrictEqual(dad.definitions.map((r) => r.start.line), [4, 8, 9]);
    assert.deepStrictEqual(t.root.definitions.map((r) => r.start.line), [2, 7]);
    assert.deepStrictEqual(node(t, '/soc').children.map((c) => c.name), ['dad@1000', 'extra']);
    assert.deepStrictEqual(node(t, '/soc').labels, ['soc', 'more']);
    assert.deepStrictEqual([...t.root.properties.keys()], ['model']);
  });

  it('applies /delete-property/ and /delete-node/, in and out of nodes', () => {
    const t = load(
      [
        '/ {',
        '\ta: a { p = <1>; q; };',
        '\tb: b { c { }; d@1 { }; };',
        '\te: e { };',
        '};',
        '&a { /delete-property/ p; };',
        '&b { /delete-node/ d@1; };',
        '/delete-node/ &e;',
        '/ { x = <&e>; };',
      ].join('\n'),
    );
    assert.deepStrictEqual(diags(t), ["/t/main.dts:10:10: error: reference to unknown label 'e'"]);
    assert.deepStrictEqual([...node(t, '/a').properties.keys()], ['q']);
    assert.deepStrictEqual(node(t, '/b').children.map((c) => c.name), ['c']);
    assert.strictEqual(t.byPath('/e'), undefined);
    assert.strictEqual(t.labels.has('e'), false);
    assert.strictEqual(t.labels.get('a')?.path, '/a');
  });

  it('re-adding a deleted node or property starts afresh', () => {
    const t = load('/ { p = <1>; q; n { old; }; };\n/ { /delete-property/ p; p = <2>; /delete-node/ n; n { new; }; };');
    clean(t);
    assert.deepStrictEqual([...node(t, '/n').properties.keys()], ['new']);
    assert.deepStrictEqual([...t.root.properties.keys()], ['q', 'p']);
  });

  it('drops /omit-if-no-ref/ nodes nobody references', () => {
    const t = load(
      [
        '/ {',
        '\t/omit-if-no-ref/ used: used { };',
        '\t/omit-if-no-ref/ unused: unused { };',
        '\tlater: later { };',
        '\tpath: path { };',
        '\tuser { r = <&used>; s = &path; };',
        '};',
        '/omit-if-no-ref/ &later;',
        '/omit-if-no-ref/ &{/path};',
      ].join('\n'),
    );
    clean(t);
    assert.deepStrictEqual(t.root.children.map((c) => c.name), ['used', 'path', 'user']);
    assert.strictEqual(t.labels.has('unused'), false);
  });
});

describe('dts tree: labels, phandles and references', () => {
  it('assigns phandles from 1 in order of first need and adds phandle properties', () => {
    const t = load(
      [
        '/ {',
        '\ta: a { };',
        '\tb: b { };',
        '\tc: c { };',
        '\tuser1 { x = <&b 7 &a>; };',
        '\tuser2 { y = <&b>, <&c>; };',
        '};',
      ].join('\n'),
    );
    clean(t);
    assert.strictEqual(node(t, '/b').phandle, 1);
    assert.strictEqual(node(t, '/a').phandle, 2);
    assert.strictEqual(node(t, '/c').phandle, 3);
    assert.strictEqual(prop(node(t, '/b'), 'phandle').u32(), 1);
    assert.deepStrictEqual(prop(node(t, '/user1'), 'x').cells(), [1, 7, 2]);
    assert.deepStrictEqual(prop(node(t, '/user2'), 'y').cells(), [1, 3]);
    const x = prop(node(t, '/user1'), 'x');
    assert.deepStrictEqual(
      x.refs.map((r) => [r.offset, r.target, r.node?.path, r.range.start.line, r.range.start.col]),
      [
        [0, 'b', '/b', 6, 15],
        [8, 'a', '/a', 6, 20],
      ],
    );
    assert.strictEqual(t.byPhandle(3)?.path, '/c');
    assert.strictEqual(t.byPhandle(4), undefined);
    assert.strictEqual(node(t, '/user1').phandle, undefined);
    assert.strictEqual(node(t, '/user1').properties.has('phandle'), false);
  });

  it('honours explicit phandles and skips their values when assigning', () => {
    const t = load('/ { a: a { phandle = <1>; }; b: b { linux,phandle = <2>; }; c: c { }; u { p = <&c &a &b>; }; };');
    clean(t);
    assert.strictEqual(node(t, '/a').phandle, 1);
    assert.strictEqual(node(t, '/b').phandle, 2);
    assert.strictEqual(node(t, '/c').phandle, 3);
    assert.deepStrictEqual(prop(node(t, '/u'), 'p').cells(), [3, 1, 2]);
    assert.strictEqual(t.byPhandle(2)?.path, '/b');
  });

  it('reports duplicate and invalid explicit phandles', () => {
    const t = load('/ { a { phandle = <5>; }; b { phandle = <5>; }; c { phandle = <0>; }; };');
    assert.deepStrictEqual(
      t.diagnostics.map((d) => d.message),
      ["duplicate phandle 0x5 (also used by '/a')", "'phandle' in '/c' has the invalid value 0x0"],
    );
  });

  it('turns a reference outside cells into the full path string', () => {
    const t = load('/ { soc { u: uart@1000 { }; }; aliases { serial0 = &u; other = &{/soc/uart@1000}; }; chosen { p = "x", &u; }; };');
    clean(t);
    const s = prop(node(t, '/aliases'), 'serial0');
    assert.strictEqual(s.string(), '/soc/uart@1000');
    assert.strictEqual(hex(s), Buffer.from('/soc/uart@1000\0').toString('hex'));
    assert.deepStrictEqual(s.refs.map((r) => [r.offset, r.target, r.node?.path]), [[0, 'u', '/soc/uart@1000']]);
    assert.strictEqual(prop(node(t, '/aliases'), 'other').string(), '/soc/uart@1000');
    const p = prop(node(t, '/chosen'), 'p');
    assert.deepStrictEqual(p.strings(), ['x', '/soc/uart@1000']);
    assert.strictEqual(p.refs[0].offset, 2);
    assert.strictEqual(node(t, '/soc/uart@1000').phandle, undefined); // path references need no phandle
    // byPath through /aliases
    assert.strictEqual(t.byPath('serial0')?.path, '/soc/uart@1000');
    assert.strictEqual(t.byPath('nosuchalias'), undefined);
  });

  it('resolves &{/path} references inside cells', () => {
    const t = load('/ { soc { intc@0 { }; }; dev { ip = <&{/soc/intc@0} 1>; }; };');
    clean(t);
    assert.deepStrictEqual(prop(node(t, '/dev'), 'ip').cells(), [1, 1]);
    assert.strictEqual(prop(node(t, '/dev'), 'ip').refs[0].target, '/soc/intc@0');
  });

  it('resolves references to nodes defined later, and in merged blocks', () => {
    const t = load('/ { dev { ip = <&late>; }; };\n/ { late: late { }; };');
    clean(t);
    assert.deepStrictEqual(prop(node(t, '/dev'), 'ip').cells(), [1]);
  });

  it('exposes node labels and property labels', () => {
    const t = load('/ { l1: l2: n { pl: p = <1>; }; };\n&l1 { l3: q; };');
    clean(t);
    assert.deepStrictEqual(node(t, '/n').labels, ['l1', 'l2']);
    assert.deepStrictEqual([...t.labels.keys()], ['l1', 'l2']);
    assert.deepStrictEqual(prop(node(t, '/n'), 'p').labels, ['pl']);
    assert.deepStrictEqual(prop(node(t, '/n'), 'q').labels, ['l3']);
  });

  it('reports unknown labels and paths, and duplicate labels, at the reference', () => {
    const t = load(
      [
        '/ {',
        '\tdup: a { };',
        '\tdup: b { };',
        '\tc { x = <&nosuch>; y = &{/no/path}; };',
        '\tv: d { w: p; };',
        '\te { z = x: <1>; };',
        '};',
        '&missing { };',
        '/delete-node/ &gone;',
      ].join('\n'),
    );
    assert.deepStrictEqual(diags(t), [
      "/t/main.dts:4:2: error: duplicate label 'dup': already defined on '/a' at /t/main.dts:3:2",
      "/t/main.dts:5:11: error: reference to unknown label 'nosuch'",
      "/t/main.dts:5:25: error: reference to unknown path '/no/path'",
      "/t/main.dts:9:1: error: reference to unknown label 'missing'",
      "/t/main.dts:10:15: error: reference to unknown label 'gone'",
    ]);
    const x = prop(node(t, '/c'), 'x');
    assert.deepStrictEqual(x.cells(), [0xffffffff]);
    assert.strictEqual(x.refs[0].node, undefined);
  });

  it('reports labels shared by a node and a property', () => {
    const t = load('/ { l: a { l: p; }; };');
    assert.deepStrictEqual(diags(t), ["/t/main.dts:2:12: error: duplicate label 'l': already defined on node '/a'"]);
  });

  it('keeps the memreserve list', () => {
    const t = loadDeviceTree('/dts-v1/;\n/memreserve/ 0x80000000 0x10000;\n/memreserve/ (1 << 32) 0x2000;\n/ { };\n', 'm.dts', noFiles);
    clean(t);
    assert.deepStrictEqual(
      t.memreserve.map((m) => [m.address, m.size, m.range.start.line]),
      [
        [0x80000000n, 0x10000n, 2],
        [0x100000000n, 0x2000n, 3],
      ],
    );
  });

  it('warns when /dts-v1/ is missing', () => {
    const t = loadDeviceTree('/ { };', 'nov.dts', noFiles);
    assert.deepStrictEqual(diags(t), ["nov.dts:1:1: warning: missing '/dts-v1/;' at the start of the file"]);
  });

  it('turns /plugin/ merges into overlay fragments, allowing unresolved labels', () => {
    const t = loadDeviceTree('/dts-v1/;\n/plugin/;\n&i2c1 { dev@50 { reg = <0x50>; ip = <&gic 1>; }; };\n&{/soc} { x; };\n', 'o.dtso', noFiles);
    clean(t);
    assert.strictEqual(t.isPlugin, true);
    assert.deepStrictEqual(t.root.children.map((c) => c.name), ['fragment@0', 'fragment@1']);
    const f0 = node(t, '/fragment@0');
    assert.deepStrictEqual(prop(f0, 'target').cells(), [0xffffffff]);
    assert.strictEqual(prop(f0, 'target').refs[0].target, 'i2c1');
    assert.strictEqual(prop(node(t, '/fragment@1'), 'target-path').string(), '/soc');
    assert.ok(t.byPath('/fragment@0/__overlay__/dev@50'));
  });
});

describe('dts tree: a realistic platform', () => {
  const platform = `/dts-v1/;
/memreserve/ 0x9f000000 0x01000000;

/ {
	model = "DMA Lab reference platform";
	compatible = "dmalab,ref-platform";
	#address-cells = <2>;
	#size-cells = <2>;
	interrupt-parent = <&gic>;

	aliases {
		serial0 = &uart0;
	};

	chosen {
		stdout-path = "serial0:115200n8";
	};

	memory@80000000 {
		device_type = "memory";
		reg = <0x0 0x80000000 0x0 0x40000000>;
	};

	soc: soc {
		compatible = "simple-bus";
		#address-cells = <1>;
		#size-cells = <1>;
		ranges = <0x0 0x0 0x0 0xffffffff>;
		dma-ranges;

		gic: interrupt-controller@8000000 {
			compatible = "arm,gic-v3";
			#interrupt-cells = <3>;
			interrupt-controller;
			reg = <0x8000000 0x10000>, <0x80a0000 0xf60000>;
		};

		smmu: iommu@9050000 {
			compatible = "arm,smmu-v3";
			reg = <0x9050000 0x20000>;
			#iommu-cells = <1>;
			interrupts = <0 74 1>, <0 75 1>;
		};

		uart0: serial@9000000 {
			compatible = "arm,pl011";
			reg = <0x9000000 0x1000>;
			interrupts = <0 1 4>;
		};

		dad: dma-controller@10000000 {
			compatible = "dmalab,dad";
			reg = <0x10000000 0x1000>;
			interrupts = <0 (32 - 32 + 40) 4>;
			iommus = <&smmu 0x10>;
			dmalab,dma-bits = <40>;
			dma-coherent;
			#dma-cells = <1>;
		};
	};
};

&dad {
	status = "okay";
};
`;

  it('loads cleanly and exposes what a platform model needs', () => {
    const t = loadDeviceTree(platform, '/plat/ref.dts', noFiles);
    clean(t);
    const dad = node(t, '/soc/dma-controller@10000000');
    assert.strictEqual(prop(dad, 'compatible').string(), 'dmalab,dad');
    assert.deepStrictEqual(prop(dad, 'reg').cells(), [0x10000000, 0x1000]);
    assert.deepStrictEqual(prop(dad, 'interrupts').cells(), [0, 40, 4]);
    assert.strictEqual(prop(dad, 'iommus').refs[0].node, node(t, '/soc/iommu@9050000'));
    assert.strictEqual(prop(dad, 'dmalab,dma-bits').u32(), 40);
    assert.strictEqual(prop(dad, 'status').string(), 'okay');
    assert.strictEqual(dad.definitions.length, 2);
    assert.strictEqual(t.labels.get('dad'), dad);
    assert.strictEqual(t.byPath('serial0')?.name, 'serial@9000000');
    assert.strictEqual(prop(node(t, '/memory@80000000'), 'reg').u64(2), 0x40000000n);
    // gic is needed first (root's interrupt-parent), then smmu.
    assert.strictEqual(node(t, '/soc/interrupt-controller@8000000').phandle, 1);
    assert.strictEqual(node(t, '/soc/iommu@9050000').phandle, 2);
    assert.deepStrictEqual(t.memreserve.map((m) => [m.address, m.size]), [[0x9f000000n, 0x01000000n]]);
    assert.deepStrictEqual(t.files, ['/plat/ref.dts']);
  });
});

// Completion at the LSP level: compatibles of the built-in models, property names that fit the
// node (standard ones and the dmalab knobs), labels after `&`, dma-names values for the dmas entries.
import * as assert from 'assert';
import type { CompletionItem, TextEdit } from 'vscode-languageserver';
import { DEVICE_MODEL_NAMES } from '../../emulator/devices/registry';
import { LspClient, fixture, textAt, uriOf } from './client';

const labels = (items: CompletionItem[]): string[] => items.map((i) => i.label);

describe('lsp: completion', () => {
  let c: LspClient;
  before(async () => (c = await LspClient.start()));
  after(async () => c.stop());

  /** Opens `text` with the cursor where `|` is, and completes there. */
  async function complete(text: string, name: string): Promise<{ items: CompletionItem[]; text: string }> {
    const at = text.indexOf('|');
    const clean = text.slice(0, at) + text.slice(at + 1);
    const uri = uriOf(`/virtual/${name}.dts`);
    await c.open(uri, clean);
    const before = clean.slice(0, at);
    const pos = { line: before.split('\n').length - 1, character: at - (before.lastIndexOf('\n') + 1) };
    return { items: await c.completion(uri, pos), text: clean };
  }

  const base = fixture('arm64-smmu-noncoherent').text;

  it('compatibles of the built-in device models inside compatible = "...', async () => {
    const { items, text } = await complete(base.replace('compatible = "qemu,edu";', 'compatible = "qe|";'), 'compat');
    for (const m of DEVICE_MODEL_NAMES) assert.ok(labels(items).includes(m), `missing ${m}`);
    const edu = items.find((i) => i.label === 'qemu,edu')!;
    assert.strictEqual(edu.detail, 'device model');
    const mid = await complete(base.replace('compatible = "qemu,edu";', 'compatible = "qe|mu,edu";'), 'compat-mid');
    assert.strictEqual(textAt(mid.text, (mid.items.find((i) => i.label === 'qemu,edu')!.textEdit as TextEdit).range), 'qemu,edu');
    assert.match(JSON.stringify(edu.documentation), /QEMU’s edu device/);
    assert.strictEqual(textAt(text, (edu.textEdit as TextEdit).range), 'qe');
    // infrastructure compatibles come after the models
    const simpleBus = items.find((i) => i.label === 'simple-bus')!;
    assert.ok(simpleBus.sortText! > edu.sortText!);
  });

  it('property names that fit the node: device knobs on a device, root knobs at the root, nothing already there', async () => {
    const dev = await complete(base.replace('\t\t\tdmalab,bandwidth = <1000>;', '\t\t\tdmalab,bandwidth = <1000>;\n\t\t\tdma|'), 'props-dev');
    const names = labels(dev.items);
    for (const p of ['dma-coherent', 'dma-noncoherent', 'dmas', 'dma-names', 'memory-region', 'status']) assert.ok(names.includes(p), `missing ${p}`);
    assert.ok(!names.includes('dmalab,dma-bits'), 'present already');
    assert.ok(!names.includes('dmalab,baud'), 'a uart knob on an edu');
    assert.ok(!names.includes('dmalab,arch'), 'a root knob on a device');
    const coherent = dev.items.find((i) => i.label === 'dma-coherent')!;
    assert.strictEqual((coherent.textEdit as TextEdit).newText, 'dma-coherent;');
    assert.strictEqual(textAt(dev.text, (coherent.textEdit as TextEdit).range), 'dma');
    assert.strictEqual(coherent.insertTextFormat, 2);
    assert.ok(names.includes('interrupt-names'), 'fits a device');
    assert.ok(!names.includes('interrupts') && !names.includes('iommus'), 'present already');
    assert.ok(!names.includes('no-map') && !names.includes('#iommu-cells'), 'for other kinds of node');

    const uart = await complete(base.replace('\t\t\tdmalab,baud = <3000000>;', '\t\t\t|'), 'props-uart');
    assert.ok(labels(uart.items).includes('dmalab,baud'));
    assert.ok(labels(uart.items).includes('dmalab,rx-bytes'));
    assert.strictEqual((uart.items.find((i) => i.label === 'dmalab,baud')!.textEdit as TextEdit).newText, 'dmalab,baud = <$1>;');

    const root = await complete(base.replace('\tdmalab,bus-bandwidth = <16000>;', '\t|'), 'props-root');
    const r = labels(root.items);
    assert.ok(r.includes('dmalab,bus-bandwidth'));
    assert.ok(!r.includes('dmalab,arch'), 'present already');
    assert.ok(!r.includes('dmalab,dma-bits'), 'a device knob at the root');
    assert.ok(!r.includes('dmalab,swiotlb-size'), 'a /chosen knob at the root');

    // over the rest of an existing name: the name alone, the value stays
    const rename = await complete(base.replace('\t\t\tdmalab,bandwidth = <1000>;', '\t\t\tdmalab,band|w = <1000>;'), 'props-rename');
    const bw = rename.items.find((i) => i.label === 'dmalab,bandwidth')!;
    assert.strictEqual((bw.textEdit as TextEdit).newText, 'dmalab,bandwidth');
    assert.strictEqual(bw.insertTextFormat, 1);
    assert.strictEqual(textAt(rename.text, (bw.textEdit as TextEdit).range), 'dmalab,bandw');

    const chosen = await complete(base.replace('\t\tdmalab,swiotlb-size = <0x04000000>;', '\t\t|'), 'props-chosen');
    assert.ok(labels(chosen.items).includes('dmalab,swiotlb-size'));
    assert.ok(labels(chosen.items).includes('stdout-path'));
  });

  it('labels after &', async () => {
    const { items, text } = await complete(base.replace('iommus = <&smmu 0x101>;', 'iommus = <&sm| 0x101>;'), 'labels');
    assert.deepStrictEqual(labels(items).sort(), ['dad', 'dmac', 'edu', 'gic', 'nic', 'smmu', 'uart0']);
    const smmu = items.find((i) => i.label === 'smmu')!;
    assert.strictEqual(smmu.detail, '/iommu@9050000');
    assert.strictEqual(textAt(text, (smmu.textEdit as TextEdit).range), 'sm');
    // a new reference block at the top level too
    const top = await complete(`${base}\n&|`, 'labels-top');
    assert.ok(labels(top.items).includes('uart0'));
    // and paths after &{
    const paths = await complete(base.replace('interrupt-parent = <&gic>;', 'interrupt-parent = <&{/so|}>;'), 'paths');
    assert.ok(labels(paths.items).includes('/soc/dma-controller@10200000'));
    // `{` asks only after `&`
    const brace = await complete(base.replace('\tsoc {', '\tsoc {|'), 'brace');
    assert.deepStrictEqual(brace.items, []);
  });

  it('dma-names values for the dmas entries the controller offers', async () => {
    const first = await complete(base.replace('dma-names = "tx", "rx";', 'dma-names = "|";'), 'dma-names');
    assert.deepStrictEqual(labels(first.items), ['tx', 'rx']);
    const tx = first.items.find((i) => i.label === 'tx')!;
    assert.strictEqual(tx.preselect, true);
    assert.match(tx.detail!, /^dmas entry 0: dmac \(\/soc\/dma-controller@10200000\) <0 1>/);
    assert.match(JSON.stringify(tx.documentation), /request line: 0/);
    const second = await complete(base.replace('dma-names = "tx", "rx";', 'dma-names = "tx", "|";'), 'dma-names-2');
    assert.deepStrictEqual(labels(second.items), ['rx']);
    assert.match(second.items[0].detail!, /^dmas entry 1: dmac .*<1 1>/);
    // a client of the same controller is offered the names its other clients use
    const other = await complete(
      base.replace('\t\t/* A UART whose', '\t\tother@10400000 {\n\t\t\treg = <0x10400000 0x100>;\n\t\t\tdmas = <&dmac 5 1>;\n\t\t\tdma-names = "|";\n\t\t};\n\n\t\t/* A UART whose'),
      'dma-names-3',
    );
    assert.ok(labels(other.items).includes('tx'));
    assert.match(other.items.find((i) => i.label === 'tx')!.detail!, /used by other clients of this controller/);
  });

  it('the choices of string properties', async () => {
    const { items } = await complete(base.replace('compatible = "qemu,edu";', 'compatible = "qemu,edu";\n\t\t\tstatus = "|";'), 'status');
    assert.deepStrictEqual(labels(items), ['okay', 'disabled', 'reserved', 'fail']);
    const arch = await complete(base.replace('dmalab,arch = "arm64";', 'dmalab,arch = "|";'), 'arch');
    assert.deepStrictEqual(labels(arch.items), ['x86_64', 'arm64', 'arm']);
  });
});

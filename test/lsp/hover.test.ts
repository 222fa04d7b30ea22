// Hover at the LSP level: on a node, its binding and what the emulator resolved (bus addresses,
// DMA mask and reach, coherency, IOMMU and domain, bounce pool, interrupt line, DMA channels);
// on a property, what it means here; on a label reference, the target node.
import * as assert from 'assert';
import { LspClient, hoverText, messageOf, fixture, positionOf, textAt, uriOf } from './client';

describe('lsp: hover', () => {
  let c: LspClient;
  const arm64 = fixture('arm64-smmu-noncoherent');
  const arm32 = fixture('arm32-swiotlb');
  const x86 = fixture('x86-64-vtd');
  before(async () => {
    c = await LspClient.start();
    for (const p of [arm64, arm32, x86]) await c.open(p.uri, p.text);
  });
  after(async () => c.stop());

  const hover = async (p: { uri: string; text: string }, needle: string, delta = 1, nth = 0): Promise<string> =>
    hoverText(await c.hover(p.uri, positionOf(p.text, needle, delta, nth)));

  it('a device behind an IOMMU: binding, MMIO, irq, coherency, stream id and domain, mask, no bounce', async () => {
    const h = await c.hover(arm64.uri, positionOf(arm64.text, 'dad@10000000 {', 2));
    assert.ok(h);
    assert.strictEqual(textAt(arm64.text, h.range!), 'dad@10000000');
    const s = hoverText(h);
    assert.match(s, /\*\*dad@10000000\*\* `\/soc\/dad@10000000` — label `dad`/);
    assert.match(s, /device model `dmalab,dad`: DMA Acquisition Device/);
    assert.match(s, /Linux device `10000000\.dad`/);
    assert.match(s, /MMIO 0x10000000-0x10000fff \(4 KiB\)/);
    assert.match(s, /irq 72 \(GIC SPI 40, level\)/);
    assert.match(s, /non-coherent DMA \(the arm64 default\)/);
    assert.match(s, /IOMMU `smmu` \(Arm SMMUv3, 9050000\.iommu\), stream id 0x100, IOMMU domain 1/);
    assert.match(s, /DMA mask 0xffffffff \(32-bit, the default until the driver calls `dma_set_mask`\)/);
    assert.match(s, /the device drives 32 address bits/);
    assert.match(s, /reach: any RAM page, mapped at an IOVA/);
    assert.match(s, /bounce pool: none needed/);
    assert.match(s, /DMA bandwidth 4000 MB\/s/);
  });

  it('a device without an IOMMU: dma-ranges windows, bus limit, the RAM out of reach, the swiotlb pool', async () => {
    const s = await hover(arm32, 'dad@1c000000 {');
    assert.match(s, /non-coherent DMA \(the arm default\)/);
    assert.match(s, /reach with this mask: RAM 0x80000000-0x9fffffff \(512 MiB\) at bus 0x0; out of reach \(bounced\): 256 MiB of the bank at 0x880000000/);
    assert.match(s, /dma-ranges windows bus 0x0 → CPU 0x80000000 \(512 MiB\), bus limit 0x20000000/);
    assert.match(s, /bounce pool: swiotlb 0x8f000000-0x8fffffff \(16 MiB\)/);
    assert.match(s, /irq 76 \(GIC SPI 44, level\)/);
  });

  it('DMA channels by name, and the controller’s dmaengine devices', async () => {
    const uart = await hover(arm32, 'serial@1c200000 {');
    assert.match(uart, /DMA channels: `tx` → `dmac` \(dma-controller@1c300000, arm,pl080\): request line 0, AHB masters .* 1; `rx` → `dmac` .*request line 1/);
    const dmac = await hover(arm32, 'dma-controller@1c300000 {');
    assert.match(dmac, /device model `arm,pl080`/);
    assert.match(dmac, /dmaengine `dma0` \(dma-pl08x\): 8 channels, .*MEMCPY/i);
    assert.match(dmac, /dmaengine `dma1` \(dma-pl08x\): 16 channels, .*SLAVE/i);
    // the controller's window where peripherals appear at their own addresses
    assert.match(dmac, /bus 0x1c000000 → CPU 0x1c000000/);
  });

  it('coherency from dma-coherent on a bus; the IOMMU node lists its devices and domains', async () => {
    const dad = await hover(x86, 'dad@fe000000 {');
    assert.match(dad, /coherent DMA \(`dma-coherent` on \/bus@fe000000\): no cache maintenance/);
    assert.match(dad, /Intel VT-d, dmar0\), stream id 0x8/);
    assert.match(dad, /irq 16 \(level\)/);
    const dmar = await hover(x86, 'iommu@fed90000');
    assert.match(dmar, /Intel VT-d `dmar0`: second-level page tables/);
    assert.match(dmar, /`fe000000\.dad` \(stream id 0x8, domain 1\), `fe100000\.edu` \(stream id 0x10, domain 2\)/);
  });

  it('the root node: RAM, ZONE_DMA, where the swiotlb landed, the cache', async () => {
    const s = hoverText(await c.hover(arm32.uri, positionOf(arm32.text, '/ {')));
    assert.match(s, /`DMA Lab 32-bit Arm board, LPAE, swiotlb, no IOMMU`, arch `arm`/);
    assert.match(s, /RAM 0x80000000-0x9fffffff \(512 MiB\), 0x880000000-0x88fffffff \(256 MiB\)/);
    assert.match(s, /swiotlb 0x8f000000-0x8fffffff \(16 MiB\), 8192 slots/);
    assert.match(s, /data cache 512 KiB, 64-byte lines/);
  });

  it('a property: its meaning and its value decoded where it is', async () => {
    const reg = await hover(arm32, 'reg = <0x1c000000 0x1000>;', 1);
    assert.match(reg, /\*\*reg\*\* — Register windows/);
    assert.match(reg, /1 address cell \+ 1 size cell per entry \(#address-cells, #size-cells of `\/soc`\)/);
    assert.match(reg, /entry 0: 0x1c000000, size 0x1000 \(4 KiB\)/);
    const dr = await hover(arm32, 'dma-ranges = <0x00000000', 1);
    assert.match(dr, /bus 0x0 → CPU side 0x80000000, 448 MiB/);
    const bits = await hover(arm64, 'dmalab,dma-bits = <28>', 3);
    assert.match(bits, /Address bits the device drives on the bus: one 32-bit cell, 1 to 64/);
    assert.match(bits, /value 28 \(allowed 1 to 64\)/);
    const names = await hover(arm64, 'dma-names', 2);
    assert.match(names, /`"tx"` → `\/soc\/dma-controller@10200000` <0 1>/);
    const ints = await hover(arm64, 'interrupts = <0 43 4>', 2);
    assert.match(ints, /interrupt parent `\/interrupt-controller@8000000`, 3 cells per specifier/);
    assert.match(ints, /Linux irq 75 \(level\)/);
    const compat = await hover(arm64, '"qemu,edu"', 2);
    assert.match(compat, /`"qemu,edu"`: a built-in device model/);
  });

  it('a label reference: the node it names', async () => {
    const h = await c.hover(arm64.uri, positionOf(arm64.text, '&smmu 0x101', 2));
    assert.ok(h);
    assert.strictEqual(textAt(arm64.text, h.range!), '&smmu');
    const s = hoverText(h);
    assert.match(s, /^`&smmu` → `\/iommu@9050000` \(line 50\)/);
    assert.match(s, /Arm SMMUv3 `9050000\.iommu`/);
    const label = await hover(arm64, 'uart0: serial', 1);
    assert.match(label, /label `uart0` → `\/soc\/serial@10300000`, referenced 0 times/);
    const dmac = await hover(arm64, 'dmac: dma-controller', 1);
    assert.match(dmac, /referenced 2 times/);
  });

  it('reserved regions: the pool kind and who uses it', async () => {
    const text = fixture('arm64-smmu-noncoherent').text.replace(
      '\tsoc {',
      `\treserved-memory {
		#address-cells = <2>;
		#size-cells = <2>;
		ranges;

		tlb: tlb@60000000 {
			compatible = "restricted-dma-pool";
			reg = <0x0 0x60000000 0x0 0x400000>;
		};
	};

	soc {`,
    ).replace('iommus = <&smmu 0x101>;', 'memory-region = <&tlb>;');
    const uri = uriOf('/virtual/pools.dts');
    const ds = await c.open(uri, text);
    assert.deepStrictEqual(ds.map(messageOf), []);
    const pool = hoverText(await c.hover(uri, positionOf(text, 'tlb@60000000', 1)));
    assert.match(pool, /restricted DMA pool \(a private swiotlb\) 0x60000000-0x603fffff \(4 MiB\)/);
    assert.match(pool, /used by `10100000\.edu`/);
    const edu = hoverText(await c.hover(uri, positionOf(text, 'edu@10100000', 1)));
    assert.match(edu, /bounce pool: restricted-dma-pool `tlb@60000000` 0x60000000-0x603fffff \(4 MiB\): every streaming mapping bounces/);
  });
});

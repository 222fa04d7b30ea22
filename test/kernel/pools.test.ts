// Coherent memory: reserved-memory pools (shared-dma-pool, restricted-dma-pool), dma pools,
// coherent buffers' CPU mappings, and what the DMA layer says about mapping sizes.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { boot, device } from '../helpers/kernel';
import { bindKernel } from '../../emulator/api/current';
import * as linux from '../../emulator/api/linux/index';
import { Kernel } from '../../emulator/kernel/kernel';
import { loadPlatform } from '../../emulator/runner/platforms';

function platformWithPools(): string {
  const src = fs.readFileSync(path.join(__dirname, '..', '..', 'platforms', 'arm32-swiotlb.dts'), 'utf8');
  const text = src
    .replace(
      /chosen \{/,
      `reserved-memory {
		#address-cells = <2>;
		#size-cells = <1>;
		ranges;
		dadpool: pool@88000000 { compatible = "shared-dma-pool"; reg = <0x0 0x88000000 0x100000>; no-map; };
		edutlb: tlb@88100000 { compatible = "restricted-dma-pool"; reg = <0x0 0x88100000 0x400000>; };
	};

	chosen {`,
    )
    .replace(/(dad: dad@1c000000 \{)/, '$1\n\t\t\tmemory-region = <&dadpool>;')
    .replace(/(edu: edu@1c100000 \{)/, '$1\n\t\t\tmemory-region = <&edutlb>;');
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dmalab-')), 'pools.dts');
  fs.writeFileSync(file, text);
  return file;
}

describe('coherent memory and pools', () => {
  afterEach(() => bindKernel(undefined));

  it('dma_alloc_coherent comes from the device shared-dma-pool, mapped uncached', () => {
    const k = new Kernel(loadPlatform(platformWithPools()), { seed: 1, checks: true });
    bindKernel(k);
    const dad = device(k, 'dad');
    const buf = linux.dma_alloc_coherent(dad, 8192, linux.GFP_KERNEL)!;
    const phys = k.as.translate(buf.cpu.kva)!;
    assert.ok(phys.phys >= 0x8800_0000 && phys.phys < 0x8810_0000, 'from the pool');
    assert.strictEqual(phys.cached, false, 'no-map pool reached through an uncached remap');
    assert.strictEqual(buf.dma, BigInt(phys.phys - 0x8000_0000), 'bus address through dma-ranges');
    buf.cpu.write32(0, 0x12345678);
    assert.strictEqual(k.cache.state(phys.phys), 'invalid', 'uncached: nothing enters the cache');
    linux.dma_free_coherent(dad, 8192, buf.cpu, buf.dma);
    assert.deepStrictEqual(k.findings.map((f) => f.id), []);
  });

  it('a restricted-dma-pool device bounces every streaming mapping through its own pool', () => {
    const k = new Kernel(loadPlatform(platformWithPools()), { seed: 1, checks: true });
    bindKernel(k);
    const edu = device(k, 'edu');
    assert.strictEqual(edu.dma.forceBounce, true);
    const p = linux.kmalloc(512, linux.GFP_KERNEL | linux.GFP_DMA)!; // reachable, but must still bounce
    const dma = linux.dma_map_single(edu, p, 512, linux.DMA_TO_DEVICE);
    assert.strictEqual(linux.dma_mapping_error(edu, dma), 0);
    const cpu = Number(dma) + 0x8000_0000;
    assert.ok(cpu >= 0x8810_0000 && cpu < 0x8850_0000, `bounced into the restricted pool (got ${cpu.toString(16)})`);
    linux.dma_unmap_single(edu, dma, 512, linux.DMA_TO_DEVICE);
  });

  it('dma pools hand out aligned blocks that never cross the boundary, and take them back', () => {
    const k = boot('arm64-smmu-noncoherent');
    const dad = device(k, 'dad');
    const pool = linux.dma_pool_create('desc', dad, 48, 64, 256)!;
    const blocks = Array.from({ length: 40 }, () => linux.dma_pool_alloc(pool, linux.GFP_KERNEL)!);
    for (const b of blocks) {
      assert.strictEqual(Number(b.dma) % 64, 0);
      assert.strictEqual(Math.floor(Number(b.dma) / 256), Math.floor((Number(b.dma) + 47) / 256));
    }
    assert.strictEqual(new Set(blocks.map((b) => b.dma)).size, 40);
    for (const b of blocks) linux.dma_pool_free(pool, b.cpu, b.dma);
    linux.dma_pool_destroy(pool);
    assert.strictEqual(k.debug!.entries(dad).length, 0, 'the pool gave its pages back');
    assert.strictEqual(linux.dma_pool_create('bad', dad, 48, 3, 0), null, 'alignment must be a power of two');
  });

  it('dma_max_mapping_size and dma_opt_mapping_size follow the path a device takes', () => {
    const arm32 = boot('arm32-swiotlb');
    assert.strictEqual(linux.dma_max_mapping_size(device(arm32, 'dad')), 256 * 1024, 'swiotlb bounces: 128 slots of 2 KiB');
    const x86 = boot('x86-64-vtd');
    assert.strictEqual(linux.dma_max_mapping_size(device(x86, 'dad')), Number.MAX_SAFE_INTEGER);
    assert.strictEqual(linux.dma_opt_mapping_size(device(x86, 'dad')), 128 * 1024, 'the IOVA caches top out at 128 KiB');
  });

  it('dma_set_mask refuses a mask that cannot reach ZONE_DMA (-EIO) and accepts the device limit', () => {
    const k = boot('arm32-swiotlb');
    const edu = device(k, 'edu');
    assert.strictEqual(linux.dma_set_mask_and_coherent(edu, linux.DMA_BIT_MASK(24)), -linux.EIO);
    assert.strictEqual(linux.dma_set_mask_and_coherent(edu, linux.DMA_BIT_MASK(28)), 0);
    assert.strictEqual(linux.dma_get_mask(edu), 0x0fff_ffffn);
  });
});

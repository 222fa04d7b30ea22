// What the memory view opens on: a memory reference, the Variables view's context argument, a row
// of the live mappings (hand-made or a `dmalab/mappings` row), and what the user types.
import * as assert from 'assert';
import { isMemoryReference, normaliseReference, parseAddressInput, parseOpenArgument } from '../../src/memory-view/args';

describe('memory view: opening arguments', () => {
  it('a memory reference string, in each form', () => {
    assert.deepStrictEqual(parseOpenArgument('0xFFFF0008BFFF8000'), { target: { memoryReference: '0xffff0008bfff8000', device: undefined } });
    assert.deepStrictEqual(parseOpenArgument(' phys:0x8ffff8000 '), { target: { memoryReference: 'phys:0x8ffff8000', device: undefined } });
    assert.deepStrictEqual(parseOpenArgument('iova:dad:0xfffff000'), { target: { memoryReference: 'iova:dad:0xfffff000', device: 'dad' } });
    assert.deepStrictEqual(parseOpenArgument('iova:dad@1c000000:4096'), { target: { memoryReference: 'iova:dad@1c000000:0x1000', device: 'dad@1c000000' } });
    assert.match((parseOpenArgument('dad') as { error: string }).error, /not a memory reference/);
    assert.match((parseOpenArgument('phys:0x1fffffffffffffff') as { error: string }).error, /not a memory reference/);
    assert.deepStrictEqual(parseOpenArgument(undefined), { ask: true });
    assert.deepStrictEqual(parseOpenArgument(''), { ask: true });
  });

  it('the Variables view context argument: the variable\'s memory reference', () => {
    const arg = { sessionId: 's1', container: { name: 'Local', variablesReference: 3, expensive: false }, variable: { name: 'buffer', value: '0xffff0008bfff8000 (phys 0x8ffff8000, kmalloc-4k object +0 of 4096 bytes)', memoryReference: '0xffff0008bfff8000', variablesReference: 0 } };
    assert.deepStrictEqual(parseOpenArgument(arg), { target: { memoryReference: '0xffff0008bfff8000', device: undefined } });
    const none = parseOpenArgument({ sessionId: 's1', container: {}, variable: { name: 'count', value: '4096', variablesReference: 0 } });
    assert.match((none as { error: string }).error, /count has no memory reference/);
  });

  it('a mapping row: the CPU buffer with its device and size; a scatter-gather list by its DMA address', () => {
    assert.deepStrictEqual(parseOpenArgument({ cpu: '0xffff0008bfff8000', phys: '0x8ffff8000', device: 'dad@10000000', dma: '0xfffff000', size: 4096 }), {
      target: { memoryReference: '0xffff0008bfff8000', device: 'dad@10000000', length: 4096 },
    });
    // a `dmalab/mappings` row as the DMA panel has it
    const row = { id: 1, device: 'dad@10000000', type: 'single', dir: 'DMA_FROM_DEVICE', dma: '0xfffff000', size: 4096, cpuPhys: ['0x8ffff8000+4096'], cpuVa: '0xffff0008bfff8000', owner: 'device' };
    assert.deepStrictEqual(parseOpenArgument(row), { target: { memoryReference: '0xffff0008bfff8000', device: 'dad@10000000', length: 4096 } });
    const sg = { ...row, type: 'sg', cpuPhys: ['0x8ffff8000+512', '0x8ffe00000+4096'], size: 4608 };
    assert.deepStrictEqual(parseOpenArgument(sg), { target: { memoryReference: 'iova:dad@10000000:0xfffff000', device: 'dad@10000000', length: 4608 } });
    assert.deepStrictEqual(parseOpenArgument({ phys: '0x80000000+64', size: '64' }), { target: { memoryReference: 'phys:0x80000000', device: undefined, length: 64 } });
    assert.deepStrictEqual(parseOpenArgument({ dma: 0xf000, device: 'edu' }), { target: { memoryReference: 'iova:edu:0xf000', device: 'edu', length: undefined } });
    assert.deepStrictEqual(parseOpenArgument({ memoryReference: 'phys:4096', device: 'dad', length: 1e9 }), { target: { memoryReference: 'phys:0x1000', device: 'dad', length: 65536 } });
    assert.match((parseOpenArgument({ dma: '0xf000' }) as { error: string }).error, /no device/);
    assert.match((parseOpenArgument({ device: 'dad' }) as { error: string }).error, /no address/);
    assert.match((parseOpenArgument(42) as { error: string }).error, /cannot open/);
  });

  it('typed addresses: hex or decimal, an optional length, clear refusals', () => {
    assert.deepStrictEqual(parseAddressInput('0x8ffff8000'), { address: '0x8ffff8000' });
    assert.deepStrictEqual(parseAddressInput('phys:0x8FFFF8000 4096', 'phys:'), { address: '0x8ffff8000', length: 4096 });
    assert.deepStrictEqual(parseAddressInput('0x8000_0000+0x100'), { address: '0x80000000', length: 256 });
    assert.deepStrictEqual(parseAddressInput('4096, 16'), { address: '0x1000', length: 16 });
    assert.match((parseAddressInput('') as { error: string }).error, /Type an address/);
    assert.match((parseAddressInput('8ffff8000') as { error: string }).error, /write it as 0x8ffff8000/);
    assert.match((parseAddressInput('dad') as { error: string }).error, /write it as 0xdad/);
    assert.match((parseAddressInput('0xzz') as { error: string }).error, /is not an address/);
    assert.match((parseAddressInput('0x1000 0') as { error: string }).error, /at least 1 byte/);
    assert.match((parseAddressInput('0x1000 100000') as { error: string }).error, /at most 65536/);
    assert.match((parseAddressInput('0x20000000000000') as { error: string }).error, /beyond the emulated address space/);
    assert.ok(isMemoryReference('iova:dad:0x10') && !isMemoryReference('iova:0x10'));
    assert.strictEqual(normaliseReference('0x1_0000'), '0x10000');
    // digits-free hex and a bare separator are refused, not thrown
    assert.match((parseAddressInput('0x_') as { error: string }).error, /is not an address/);
    assert.match((parseAddressInput('0x1000 0x_') as { error: string }).error, /is not an address/);
    assert.strictEqual(normaliseReference('phys:0x_'), undefined);
    assert.strictEqual(normaliseReference(' iova:10000000.dad:4_096 '), 'iova:10000000.dad:0x1000');
    assert.strictEqual(normaliseReference('0x1_0000_0000_0000_0000'), undefined, 'beyond 64 bits');
  });
});

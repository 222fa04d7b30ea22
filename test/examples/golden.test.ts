// Golden traces of every correct example on each platform it names: the DMA events of the run
// (maps, unmaps, syncs, allocations, bounces, transfers, interrupts, faults, findings) in
// virtual-time order, with the device, without addresses (they move whenever a platform gains a
// device). A change in how the engine maps, bounces, times or attributes a flow shows as a diff.
// Regenerate after an intended change with
//   DMALAB_UPDATE_GOLDEN=1 npx mocha --no-config -r esbuild-register --extension ts test/examples/golden.test.ts
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { runScript } from '../../emulator/runner/run';
import type { TraceEvent } from '../../emulator/trace/events';
import { readHeader } from '../helpers/example-header';

const dir = path.join(__dirname, '..', '..', 'examples');
const goldenDir = path.join(__dirname, 'golden');
const update = process.env.DMALAB_UPDATE_GOLDEN === '1';

function line(e: TraceEvent): string | undefined {
  const t = `${(e.t / 1000).toFixed(3).padStart(10)} us ${(e.device || 'kernel').padEnd(18)}`;
  switch (e.kind) {
    case 'dma-map':
      return `${t} map      ${e.api} ${e.size} ${e.dir}${e.bounced ? ' bounced' : ''}`;
    case 'dma-unmap':
      return `${t} unmap    ${e.api} ${e.size} ${e.dir}`;
    case 'dma-sync':
      return `${t} sync     ${e.api} ${e.size} ${e.dir} for ${e.forCpu ? 'cpu' : 'device'}`;
    case 'dma-alloc':
      return `${t} ${e.free ? 'free ' : 'alloc'}    ${e.api} ${e.size}`;
    case 'bounce':
      return `${t} bounce   ${e.dir} ${e.size}`;
    case 'transfer-start':
      return `${t} start    ${e.label} ${e.size}`;
    case 'transfer-complete':
      return `${t} complete ${e.label} ${e.done}/${e.size}${e.ok ? '' : ' failed'}`;
    case 'interrupt':
      return `${t} irq      ${e.handled ? 'handled' : 'not handled'}`;
    case 'iommu-fault':
      return `${t} fault    ${e.reason}`;
    case 'finding':
      return `${t} finding  ${e.finding.id}`;
    default:
      return undefined;
  }
}

describe('golden traces of the examples', () => {
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.ts'))) {
    const example = path.join(dir, f);
    for (const platform of readHeader(example).platforms) {
      it(`${f} on ${platform}`, async () => {
        const r = await runScript({ script: example, platform });
        assert.strictEqual(r.error, undefined, r.error?.message);
        const text = r.kernel!.trace.events.flatMap((e) => line(e) ?? []).join('\n') + '\n';
        const file = path.join(goldenDir, `${f.replace(/\.ts$/, '')}.${platform}.txt`);
        if (update) {
          fs.writeFileSync(file, text);
          return;
        }
        assert.ok(fs.existsSync(file), `no golden trace ${path.relative(process.cwd(), file)}: run with DMALAB_UPDATE_GOLDEN=1 to create it`);
        assert.strictEqual(text, fs.readFileSync(file, 'utf8'), `the trace differs from ${path.basename(file)} (DMALAB_UPDATE_GOLDEN=1 to accept an intended change)`);
      });
    }
  }
});

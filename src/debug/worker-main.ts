/**
 * The debuggee: a worker thread that runs the emulator and the driver script (one run), with
 * the probe installed. It tells the adapter where the bundle is, waits for "go" (breakpoints
 * set), runs the lifecycle, and reports how it ended.
 */
import { parentPort, workerData } from 'worker_threads';
import { pathToFileURL } from 'url';
import * as fs from 'fs';
import { runScript } from '../../emulator/runner/run';
import { apiModules } from '../../emulator/api/linux-face';
import { toChromeTrace } from '../../emulator/trace/chrome-trace';
import { Probe } from './probe';
import type { AdapterToWorker, LaunchConfig, WorkerToAdapter } from './protocol';

const port = parentPort!;
const cfg = workerData as LaunchConfig;
let probe: Probe | undefined;
const post = (m: WorkerToAdapter) => port.postMessage(m);
const hook = (name: string) => probe?.onCall(name);
/** Stop when an error ends the run (the "uncaught" exception filter). */
let uncaught = true;
port.on('message', (m: { type: string; uncaught?: boolean }) => {
  if (m.type === 'uncaught') uncaught = !!m.uncaught;
});

function waitForGo(): Promise<AdapterToWorker> {
  return new Promise((resolve) => {
    const on = (m: AdapterToWorker) => {
      if (m.type !== 'go') return;
      port.off('message', on);
      resolve(m);
    };
    port.on('message', on);
  });
}

async function main(): Promise<void> {
  const r = await runScript({
    script: cfg.program,
    platform: cfg.platform,
    seed: cfg.seed,
    modules: apiModules(hook),
    onKernel: (k) => {
      probe = new Probe(k, port);
      (globalThis as Record<string, unknown>).__dmalab = probe;
      k.trace.subscribe(probe.onEvent);
    },
    onScriptError: (e, location) => {
      if (!uncaught) return;
      const err = e as Error;
      probe?.pauseFor({ reason: 'exception', description: `${err?.name ?? 'Error'}: ${err?.message ?? String(e)}`, site: location });
    },
    beforeLoad: async (bundle) => {
      post({ type: 'bundle', filename: bundle.filename, url: pathToFileURL(bundle.filename).href, entry: bundle.entry, map: bundle.mapJson });
      const go = await waitForGo();
      probe!.setFilters(go.filters);
      probe!.setFunctionBreakpoints(go.functions);
      uncaught = go.uncaught;
    },
  });
  probe?.flushMemory();
  if (cfg.trace && r.kernel) fs.writeFileSync(cfg.trace, JSON.stringify(toChromeTrace(r.kernel.trace.events, `dmalab debug ${cfg.program}`)));
  const summary = r.findings.length
    ? `${r.findings.filter((f) => f.severity === 'error').length} DMA-API error(s), ${r.findings.filter((f) => f.severity !== 'error').length} warning(s)`
    : 'no DMA-API findings';
  post({ type: 'output', category: r.exitCode ? 'important' : 'console', text: `run finished: ${summary}, exit status ${r.exitCode}\n` });
  post({ type: 'exit', exitCode: r.exitCode, error: r.error ? { message: r.error.message, location: r.error.location, stack: r.error.stack } : undefined });
}

main().catch((e) => post({ type: 'exit', exitCode: 2, error: { message: `internal error: ${(e as Error).stack ?? e}` } }));

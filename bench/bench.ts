/**
 * `npm run bench`: the engine's speed, as ratios against baselines measured in the same process
 * (so figures compare across machines), plus absolute rates. `-- --json` prints one JSON object;
 * `-- --only nic,lsp` runs just the workloads whose metric names contain one of those words.
 *
 * Each workload is a driver script under bench/scripts run by the real runner; the harness times
 * the stretch between the script's "bench:begin" and "bench:end" log lines (wall clock stays out
 * of the scripts and out of the tests).
 */
import * as fs from 'fs';
import { spawnSync } from 'child_process';
import * as path from 'path';
import { performance } from 'perf_hooks';
import { runScript } from '../emulator/runner/run';
import { packageRoot } from '../emulator/runner/package-root';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { servePort } from '../src/debug/server';
import { DMA_FILTERS } from '../src/debug/protocol';
import { lspDiagnosticsMs } from '../src/language/bench';
import type { Server } from 'net';
import { createRequire } from 'module';
import { panelSnapshot, type PanelWire } from '../emulator/inspect/panel-snapshot';
import { unpackPanel } from '../src/panel/wire';
import { Panel } from '../src/panel/webview/panel';

let adapter: { server: Server; port: number } | undefined;

/** The adapter as VS Code's inline factory would run it: in this process, one session per client. */
async function dapClient(): Promise<DebugClient> {
  if (!adapter) {
    let server!: Server;
    const port = await new Promise<number>((resolve) => (server = servePort(0, resolve)));
    adapter = { server, port };
  }
  const dc = new DebugClient('node', 'unused', 'dmalab');
  dc.defaultTimeout = 60000;
  await dc.start(adapter.port);
  return dc;
}

/** Launch the dad example with a breakpoint at its read path; time to the first stop, then step round trips. */
async function debugLatency(): Promise<{ firstStop: number; step: number }> {
  const dad = path.join(packageRoot(), 'examples', 'dad.ts');
  const line = fs.readFileSync(dad, 'utf8').split('\n').findIndex((l: string) => l.includes('count = Math.min(count, DAD_BLOCK);')) + 1;
  const dc = await dapClient();
  const t0 = performance.now();
  const stopped = dc.waitForEvent('stopped');
  const initialized = dc.waitForEvent('initialized');
  const launched = dc.launch({ program: dad, platform: 'arm64-smmu-noncoherent' });
  await initialized;
  await dc.setBreakpointsRequest({ source: { path: dad }, breakpoints: [{ line }] });
  await dc.configurationDoneRequest();
  await launched;
  await stopped;
  const firstStop = performance.now() - t0;
  await dc.setBreakpointsRequest({ source: { path: dad }, breakpoints: [] });
  const steps: number[] = [];
  for (let i = 0; i < 8; i++) {
    const t = performance.now();
    const s = dc.waitForEvent('stopped');
    await dc.nextRequest({ threadId: 1 });
    await s;
    await dc.stackTraceRequest({ threadId: 1 });
    steps.push(performance.now() - t);
  }
  await dc.stop();
  return { firstStop, step: median(steps) };
}

/** Wall time between the script's bench:begin and bench:end output lines, run under the debugger. */
async function debugRun(script: string, platform: string, filters: boolean): Promise<number> {
  const dc = await dapClient();
  let begin = 0;
  let end = 0;
  dc.on('output', (e) => {
    const text = String(e.body.output);
    if (text.includes('bench:begin')) begin = performance.now();
    if (text.includes('bench:end')) end = performance.now();
  });
  const exited = dc.waitForEvent('exited');
  const initialized = dc.waitForEvent('initialized');
  const launched = dc.launch({ program: path.join(packageRoot(), 'bench', 'scripts', script), platform });
  await initialized;
  if (filters) await dc.setExceptionBreakpointsRequest({ filters: [], filterOptions: DMA_FILTERS.map((f) => ({ filterId: f.filter, condition: 'size < 0' })) });
  await dc.configurationDoneRequest();
  await launched;
  await exited;
  await dc.stop();
  if (!end) throw new Error(`${script} under the debugger did not finish`);
  return end - begin;
}

interface Measure {
  ms: number;
  count: number;
}

async function timeScript(script: string, platform: string, checks = true, record = false): Promise<Measure> {
  let begin = 0;
  let end = 0;
  let count = 0;
  const r = await runScript({
    script: path.join(packageRoot(), 'bench', 'scripts', script),
    platform: platform.endsWith('.dts') ? path.join(packageRoot(), 'bench', 'platforms', platform) : platform,
    checks,
    onKernel: (k) => {
      k.trace.subscribe((e) => {
        if (e.kind !== 'log') return;
        if (e.text === 'bench:begin') begin = performance.now();
        else if (e.text.startsWith('bench:end')) {
          end = performance.now();
          count = Number(e.text.split(' ')[1]);
        }
      });
      k.trace.record = record;
    },
  });
  if (r.exitCode !== 0 || !end) throw new Error(`bench script ${script} on ${platform} failed: ${r.error?.message ?? r.findings.map((f) => f.id).join(', ')}`);
  return { ms: end - begin, count };
}

/**
 * The DMA panel with 10,000 live mappings (bench/scripts/panel-mappings.ts, behind the SMMU): at the
 * script's "panel:ready" line, time the snapshot the adapter serves, its JSON round trip (what
 * crosses from the worker to the webview), and the webview's unpacking and first render of it in
 * jsdom (the virtualized tables draw only their visible rows). Median of several runs; the first, with cold
 * caches (source locations resolved, JIT), reported beside it.
 */
async function panelSnapshotMs(runs = 9, warmup = 2): Promise<{ ms: number; first: number; snapshot: number; json: number; render: number; mb: number }> {
  // jsdom is loaded at run time (it cannot be bundled: it reads its own files)
  const { JSDOM } = createRequire(__filename)('jsdom') as typeof import('jsdom');
  const doc = new JSDOM('<!DOCTYPE html><html><body></body></html>', { pretendToBeVisual: true }).window.document;
  const total: number[] = [];
  const parts = { snapshot: [] as number[], json: [] as number[], render: [] as number[] };
  let mb = 0;
  const r = await runScript({
    script: path.join(packageRoot(), 'bench', 'scripts', 'panel-mappings.ts'),
    platform: 'arm64-smmu-noncoherent',
    onKernel: (k) => {
      k.trace.subscribe((e) => {
        if (e.kind !== 'log' || !e.text.startsWith('panel:ready')) return;
        for (let i = 0; i < warmup + runs; i++) {
          const t0 = performance.now();
          const snap = panelSnapshot(k, {}, { reason: 'event', filter: 'dma-map', description: 'bench' }, e);
          const t1 = performance.now();
          const text = JSON.stringify(snap);
          const received = unpackPanel(JSON.parse(text) as PanelWire);
          const t2 = performance.now();
          doc.body.replaceChildren();
          const panel = new Panel(doc, () => undefined);
          doc.body.appendChild(panel.root);
          panel.update({ state: 'paused', text: 'Paused' }, received);
          const t3 = performance.now();
          if (doc.querySelectorAll('[data-mapping-id]').length > 40 || received.mappings.length !== 10_000) throw new Error('the panel bench did not render 10,000 virtualized mappings');
          total.push(t3 - t0);
          parts.snapshot.push(t1 - t0);
          parts.json.push(t2 - t1);
          parts.render.push(t3 - t2);
          mb = text.length / 1e6;
        }
      });
    },
  });
  if (r.exitCode !== 0 || !total.length) throw new Error(`bench script panel-mappings.ts failed: ${r.error?.message ?? r.findings.map((f) => f.id).join(', ')}`);
  const warm = (xs: number[]) => median(xs.slice(warmup));
  return { ms: warm(total), first: total[0], snapshot: warm(parts.snapshot), json: warm(parts.json), render: warm(parts.render), mb };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function best<T>(n: number, f: () => Promise<T>, key: (t: T) => number): Promise<T> {
  const runs: T[] = [];
  for (let i = 0; i < n; i++) runs.push(await f());
  const m = median(runs.map(key));
  return runs.find((r) => key(r) === m)!;
}

/** Baseline: Buffer.copy of `bytes`, MB/s (median of runs). */
function memcpyMBps(bytes: number): number {
  const src = Buffer.alloc(bytes, 7);
  const dst = Buffer.alloc(bytes);
  const times: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t = performance.now();
    src.copy(dst);
    times.push(performance.now() - t);
  }
  return bytes / 1e6 / (median(times) / 1000);
}

/** Baseline: Map set+delete pairs per second (a unit of JS bookkeeping cost on this machine). */
function mapOpsPerS(): number {
  const m = new Map<number, number>();
  const n = 2_000_000;
  const times: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t = performance.now();
    for (let i = 0; i < n; i++) {
      m.set(i & 1023, i);
      m.delete((i + 512) & 1023);
    }
    times.push(performance.now() - t);
  }
  return n / (median(times) / 1000);
}

/** A wrong command line: said in one line, without a stack. */
class UsageError extends Error {}

interface Row {
  name: string;
  value: number;
  unit: string;
  target: string;
  ok: boolean;
  note: string;
}

/** One timed run in a new process, as `dmalab run` would start (see --cold-run below). */
function coldCli(script: string, platform: string): number {
  const r = spawnSync(process.execPath, [__filename, '--cold-run', script, platform], { encoding: 'utf8' });
  const m = /cold-ms (\d+(?:\.\d+)?)/.exec(r.stdout);
  if (!m) throw new Error(`cold run of ${script} failed: ${r.stderr || r.stdout}`);
  return Number(m[1]);
}

async function main(): Promise<void> {
  const cold = process.argv.indexOf('--cold-run');
  if (cold >= 0) {
    const m = await timeScript(process.argv[cold + 1], process.argv[cold + 2], true, true);
    process.stdout.write(`cold-ms ${m.ms}\n`);
    return;
  }
  const json = process.argv.includes('--json');
  const onlyAt = process.argv.indexOf('--only');
  const only = onlyAt >= 0 ? (process.argv[onlyAt + 1] ?? '').split(',').filter(Boolean) : [];
  /** Each workload and the rows it yields; `--only a,b` runs those whose row names contain a or b. */
  const groups: { rows: string[]; measure: () => Promise<Row[]> }[] = [
    {
      rows: ['dma_bulk_vs_memcpy'],
      measure: async () => {
        const bulk = await best(3, () => timeScript('dad-bulk.ts', 'arm64-smmu-noncoherent'), (m) => m.ms);
        const bulkMBps = bulk.count / 1e6 / (bulk.ms / 1000);
        return [{ name: 'dma_bulk_vs_memcpy', value: bulkMBps / memcpy, unit: 'ratio', target: '>= 0.5', ok: bulkMBps / memcpy >= 0.5, note: `${bulkMBps.toFixed(0)} MB/s emulated dad RD through the SMMU vs Buffer.copy ${memcpy.toFixed(0)} MB/s` }];
      },
    },
    {
      rows: ['dmaengine_memcpy_vs_memcpy'],
      measure: async () => {
        const copy = await best(3, () => timeScript('dmaengine-memcpy.ts', 'x86-64-vtd'), (m) => m.ms);
        const copyMBps = copy.count / 1e6 / (copy.ms / 1000);
        return [{ name: 'dmaengine_memcpy_vs_memcpy', value: copyMBps / memcpy, unit: 'ratio', target: '>= 0.5', ok: copyMBps / memcpy >= 0.5, note: `${copyMBps.toFixed(0)} MB/s of dmatest-style dmaengine memcpys (256 MiB in 4 MiB copies, I/OAT-like engine behind VT-d) vs Buffer.copy ${memcpy.toFixed(0)} MB/s` }];
      },
    },
    {
      rows: ['nic_rx_packets_per_s'],
      measure: async () => {
        const nic = await best(3, () => timeScript('nic-rx.ts', 'x86-64-vtd'), (m) => m.ms);
        const nicRate = nic.count / (nic.ms / 1000);
        return [{ name: 'nic_rx_packets_per_s', value: nicRate, unit: 'pkts/s', target: '>= 200000', ok: nicRate >= 200_000, note: `${nic.count} 64-byte frames at 10 Gb/s through a 256-descriptor dmalab,nic receive ring behind VT-d, checks on: the nic-ring.ts receive path with rx-copybreak (bench/scripts/nic-rx.ts)` }];
      },
    },
    {
      rows: ['map_unmap_iommu_per_s', 'map_unmap_iommu_checks_off_per_s', 'map_unmap_iommu_noncoherent_per_s', 'map_unmap_direct_per_s'],
      measure: async () => {
        const rate = async (platform: string, checks = true): Promise<number> => {
          const m = await best(3, () => timeScript('map-unmap.ts', platform, checks), (x) => x.ms);
          return m.count / (m.ms / 1000);
        };
        const iommuRate = await rate('x86-64-vtd');
        const iommuOffRate = await rate('x86-64-vtd', false);
        const iommuArmRate = await rate('arm64-smmu-noncoherent');
        const directRate = await rate('x86-64-noiommu.dts');
        return [
          { name: 'map_unmap_iommu_per_s', value: iommuRate, unit: 'pairs/s', target: '>= 300000', ok: iommuRate >= 300_000, note: `x86-64-vtd, checks on; ${(iommuRate / mapOps).toFixed(3)} per Map set+delete pair` },
          { name: 'map_unmap_iommu_checks_off_per_s', value: iommuOffRate, unit: 'pairs/s', target: '(info)', ok: true, note: 'the same with the checker off: what the call-site capture of each map costs' },
          { name: 'map_unmap_iommu_noncoherent_per_s', value: iommuArmRate, unit: 'pairs/s', target: '(info)', ok: true, note: 'arm64-smmu-noncoherent, with cache maintenance' },
          { name: 'map_unmap_direct_per_s', value: directRate, unit: 'pairs/s', target: '(info)', ok: true, note: `dma-direct, checks on; ${(directRate / mapOps).toFixed(3)} per Map set+delete pair` },
        ];
      },
    },
    {
      rows: ['checks_on_vs_off'],
      measure: async () => {
        const on = await best(3, () => timeScript('dad-reads.ts', 'arm64-smmu-noncoherent', true), (m) => m.ms);
        const off = await best(3, () => timeScript('dad-reads.ts', 'arm64-smmu-noncoherent', false), (m) => m.ms);
        return [{ name: 'checks_on_vs_off', value: on.ms / off.ms, unit: 'ratio', target: '<= 2.0', ok: on.ms / off.ms <= 2.0, note: `${on.count} dad reads of 4 KiB checked byte by byte: ${on.ms.toFixed(0)} ms vs ${off.ms.toFixed(0)} ms` }];
      },
    },
    {
      rows: ['launch_to_first_stop_ms', 'step_roundtrip_ms'],
      measure: async () => {
        const lat = await best(3, debugLatency, (x) => x.firstStop);
        const stepMs = median([lat.step, (await debugLatency()).step, (await debugLatency()).step]);
        return [
          { name: 'launch_to_first_stop_ms', value: lat.firstStop, unit: 'ms', target: '<= 1000', ok: lat.firstStop <= 1000, note: 'launch → breakpoint in dad.ts read path (worker start, bundle, boot, probe, first read)' },
          { name: 'step_roundtrip_ms', value: stepMs, unit: 'ms', target: '<= 50', ok: stepMs <= 50, note: 'next → stopped → stackTrace, median' },
        ];
      },
    },
    {
      rows: ['events_no_breakpoints_vs_cli', 'events_filters_unmatched_vs_cli'],
      measure: async () => {
        // the CLI as users run it: a fresh process (cold JIT, like the debugger's fresh worker), every
        // event recorded; then the debugger as users iterate with it (the adapter stays up between
        // sessions, each session a fresh worker). Medians of five: single runs vary by about 15 %
        const cliRuns: number[] = [];
        const plainRuns: number[] = [];
        const filterRuns: number[] = [];
        for (let i = 0; i < 5; i++) cliRuns.push(coldCli('dad-reads.ts', 'arm64-smmu-noncoherent'));
        for (let i = 0; i < 5; i++) plainRuns.push(await debugRun('dad-reads.ts', 'arm64-smmu-noncoherent', false));
        for (let i = 0; i < 5; i++) filterRuns.push(await debugRun('dad-reads.ts', 'arm64-smmu-noncoherent', true));
        const cli = median(cliRuns);
        const dbgPlain = median(plainRuns);
        const dbgFilters = median(filterRuns);
        return [
          { name: 'events_no_breakpoints_vs_cli', value: dbgPlain / cli, unit: 'ratio', target: '<= 1.1', ok: dbgPlain / cli <= 1.1, note: `dad-reads under the debugger, no breakpoints: ${dbgPlain.toFixed(0)} ms vs a fresh CLI process ${cli.toFixed(0)} ms` },
          { name: 'events_filters_unmatched_vs_cli', value: dbgFilters / cli, unit: 'ratio', target: '<= 1.5', ok: dbgFilters / cli <= 1.5, note: `every DMA filter on, condition never true: ${dbgFilters.toFixed(0)} ms` },
        ];
      },
    },
    {
      rows: ['panel_snapshot_10k_mappings_ms'],
      measure: async () => {
        const panel = await panelSnapshotMs();
        return [{ name: 'panel_snapshot_10k_mappings_ms', value: panel.ms, unit: 'ms', target: '<= 100', ok: panel.ms <= 100, note: `DMA panel, 10,000 live mappings behind the SMMU: snapshot ${panel.snapshot.toFixed(0)} ms + JSON round trip ${panel.json.toFixed(0)} ms (${panel.mb.toFixed(1)} MB) + unpack and first render in jsdom ${panel.render.toFixed(0)} ms, median of 9 after 2 warm-up runs; the first run (cold) ${panel.first.toFixed(0)} ms` }];
      },
    },
    {
      rows: ['lsp_diagnostics_5k_lines_ms'],
      measure: async () => {
        const lsp = await lspDiagnosticsMs(5000);
        return [{ name: 'lsp_diagnostics_5k_lines_ms', value: lsp.ms, unit: 'ms', target: '<= 100', ok: lsp.ms <= 100, note: `language server: didChange → publishDiagnostics of a ${lsp.lines}-line platform (parse, resolve, platform model, checks, protocol), median` }];
      },
    },
  ];
  const chosen = only.length ? groups.filter((g) => g.rows.some((r) => only.some((o) => r.includes(o)))) : groups;
  if (chosen.length === 0) throw new UsageError(`--only ${only.join(',')}: no metric matches; the metrics are ${groups.flatMap((g) => g.rows).join(', ')}`);
  // the baselines, measured in this process before the workloads (the groups read them when they run)
  const memcpy = memcpyMBps(64 << 20);
  const mapOps = mapOpsPerS();
  const rows: Row[] = [];
  for (const g of chosen) rows.push(...(await g.measure()));
  adapter?.server.close();

  if (json) {
    process.stdout.write(JSON.stringify({ baseline: { memcpy_MBps: memcpy, map_ops_per_s: mapOps }, results: Object.fromEntries(rows.map((r) => [r.name, { value: r.value, unit: r.unit, target: r.target, ok: r.ok, note: r.note }])) }, null, 2) + '\n');
    return;
  }
  const fmt = (v: number): string => (v >= 1000 ? Math.round(v).toLocaleString('en-US') : v.toFixed(3));
  process.stdout.write(`baseline: Buffer.copy ${memcpy.toFixed(0)} MB/s, Map set+delete ${Math.round(mapOps).toLocaleString('en-US')} pairs/s\n\n`);
  process.stdout.write(`${'metric'.padEnd(36)} ${'value'.padStart(12)} ${'unit'.padEnd(8)} ${'target'.padEnd(10)} ok  note\n`);
  for (const r of rows) process.stdout.write(`${r.name.padEnd(36)} ${fmt(r.value).padStart(12)} ${r.unit.padEnd(8)} ${r.target.padEnd(10)} ${r.ok ? 'yes' : 'NO '} ${r.note}\n`);
}

main().then(() => process.exit(process.exitCode ?? 0)).catch((e) => {
  process.stderr.write(e instanceof UsageError ? `bench: ${e.message}\n` : `bench failed: ${(e as Error).stack ?? e}\n`);
  process.exitCode = 1;
});

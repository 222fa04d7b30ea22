/**
 * Run a driver script on a platform: boot the machine and kernel, bundle and load the script,
 * bind the driver to matching devices and probe, run the scenario (or until the machine is idle),
 * remove, check for leaks, report. Virtual time advances only through events; the script's
 * promise continuations run between them, so a run is deterministic for a given seed.
 */
import * as path from 'path';
import * as vm from 'vm';
import { createRequire } from 'module';
import { Kernel } from '../kernel/kernel';
import { KernelOops } from '../kernel/cpu';
import { setCallerDepth, setFrameResolver } from '../kernel/call-site';
import type { Finding, SourceLocation } from '../kernel/findings';
import type { Platform } from '../platform/model';
import { API_MODULES } from '../api/linux-face';
import { bindKernel } from '../api/current';
import { PLATFORM_DRIVER, PlatformDriver } from '../api/linux/driver';
import { asPlatformDriver } from '../api/ddi/adapter';
import { Bundle, bundleScript, mapStack, ScriptCompileError, scriptFrame } from './bundle';
import { apiImportProblems } from './api-imports';
import { loadPlatform, PlatformError, DEFAULT_PLATFORM } from './platforms';
import { makeSys, Sys } from './sys';
import { packageRoot } from './package-root';
import { SyscallError } from '../kernel/chardev';

export type { Bundle };

export interface RunOptions {
  script: string;
  platform?: string;
  seed?: number;
  /** DMA-API checker on (default) or off (measurements only). */
  checks?: boolean;
  /** Virtual-time budget of the whole run, ns (default 60 s). */
  timeLimitNs?: number;
  /** Called with the kernel before the script loads (debugger, tests). */
  onKernel?: (k: Kernel) => void;
  /** The API modules the script imports (the debugger passes hooked ones); default: the plain faces. */
  modules?: Record<string, object>;
  /** Called when a script error ends the run, before the report (the debugger stops here). */
  onScriptError?: (error: unknown, location: SourceLocation | undefined) => void;
  /** Called once the script is bundled, before it runs (the debugger sets its breakpoints here). */
  beforeLoad?: (b: Bundle, k: Kernel) => void | Promise<void>;
}

export type Phase = 'setup' | 'compile' | 'load' | 'probe' | 'scenario' | 'idle' | 'remove';

export interface RunError {
  phase: Phase;
  message: string;
  location?: SourceLocation;
  stack?: string;
}

export interface RunResult {
  exitCode: 0 | 1 | 2;
  platform?: Platform;
  kernel?: Kernel;
  findings: Finding[];
  error?: RunError;
  /** Virtual time at the end, ns. */
  endTime: number;
}

const DEFAULT_LIMIT_NS = 60e9;

type Settled<T> = { status: 'ok'; value: T } | { status: 'error'; error: unknown } | { status: 'hung' } | { status: 'timeout' };

const yieldToMicrotasks = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * Drive virtual time until `p` settles. Hardware events run in time order; whenever one wakes a
 * sleeper, promise continuations get to run before time moves on.
 */
export async function driveUntil<T>(k: Kernel, p: Promise<T> | T, limitNs: number): Promise<Settled<T>> {
  let out: Settled<T> | undefined;
  Promise.resolve(p).then(
    (value) => (out = { status: 'ok', value }),
    (error) => (out = { status: 'error', error }),
  );
  const sched = k.machine.sched;
  for (;;) {
    await yieldToMicrotasks();
    if (out) return out;
    let ran = false;
    try {
      while (!out) {
        if (!sched.step(limitNs)) break;
        ran = true;
        if (k.takeWoke()) break;
      }
    } catch (error) {
      return { status: 'error', error };
    }
    if (out) return out;
    if (!ran) {
      await yieldToMicrotasks();
      if (out) return out;
      return sched.peekTime() === undefined ? { status: 'hung' } : { status: 'timeout' };
    }
  }
}

/** Run until no hardware event is pending (or the limit): the lifecycle without a scenario. */
async function driveIdle(k: Kernel, limitNs: number): Promise<Settled<void>> {
  const sched = k.machine.sched;
  try {
    for (;;) {
      await yieldToMicrotasks();
      let ran = false;
      while (sched.step(limitNs)) {
        ran = true;
        if (k.takeWoke()) break;
      }
      if (!ran) {
        await yieldToMicrotasks();
        return sched.peekTime() === undefined ? { status: 'ok', value: undefined } : { status: 'timeout' };
      }
    }
  } catch (error) {
    return { status: 'error', error };
  }
}

export async function runScript(opts: RunOptions): Promise<RunResult> {
  const limit = opts.timeLimitNs ?? DEFAULT_LIMIT_NS;
  let platform: Platform;
  try {
    platform = loadPlatform(opts.platform ?? DEFAULT_PLATFORM);
  } catch (e) {
    return fail('setup', e instanceof PlatformError ? e.message : String((e as Error).message ?? e), undefined);
  }
  let bundle: Bundle;
  try {
    bundle = await bundleScript(opts.script);
  } catch (e) {
    if (e instanceof ScriptCompileError) return fail('compile', e.message, e.location, platform);
    return fail('compile', (e as Error).message, undefined, platform);
  }
  const modules = opts.modules ?? API_MODULES;
  const problems = apiImportProblems(bundle, modules);
  if (problems.length) {
    // the first problem's location leads the report; the others carry their own
    const rest = problems.slice(1).map((p) => `\n${p.location ? `${p.location.file}:${p.location.line}:${p.location.column}: ` : ''}${p.message}`);
    return fail('compile', problems[0].message + rest.join(''), problems[0].location, platform);
  }

  const k = new Kernel(platform, { seed: opts.seed ?? 1, checks: opts.checks ?? true });
  setFrameResolver((frames) => scriptFrame(bundle, frames));
  // hooked API faces (the debugger's) put a wrapper frame between the script and the API function
  setCallerDepth(opts.modules ? 2 : 1);
  bindKernel(k);
  opts.onKernel?.(k);
  const rejections: unknown[] = [];
  const onRejection = (r: unknown): void => {
    rejections.push(r);
  };
  process.on('unhandledRejection', onRejection);
  const hide = packageRoot();
  const scriptError = (phase: Phase, e: unknown): RunResult => {
    const err = e as Error;
    const stack = typeof err?.stack === 'string' ? mapStack(bundle, err.stack, hide) : undefined;
    const location = locationFromStack(stack);
    opts.onScriptError?.(e, location);
    const kind = err instanceof KernelOops ? 'kernel oops' : err instanceof SyscallError ? 'system call failed' : 'script error';
    const message = `${kind} during ${phase}: ${err?.message ?? String(e)}`;
    k.log(undefined, 'err', message.split('\n')[0]);
    return { exitCode: 2, platform, kernel: k, findings: k.findings, error: { phase, message, location, stack }, endTime: k.now };
  };

  try {
    // load the script
    const mod = { exports: {} as Record<string, unknown> };
    const userRequire = createRequire(bundle.entry);
    const req = (id: string): unknown => {
      if (id in modules) return modules[id];
      return userRequire(id);
    };
    if (opts.beforeLoad) await opts.beforeLoad(bundle, k);
    try {
      const fn = vm.compileFunction(bundle.code, ['exports', 'require', 'module', '__filename', '__dirname'], { filename: bundle.filename });
      fn(mod.exports, req, mod, bundle.entry, path.dirname(bundle.entry));
    } catch (e) {
      return scriptError('load', e);
    }
    // a ddi_driver(...) is bound like a platform driver: attach as probe, detach as remove
    const driver = asPlatformDriver(mod.exports.default ?? mod.exports.driver) as PlatformDriver | undefined;
    if (!driver || !(driver as unknown as Record<symbol, unknown>)[PLATFORM_DRIVER]) {
      return fail('load', `${opts.script}: the default export must be a driver: \`export default platform_driver({ name, of_match_table, probe, remove })\` or \`export default ddi_driver({ name, compatible, attach, detach })\``, { file: bundle.entry, line: 1, column: 1 }, platform, k);
    }
    const devices = k.drivers.match(driver);
    if (devices.length === 0) {
      const compat = driver.of_match_table.map((c) => (typeof c === 'string' ? c : c.compatible)).join(', ');
      const have = [...new Set(k.devices.flatMap((d) => d.desc.compatible))].join(', ');
      return fail('probe', `no device on platform ${platform.name} matches the driver's of_match_table [${compat}] (devices: ${have || 'none'})`, undefined, platform, k);
    }

    // probe
    for (const dev of devices) {
      const r = await driveUntil(k, k.drivers.probe(driver, dev), limit);
      const bad = settledProblem(r, `probe of ${dev.name}`, k);
      if (bad) return bad === 'error' && r.status === 'error' ? scriptError('probe', r.error) : fail('probe', bad, waitSite(k), platform, k);
      if (rejections.length) return scriptError('probe', rejections[0]);
    }

    // scenario, or let the machine run until idle
    const scenario = mod.exports.scenario as ((sys: Sys) => unknown) | undefined;
    if (typeof scenario === 'function') {
      const sys = makeSys(k);
      const r = await driveUntil(k, k.drivers.tasks.enter(k.chardev.process('scenario').task, () => scenario(sys)), limit);
      const bad = settledProblem(r, 'the scenario', k);
      if (bad) return bad === 'error' && r.status === 'error' ? scriptError('scenario', r.error) : fail('scenario', bad, waitSite(k), platform, k);
    } else {
      const r = await driveIdle(k, limit);
      if (r.status === 'error') return scriptError('idle', r.error);
    }
    if (rejections.length) return scriptError('scenario', rejections[0]);

    // remove
    for (const b of [...k.drivers.bindings].reverse()) {
      const r = await driveUntil(k, k.drivers.remove(b), limit);
      const bad = settledProblem(r, `remove of ${b.pdev.name}`, k);
      if (bad) return bad === 'error' && r.status === 'error' ? scriptError('remove', r.error) : fail('remove', bad, waitSite(k), platform, k);
    }
    if (rejections.length) return scriptError('remove', rejections[0]);
    k.dmaengine.afterRemove();
    const exitCode = k.findings.some((f) => f.severity === 'error') ? 1 : 0;
    return { exitCode, platform, kernel: k, findings: k.findings, endTime: k.now };
  } finally {
    process.off('unhandledRejection', onRejection);
    bindKernel(undefined);
    setFrameResolver(undefined);
  }
}

function settledProblem(r: Settled<unknown>, what: string, k: Kernel): string | 'error' | undefined {
  if (r.status === 'ok') return undefined;
  if (r.status === 'error') return 'error';
  const waits = [...k.waits.pending].map((w) => `${w.what}${w.site?.location() ? ` at ${w.site}` : ''}`);
  if (r.status === 'hung') return `${what} never finished: it waits (${waits.join('; ') || 'on a promise the kernel does not know'}) and no hardware event is pending, so nothing can ever wake it${k.dmaengine.hung()}`;
  return `${what} did not finish within the virtual-time limit (${(k.now / 1e9).toFixed(3)} s)${waits.length ? `; waiting in ${waits.join('; ')}` : ''}`;
}

function waitSite(k: Kernel): SourceLocation | undefined {
  for (const w of k.waits.pending) {
    const l = w.site?.location();
    if (l) return l;
  }
  return undefined;
}

function locationFromStack(stack: string | undefined): SourceLocation | undefined {
  if (!stack) return undefined;
  const m = /\(?([^\s()]+\.[cm]?[tj]sx?):(\d+):(\d+)\)?/.exec(stack.split('\n').slice(1).join('\n'));
  return m ? { file: path.resolve(m[1]), line: Number(m[2]), column: Number(m[3]) } : undefined;
}

function fail(phase: Phase, message: string, location: SourceLocation | undefined, platform?: Platform, kernel?: Kernel): RunResult {
  return { exitCode: 2, platform, kernel, findings: kernel?.findings ?? [], error: { phase, message, location }, endTime: kernel?.now ?? 0 };
}

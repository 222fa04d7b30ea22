/**
 * The debug runtime: one run of a driver script in a worker thread, debugged over CDP. It owns
 * the translation between what DAP talks about (.ts lines, frames, variables, memory references)
 * and what V8 and the emulator know (bundle positions, call frames, remote objects, the probe).
 * No emulator internals here: state comes from the probe as JSON.
 */
import { EventEmitter } from 'events';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { WorkerCdp } from './cdp';
import { ScriptMap, TsLocation } from './source-map';
import { SNAPSHOT_NAMES, type EventFilter, type LaunchConfig, type StopInfo, type WorkerToAdapter } from './protocol';

export interface RemoteObject {
  type: string;
  subtype?: string;
  className?: string;
  value?: unknown;
  unserializableValue?: string;
  description?: string;
  objectId?: string;
}

interface CallFrame {
  callFrameId: string;
  functionName: string;
  location: { scriptId: string; lineNumber: number; columnNumber?: number };
  scopeChain: { type: string; object: RemoteObject; name?: string }[];
}

interface AsyncStack {
  description?: string;
  callFrames: { functionName: string; scriptId: string; lineNumber: number; columnNumber: number }[];
  parent?: AsyncStack;
}

export interface Frame {
  id: number;
  name: string;
  location?: TsLocation;
  /** Emulator or runtime frame (shown only with showEmulatorFrames). */
  internal: boolean;
  hint?: 'normal' | 'label' | 'subtle';
  callFrameId?: string;
  /** Index of the V8 frame (for scopes) or -1 for synthetic ones. */
  v8Index: number;
}

export interface BreakpointRequest {
  line: number;
  condition?: string;
  hitCondition?: string;
  logMessage?: string;
}

export interface BreakpointResult {
  verified: boolean;
  line?: number;
  message?: string;
  id: number;
}

export interface Variable {
  name: string;
  value: string;
  type?: string;
  variablesReference: number;
  memoryReference?: string;
  evaluateName?: string;
}

export interface StopEvent {
  reason: 'breakpoint' | 'step' | 'pause' | 'entry' | 'exception' | 'function breakpoint' | 'data breakpoint';
  description: string;
  text?: string;
  hitBreakpointIds?: number[];
}

type Handle = { kind: 'remote'; objectId: string; evaluateName?: string } | { kind: 'json'; value: unknown } | { kind: 'scope'; frame: number; index: number };

export class DebugError extends Error {}

/** Exception filters of the DAP session that are not DMA events. */
export const EXCEPTION_FILTERS = [
  { filter: 'uncaught', label: 'Uncaught script errors', description: 'Stop when an error ends the run (a throw the driver does not catch, a kernel oops)', default: true },
  { filter: 'caught', label: 'All thrown errors', description: 'Stop at every throw in the driver script, caught or not' },
];

export class DebugRuntime extends EventEmitter {
  private cdp?: WorkerCdp;
  private worker?: Worker;
  private map?: ScriptMap;
  private bundleUrl = '';
  private entry = '';
  private scripts = new Map<string, string>();
  private paused?: { frames: CallFrame[]; async?: AsyncStack; reason: string; data?: RemoteObject & { uncaught?: boolean } };
  private frames: Frame[] = [];
  private handles = new Map<number, Handle>();
  /** Memory references of the variables shown at this stop, by `${containerRef}:${name}` (data breakpoints on variables). */
  private varMemory = new Map<string, string>();
  private nextHandle = 1;
  private breakpoints = new Map<string, { cdpIds: string[]; results: BreakpointResult[] }>();
  private bpIds = 1;
  private hitCounts = new Map<number, number>();
  private cdpToBp = new Map<string, { id: number; hitCondition?: string; logMessage?: string; file: string; line: number }>();
  private entryBp?: string;
  private filters: EventFilter[] = [];
  private functions: string[] = [];
  private exceptions = { uncaught: true, caught: false };
  private started = false;
  private exited = false;
  private cfg?: LaunchConfig;
  private stopInfo?: StopInfo;
  private bundleReady?: Promise<void>;
  private lastAction: 'continue' | 'step' | 'pause' = 'continue';
  private autoStep?: string;
  private lastStopSeq?: number;

  constructor(private readonly workerFile: string) {
    super();
  }

  get isPaused(): boolean {
    return this.paused !== undefined;
  }

  /** Start the worker and wait until the script is bundled (breakpoints can then be resolved). */
  async launch(cfg: LaunchConfig): Promise<void> {
    this.cfg = cfg;
    const cdp = new WorkerCdp();
    this.cdp = cdp;
    cdp.on('event', (method: string, params: Record<string, unknown>) => void this.onCdpEvent(method, params));
    let bundleResolve!: () => void;
    let bundleReject!: (e: Error) => void;
    this.bundleReady = new Promise<void>((res, rej) => {
      bundleResolve = res;
      bundleReject = rej;
    });
    this.worker = await cdp.attach(() => new Worker(this.workerFile, { workerData: cfg, stdout: true, stderr: true }));
    this.worker.stdout.on('data', (d: Buffer) => this.emit('output', { category: 'stdout', text: d.toString() }));
    this.worker.stderr.on('data', (d: Buffer) => this.emit('output', { category: 'stderr', text: d.toString() }));
    this.worker.on('message', (m: WorkerToAdapter) => {
      switch (m.type) {
        case 'bundle':
          this.bundleUrl = m.url;
          this.entry = m.entry;
          this.map = new ScriptMap(m.map, m.filename);
          bundleResolve();
          break;
        case 'output':
          this.emit('output', m);
          this.received();
          break;
        case 'finding':
          this.emit('finding', m.finding);
          this.received();
          break;
        case 'memory':
          this.emit('memory', m);
          this.received();
          break;
        case 'exit':
          if (!this.map) bundleReject(new DebugError(m.error?.message ?? 'the run ended before the script was loaded'));
          this.finish(m.exitCode, m.error);
          break;
      }
    });
    this.worker.on('error', (e) => {
      this.emit('output', { category: 'stderr', text: `debuggee crashed: ${e.stack ?? e}\n` });
      bundleReject(e);
      this.finish(2);
    });
    this.worker.on('exit', () => this.finish(this.exited ? 0 : 2));
    await cdp.send('Runtime.enable');
    await cdp.send('Debugger.enable');
    // async stack traces cost V8 bookkeeping on every promise (about half again the run time here): opt-in
    if (cfg.asyncStackTraces) await cdp.send('Debugger.setAsyncCallStackDepth', { maxDepth: 16 });
    if (!cfg.showEmulatorFrames) await cdp.send('Debugger.setBlackboxPatterns', { patterns: ['/dist/debug-worker\\.js$', '/emulator/', '/src/debug/', '^node:', '^internal/'] });
    await this.applyExceptionState();
    await cdp.send('Runtime.runIfWaitingForDebugger');
    await this.bundleReady;
  }

  /** Resolve the breakpoints of one file (replacing its previous ones). */
  async setBreakpoints(file: string, reqs: BreakpointRequest[]): Promise<BreakpointResult[]> {
    const key = path.resolve(file);
    const old = this.breakpoints.get(key);
    if (old) for (const id of old.cdpIds) await this.cdp?.send('Debugger.removeBreakpoint', { breakpointId: id }).catch(() => undefined);
    const results: BreakpointResult[] = [];
    const cdpIds: string[] = [];
    for (const r of reqs) {
      const id = this.bpIds++;
      const loc = this.map?.breakpointLocation(key, r.line);
      if (!this.map || !this.cdp) {
        results.push({ id, verified: false, message: 'the program is not running' });
        continue;
      }
      if (!loc) {
        results.push({ id, verified: false, message: this.map.hasSource(key) ? `no code at or below line ${r.line}` : `${path.basename(key)} is not part of the driver bundle (its files: ${this.map.files().map((f) => path.basename(f)).join(', ')})` });
        continue;
      }
      let condition = r.condition?.trim() ?? '';
      if (condition) {
        try {
          new Function(`return (${condition});`);
        } catch (e) {
          results.push({ id, verified: false, message: `the condition does not parse: ${(e as Error).message}` });
          continue;
        }
      }
      if (r.logMessage !== undefined) {
        // a logpoint never stops: it prints through the debuggee's console
        const parts = r.logMessage.split(/(\{[^}]*\})/).map((p) => (p.startsWith('{') && p.endsWith('}') ? `(${p.slice(1, -1)})` : JSON.stringify(p)));
        const log = `globalThis.__dmalab.logpoint(String(${parts.join(' + ')}))`;
        condition = condition ? `(${condition}) && (${log}, false)` : `(${log}, false)`;
      }
      try {
        const res = await this.cdp.send<{ breakpointId: string; locations: unknown[] }>('Debugger.setBreakpointByUrl', { url: this.bundleUrl, lineNumber: loc.genLine, columnNumber: loc.genColumn, condition });
        cdpIds.push(res.breakpointId);
        this.cdpToBp.set(res.breakpointId, { id, hitCondition: r.hitCondition, logMessage: r.logMessage, file: key, line: loc.line });
        results.push({ id, verified: true, line: loc.line, message: loc.line !== r.line ? `moved from line ${r.line} to the next line with code` : undefined });
      } catch (e) {
        results.push({ id, verified: false, message: (e as Error).message });
      }
    }
    this.breakpoints.set(key, { cdpIds, results });
    return results;
  }

  /** DMA event breakpoints; conditions that do not parse are refused (with the reason) and left out. */
  async setEventFilters(filters: EventFilter[]): Promise<string[]> {
    const errors: string[] = [];
    this.filters = filters.filter((f) => {
      if (!f.condition?.trim()) return true;
      try {
        new Function('ev', `return (${f.condition});`);
        return true;
      } catch (e) {
        errors.push(`${f.id}: condition "${f.condition}" does not parse: ${(e as Error).message}`);
        return false;
      }
    });
    if (this.started) errors.push(...(await this.probe<{ errors: string[] }>('setFilters', { filters: this.filters })).errors);
    return errors;
  }

  async setExceptionFilters(uncaught: boolean, caught: boolean): Promise<void> {
    this.exceptions = { uncaught, caught };
    if (this.cdp) await this.applyExceptionState();
  }

  async setFunctionBreakpoints(names: string[]): Promise<void> {
    this.functions = names;
    if (this.started) await this.probe('setFunctionBreakpoints', { names });
  }

  /** Configuration is complete: let the script run (stopping at its first line if asked). */
  async start(): Promise<void> {
    if (!this.cdp || !this.worker || this.started) return;
    if (this.cfg?.stopOnEntry && this.map) {
      const loc = this.map.entryLocation(this.entry);
      if (loc) {
        const r = await this.cdp.send<{ breakpointId: string }>('Debugger.setBreakpointByUrl', { url: this.bundleUrl, lineNumber: loc.genLine, columnNumber: loc.genColumn });
        this.entryBp = r.breakpointId;
      }
    }
    this.started = true;
    this.worker.postMessage({ type: 'go', filters: this.filters, functions: this.functions, uncaught: this.exceptions.uncaught });
  }

  async continue(): Promise<void> {
    await this.resumeWith('Debugger.resume');
  }

  async next(): Promise<void> {
    await this.resumeWith('Debugger.stepOver');
  }

  async stepIn(): Promise<void> {
    await this.resumeWith('Debugger.stepInto');
  }

  async stepOut(): Promise<void> {
    await this.resumeWith('Debugger.stepOut');
  }

  /**
   * Pause wherever the script is. V8 drops a pause request that lands in blackboxed (emulator) code
   * at an unlucky moment, so it is repeated until the worker stops or the run ends.
   */
  async pause(): Promise<void> {
    this.lastAction = 'pause';
    if (this.paused || !this.cdp) return;
    await this.cdp.send('Debugger.pause');
    const retry = setInterval(() => {
      if (this.paused || this.exited || !this.cdp) clearInterval(retry);
      else void this.cdp.send('Debugger.pause').catch(() => clearInterval(retry));
    }, 100);
    this.once('stopped', () => clearInterval(retry));
    this.once('exit', () => clearInterval(retry));
  }

  private async resumeWith(method: string): Promise<void> {
    if (!this.paused) return;
    this.lastAction = method === 'Debugger.resume' ? 'continue' : 'step';
    // from a stop the probe or a hardware event caused: "step over/out" means back to the script's
    // caller; "step into" runs to the next script statement (an interrupt's handler, say)
    const inside = this.stopInfo && this.frames[0]?.v8Index !== 0;
    const sent = inside && (method === 'Debugger.stepOver' || method === 'Debugger.stepOut') ? 'Debugger.stepOut' : method;
    // a step that starts in the probe's pause script keeps going until it reaches the script
    this.autoStep = inside && sent !== 'Debugger.resume' ? sent : undefined;
    this.clearPause();
    await this.cdp?.send(sent);
  }

  private clearPause(): void {
    this.paused = undefined;
    this.frames = [];
    this.handles.clear();
    this.varMemory.clear();
    this.stopInfo = undefined;
    this.emit('continued');
  }

  stackTrace(): Frame[] {
    return this.frames;
  }

  /** What the current stop is about (DAP exceptionInfo). */
  currentStop(): { id: string; description: string } | undefined {
    if (this.stopInfo) return { id: this.stopInfo.filter ?? this.stopInfo.reason, description: this.stopInfo.description };
    const d = this.paused?.data;
    if (this.paused && (this.paused.reason === 'exception' || this.paused.reason === 'promiseRejection')) return { id: d?.className ?? 'Error', description: d?.description ?? 'exception' };
    return undefined;
  }

  /** Scopes of a frame: the script's, plus the DMA scope. */
  scopes(frameId: number): { name: string; variablesReference: number; expensive: boolean; presentationHint?: string }[] {
    const f = this.frames.find((x) => x.id === frameId);
    if (!f) throw new DebugError(`no frame ${frameId} (the program is not paused there)`);
    const out: { name: string; variablesReference: number; expensive: boolean; presentationHint?: string }[] = [];
    const cf = f.v8Index >= 0 ? this.paused?.frames[f.v8Index] : undefined;
    if (cf) {
      cf.scopeChain.forEach((s, index) => {
        if (s.type === 'global') return;
        const name = s.type === 'local' ? 'Locals' : s.type === 'closure' ? (index === cf.scopeChain.length - 2 ? 'Module' : `Closure${s.name ? ` (${s.name})` : ''}`) : s.type === 'block' ? 'Block' : s.type === 'script' ? 'Script' : s.type;
        out.push({ name, variablesReference: this.handle({ kind: 'scope', frame: f.v8Index, index }), expensive: false, presentationHint: s.type === 'local' ? 'locals' : undefined });
      });
    }
    out.push({ name: 'DMA', variablesReference: this.handle({ kind: 'json', value: { __dmaScope: true } }), expensive: true });
    return out;
  }

  async variables(ref: number): Promise<Variable[]> {
    const h = this.handles.get(ref);
    if (!h) throw new DebugError(`no variables ${ref} (they belong to an earlier stop)`);
    if (h.kind === 'json') {
      let v = h.value;
      if (v && typeof v === 'object' && (v as { __dmaScope?: boolean }).__dmaScope) v = await this.probe('dmaScope');
      return this.jsonVariables(v);
    }
    const objectId = h.kind === 'scope' ? this.paused?.frames[h.frame]?.scopeChain[h.index]?.object.objectId : h.objectId;
    if (!objectId) return [];
    const r = await this.cdp!.send<{ result: { name: string; value?: RemoteObject; get?: RemoteObject }[] }>('Runtime.getProperties', { objectId, ownProperties: true, generatePreview: false });
    const vars: Variable[] = [];
    for (const p of r.result) {
      if (!p.value || p.name === '__proto__') continue;
      const evaluateName = h.kind === 'scope' ? p.name : h.evaluateName ? `${h.evaluateName}[${JSON.stringify(p.name)}]` : undefined;
      const v = await this.render(p.name, p.value, evaluateName);
      if (v.memoryReference) this.varMemory.set(`${ref}:${v.name}`, v.memoryReference);
      vars.push(v);
    }
    return vars;
  }

  async evaluate(expression: string, frameId: number | undefined, context: string | undefined): Promise<Variable> {
    if (!this.cdp) throw new DebugError('the program is not running');
    const f = frameId !== undefined ? this.frames.find((x) => x.id === frameId) : this.frames.find((x) => x.callFrameId);
    const cf = f?.callFrameId ? f : this.frames.find((x) => x.callFrameId);
    const r = cf?.callFrameId
      ? await this.cdp.send<{ result: RemoteObject; exceptionDetails?: { exception?: RemoteObject; text: string } }>('Debugger.evaluateOnCallFrame', { callFrameId: cf.callFrameId, expression, silent: context === 'hover', throwOnSideEffect: context === 'hover' })
      : await this.cdp.send<{ result: RemoteObject; exceptionDetails?: { exception?: RemoteObject; text: string } }>('Runtime.evaluate', { expression, silent: true });
    if (r.exceptionDetails) throw new DebugError(r.exceptionDetails.exception?.description?.split('\n')[0] ?? r.exceptionDetails.text);
    return this.render('', r.result, expression);
  }

  async setVariable(ref: number, name: string, value: string): Promise<Variable> {
    const h = this.handles.get(ref);
    if (!h) throw new DebugError(`no variables ${ref}`);
    const cf = this.frames.find((x) => x.callFrameId);
    if (!cf?.callFrameId) throw new DebugError('the program is not paused');
    const ev = await this.cdp!.send<{ result: RemoteObject; exceptionDetails?: { text: string; exception?: RemoteObject } }>('Debugger.evaluateOnCallFrame', { callFrameId: cf.callFrameId, expression: value });
    if (ev.exceptionDetails) throw new DebugError(ev.exceptionDetails.exception?.description?.split('\n')[0] ?? ev.exceptionDetails.text);
    const newValue = ev.result.objectId ? { objectId: ev.result.objectId } : ev.result.unserializableValue ? { unserializableValue: ev.result.unserializableValue } : { value: ev.result.value };
    if (h.kind === 'scope') {
      const frame = this.paused!.frames[h.frame];
      await this.cdp!.send('Debugger.setVariableValue', { scopeNumber: h.index, variableName: name, newValue, callFrameId: frame.callFrameId });
    } else if (h.kind === 'remote') {
      await this.cdp!.send('Runtime.callFunctionOn', { objectId: h.objectId, functionDeclaration: 'function(k, v) { this[k] = v; }', arguments: [{ value: name }, newValue] });
    } else throw new DebugError('this value cannot be changed');
    return this.render(name, ev.result, undefined);
  }

  /** What a data breakpoint on an address, or on a variable holding a buffer, would watch. */
  async dataBreakpointInfo(name: string, variablesReference: number | undefined, asAddress: boolean, bytes: number | undefined): Promise<{ dataId: string | null; description: string; accessTypes?: string[] }> {
    const memoryReference = asAddress ? name : this.varMemory.get(`${variablesReference}:${name}`);
    if (!memoryReference) return { dataId: null, description: `${name} does not hold a buffer (only pointers and DMA buffers can be watched)` };
    return this.probe('dataBreakpointInfo', { memoryReference, bytes });
  }

  async setDataBreakpoints(breakpoints: { dataId: string; accessType?: string }[]): Promise<{ verified: boolean; message?: string }[]> {
    const r = await this.probe<{ breakpoints: { verified: boolean; message?: string }[] }>('setDataBreakpoints', { breakpoints });
    return r.breakpoints;
  }

  async readMemory(memoryReference: string, offset: number, count: number): Promise<{ address: string; data: string; unreadableBytes: number }> {
    return this.probe('readMemory', { memoryReference, offset, count });
  }

  async writeMemory(memoryReference: string, offset: number, data: string): Promise<{ bytesWritten: number }> {
    return this.probe('writeMemory', { memoryReference, offset, data });
  }

  /** A read-only snapshot for panels (one of SNAPSHOT_NAMES). */
  async snapshot(name: string, args: Record<string, unknown>): Promise<unknown> {
    if (!(SNAPSHOT_NAMES as readonly string[]).includes(name)) throw new DebugError(`unknown snapshot "${name}"`);
    return this.probe(name, args);
  }

  /** End the run now. A worker paused in the debugger is released first (a paused thread cannot be terminated). */
  async terminate(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    // Debugger.disable resumes a paused worker and makes `debugger;` a no-op from now on
    await this.cdp?.send('Debugger.disable').catch(() => undefined);
    this.cdp?.close();
    if (w) await w.terminate();
    this.finish(this.exited ? 0 : 2);
  }

  // ---- internals ------------------------------------------------------------------------

  private async probe<T = unknown>(name: string, args: Record<string, unknown> = {}): Promise<T> {
    if (!this.cdp) throw new DebugError('the program is not running');
    const r = await this.cdp.send<{ result: RemoteObject; exceptionDetails?: { text: string } }>('Runtime.evaluate', {
      expression: `globalThis.__dmalab ? globalThis.__dmalab.call(${JSON.stringify(name)}, ${JSON.stringify(JSON.stringify(args))}) : 'null'`,
      returnByValue: true,
      silent: true,
    });
    if (r.exceptionDetails) throw new DebugError(r.exceptionDetails.text);
    const v = JSON.parse(String(r.result.value ?? 'null')) as T & { error?: string };
    if (v && typeof v === 'object' && 'error' in v && typeof v.error === 'string') throw new DebugError(v.error);
    return v;
  }

  private handle(h: Handle): number {
    const id = this.nextHandle++;
    this.handles.set(id, h);
    return id;
  }

  private jsonVariables(v: unknown): Variable[] {
    if (v === null || typeof v !== 'object') return [];
    return Object.entries(v as Record<string, unknown>).map(([name, value]) => {
      const nested = value !== null && typeof value === 'object' && Object.keys(value as object).length > 0;
      const text = Array.isArray(value) ? `${value.length} item${value.length === 1 ? '' : 's'}` : nested ? summary(value as Record<string, unknown>) : JSON.stringify(value);
      return { name, value: text ?? 'undefined', variablesReference: nested ? this.handle({ kind: 'json', value }) : 0 };
    });
  }

  private async render(name: string, o: RemoteObject, evaluateName: string | undefined): Promise<Variable> {
    if (o.type === 'bigint') {
      const v = BigInt((o.unserializableValue ?? o.description ?? '0').replace(/n$/, ''));
      return { name, value: `0x${BigInt.asUintN(64, v).toString(16)} (${v})`, type: 'bigint', variablesReference: 0, evaluateName };
    }
    if (o.type !== 'object' || !o.objectId || o.subtype === 'null') {
      const value = o.type === 'string' ? JSON.stringify(o.value) : (o.unserializableValue ?? o.description ?? String(o.value));
      return { name, value, type: o.type, variablesReference: 0, evaluateName };
    }
    let view: { text: string; type: string; memoryReference?: string } | null;
    try {
      const d = await this.cdp!.send<{ result: RemoteObject }>('Runtime.callFunctionOn', {
        objectId: o.objectId,
        functionDeclaration: 'function() { return globalThis.__dmalab ? globalThis.__dmalab.describe(this) : "null"; }',
        returnByValue: true,
        silent: true,
      });
      view = JSON.parse(String(d.result.value ?? 'null'));
    } catch {
      view = null;
    }
    return {
      name,
      value: view?.text ?? o.description ?? o.className ?? 'Object',
      type: view?.type ?? o.className,
      variablesReference: this.handle({ kind: 'remote', objectId: o.objectId, evaluateName }),
      memoryReference: view?.memoryReference,
      evaluateName,
    };
  }

  /**
   * "caught" pauses V8 at every throw (blackboxed emulator code excluded). "uncaught" is the
   * worker's business: the runner catches every script error, so V8 never sees one as uncaught;
   * the probe stops where the error ends the run instead.
   */
  private async applyExceptionState(): Promise<void> {
    await this.cdp?.send('Debugger.setPauseOnExceptions', { state: this.exceptions.caught ? 'all' : 'none' });
    if (this.started) this.worker?.postMessage({ type: 'uncaught', uncaught: this.exceptions.uncaught });
  }

  private async onCdpEvent(method: string, params: Record<string, unknown>): Promise<void> {
    if (method === 'Debugger.scriptParsed') {
      this.scripts.set(params.scriptId as string, params.url as string);
      return;
    }
    if (method === 'Debugger.resumed') return;
    if (method !== 'Debugger.paused') return;
    const p = params as unknown as { reason: string; hitBreakpoints?: string[]; callFrames: CallFrame[]; asyncStackTrace?: AsyncStack; data?: RemoteObject & { uncaught?: boolean } };
    if (p.reason === 'Break on start') {
      await this.cdp?.send('Debugger.resume');
      return;
    }
    let fresh: StopInfo | undefined;
    /** What the probe had posted, when its stop info already says (saves asking again). */
    let posted: number | undefined;
    if (this.autoStep && this.scripts.get(p.callFrames[0]?.location.scriptId) === 'dmalab:breakpoint' && !p.hitBreakpoints?.length) {
      fresh = (await this.probe<StopInfo | null>('takeStop')) ?? undefined;
      if (!fresh || fresh.seq === this.lastStopSeq) {
        await this.cdp?.send(this.autoStep);
        return;
      }
    }
    this.autoStep = undefined;
    this.paused = { frames: p.callFrames, async: p.asyncStackTrace, reason: p.reason, data: p.data };
    this.handles.clear();
    let stop: StopEvent;
    if (p.hitBreakpoints?.length) {
      if (p.hitBreakpoints.includes(this.entryBp ?? '')) {
        await this.cdp?.send('Debugger.removeBreakpoint', { breakpointId: this.entryBp! });
        this.entryBp = undefined;
        stop = { reason: 'entry', description: 'Paused on entry' };
      } else {
        const ids: number[] = [];
        let stopHere = false;
        for (const b of p.hitBreakpoints) {
          const bp = this.cdpToBp.get(b);
          if (!bp) continue;
          ids.push(bp.id);
          const n = (this.hitCounts.get(bp.id) ?? 0) + 1;
          this.hitCounts.set(bp.id, n);
          if (hitConditionMet(bp.hitCondition, n)) stopHere = true;
        }
        if (!stopHere) {
          this.paused = undefined;
          await this.cdp?.send('Debugger.resume');
          return;
        }
        stop = { reason: 'breakpoint', description: 'Paused on breakpoint', hitBreakpointIds: ids };
      }
    } else if (p.reason === 'exception' || p.reason === 'promiseRejection') {
      const text = p.data?.description?.split('\n')[0] ?? 'exception';
      stop = { reason: 'exception', description: `Paused on exception`, text };
    } else if (p.reason === 'other' && this.scripts.get(p.callFrames[0]?.location.scriptId) === 'dmalab:breakpoint') {
      this.stopInfo = fresh ?? (await this.probe<StopInfo | null>('takeStop').then((x) => x ?? undefined));
      this.lastStopSeq = this.stopInfo?.seq;
      posted = this.stopInfo?.posted;
      const info = this.stopInfo;
      if (info?.reason === 'function') stop = { reason: 'function breakpoint', description: `Paused at ${info.description}` };
      else if (info?.reason === 'data') stop = { reason: 'data breakpoint', description: info.description };
      else if (info?.reason === 'exception') stop = { reason: 'exception', description: 'Paused on a script error that ends the run', text: info.description };
      else stop = { reason: 'exception', description: info ? `${info.filter}: ${info.description}` : 'Paused on a DMA event', text: info?.description };
    } else if (p.reason === 'other') {
      if (this.lastAction === 'continue') {
        // a pause request that was still queued when the user continued: not a stop anyone asked for
        this.paused = undefined;
        await this.cdp?.send('Debugger.resume');
        return;
      }
      stop = this.lastAction === 'pause' ? { reason: 'pause', description: 'Paused' } : { reason: 'step', description: 'Paused after a step' };
    } else stop = { reason: 'pause', description: `Paused (${p.reason})` };
    this.buildFrames();
    if (stop.reason === 'pause' && this.frames.length === 0) {
      // the pause landed in emulator code: run on to the next statement of the script
      this.paused = undefined;
      this.frames = [];
      await this.cdp?.send('Debugger.stepInto');
      return;
    }
    await this.workerMessagesDelivered(posted);
    this.emit('stopped', stop);
  }

  /** Worker messages (log lines, logpoints, findings, memory events) received from the probe so far. */
  private receivedCount = 0;
  private deliveredWaiter?: { count: number; resolve: () => void };

  private received(): void {
    this.receivedCount++;
    if (this.deliveredWaiter && this.receivedCount >= this.deliveredWaiter.count) {
      this.deliveredWaiter.resolve();
      this.deliveredWaiter = undefined;
    }
  }

  /**
   * Wait until everything the worker posted before it paused has arrived, so the client sees a
   * log line or finding before the stop it led to. (The pause travels over CDP, the messages over
   * the worker's port: two channels with no order between them.)
   */
  private async workerMessagesDelivered(known?: number): Promise<void> {
    const posted = known ?? (await this.probe<number | null>('posted').catch(() => null));
    if (posted === null || this.receivedCount >= posted) return;
    await new Promise<void>((resolve) => {
      // a safety net: a message lost with a crashed worker must not hold the stop forever
      const timer = setTimeout(() => {
        this.deliveredWaiter = undefined;
        resolve();
      }, 2000);
      this.deliveredWaiter = {
        count: posted,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
    });
  }

  /** Script frames (mapped to .ts), emulator frames when asked for, a synthetic frame for hardware stops, async frames. */
  private buildFrames(): void {
    const out: Frame[] = [];
    let id = 1;
    const show = this.cfg?.showEmulatorFrames ?? false;
    const p = this.paused!;
    p.frames.forEach((cf, i) => {
      const url = this.scripts.get(cf.location.scriptId) ?? '';
      if (url === this.bundleUrl) {
        const loc = this.map?.toOriginal(cf.location.lineNumber, cf.location.columnNumber ?? 0);
        out.push({ id: id++, name: cf.functionName || '(anonymous)', location: loc, internal: !loc, callFrameId: cf.callFrameId, v8Index: i, hint: loc ? 'normal' : 'subtle' });
      } else if (show && url !== 'dmalab:breakpoint') {
        out.push({ id: id++, name: `${cf.functionName || '(anonymous)'} [emulator]`, location: fileLocation(url, cf.location.lineNumber, cf.location.columnNumber ?? 0), internal: true, callFrameId: cf.callFrameId, v8Index: i, hint: 'subtle' });
      }
    });
    const hasScript = out.some((f) => !f.internal);
    if (!hasScript && this.stopInfo?.site) {
      // a hardware event: no script frame is running; show the line that set it in motion
      out.unshift({ id: id++, name: `${this.stopInfo.description} (caused here)`, location: this.stopInfo.site, internal: false, v8Index: -1, hint: 'label' });
    }
    for (let a = p.async; a; a = a.parent) {
      const frames = a.callFrames.filter((cf) => this.scripts.get(cf.scriptId) === this.bundleUrl);
      if (!frames.length) continue;
      out.push({ id: id++, name: `await ${a.description ?? ''}`.trim(), internal: false, v8Index: -1, hint: 'label' });
      for (const cf of frames) out.push({ id: id++, name: cf.functionName || '(anonymous)', location: this.map?.toOriginal(cf.lineNumber, cf.columnNumber), internal: false, v8Index: -1, hint: 'subtle' });
    }
    this.frames = out.filter((f) => show || !f.internal || f.hint === 'label');
  }

  private finish(code: number, error?: { message: string; location?: TsLocation; stack?: string }): void {
    if (this.exited) return;
    this.exited = true;
    if (error) this.emit('output', { category: 'stderr', text: `${error.location ? `${error.location.file}:${error.location.line}:${error.location.column}: ` : ''}${error.message}\n`, location: error.location });
    this.emit('exit', code);
    this.cdp?.close();
  }
}

function hitConditionMet(cond: string | undefined, n: number): boolean {
  if (!cond || !cond.trim()) return true;
  const m = /^\s*(>=|<=|==|>|<|%)?\s*(\d+)\s*$/.exec(cond);
  if (!m) return true;
  const k = Number(m[2]);
  switch (m[1]) {
    case '>':
      return n > k;
    case '<':
      return n < k;
    case '<=':
      return n <= k;
    case '==':
      return n === k;
    case '%':
      return k > 0 && n % k === 0;
    default:
      return n >= k;
  }
}

function summary(o: Record<string, unknown>): string {
  const keys = Object.keys(o);
  const shown = keys.slice(0, 4).map((k) => `${k}: ${typeof o[k] === 'object' && o[k] !== null ? '…' : JSON.stringify(o[k])}`);
  return `{ ${shown.join(', ')}${keys.length > 4 ? ', …' : ''} }`;
}

function fileLocation(url: string, line: number, column: number): TsLocation | undefined {
  if (!url.startsWith('file://')) return undefined;
  return { file: new URL(url).pathname, line: line + 1, column: column + 1 };
}

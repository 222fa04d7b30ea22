/**
 * The DAP session: translates Debug Adapter Protocol requests into DebugRuntime calls and runtime
 * happenings into DAP events. One session, one run. Malformed or out-of-order requests get error
 * responses; the session survives them.
 */
import * as fs from 'fs';
import * as path from 'path';
import { InitializedEvent, LoggingDebugSession, OutputEvent, StoppedEvent, TerminatedEvent, ExitedEvent, Thread, StackFrame, Source, Scope, MemoryEvent, InvalidatedEvent, Event, Breakpoint } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { DebugRuntime, EXCEPTION_FILTERS, StopEvent } from './runtime';
import { DMA_FILTERS, EventFilter, LaunchConfig, SNAPSHOT_NAMES } from './protocol';
import { platformFile, DEFAULT_PLATFORM, PlatformError } from '../../emulator/runner/platforms';
import * as linux from '../../emulator/api/linux/index';

const THREAD_ID = 1;

/** Launch attributes (package.json's debugger contribution documents them for users). */
export interface LaunchArguments extends DebugProtocol.LaunchRequestArguments {
  program?: string;
  platform?: string;
  stopOnEntry?: boolean;
  seed?: number;
  trace?: string;
  showEmulatorFrames?: boolean;
  asyncStackTraces?: boolean;
  cwd?: string;
}

const API_NAMES = new Set(Object.keys(linux).filter((k) => /^[a-z_]/.test(k) && typeof (linux as Record<string, unknown>)[k] === 'function'));

class Deferred {
  promise: Promise<void>;
  resolve!: () => void;
  constructor() {
    this.promise = new Promise((r) => (this.resolve = r));
  }
}

export class DmaLabSession extends LoggingDebugSession {
  private rt?: DebugRuntime;
  private configured = new Deferred();
  private launchArgs?: LaunchArguments;
  private terminated = false;

  constructor(private readonly workerFile: string) {
    super();
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
  }

  /** DAP says pathFormat defaults to "path"; some clients leave it out. */
  protected override dispatchRequest(request: DebugProtocol.Request): void {
    if (request.command === 'initialize') request.arguments = { pathFormat: 'path', ...(request.arguments ?? {}) };
    super.dispatchRequest(request);
  }

  protected override initializeRequest(response: DebugProtocol.InitializeResponse): void {
    response.body = {
      supportsConfigurationDoneRequest: true,
      supportsConditionalBreakpoints: true,
      supportsHitConditionalBreakpoints: true,
      supportsLogPoints: true,
      supportsFunctionBreakpoints: true,
      supportsEvaluateForHovers: true,
      supportsSetVariable: true,
      supportsReadMemoryRequest: true,
      supportsWriteMemoryRequest: true,
      supportsExceptionInfoRequest: true,
      supportsExceptionFilterOptions: true,
      supportsTerminateRequest: true,
      supportsRestartRequest: true,
      supportsDataBreakpoints: true,
      supportsDataBreakpointBytes: true,
      exceptionBreakpointFilters: [
        ...EXCEPTION_FILTERS.map((f) => ({ filter: f.filter, label: f.label, description: f.description, default: f.default ?? false })),
        ...DMA_FILTERS.map((f) => ({
          filter: f.filter,
          label: f.label,
          description: f.description,
          default: false,
          supportsCondition: true,
          conditionDescription: 'a JavaScript expression on the event, e.g. size > 4096 && dir == "FROM_DEVICE" && device == "dad"',
        })),
      ],
    };
    this.sendResponse(response);
  }

  protected override async launchRequest(response: DebugProtocol.LaunchResponse, args: LaunchArguments): Promise<void> {
    try {
      const cfg = this.launchConfig(args);
      this.launchArgs = args;
      await this.startRuntime(cfg);
      this.sendEvent(new InitializedEvent());
      await this.configured.promise;
      await this.rt!.start();
      this.sendResponse(response);
    } catch (e) {
      this.fail(response, e);
      this.sendEvent(new TerminatedEvent());
    }
  }

  private launchConfig(args: LaunchArguments): LaunchConfig {
    if (!args || typeof args.program !== 'string' || !args.program) throw new Error('launch: "program" is missing: the driver script (.ts) to debug, e.g. "${file}"');
    const program = path.resolve(args.cwd ?? process.cwd(), args.program);
    if (!fs.existsSync(program)) throw new Error(`launch: program ${program} does not exist`);
    if (!/\.[cm]?[tj]s$/.test(program)) throw new Error(`launch: program ${program} is not a TypeScript or JavaScript driver script`);
    const platform = args.platform ?? DEFAULT_PLATFORM;
    if (typeof platform !== 'string') throw new Error('launch: "platform" must be a built-in platform name or a .dts file');
    try {
      platformFile(platform.endsWith('.dts') ? path.resolve(args.cwd ?? process.cwd(), platform) : platform);
    } catch (e) {
      throw new Error(`launch: ${(e as PlatformError).message}`, { cause: e });
    }
    const seed = args.seed ?? 1;
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new Error('launch: "seed" must be an integer in 0..4294967295');
    return {
      program,
      platform: platform.endsWith('.dts') ? path.resolve(args.cwd ?? process.cwd(), platform) : platform,
      seed,
      stopOnEntry: !!args.stopOnEntry && !args.noDebug,
      showEmulatorFrames: !!args.showEmulatorFrames,
      asyncStackTraces: !!args.asyncStackTraces,
      trace: args.trace ? path.resolve(args.cwd ?? process.cwd(), args.trace) : undefined,
    };
  }

  private async startRuntime(cfg: LaunchConfig): Promise<void> {
    const rt = new DebugRuntime(this.workerFile);
    this.rt = rt;
    rt.on('stopped', (s: StopEvent) => {
      const ev = new StoppedEvent(s.reason, THREAD_ID, s.text) as DebugProtocol.StoppedEvent;
      ev.body.description = s.description;
      ev.body.allThreadsStopped = true;
      if (s.hitBreakpointIds) ev.body.hitBreakpointIds = s.hitBreakpointIds;
      this.sendEvent(ev);
      this.sendEvent(new InvalidatedEvent(['variables']));
    });
    rt.on('output', (o: { category: string; text: string; location?: { file: string; line: number; column: number } }) => {
      const ev = new OutputEvent(o.text, o.category) as DebugProtocol.OutputEvent;
      if (o.location) {
        ev.body.source = new Source(path.basename(o.location.file), o.location.file);
        ev.body.line = o.location.line;
        ev.body.column = o.location.column;
      }
      this.sendEvent(ev);
    });
    rt.on('finding', (f: unknown) => this.sendEvent(new Event('dmalab.finding', f)));
    rt.on('memory', (m: { memoryReference: string; count: number }) => this.sendEvent(new MemoryEvent(m.memoryReference, 0, m.count)));
    rt.on('exit', (code: number) => {
      if (this.terminated) return;
      this.terminated = true;
      this.sendEvent(new ExitedEvent(code));
      this.sendEvent(new TerminatedEvent());
    });
    await rt.launch(cfg);
  }

  protected override configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): void {
    this.configured.resolve();
    this.sendResponse(response);
  }

  protected override async setBreakPointsRequest(response: DebugProtocol.SetBreakpointsResponse, args: DebugProtocol.SetBreakpointsArguments): Promise<void> {
    if (this.launchArgs?.noDebug) return this.notDebugging(response, (args.breakpoints ?? args.lines ?? []).length);
    try {
      const file = args.source?.path;
      if (!file) throw new Error('setBreakpoints: the source has no path');
      const given: DebugProtocol.SourceBreakpoint[] = args.breakpoints ?? (args.lines ?? []).map((line) => ({ line }));
      const reqs = given.map((b) => ({ line: b.line, condition: b.condition, hitCondition: b.hitCondition, logMessage: b.logMessage }));
      const rt = this.runtime();
      const results = await rt.setBreakpoints(file, reqs);
      response.body = {
        breakpoints: results.map((r) => {
          const bp = new Breakpoint(r.verified, r.line, undefined, new Source(path.basename(file), file)) as DebugProtocol.Breakpoint;
          bp.id = r.id;
          if (r.message) bp.message = r.message;
          return bp;
        }),
      };
      this.sendResponse(response);
    } catch (e) {
      this.fail(response, e);
    }
  }

  protected override async setExceptionBreakPointsRequest(response: DebugProtocol.SetExceptionBreakpointsResponse, args: DebugProtocol.SetExceptionBreakpointsArguments): Promise<void> {
    if (this.launchArgs?.noDebug) return this.notDebugging(response, (args.filterOptions ?? []).length + (args.filters ?? []).length);
    try {
      const rt = this.runtime();
      const chosen: EventFilter[] = [...(args.filters ?? []).map((id) => ({ id })), ...(args.filterOptions ?? []).map((o) => ({ id: o.filterId, condition: o.condition }))];
      const known = new Set([...EXCEPTION_FILTERS.map((f) => f.filter), ...DMA_FILTERS.map((f) => f.filter)]);
      const unknown = chosen.filter((f) => !known.has(f.id));
      if (unknown.length) throw new Error(`unknown exception filter ${unknown.map((f) => `"${f.id}"`).join(', ')}`);
      await rt.setExceptionFilters(chosen.some((f) => f.id === 'uncaught'), chosen.some((f) => f.id === 'caught'));
      const dma = chosen.filter((f) => DMA_FILTERS.some((d) => d.filter === f.id));
      const errors = await rt.setEventFilters(dma);
      response.body = { breakpoints: chosen.map((f) => ({ verified: !errors.some((m) => m.startsWith(`${f.id}:`)), message: errors.find((m) => m.startsWith(`${f.id}:`)) })) };
      this.sendResponse(response);
    } catch (e) {
      this.fail(response, e);
    }
  }

  protected override async setFunctionBreakPointsRequest(response: DebugProtocol.SetFunctionBreakpointsResponse, args: DebugProtocol.SetFunctionBreakpointsArguments): Promise<void> {
    if (this.launchArgs?.noDebug) return this.notDebugging(response, (args.breakpoints ?? []).length);
    try {
      const names = (args.breakpoints ?? []).map((b) => b.name.trim());
      await this.runtime().setFunctionBreakpoints(names.filter((n) => API_NAMES.has(n)));
      response.body = { breakpoints: names.map((n) => (API_NAMES.has(n) ? { verified: true } : { verified: false, message: `${n} is not a function of dmalab/linux` })) };
      this.sendResponse(response);
    } catch (e) {
      this.fail(response, e);
    }
  }

  protected override threadsRequest(response: DebugProtocol.ThreadsResponse): void {
    response.body = { threads: [new Thread(THREAD_ID, 'driver')] };
    this.sendResponse(response);
  }

  protected override stackTraceRequest(response: DebugProtocol.StackTraceResponse, args: DebugProtocol.StackTraceArguments): void {
    try {
      const frames = this.runtime().stackTrace();
      const start = args.startFrame ?? 0;
      const end = args.levels ? start + args.levels : frames.length;
      response.body = {
        stackFrames: frames.slice(start, end).map((f) => {
          const sf = new StackFrame(f.id, f.name, f.location ? new Source(path.basename(f.location.file), f.location.file) : undefined, f.location?.line ?? 0, f.location?.column ?? 0) as DebugProtocol.StackFrame;
          if (f.hint && f.hint !== 'normal') sf.presentationHint = f.hint;
          return sf;
        }),
        totalFrames: frames.length,
      };
      this.sendResponse(response);
    } catch (e) {
      this.fail(response, e);
    }
  }

  protected override scopesRequest(response: DebugProtocol.ScopesResponse, args: DebugProtocol.ScopesArguments): void {
    try {
      response.body = {
        scopes: this.runtime()
          .scopes(args.frameId)
          .map((s) => {
            const sc = new Scope(s.name, s.variablesReference, s.expensive) as DebugProtocol.Scope;
            if (s.presentationHint) sc.presentationHint = s.presentationHint;
            return sc;
          }),
      };
      this.sendResponse(response);
    } catch (e) {
      this.fail(response, e);
    }
  }

  protected override async variablesRequest(response: DebugProtocol.VariablesResponse, args: DebugProtocol.VariablesArguments): Promise<void> {
    try {
      response.body = { variables: await this.runtime().variables(args.variablesReference) };
      this.sendResponse(response);
    } catch (e) {
      this.fail(response, e);
    }
  }

  protected override async setVariableRequest(response: DebugProtocol.SetVariableResponse, args: DebugProtocol.SetVariableArguments): Promise<void> {
    try {
      const v = await this.runtime().setVariable(args.variablesReference, args.name, args.value);
      response.body = { value: v.value, type: v.type, variablesReference: v.variablesReference, memoryReference: v.memoryReference };
      this.sendResponse(response);
    } catch (e) {
      this.fail(response, e);
    }
  }

  protected override async evaluateRequest(response: DebugProtocol.EvaluateResponse, args: DebugProtocol.EvaluateArguments): Promise<void> {
    try {
      const v = await this.runtime().evaluate(args.expression, args.frameId, args.context);
      response.body = { result: v.value, type: v.type, variablesReference: v.variablesReference, memoryReference: v.memoryReference };
      this.sendResponse(response);
    } catch (e) {
      this.fail(response, e);
    }
  }

  protected override async continueRequest(response: DebugProtocol.ContinueResponse): Promise<void> {
    await this.act(response, () => this.runtime().continue());
  }

  protected override async nextRequest(response: DebugProtocol.NextResponse): Promise<void> {
    await this.act(response, () => this.runtime().next());
  }

  protected override async stepInRequest(response: DebugProtocol.StepInResponse): Promise<void> {
    await this.act(response, () => this.runtime().stepIn());
  }

  protected override async stepOutRequest(response: DebugProtocol.StepOutResponse): Promise<void> {
    await this.act(response, () => this.runtime().stepOut());
  }

  protected override async pauseRequest(response: DebugProtocol.PauseResponse): Promise<void> {
    await this.act(response, () => this.runtime().pause());
  }

  protected override async readMemoryRequest(response: DebugProtocol.ReadMemoryResponse, args: DebugProtocol.ReadMemoryArguments): Promise<void> {
    try {
      const r = await this.runtime().readMemory(args.memoryReference, args.offset ?? 0, args.count);
      response.body = { address: r.address, data: r.data, unreadableBytes: r.unreadableBytes };
      this.sendResponse(response);
    } catch (e) {
      this.fail(response, e);
    }
  }

  protected override async writeMemoryRequest(response: DebugProtocol.WriteMemoryResponse, args: DebugProtocol.WriteMemoryArguments): Promise<void> {
    try {
      const r = await this.runtime().writeMemory(args.memoryReference, args.offset ?? 0, args.data);
      response.body = { bytesWritten: r.bytesWritten };
      this.sendResponse(response);
      this.sendEvent(new MemoryEvent(args.memoryReference, args.offset ?? 0, r.bytesWritten));
      this.sendEvent(new InvalidatedEvent(['variables']));
    } catch (e) {
      this.fail(response, e);
    }
  }

  protected override async dataBreakpointInfoRequest(response: DebugProtocol.DataBreakpointInfoResponse, args: DebugProtocol.DataBreakpointInfoArguments): Promise<void> {
    try {
      const r = await this.runtime().dataBreakpointInfo(args.name, args.variablesReference, !!args.asAddress, args.bytes);
      response.body = { dataId: r.dataId, description: r.description, accessTypes: r.accessTypes as DebugProtocol.DataBreakpointAccessType[] | undefined, canPersist: false };
      this.sendResponse(response);
    } catch (e) {
      this.fail(response, e);
    }
  }

  protected override async setDataBreakpointsRequest(response: DebugProtocol.SetDataBreakpointsResponse, args: DebugProtocol.SetDataBreakpointsArguments): Promise<void> {
    if (this.launchArgs?.noDebug) return this.notDebugging(response, (args.breakpoints ?? []).length);
    try {
      const r = await this.runtime().setDataBreakpoints((args.breakpoints ?? []).map((b) => ({ dataId: b.dataId, accessType: b.accessType })));
      response.body = { breakpoints: r };
      this.sendResponse(response);
    } catch (e) {
      this.fail(response, e);
    }
  }

  /** A run without debugging ("Run Driver Script", DAP `noDebug`): breakpoints of every kind are accepted and never stop. */
  private notDebugging(response: DebugProtocol.Response & { body?: unknown }, count: number): void {
    response.body = { breakpoints: Array.from({ length: count }, () => ({ verified: false, message: 'running without debugging: breakpoints are off' })) };
    this.sendResponse(response);
  }

  protected override exceptionInfoRequest(response: DebugProtocol.ExceptionInfoResponse): void {
    try {
      const s = this.runtime().currentStop();
      if (!s) throw new Error('the program is not stopped on an exception or DMA event');
      response.body = { exceptionId: s.id, description: s.description, breakMode: 'always' };
      this.sendResponse(response);
    } catch (e) {
      this.fail(response, e);
    }
  }

  protected override async terminateRequest(response: DebugProtocol.TerminateResponse): Promise<void> {
    await this.rt?.terminate();
    this.sendResponse(response);
  }

  protected override async disconnectRequest(response: DebugProtocol.DisconnectResponse): Promise<void> {
    await this.rt?.terminate();
    this.sendResponse(response);
  }

  protected override async restartRequest(response: DebugProtocol.RestartResponse, args: DebugProtocol.RestartArguments): Promise<void> {
    try {
      const launch = ((args as { arguments?: LaunchArguments }).arguments ?? this.launchArgs) as LaunchArguments;
      if (!launch) throw new Error('restart before launch');
      const old = this.rt;
      this.rt = undefined;
      if (old) {
        old.removeAllListeners();
        await old.terminate();
      }
      this.terminated = false;
      this.configured = new Deferred();
      await this.startRuntime(this.launchConfig(launch));
      // the client configures the new run (breakpoints, filters) before it starts
      this.sendEvent(new InitializedEvent());
      await this.configured.promise;
      await this.rt!.start();
      this.sendResponse(response);
    } catch (e) {
      this.fail(response, e);
    }
  }

  protected override async customRequest(command: string, response: DebugProtocol.Response, args: Record<string, unknown>): Promise<void> {
    try {
      const name = command.startsWith('dmalab/') ? command.slice('dmalab/'.length) : '';
      if (!(SNAPSHOT_NAMES as readonly string[]).includes(name)) throw new Error(`unknown request "${command}"`);
      response.body = await this.runtime().snapshot(name, args ?? {});
      this.sendResponse(response);
    } catch (e) {
      // panels ask on their own, not the user: their errors are theirs to show
      this.fail(response, e, false);
    }
  }

  private runtime(): DebugRuntime {
    if (!this.rt) throw new Error('no program is running: send "launch" first');
    return this.rt;
  }

  private async act(response: DebugProtocol.Response, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
      this.sendResponse(response);
    } catch (e) {
      this.fail(response, e);
    }
  }

  private fail(response: DebugProtocol.Response, e: unknown, showUser = true): void {
    this.sendErrorResponse(response, { id: 1001, format: String((e as Error)?.message ?? e).replace(/[{}]/g, (c) => (c === '{' ? '(' : ')')), showUser });
  }
}

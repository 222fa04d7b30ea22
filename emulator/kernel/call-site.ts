/**
 * Where in the driver script something happened. Capturing is cheap (V8 records raw frames;
 * nothing is formatted); resolving to a .ts file:line:column happens only when a consumer asks,
 * through the resolver the runner installs (it knows the bundle and its source map).
 */
import type { SourceLocation } from './findings';

export type FrameResolver = (frames: NodeJS.CallSite[]) => SourceLocation | undefined;

let resolver: FrameResolver | undefined;

/** The runner installs how to pick and map the script frame out of a raw stack. */
export function setFrameResolver(r: FrameResolver | undefined): void {
  resolver = r;
}

const FRAMES = 16;

/** Frames between an API function and the script: 1, or 2 when the API faces are wrapped (debugger hooks). */
let callerDepth = 1;

export function setCallerDepth(n: number): void {
  callerDepth = n;
}

export class CallSite {
  private resolved: SourceLocation | null | undefined;

  constructor(
    private readonly holder: { stack?: unknown },
    /** The resolver of the run that captured it (a site outlives its run in reports). */
    private readonly resolve: FrameResolver | undefined,
  ) {}

  /** The script location, or undefined when the stack holds no script frame. */
  location(): SourceLocation | undefined {
    if (this.resolved === undefined) {
      const saved = Error.prepareStackTrace;
      Error.prepareStackTrace = (_e, frames) => frames;
      let frames: NodeJS.CallSite[] = [];
      try {
        const s = this.holder.stack;
        if (Array.isArray(s)) frames = s as NodeJS.CallSite[];
      } finally {
        Error.prepareStackTrace = saved;
      }
      this.resolved = (this.resolve && this.resolve(frames)) ?? null;
      (this.holder as { stack?: unknown }).stack = undefined;
    }
    return this.resolved ?? undefined;
  }

  toString(): string {
    const l = this.location();
    return l ? `${l.file}:${l.line}:${l.column}` : '<unknown>';
  }
}

/** Capture the current stack (raw frames only): enough frames to find the script below kernel code. */
export function captureSite(): CallSite {
  const saved = Error.stackTraceLimit;
  Error.stackTraceLimit = FRAMES;
  const holder: { stack?: unknown } = {};
  Error.captureStackTrace(holder);
  Error.stackTraceLimit = saved;
  return new CallSite(holder, resolver);
}

/**
 * Capture just the frame that called `apiFn` (an API entry point the script calls directly).
 * One frame costs a fraction of a deep capture; hot paths (every dma_map_*) use this.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export function captureCaller(apiFn: Function): CallSite {
  const saved = Error.stackTraceLimit;
  Error.stackTraceLimit = callerDepth;
  const holder: { stack?: unknown } = {};
  Error.captureStackTrace(holder, apiFn);
  Error.stackTraceLimit = saved;
  return new CallSite(holder, resolver);
}

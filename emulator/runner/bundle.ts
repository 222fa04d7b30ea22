/**
 * Bundle a driver script with esbuild (TypeScript, source maps on), leaving `dmalab/*` to be
 * resolved at load time to the running engine's own API, wherever the script lives. Stack frames
 * of the bundle map back to the .ts lines through the source map.
 */
import * as esbuild from 'esbuild';
import * as path from 'path';
import { TraceMap, originalPositionFor } from '@jridgewell/trace-mapping';
import type { SourceLocation } from '../kernel/findings';

export interface Bundle {
  /** Absolute path of the script. */
  entry: string;
  /** The name the bundle runs under (stack frames carry it). */
  filename: string;
  code: string;
  map: TraceMap;
  mapJson: string;
}

export class ScriptCompileError extends Error {
  constructor(
    message: string,
    readonly location?: SourceLocation,
  ) {
    super(message);
    this.name = 'ScriptCompileError';
  }
}

/** One compiler message with its source line and a caret under the column. */
function compileMessage(m: esbuild.Message, withLocation: boolean): string {
  const l = m.location;
  const head = `${withLocation && l ? `${path.resolve(l.file)}:${l.line}:${l.column + 1}: ` : ''}${m.text}`;
  if (!l) return head;
  const num = String(l.line);
  return `${head}\n    ${num} | ${l.lineText}\n    ${' '.repeat(num.length)} | ${' '.repeat(l.column)}^`;
}

export async function bundleScript(file: string): Promise<Bundle> {
  const entry = path.resolve(file);
  const outfile = `${entry}.dmalab.js`;
  let result: esbuild.BuildResult<{ write: false }>;
  try {
    result = await esbuild.build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      format: 'cjs',
      platform: 'node',
      target: 'node20',
      sourcemap: 'external',
      sourcesContent: true,
      external: ['dmalab', 'dmalab/*'],
      outfile,
      logLevel: 'silent',
      keepNames: true,
    });
  } catch (e) {
    const errs = (e as { errors?: esbuild.Message[] }).errors ?? [];
    if (!errs.length) throw new ScriptCompileError(`cannot compile ${file}: ${(e as Error).message}`);
    // the first error's location leads the report (file:line:col); later errors carry their own
    const text = errs.map((m, i) => compileMessage(m, i > 0)).join('\n');
    const first = errs[0].location;
    throw new ScriptCompileError(text, first ? { file: path.resolve(first.file), line: first.line, column: first.column + 1 } : undefined);
  }
  const js = result.outputFiles.find((f) => f.path.endsWith('.js'))!;
  const mapFile = result.outputFiles.find((f) => f.path.endsWith('.map'))!;
  const mapJson = mapFile.text;
  const map = new TraceMap(mapJson, mapFile.path);
  return { entry, filename: outfile, code: js.text, map, mapJson };
}

/** Map a position in the bundle (1-based line and column) to the original source. */
export function originalLocation(b: Bundle, line: number, column: number): SourceLocation | undefined {
  const o = originalPositionFor(b.map, { line, column: Math.max(0, column - 1) });
  if (!o.source || o.line == null) return undefined;
  const file = o.source.startsWith('file://') ? new URL(o.source).pathname : path.resolve(path.dirname(b.filename), o.source);
  return { file, line: o.line, column: (o.column ?? 0) + 1 };
}

/** The first frame of the script in a raw stack, mapped to the .ts source. */
export function scriptFrame(b: Bundle, frames: NodeJS.CallSite[]): SourceLocation | undefined {
  for (const f of frames) {
    if (f.getFileName() !== b.filename) continue;
    const line = f.getLineNumber();
    const col = f.getColumnNumber();
    if (line == null || col == null) continue;
    return originalLocation(b, line, col);
  }
  return undefined;
}

/** Rewrite an error's stack so frames in the bundle show .ts locations. */
export function mapStack(b: Bundle, stack: string, hideUnder: string, cwd = process.cwd()): string {
  const esc = b.filename.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return stack
    .split('\n')
    .filter((l) => !/^\s+at /.test(l) || l.includes(b.filename) || !(l.includes('node:') || l.includes(hideUnder)))
    .map((l) =>
      l.replace(new RegExp(`${esc}:(\\d+):(\\d+)`), (m, ln, cn) => {
        const o = originalLocation(b, Number(ln), Number(cn));
        return o ? `${path.relative(cwd, o.file) || o.file}:${o.line}:${o.column}` : m;
      }),
    )
    .join('\n');
}

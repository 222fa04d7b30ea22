/**
 * Script positions both ways: a .ts line to where it runs in the bundle (for breakpoints, moved
 * to the next line that has code when it has none), and a bundle position back to the .ts.
 */
import * as path from 'path';
import { TraceMap, allGeneratedPositionsFor, originalPositionFor, GREATEST_LOWER_BOUND, LEAST_UPPER_BOUND } from '@jridgewell/trace-mapping';

export interface TsLocation {
  file: string;
  line: number;
  column: number;
}

/** How far below a line without code a breakpoint may move. */
const MAX_MOVE = 20;

export class ScriptMap {
  private readonly map: TraceMap;
  /** Absolute source path → the source string as the map names it. */
  private readonly sources = new Map<string, string>();

  constructor(
    mapJson: string,
    readonly bundleFile: string,
  ) {
    this.map = new TraceMap(mapJson);
    for (const s of this.map.sources) if (s) this.sources.set(this.abs(s), s);
  }

  private abs(source: string): string {
    return source.startsWith('file://') ? new URL(source).pathname : path.resolve(path.dirname(this.bundleFile), source);
  }

  hasSource(file: string): boolean {
    return this.sources.has(path.resolve(file));
  }

  /** Files of the bundle (for "not part of the driver" messages). */
  files(): string[] {
    return [...this.sources.keys()];
  }

  /**
   * Where a breakpoint on `file:line` lands: the first generated position of that line, or of the
   * next line that has code. 0-based generated line/column for CDP, and the .ts line it maps to.
   */
  breakpointLocation(file: string, line: number): { genLine: number; genColumn: number; line: number } | undefined {
    const source = this.sources.get(path.resolve(file));
    if (!source) return undefined;
    for (let l = line; l < line + MAX_MOVE; l++) {
      const all = allGeneratedPositionsFor(this.map, { source, line: l, column: 0, bias: LEAST_UPPER_BOUND });
      const onLine = all.filter((p) => p.line !== null).sort((a, b) => a.line! - b.line! || a.column! - b.column!);
      if (onLine.length) return { genLine: onLine[0].line! - 1, genColumn: onLine[0].column!, line: l };
    }
    return undefined;
  }

  /** The first position of the entry file that runs (stopOnEntry). */
  entryLocation(file: string): { genLine: number; genColumn: number; line: number } | undefined {
    const source = this.sources.get(path.resolve(file));
    if (!source) return undefined;
    let best: { genLine: number; genColumn: number; line: number } | undefined;
    const lines = this.lineCount(source);
    for (let l = 1; l <= lines; l++) {
      const loc = this.breakpointLocation(file, l);
      if (loc && (!best || loc.genLine < best.genLine || (loc.genLine === best.genLine && loc.genColumn < best.genColumn))) best = loc;
    }
    return best;
  }

  private lineCount(source: string): number {
    const i = this.map.sources.indexOf(source);
    const content = this.map.sourcesContent?.[i];
    return content ? content.split('\n').length : 2000;
  }

  /** A 0-based bundle position as a .ts location. */
  toOriginal(genLine: number, genColumn: number): TsLocation | undefined {
    let o = originalPositionFor(this.map, { line: genLine + 1, column: genColumn, bias: GREATEST_LOWER_BOUND });
    if (!o.source) o = originalPositionFor(this.map, { line: genLine + 1, column: genColumn, bias: LEAST_UPPER_BOUND });
    if (!o.source || o.line == null) return undefined;
    return { file: this.abs(o.source), line: o.line, column: (o.column ?? 0) + 1 };
  }
}

// Source files and the map from the preprocessed token stream back to them.
//
// The preprocessor produces one output string (the text the lexer sees) made
// of segments. A verbatim segment is a run of characters copied unchanged from
// one source file; a mapped segment is text that has no characters of its own
// in a source file (a macro expansion, or a separator the preprocessor added)
// and every offset in it maps to one source range (the macro invocation).

import type { Position, Range } from './diagnostics';

export class SourceFile {
  private lineStarts: number[] | undefined;
  /** Line index of the last lookup: lookups mostly move forward a little. */
  private lastLine = 0;

  constructor(
    readonly name: string,
    readonly text: string,
  ) {}

  private lines(): number[] {
    if (this.lineStarts === undefined) {
      const starts = [0];
      const t = this.text;
      let i = t.indexOf('\n');
      while (i !== -1) {
        starts.push(i + 1);
        i = t.indexOf('\n', i + 1);
      }
      this.lineStarts = starts;
    }
    return this.lineStarts;
  }

  get lineCount(): number {
    return this.lines().length;
  }

  position(offset: number): Position {
    const o = offset < 0 ? 0 : offset > this.text.length ? this.text.length : offset;
    const starts = this.lines();
    const last = this.lastLine;
    if (starts[last] <= o && (last + 1 >= starts.length || o < starts[last + 1])) {
      return { line: last + 1, col: o - starts[last] + 1, offset: o };
    }
    if (last + 1 < starts.length && starts[last + 1] <= o && (last + 2 >= starts.length || o < starts[last + 2])) {
      this.lastLine = last + 1;
      return { line: last + 2, col: o - starts[last + 1] + 1, offset: o };
    }
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= o) lo = mid;
      else hi = mid - 1;
    }
    this.lastLine = lo;
    return { line: lo + 1, col: o - starts[lo] + 1, offset: o };
  }

  range(start: number, end: number): Range {
    const s = this.position(start);
    return { file: this.name, start: s, end: end <= start ? s : this.position(end) };
  }
}

export interface Segment {
  outStart: number;
  outEnd: number;
  file: SourceFile;
  srcStart: number;
  srcEnd: number;
  /** true: out offsets map one to one onto src offsets; false: every offset maps onto [srcStart, srcEnd]. */
  verbatim: boolean;
}

export class SourceMap {
  readonly segments: Segment[] = [];
  private readonly byFile = new Map<string, Segment[]>();
  private readonly anchors = new Map<string, number>();
  private readonly closedFiles = new Set<string>();

  constructor(readonly mainFile: SourceFile) {}

  /** Called when the preprocessor starts a file: diagnostics of a file with no output sort here. */
  beginFile(file: SourceFile, outOffset: number): void {
    if (!this.anchors.has(file.name)) this.anchors.set(file.name, outOffset);
  }

  /** Called when the preprocessor finishes a file: later inclusions do not feed the order index. */
  endFile(file: SourceFile): void {
    this.closedFiles.add(file.name);
  }

  add(seg: Segment): void {
    if (seg.outEnd <= seg.outStart) return;
    const last = this.segments[this.segments.length - 1];
    if (
      last !== undefined &&
      last.verbatim &&
      seg.verbatim &&
      last.file === seg.file &&
      last.outEnd === seg.outStart &&
      last.srcEnd === seg.srcStart
    ) {
      last.outEnd = seg.outEnd;
      last.srcEnd = seg.srcEnd;
      return;
    }
    this.segments.push(seg);
    if (!this.closedFiles.has(seg.file.name)) {
      let list = this.byFile.get(seg.file.name);
      if (list === undefined) this.byFile.set(seg.file.name, (list = []));
      list.push(seg);
    }
  }

  private lastSeg = 0;

  /** The segment holding output offset `out` (the last one starting at or before it). */
  private segmentAt(out: number): Segment | undefined {
    const segs = this.segments;
    if (segs.length === 0) return undefined;
    const last = this.lastSeg;
    if (last < segs.length && segs[last].outStart <= out && (out < segs[last].outEnd || last === segs.length - 1)) return segs[last];
    let lo = 0;
    let hi = segs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (segs[mid].outStart <= out) lo = mid;
      else hi = mid - 1;
    }
    this.lastSeg = lo;
    return segs[lo];
  }

  /** Source range of output text [outStart, outEnd). */
  range(outStart: number, outEnd: number): Range {
    const s = this.segmentAt(outStart);
    if (s === undefined) return this.mainFile.range(0, 0);
    const startOff = s.verbatim ? Math.min(s.srcStart + Math.max(0, outStart - s.outStart), s.srcEnd) : s.srcStart;
    let endOff = startOff;
    if (outEnd > outStart) {
      const e = outEnd - 1 < s.outEnd ? s : this.segmentAt(outEnd - 1)!;
      if (e.file === s.file) {
        endOff = e.verbatim ? Math.min(e.srcStart + (outEnd - e.outStart), e.srcEnd) : e.srcEnd;
      } else {
        endOff = s.verbatim ? s.srcEnd : s.srcEnd;
      }
      if (endOff < startOff) endOff = startOff;
    }
    return s.file.range(startOff, endOff);
  }

  /** A number that sorts source positions in the order they appear in the output stream. */
  orderKey(file: string, offset: number): number {
    const segs = this.byFile.get(file);
    const anchor = this.anchors.get(file);
    if (segs === undefined || segs.length === 0 || segs[0].srcStart > offset) {
      return anchor ?? Number.MAX_SAFE_INTEGER;
    }
    let lo = 0;
    let hi = segs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (segs[mid].srcStart <= offset) lo = mid;
      else hi = mid - 1;
    }
    const seg = segs[lo];
    if (!seg.verbatim) return seg.outStart;
    return seg.outStart + Math.min(offset - seg.srcStart, seg.outEnd - seg.outStart);
  }
}

/**
 * Formatting in dtc's style, conservatively: only white space between tokens changes, never a
 * token, a comment's text, a preprocessor line or text #if'd out. A file with syntax errors is
 * left alone.
 *
 * - indentation: one tab per nesting level; a continuation line of a property value keeps its
 *   alignment relative to the property (or gets one extra tab); comment lines take the indentation
 *   of what follows them, block comment bodies move with their first line;
 * - one statement per line: a new line after `{` and after a statement's `;`, before `}`;
 * - `;` and `,` right after what they end (joined from the next line), `{` on the node's line;
 * - spaces: around `=`, after `,` and after a label, before `{`, none inside `< >` and `[ ]` edges,
 *   runs of spaces between tokens become one;
 * - blank lines: exactly one between a node and its neighbours, none after `{` or before `}`, at
 *   most one elsewhere (where comments or directives sit between two statements, only runs of
 *   blank lines are cut to one); no trailing white space; one newline at the end of the file.
 *
 * The result is idempotent: formatting formatted text changes nothing.
 */
import type { Range as LspRange, TextEdit } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { DiagCode, type BodyItem, type DtsDocument, type DtsToken, type TopLevelItem } from '../../../emulator/platform/dts';
import type { Analysis } from './analysis';

interface Unit {
  start: number;
  end: number;
  first: DtsToken;
  last: DtsToken;
}

interface Stmt {
  start: number;
  end: number;
  depth: number;
  node: boolean;
  parent: number;
}

interface Edit {
  start: number;
  end: number;
  text: string;
}

const BLOCKING = new Set<string>([DiagCode.syntax, DiagCode.lexical, DiagCode.macro, DiagCode.preprocessor]);

const isBlank = (c: string): boolean => c === ' ' || c === '\t' || c === '\f' || c === '\v';
const isSpace = (c: string): boolean => isBlank(c) || c === '\n' || c === '\r';

export function formatDocument(a: Analysis, text: TextDocument, range?: LspRange): TextEdit[] {
  const doc = a.withTokens();
  if (doc.diagnostics.some((d) => d.range.file === a.file && d.severity === 'error' && d.code !== undefined && BLOCKING.has(d.code))) return [];
  const edits = computeEdits(doc, a.file);
  const from = range ? text.offsetAt(range.start) : 0;
  const to = range ? text.offsetAt(range.end) : a.text.length;
  const out: TextEdit[] = [];
  for (const e of edits) {
    if (a.text.slice(e.start, e.end) === e.text) continue;
    if (e.end < from || e.start > to) continue;
    out.push({ range: { start: text.positionAt(e.start), end: text.positionAt(e.end) }, newText: e.text });
  }
  return out;
}

function computeEdits(doc: DtsDocument, file: string): Edit[] {
  const src = doc.text;
  const eol = src.includes('\r\n') ? '\r\n' : '\n';
  const tabs = (n: number): string => '\t'.repeat(Math.max(0, n));

  // ---- tokens as source units (a macro invocation is one unit) -------------------------------
  const units: Unit[] = [];
  for (const t of doc.tokens ?? []) {
    if (t.range.file !== file) continue;
    const s = t.range.start.offset;
    const e = t.range.end.offset;
    const prev = units[units.length - 1];
    if (prev !== undefined && s < prev.end) {
      if (e > prev.end) prev.end = e;
      prev.last = t;
      continue;
    }
    units.push({ start: s, end: e, first: t, last: t });
  }
  if (units.length === 0) return [];
  const simple = (u: Unit): string | undefined => (u.first === u.last && src.slice(u.start, u.end) === u.first.text ? u.first.text : undefined);

  // ---- structure from the syntax tree ---------------------------------------------------------
  const stmts: Stmt[] = [];
  const stmtStart = new Map<number, Stmt>();
  const stmtEnd = new Map<number, Stmt>();
  const bodyOpen = new Set<number>();
  const bodyClose = new Map<number, number>();
  const cellOpen = new Set<number>();
  const cellClose = new Set<number>();
  const byteOpen = new Set<number>();
  const byteClose = new Set<number>();
  const addStmt = (item: TopLevelItem | BodyItem, depth: number, parent: number): void => {
    if (item.range.file !== file) return;
    const s: Stmt = { start: item.range.start.offset, end: item.range.end.offset, depth, node: item.kind === 'node' || item.kind === 'refNode', parent };
    const idx = stmts.length;
    stmts.push(s);
    if (!stmtStart.has(s.start)) stmtStart.set(s.start, s);
    stmtEnd.set(s.end, s);
    if (item.kind === 'node' || item.kind === 'refNode') {
      const b = item.body;
      if (b.range.file === file) {
        bodyOpen.add(b.range.start.offset);
        if (b.closed) bodyClose.set(b.range.end.offset - 1, depth);
      }
      for (const child of b.items) addStmt(child, depth + 1, idx);
    } else if (item.kind === 'property') {
      for (const v of item.values) {
        if (v.range.file !== file) continue;
        if (v.kind === 'cells') {
          const open = v.bitsRange ? units.find((u) => u.start >= v.bitsRange!.end.offset) : undefined;
          cellOpen.add(open ? open.start : v.range.start.offset);
          cellClose.add(v.range.end.offset - 1);
        } else if (v.kind === 'bytes') {
          byteOpen.add(v.range.start.offset);
          byteClose.add(v.range.end.offset - 1);
        }
      }
    }
  };
  for (const item of doc.items) addStmt(item, 0, -1);

  /** The innermost statement holding `offset` strictly inside it. */
  const containerOf = (offset: number): Stmt | undefined => {
    let lo = 0;
    let hi = stmts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (stmts[mid].start < offset) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    for (let i = found; i >= 0; i = stmts[i].parent) if (stmts[i].end > offset) return stmts[i];
    return undefined;
  };

  // ---- lines -------------------------------------------------------------------------------
  const lineStart = (o: number): number => src.lastIndexOf('\n', o - 1) + 1;
  const leading = (ls: number): string => {
    let i = ls;
    while (i < src.length && isBlank(src[i])) i++;
    return src.slice(ls, i);
  };
  const firstOnLine = (o: number): boolean => {
    for (let i = o - 1; i >= 0 && src[i] !== '\n'; i--) if (!isBlank(src[i])) return false;
    return true;
  };
  const comments = doc.comments.filter((c) => c.file === file).map((c) => ({ start: c.start.offset, end: c.end.offset }));
  const inactive = doc.inactiveRanges.filter((r) => r.file === file).map((r) => ({ start: r.start.offset, end: r.end.offset }));
  const inside = (list: { start: number; end: number }[], o: number): { start: number; end: number } | undefined => list.find((r) => r.start < o && o < r.end);

  /** Indentation of the line a unit starts, when it is the first thing on it; undefined: keep. */
  const indentFor = (u: Unit): string | undefined => {
    const st = stmtStart.get(u.start);
    if (st !== undefined) return tabs(st.depth);
    const close = bodyClose.get(u.start);
    if (close !== undefined) return tabs(close);
    const c = containerOf(u.start);
    if (c === undefined) return undefined;
    const base = tabs(c.depth);
    if (!firstOnLine(c.start)) return base + '\t';
    const old = leading(lineStart(c.start));
    const cur = leading(lineStart(u.start));
    return cur.startsWith(old) && cur.length > old.length ? base + cur.slice(old.length) : base + '\t';
  };
  /** Indentation of a comment line just before unit `u` (undefined: keep). */
  const commentIndent = (u: Unit | undefined): string | undefined => {
    if (u === undefined) return '';
    const st = stmtStart.get(u.start);
    if (st !== undefined) return tabs(st.depth);
    const close = bodyClose.get(u.start);
    if (close !== undefined) return tabs(close + 1);
    return undefined;
  };

  const edits: Edit[] = [];
  const edit = (start: number, end: number, t: string): void => {
    if (src.slice(start, end) !== t) edits.push({ start, end, text: t });
  };

  /** Trailing blanks of the line ending at `nl` (a newline, or the end of a segment), if they are outside comments. */
  const trimTrailing = (from: number, nl: number): void => {
    let t = nl;
    if (t > from && src[t - 1] === '\r') t--;
    let ws = t;
    while (ws > from && isBlank(src[ws - 1])) ws--;
    if (ws < t && !inside(comments, ws) && !inside(inactive, ws)) edit(ws, t, '');
  };

  /**
   * A gap that holds comments, directives or other text: line by line, trailing blanks go, runs
   * of blank lines become one, comment lines and the next token's line are indented. Between a
   * node and its neighbour (`needBlank`), a gap without a blank line gets one after the first line
   * break outside comments (so a comment stays with what it precedes).
   */
  const complexGap = (gs: number, ge: number, next: Unit | undefined, needBlank = false): void => {
    const reindented = new Map<number, { old: string; now: string }>();
    let nl = src.indexOf('\n', gs);
    if (nl < 0 || nl >= ge) return;
    trimTrailing(gs, nl);
    if (needBlank && !/\n[ \t\f\v]*\r?\n/.test(src.slice(gs, ge))) {
      for (let b = nl; b >= 0 && b < ge; b = src.indexOf('\n', b + 1)) {
        if (!inside(comments, b) && !inside(inactive, b)) {
          edit(b + 1, b + 1, eol);
          break;
        }
      }
    }
    let prevBlank = false;
    for (;;) {
      const ls = nl + 1;
      const nextNl = src.indexOf('\n', ls);
      const le = nextNl >= 0 && nextNl < ge ? nextNl : -1;
      let fc = ls;
      while (fc < ge && isBlank(src[fc])) fc++;
      const c = src[fc];
      const cmt = inside(comments, ls);
      const blank = le >= 0 && cmt === undefined && !inside(inactive, ls) && (c === '\n' || (c === '\r' && fc + 1 === le));
      if (blank) {
        if (prevBlank) edit(ls, le + 1, '');
        else edit(ls, fc, '');
        prevBlank = true;
      } else {
        prevBlank = false;
        if (cmt !== undefined) {
          const r = reindented.get(cmt.start);
          if (r !== undefined && fc < cmt.end && src.slice(ls, fc).startsWith(r.old)) edit(ls, ls + r.old.length, r.now);
        } else if (fc >= ge) {
          // the next token starts this line (`#size-cells` is a property, not a directive)
          if (next !== undefined) {
            const ind = indentFor(next);
            if (ind !== undefined) edit(ls, fc, ind);
          }
        } else if (inside(inactive, ls) || c === '#') {
          /* preprocessor text: as written */
        } else if (c === '/' && (src[fc + 1] === '*' || src[fc + 1] === '/')) {
          const ind = commentIndent(next);
          if (ind !== undefined) {
            edit(ls, fc, ind);
            reindented.set(fc, { old: src.slice(ls, fc), now: ind });
          }
        }
        if (le >= 0) trimTrailing(fc, le);
      }
      if (le < 0) return;
      nl = le;
    }
  };

  // ---- text before the first token ----------------------------------------------------------
  complexGap(0, units[0].start, units[0]);

  for (let i = 1; i < units.length; i++) {
    const A = units[i - 1];
    const B = units[i];
    const gap = src.slice(A.end, B.start);
    let pure = true;
    for (let k = 0; k < gap.length; k++) if (!isSpace(gap[k])) pure = false;
    if (!pure) {
      const ends = stmtEnd.get(A.end);
      const starts = stmtStart.get(B.start);
      complexGap(A.end, B.start, B, ends !== undefined && starts !== undefined && (ends.node || starts.node));
      continue;
    }
    const a = simple(A);
    const b = simple(B);
    const aLast = A.last;
    const newlines = gap.split('\n').length - 1;
    const endsStmt = stmtEnd.get(A.end);
    const startsStmt = stmtStart.get(B.start);
    const opensBody = bodyOpen.has(A.start) && a === '{';
    const closesBody = bodyClose.has(B.start);
    const breakLine = (): string => {
      let blank = Math.max(0, newlines - 1);
      if (opensBody || closesBody) blank = 0;
      else if (endsStmt !== undefined && startsStmt !== undefined) blank = endsStmt.node || startsStmt.node ? 1 : Math.min(blank, 1);
      else blank = Math.min(blank, 1);
      return eol.repeat(blank + 1) + (indentFor(B) ?? leading(lineStart(B.start)));
    };
    let t: string;
    if (b === ';' || b === ',') t = '';
    else if (bodyOpen.has(B.start) && b === '{') t = ' ';
    else if (aLast.kind === 'label' && a !== undefined) t = ' ';
    else if (opensBody || closesBody || (endsStmt !== undefined && (startsStmt !== undefined || closesBody))) t = breakLine();
    else if (newlines > 0) t = breakLine();
    else if (a === '=' || b === '=' || a === ',') t = ' ';
    else if (cellOpen.has(A.start) || cellClose.has(B.start) || byteOpen.has(A.start) || byteClose.has(B.start)) t = '';
    else t = gap.length > 0 ? ' ' : '';
    edit(A.end, B.start, t);
  }

  // ---- after the last token: comments as they are, one newline at the end ------------------------
  const last = units[units.length - 1];
  const tail = src.slice(last.end);
  if (tail.trim().length === 0) edit(last.end, src.length, eol);
  else {
    let e = src.length;
    while (e > last.end && isSpace(src[e - 1])) e--;
    complexGap(last.end, e, undefined);
    if (!inside(comments, e) && !inside(inactive, e)) edit(e, src.length, eol);
  }
  // a blank line's white space can be seen both as trailing and as indentation: keep one edit per span
  edits.sort((x, y) => x.start - y.start || x.end - y.end);
  const kept: Edit[] = [];
  for (const e of edits) {
    const prev = kept[kept.length - 1];
    if (prev === undefined || e.start >= prev.end && !(e.start === prev.start && e.end === prev.end)) kept.push(e);
  }
  return kept;
}

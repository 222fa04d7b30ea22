// The C-preprocessor subset real .dts files use, plus dtc's own `/include/`.
//
// The output is one string (what the dts lexer reads) and a SourceMap from
// it back to the files. Text without macros is copied verbatim, so positions
// inside it are exact; a macro invocation's expansion maps onto the
// invocation's range.
//
// Lines that start with `#` followed by a directive name are directives; any
// other `#` line (`#address-cells = <1>;`) is ordinary dts text, as with
// `cpp -x assembler-with-cpp`, which is how Linux runs cpp over .dts files.

import * as path from 'path';
import { DiagCode, makeDiagnostic, type Diagnostic, type Range, type Severity } from './diagnostics';
import { parseExpression, evaluate, type ExprToken, type ExprTokenSource } from './expr';
import { decodeCharLiteral, parseIntegerLiteral } from './literals';
import { MacroExpander, ppTokenize, tokensToText, trimWs, type Macro, type PPToken } from './macros';
import { SourceFile, SourceMap } from './source';

export interface IncludeDirective {
  kind: '#include' | '/include/';
  /** The file name as written. */
  path: string;
  /** `<file>` rather than `"file"`. */
  system: boolean;
  /** The whole directive. */
  range: Range;
  /** The file name including its quotes or angle brackets. */
  pathRange: Range;
  /** The file that was read, when one was found. */
  resolved?: string;
}

export interface MacroDefinition {
  name: string;
  params?: string[];
  variadic: boolean;
  /** Replacement text, white space normalised. */
  body: string;
  range: Range;
  nameRange: Range;
}

export interface MacroUse {
  name: string;
  /** The invocation, including a function-like macro's arguments. */
  range: Range;
  definition: MacroDefinition;
  /** What it expanded to. */
  expansion: string;
}

export interface PreprocessOptions {
  /** Reads a file; undefined when it does not exist. Without it no include is followed. */
  readFile?: (absPath: string) => string | undefined;
  /** Searched, in order, after the including file's directory. */
  includeDirs?: string[];
  /**
   * true: included files are spliced into the output (a whole device tree);
   * false: only their macro definitions are taken (one document, for an editor).
   */
  splice: boolean;
  /** Keep includes, macros, macro uses, comments and inactive ranges (default true). */
  details?: boolean;
}

export interface PreprocessResult {
  text: string;
  map: SourceMap;
  diagnostics: Diagnostic[];
  /** Details below are for the main file only, unless splicing (then for every file); empty with `details: false`. */
  includes: IncludeDirective[];
  macros: MacroDefinition[];
  macroUses: MacroUse[];
  comments: Range[];
  /** Text skipped by #if/#ifdef. */
  inactiveRanges: Range[];
  /** Every file read, main file first. */
  files: string[];
}

const DIRECTIVES = new Set([
  'define', 'undef', 'include', 'include_next', 'import', 'if', 'ifdef', 'ifndef', 'elif', 'elifdef', 'elifndef',
  'else', 'endif', 'error', 'warning', 'pragma', 'line', 'ident', 'sccs', 'assert', 'unassert',
]);

const MAX_INCLUDE_DEPTH = 64;

interface DirectiveLine {
  /** Offset of '#'. */
  hash: number;
  name: string;
  nameStart: number;
  nameEnd: number;
  /** Offset of the line's terminating '\n' (or the end of the text). */
  end: number;
}

interface Conditional {
  parentActive: boolean;
  /** Some branch has been taken (so later #elif/#else branches are skipped). */
  taken: boolean;
  elseSeen: boolean;
  range: Range;
}

interface MacroEntry extends Macro {
  def: MacroDefinition;
}

function isIdStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}
function isIdChar(c: number): boolean {
  return isIdStart(c) || (c >= 48 && c <= 57);
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
/** Characters that can continue a dts name but not a C identifier: `#size-cells`, `#if-x` are not directives. */
function isNameOnlyChar(c: number): boolean {
  return c === 45 || c === 44 || c === 46 || c === 43 || c === 42 || c === 35 || c === 63 || c === 64;
}

export function preprocess(text: string, file: string, opts: PreprocessOptions): PreprocessResult {
  return new Preprocessor(opts).run(new SourceFile(file, text));
}

class Preprocessor {
  private readonly parts: string[] = [];
  private outLen = 0;
  private map!: SourceMap;
  private main!: SourceFile;
  private readonly macros = new Map<string, MacroEntry>();
  private readonly diagnostics: Diagnostic[] = [];
  private readonly includes: IncludeDirective[] = [];
  private readonly macroDefs: MacroDefinition[] = [];
  private readonly macroUses: MacroUse[] = [];
  private readonly comments: Range[] = [];
  private readonly inactiveRanges: Range[] = [];
  private readonly files: string[] = [];
  private readonly fileCache = new Map<string, SourceFile>();
  private depth = 0;
  /** First characters of defined macro names: most identifiers need no lookup. */
  private readonly macroFirstChars = new Uint8Array(128);
  private currentExpansionError: ((message: string) => void) | undefined;
  private readonly expander = new MacroExpander(this.macros, (m) => this.currentExpansionError?.(m));

  constructor(private readonly opts: PreprocessOptions) {}

  run(main: SourceFile): PreprocessResult {
    this.main = main;
    this.map = new SourceMap(main);
    this.files.push(main.name);
    this.processFile(main, true);
    return {
      text: this.parts.join(''),
      map: this.map,
      diagnostics: this.diagnostics,
      includes: this.includes,
      macros: this.macroDefs,
      macroUses: this.macroUses,
      comments: this.comments,
      inactiveRanges: this.inactiveRanges,
      files: this.files,
    };
  }

  // ---- output -------------------------------------------------------------

  private emitVerbatim(file: SourceFile, start: number, end: number): void {
    if (end <= start) return;
    const len = end - start;
    this.parts.push(file.text.slice(start, end));
    this.map.add({ outStart: this.outLen, outEnd: this.outLen + len, file, srcStart: start, srcEnd: end, verbatim: true });
    this.outLen += len;
  }

  private emitMapped(file: SourceFile, srcStart: number, srcEnd: number, text: string): void {
    if (text.length === 0) return;
    this.parts.push(text);
    this.map.add({ outStart: this.outLen, outEnd: this.outLen + text.length, file, srcStart, srcEnd, verbatim: false });
    this.outLen += text.length;
  }

  private report(file: SourceFile, start: number, end: number, severity: Severity, message: string, code: string): void {
    // In document mode only the main file's problems belong to the document.
    if (!this.opts.splice && file !== this.main) return;
    this.diagnostics.push(makeDiagnostic(file.range(start, end), severity, message, code));
  }

  /** Whether to keep the editor details (comments, macro uses, ...) for this file. */
  private recording(file: SourceFile): boolean {
    return this.opts.details !== false && (this.opts.splice || file === this.main);
  }

  // ---- scanning -----------------------------------------------------------

  /**
   * Scans one file. `emit` is false while reading an included file only for
   * its macros (document mode).
   */
  private processFile(file: SourceFile, emit: boolean): void {
    const text = file.text;
    const n = text.length;
    const record = this.recording(file);
    this.map.beginFile(file, this.outLen);
    const conds: Conditional[] = [];
    let active = true;
    let inactiveStart = -1;
    let verbStart = 0;
    let i = 0;
    let lineStart = true;

    const flush = (upTo: number): void => {
      if (emit && active && upTo > verbStart) this.emitVerbatim(file, verbStart, upTo);
      verbStart = upTo;
    };
    const setActive = (value: boolean, at: number, resumeAt: number): void => {
      if (active && !value) inactiveStart = resumeAt;
      else if (!active && value && record && inactiveStart >= 0 && at > inactiveStart) {
        this.inactiveRanges.push(file.range(inactiveStart, at));
      }
      active = value;
    };

    while (i < n) {
      if (lineStart) {
        lineStart = false;
        let j = i;
        while (j < n && (text.charCodeAt(j) === 32 || text.charCodeAt(j) === 9)) j++;
        if (text.charCodeAt(j) === 35 /* # */) {
          const d = this.directiveAt(text, j);
          if (d !== undefined) {
            flush(i);
            if (record && active) this.directiveComments(file, d.nameEnd, d.end);
            const lineBegin = i;
            this.directive(file, d, conds, active, emit, (value) => setActive(value, lineBegin, d.end + 1 > n ? n : d.end + 1));
            i = d.end;
            verbStart = i;
            continue;
          }
        }
        if (!active) {
          i = skipInactiveLine(text, i);
          continue;
        }
      }
      const c = text.charCodeAt(i);
      if (c === 10) {
        lineStart = true;
        i++;
        continue;
      }
      if (!active) {
        i = skipInactiveLine(text, i);
        continue;
      }
      if (c === 47 /* / */) {
        const c2 = text.charCodeAt(i + 1);
        if (c2 === 47) {
          let e = text.indexOf('\n', i);
          if (e < 0) e = n;
          if (record) this.comments.push(file.range(i, e));
          i = e;
          continue;
        }
        if (c2 === 42) {
          let e = text.indexOf('*/', i + 2);
          if (e < 0) {
            this.report(file, i, i + 2, 'error', 'unterminated comment', DiagCode.lexical);
            e = n;
          } else e += 2;
          if (record) this.comments.push(file.range(i, e));
          i = e;
          continue;
        }
        if (c2 === 105 && text.startsWith('/include/', i)) {
          const after = this.dtcInclude(file, i, emit, flush);
          if (after > i) {
            i = after;
            verbStart = i;
            continue;
          }
        }
        i++;
        continue;
      }
      if (c === 34 || c === 39) {
        i = skipQuoted(text, i);
        continue;
      }
      if (isDigit(c) || (c === 46 && isDigit(text.charCodeAt(i + 1)))) {
        i = skipPPNumber(text, i);
        continue;
      }
      if (isIdStart(c)) {
        let e = i + 1;
        while (e < n && isIdChar(text.charCodeAt(e))) e++;
        if (c < 128 && this.macroFirstChars[c] === 1) {
          const m = this.macros.get(text.slice(i, e));
          if (m !== undefined) {
            const invEnd = this.invocationEnd(file, m, i, e);
            if (invEnd >= 0) {
              flush(i);
              const expansion = this.expandInvocation(file, m, i, invEnd);
              if (emit) this.emitMapped(file, i, invEnd, expansion);
              if (record) this.macroUses.push({ name: m.name, range: file.range(i, invEnd), definition: m.def, expansion });
              i = invEnd;
              verbStart = i;
              continue;
            }
          }
        }
        i = e;
        continue;
      }
      i++;
    }
    flush(n);
    if (!active && record && inactiveStart >= 0 && n > inactiveStart) this.inactiveRanges.push(file.range(inactiveStart, n));
    for (const c of conds) {
      if (this.opts.splice || file === this.main) {
        this.diagnostics.push(makeDiagnostic(c.range, 'error', 'unterminated conditional directive (missing #endif)', DiagCode.preprocessor));
      }
    }
    this.map.endFile(file);
  }

  /** Records the comments inside a directive line. */
  private directiveComments(file: SourceFile, start: number, end: number): void {
    const text = file.text;
    let i = start;
    while (i < end) {
      const c = text.charCodeAt(i);
      if (c === 34 || c === 39) {
        i = skipQuoted(text, i);
      } else if (c === 47 && text.charCodeAt(i + 1) === 42) {
        const e = text.indexOf('*/', i + 2);
        const stop = e < 0 ? text.length : e + 2;
        this.comments.push(file.range(i, stop));
        i = stop;
      } else if (c === 47 && text.charCodeAt(i + 1) === 47) {
        this.comments.push(file.range(i, end));
        return;
      } else i++;
    }
  }

  /** Recognises a directive line starting at the '#' at `hash`. */
  private directiveAt(text: string, hash: number): DirectiveLine | undefined {
    const n = text.length;
    let k = hash + 1;
    while (k < n && (text.charCodeAt(k) === 32 || text.charCodeAt(k) === 9)) k++;
    const nameStart = k;
    const c = k < n ? text.charCodeAt(k) : 10;
    let name: string;
    if (isIdStart(c)) {
      while (k < n && isIdChar(text.charCodeAt(k))) k++;
      name = text.slice(nameStart, k);
      if (!DIRECTIVES.has(name) || isNameOnlyChar(text.charCodeAt(k))) return undefined;
    } else if (isDigit(c)) {
      name = 'line'; // a `# 12 "file"` line marker
    } else if (c === 10 || c === 13 || (c === 47 && (text[k + 1] === '/' || text[k + 1] === '*'))) {
      name = ''; // the null directive
    } else {
      return undefined;
    }
    return { hash, name, nameStart, nameEnd: k, end: directiveEnd(text, k) };
  }

  private directive(
    file: SourceFile,
    d: DirectiveLine,
    conds: Conditional[],
    active: boolean,
    emit: boolean,
    setActive: (v: boolean) => void,
  ): void {
    const range = file.range(d.hash, trimEnd(file.text, d.hash, d.end));
    const err = (msg: string, sev: Severity = 'error', code: string = DiagCode.preprocessor, r: Range = range): void => {
      if (!this.opts.splice && file !== this.main) return;
      this.diagnostics.push(makeDiagnostic(r, sev, msg, code));
    };
    const name = d.name;
    switch (name) {
      case 'ifdef':
      case 'ifndef':
      case 'if': {
        let value = false;
        if (active) value = name === 'if' ? this.evalIf(file, d, range, err) : this.evalDefined(file, d, err) === (name === 'ifdef');
        conds.push({ parentActive: active, taken: value, elseSeen: false, range });
        setActive(active && value);
        return;
      }
      case 'elif':
      case 'elifdef':
      case 'elifndef': {
        const c = conds[conds.length - 1];
        if (c === undefined) return err(`#${name} without #if`);
        if (c.elseSeen) return err(`#${name} after #else`);
        let value = false;
        if (c.parentActive && !c.taken) {
          value = name === 'elif' ? this.evalIf(file, d, range, err) : this.evalDefined(file, d, err) === (name === 'elifdef');
        }
        c.taken = c.taken || value;
        setActive(c.parentActive && value);
        return;
      }
      case 'else': {
        const c = conds[conds.length - 1];
        if (c === undefined) return err('#else without #if');
        if (c.elseSeen) return err('#else after #else');
        c.elseSeen = true;
        const value = c.parentActive && !c.taken;
        c.taken = true;
        setActive(value);
        return;
      }
      case 'endif': {
        const c = conds.pop();
        if (c === undefined) return err('#endif without #if');
        setActive(c.parentActive);
        return;
      }
    }
    if (!active) return;
    switch (name) {
      case 'define':
        return this.define(file, d, err);
      case 'undef': {
        const toks = trimWs(ppTokenize(file.text, d.nameEnd, d.end));
        if (toks.length === 0 || toks[0].kind !== 'id') return err('macro name missing after #undef');
        this.macros.delete(toks[0].text);
        if (toks.length > 1) err('extra tokens at end of #undef directive', 'warning');
        return;
      }
      case 'include':
        return this.hashInclude(file, d, range, emit, err);
      case 'error':
      case 'warning': {
        const msg = file.text.slice(d.nameEnd, d.end).trim();
        return err(`#${name} ${msg}`.trim(), name === 'error' ? 'error' : 'warning');
      }
      case '':
        return; // null directive
      default:
        return err(`unsupported preprocessor directive '#${name}' ignored`, 'warning', DiagCode.unsupportedDirective);
    }
  }

  // ---- macros -------------------------------------------------------------

  private define(file: SourceFile, d: DirectiveLine, err: (m: string, s?: Severity) => void): void {
    const text = file.text;
    const toks = ppTokenize(text, d.nameEnd, d.end);
    let k = 0;
    while (k < toks.length && toks[k].kind === 'ws') k++;
    const nameTok = toks[k];
    if (nameTok === undefined || nameTok.kind !== 'id') return err('macro name missing after #define');
    if (nameTok.text === 'defined') return err("'defined' cannot be used as a macro name");
    k++;
    let params: string[] | undefined;
    let variadic = false;
    const next = toks[k];
    if (next !== undefined && next.kind === 'punct' && next.text === '(') {
      params = [];
      k++;
      let ok = false;
      for (;;) {
        while (k < toks.length && toks[k].kind === 'ws') k++;
        const t = toks[k];
        if (t === undefined) break;
        if (t.kind === 'punct' && t.text === ')' && params.length === 0) {
          k++;
          ok = true;
          break;
        }
        if (t.kind === 'punct' && t.text === '...') {
          params.push('__VA_ARGS__');
          variadic = true;
          k++;
        } else if (t.kind === 'id') {
          params.push(t.text);
          k++;
          if (toks[k]?.text === '...') {
            variadic = true;
            k++;
          }
        } else break;
        while (k < toks.length && toks[k].kind === 'ws') k++;
        const sep = toks[k];
        if (sep !== undefined && sep.text === ')') {
          k++;
          ok = true;
          break;
        }
        if (sep === undefined || sep.text !== ',' || variadic) break;
        k++;
      }
      if (!ok) return err(`malformed parameter list in definition of macro '${nameTok.text}'`);
    }
    const body = trimWs(toks.slice(k)).map((t): PPToken => ({ kind: t.kind, text: t.text }));
    const bodyText = tokensToText(body);
    const def: MacroDefinition = {
      name: nameTok.text,
      variadic,
      body: bodyText,
      range: file.range(d.hash, trimEnd(text, d.hash, d.end)),
      nameRange: file.range(nameTok.offset!, nameTok.end!),
    };
    if (params !== undefined) def.params = params;
    const old = this.macros.get(def.name);
    if (old !== undefined && (old.def.body !== def.body || String(old.params) !== String(params))) {
      err(`'${def.name}' redefined (previous definition at ${old.def.range.file}:${old.def.range.start.line})`, 'warning');
    }
    const entry: MacroEntry = { name: def.name, variadic, body, def };
    if (params !== undefined) entry.params = params;
    this.macros.set(def.name, entry);
    const first = def.name.charCodeAt(0);
    if (first < 128) this.macroFirstChars[first] = 1;
    if (this.recording(file)) this.macroDefs.push(def);
  }

  /**
   * End of a macro invocation starting at `start` (name ends at `nameEnd`),
   * or -1 when a function-like macro's name is not followed by '('.
   */
  private invocationEnd(file: SourceFile, m: MacroEntry, start: number, nameEnd: number): number {
    if (m.params === undefined) return nameEnd;
    const text = file.text;
    const n = text.length;
    let i = skipSpaceAndComments(text, nameEnd);
    if (text.charCodeAt(i) !== 40 /* ( */) return -1;
    let depth = 0;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 40) depth++;
      else if (c === 41) {
        depth--;
        if (depth === 0) return i + 1;
      } else if (c === 34 || c === 39) {
        i = skipQuoted(text, i);
        continue;
      } else if (c === 47 && (text.charCodeAt(i + 1) === 42 || text.charCodeAt(i + 1) === 47)) {
        i = skipSpaceAndComments(text, i);
        continue;
      }
      i++;
    }
    this.report(file, start, nameEnd, 'error', `unterminated argument list invoking macro '${m.name}'`, DiagCode.macro);
    return -1;
  }

  private expandInvocation(file: SourceFile, m: MacroEntry, start: number, end: number): string {
    const toks = ppTokenize(file.text, start, end);
    this.currentExpansionError = (msg) => this.report(file, start, end, 'error', msg, DiagCode.macro);
    const out = this.expander.expand(toks);
    this.currentExpansionError = undefined;
    // The expansion is pasted in place, so `dad@ADDR` becomes `dad@10000000` (as cpp does);
    // an empty expansion still separates its neighbours.
    const s = tokensToText(out);
    return s.length === 0 ? ' ' : s;
  }

  private evalDefined(file: SourceFile, d: DirectiveLine, err: (m: string) => void): boolean {
    const toks = trimWs(ppTokenize(file.text, d.nameEnd, d.end));
    if (toks.length === 0 || toks[0].kind !== 'id') {
      err(`no macro name given in #${d.name} directive`);
      return false;
    }
    return this.macros.has(toks[0].text);
  }

  private evalIf(file: SourceFile, d: DirectiveLine, range: Range, err: (m: string, s?: Severity, code?: string, r?: Range) => void): boolean {
    const raw = ppTokenize(file.text, d.nameEnd, d.end);
    // Replace `defined X` / `defined(X)` before expansion.
    const pre: PPToken[] = [];
    for (let i = 0; i < raw.length; i++) {
      const t = raw[i];
      if (t.kind === 'id' && t.text === 'defined') {
        let j = i + 1;
        while (raw[j]?.kind === 'ws') j++;
        let paren = false;
        if (raw[j]?.text === '(') {
          paren = true;
          j++;
          while (raw[j]?.kind === 'ws') j++;
        }
        const nameTok = raw[j];
        if (nameTok === undefined || nameTok.kind !== 'id') {
          err("operator 'defined' requires an identifier");
          return false;
        }
        if (paren) {
          j++;
          while (raw[j]?.kind === 'ws') j++;
          if (raw[j]?.text !== ')') {
            err("missing ')' after 'defined'");
            return false;
          }
        }
        pre.push({ kind: 'num', text: this.macros.has(nameTok.text) ? '1' : '0', offset: t.offset, end: raw[j].end });
        i = j;
        continue;
      }
      pre.push(t);
    }
    this.currentExpansionError = (msg) => err(msg, 'error', DiagCode.macro);
    const expanded = this.expander.expand(pre);
    this.currentExpansionError = undefined;
    const tokens: ExprToken[] = [];
    let failed = false;
    for (const t of expanded) {
      if (t.kind === 'ws') continue;
      const r = t.offset !== undefined && t.end !== undefined ? file.range(t.offset, t.end) : range;
      if (t.kind === 'id') tokens.push({ kind: 'number', text: t.text, value: 0n, range: r });
      else if (t.kind === 'num') {
        const lit = parseIntegerLiteral(t.text);
        if (lit.error !== undefined && !failed) {
          err(lit.error, 'error', DiagCode.preprocessor, r);
          failed = true;
        }
        tokens.push({ kind: 'number', text: t.text, value: lit.value, range: r });
      } else if (t.kind === 'chr') {
        const ch = decodeCharLiteral(t.text.slice(1, -1));
        tokens.push({ kind: 'char', text: t.text, value: ch.value, range: r });
      } else if (t.kind === 'punct') tokens.push({ kind: 'op', text: t.text, range: r });
      else tokens.push({ kind: 'other', text: t.text, range: r });
    }
    if (failed) return false;
    const endRange: Range = { file: range.file, start: range.end, end: range.end };
    let pos = 0;
    const eof: ExprToken = { kind: 'eof', text: '', range: endRange };
    const src: ExprTokenSource = {
      peek: () => tokens[pos] ?? eof,
      next: () => tokens[pos++] ?? eof,
    };
    if (tokens.length === 0) {
      err(`#${d.name} with no expression`);
      return false;
    }
    let syntaxError = false;
    const expr = parseExpression(src, {
      unaryPlus: true,
      error: (r, m) => {
        syntaxError = true;
        err(m + ` in #${d.name}`, 'error', DiagCode.preprocessor, r);
      },
    });
    if (syntaxError) return false;
    if (pos < tokens.length) {
      err(`missing binary operator before '${tokens[pos].text}' in #${d.name}`, 'error', DiagCode.preprocessor, tokens[pos].range);
      return false;
    }
    return evaluate(expr, { signed: true, error: (r, m) => err(m + ` in #${d.name}`, 'error', DiagCode.preprocessor, r) }) !== 0n;
  }

  // ---- includes -----------------------------------------------------------

  private hashInclude(file: SourceFile, d: DirectiveLine, range: Range, emit: boolean, err: (m: string, s?: Severity) => void): void {
    const text = file.text;
    let p = d.nameEnd;
    while (p < d.end && (text.charCodeAt(p) === 32 || text.charCodeAt(p) === 9)) p++;
    let name: string | undefined;
    let system = false;
    const pathStart = p;
    let pathEnd: number;
    const open = text[p];
    if (open === '"' || open === '<') {
      const close = text.indexOf(open === '"' ? '"' : '>', p + 1);
      if (close < 0 || close > d.end) return err(`missing terminating ${open === '"' ? '"' : '>'} character in #include`);
      name = text.slice(p + 1, close);
      system = open === '<';
      pathEnd = close + 1;
      const rest = trimWs(ppTokenize(text, pathEnd, d.end));
      if (rest.length > 0) err('extra tokens at end of #include directive', 'warning');
    } else {
      // #include MACRO
      const toks = trimWs(this.expander.expand(trimWs(ppTokenize(text, p, d.end))));
      const s = tokensToText(toks).trim();
      pathEnd = trimEnd(text, p, d.end);
      if (s.startsWith('"') && s.endsWith('"') && s.length >= 2) name = s.slice(1, -1);
      else if (s.startsWith('<') && s.endsWith('>')) {
        name = s.slice(1, -1);
        system = true;
      }
    }
    if (name === undefined || name.length === 0) return err('#include expects "FILENAME" or <FILENAME>');
    const inc: IncludeDirective = {
      kind: '#include',
      path: name,
      system,
      range,
      pathRange: file.range(pathStart, pathEnd),
    };
    this.include(file, inc, emit, false);
  }

  /** dtc's `/include/ "file"`, anywhere in the text. Returns the offset after it, or `at` if it is not one. */
  private dtcInclude(file: SourceFile, at: number, emit: boolean, flush: (upTo: number) => void): number {
    const text = file.text;
    let p = at + '/include/'.length;
    while (p < text.length && /\s/.test(text[p])) p++;
    if (text[p] !== '"') {
      this.report(file, at, at + 9, 'error', "expected \"FILENAME\" after '/include/'", DiagCode.syntax);
      flush(at);
      return at + 9;
    }
    const close = skipQuoted(text, p);
    if (text[close - 1] !== '"' || close - 1 === p) {
      this.report(file, at, close, 'error', "unterminated file name after '/include/'", DiagCode.syntax);
      flush(at);
      return close;
    }
    flush(at);
    const inc: IncludeDirective = {
      kind: '/include/',
      path: text.slice(p + 1, close - 1),
      system: false,
      range: file.range(at, close),
      pathRange: file.range(p, close),
    };
    this.include(file, inc, emit, true);
    return close;
  }

  private include(file: SourceFile, inc: IncludeDirective, emit: boolean, separate: boolean): void {
    if (this.recording(file)) this.includes.push(inc);
    const read = this.opts.readFile;
    if (read === undefined) return;
    const report = (msg: string): void => {
      if (!this.opts.splice && file !== this.main) return;
      this.diagnostics.push(makeDiagnostic(inc.range, 'error', msg, DiagCode.includeNotFound));
    };
    const candidates: string[] = [];
    if (path.isAbsolute(inc.path)) candidates.push(path.normalize(inc.path));
    else {
      candidates.push(path.join(path.dirname(file.name), inc.path));
      for (const dir of this.opts.includeDirs ?? []) candidates.push(path.join(dir, inc.path));
    }
    let found: SourceFile | undefined;
    for (const c of candidates) {
      const cached = this.fileCache.get(c);
      if (cached !== undefined) {
        found = cached;
        break;
      }
      let content: string | undefined;
      try {
        content = read(c);
      } catch {
        content = undefined;
      }
      if (content !== undefined) {
        found = new SourceFile(c, content);
        this.fileCache.set(c, found);
        break;
      }
    }
    if (found === undefined) {
      const dirs = [...new Set(candidates.map((c) => path.dirname(c)))];
      report(`cannot find include file '${inc.path}' (searched ${dirs.join(', ')})`);
      return;
    }
    inc.resolved = found.name;
    if (this.depth >= MAX_INCLUDE_DEPTH) {
      report(`#include nested too deeply (more than ${MAX_INCLUDE_DEPTH} levels) including '${inc.path}'`);
      return;
    }
    if (!this.files.includes(found.name)) this.files.push(found.name);
    const spliced = emit && this.opts.splice;
    const srcOff = inc.range.start.offset;
    const srcEnd = inc.range.end.offset;
    if (spliced && separate) this.emitMapped(file, srcOff, srcEnd, '\n');
    this.depth++;
    this.processFile(found, spliced);
    this.depth--;
    if (spliced) this.emitMapped(file, srcEnd, srcEnd, '\n');
  }
}

// ---- character-level helpers ----------------------------------------------

/** Skips a string or character literal starting at `i`; stops at the end of the line if unterminated. */
function skipQuoted(text: string, i: number): number {
  const q = text.charCodeAt(i);
  const n = text.length;
  let j = i + 1;
  while (j < n) {
    const d = text.charCodeAt(j);
    if (d === 92) {
      j += text.charCodeAt(j + 1) === 10 ? 1 : 2;
      continue;
    }
    if (d === q) return j + 1;
    if (d === 10) return j;
    j++;
  }
  return n;
}

function skipPPNumber(text: string, i: number): number {
  const n = text.length;
  let j = i + 1;
  while (j < n) {
    const d = text.charCodeAt(j);
    if (isIdChar(d) || d === 46) j++;
    else if ((d === 43 || d === 45) && /[eEpP]/.test(text[j - 1])) j++;
    else break;
  }
  return j;
}

function skipSpaceAndComments(text: string, i: number): number {
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13) i++;
    else if (c === 47 && text.charCodeAt(i + 1) === 42) {
      const e = text.indexOf('*/', i + 2);
      i = e < 0 ? n : e + 2;
    } else if (c === 47 && text.charCodeAt(i + 1) === 47) {
      const e = text.indexOf('\n', i);
      i = e < 0 ? n : e;
    } else break;
  }
  return i;
}

/** Skips the rest of a line in a skipped (#if 0) region; a block comment may carry it over several lines. */
function skipInactiveLine(text: string, i: number): number {
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 10) return i;
    if (c === 47 && text.charCodeAt(i + 1) === 42) {
      const e = text.indexOf('*/', i + 2);
      i = e < 0 ? n : e + 2;
      continue;
    }
    if (c === 47 && text.charCodeAt(i + 1) === 47) {
      const e = text.indexOf('\n', i);
      return e < 0 ? n : e;
    }
    i++;
  }
  return n;
}

/** Offset of the '\n' ending a directive that starts at `i`, following backslash-newlines and block comments. */
function directiveEnd(text: string, i: number): number {
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 10) return i;
    if (c === 92 && text.charCodeAt(i + 1) === 10) {
      i += 2;
      continue;
    }
    if (c === 92 && text.charCodeAt(i + 1) === 13 && text.charCodeAt(i + 2) === 10) {
      i += 3;
      continue;
    }
    if (c === 47 && text.charCodeAt(i + 1) === 42) {
      const e = text.indexOf('*/', i + 2);
      i = e < 0 ? n : e + 2;
      continue;
    }
    if (c === 47 && text.charCodeAt(i + 1) === 47) {
      const e = text.indexOf('\n', i);
      return e < 0 ? n : e;
    }
    if (c === 34 || c === 39) {
      i = skipQuoted(text, i);
      continue;
    }
    i++;
  }
  return n;
}

/** `end` moved back over trailing white space (and a '\r'). */
function trimEnd(text: string, start: number, end: number): number {
  while (end > start && /\s/.test(text[end - 1])) end--;
  return end;
}

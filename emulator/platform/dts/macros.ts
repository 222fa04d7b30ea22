// C preprocessor tokens and macro expansion (object-like and function-like
// macros, `#` stringizing, `##` pasting, __VA_ARGS__), following the usual
// "hide set" algorithm so that self-referencing macros terminate.

export type PPTokenKind = 'id' | 'num' | 'str' | 'chr' | 'punct' | 'ws';

export interface PPToken {
  kind: PPTokenKind;
  text: string;
  /** Source offsets, for tokens read directly from a file (not produced by an expansion). */
  offset?: number;
  end?: number;
  /** Macros that must not be expanded again in this token (the hide set). */
  hide?: ReadonlySet<string>;
  /** A `##` that came from a macro body (an operator, not an argument's text). */
  paste?: boolean;
}

export interface Macro {
  name: string;
  /** Parameter names; undefined for an object-like macro. A variadic macro's last parameter is `__VA_ARGS__` or the named one. */
  params?: string[];
  variadic: boolean;
  body: PPToken[];
}

const PUNCT2 = new Set(['##', '<<', '>>', '<=', '>=', '==', '!=', '&&', '||', '->', '++', '--']);

function isIdStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}
function isIdChar(c: number): boolean {
  return isIdStart(c) || (c >= 48 && c <= 57);
}
function isDigitCode(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * Splits text[start, end) into preprocessing tokens. Comments, line
 * continuations and runs of white space become one 'ws' token.
 */
export function ppTokenize(text: string, start = 0, end = text.length): PPToken[] {
  const out: PPToken[] = [];
  let i = start;
  while (i < end) {
    const c = text.charCodeAt(i);
    const s = i;
    // white space, comments, backslash-newline
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 11 || c === 12 || c === 47 || c === 92) {
      let j = i;
      for (;;) {
        const d = text.charCodeAt(j);
        if (j >= end) break;
        if (d === 32 || d === 9 || d === 10 || d === 13 || d === 11 || d === 12) j++;
        else if (d === 92 && (text.charCodeAt(j + 1) === 10 || (text.charCodeAt(j + 1) === 13 && text.charCodeAt(j + 2) === 10))) {
          j += text.charCodeAt(j + 1) === 10 ? 2 : 3;
        } else if (d === 47 && text.charCodeAt(j + 1) === 42) {
          const close = text.indexOf('*/', j + 2);
          j = close < 0 || close + 2 > end ? end : close + 2;
        } else if (d === 47 && text.charCodeAt(j + 1) === 47) {
          const nl = text.indexOf('\n', j);
          j = nl < 0 || nl > end ? end : nl;
        } else break;
      }
      if (j > i) {
        out.push({ kind: 'ws', text: ' ', offset: s, end: j });
        i = j;
        continue;
      }
    }
    if (isIdStart(c)) {
      let j = i + 1;
      while (j < end && isIdChar(text.charCodeAt(j))) j++;
      out.push({ kind: 'id', text: text.slice(i, j), offset: s, end: j });
      i = j;
      continue;
    }
    if (isDigitCode(c) || (c === 46 && isDigitCode(text.charCodeAt(i + 1)))) {
      let j = i + 1;
      while (j < end) {
        const d = text.charCodeAt(j);
        if (isIdChar(d) || d === 46) j++;
        else if ((d === 43 || d === 45) && /[eEpP]/.test(text[j - 1])) j++;
        else break;
      }
      out.push({ kind: 'num', text: text.slice(i, j), offset: s, end: j });
      i = j;
      continue;
    }
    if (c === 34 || c === 39) {
      let j = i + 1;
      while (j < end) {
        const d = text.charCodeAt(j);
        if (d === 92) j += 2;
        else if (d === c) {
          j++;
          break;
        } else if (d === 10) break;
        else j++;
      }
      if (j > end) j = end;
      out.push({ kind: c === 34 ? 'str' : 'chr', text: text.slice(i, j), offset: s, end: j });
      i = j;
      continue;
    }
    const two = text.slice(i, i + 2);
    if (i + 1 < end && PUNCT2.has(two)) {
      out.push({ kind: 'punct', text: two, offset: s, end: i + 2 });
      i += 2;
      continue;
    }
    if (text.startsWith('...', i) && i + 3 <= end) {
      out.push({ kind: 'punct', text: '...', offset: s, end: i + 3 });
      i += 3;
      continue;
    }
    // One character (a surrogate pair stays together).
    const cp = text.codePointAt(i)!;
    const len = cp > 0xffff ? 2 : 1;
    out.push({ kind: 'punct', text: text.slice(i, i + len), offset: s, end: i + len });
    i += len;
  }
  return out;
}

export function tokensToText(tokens: readonly PPToken[]): string {
  let s = '';
  for (const t of tokens) s += t.text;
  return s;
}

/** Drops leading and trailing white space tokens. */
export function trimWs(tokens: PPToken[]): PPToken[] {
  let a = 0;
  let b = tokens.length;
  while (a < b && tokens[a].kind === 'ws') a++;
  while (b > a && tokens[b - 1].kind === 'ws') b--;
  return a === 0 && b === tokens.length ? tokens : tokens.slice(a, b);
}

const MAX_EXPANSION_TOKENS = 1_000_000;
const MAX_EXPANSION_NESTING = 100;

export class MacroExpander {
  /** Tokens one top-level expansion may still produce. */
  private budget = MAX_EXPANSION_TOKENS;
  private depth = 0;
  /** Set when an expansion was given up; the rest of it is left unexpanded. */
  private aborted = false;

  /** Hide sets are interned, so tokens share them and unions are computed once. */
  private readonly hideSets = new Map<string, ReadonlySet<string>>();
  private readonly unions = new Map<ReadonlySet<string>, Map<ReadonlySet<string>, ReadonlySet<string>>>();

  constructor(
    private readonly macros: ReadonlyMap<string, Macro>,
    private readonly error: (message: string) => void,
  ) {}

  private intern(names: string[]): ReadonlySet<string> {
    names.sort();
    const key = names.join('\0');
    let set = this.hideSets.get(key);
    if (set === undefined) this.hideSets.set(key, (set = new Set(names)));
    return set;
  }

  private union(a: ReadonlySet<string> | undefined, b: ReadonlySet<string>): ReadonlySet<string> {
    if (a === undefined || a.size === 0 || a === b) return b;
    let byB = this.unions.get(a);
    if (byB === undefined) this.unions.set(a, (byB = new Map()));
    let u = byB.get(b);
    if (u === undefined) {
      u = this.intern([...new Set([...a, ...b])]);
      byB.set(b, u);
    }
    return u;
  }

  private addHide(hs: ReadonlySet<string> | undefined, name: string): ReadonlySet<string> {
    return this.union(hs, this.intern([name]));
  }

  private withHide(t: PPToken, hs: ReadonlySet<string>): PPToken {
    return { kind: t.kind, text: t.text, hide: this.union(t.hide, hs) };
  }

  /** Fully macro-expands a token list. */
  expand(input: readonly PPToken[]): PPToken[] {
    if (this.aborted) return input.slice();
    if (this.depth >= MAX_EXPANSION_NESTING) {
      this.error(`macro arguments nested too deeply (more than ${MAX_EXPANSION_NESTING} levels)`);
      this.aborted = true;
      return input.slice();
    }
    this.depth++;
    try {
      return this.expandTokens(input);
    } finally {
      this.depth--;
      if (this.depth === 0) {
        this.aborted = false;
        this.budget = MAX_EXPANSION_TOKENS;
      }
    }
  }

  private expandTokens(input: readonly PPToken[]): PPToken[] {
    const out: PPToken[] = [];
    // A stack holding the remaining input in reverse order, so expansions can be pushed back for rescanning.
    const stack: PPToken[] = [];
    for (let i = input.length - 1; i >= 0; i--) stack.push(input[i]);
    while (stack.length > 0) {
      const t = stack.pop()!;
      if (t.kind !== 'id') {
        out.push(t);
        continue;
      }
      const m = this.macros.get(t.text);
      if (m === undefined || (t.hide !== undefined && t.hide.has(t.text))) {
        out.push(t);
        continue;
      }
      if (this.budget <= 0 || this.aborted) {
        out.push(t);
        continue;
      }
      if (m.params === undefined) {
        const hs = this.addHide(t.hide, m.name);
        this.pushBody(stack, m.body.map((b) => this.withHide(b, hs)));
        continue;
      }
      // Function-like: only an invocation when followed by '('.
      let k = stack.length - 1;
      while (k >= 0 && stack[k].kind === 'ws') k--;
      if (k < 0 || stack[k].kind !== 'punct' || stack[k].text !== '(') {
        out.push(t);
        continue;
      }
      const saved = stack.slice(k);
      stack.length = k;
      const args = this.collectArgs(stack, m);
      if (args === undefined) {
        this.error(`unterminated argument list invoking macro '${m.name}'`);
        out.push(t);
        for (let i = saved.length - 1; i >= 0; i--) out.push(saved[i]);
        stack.length = 0;
        continue;
      }
      const expected = m.params.length;
      let given = args.length;
      if (given === 1 && expected === 0 && trimWs(args[0]).length === 0) given = 0;
      if (m.variadic ? given < expected - 1 : given !== expected) {
        this.error(`macro '${m.name}' requires ${expected} argument${expected === 1 ? '' : 's'}, but ${given} given`);
        out.push(t);
        continue;
      }
      while (args.length < expected) args.push([]);
      const hs = this.addHide(t.hide, m.name);
      this.pushBody(stack, this.substitute(m, args, hs));
    }
    return out;
  }

  private pushBody(stack: PPToken[], body: PPToken[]): void {
    this.budget -= body.length;
    if (this.budget <= 0) {
      this.error('macro expansion too large');
      return;
    }
    for (let i = body.length - 1; i >= 0; i--) stack.push(body[i]);
  }

  /** Pops the arguments of an invocation (the '(' already removed) off the reversed stack. */
  private collectArgs(stack: PPToken[], m: Macro): PPToken[][] | undefined {
    const args: PPToken[][] = [[]];
    const params = m.params!;
    let depth = 1;
    while (stack.length > 0) {
      const t = stack.pop()!;
      if (t.kind === 'punct') {
        if (t.text === '(') depth++;
        else if (t.text === ')') {
          depth--;
          if (depth === 0) return args.map(trimWs);
        } else if (t.text === ',' && depth === 1 && !(m.variadic && args.length >= params.length)) {
          args.push([]);
          continue;
        }
      }
      args[args.length - 1].push(t);
    }
    return undefined;
  }

  private substitute(m: Macro, args: PPToken[][], hs: ReadonlySet<string>): PPToken[] {
    const params = m.params!;
    const body = m.body;
    const res: PPToken[] = [];
    const paramIndex = (t: PPToken | undefined): number => (t !== undefined && t.kind === 'id' ? params.indexOf(t.text) : -1);
    const nextNonWs = (i: number): number => {
      let j = i + 1;
      while (j < body.length && body[j].kind === 'ws') j++;
      return j;
    };
    const prevNonWs = (i: number): number => {
      let j = i - 1;
      while (j >= 0 && body[j].kind === 'ws') j--;
      return j;
    };
    for (let i = 0; i < body.length; i++) {
      const t = body[i];
      if (t.kind === 'punct' && t.text === '#') {
        const j = nextNonWs(i);
        const p = paramIndex(body[j]);
        if (p >= 0) {
          res.push({ kind: 'str', text: stringize(args[p]) });
          i = j;
          continue;
        }
      }
      const p = paramIndex(t);
      if (p >= 0) {
        const prev = body[prevNonWs(i)];
        const next = body[nextNonWs(i)];
        const pasted = (prev !== undefined && prev.text === '##') || (next !== undefined && next.text === '##');
        const arg = pasted ? args[p] : this.expand(args[p]);
        for (const a of arg) res.push({ kind: a.kind, text: a.text, hide: a.hide });
        continue;
      }
      if (t.kind === 'punct' && t.text === '##') {
        res.push({ kind: 'punct', text: '##', paste: true });
        continue;
      }
      res.push({ kind: t.kind, text: t.text });
    }
    const pasted = pasteTokens(res);
    return pasted.map((t) => this.withHide(t, hs));
  }
}

function stringize(arg: readonly PPToken[]): string {
  let s = '';
  for (const t of arg) {
    if (t.kind === 'str' || t.kind === 'chr') s += t.text.replace(/[\\"]/g, (c) => '\\' + c);
    else s += t.text;
  }
  return '"' + s.trim() + '"';
}

/** Applies `##` operators: joins the tokens on each side and re-tokenizes the result. */
function pasteTokens(tokens: PPToken[]): PPToken[] {
  if (!tokens.some((t) => t.paste === true)) return tokens;
  const out: PPToken[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.paste !== true) {
      out.push(t);
      continue;
    }
    while (out.length > 0 && out[out.length - 1].kind === 'ws') out.pop();
    let j = i + 1;
    while (j < tokens.length && tokens[j].kind === 'ws') j++;
    const left = out.pop();
    const right = j < tokens.length && tokens[j].paste !== true ? tokens[j] : undefined;
    const joined = (left?.text ?? '') + (right?.text ?? '');
    if (joined.length > 0) for (const r of ppTokenize(joined)) out.push({ kind: r.kind, text: r.text });
    i = right !== undefined ? j : j - 1;
  }
  return out;
}

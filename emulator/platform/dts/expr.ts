// C integer expressions, as dtc accepts them inside `( )` in cell lists and as
// the C preprocessor accepts them after `#if`. One parser for both; the token
// source is supplied by the caller (the dts lexer or the preprocessor).
//
// Values are 64-bit: dtc computes in uint64_t, cpp in intmax_t (`signed`).

import type { Range } from './diagnostics';

export type UnaryOp = '-' | '~' | '!' | '+';
export type BinaryOp =
  | '||' | '&&' | '|' | '^' | '&' | '==' | '!=' | '<' | '>' | '<=' | '>='
  | '<<' | '>>' | '+' | '-' | '*' | '/' | '%';

export type Expr =
  | { kind: 'literal'; value: bigint; range: Range }
  | { kind: 'unary'; op: UnaryOp; operand: Expr; range: Range }
  | { kind: 'binary'; op: BinaryOp; left: Expr; right: Expr; range: Range; opRange: Range }
  | { kind: 'ternary'; cond: Expr; then: Expr; else: Expr; range: Range }
  | { kind: 'paren'; inner: Expr; range: Range }
  | { kind: 'error'; range: Range };

export interface ExprToken {
  /** 'number' and 'char' carry `value`; 'op' is an operator or parenthesis; 'other' is anything else. */
  kind: 'number' | 'char' | 'op' | 'other' | 'eof';
  text: string;
  value?: bigint;
  range: Range;
}

export interface ExprTokenSource {
  peek(): ExprToken;
  next(): ExprToken;
}

export interface ExprOptions {
  /** Called for syntax errors. The parser never throws. */
  error(range: Range, message: string): void;
  /** Accept unary '+' (C does; dtc does not). */
  unaryPlus?: boolean;
}

const MAX_EXPR_NESTING = 200;
const MAX_EXPR_NODES = 2000;

const BINARY_PRECEDENCE: Record<string, number> = {
  '||': 2, '&&': 3, '|': 4, '^': 5, '&': 6,
  '==': 7, '!=': 7, '<': 8, '>': 8, '<=': 8, '>=': 8,
  '<<': 9, '>>': 9, '+': 10, '-': 10, '*': 11, '/': 11, '%': 11,
};

function spanRanges(a: Range, b: Range): Range {
  if (a.file !== b.file || b.end.offset < a.start.offset) return a;
  return { file: a.file, start: a.start, end: b.end };
}

function describe(t: ExprToken): string {
  return t.kind === 'eof' ? 'end of input' : `'${t.text}'`;
}

/**
 * Parses one expression from `src`: a whole (ternary) expression, or only a
 * unary or primary one (dtc's `integer_prim`: a literal or `( expr )`). On a
 * syntax error it reports once, returns an `error` node and leaves the
 * offending token unconsumed.
 */
export function parseExpression(src: ExprTokenSource, opts: ExprOptions, level: 'full' | 'unary' | 'primary' = 'full'): Expr {
  let failed = false;
  const fail = (t: ExprToken, message: string): Expr => {
    if (!failed) opts.error(t.range, message);
    failed = true;
    return { kind: 'error', range: t.range };
  };

  const isOp = (t: ExprToken, text: string): boolean => t.kind === 'op' && t.text === text;
  // Limits keep hostile input from overflowing the stack (here or in `evaluate`).
  let nesting = 0;
  let nodes = 0;

  function primary(): Expr {
    const t = src.peek();
    if (++nodes > MAX_EXPR_NODES) return fail(t, `expression too complex (more than ${MAX_EXPR_NODES} terms)`);
    if (t.kind === 'number' || t.kind === 'char') {
      src.next();
      return { kind: 'literal', value: t.value ?? 0n, range: t.range };
    }
    if (isOp(t, '(')) {
      if (nesting >= MAX_EXPR_NESTING) return fail(t, `expression nested too deeply (more than ${MAX_EXPR_NESTING} levels)`);
      src.next();
      nesting++;
      const inner = ternary();
      nesting--;
      if (failed) return inner;
      const close = src.peek();
      if (!isOp(close, ')')) {
        return fail(close, `expected ')' to match '(' at ${t.range.start.line}:${t.range.start.col}, found ${describe(close)}`);
      }
      src.next();
      return { kind: 'paren', inner, range: spanRanges(t.range, close.range) };
    }
    if (t.kind === 'other' && /^[A-Za-z_]\w*$/.test(t.text)) return fail(t, `unknown identifier '${t.text}' in expression (undefined macro?)`);
    return fail(t, `expected a number, character literal or '(' in expression, found ${describe(t)}`);
  }

  function unary(): Expr {
    const t = src.peek();
    if (t.kind === 'op' && (t.text === '-' || t.text === '~' || t.text === '!' || (t.text === '+' && opts.unaryPlus))) {
      if (nesting >= MAX_EXPR_NESTING) return fail(t, `expression nested too deeply (more than ${MAX_EXPR_NESTING} levels)`);
      src.next();
      nesting++;
      const operand = unary();
      nesting--;
      return { kind: 'unary', op: t.text as UnaryOp, operand, range: spanRanges(t.range, operand.range) };
    }
    return primary();
  }

  function binary(minPrec: number): Expr {
    let left = unary();
    while (!failed) {
      const t = src.peek();
      if (t.kind !== 'op') break;
      const prec = BINARY_PRECEDENCE[t.text];
      if (prec === undefined || prec < minPrec) break;
      src.next();
      const right = binary(prec + 1);
      left = { kind: 'binary', op: t.text as BinaryOp, left, right, range: spanRanges(left.range, right.range), opRange: t.range };
    }
    return left;
  }

  function ternary(): Expr {
    const cond = binary(2);
    if (failed) return cond;
    const q = src.peek();
    if (!isOp(q, '?')) return cond;
    if (nesting >= MAX_EXPR_NESTING) return fail(q, `expression nested too deeply (more than ${MAX_EXPR_NESTING} levels)`);
    src.next();
    nesting++;
    const then = ternary();
    if (failed) return then;
    const colon = src.peek();
    if (!isOp(colon, ':')) return fail(colon, `expected ':' in conditional expression, found ${describe(colon)}`);
    src.next();
    const otherwise = ternary();
    nesting--;
    return { kind: 'ternary', cond, then, else: otherwise, range: spanRanges(cond.range, otherwise.range) };
  }

  return level === 'primary' ? primary() : level === 'unary' ? unary() : ternary();
}

const MASK64 = (1n << 64n) - 1n;

export interface EvalOptions {
  /** Signed 64-bit semantics for comparisons, division and right shifts (cpp). Default: unsigned (dtc). */
  signed?: boolean;
  error(range: Range, message: string): void;
}

/** Evaluates to a 64-bit value in [0, 2^64). Errors (division by zero) are reported and yield 0. */
export function evaluate(e: Expr, opts: EvalOptions): bigint {
  const signed = opts.signed === true;
  const s = (v: bigint): bigint => (signed ? BigInt.asIntN(64, v) : v);
  const wrap = (v: bigint): bigint => (v >= 0n && v <= MASK64 ? v : v & MASK64);
  const bool = (b: boolean): bigint => (b ? 1n : 0n);

  function ev(x: Expr): bigint {
    switch (x.kind) {
      case 'literal':
        return wrap(x.value);
      case 'error':
        return 0n;
      case 'paren':
        return ev(x.inner);
      case 'unary': {
        const v = ev(x.operand);
        switch (x.op) {
          case '-': return wrap(-v);
          case '~': return wrap(~v);
          case '!': return bool(v === 0n);
          case '+': return v;
        }
        return 0n;
      }
      case 'ternary':
        return ev(x.cond) !== 0n ? ev(x.then) : ev(x.else);
      case 'binary': {
        if (x.op === '&&') return bool(ev(x.left) !== 0n && ev(x.right) !== 0n);
        if (x.op === '||') return bool(ev(x.left) !== 0n || ev(x.right) !== 0n);
        const a = ev(x.left);
        const b = ev(x.right);
        switch (x.op) {
          case '|': return a | b;
          case '^': return a ^ b;
          case '&': return a & b;
          case '==': return bool(a === b);
          case '!=': return bool(a !== b);
          case '<': return bool(s(a) < s(b));
          case '>': return bool(s(a) > s(b));
          case '<=': return bool(s(a) <= s(b));
          case '>=': return bool(s(a) >= s(b));
          case '<<': return b < 64n ? wrap(a << b) : 0n;
          case '>>': return b < 64n ? wrap(s(a) >> b) : signed && s(a) < 0n ? MASK64 : 0n;
          case '+': return wrap(a + b);
          case '-': return wrap(a - b);
          case '*': return wrap(a * b);
          case '/':
          case '%': {
            if (b === 0n) {
              opts.error(x.range, 'division by zero');
              return 0n;
            }
            // BigInt division truncates toward zero, like C.
            return wrap(x.op === '/' ? s(a) / s(b) : s(a) % s(b));
          }
        }
        return 0n;
      }
    }
  }
  return ev(e);
}

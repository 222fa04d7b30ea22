// The dts lexer. Like dtc's, it is context sensitive: `dad@10000000` is one
// name where a node or property name is expected and would be a word and a
// number elsewhere, `>` closes a cell list but is an operator inside `( )`.
// The parser says which mode it wants for each token; the lexer itself keeps
// no state, so `lex(offset, mode)` can be called again at any offset (that is
// how the parser looks ahead and recovers from errors).

import { decodeCharLiteral, isHexDigit, parseIntegerLiteral } from './literals';

export type LexMode =
  /** Property values, top-level keywords, /memreserve/ and /bits/ arguments. */
  | 'default'
  /** Where a node or property name may appear. */
  | 'name'
  /** Inside `< >`. */
  | 'cells'
  /** Inside `( )`: C operators, including `<<`, `>=`, `&&`. */
  | 'expr'
  /** Inside `[ ]`. */
  | 'bytes';

export type TokenKind =
  | 'eof'
  /** Node or property name (mode 'name'); `text` may start with the escaping backslash. */
  | 'name'
  /** `label:`; `value` is unset, the label is `text` without the colon. */
  | 'label'
  /** `&label` */
  | 'ref'
  /** `&{/path}` */
  | 'pathRef'
  | 'string'
  | 'char'
  | 'number'
  /** Two hex digits in a byte string. */
  | 'byte'
  /** `/dts-v1/`, `/bits/`, ... */
  | 'keyword'
  /** Operators and punctuation. */
  | 'punct'
  /** An identifier-like word where none is valid (often an undefined macro). */
  | 'word';

export interface Token {
  kind: TokenKind;
  /** Offsets in the lexer's text. */
  start: number;
  end: number;
  text: string;
  /** number, char and byte values. */
  value?: bigint;
  /** A lexical problem (the token is still usable). */
  error?: string;
  /** A line break (or the start of the text) lies between the previous token and this one. */
  newlineBefore: boolean;
}

const KEYWORDS = ['/dts-v1/', '/plugin/', '/memreserve/', '/bits/', '/delete-node/', '/delete-property/', '/omit-if-no-ref/', '/incbin/'];

const EXPR_OPS2 = new Set(['<<', '>>', '<=', '>=', '==', '!=', '&&', '||']);

/** dtc's PROPNODECHAR: [a-zA-Z0-9,._+*#?@-] */
export function isPropNodeChar(c: number): boolean {
  return (
    (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) ||
    c === 44 || c === 46 || c === 95 || c === 43 || c === 42 || c === 35 || c === 63 || c === 64 || c === 45
  );
}
function isLabelStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}
function isLabelChar(c: number): boolean {
  return isLabelStart(c) || (c >= 48 && c <= 57);
}
function isPathChar(c: number): boolean {
  return isPropNodeChar(c) || c === 47;
}

export class Lexer {
  private tokStart = 0;
  private tokNewline = false;

  constructor(readonly text: string) {}

  private readonly tok = (kind: TokenKind, end: number, extra?: Partial<Token>): Token => {
    const start = this.tokStart;
    const t: Token = { kind, start, end, text: this.text.slice(start, end), newlineBefore: this.tokNewline };
    if (extra !== undefined) {
      if (extra.value !== undefined) t.value = extra.value;
      if (extra.error !== undefined) t.error = extra.error;
    }
    return t;
  };

  /** The token starting at or after `offset` (after white space and comments). */
  lex(offset: number, mode: LexMode): Token {
    const text = this.text;
    const n = text.length;
    let i = offset;
    let newline = offset === 0;
    // White space and comments. (`/include/` that the preprocessor could not process is skipped too.)
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 10) {
        newline = true;
        i++;
      } else if (c === 32 || c === 9 || c === 13 || c === 12 || c === 11) i++;
      else if (c === 47 && text.charCodeAt(i + 1) === 47) {
        const e = text.indexOf('\n', i);
        i = e < 0 ? n : e;
      } else if (c === 47 && text.charCodeAt(i + 1) === 42) {
        const e = text.indexOf('*/', i + 2);
        const stop = e < 0 ? n : e + 2;
        const nl = text.indexOf('\n', i);
        if (nl >= 0 && nl < stop) newline = true;
        i = stop;
      } else if (c === 47 && text.startsWith('/include/', i)) i += 9;
      else break;
    }
    if (i >= n) return { kind: 'eof', start: n, end: n, text: '', newlineBefore: newline };
    this.tokStart = i;
    this.tokNewline = newline;
    const tok = this.tok;
    const c = text.charCodeAt(i);

    if (c === 47 /* / */ && text.charCodeAt(i + 1) !== 47) {
      for (const k of KEYWORDS) if (text.startsWith(k, i)) return tok('keyword', i + k.length);
    }
    if (c === 34 /* " */) return this.string(i, tok);
    if (c === 39 /* ' */) return this.char(i, tok);
    if (c === 38 /* & */) {
      const c2 = text.charCodeAt(i + 1);
      if (c2 === 123 /* { */) {
        let j = i + 2;
        while (j < n && isPathChar(text.charCodeAt(j))) j++;
        if (text.charCodeAt(j) === 125) return tok('pathRef', j + 1, j === i + 2 ? { error: 'empty path reference' } : undefined);
        return tok('pathRef', j, { error: "unterminated path reference: expected '}'" });
      }
      if (isLabelStart(c2)) {
        let j = i + 2;
        while (j < n && isLabelChar(text.charCodeAt(j))) j++;
        return tok('ref', j);
      }
      if (mode === 'expr' && c2 === 38) return tok('punct', i + 2);
      return tok('punct', i + 1);
    }
    // label:
    if (isLabelStart(c)) {
      let j = i + 1;
      while (j < n && isLabelChar(text.charCodeAt(j))) j++;
      if (text.charCodeAt(j) === 58 /* : */) return tok('label', j + 1);
    }
    switch (mode) {
      case 'name':
        if (isPropNodeChar(c) || (c === 92 && isPropNodeChar(text.charCodeAt(i + 1)))) {
          let j = i + 1;
          while (j < n && isPropNodeChar(text.charCodeAt(j))) j++;
          return tok('name', j);
        }
        break;
      case 'bytes': {
        if (isHexDigit(c)) {
          if (isHexDigit(text.charCodeAt(i + 1))) return tok('byte', i + 2, { value: BigInt(parseInt(text.slice(i, i + 2), 16)) });
          return tok('byte', i + 1, { value: BigInt(parseInt(text[i], 16)), error: `expected two hex digits in byte string, found '${text[i]}'` });
        }
        break;
      }
      default: {
        if (c >= 48 && c <= 57) {
          let j = i + 1;
          while (j < n && isLabelChar(text.charCodeAt(j))) j++;
          const lit = parseIntegerLiteral(text.slice(i, j));
          return tok('number', j, lit.error === undefined ? { value: lit.value } : { value: lit.value, error: lit.error });
        }
        if (isLabelStart(c) || c === 35 /* # */) {
          let j = i + 1;
          if (mode === 'expr') while (j < n && isLabelChar(text.charCodeAt(j))) j++;
          else while (j < n && isPropNodeChar(text.charCodeAt(j))) j++;
          return tok('word', j);
        }
        if (mode === 'expr' && EXPR_OPS2.has(text.slice(i, i + 2))) return tok('punct', i + 2);
      }
    }
    const cp = text.codePointAt(i)!;
    return tok('punct', i + (cp > 0xffff ? 2 : 1));
  }

  private string(i: number, tok: (kind: TokenKind, end: number, extra?: Partial<Token>) => Token): Token {
    const text = this.text;
    const n = text.length;
    let j = i + 1;
    while (j < n) {
      const d = text.charCodeAt(j);
      if (d === 92 && j + 1 < n && text.charCodeAt(j + 1) !== 10) j += 2;
      else if (d === 34) return tok('string', j + 1);
      else if (d === 10) break;
      else j++;
    }
    if (j > n) j = n;
    // Unterminated: end the string at the end of its line so the rest of the file still parses.
    let end = j;
    while (end > i + 1 && (text.charCodeAt(end - 1) === 13 || text.charCodeAt(end - 1) === 32 || text.charCodeAt(end - 1) === 9)) end--;
    return tok('string', end, { error: "missing terminating '\"' character" });
  }

  private char(i: number, tok: (kind: TokenKind, end: number, extra?: Partial<Token>) => Token): Token {
    const text = this.text;
    const n = text.length;
    let j = i + 1;
    while (j < n) {
      const d = text.charCodeAt(j);
      if (d === 92 && j + 1 < n && text.charCodeAt(j + 1) !== 10) j += 2;
      else if (d === 39) {
        const lit = decodeCharLiteral(text.slice(i + 1, j));
        return tok('char', j + 1, lit.error === undefined ? { value: lit.value } : { value: lit.value, error: lit.error });
      } else if (d === 10) break;
      else j++;
    }
    if (j > n) j = n;
    return tok('char', j, { value: 0n, error: "missing terminating ' character" });
  }
}

/** The string value of a 'string' token's text (between the quotes, escapes not yet decoded). */
export function stringBody(t: Token): string {
  const s = t.text;
  const closed = t.error === undefined && s.length >= 2;
  return s.slice(1, closed ? s.length - 1 : s.length);
}

/** The label name of a 'label' token, or the target of a 'ref' / 'pathRef' token. */
export function tokenName(t: Token): string {
  switch (t.kind) {
    case 'label':
      return t.text.slice(0, -1);
    case 'ref':
      return t.text.slice(1);
    case 'pathRef':
      return t.text.endsWith('}') ? t.text.slice(2, -1) : t.text.slice(2);
    case 'name':
      return t.text.startsWith('\\') ? t.text.slice(1) : t.text;
    default:
      return t.text;
  }
}

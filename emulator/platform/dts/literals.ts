// Decoding of literal tokens: integers (with C suffixes), character literals
// and strings with C escapes. Pure functions, shared by the lexer and the
// preprocessor's #if evaluator.

const MAX_U64 = (1n << 64n) - 1n;

export interface IntegerLiteral {
  value: bigint;
  /** Set when the text is not a valid literal or does not fit in 64 bits. */
  error?: string;
}

const SUFFIX = /^(?:[uU](?:l|L|ll|LL)?|(?:l|L|ll|LL)[uU]?)?$/;

/** Parses `123`, `0x1F`, `017` (octal) with an optional U/L/UL/LL/ULL suffix (either case, as C). */
export function parseIntegerLiteral(text: string): IntegerLiteral {
  let digitsEnd = 0;
  let kind: 'dec' | 'hex' | 'oct' = 'dec';
  if (text.length >= 2 && text[0] === '0' && (text[1] === 'x' || text[1] === 'X')) {
    kind = 'hex';
    digitsEnd = 2;
    while (digitsEnd < text.length && isHexDigit(text.charCodeAt(digitsEnd))) digitsEnd++;
    if (digitsEnd === 2) return { value: 0n, error: `invalid integer literal '${text}': no digits after '0x'` };
  } else {
    while (digitsEnd < text.length && isDigit(text.charCodeAt(digitsEnd))) digitsEnd++;
    if (digitsEnd === 0) return { value: 0n, error: `invalid integer literal '${text}'` };
    if (text[0] === '0' && digitsEnd > 1) kind = 'oct';
  }
  const digits = digitsEnd === text.length ? text : text.slice(0, digitsEnd);
  if (digitsEnd < text.length && !SUFFIX.test(text.slice(digitsEnd))) return { value: 0n, error: `invalid integer literal '${text}'` };
  let value: bigint;
  if (kind !== 'oct' && digits.length <= 15) {
    // Small enough for a double: avoids BigInt's string parsing.
    value = BigInt(parseInt(digits, kind === 'hex' ? 16 : 10));
  } else if (kind === 'oct') {
    const bad = /[89]/.exec(digits);
    if (bad) return { value: 0n, error: `invalid digit '${bad[0]}' in octal constant '${text}'` };
    value = BigInt('0o' + digits.slice(1));
  } else {
    value = BigInt(digits);
  }
  if (value > MAX_U64) return { value: value & MAX_U64, error: `integer literal '${text}' out of range` };
  return { value };
}

export function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

export function isHexDigit(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

export interface DecodedString {
  bytes: Uint8Array;
  /** Problems found (bad escapes); the bytes are still usable. */
  errors: string[];
}

/** Decodes the body of a string or character literal (without quotes) to bytes: UTF-8 for text, raw for escapes. */
export function decodeEscapes(body: string): DecodedString {
  if (isPlainAscii(body)) {
    const bytes = new Uint8Array(body.length);
    for (let k = 0; k < body.length; k++) bytes[k] = body.charCodeAt(k);
    return { bytes, errors: NO_ERRORS };
  }
  const out: number[] = [];
  const errors: string[] = [];
  const n = body.length;
  let i = 0;
  while (i < n) {
    const c = body.charCodeAt(i);
    if (c !== 92 /* \ */) {
      if (c < 0x80) {
        out.push(c);
        i++;
      } else {
        const cp = body.codePointAt(i)!;
        pushUtf8(out, cp);
        i += cp > 0xffff ? 2 : 1;
      }
      continue;
    }
    i++;
    if (i >= n) {
      errors.push('backslash at end of string');
      out.push(92);
      break;
    }
    const e = body[i];
    i++;
    switch (e) {
      case 'a': out.push(7); break;
      case 'b': out.push(8); break;
      case 't': out.push(9); break;
      case 'n': out.push(10); break;
      case 'v': out.push(11); break;
      case 'f': out.push(12); break;
      case 'r': out.push(13); break;
      case 'x': {
        let v = 0;
        let k = 0;
        while (k < 2 && i < n && isHexDigit(body.charCodeAt(i))) {
          v = v * 16 + parseInt(body[i], 16);
          i++;
          k++;
        }
        if (k === 0) errors.push("'\\x' used with no following hex digits");
        out.push(v);
        break;
      }
      default:
        if (e >= '0' && e <= '7') {
          let v = e.charCodeAt(0) - 48;
          let k = 1;
          while (k < 3 && i < n && body[i] >= '0' && body[i] <= '7') {
            v = v * 8 + (body.charCodeAt(i) - 48);
            i++;
            k++;
          }
          out.push(v & 0xff);
        } else {
          // \\ \" \' and, like dtc, any other escaped character stands for itself.
          const cp = e.codePointAt(0)!;
          if (cp < 0x80) out.push(cp);
          else pushUtf8(out, cp);
        }
    }
  }
  return { bytes: Uint8Array.from(out), errors };
}

const NO_ERRORS: string[] = [];

function isPlainAscii(s: string): boolean {
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c === 92 || c >= 0x80) return false;
  }
  return true;
}

function pushUtf8(out: number[], cp: number): void {
  if (cp < 0x80) out.push(cp);
  else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 63));
  else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
  else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
}

export interface CharLiteral {
  value: bigint;
  error?: string;
}

/** Value of a character literal body (between the quotes), as dtc: the first byte. */
export function decodeCharLiteral(body: string): CharLiteral {
  const d = decodeEscapes(body);
  if (d.bytes.length === 0) return { value: 0n, error: 'empty character literal' };
  const value = BigInt(d.bytes[0]);
  if (d.errors.length > 0) return { value, error: d.errors[0] };
  if (d.bytes.length > 1) return { value, error: `character literal has ${d.bytes.length} characters instead of 1` };
  return { value };
}

const decoder = new TextDecoder('utf-8');

export function bytesToString(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

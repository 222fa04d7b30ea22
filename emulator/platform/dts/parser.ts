// Recursive-descent parser for dtc's grammar, with error recovery.
//
// Errors never throw. After a syntax error the parser stops reporting
// ("recovering") until it resynchronises: at a ';', at a '}', or at a line
// that starts a new property or node. One missing ';' or an unterminated '<'
// therefore costs one diagnostic and the rest of the file is still parsed.

import type {
  DtsToken,
  BodyItem, BytesValue, CellItem, CellNumber, CellsValue, DeleteNodeDecl, DeletePropertyDecl, LabelDecl,
  MemreserveDecl, NodeBody, NodeDecl, PathRefValue, PropertyDecl, PropertyValue, Reference, RefNodeDecl,
  StringValue, TopLevelItem,
} from './ast';
import { DiagCode, makeDiagnostic, type Diagnostic, type Range, type Severity } from './diagnostics';
import { evaluate, parseExpression, type Expr, type ExprToken, type ExprTokenSource } from './expr';
import { Lexer, stringBody, tokenName, type LexMode, type Token } from './lexer';
import { decodeEscapes } from './literals';
import type { SourceMap } from './source';

export interface ParseResult {
  tokens?: DtsToken[];
  items: TopLevelItem[];
  diagnostics: Diagnostic[];
  hasVersion: boolean;
  isPlugin: boolean;
  labels: LabelDecl[];
  references: Reference[];
}

/** Parses preprocessed text; `map` turns its offsets into source ranges. */
export function parseStream(text: string, map: SourceMap, opts: { tokens?: boolean } = {}): ParseResult {
  const p = new Parser(text, map, opts.tokens === true);
  const items = p.parseFile();
  const result: ParseResult = { items, diagnostics: p.diagnostics, hasVersion: p.hasVersion, isPlugin: p.isPlugin, labels: p.labels, references: p.references };
  if (p.tokens !== undefined) result.tokens = p.tokens;
  return result;
}

const MASK64 = (1n << 64n) - 1n;
const MASK32 = (1n << 32n) - 1n;
/** Shared by every element without labels (the tree is not meant to be mutated). */
const NO_LABELS = Object.freeze([]) as unknown as LabelDecl[];
const NODE_NAME_BAD = /[^a-zA-Z0-9,._+\-@]/;
const PROP_NAME_BAD = /[^a-zA-Z0-9,._+*#?-]/;
const MAX_NODE_DEPTH = 200;
const ITEM_KEYWORDS = new Set(['/delete-node/', '/delete-property/', '/omit-if-no-ref/', '/memreserve/', '/dts-v1/', '/plugin/']);

function describe(t: Token): string {
  if (t.kind === 'eof') return 'end of file';
  const s = t.text.replace(/\s+/g, ' ');
  return `'${s.length > 40 ? s.slice(0, 37) + '...' : s}'`;
}

function isPunct(t: Token, text: string): boolean {
  return t.kind === 'punct' && t.text === text;
}

class Parser {
  readonly diagnostics: Diagnostic[] = [];
  readonly labels: LabelDecl[] = [];
  readonly references: Reference[] = [];
  hasVersion = false;
  isPlugin = false;

  private readonly lexer: Lexer;
  /** Where the next token is lexed from (the end of the last consumed token). */
  private pos = 0;
  private cachePos = -1;
  private cacheMode: LexMode = 'default';
  private cacheTok: Token | undefined;
  /** Set after a syntax error; further syntax errors are not reported until the parser resynchronises. */
  private recovering = false;
  private nodeDepth = 0;
  /** The first node closed by a suspiciously dedented '}' (see parseBody). */
  private suspect: { owner: string; openRange: Range } | undefined;
  private lastExprTok: Token | undefined;
  private lastExprConv: ExprToken | undefined;

  /** Every consumed token, when requested. */
  readonly tokens: DtsToken[] | undefined;

  constructor(
    text: string,
    private readonly map: SourceMap,
    keepTokens: boolean,
  ) {
    this.lexer = new Lexer(text);
    if (keepTokens) this.tokens = [];
  }

  // ---- tokens -------------------------------------------------------------

  private peek(mode: LexMode): Token {
    if (this.cachePos === this.pos && this.cacheMode === mode && this.cacheTok !== undefined) return this.cacheTok;
    const t = this.lexer.lex(this.pos, mode);
    this.cachePos = this.pos;
    this.cacheMode = mode;
    this.cacheTok = t;
    return t;
  }

  /** Consumes the next token, reporting any lexical problem in it. */
  private next(mode: LexMode): Token {
    const t = this.peek(mode);
    this.pos = t.end;
    if (this.tokens !== undefined && t.kind !== 'eof') this.tokens.push({ kind: t.kind, text: t.text, range: this.range(t) });
    if (t.error !== undefined) {
      this.diag(this.range(t), 'error', t.error, DiagCode.lexical);
      // An unterminated literal usually breaks the rest of its statement too: say it once.
      if (t.error.startsWith('missing terminating') || t.error.startsWith('unterminated')) this.recovering = true;
    }
    return t;
  }

  /** Consumes a token without looking at it (error recovery). */
  private skip(t: Token): void {
    this.pos = t.end;
    if (this.tokens !== undefined && t.kind !== 'eof') this.tokens.push({ kind: t.kind, text: t.text, range: this.range(t) });
  }

  private range(t: Token): Range {
    return this.map.range(t.start, t.end);
  }

  private rangeFrom(start: number): Range {
    return this.map.range(start, this.pos);
  }

  /** Where to report "expected X, found t": at t, or just after the previous token when t is on a later line. */
  private where(t: Token): Range {
    // `pos` is the end of the last consumed token (white space is skipped when the next one is lexed).
    if (t.newlineBefore || t.kind === 'eof') return this.map.range(this.pos, this.pos);
    return this.range(t);
  }

  /** Indentation (white space characters) of the line holding `offset`. */
  private indentOf(offset: number): number {
    const text = this.lexer.text;
    const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
    let i = lineStart;
    while (i < offset && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++;
    return i - lineStart;
  }

  // ---- diagnostics ----------------------------------------------------------

  private diag(range: Range, severity: Severity, message: string, code: string): void {
    this.diagnostics.push(makeDiagnostic(range, severity, message, code));
  }

  /** A syntax error; suppressed while recovering from a previous one. */
  private error(range: Range, message: string): void {
    if (this.recovering) return;
    this.recovering = true;
    this.diag(range, 'error', message, DiagCode.syntax);
  }

  private at(r: Range): string {
    return `${r.start.line}:${r.start.col}`;
  }

  private atFrom(r: Range, from: Range): string {
    return r.file === from.file ? this.at(r) : `${r.file}:${this.at(r)}`;
  }

  // ---- recovery -------------------------------------------------------------

  /** Does `t`, first on its line, start a property, node or directive? */
  private startsItem(t: Token): boolean {
    if (!t.newlineBefore) return false;
    let x = this.lexer.lex(t.start, 'name');
    while (x.kind === 'label') x = this.lexer.lex(x.end, 'name');
    if (x.kind === 'keyword') return ITEM_KEYWORDS.has(x.text);
    if (x.kind === 'punct' && x.text === '}') return true;
    const y = this.lexer.lex(x.end, 'default');
    if (x.kind === 'name') return y.kind === 'punct' && (y.text === '=' || y.text === '{' || y.text === ';');
    if (x.kind === 'ref' || x.kind === 'pathRef' || (x.kind === 'punct' && x.text === '/')) return isPunct(y, '{');
    return false;
  }

  /**
   * Skips to the end of the current statement: past a ';', or up to a '}' or
   * a line starting a new item. Nested `{ }` blocks are skipped whole.
   */
  private sync(): void {
    let depth = 0;
    let first = true;
    for (;;) {
      const t = this.peek('default');
      if (t.kind === 'eof') break;
      if (!first && depth === 0 && t.newlineBefore && this.startsItem(t)) break;
      first = false;
      if (isPunct(t, '{')) depth++;
      else if (isPunct(t, '}')) {
        if (depth === 0) break;
        depth--;
        if (depth === 0) {
          this.skip(t);
          if (isPunct(this.peek('default'), ';')) this.skip(this.peek('default'));
          break;
        }
      } else if (isPunct(t, ';') && depth === 0) {
        this.skip(t);
        break;
      }
      this.skip(t);
    }
    this.recovering = false;
  }

  private expectSemicolon(context: string): void {
    const t = this.peek('default');
    if (isPunct(t, ';')) {
      this.next('default');
      this.recovering = false;
      return;
    }
    this.error(this.where(t), `expected ';' ${context}, found ${describe(t)}`);
    if (t.kind === 'eof') return;
    if (t.newlineBefore || isPunct(t, '}')) {
      this.recovering = false;
      return;
    }
    this.sync();
  }

  // ---- shared pieces ----------------------------------------------------------

  private parseLabels(mode: LexMode): LabelDecl[] {
    if (this.peek(mode).kind !== 'label') return NO_LABELS;
    const out: LabelDecl[] = [];
    while (this.peek(mode).kind === 'label') {
      const t = this.next(mode);
      const l: LabelDecl = { kind: 'label', name: tokenName(t), range: this.range(t) };
      out.push(l);
      this.labels.push(l);
    }
    return out;
  }

  private makeRef(t: Token): Reference {
    const r: Reference = { kind: 'reference', refKind: t.kind === 'ref' ? 'label' : 'path', target: tokenName(t), range: this.range(t) };
    this.references.push(r);
    return r;
  }

  private exprToken(t: Token): ExprToken {
    if (this.lastExprTok === t && this.lastExprConv !== undefined) return this.lastExprConv;
    let kind: ExprToken['kind'] =
      t.kind === 'number' ? 'number' : t.kind === 'char' ? 'char' : t.kind === 'punct' ? 'op' : t.kind === 'eof' ? 'eof' : 'other';
    if (kind === 'op' && t.text === '>') {
      // `<(1 + 2>;`: a '>' that nothing can follow is the end of the cell list (a missing ')'), not an operator.
      const n = this.lexer.lex(t.end, 'expr');
      if (n.kind === 'eof' || (n.kind === 'punct' && ';,}{]'.includes(n.text)) || (n.newlineBefore && this.startsItem(n))) kind = 'other';
    }
    const e: ExprToken = { kind, text: t.text, range: this.range(t) };
    if (t.value !== undefined) e.value = t.value;
    this.lastExprTok = t;
    this.lastExprConv = e;
    return e;
  }

  private exprSource(): ExprTokenSource {
    return {
      peek: () => this.exprToken(this.peek('expr')),
      next: () => this.exprToken(this.next('expr')),
    };
  }

  /** An integer: literal, char literal or `( expr )` (or, after an error, a unary expression). */
  private parseInteger(level: 'primary' | 'unary'): { expr: Expr; value: bigint } {
    let failed = false;
    const expr = parseExpression(
      this.exprSource(),
      {
        error: (r, m) => {
          failed = true;
          this.error(r, m);
        },
      },
      level,
    );
    if (failed) this.skipBrokenExpression();
    const value = evaluate(expr, { error: (r, m) => this.diag(r, 'error', m, DiagCode.divisionByZero) });
    return { expr, value };
  }

  /** After a syntax error inside `( )`: skip to the closing ')', or stop at the end of the statement. */
  private skipBrokenExpression(): void {
    let depth = 0;
    for (;;) {
      const t = this.peek('expr');
      if (t.kind === 'eof' || isPunct(t, ';') || isPunct(t, '{') || isPunct(t, '}') || (t.newlineBefore && this.startsItem(t))) return;
      this.skip(t);
      if (isPunct(t, '(')) depth++;
      else if (isPunct(t, ')')) {
        if (depth === 0) return;
        depth--;
      }
    }
  }

  private truncate(v: bigint, bits: number, range: Range): bigint {
    if (bits >= 64) return v >= 0n && v <= MASK64 ? v : v & MASK64;
    const mask = bits === 32 ? MASK32 : (1n << BigInt(bits)) - 1n;
    if (v >= 0n && v <= mask) return v;
    if (v > mask && (v | mask) !== MASK64) {
      this.diag(range, 'warning', `value 0x${v.toString(16)} truncated to 0x${(v & mask).toString(16)} in a ${bits}-bit cell`, DiagCode.valueOutOfRange);
    }
    return v & mask;
  }

  // ---- top level ----------------------------------------------------------

  parseFile(): TopLevelItem[] {
    const items: TopLevelItem[] = [];
    for (;;) {
      const t = this.peek('name');
      if (t.kind === 'eof') break;
      const before = this.pos;
      const item = this.parseTopLevelItem();
      if (item !== undefined) items.push(item);
      if (this.pos === before) this.skip(t);
    }
    return items;
  }

  private parseTopLevelItem(): TopLevelItem | undefined {
    const start = this.peek('name').start;
    const labels = this.parseLabels('name');
    const t = this.peek('name');
    if (t.kind === 'keyword') {
      switch (t.text) {
        case '/dts-v1/':
          this.next('name');
          this.hasVersion = true;
          this.expectSemicolon("after '/dts-v1/'");
          return { kind: 'version', range: this.rangeFrom(start) };
        case '/plugin/':
          this.next('name');
          this.isPlugin = true;
          this.expectSemicolon("after '/plugin/'");
          return { kind: 'plugin', range: this.rangeFrom(start) };
        case '/memreserve/':
          return this.parseMemreserve(labels, start);
        case '/delete-node/':
        case '/omit-if-no-ref/': {
          this.next('name');
          const r = this.peek('default');
          if (r.kind !== 'ref' && r.kind !== 'pathRef') {
            this.error(this.where(r), `expected '&label' or '&{/path}' after '${t.text}', found ${describe(r)}`);
            this.sync();
            return undefined;
          }
          this.next('default');
          const ref = this.makeRef(r);
          this.expectSemicolon(`after '${t.text} ${r.text}'`);
          const range = this.rangeFrom(start);
          return t.text === '/delete-node/' ? { kind: 'deleteNode', ref, range } : { kind: 'omitIfNoRef', ref, range };
        }
        default:
          this.error(this.range(t), `'${t.text}' is not allowed at the top level`);
          this.sync();
          return undefined;
      }
    }
    if (isPunct(t, '/') || t.kind === 'ref' || t.kind === 'pathRef') {
      this.next('name');
      const open = this.peek('default');
      if (!isPunct(open, '{')) {
        this.error(this.where(open), `expected '{' after '${t.text}', found ${describe(open)}`);
        this.sync();
        return undefined;
      }
      const nameRange = this.range(t);
      if (t.kind === 'punct') {
        const body = this.parseBody('/', open);
        this.expectSemicolon("after the root node '/'");
        const node: NodeDecl = { kind: 'node', name: '/', nameRange, labels, body, range: this.rangeFrom(start) };
        return node;
      }
      const ref = this.makeRef(t);
      const body = this.parseBody(t.text, open);
      this.expectSemicolon(`after '${t.text} { ... }'`);
      const node: RefNodeDecl = { kind: 'refNode', ref, labels, body, range: this.rangeFrom(start) };
      return node;
    }
    if (t.kind === 'name') {
      const after = this.lexer.lex(t.end, 'default');
      const what = isPunct(after, '{') ? `node '${tokenName(t)}' outside the root node` : `'${t.text}'`;
      this.error(this.range(t), `expected '/ {', '&label {' or a directive at the top level, found ${what}`);
      this.sync();
      return undefined;
    }
    if (isPunct(t, '}') || isPunct(t, ';')) {
      this.error(this.range(t), `unexpected ${describe(t)} at the top level`);
      this.skip(t);
      if (isPunct(t, '}') && isPunct(this.peek('default'), ';')) this.skip(this.peek('default'));
      this.recovering = false;
      return undefined;
    }
    if (labels.length > 0) this.error(this.where(t), `expected a node or '/memreserve/' after label '${labels[labels.length - 1].name}:', found ${describe(t)}`);
    else this.error(this.range(t), `expected '/ {', '&label {' or a directive at the top level, found ${describe(t)}`);
    this.sync();
    return undefined;
  }

  private parseMemreserve(labels: LabelDecl[], start: number): MemreserveDecl | undefined {
    this.next('name');
    const parts: { expr: Expr; value: bigint }[] = [];
    for (const what of ['an address', 'a size']) {
      const t = this.peek('expr');
      if (t.kind !== 'number' && t.kind !== 'char' && !isPunct(t, '(')) {
        this.error(this.where(t), `expected ${what} after '/memreserve/', found ${describe(t)}`);
        this.sync();
        return undefined;
      }
      parts.push(this.parseInteger('primary'));
    }
    this.expectSemicolon("after '/memreserve/ ADDRESS SIZE'");
    return {
      kind: 'memreserve',
      labels,
      address: parts[0].expr,
      size: parts[1].expr,
      addressValue: parts[0].value,
      sizeValue: parts[1].value,
      range: this.rangeFrom(start),
    };
  }

  // ---- nodes ----------------------------------------------------------------

  /** Parses `{ ... }` (the '{' is the next token); the caller handles the ';'. */
  private parseBody(owner: string, open: Token): NodeBody {
    this.next('default');
    const openRange = this.range(open);
    const items: BodyItem[] = [];
    const props = new Map<string, PropertyDecl>();
    const nodes = new Map<string, NodeDecl>();
    let firstNode: NodeDecl | undefined;
    let warnedOrder = false;
    let closed = false;
    for (;;) {
      const t = this.peek('name');
      if (isPunct(t, '}')) {
        // A '}' indented less than the line that opened this node probably closes an outer node:
        // remember it, to point at the likely culprit if a '}' turns out to be missing.
        if (t.newlineBefore && this.suspect === undefined && this.indentOf(t.start) < this.indentOf(open.start)) {
          this.suspect = { owner, openRange };
        }
        this.next('name');
        this.recovering = false;
        closed = true;
        break;
      }
      if (t.kind === 'eof') {
        const s = this.suspect;
        const hint = s !== undefined && s.openRange !== openRange ? ` (node '${s.owner}' opened at ${this.at(s.openRange)} may be missing its '};')` : '';
        this.error(this.where(t), `expected '}' to close node '${owner}' opened at ${this.at(openRange)}, found end of file${hint}`);
        break;
      }
      const before = this.pos;
      const item = this.parseBodyItem(owner);
      if (item !== undefined) {
        items.push(item);
        this.checkBodyItem(owner, item, props, nodes);
        if (item.kind === 'node') firstNode ??= item;
        if (item.kind === 'property' && firstNode !== undefined && !warnedOrder) {
          warnedOrder = true;
          this.diag(
            item.nameRange,
            'warning',
            `properties must precede subnodes: property '${item.name}' follows node '${firstNode.name}'`,
            DiagCode.propertyAfterNode,
          );
        }
      }
      if (this.pos === before) this.skip(t);
    }
    return { items, range: this.map.range(open.start, this.pos), closed };
  }

  private checkBodyItem(owner: string, item: BodyItem, props: Map<string, PropertyDecl>, nodes: Map<string, NodeDecl>): void {
    switch (item.kind) {
      case 'property': {
        const prev = props.get(item.name);
        if (prev !== undefined) {
          this.diag(
            item.nameRange,
            'warning',
            `duplicate property '${item.name}' in node '${owner}' (first defined at ${this.atFrom(prev.nameRange, item.nameRange)})`,
            DiagCode.duplicateProperty,
          );
        }
        props.set(item.name, item);
        return;
      }
      case 'node': {
        const prev = nodes.get(item.name);
        if (prev !== undefined) {
          this.diag(
            item.nameRange,
            'error',
            `duplicate node name '${item.name}' in node '${owner}' (first defined at ${this.atFrom(prev.nameRange, item.nameRange)})`,
            DiagCode.duplicateNode,
          );
        } else nodes.set(item.name, item);
        return;
      }
      case 'deleteProperty':
        props.delete(item.name);
        return;
      case 'deleteNode':
        if (item.name !== undefined) nodes.delete(item.name);
        return;
    }
  }

  private parseBodyItem(owner: string): BodyItem | undefined {
    const start = this.peek('name').start;
    const labels = this.parseLabels('name');
    const t = this.peek('name');
    if (t.kind === 'keyword') {
      switch (t.text) {
        case '/delete-property/':
        case '/delete-node/': {
          this.next('name');
          const n = this.peek('name');
          if (n.kind !== 'name') {
            const hint = n.kind === 'ref' || n.kind === 'pathRef' ? " ('/delete-node/ &label;' is only allowed at the top level)" : '';
            this.error(this.where(n), `expected a ${t.text === '/delete-node/' ? 'node' : 'property'} name after '${t.text}', found ${describe(n)}${hint}`);
            this.sync();
            return undefined;
          }
          this.next('name');
          const name = tokenName(n);
          this.expectSemicolon(`after '${t.text} ${name}'`);
          const range = this.rangeFrom(start);
          const nameRange = this.range(n);
          const item: DeletePropertyDecl | DeleteNodeDecl =
            t.text === '/delete-node/' ? { kind: 'deleteNode', name, nameRange, range } : { kind: 'deleteProperty', name, nameRange, range };
          return item;
        }
        case '/omit-if-no-ref/': {
          const omitRange = this.range(this.next('name'));
          const more = this.parseLabels('name');
          const n = this.peek('name');
          const open = n.kind === 'name' ? this.lexer.lex(n.end, 'default') : n;
          if (n.kind !== 'name' || !isPunct(open, '{')) {
            this.error(this.where(n), `expected a node after '/omit-if-no-ref/', found ${describe(n)}`);
            this.sync();
            return undefined;
          }
          this.next('name');
          const node = this.parseNode(n, labels.concat(more), start);
          node.omitIfNoRef = omitRange;
          return node;
        }
        default:
          this.error(this.range(t), `'${t.text}' is not allowed inside a node`);
          this.sync();
          return undefined;
      }
    }
    if (t.kind === 'name') {
      this.next('name');
      return this.parseNamedItem(t, labels, start);
    }
    if (labels.length > 0) {
      this.error(this.where(t), `expected a property or node after label '${labels[labels.length - 1].name}:', found ${describe(t)}`);
      if (!isPunct(t, '}')) this.sync();
      return undefined;
    }
    this.error(this.range(t), `expected a property or child node in '${owner}', found ${describe(t)}`);
    this.sync();
    return undefined;
  }

  private parseNode(nameTok: Token, labels: LabelDecl[], start: number): NodeDecl {
    const name = tokenName(nameTok);
    const nameRange = this.range(nameTok);
    this.checkName(name, nameRange, 'node');
    if (this.nodeDepth >= MAX_NODE_DEPTH) {
      // Keeps hostile input from overflowing the stack: the block is skipped whole.
      const open = this.peek('default');
      this.error(this.range(open), `nodes nested more than ${MAX_NODE_DEPTH} levels deep`);
      this.sync();
      return { kind: 'node', name, nameRange, labels, body: { items: [], range: this.range(open), closed: false }, range: this.rangeFrom(start) };
    }
    this.nodeDepth++;
    const body = this.parseBody(name, this.peek('default'));
    this.nodeDepth--;
    this.expectSemicolon(`after node '${name}'`);
    return { kind: 'node', name, nameRange, labels, body, range: this.rangeFrom(start) };
  }

  private parseNamedItem(nameTok: Token, labels: LabelDecl[], start: number): BodyItem | undefined {
    const name = tokenName(nameTok);
    const after = this.peek('default');
    if (isPunct(after, '{')) return this.parseNode(nameTok, labels, start);
    const nameRange = this.range(nameTok);
    const prop: PropertyDecl = { kind: 'property', name, nameRange, labels, values: [], endLabels: NO_LABELS, range: nameRange };
    if (isPunct(after, '=') || isPunct(after, ';')) this.checkName(name, nameRange, 'property');
    if (isPunct(after, '=')) {
      this.next('default');
      this.parseValues(prop);
      this.expectSemicolon(`after property '${name}'`);
    } else if (isPunct(after, ';')) {
      this.next('default');
      this.recovering = false;
    } else {
      this.error(this.where(after), `expected '=', ';' or '{' after '${name}', found ${describe(after)}`);
      if (!after.newlineBefore && !isPunct(after, '}') && after.kind !== 'eof') {
        this.sync();
        return undefined;
      }
      this.recovering = false;
    }
    prop.range = this.rangeFrom(start);
    return prop;
  }

  private checkName(name: string, range: Range, what: 'node' | 'property'): void {
    const bad = (what === 'node' ? NODE_NAME_BAD : PROP_NAME_BAD).exec(name);
    if (bad !== null) this.diag(range, 'error', `invalid character '${bad[0]}' in ${what} name '${name}'`, DiagCode.nameChars);
    else if (what === 'node' && name.indexOf('@') !== name.lastIndexOf('@')) {
      this.diag(range, 'error', `more than one '@' in node name '${name}'`, DiagCode.nameChars);
    }
  }

  // ---- property values --------------------------------------------------------

  private parseValues(prop: PropertyDecl): void {
    let pending: LabelDecl[] = NO_LABELS;
    const addLabels = (): void => {
      const more = this.parseLabels('default');
      if (more.length > 0) pending = pending.concat(more);
    };
    for (;;) {
      addLabels();
      const t = this.peek('default');
      const start = t.start;
      let value: PropertyValue | undefined;
      let consumed = true;
      if (isPunct(t, '<')) value = this.parseCells(prop.name, 32, undefined, pending, start);
      else if (t.kind === 'keyword' && t.text === '/bits/') value = this.parseBits(prop.name, pending, start);
      else if (t.kind === 'string') value = this.parseString(pending);
      else if (isPunct(t, '[')) value = this.parseBytes(pending, start);
      else if (t.kind === 'ref' || t.kind === 'pathRef') {
        this.next('default');
        const v: PathRefValue = { kind: 'pathRef', ref: this.makeRef(t), labels: pending, range: this.range(t) };
        value = v;
      } else if (t.kind === 'keyword' && t.text === '/incbin/') this.parseIncbin();
      else {
        consumed = false;
        const after = prop.values.length === 0 ? "'='" : "','";
        this.error(this.where(t), `expected a property value after ${after} in property '${prop.name}', found ${describe(t)}`);
      }
      if (value !== undefined) {
        prop.values.push(value);
        pending = NO_LABELS;
      }
      if (!consumed) break;
      addLabels();
      const sep = this.peek('default');
      if (!isPunct(sep, ',')) break;
      this.next('default');
    }
    prop.endLabels = pending;
  }

  private parseString(labels: LabelDecl[]): StringValue {
    const t = this.next('default');
    const d = decodeEscapes(stringBody(t));
    const range = this.range(t);
    for (const e of d.errors) this.diag(range, 'warning', e, DiagCode.lexical);
    return { kind: 'string', value: d.bytes, labels, range };
  }

  private parseBits(propName: string, labels: LabelDecl[], start: number): CellsValue | undefined {
    this.next('default');
    const n = this.peek('default');
    let bits: 8 | 16 | 32 | 64 = 32;
    if (n.kind === 'number') {
      this.next('default');
      const v = n.value ?? 0n;
      if (v === 8n || v === 16n || v === 32n || v === 64n) bits = Number(v) as 8 | 16 | 32 | 64;
      else this.diag(this.range(n), 'error', `/bits/ must be 8, 16, 32 or 64, found ${n.text}`, DiagCode.syntax);
    } else {
      this.error(this.where(n), `expected 8, 16, 32 or 64 after '/bits/', found ${describe(n)}`);
    }
    const bitsRange = this.rangeFrom(start);
    const lt = this.peek('default');
    if (!isPunct(lt, '<')) {
      this.error(this.where(lt), `expected '<' after '/bits/ ${bits}', found ${describe(lt)}`);
      return undefined;
    }
    return this.parseCells(propName, bits, bitsRange, labels, start);
  }

  private parseCells(propName: string, bits: 8 | 16 | 32 | 64, bitsRange: Range | undefined, labels: LabelDecl[], start: number): CellsValue {
    const open = this.next('default');
    const items: CellItem[] = [];
    for (;;) {
      const t = this.peek('cells');
      if (isPunct(t, '>')) {
        this.next('cells');
        break;
      }
      if (t.kind === 'label') {
        const l: LabelDecl = { kind: 'label', name: tokenName(t), range: this.range(t) };
        this.next('cells');
        this.labels.push(l);
        items.push(l);
        continue;
      }
      if (t.kind === 'number' || t.kind === 'char') {
        // The common case, without the expression machinery.
        this.next('cells');
        const range = this.range(t);
        const v = t.value ?? 0n;
        items.push({ kind: 'number', expr: { kind: 'literal', value: v, range }, value: this.truncate(v, bits, range), range });
        continue;
      }
      if (isPunct(t, '(')) {
        items.push(this.cellNumber(bits, 'primary'));
        continue;
      }
      if (t.kind === 'ref' || t.kind === 'pathRef') {
        this.next('cells');
        const ref = this.makeRef(t);
        if (bits !== 32) this.diag(ref.range, 'error', `references are only allowed in cell lists with 32-bit elements (this one has ${bits}-bit)`, DiagCode.badReference);
        items.push({ kind: 'ref', ref, range: ref.range });
        continue;
      }
      const startsItem = t.newlineBefore && this.startsItem(t);
      if (!startsItem && t.kind === 'punct' && (t.text === '-' || t.text === '~' || t.text === '!')) {
        this.error(this.range(t), `an expression in a cell list must be in parentheses, found '${t.text}'`);
        items.push(this.cellNumber(bits, 'unary'));
        continue;
      }
      if (!startsItem && t.kind === 'word') {
        this.error(this.range(t), `unknown identifier '${t.text}' in the cell list of '${propName}' (undefined macro?)`);
        this.skip(t);
        continue;
      }
      this.error(this.where(t), `expected '>' to close the cell list of '${propName}' opened at ${this.at(this.range(open))}, found ${describe(t)}`);
      break;
    }
    const v: CellsValue = { kind: 'cells', bits, items, labels, range: this.rangeFrom(start) };
    if (bitsRange !== undefined) v.bitsRange = bitsRange;
    return v;
  }

  private cellNumber(bits: number, level: 'primary' | 'unary'): CellNumber {
    const { expr, value } = this.parseInteger(level);
    return { kind: 'number', expr, value: this.truncate(value, bits, expr.range), range: expr.range };
  }

  private parseBytes(labels: LabelDecl[], start: number): BytesValue {
    this.next('default');
    const bytes: number[] = [];
    const innerLabels: { label: LabelDecl; offset: number }[] = [];
    for (;;) {
      const t = this.peek('bytes');
      if (isPunct(t, ']')) {
        this.next('bytes');
        break;
      }
      if (t.kind === 'byte') {
        this.next('bytes');
        bytes.push(Number(t.value ?? 0n));
        continue;
      }
      if (t.kind === 'label') {
        this.next('bytes');
        const l: LabelDecl = { kind: 'label', name: tokenName(t), range: this.range(t) };
        this.labels.push(l);
        innerLabels.push({ label: l, offset: bytes.length });
        continue;
      }
      this.error(this.where(t), `expected two hex digits or ']' in byte string, found ${describe(t)}`);
      break;
    }
    return { kind: 'bytes', value: Uint8Array.from(bytes), innerLabels, labels, range: this.rangeFrom(start) };
  }

  /** `/incbin/("file", offset, length)`: parsed, reported as unsupported, contributes no data. */
  private parseIncbin(): void {
    const kw = this.next('default');
    this.diag(this.range(kw), 'error', "'/incbin/' is not supported", DiagCode.syntax);
    if (!isPunct(this.peek('default'), '(')) return;
    for (;;) {
      const t = this.peek('default');
      if (t.kind === 'eof' || isPunct(t, ';') || isPunct(t, '}')) return;
      this.skip(t);
      if (isPunct(t, ')')) return;
    }
  }
}

/**
 * Completion: labels after `&` (and node paths after `&{`), property names that fit the node at
 * the cursor (standard properties by the node's role, the `dmalab,` knobs that apply there) as
 * snippets, compatibles of the built-in device models (and the infrastructure compatibles the
 * platform model understands) inside `compatible = "...`, the `dma-names` values for the node's
 * `dmas` entries, and the fixed choices of string properties (`status`, `dmalab,arch`...).
 *
 * The context comes from the text before the cursor (it is usually mid-edit, so not parseable);
 * the node at the cursor from the parser's recovered tree.
 */
import {
  CompletionItemKind, InsertTextFormat, MarkupKind, type CompletionItem, type Range as LspRange,
} from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { DtNode } from '../../../emulator/platform/dts';
import type { Analysis } from './analysis';
import {
  CHOSEN_KNOBS, COMPATIBLES, DEVICE_KNOB_DOCS, PROPERTIES, ROOT_KNOBS, compatibleDoc, hasDeviceModel, modelCompatibles, propertyDoc, roleOf,
  type NodeRole, type PropertyDoc,
} from './bindings';
import { phandleList } from './checks';

const LABEL_CHAR = /[A-Za-z0-9_]/;
const NAME_CHAR = /[A-Za-z0-9,._+*#?@-]/;

export function completion(a: Analysis, text: TextDocument, offset: number): CompletionItem[] {
  const src = a.text;
  /** From `from` to the cursor, and on over the rest of the word being replaced. */
  const range = (from: number, word?: RegExp): LspRange => {
    let to = offset;
    if (word) while (to < src.length && word.test(src[to])) to++;
    return { start: text.positionAt(from), end: text.positionAt(to) };
  };

  // `&label` / `&{/path}`
  let i = offset;
  while (i > 0 && LABEL_CHAR.test(src[i - 1])) i--;
  if (i > 0 && src[i - 1] === '&') return labelItems(a, range(i, LABEL_CHAR));
  const lineStart = src.lastIndexOf('\n', offset - 1) + 1;
  const pathRef = /&\{([^}\s]*)$/.exec(src.slice(lineStart, offset));
  if (pathRef) return pathItems(a, range(offset - pathRef[1].length));
  // `{` triggers completion for `&{`; right after a node's `{` nothing is asked for yet
  if (src[offset - 1] === '{') return [];

  const stmt = statementBefore(src, offset);
  const entry = a.index.enclosing(offset);
  const node = entry?.node;
  const assign = /^\s*(?:[A-Za-z_]\w*:\s*)*([A-Za-z0-9,._+*#?@-]+)\s*=\s*([\s\S]*)$/.exec(stmt);
  if (assign) {
    const [, prop, value] = assign;
    const quotes = countQuotes(value);
    if (quotes % 2 === 0) return [];
    const strStart = offset - (value.length - value.lastIndexOf('"') - 1);
    const index = (quotes - 1) / 2;
    const written = [...value.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]);
    return valueItems(a, node, prop, index, written, range(strStart, /[^"\n\\]/));
  }
  if (entry === undefined) return [];
  const name = /^\s*(?:[A-Za-z_]\w*:\s*)*([A-Za-z0-9,._+*#?@-]*)$/.exec(stmt);
  if (!name) return [];
  let s = offset;
  while (s > 0 && NAME_CHAR.test(src[s - 1])) s--;
  const r = range(s, NAME_CHAR);
  // renaming an existing property (its `= ...;` or `;` follows): the name alone
  const after = /^[ \t]*([=;])/.exec(src.slice(text.offsetAt(r.end)));
  return propertyItems(node, r, after === null);
}

/** The text of the statement the cursor is in, up to the cursor (after the last `;`, `{` or `}`, outside comments and strings on the way). */
function statementBefore(src: string, offset: number): string {
  let start = 0;
  let inString = false;
  // scan forward from a safe point: the start of the line of the previous statement end is unknown, so
  // go back a bounded distance and re-scan from there
  const from = Math.max(0, offset - 4000);
  for (let i = from; i < offset; i++) {
    const c = src[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      if (end < 0 || end + 2 > offset) return '';
      i = end + 1;
      start = i + 1;
    } else if (c === '/' && src[i + 1] === '/') {
      const end = src.indexOf('\n', i);
      if (end < 0 || end >= offset) return '';
      i = end;
    } else if (c === ';' || c === '{' || c === '}') start = i + 1;
    else if (c === '\n' && src[i + 1] === '#') start = i + 1;
  }
  return src.slice(Math.max(start, from), offset);
}

function countQuotes(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === '"') n++;
  }
  return n;
}

function labelItems(a: Analysis, range: LspRange): CompletionItem[] {
  const out: CompletionItem[] = [];
  for (const [label, node] of a.tree.labels) {
    const compat = node.properties.get('compatible')?.strings()[0];
    out.push({
      label,
      kind: CompletionItemKind.Reference,
      detail: node.path,
      documentation: compat ? `compatible "${compat}"` : undefined,
      textEdit: { range, newText: label },
    });
  }
  return out;
}

function pathItems(a: Analysis, range: LspRange): CompletionItem[] {
  const out: CompletionItem[] = [];
  const walk = (n: DtNode): void => {
    if (n.parent) out.push({ label: n.path, kind: CompletionItemKind.Module, textEdit: { range, newText: n.path } });
    for (const c of n.children) walk(c);
  };
  walk(a.tree.root);
  return out;
}

function snippetFor(name: string, d: PropertyDoc): string {
  if (d.snippet) return d.snippet;
  switch (d.value) {
    case 'empty':
      return `${name};`;
    case 'cells':
      return `${name} = <$1>;`;
    case 'phandle':
    case 'phandle-args':
      return `${name} = <&$1>;`;
    default:
      return d.choices ? `${name} = "\${1|${d.choices.join(',')}|}";` : `${name} = "$1";`;
  }
}

function propertyItems(node: DtNode | undefined, range: LspRange, snippets: boolean): CompletionItem[] {
  const role: NodeRole = node ? roleOf(node) : 'other';
  const compat = node?.properties.get('compatible')?.strings() ?? [];
  const present = new Set(node ? node.properties.keys() : []);
  const out: CompletionItem[] = [];
  const add = (name: string, d: PropertyDoc, rank: string): void => {
    if (present.has(name)) return;
    out.push({
      label: name,
      kind: CompletionItemKind.Property,
      detail: d.value === 'empty' ? 'boolean property' : `${d.value} value`,
      documentation: { kind: MarkupKind.Markdown, value: d.doc },
      sortText: `${rank}${name}`,
      insertTextFormat: snippets ? InsertTextFormat.Snippet : InsertTextFormat.PlainText,
      textEdit: { range, newText: snippets ? snippetFor(name, d) : name },
    });
  };
  for (const [name, d] of Object.entries(PROPERTIES)) {
    if (name === 'phandle') continue;
    if (d.roles === undefined) add(name, d, '1');
    else if (d.roles.includes(role)) add(name, d, '0');
  }
  if (role === 'root') for (const [name, d] of Object.entries(ROOT_KNOBS)) add(name, d, '0');
  if (role === 'chosen') for (const [name, d] of Object.entries(CHOSEN_KNOBS)) add(name, d, '0');
  if (role === 'device' || role === 'dma-controller') {
    for (const [name, d] of Object.entries(DEVICE_KNOB_DOCS)) if (!d.only || compat.some((c) => d.only!.includes(c))) add(name, d, '0');
  }
  return out;
}

function valueItems(a: Analysis, node: DtNode | undefined, prop: string, index: number, written: string[], range: LspRange): CompletionItem[] {
  const item = (label: string, detail: string, doc: string | undefined, rank: string, preselect = false): CompletionItem => {
    const c: CompletionItem = { label, kind: CompletionItemKind.Value, detail, sortText: `${rank}${label}`, textEdit: { range, newText: label } };
    if (doc) c.documentation = { kind: MarkupKind.Markdown, value: doc };
    if (preselect) c.preselect = true;
    return c;
  };
  if (prop === 'compatible') {
    const role = node ? roleOf(node) : 'other';
    const out = modelCompatibles().map((c) => item(c, 'device model', compatibleDoc(c)?.summary, role === 'reserved-region' ? '1' : '0'));
    for (const [c, d] of Object.entries(COMPATIBLES)) {
      if (hasDeviceModel(c)) continue;
      out.push(item(c, d.kind, d.summary, role === 'reserved-region' && d.kind === 'pool' ? '0' : '2'));
    }
    return out;
  }
  if (prop === 'dma-names') return dmaNameItems(a, node, index, written, item);
  const choices = propertyDoc(prop)?.choices;
  return choices ? choices.map((c) => item(c, prop, undefined, '0')) : [];
}

type ItemFn = (label: string, detail: string, doc: string | undefined, rank: string, preselect?: boolean) => CompletionItem;

/** Names for `dmas` entry `index`: what the node's driver requests, what the same controller's other clients call their entries, tx/rx. */
function dmaNameItems(a: Analysis, node: DtNode | undefined, index: number, written: string[], item: ItemFn): CompletionItem[] {
  const dp = node?.properties.get('dmas');
  if (node === undefined || dp === undefined) return [];
  const list = phandleList(node, dp, '#dma-cells', (p) => a.tree.byPhandle(p));
  const entry = list.entries[index];
  const controller = entry?.target;
  const compat = node.properties.get('compatible')?.strings() ?? [];
  const wanted = compat.map((c) => compatibleDoc(c)?.dmaNames).find(Boolean) ?? [];
  const used = new Set<string>();
  const walk = (n: DtNode): void => {
    const d = n.properties.get('dmas');
    const names = n.properties.get('dma-names')?.strings() ?? [];
    if (d && n !== node && controller) {
      phandleList(n, d, '#dma-cells', (p) => a.tree.byPhandle(p)).entries.forEach((e, i) => {
        if (e.target === controller && names[i]) used.add(names[i]);
      });
    }
    for (const c of n.children) walk(c);
  };
  walk(a.tree.root);
  const describe = entry
    ? `dmas entry ${index}: ${controller ? `${controller.labels[0] ?? controller.name} (${controller.path})` : 'empty'}${entry.args.length ? ` <${entry.args.join(' ')}>` : ''}`
    : `no dmas entry ${index} (the node has ${list.entries.length})`;
  const meaning = controller?.properties.get('compatible')?.strings().map((c) => compatibleDoc(c)?.dmaCells).find(Boolean);
  const doc = entry && meaning ? entry.args.map((v, j) => `${meaning[j] ?? `cell ${j}`}: ${v}`).join(', ') : undefined;
  const out: CompletionItem[] = [];
  const seen = new Set(written.slice(0, index));
  const offer = (name: string, rank: string, why: string): void => {
    if (seen.has(name)) return;
    seen.add(name);
    out.push(item(name, `${describe} — ${why}`, doc, rank, wanted[index] === name));
  };
  if (wanted[index] !== undefined) offer(wanted[index], '0', `the name ${compat[0]} requests for this entry`);
  for (const w of wanted) offer(w, '1', `a name ${compat[0]} requests`);
  for (const u of used) offer(u, '2', `used by other clients of this controller`);
  for (const d of ['tx', 'rx']) offer(d, '3', 'the usual name');
  return out;
}

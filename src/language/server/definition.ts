/**
 * Go to definition, find references and rename, for labels (`dad:` / `&dad`) and nodes (`&{/soc/dad@1000}`,
 * node names), across the document and the files it includes; definition also goes from an
 * `#include`/`/include/` to the file.
 */
import { ResponseError, ErrorCodes, type Location, type Range as LspRange, type TextEdit, type WorkspaceEdit } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { DtNode, Range, Reference } from '../../../emulator/platform/dts';
import type { Analysis } from './analysis';
import { fileToUri, toLspRange } from './positions';

type Sym = { kind: 'label'; name: string } | { kind: 'node'; node: DtNode };

/** What the cursor is on, for these features. */
function symbolAt(a: Analysis, offset: number): Sym | undefined {
  const t = a.index.at(offset);
  switch (t.kind) {
    case 'label':
      return { kind: 'label', name: t.label.name };
    case 'reference': {
      const r = t.ref;
      if (r.refKind === 'label') return { kind: 'label', name: r.target };
      // `&{label/sub}`: on the label part, the label; elsewhere the node
      const first = pathLabel(r);
      if (first !== undefined && offset <= r.range.start.offset + 2 + first.length) return { kind: 'label', name: first };
      const node = a.pathTarget(r.target);
      return node ? { kind: 'node', node } : undefined;
    }
    case 'nodeName':
      return t.entry.node ? { kind: 'node', node: t.entry.node } : undefined;
    default:
      return undefined;
  }
}

/** The label a `&{label/path}` reference starts with. */
function pathLabel(r: Reference): string | undefined {
  if (r.refKind !== 'path' || r.target.startsWith('/')) return undefined;
  const slash = r.target.indexOf('/');
  return slash < 0 ? r.target : r.target.slice(0, slash);
}

function location(a: Analysis, text: TextDocument, r: Range): Location {
  return { uri: r.file === a.file ? a.uri : fileToUri(r.file), range: toLspRange(r, { file: a.file, text }) };
}

/** Where a node is declared: the names of its `name { }` blocks (or of the blocks' starts). */
function nodeDeclarations(a: Analysis, node: DtNode): Range[] {
  const out: Range[] = [];
  for (const idx of a.allIndexes) for (const e of idx.entriesOf(node)) if (e.decl.kind === 'node') out.push(e.decl.nameRange);
  if (out.length === 0) for (const d of node.definitions) out.push({ file: d.file, start: d.start, end: d.start });
  return out;
}

function labelDeclarations(a: Analysis, name: string): Range[] {
  const out: Range[] = [];
  for (const idx of a.allIndexes) for (const l of idx.doc.labels) if (l.name === name) out.push(l.range);
  return out;
}

export function definition(a: Analysis, text: TextDocument, offset: number): Location[] | null {
  const inc = a.doc.includes.find((i) => i.range.file === a.file && i.pathRange.start.offset <= offset && offset <= i.pathRange.end.offset);
  if (inc !== undefined) {
    if (inc.resolved === undefined) return null;
    const start = { line: 0, character: 0 };
    return [{ uri: fileToUri(inc.resolved), range: { start, end: start } }];
  }
  const s = symbolAt(a, offset);
  if (s === undefined) return null;
  const ranges = s.kind === 'label' ? labelDeclarations(a, s.name) : nodeDeclarations(a, s.node);
  return ranges.length ? ranges.map((r) => location(a, text, r)) : null;
}

/** Every reference to the symbol in the document and its includes. */
function referenceRanges(a: Analysis, s: Sym): Range[] {
  const out: Range[] = [];
  for (const idx of a.allIndexes) {
    for (const r of idx.doc.references) {
      if (s.kind === 'label') {
        if ((r.refKind === 'label' && r.target === s.name) || pathLabel(r) === s.name) out.push(r.range);
      } else {
        const target = r.refKind === 'label' ? a.labelTarget(r.target) : a.pathTarget(r.target);
        if (target === s.node) out.push(r.range);
      }
    }
  }
  return out;
}

export function references(a: Analysis, text: TextDocument, offset: number, includeDeclaration: boolean): Location[] {
  const s = symbolAt(a, offset);
  if (s === undefined) return [];
  const ranges = referenceRanges(a, s);
  if (includeDeclaration) ranges.unshift(...(s.kind === 'label' ? labelDeclarations(a, s.name) : nodeDeclarations(a, s.node)));
  return ranges.map((r) => location(a, text, r));
}

const LABEL = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The label name under the cursor and its range, or undefined. */
function labelUnderCursor(a: Analysis, offset: number): { name: string; range: Range } | undefined {
  const s = symbolAt(a, offset);
  if (s?.kind !== 'label') return undefined;
  for (const l of a.doc.labels) if (l.name === s.name && l.range.start.offset <= offset && offset <= l.range.end.offset) return { name: s.name, range: shift(l.range, 0, s.name.length) };
  for (const r of a.doc.references) {
    if (r.range.start.offset > offset || offset > r.range.end.offset) continue;
    return { name: s.name, range: shift(r.range, r.refKind === 'label' ? 1 : 2, s.name.length) };
  }
  return undefined;
}

function shift(r: Range, by: number, len: number): Range {
  const start = { line: r.start.line, col: r.start.col + by, offset: r.start.offset + by };
  return { file: r.file, start, end: { line: r.start.line, col: start.col + len, offset: start.offset + len } };
}

export function prepareRename(a: Analysis, text: TextDocument, offset: number): { range: LspRange; placeholder: string } | null {
  const l = labelUnderCursor(a, offset);
  if (l === undefined) return null;
  if (a.text.slice(l.range.start.offset, l.range.end.offset) !== l.name) throw new ResponseError(ErrorCodes.InvalidRequest, `label ${l.name} is written by a macro here; rename it in the macro`);
  return { range: toLspRange(l.range, { file: a.file, text }), placeholder: l.name };
}

export function rename(a: Analysis, text: TextDocument, offset: number, newName: string): WorkspaceEdit | null {
  const l = labelUnderCursor(a, offset);
  if (l === undefined) return null;
  if (!LABEL.test(newName)) throw new ResponseError(ErrorCodes.InvalidParams, `"${newName}" is not a label name (a letter or _, then letters, digits or _)`);
  if (newName !== l.name && a.allIndexes.some((idx) => idx.doc.labels.some((x) => x.name === newName))) {
    throw new ResponseError(ErrorCodes.InvalidParams, `label ${newName} already exists`);
  }
  const sites: Range[] = [];
  for (const idx of a.allIndexes) {
    for (const x of idx.doc.labels) if (x.name === l.name) sites.push(shift(x.range, 0, l.name.length));
    for (const r of idx.doc.references) {
      if (r.refKind === 'label' && r.target === l.name) sites.push(shift(r.range, 1, l.name.length));
      else if (pathLabel(r) === l.name) sites.push(shift(r.range, 2, l.name.length));
    }
  }
  const changes: Record<string, TextEdit[]> = {};
  for (const r of sites) {
    const source = r.file === a.file ? a.text : a.indexOf(r.file)?.doc.text;
    if (source === undefined || source.slice(r.start.offset, r.end.offset) !== l.name) {
      throw new ResponseError(ErrorCodes.InvalidRequest, `label ${l.name} is written by a macro at ${r.file}:${r.start.line}:${r.start.col}; rename it there by hand`);
    }
    const loc = location(a, text, r);
    (changes[loc.uri] ??= []).push({ range: loc.range, newText: newName });
  }
  return { changes };
}

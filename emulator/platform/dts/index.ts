// Devicetree source front end: preprocessor, lexer, parser and tree resolver.
//
//   parseDocument(text, file)      one file's syntax tree (for an editor / language server)
//   loadDeviceTree(text, file)     the whole resolved tree (for the platform model)
//
// Nothing here throws on bad input: every problem is a Diagnostic.

import * as fs from 'fs';
import type { DtsDocument } from './ast';
import { DiagCode, makeDiagnostic, type Diagnostic } from './diagnostics';
import { parseStream } from './parser';
import { preprocess } from './preprocessor';
import { resolveTree } from './resolve';
import type { SourceMap } from './source';
import type { DeviceTree, DtNode } from './tree';

export * from './ast';
export { formatDiagnostic, DiagCode } from './diagnostics';
export type { Diagnostic, Position, Range, Severity } from './diagnostics';
export type { Expr, BinaryOp, UnaryOp } from './expr';
export type { IncludeDirective, MacroDefinition, MacroUse } from './preprocessor';
export type { TokenKind } from './lexer';
export type { DeviceTree, DtNode, DtProperty, DtReference } from './tree';

export interface ParseOptions extends LoadOptions {
  /** Keep every token (kind, text, range) in `DtsDocument.tokens`, e.g. for semantic highlighting. */
  tokens?: boolean;
}

export interface LoadOptions {
  /** Reads a file, undefined when it does not exist. loadDeviceTree defaults to the file system. */
  readFile?: (absPath: string) => string | undefined;
  /** Searched for #include and /include/ files after the including file's directory. */
  includeDirs?: string[];
}

/**
 * Parses one source file into its syntax tree. Includes are recorded, not
 * spliced in; when `opts.readFile` is given, included files are read for their
 * macro definitions (so `<GIC_SPI 5 4>` parses) and a missing include is reported.
 */
export function parseDocument(text: string, file: string, opts?: ParseOptions): DtsDocument {
  const pre = preprocess(text, file, { splice: false, readFile: opts?.readFile, includeDirs: opts?.includeDirs });
  const parsed = parseStream(pre.text, pre.map, { tokens: opts?.tokens });
  const doc: DtsDocument = {
    file,
    text,
    items: parsed.items,
    diagnostics: sortDiagnostics([...pre.diagnostics, ...parsed.diagnostics], pre.map),
    hasVersion: parsed.hasVersion,
    isPlugin: parsed.isPlugin,
    labels: parsed.labels,
    references: parsed.references,
    includes: pre.includes,
    macros: pre.macros,
    macroUses: pre.macroUses,
    comments: pre.comments,
    inactiveRanges: pre.inactiveRanges,
  };
  if (parsed.tokens !== undefined) doc.tokens = parsed.tokens;
  return doc;
}

/** Preprocesses (following includes), parses and resolves a device tree. */
export function loadDeviceTree(text: string, file: string, opts: LoadOptions = {}): DeviceTree {
  const pre = preprocess(text, file, { splice: true, details: false, readFile: opts.readFile ?? readFromDisk, includeDirs: opts.includeDirs });
  const parsed = parseStream(pre.text, pre.map);
  const res = resolveTree({ items: parsed.items, isPlugin: parsed.isPlugin });
  const diagnostics = [...pre.diagnostics, ...parsed.diagnostics, ...res.diagnostics];
  if (!parsed.hasVersion) {
    const p = { line: 1, col: 1, offset: 0 };
    diagnostics.unshift(makeDiagnostic({ file, start: p, end: p }, 'warning', "missing '/dts-v1/;' at the start of the file", DiagCode.missingVersion));
  }
  const root = res.root;
  const byPath = (path: string): DtNode | undefined => lookupPath(root, path, 0);
  return {
    root,
    memreserve: res.memreserve,
    diagnostics: sortDiagnostics(diagnostics, pre.map),
    labels: res.labels as Map<string, DtNode>,
    byPath,
    byPhandle: (phandle: number) => res.phandles.get(phandle),
    files: pre.files,
    isPlugin: parsed.isPlugin,
  };
}

/**
 * The resolved tree of a document parseDocument returned, without preprocessing and parsing the
 * text again (what an editor needs on every change): the same tree and diagnostics as
 * loadDeviceTree on that text. Undefined when the document includes files (they must be spliced
 * in: use loadDeviceTree).
 */
export function resolveDocument(doc: DtsDocument): DeviceTree | undefined {
  if (doc.includes.length > 0) return undefined;
  const res = resolveTree({ items: doc.items, isPlugin: doc.isPlugin });
  const all = [...doc.diagnostics, ...res.diagnostics];
  if (!doc.hasVersion) {
    const p = { line: 1, col: 1, offset: 0 };
    all.unshift(makeDiagnostic({ file: doc.file, start: p, end: p }, 'warning', "missing '/dts-v1/;' at the start of the file", DiagCode.missingVersion));
  }
  // one file: source order is offset order (as in sortDiagnostics)
  const seen = new Set<string>();
  const diagnostics = all
    .map((d, i) => ({ d, i }))
    .filter(({ d }) => {
      const id = `${d.range.file}\0${d.range.start.offset}\0${d.range.end.offset}\0${d.severity}\0${d.message}`;
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    })
    .sort((a, b) => a.d.range.start.offset - b.d.range.start.offset || a.i - b.i)
    .map((x) => x.d);
  const root = res.root;
  return {
    root,
    memreserve: res.memreserve,
    diagnostics,
    labels: res.labels as Map<string, DtNode>,
    byPath: (path: string): DtNode | undefined => lookupPath(root, path, 0),
    byPhandle: (phandle: number) => res.phandles.get(phandle),
    files: [doc.file],
    isPlugin: doc.isPlugin,
  };
}

function readFromDisk(absPath: string): string | undefined {
  try {
    return fs.readFileSync(absPath, 'utf8');
  } catch {
    return undefined;
  }
}

/** '/a/b@1', 'b' by unique base name, or 'alias/rest' through /aliases. */
function lookupPath(root: DtNode, path: string, depth: number): DtNode | undefined {
  let node: DtNode | undefined;
  let rest: string;
  if (path.startsWith('/')) {
    node = root;
    rest = path.slice(1);
  } else {
    if (depth > 8 || path.length === 0) return undefined;
    const slash = path.indexOf('/');
    const alias = slash < 0 ? path : path.slice(0, slash);
    const prop = root.child('aliases')?.properties.get(alias);
    if (prop === undefined) return undefined;
    const target = prop.string();
    if (!target.startsWith('/')) return undefined;
    node = lookupPath(root, target, depth + 1);
    rest = slash < 0 ? '' : path.slice(slash + 1);
  }
  for (const part of rest.split('/')) {
    if (node === undefined) return undefined;
    if (part.length > 0) node = node.child(part);
  }
  return node;
}

/** Source order (the order of the preprocessed stream), duplicates removed. */
function sortDiagnostics(diags: Diagnostic[], map: SourceMap): Diagnostic[] {
  const seen = new Set<string>();
  const keyed: { d: Diagnostic; k: number; i: number }[] = [];
  diags.forEach((d, i) => {
    const id = `${d.range.file}\0${d.range.start.offset}\0${d.range.end.offset}\0${d.severity}\0${d.message}`;
    if (seen.has(id)) return;
    seen.add(id);
    keyed.push({ d, k: map.orderKey(d.range.file, d.range.start.offset), i });
  });
  keyed.sort((a, b) => a.k - b.k || a.i - b.i);
  return keyed.map((x) => x.d);
}

/**
 * Positions between the devicetree front end (1-based line/col, 0-based offsets, one file per
 * range) and LSP (0-based line/character in a document identified by URI).
 */
import * as path from 'path';
import { fileURLToPath, pathToFileURL } from 'url';
import type { Range as LspRange } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { Range } from '../../../emulator/platform/dts';

/** The file name the front end gets for a document: its path for file: URIs, else the URI itself. */
export function uriToFile(uri: string): string {
  if (uri.startsWith('file:')) {
    try {
      return fileURLToPath(uri);
    } catch {
      return uri;
    }
  }
  return uri;
}

export function fileToUri(file: string): string {
  return path.isAbsolute(file) ? pathToFileURL(file).href : file;
}

/**
 * An LSP range for a front-end range. In the open document (`doc`, whose text the front end
 * parsed) offsets are exact whatever the line endings; elsewhere line/col are used.
 */
export function toLspRange(r: Range, doc?: { file: string; text: TextDocument }): LspRange {
  if (doc !== undefined && r.file === doc.file) return { start: doc.text.positionAt(r.start.offset), end: doc.text.positionAt(r.end.offset) };
  return { start: { line: r.start.line - 1, character: r.start.col - 1 }, end: { line: r.end.line - 1, character: r.end.col - 1 } };
}

/** The cursor at `offset` touches `r` (both ends included, so the end of a word counts). */
export function touches(r: Range, offset: number): boolean {
  return r.start.offset <= offset && offset <= r.end.offset;
}

/** A key for a range's start (maps AST elements to resolved tree nodes). */
export function startKey(r: Range): string {
  return `${r.file}\0${r.start.offset}`;
}

export function rangeKey(r: Range): string {
  return `${r.file}\0${r.start.offset}\0${r.end.offset}`;
}

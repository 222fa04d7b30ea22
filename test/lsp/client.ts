/**
 * An LSP client for the tests: the server runs in this process on a pair of in-memory streams,
 * the client is a vscode-jsonrpc connection on the other ends. Everything goes through JSON-RPC
 * as it would from an editor.
 */
import * as fs from 'fs';
import * as path from 'path';
import { PassThrough } from 'stream';
import { pathToFileURL } from 'url';
import { createMessageConnection, type MessageConnection } from 'vscode-jsonrpc/node';
import { StreamMessageReader, StreamMessageWriter } from 'vscode-languageserver/node';
import type {
  CompletionItem, CompletionList, Diagnostic, DocumentSymbol, FoldingRange, Hover, Location, MarkupContent, Position,
  PublishDiagnosticsParams, Range, TextEdit, WorkspaceEdit,
} from 'vscode-languageserver';
import { startLanguageServer, type LanguageServer } from '../../src/language/server/server';

export const ROOT = path.resolve(__dirname, '..', '..');
export const platformFile = (name: string): string => path.join(ROOT, 'platforms', `${name}.dts`);
export const platformText = (name: string): string => fs.readFileSync(platformFile(name), 'utf8');
export const uriOf = (file: string): string => pathToFileURL(file).href;

/** A built-in platform's text, opened under a path of its own (positions are found by content, not by number). */
export function fixture(name: 'arm64-smmu-noncoherent' | 'arm32-swiotlb' | 'x86-64-vtd'): { file: string; uri: string; text: string } {
  const file = path.join(path.sep, 'virtual', 'fixtures', `${name}.dts`);
  return { file, uri: uriOf(file), text: platformText(name) };
}

/** Line/character of the `nth` occurrence of `needle` in `text`, plus `delta` characters. */
export function positionOf(text: string, needle: string, delta = 0, nth = 0): Position {
  let at = -1;
  for (let i = 0; i <= nth; i++) {
    at = text.indexOf(needle, at + 1);
    if (at < 0) throw new Error(`"${needle}" (occurrence ${nth}) not in the text`);
  }
  const o = at + delta;
  const before = text.slice(0, o);
  const line = before.split('\n').length - 1;
  return { line, character: o - (before.lastIndexOf('\n') + 1) };
}

/** The text a range covers. */
export function textAt(text: string, r: Range): string {
  const lines = text.split('\n');
  const off = (p: Position): number => lines.slice(0, p.line).reduce((n, l) => n + l.length + 1, 0) + p.character;
  return text.slice(off(r.start), off(r.end));
}

/** A diagnostic's message as text (LSP 3.18 also allows markup). */
export function messageOf(d: Diagnostic): string {
  return typeof d.message === 'string' ? d.message : d.message.value;
}

export function hoverText(h: Hover | null): string {
  if (h === null) return '';
  return (h.contents as MarkupContent).value;
}

export class LspClient {
  private readonly diags = new Map<string, PublishDiagnosticsParams[]>();
  private readonly waiters: { uri: string; version: number; resolve: (d: Diagnostic[]) => void }[] = [];
  private versions = new Map<string, number>();

  private constructor(
    readonly conn: MessageConnection,
    private readonly server: LanguageServer,
  ) {
    conn.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
      const list = this.diags.get(p.uri) ?? [];
      list.push(p);
      this.diags.set(p.uri, list);
      for (const w of [...this.waiters]) {
        if (w.uri === p.uri && (p.version === undefined || p.version >= w.version)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(p.diagnostics);
        }
      }
    });
  }

  static async start(initializationOptions?: unknown): Promise<LspClient> {
    const toServer = new PassThrough();
    const toClient = new PassThrough();
    const server = startLanguageServer(toServer, toClient);
    const conn = createMessageConnection(new StreamMessageReader(toClient), new StreamMessageWriter(toServer));
    const c = new LspClient(conn, server);
    conn.listen();
    await conn.sendRequest('initialize', { processId: null, rootUri: null, capabilities: {}, initializationOptions });
    await conn.sendNotification('initialized', {});
    return c;
  }

  async stop(): Promise<void> {
    await this.conn.sendRequest('shutdown');
    this.conn.dispose();
    this.server.dispose();
  }

  /** Opens a document and waits for its diagnostics. */
  open(uri: string, text: string): Promise<Diagnostic[]> {
    this.versions.set(uri, 1);
    const d = this.waitDiagnostics(uri, 1);
    void this.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'devicetree', version: 1, text } });
    return d;
  }

  /** Replaces a document's text and waits for the new diagnostics. */
  change(uri: string, text: string): Promise<Diagnostic[]> {
    const version = (this.versions.get(uri) ?? 1) + 1;
    this.versions.set(uri, version);
    const d = this.waitDiagnostics(uri, version);
    void this.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ text }] });
    return d;
  }

  close(uri: string): void {
    void this.conn.sendNotification('textDocument/didClose', { textDocument: { uri } });
  }

  /** The next diagnostics published for `uri` at `version` or later. */
  waitDiagnostics(uri: string, version = 0): Promise<Diagnostic[]> {
    return new Promise((resolve) => this.waiters.push({ uri, version, resolve }));
  }

  hover(uri: string, position: Position): Promise<Hover | null> {
    return this.conn.sendRequest('textDocument/hover', { textDocument: { uri }, position });
  }

  async completion(uri: string, position: Position): Promise<CompletionItem[]> {
    const r = await this.conn.sendRequest<CompletionItem[] | CompletionList | null>('textDocument/completion', { textDocument: { uri }, position });
    return r === null ? [] : Array.isArray(r) ? r : r.items;
  }

  definition(uri: string, position: Position): Promise<Location[] | null> {
    return this.conn.sendRequest('textDocument/definition', { textDocument: { uri }, position });
  }

  references(uri: string, position: Position, includeDeclaration = false): Promise<Location[]> {
    return this.conn.sendRequest('textDocument/references', { textDocument: { uri }, position, context: { includeDeclaration } });
  }

  prepareRename(uri: string, position: Position): Promise<{ range: Range; placeholder: string } | null> {
    return this.conn.sendRequest('textDocument/prepareRename', { textDocument: { uri }, position });
  }

  rename(uri: string, position: Position, newName: string): Promise<WorkspaceEdit | null> {
    return this.conn.sendRequest('textDocument/rename', { textDocument: { uri }, position, newName });
  }

  symbols(uri: string): Promise<DocumentSymbol[]> {
    return this.conn.sendRequest('textDocument/documentSymbol', { textDocument: { uri } });
  }

  folding(uri: string): Promise<FoldingRange[]> {
    return this.conn.sendRequest('textDocument/foldingRange', { textDocument: { uri } });
  }

  format(uri: string): Promise<TextEdit[]> {
    return this.conn.sendRequest('textDocument/formatting', { textDocument: { uri }, options: { tabSize: 8, insertSpaces: false } });
  }

  formatRange(uri: string, range: Range): Promise<TextEdit[]> {
    return this.conn.sendRequest('textDocument/rangeFormatting', { textDocument: { uri }, range, options: { tabSize: 8, insertSpaces: false } });
  }
}

/** Applies LSP text edits to a text. */
export function applyEdits(text: string, edits: TextEdit[]): string {
  const lines = text.split('\n');
  const off = (p: Position): number => lines.slice(0, p.line).reduce((n, l) => n + l.length + 1, 0) + p.character;
  const sorted = edits.map((e) => ({ s: off(e.range.start), e: off(e.range.end), t: e.newText })).sort((x, y) => x.s - y.s);
  let out = '';
  let at = 0;
  for (const e of sorted) {
    if (e.s < at) throw new Error('overlapping edits');
    out += text.slice(at, e.s) + e.t;
    at = e.e;
  }
  return out + text.slice(at);
}

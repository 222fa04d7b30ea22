/**
 * The devicetree language server: wiring of the LSP connection to the features. Served by the
 * extension and standalone as `dmalab lsp --stdio`; `startLanguageServer(input, output)` runs it
 * on any pair of streams (tests use in-memory ones).
 *
 * Diagnostics are pushed on open and change (and to the documents that include a changed file);
 * every request works on the analysis of the document's current version (analysis.ts).
 */
import type { Readable, Writable } from 'stream';
import {
  createConnection, StreamMessageReader, StreamMessageWriter, TextDocumentSyncKind, type Connection, type InitializeResult,
} from 'vscode-languageserver/node';
import type { Position } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { Analysis } from './analysis';
import { completion } from './completion';
import { definition, prepareRename, references, rename } from './definition';
import { computeDiagnostics } from './diagnostics';
import { formatDocument } from './formatting';
import { hover } from './hover';
import { uriToFile } from './positions';
import { documentSymbols, foldingRanges } from './symbols';
import { Workspace, type WorkspaceOptions } from './workspace';

export interface LanguageServer {
  connection: Connection;
  workspace: Workspace;
  dispose(): void;
}

export function startLanguageServer(input: Readable, output: Writable): LanguageServer {
  const connection = createConnection(new StreamMessageReader(input), new StreamMessageWriter(output));
  const ws = new Workspace();
  const docs = ws.documents;
  const pending = new Map<string, NodeJS.Immediate>();

  const publish = (uri: string): void => {
    const text = docs.get(uri);
    const a = ws.analysis(uri);
    if (text === undefined || a === undefined) return;
    let diagnostics;
    try {
      diagnostics = computeDiagnostics(a, text);
    } catch (e) {
      connection.console.error(`dmalab lsp: diagnostics of ${uri} failed: ${(e as Error).stack ?? e}`);
      return;
    }
    void connection.sendDiagnostics({ uri, version: text.version, diagnostics });
  };
  /** Coalesces the changes of one burst of edits into one analysis. */
  const schedule = (uri: string): void => {
    const old = pending.get(uri);
    if (old !== undefined) clearImmediate(old);
    pending.set(
      uri,
      setImmediate(() => {
        pending.delete(uri);
        publish(uri);
      }),
    );
  };

  connection.onInitialize((params): InitializeResult => {
    ws.configure(params.initializationOptions as WorkspaceOptions | undefined);
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        hoverProvider: true,
        completionProvider: { triggerCharacters: ['&', '"', '{'] },
        definitionProvider: true,
        referencesProvider: true,
        renameProvider: { prepareProvider: true },
        documentSymbolProvider: true,
        foldingRangeProvider: true,
        documentFormattingProvider: true,
        documentRangeFormattingProvider: true,
      },
      serverInfo: { name: 'dmalab-devicetree' },
    };
  });

  docs.onDidChangeContent((e) => {
    const file = uriToFile(e.document.uri);
    for (const uri of ws.invalidate(file)) if (uri !== e.document.uri) schedule(uri);
    schedule(e.document.uri);
  });
  docs.onDidClose((e) => {
    const p = pending.get(e.document.uri);
    if (p !== undefined) clearImmediate(p);
    pending.delete(e.document.uri);
    ws.forget(e.document.uri);
    for (const uri of ws.invalidate(uriToFile(e.document.uri))) schedule(uri);
    void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
  });
  connection.onDidChangeWatchedFiles(() => {
    for (const uri of ws.invalidate(undefined)) schedule(uri);
  });

  /** Runs a request on the document's analysis, at an offset. */
  const at = <T>(uri: string, position: Position | undefined, fn: (a: Analysis, text: TextDocument, offset: number) => T, none: T): T => {
    const text = docs.get(uri);
    const a = ws.analysis(uri);
    if (text === undefined || a === undefined) return none;
    return fn(a, text, position ? text.offsetAt(position) : 0);
  };

  connection.onHover((p) => at(p.textDocument.uri, p.position, hover, null));
  connection.onCompletion((p) => at(p.textDocument.uri, p.position, completion, []));
  connection.onDefinition((p) => at(p.textDocument.uri, p.position, definition, null));
  connection.onReferences((p) => at(p.textDocument.uri, p.position, (a, t, o) => references(a, t, o, p.context.includeDeclaration), []));
  connection.onPrepareRename((p) => at(p.textDocument.uri, p.position, prepareRename, null));
  connection.onRenameRequest((p) => at(p.textDocument.uri, p.position, (a, t, o) => rename(a, t, o, p.newName), null));
  connection.onDocumentSymbol((p) => at(p.textDocument.uri, undefined, (a, t) => documentSymbols(a, t), []));
  connection.onFoldingRanges((p) => at(p.textDocument.uri, undefined, (a, t) => foldingRanges(a, t), []));
  connection.onDocumentFormatting((p) => at(p.textDocument.uri, undefined, (a, t) => formatDocument(a, t), []));
  connection.onDocumentRangeFormatting((p) => at(p.textDocument.uri, undefined, (a, t) => formatDocument(a, t, p.range), []));

  docs.listen(connection);
  connection.listen();
  return {
    connection,
    workspace: ws,
    dispose: () => {
      for (const p of pending.values()) clearImmediate(p);
      pending.clear();
      connection.dispose();
    },
  };
}

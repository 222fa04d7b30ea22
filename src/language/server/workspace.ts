/**
 * The documents the client has open and the analyses of their current versions. Files are read
 * from the open documents first (so an unsaved .dtsi counts), then from disk; an analysis is
 * dropped when its document changes or when a file it read changes.
 */
import * as fs from 'fs';
import * as path from 'path';
import { TextDocuments } from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { packageRoot } from '../../../emulator/runner/package-root';
import { Analysis, type AnalysisHost } from './analysis';
import { uriToFile } from './positions';

export interface WorkspaceOptions {
  /** Searched for #include and /include/ files after the including file's directory. */
  includeDirs?: string[];
}

export class Workspace implements AnalysisHost {
  readonly documents = new TextDocuments(TextDocument);
  private readonly analyses = new Map<string, Analysis>();
  private extraDirs: string[] = [];

  configure(opts: WorkspaceOptions | undefined): void {
    this.extraDirs = (opts?.includeDirs ?? []).filter((d) => typeof d === 'string' && path.isAbsolute(d));
    this.analyses.clear();
  }

  includeDirs(): string[] {
    const dirs = [...this.extraDirs];
    try {
      dirs.push(path.join(packageRoot(), 'platforms'));
    } catch {
      /* not inside the dmalab package: no built-in include dir */
    }
    return dirs;
  }

  private openByFile(file: string): TextDocument | undefined {
    for (const d of this.documents.all()) if (uriToFile(d.uri) === file) return d;
    return undefined;
  }

  readFile(absPath: string): string | undefined {
    const open = this.openByFile(absPath);
    if (open !== undefined) return open.getText();
    try {
      return fs.readFileSync(absPath, 'utf8');
    } catch {
      return undefined;
    }
  }

  /** The analysis of an open document's current version. */
  analysis(uri: string): Analysis | undefined {
    const doc = this.documents.get(uri);
    if (doc === undefined) return undefined;
    const cached = this.analyses.get(uri);
    if (cached !== undefined && cached.version === doc.version) return cached;
    const a = new Analysis(uri, uriToFile(uri), doc.getText(), doc.version, this);
    this.analyses.set(uri, a);
    return a;
  }

  /** Forget a closed document. */
  forget(uri: string): void {
    this.analyses.delete(uri);
  }

  /** `file` changed (edited or on disk): drop the analyses that read it; returns the open documents affected. */
  invalidate(file: string | undefined): string[] {
    const affected: string[] = [];
    for (const [uri, a] of this.analyses) {
      if (file === undefined || a.tree.files.includes(file) || a.file === file) {
        this.analyses.delete(uri);
        affected.push(uri);
      }
    }
    return affected;
  }
}

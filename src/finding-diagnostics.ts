/**
 * Findings in the Problems view: each DMA-API or coherency finding of a DMA Lab run becomes a
 * Diagnostic on the script line that caused it, with the other lines it names (where the buffer
 * was mapped, where the device suffered it) as related information. A new run clears them.
 */
import * as vscode from 'vscode';
import type { FindingJson, SourceLocation } from '../emulator/kernel/findings';
import type { DebugEvents } from './debug-events';

const SEVERITY: Record<string, vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
};

/** A finding's location as an editor range: the rest of the line from the reported column. */
export function locationRange(at: SourceLocation): vscode.Range {
  const line = Math.max(0, at.line - 1);
  const col = Math.max(0, at.column - 1);
  return new vscode.Range(line, col, line, Number.MAX_SAFE_INTEGER);
}

export function findingDiagnostic(f: FindingJson): vscode.Diagnostic | undefined {
  if (!f.location) return undefined;
  const d = new vscode.Diagnostic(locationRange(f.location), f.message, SEVERITY[f.severity] ?? vscode.DiagnosticSeverity.Warning);
  d.source = 'DMA Lab';
  d.code = f.id;
  d.relatedInformation = f.related
    .filter((r) => r.location)
    .map((r) => new vscode.DiagnosticRelatedInformation(new vscode.Location(vscode.Uri.file(r.location!.file), locationRange(r.location!)), r.message));
  return d;
}

export class FindingDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('dmalab');
  /** Per file, the findings of the current run (the kernel reports each finding once per device, id and line). */
  private readonly byFile = new Map<string, Map<string, FindingJson>>();
  private readonly subscriptions: vscode.Disposable[];

  constructor(events: DebugEvents) {
    this.subscriptions = [
      events.onDidStart(() => this.clear()),
      events.onDidReportFinding(({ finding }) => this.add(finding)),
    ];
  }

  clear(): void {
    this.byFile.clear();
    this.collection.clear();
  }

  add(f: FindingJson): void {
    if (!f.location) return;
    const file = f.location.file;
    let findings = this.byFile.get(file);
    if (!findings) this.byFile.set(file, (findings = new Map()));
    findings.set(`${f.device} ${f.id}@${f.location.line}:${f.location.column}`, f);
    const diagnostics = [...findings.values()].map(findingDiagnostic).filter((d): d is vscode.Diagnostic => !!d);
    this.collection.set(vscode.Uri.file(file), diagnostics);
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.collection.dispose();
  }
}

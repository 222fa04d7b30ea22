/**
 * Diagnostics of a document: the parser's (syntax with error recovery, lexical, preprocessor,
 * missing includes, duplicate node names and properties, properties after subnodes), the
 * resolver's (unknown labels and paths, duplicate labels, phandles), the platform model's (cell
 * counts, pools, compatibles without a device model, knobs) and the semantic checks the model
 * does not make (checks.ts). Problems inside included files are summed up at the #include that
 * brings them in.
 */
import * as path from 'path';
import { DiagnosticSeverity, type Diagnostic as LspDiagnostic } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { DiagCode, type Diagnostic, type IncludeDirective, type Range } from '../../../emulator/platform/dts';
import type { Analysis } from './analysis';
import { semanticChecks } from './checks';
import { rangeKey, toLspRange } from './positions';

const SEVERITY: Record<Diagnostic['severity'], DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
};

const NO_MEMORY = /^the platform has no memory node/;

/** Every diagnostic of the analysed document, in the front end's form (main file and included files). */
export function collectDiagnostics(a: Analysis): Diagnostic[] {
  const all: Diagnostic[] = [...a.doc.diagnostics, ...a.tree.diagnostics];
  // the model points at whole node blocks; the node's name is where the eye goes
  const names = new Map<string, Range>();
  for (const idx of a.allIndexes) for (const e of idx.entries) names.set(rangeKey(e.decl.range), e.decl.kind === 'node' ? e.decl.nameRange : e.decl.ref.range);
  for (const d of a.modelDiagnostics) {
    const name = names.get(rangeKey(d.range));
    all.push({ ...d, range: name ?? d.range, code: d.code ?? 'platform' });
  }
  if (a.platformError !== undefined && !a.tree.isPlugin) {
    const p = { line: 1, col: 1, offset: 0 };
    all.push({ file: a.file, range: { file: a.file, start: p, end: p }, severity: 'error', message: `the platform model could not be built: ${a.platformError}`, code: 'platform' });
  }
  all.push(...semanticChecks(a));
  const seen = new Set<string>();
  return all.filter((d) => {
    if (a.isFragment && (d.code === DiagCode.missingVersion || NO_MEMORY.test(d.message))) return false;
    const key = `${d.range.file}\0${d.range.start.offset}\0${d.range.end.offset}\0${d.severity}\0${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function computeDiagnostics(a: Analysis, text: TextDocument): LspDiagnostic[] {
  const out: LspDiagnostic[] = [];
  const elsewhere = new Map<string, Diagnostic[]>();
  for (const d of collectDiagnostics(a)) {
    if (d.range.file === a.file) out.push(toLsp(d, a, text));
    else if (d.severity !== 'info') {
      const list = elsewhere.get(d.range.file);
      if (list) list.push(d);
      else elsewhere.set(d.range.file, [d]);
    }
  }
  if (elsewhere.size > 0) out.push(...includedSummaries(a, text, elsewhere));
  return out.sort((x, y) => x.range.start.line - y.range.start.line || x.range.start.character - y.range.start.character);
}

function toLsp(d: Diagnostic, a: Analysis, text: TextDocument): LspDiagnostic {
  const r: LspDiagnostic = { range: toLspRange(d.range, { file: a.file, text }), severity: SEVERITY[d.severity], message: d.message, source: 'dmalab' };
  if (d.code !== undefined) r.code = d.code;
  return r;
}

/** One diagnostic per #include whose file (or a file it includes) has problems. */
function includedSummaries(a: Analysis, text: TextDocument, byFile: Map<string, Diagnostic[]>): LspDiagnostic[] {
  // Which direct include brings in each file.
  const via = new Map<string, IncludeDirective>();
  const direct = a.doc.includes.filter((i) => i.resolved !== undefined && i.range.file === a.file);
  const children = new Map<string, string[]>();
  if ([...byFile.keys()].some((f) => !direct.some((i) => i.resolved === f))) {
    for (const idx of a.included) children.set(idx.doc.file, idx.doc.includes.map((i) => i.resolved).filter((f): f is string => f !== undefined));
  }
  for (const inc of direct) {
    const stack = [inc.resolved!];
    while (stack.length > 0) {
      const f = stack.pop()!;
      if (via.has(f)) continue;
      via.set(f, inc);
      stack.push(...(children.get(f) ?? []));
    }
  }
  const grouped = new Map<IncludeDirective | undefined, Diagnostic[]>();
  for (const [file, list] of byFile) {
    const inc = via.get(file);
    const g = grouped.get(inc);
    if (g) g.push(...list);
    else grouped.set(inc, [...list]);
  }
  const out: LspDiagnostic[] = [];
  for (const [inc, list] of grouped) {
    const errors = list.filter((d) => d.severity === 'error').length;
    const warnings = list.length - errors;
    const counts = [errors ? `${errors} error${errors > 1 ? 's' : ''}` : '', warnings ? `${warnings} warning${warnings > 1 ? 's' : ''}` : ''].filter(Boolean).join(' and ');
    const first = list.find((d) => d.severity === 'error') ?? list[0];
    const where = `${path.basename(first.range.file)}:${first.range.start.line}:${first.range.start.col}`;
    const range = inc ? inc.pathRange : { file: a.file, start: { line: 1, col: 1, offset: 0 }, end: { line: 1, col: 1, offset: 0 } };
    out.push({
      range: toLspRange(range, { file: a.file, text }),
      severity: errors ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
      message: `${counts} in ${inc ? 'included file ' : ''}${path.basename(first.range.file)}; first: ${where}: ${first.message}`,
      source: 'dmalab',
      code: 'included-file',
    });
  }
  return out;
}

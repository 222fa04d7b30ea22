// Positions, ranges and diagnostics shared by every stage of the devicetree
// front end (preprocessor, lexer, parser, resolver).

/** A point in a source file. `line` and `col` are 1-based; `col` counts UTF-16 code units (as LSP does). */
export interface Position {
  line: number;
  col: number;
  /** 0-based offset into the file's text. */
  offset: number;
}

export interface Range {
  file: string;
  start: Position;
  end: Position;
}

export type Severity = 'error' | 'warning' | 'info';

export interface Diagnostic {
  file: string;
  range: Range;
  severity: Severity;
  message: string;
  code?: string;
}

/** Diagnostic codes used by this module (the `code` field). */
export const DiagCode = {
  syntax: 'syntax',
  lexical: 'lexical',
  preprocessor: 'preprocessor',
  unsupportedDirective: 'unsupported-directive',
  includeNotFound: 'include-not-found',
  macro: 'macro',
  valueOutOfRange: 'value-out-of-range',
  divisionByZero: 'division-by-zero',
  unknownLabel: 'unknown-label',
  unknownPath: 'unknown-path',
  duplicateLabel: 'duplicate-label',
  duplicateNode: 'duplicate-node',
  duplicateProperty: 'duplicate-property',
  propertyAfterNode: 'property-after-node',
  phandle: 'phandle',
  badReference: 'bad-reference',
  deleteMissing: 'delete-missing',
  missingVersion: 'missing-dts-v1',
  nameChars: 'name-chars',
} as const;

/** `file:line:col: severity: message`, the format used by compilers (and dtc). */
export function formatDiagnostic(d: Diagnostic): string {
  const s = d.range.start;
  return `${d.file}:${s.line}:${s.col}: ${d.severity}: ${d.message}`;
}

export function makeDiagnostic(range: Range, severity: Severity, message: string, code?: string): Diagnostic {
  const d: Diagnostic = { file: range.file, range, severity, message };
  if (code !== undefined) d.code = code;
  return d;
}

/**
 * The run report: the dmesg-style log with virtual timestamps, then the findings with their
 * source locations (file:line:col, clickable in terminals and editors), or one JSON object.
 */
import * as path from 'path';
import { findingJson, type Finding, type FindingJson, type SourceLocation } from '../kernel/findings';
import type { TraceEvent } from '../trace/events';
import type { RunResult } from './run';

export function timestamp(ns: number): string {
  const s = Math.floor(ns / 1e9);
  const us = Math.floor((ns % 1e9) / 1e3);
  return `[${String(s).padStart(5)}.${String(us).padStart(6, '0')}]`;
}

function rel(file: string, cwd: string): string {
  const r = path.relative(cwd, file);
  return r && !r.startsWith('..') ? r : file;
}

export function formatLocation(l: SourceLocation | undefined, cwd = process.cwd()): string {
  return l ? `${rel(l.file, cwd)}:${l.line}:${l.column}` : '<no script location>';
}

export interface TextOptions {
  color: boolean;
  verbose: boolean;
  cwd?: string;
}

export function logLines(events: readonly TraceEvent[], verbose: boolean): string[] {
  const out: string[] = [];
  for (const e of events) {
    if (e.kind !== 'log') continue;
    if (e.level === 'debug' && !verbose) continue;
    for (const [i, line] of e.text.split('\n').entries()) out.push(`${i === 0 ? timestamp(e.t) : ' '.repeat(14)} ${line}`);
  }
  return out;
}

export function formatText(r: RunResult, o: TextOptions): string {
  const cwd = o.cwd ?? process.cwd();
  const c = (code: string, s: string): string => (o.color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const lines: string[] = [];
  if (r.kernel) lines.push(...logLines(r.kernel.trace.events, o.verbose));
  if (r.error) {
    lines.push('');
    lines.push(`${r.error.location ? `${formatLocation(r.error.location, cwd)}: ` : ''}${c('31;1', 'error')}: ${r.error.message}`);
    if (r.error.stack && o.verbose) lines.push(r.error.stack);
  }
  const fs = r.findings;
  // a run that never booted (the script did not compile, no such platform) has nothing to report
  if (!r.kernel && fs.length === 0) return lines.join('\n').replace(/^\n/, '');
  lines.push('');
  if (fs.length === 0) lines.push(c('32', `No DMA-API findings.`));
  else {
    const errors = fs.filter((f) => f.severity === 'error').length;
    const warnings = fs.length - errors;
    lines.push(c('1', `DMA-API findings: ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`));
    for (const f of fs) lines.push(...formatFinding(f, cwd, c));
  }
  return lines.join('\n');
}

function formatFinding(f: Finding, cwd: string, c: (code: string, s: string) => string): string[] {
  const sev = f.severity === 'error' ? c('31;1', 'error') : c('33;1', f.severity);
  const times = f.count > 1 ? ` (${f.count} times)` : '';
  const out = [`${formatLocation(f.site?.location(), cwd)}: ${sev} [${f.id}] ${f.message.split('\n').join(' ')}${times}`];
  for (const r of f.related) out.push(`    ${formatLocation(r.site?.location(), cwd)}: note: ${r.message}`);
  return out;
}

export { findingJson };
export type { FindingJson as JsonFinding };

export function formatJson(r: RunResult): string {
  const log = (r.kernel?.trace.events ?? []).filter((e) => e.kind === 'log').map((e) => ({ time_ns: e.t, level: (e as { level: string }).level, text: (e as { text: string }).text }));
  return JSON.stringify(
    {
      exitCode: r.exitCode,
      platform: r.platform?.name ?? null,
      endTime_ns: r.endTime,
      error: r.error ? { phase: r.error.phase, message: r.error.message, location: r.error.location ?? null } : null,
      findings: r.findings.map(findingJson),
      log,
    },
    null,
    2,
  );
}

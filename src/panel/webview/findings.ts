/// <reference lib="dom" />
/**
 * Findings: every misuse the checker named, as it reported it: id, severity, message, the line it
 * names and the related lines (where the buffer was mapped, where the device wrote it, where it was
 * unmapped...), each a link to the source.
 */
import type { FindingJson } from '../../../emulator/kernel/findings';
import { type Ctx, empty, sourceLink } from './common';
import { h } from './dom';
import { formatTime, plural } from './format';

const SEVERITY_ICON: Record<string, string> = { error: '✖', warning: '▲', info: 'ℹ' };

/** "mapped here (DMA_FROM_DEVICE, 4096 bytes)" → "mapped here". */
export function relatedLabel(message: string): string {
  const m = /^(.*?)(\s*\(|:|;|$)/.exec(message);
  return (m?.[1] || message).trim();
}

export function findingRow(ctx: Ctx, f: FindingJson): HTMLElement {
  const doc = ctx.doc;
  const [first, ...rest] = f.message.split('\n');
  return h(
    doc,
    'div',
    { class: `finding sev-${f.severity}`, 'data-finding': f.id, role: 'listitem' },
    h(doc, 'span', { class: 'sev', title: f.severity }, SEVERITY_ICON[f.severity] ?? '•'),
    h(doc, 'span', { class: 'fid' }, f.id),
    h(doc, 'span', { class: 'msg', title: f.message }, first, rest.length ? h(doc, 'span', { class: 'muted' }, ` ${rest.join(' ')}`) : null),
    h(
      doc,
      'div',
      { class: 'where' },
      h(doc, 'span', { class: 'lbl' }, 'at'),
      sourceLink(ctx, f.location),
      ...f.related.flatMap((r) => [h(doc, 'span', { class: 'sep' }, '·'), h(doc, 'span', { class: 'lbl', title: r.message }, relatedLabel(r.message)), sourceLink(ctx, r.location)]),
      h(doc, 'span', { class: 'sep' }, '·'),
      h(doc, 'span', { class: 'muted' }, `${f.device || 'kernel'}, t = ${formatTime(f.time_ns)}${f.count > 1 ? `, ${f.count}×` : ''}`),
    ),
  );
}

export function findingsSummary(fs: readonly FindingJson[]): string {
  if (!fs.length) return 'none';
  const errors = fs.filter((f) => f.severity === 'error').length;
  return `${plural(errors, 'error')}, ${plural(fs.length - errors, 'warning')}`;
}

/** Errors first, then warnings, each in the order they happened. */
export function renderFindings(ctx: Ctx, findings: readonly FindingJson[], max = 500): HTMLElement {
  const doc = ctx.doc;
  if (!findings.length) return empty(doc, 'No DMA-API findings so far.');
  const rank = (f: FindingJson) => (f.severity === 'error' ? 0 : f.severity === 'warning' ? 1 : 2);
  const sorted = [...findings].sort((a, b) => rank(a) - rank(b) || a.time_ns - b.time_ns);
  const shown = sorted.slice(0, max);
  return h(doc, 'div', { class: 'findings', role: 'list' }, ...shown.map((f) => findingRow(ctx, f)), sorted.length > max ? h(doc, 'div', { class: 'muted' }, `… and ${sorted.length - max} more`) : null);
}

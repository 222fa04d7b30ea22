/// <reference lib="dom" />
/** What every section renders with: the document, the way to talk to the host, shared widgets. */
import type { SourceLocation } from '../../../emulator/kernel/findings';
import type { WebviewToHost } from '../protocol';
import { h, type Child } from './dom';
import { locationText } from './format';

export interface Ctx {
  doc: Document;
  post(m: WebviewToHost): void;
  /** The user picked a mapping (a row, an IOMMU entry's owner, the coherency chooser). */
  select(id: number): void;
}

/** A clickable source location: opens the .ts file at the line. */
export function sourceLink(ctx: Ctx, loc: SourceLocation | null | undefined, label?: string): HTMLElement {
  if (!loc) return h(ctx.doc, 'span', { class: 'muted' }, '—');
  return h(
    ctx.doc,
    'a',
    {
      class: 'loc',
      href: '#',
      title: `${loc.file}:${loc.line}:${loc.column}`,
      'data-file': loc.file,
      'data-line': loc.line,
      onclick: (e: Event) => {
        e.preventDefault();
        e.stopPropagation();
        ctx.post({ type: 'openSource', file: loc.file, line: loc.line, column: loc.column });
      },
    },
    label ?? locationText(loc),
  );
}

/** A section of the panel: a heading with a summary and tools, then the body. */
export function sectionShell(doc: Document, id: string, title: string): { section: HTMLElement; meta: HTMLElement; tools: HTMLElement; body: HTMLElement } {
  const meta = h(doc, 'span', { class: 'meta' });
  const tools = h(doc, 'span', { class: 'tools' });
  const body = h(doc, 'div', { class: 'body' });
  const section = h(doc, 'section', { class: `section sec-${id}`, 'data-section': id, id: `sec-${id}`, 'aria-label': title }, h(doc, 'header', {}, h(doc, 'h2', {}, title), meta, tools), body);
  return { section, meta, tools, body };
}

export function cell(doc: Document, cls: string, ...children: Child[]): HTMLElement {
  return h(doc, 'span', { class: `c ${cls}` }, ...children);
}

/** A placeholder line for an empty section. */
export function empty(doc: Document, text: string): HTMLElement {
  return h(doc, 'div', { class: 'empty' }, text);
}

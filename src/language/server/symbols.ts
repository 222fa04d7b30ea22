/**
 * The outline (document symbols: nodes with their properties and subnodes, `&label { }` blocks,
 * /memreserve/) and folding ranges (node bodies, multi-line properties, block comments, #if'd out
 * text).
 */
import { FoldingRangeKind, SymbolKind, type DocumentSymbol, type FoldingRange } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { Analysis } from './analysis';
import { toLspRange } from './positions';
import { entryName, type NodeEntry } from './syntax-index';

export function documentSymbols(a: Analysis, text: TextDocument): DocumentSymbol[] {
  const main = { file: a.file, text };
  const conv = (r: Parameters<typeof toLspRange>[0]) => toLspRange(r, main);
  const node = (e: NodeEntry): DocumentSymbol => {
    const d = e.decl;
    const compat = e.node?.properties.get('compatible')?.strings()[0];
    const labels = d.labels.map((l) => `${l.name}:`).join(' ');
    const detail = [labels, compat ? `"${compat}"` : '', d.kind === 'refNode' && e.node ? e.node.path : ''].filter(Boolean).join(' ');
    const range = conv(d.range);
    const selectionRange = conv(d.kind === 'node' ? d.nameRange : d.ref.range);
    const children: DocumentSymbol[] = [];
    for (const item of d.body.items) {
      if (item.kind === 'property') {
        children.push({ name: item.name, kind: SymbolKind.Property, range: conv(item.range), selectionRange: conv(item.nameRange) });
      } else if (item.kind === 'node') {
        const child = e.children.find((c) => c.decl === item);
        if (child) children.push(node(child));
      }
    }
    const sym: DocumentSymbol = { name: entryName(e), kind: d.kind === 'refNode' ? SymbolKind.Namespace : SymbolKind.Module, range, selectionRange, children };
    if (detail) sym.detail = detail;
    return sym;
  };
  const out: DocumentSymbol[] = [];
  let next = 0;
  for (const item of a.doc.items) {
    if (item.kind === 'node' || item.kind === 'refNode') {
      const e = a.index.roots[next++];
      if (e) out.push(node(e));
    } else if (item.kind === 'memreserve') {
      const r = conv(item.range);
      out.push({ name: '/memreserve/', detail: `0x${item.addressValue.toString(16)} +0x${item.sizeValue.toString(16)}`, kind: SymbolKind.Constant, range: r, selectionRange: r });
    }
  }
  return out;
}

export function foldingRanges(a: Analysis, text: TextDocument): FoldingRange[] {
  const out: FoldingRange[] = [];
  const line = (offset: number): number => text.positionAt(offset).line;
  const add = (start: number, end: number, kind?: FoldingRangeKind): void => {
    if (end > start) out.push(kind ? { startLine: start, endLine: end, kind } : { startLine: start, endLine: end });
  };
  for (const e of a.index.entries) {
    const b = e.decl.body.range;
    if (b.file !== a.file) continue;
    // keep the closing brace visible
    add(line(b.start.offset), e.decl.body.closed ? line(b.end.offset) - 1 : line(b.end.offset));
  }
  for (const p of a.index.properties) {
    const r = p.decl.range;
    if (r.file === a.file) add(line(r.start.offset), line(r.end.offset));
  }
  // consecutive // lines fold together
  let run: { start: number; end: number } | undefined;
  const flush = (): void => {
    if (run) add(run.start, run.end, FoldingRangeKind.Comment);
    run = undefined;
  };
  for (const c of a.doc.comments) {
    if (c.file !== a.file) continue;
    const s = line(c.start.offset);
    const e = line(c.end.offset);
    const lineComment = a.text.startsWith('//', c.start.offset);
    if (lineComment && run && s === run.end + 1 && /^[ \t]*$/.test(a.text.slice(a.text.lastIndexOf('\n', c.start.offset - 1) + 1, c.start.offset))) {
      run.end = s;
      continue;
    }
    flush();
    if (lineComment) run = { start: s, end: e };
    else add(s, e, FoldingRangeKind.Comment);
  }
  flush();
  for (const r of a.doc.inactiveRanges) if (r.file === a.file) add(line(r.start.offset), line(r.end.offset), FoldingRangeKind.Region);
  out.sort((x, y) => x.startLine - y.startLine || y.endLine - x.endLine);
  return out;
}

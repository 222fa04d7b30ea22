/**
 * One parsed document as the editor features need it: its node and property declarations in a
 * flat list with their nesting, each node declaration tied to the resolved tree node it
 * contributed to, and "what is at this offset" (a label, a reference, a node or property name, a
 * value, a macro use, or just the inside of a node body).
 */
import type {
  DtNode, DtsDocument, LabelDecl, MacroUse, NodeDecl, PropertyDecl, PropertyValue, Reference, RefNodeDecl,
} from '../../../emulator/platform/dts';
import { startKey, touches } from './positions';

export interface NodeEntry {
  decl: NodeDecl | RefNodeDecl;
  parent?: NodeEntry;
  /** 0 at the top level. */
  depth: number;
  /** The resolved node this block contributed to (undefined when it was deleted or could not be resolved). */
  node?: DtNode;
  children: NodeEntry[];
  properties: PropertyEntry[];
}

export interface PropertyEntry {
  decl: PropertyDecl;
  owner: NodeEntry;
}

export type Target =
  | { kind: 'label'; label: LabelDecl; owner?: NodeEntry; property?: PropertyEntry }
  | { kind: 'reference'; ref: Reference; property?: PropertyEntry; owner?: NodeEntry }
  | { kind: 'nodeName'; entry: NodeEntry }
  | { kind: 'propertyName'; prop: PropertyEntry }
  | { kind: 'propertyValue'; prop: PropertyEntry; value: PropertyValue; index: number }
  | { kind: 'macro'; use: MacroUse }
  | { kind: 'body'; entry: NodeEntry }
  | { kind: 'none' };

/** Display name of a node block: its name, `/` for the root, `&label` / `&{/path}` for a reference block. */
export function entryName(e: NodeEntry): string {
  const d = e.decl;
  if (d.kind === 'node') return d.name;
  return d.ref.refKind === 'label' ? `&${d.ref.target}` : `&{${d.ref.target}}`;
}

export class SyntaxIndex {
  readonly entries: NodeEntry[] = [];
  readonly roots: NodeEntry[] = [];
  readonly properties: PropertyEntry[] = [];
  private readonly labelOwners = new Map<LabelDecl, { owner?: NodeEntry; property?: PropertyEntry }>();
  private readonly byNode = new Map<DtNode, NodeEntry[]>();

  /** `defs` maps `startKey(block range)` to the resolved node (from DtNode.definitions). */
  constructor(
    readonly doc: DtsDocument,
    defs: ReadonlyMap<string, DtNode>,
  ) {
    const visit = (decl: NodeDecl | RefNodeDecl, parent: NodeEntry | undefined): NodeEntry => {
      const entry: NodeEntry = { decl, parent, depth: parent ? parent.depth + 1 : 0, children: [], properties: [] };
      const node = defs.get(startKey(decl.range));
      if (node !== undefined) {
        entry.node = node;
        const list = this.byNode.get(node);
        if (list) list.push(entry);
        else this.byNode.set(node, [entry]);
      }
      this.entries.push(entry);
      for (const l of decl.labels) this.labelOwners.set(l, { owner: entry });
      for (const item of decl.body.items) {
        if (item.kind === 'node') entry.children.push(visit(item, entry));
        else if (item.kind === 'property') {
          const p: PropertyEntry = { decl: item, owner: entry };
          entry.properties.push(p);
          this.properties.push(p);
          for (const l of propertyLabels(item)) this.labelOwners.set(l, { owner: entry, property: p });
        }
      }
      return entry;
    };
    for (const item of doc.items) {
      if (item.kind === 'node' || item.kind === 'refNode') this.roots.push(visit(item, undefined));
    }
  }

  /** Every block of this document that contributed to `node`. */
  entriesOf(node: DtNode): NodeEntry[] {
    return this.byNode.get(node) ?? [];
  }

  ownerOfLabel(l: LabelDecl): { owner?: NodeEntry; property?: PropertyEntry } {
    return this.labelOwners.get(l) ?? {};
  }

  /** The innermost node block whose body holds `offset` (between its braces). */
  enclosing(offset: number): NodeEntry | undefined {
    let best: NodeEntry | undefined;
    const search = (list: NodeEntry[]): void => {
      for (const e of list) {
        const b = e.decl.body.range;
        if (b.start.offset < offset && (offset < b.end.offset || (!e.decl.body.closed && offset <= b.end.offset))) {
          best = e;
          search(e.children);
          return;
        }
      }
    };
    search(this.roots);
    return best;
  }

  /** The property declaration whose range holds `offset`. */
  propertyAt(offset: number): PropertyEntry | undefined {
    const e = this.enclosing(offset);
    return e?.properties.find((p) => touches(p.decl.range, offset));
  }

  at(offset: number): Target {
    for (const l of this.doc.labels) {
      if (l.range.start.offset > offset) break;
      if (touches(l.range, offset)) return { kind: 'label', label: l, ...this.ownerOfLabel(l) };
    }
    for (const r of this.doc.references) {
      if (r.range.start.offset > offset) break;
      if (touches(r.range, offset)) {
        const property = this.propertyAt(offset);
        const t: Target = { kind: 'reference', ref: r };
        if (property) t.property = property;
        else {
          const owner = this.entries.find((e) => e.decl.kind === 'refNode' && e.decl.ref === r);
          if (owner) t.owner = owner;
        }
        return t;
      }
    }
    for (const u of this.doc.macroUses) {
      if (u.range.file === this.doc.file && touches(u.range, offset)) return { kind: 'macro', use: u };
    }
    const e = this.enclosing(offset);
    const list = e ? e.children : this.roots;
    for (const c of list) {
      if (c.decl.kind === 'node' && touches(c.decl.nameRange, offset)) return { kind: 'nodeName', entry: c };
    }
    if (e === undefined) return { kind: 'none' };
    for (const p of e.properties) {
      if (touches(p.decl.nameRange, offset)) return { kind: 'propertyName', prop: p };
      const i = p.decl.values.findIndex((v) => touches(v.range, offset));
      if (i >= 0) return { kind: 'propertyValue', prop: p, value: p.decl.values[i], index: i };
    }
    return { kind: 'body', entry: e };
  }
}

/** Every label written on or inside a property. */
function propertyLabels(p: PropertyDecl): LabelDecl[] {
  const out: LabelDecl[] = [...p.labels, ...p.endLabels];
  for (const v of p.values) {
    out.push(...v.labels);
    if (v.kind === 'cells') for (const it of v.items) if (it.kind === 'label') out.push(it);
    if (v.kind === 'bytes') for (const it of v.innerLabels) out.push(it.label);
  }
  return out;
}

// Builds the device tree from a parsed (preprocessed, includes spliced)
// source: applies root and `&label` merges and deletions in order, then, like
// dtc, assigns phandles, fills in references and drops unreferenced
// `/omit-if-no-ref/` nodes.

import type { BodyItem, LabelDecl, NodeBody, PropertyDecl, Reference, TopLevelItem } from './ast';
import { DiagCode, makeDiagnostic, type Diagnostic, type Range, type Severity } from './diagnostics';
import { DtNodeImpl, DtPropertyImpl, type DtReference } from './tree';

type Piece =
  | { kind: 'bytes'; data: Uint8Array }
  | { kind: 'phandle'; ref: Reference }
  | { kind: 'path'; ref: Reference };

export interface ResolveInput {
  items: TopLevelItem[];
  isPlugin: boolean;
}

export interface ResolveResult {
  root: DtNodeImpl;
  memreserve: { address: bigint; size: bigint; range: Range }[];
  labels: Map<string, DtNodeImpl>;
  phandles: Map<number, DtNodeImpl>;
  diagnostics: Diagnostic[];
}

const encoder = new TextEncoder();

export function resolveTree(input: ResolveInput): ResolveResult {
  return new Resolver(input.isPlugin).run(input.items);
}

class Resolver {
  private readonly root = new DtNodeImpl('');
  private readonly diagnostics: Diagnostic[] = [];
  /** Node labels of live nodes, kept up to date while merging (`&label { }` needs them). */
  private readonly liveLabels = new Map<string, DtNodeImpl>();
  private readonly labelSites = new Map<string, Range>();
  private readonly pieces = new Map<DtPropertyImpl, Piece[]>();
  private readonly decls = new Map<DtPropertyImpl, PropertyDecl>();
  private readonly phandles = new Map<number, DtNodeImpl>();
  private nextPhandle = 1;
  private nextFragment = 0;

  constructor(private readonly isPlugin: boolean) {}

  private diag(range: Range, severity: Severity, message: string, code: string): void {
    this.diagnostics.push(makeDiagnostic(range, severity, message, code));
  }

  run(items: TopLevelItem[]): ResolveResult {
    const memreserve: ResolveResult['memreserve'] = [];
    for (const item of items) {
      switch (item.kind) {
        case 'version':
        case 'plugin':
          break;
        case 'memreserve':
          memreserve.push({ address: item.addressValue, size: item.sizeValue, range: item.range });
          break;
        case 'node':
          this.addLabels(this.root, item.labels);
          this.applyBody(this.root, item.body, item.range);
          break;
        case 'refNode': {
          const target = this.lookupRef(item.ref);
          if (target !== undefined) {
            this.addLabels(target, item.labels);
            this.applyBody(target, item.body, item.range);
          } else if (this.isPlugin) {
            this.addFragment(item.ref, item.body, item.range);
          } else {
            this.unknownRef(item.ref);
          }
          break;
        }
        case 'deleteNode': {
          if (item.ref === undefined) break;
          const target = this.lookupRef(item.ref);
          if (target === undefined) this.unknownRef(item.ref);
          else if (target === this.root) this.diag(item.ref.range, 'error', 'cannot delete the root node', DiagCode.badReference);
          else this.deleteNode(target);
          break;
        }
        case 'omitIfNoRef': {
          const target = this.lookupRef(item.ref);
          if (target === undefined) this.unknownRef(item.ref);
          else target.omitIfNoRef = true;
          break;
        }
      }
    }
    this.assignExplicitPhandles(this.root);
    this.fixupReferences(this.root);
    this.omitUnreferenced(this.root);
    const labels = this.finalLabels();
    this.checkPropertyLabels(labels);
    const phandles = new Map<number, DtNodeImpl>();
    this.walk(this.root, (n) => {
      if (n.phandle !== undefined && !phandles.has(n.phandle)) phandles.set(n.phandle, n);
    });
    return { root: this.root, memreserve, labels, phandles, diagnostics: this.diagnostics };
  }

  // ---- merging ----------------------------------------------------------------

  private applyBody(node: DtNodeImpl, body: NodeBody, definition: Range): void {
    node.definitions.push(definition);
    for (const item of body.items) this.applyItem(node, item);
  }

  private applyItem(node: DtNodeImpl, item: BodyItem): void {
    switch (item.kind) {
      case 'property': {
        const old = node.properties.get(item.name);
        const prop = this.buildProperty(item);
        // A redefinition keeps the property's place and its labels (as dtc's merge does).
        if (old !== undefined) for (const l of old.labels) if (!prop.labels.includes(l)) prop.labels.push(l);
        node.properties.set(item.name, prop);
        return;
      }
      case 'deleteProperty':
        if (!node.properties.delete(item.name)) {
          this.diag(item.nameRange, 'info', `/delete-property/: node '${node.path}' has no property '${item.name}'`, DiagCode.deleteMissing);
        }
        return;
      case 'node': {
        const child = node.childExact(item.name) ?? node.addChild(item.name);
        this.addLabels(child, item.labels);
        if (item.omitIfNoRef !== undefined) child.omitIfNoRef = true;
        this.applyBody(child, item.body, item.range);
        return;
      }
      case 'deleteNode': {
        if (item.name === undefined) return;
        const child = node.childExact(item.name);
        if (child === undefined) {
          this.diag(item.nameRange ?? item.range, 'info', `/delete-node/: node '${node.path}' has no child '${item.name}'`, DiagCode.deleteMissing);
        } else this.deleteNode(child);
        return;
      }
    }
  }

  private addLabels(node: DtNodeImpl, labels: LabelDecl[]): void {
    for (const l of labels) {
      const existing = this.liveLabels.get(l.name);
      if (existing !== undefined && existing !== node) {
        const first = this.labelSites.get(l.name);
        const where = first !== undefined ? ` at ${first.file}:${first.start.line}:${first.start.col}` : '';
        this.diag(l.range, 'error', `duplicate label '${l.name}': already defined on '${existing.path}'${where}`, DiagCode.duplicateLabel);
      } else if (existing === undefined) {
        this.liveLabels.set(l.name, node);
        this.labelSites.set(l.name, l.range);
      }
      if (!node.labels.includes(l.name)) node.labels.push(l.name);
    }
  }

  private deleteNode(node: DtNodeImpl): void {
    node.parent?.removeChild(node);
    this.walk(node, (n) => {
      n.deleted = true;
      for (const l of n.labels) {
        if (this.liveLabels.get(l) === n) {
          this.liveLabels.delete(l);
          this.labelSites.delete(l);
        }
      }
    });
  }

  private addFragment(ref: Reference, body: NodeBody, definition: Range): void {
    const frag = this.root.addChild(`fragment@${this.nextFragment++}`);
    frag.definitions.push(definition);
    const isPath = ref.refKind === 'path';
    const prop = new DtPropertyImpl(isPath ? 'target-path' : 'target', ref.range, [ref.range]);
    this.pieces.set(
      prop,
      isPath ? [{ kind: 'bytes', data: Uint8Array.from([...encoder.encode(ref.target), 0]) }] : [{ kind: 'phandle', ref }],
    );
    frag.properties.set(prop.name, prop);
    const overlay = frag.addChild('__overlay__');
    this.applyBody(overlay, body, definition);
  }

  /** Builds a property's value pieces (references are filled in later, once the tree is final). */
  private buildProperty(decl: PropertyDecl): DtPropertyImpl {
    const prop = new DtPropertyImpl(
      decl.name,
      decl.range,
      decl.values.map((v) => v.range),
    );
    for (const l of decl.labels) prop.labels.push(l.name);
    const pieces: Piece[] = [];
    let buf: number[] = [];
    const flush = (): void => {
      if (buf.length > 0) pieces.push({ kind: 'bytes', data: Uint8Array.from(buf) });
      buf = [];
    };
    for (const v of decl.values) {
      switch (v.kind) {
        case 'cells': {
          const bytes = v.bits / 8;
          for (const item of v.items) {
            if (item.kind === 'number') pushBigEndian(buf, item.value, bytes);
            else if (item.kind === 'ref') {
              if (v.bits === 32) {
                flush();
                pieces.push({ kind: 'phandle', ref: item.ref });
              } else {
                for (let i = 0; i < bytes; i++) buf.push(0xff);
              }
            }
          }
          break;
        }
        case 'string':
          for (const b of v.value) buf.push(b);
          buf.push(0);
          break;
        case 'bytes':
          for (const b of v.value) buf.push(b);
          break;
        case 'pathRef':
          flush();
          pieces.push({ kind: 'path', ref: v.ref });
          break;
      }
    }
    flush();
    this.pieces.set(prop, pieces);
    this.decls.set(prop, decl);
    return prop;
  }

  // ---- references -------------------------------------------------------------

  /** Finds the node a reference names, in the tree as it is now. Paths match exact node names (as dtc). */
  private lookupRef(ref: Reference): DtNodeImpl | undefined {
    if (ref.refKind === 'label') return this.liveLabels.get(ref.target);
    return this.lookupPath(ref.target);
  }

  private lookupPath(path: string): DtNodeImpl | undefined {
    let node: DtNodeImpl | undefined;
    let rest: string;
    if (path.startsWith('/')) {
      node = this.root;
      rest = path.slice(1);
    } else {
      // `&{label/sub/path}`
      const slash = path.indexOf('/');
      node = this.liveLabels.get(slash < 0 ? path : path.slice(0, slash));
      rest = slash < 0 ? '' : path.slice(slash + 1);
    }
    for (const part of rest.split('/')) {
      if (node === undefined) return undefined;
      if (part.length > 0) node = node.childExact(part);
    }
    return node;
  }

  private unknownRef(ref: Reference): void {
    if (ref.target === '') return; // `&{}`: already reported by the lexer
    if (ref.refKind === 'label') this.diag(ref.range, 'error', `reference to unknown label '${ref.target}'`, DiagCode.unknownLabel);
    else this.diag(ref.range, 'error', `reference to unknown path '${ref.target}'`, DiagCode.unknownPath);
  }

  private assignExplicitPhandles(root: DtNodeImpl): void {
    this.walk(root, (node) => {
      let value: number | undefined;
      for (const name of ['phandle', 'linux,phandle']) {
        const prop = node.properties.get(name);
        if (prop === undefined) continue;
        const pieces = this.pieces.get(prop) ?? [];
        if (pieces.some((p) => p.kind !== 'bytes')) continue; // e.g. `phandle = <&self>`, filled in by the fixups
        const bytes = concatBytes(pieces.map((p) => (p.kind === 'bytes' ? p.data : new Uint8Array(0))));
        if (bytes.length !== 4) {
          this.diag(prop.range, 'error', `'${name}' in '${node.path}' must be a single cell`, DiagCode.phandle);
          continue;
        }
        const v = ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
        if (v === 0 || v === 0xffffffff) {
          this.diag(prop.range, 'error', `'${name}' in '${node.path}' has the invalid value 0x${v.toString(16)}`, DiagCode.phandle);
          continue;
        }
        if (value !== undefined && value !== v) {
          this.diag(prop.range, 'error', `'${node.path}' has mismatching 'phandle' and 'linux,phandle' values`, DiagCode.phandle);
          continue;
        }
        if (value === v) continue;
        const other = this.phandles.get(v);
        if (other !== undefined && other !== node) {
          this.diag(prop.range, 'error', `duplicate phandle 0x${v.toString(16)} (also used by '${other.path}')`, DiagCode.phandle);
          continue;
        }
        value = v;
        node.phandle = v;
        this.phandles.set(v, node);
      }
    });
  }

  private phandleOf(node: DtNodeImpl): number {
    if (node.phandle !== undefined) return node.phandle;
    while (this.phandles.has(this.nextPhandle)) this.nextPhandle++;
    const v = this.nextPhandle++;
    node.phandle = v;
    this.phandles.set(v, node);
    if (!node.properties.has('phandle')) {
      const def = node.definitions[0];
      const prop = new DtPropertyImpl('phandle', def ?? this.anyRange(), []);
      prop.bytes = Uint8Array.from([(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255]);
      node.properties.set('phandle', prop);
    }
    return v;
  }

  private anyRange(): Range {
    const p = { line: 1, col: 1, offset: 0 };
    return { file: '', start: p, end: p };
  }

  /** Fills in every property's bytes, resolving references in tree order (so phandles are numbered as dtc does). */
  private fixupReferences(root: DtNodeImpl): void {
    this.walk(root, (node) => {
      for (const prop of node.properties.values()) {
        const pieces = this.pieces.get(prop);
        if (pieces === undefined) continue;
        const parts: Uint8Array[] = [];
        const refs: DtReference[] = [];
        let offset = 0;
        for (const p of pieces) {
          let data: Uint8Array;
          if (p.kind === 'bytes') data = p.data;
          else {
            const target = this.lookupRef(p.ref);
            const ref: DtReference = { offset, target: p.ref.target, kind: p.kind, range: p.ref.range };
            if (target !== undefined) {
              ref.node = target;
              target.referenced = true;
            } else if (!(this.isPlugin && p.kind === 'phandle' && p.ref.refKind === 'label')) {
              this.unknownRef(p.ref);
            }
            if (p.kind === 'phandle') {
              const v = target !== undefined ? this.phandleOf(target) : 0xffffffff;
              data = Uint8Array.from([(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255]);
            } else {
              data = Uint8Array.from([...encoder.encode(target !== undefined ? target.path : ''), 0]);
            }
            refs.push(ref);
          }
          parts.push(data);
          offset += data.length;
        }
        prop.bytes = concatBytes(parts);
        prop.refs = refs;
        this.pieces.delete(prop);
      }
    });
  }

  private omitUnreferenced(node: DtNodeImpl): void {
    for (const c of [...node.children]) {
      if (c.omitIfNoRef && !c.referenced) this.deleteNode(c);
      else this.omitUnreferenced(c);
    }
  }

  private finalLabels(): Map<string, DtNodeImpl> {
    const labels = new Map<string, DtNodeImpl>();
    // Labels resolved while merging win; then any other label in tree order.
    for (const [name, node] of this.liveLabels) if (!node.deleted) labels.set(name, node);
    this.walk(this.root, (n) => {
      for (const l of n.labels) if (!labels.has(l)) labels.set(l, n);
    });
    return labels;
  }

  /** Property and value labels share the node labels' namespace. */
  private checkPropertyLabels(nodeLabels: Map<string, DtNodeImpl>): void {
    const seen = new Map<string, string>();
    this.walk(this.root, (node) => {
      for (const prop of node.properties.values()) {
        const decl = this.decls.get(prop);
        if (decl === undefined) continue;
        const all: LabelDecl[] = [...decl.labels, ...decl.endLabels];
        for (const v of decl.values) {
          all.push(...v.labels);
          if (v.kind === 'cells') for (const it of v.items) if (it.kind === 'label') all.push(it);
          if (v.kind === 'bytes') for (const it of v.innerLabels) all.push(it.label);
        }
        const owner = `property '${prop.name}' of '${node.path}'`;
        for (const l of all) {
          const onNode = nodeLabels.get(l.name);
          const prev = seen.get(l.name);
          if (onNode !== undefined) {
            this.diag(l.range, 'error', `duplicate label '${l.name}': already defined on node '${onNode.path}'`, DiagCode.duplicateLabel);
          } else if (prev !== undefined && prev !== owner) {
            this.diag(l.range, 'error', `duplicate label '${l.name}': already defined on ${prev}`, DiagCode.duplicateLabel);
          } else seen.set(l.name, owner);
        }
      }
    });
  }

  private walk(node: DtNodeImpl, fn: (n: DtNodeImpl) => void): void {
    fn(node);
    for (const c of node.children) this.walk(c, fn);
  }
}

function pushBigEndian(buf: number[], v: bigint, bytes: number): void {
  if (bytes <= 4) {
    const n = Number(v & 0xffffffffn);
    for (let i = bytes - 1; i >= 0; i--) buf.push(Math.floor(n / 2 ** (i * 8)) & 0xff);
    return;
  }
  for (let i = bytes - 1; i >= 0; i--) buf.push(Number((v >> BigInt(i * 8)) & 0xffn));
}

function concatBytes(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

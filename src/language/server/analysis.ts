/**
 * Everything the server knows about one version of one document, computed once and shared by
 * every feature: the syntax tree (parseDocument), the resolved tree (resolveDocument, or
 * loadDeviceTree when includes must be spliced in), the platform model (buildPlatform), and, lazily, the syntax indexes of the
 * document and of the files it includes, and a kernel booted on the platform (what the kernel
 * resolves for each device: DMA mask, IOMMU domain, bounce pool, interrupt lines).
 */
import * as path from 'path';
import { loadDeviceTree, parseDocument, resolveDocument, type DeviceTree, type DtNode, type DtsDocument } from '../../../emulator/platform/dts';
import { buildPlatform, type Platform } from '../../../emulator/platform/model';
import { DEVICE_MODEL_NAMES } from '../../../emulator/devices/registry';
import { Kernel } from '../../../emulator/kernel/kernel';
import { startKey } from './positions';
import { SyntaxIndex } from './syntax-index';

export interface AnalysisHost {
  /** A file's text: an open document's, else the disk's; undefined when it does not exist. */
  readFile(absPath: string): string | undefined;
  includeDirs(): string[];
}

export class Analysis {
  readonly doc: DtsDocument;
  readonly tree: DeviceTree;
  readonly platform?: Platform;
  /** Set when the platform model could not be built at all. */
  readonly platformError?: string;
  /** A fragment meant to be included (.dtsi) or an overlay: platform-level requirements do not apply. */
  readonly isFragment: boolean;
  private readonly defs = new Map<string, DtNode>();
  private _index?: SyntaxIndex;
  private _included?: SyntaxIndex[];
  private _kernel?: { k?: Kernel; error?: string };
  private _tokens?: DtsDocument;

  constructor(
    readonly uri: string,
    readonly file: string,
    readonly text: string,
    readonly version: number,
    private readonly host: AnalysisHost,
  ) {
    const readFile = (p: string): string | undefined => (path.isAbsolute(p) ? host.readFile(p) : undefined);
    const includeDirs = host.includeDirs();
    this.doc = parseDocument(text, file, { readFile, includeDirs });
    // without includes the tree comes from the same parse; with them they must be spliced in
    this.tree = resolveDocument(this.doc) ?? loadDeviceTree(text, file, { readFile, includeDirs });
    this.isFragment = /\.dts[io]$/.test(file) || this.tree.isPlugin;
    if (this.tree.isPlugin) this.platformError = 'an overlay (/plugin/) is not a platform';
    else try {
      this.platform = buildPlatform(this.tree, file, path.basename(file).replace(/\.dts[io]?$/, ''), { deviceModels: DEVICE_MODEL_NAMES });
    } catch (e) {
      this.platformError = (e as Error).message;
    }
    const walk = (n: DtNode): void => {
      for (const d of n.definitions) this.defs.set(startKey(d), n);
      for (const c of n.children) walk(c);
    };
    walk(this.tree.root);
  }

  /** Diagnostics the platform model added to the tree's. */
  get modelDiagnostics() {
    return this.platform ? this.platform.diagnostics.slice(this.tree.diagnostics.length) : [];
  }

  get index(): SyntaxIndex {
    return (this._index ??= new SyntaxIndex(this.doc, this.defs));
  }

  /** Indexes of every file the document includes (directly or not), in the order they were read. */
  get included(): SyntaxIndex[] {
    if (this._included === undefined) {
      const readFile = (p: string): string | undefined => (path.isAbsolute(p) ? this.host.readFile(p) : undefined);
      const includeDirs = this.host.includeDirs();
      this._included = [];
      for (const f of this.tree.files) {
        if (f === this.file) continue;
        const text = readFile(f);
        if (text === undefined) continue;
        this._included.push(new SyntaxIndex(parseDocument(text, f, { readFile, includeDirs }), this.defs));
      }
    }
    return this._included;
  }

  /** The document parsed again keeping every token (formatting needs them; nothing else does). */
  withTokens(): DtsDocument {
    const readFile = (p: string): string | undefined => (path.isAbsolute(p) ? this.host.readFile(p) : undefined);
    return (this._tokens ??= parseDocument(this.text, this.file, { readFile, includeDirs: this.host.includeDirs(), tokens: true }));
  }

  /** The document's index and those of its includes. */
  get allIndexes(): SyntaxIndex[] {
    return [this.index, ...this.included];
  }

  indexOf(file: string): SyntaxIndex | undefined {
    return this.allIndexes.find((i) => i.doc.file === file);
  }

  /** The resolved node a label names. */
  labelTarget(name: string): DtNode | undefined {
    return this.tree.labels.get(name);
  }

  /** The node `&{path}` names: an absolute path (exact names) or `label/sub/path`. */
  pathTarget(p: string): DtNode | undefined {
    let node: DtNode | undefined;
    let rest: string;
    if (p.startsWith('/')) {
      node = this.tree.root;
      rest = p.slice(1);
    } else {
      const slash = p.indexOf('/');
      node = this.tree.labels.get(slash < 0 ? p : p.slice(0, slash));
      rest = slash < 0 ? '' : p.slice(slash + 1);
    }
    for (const part of rest.split('/')) {
      if (node === undefined) return undefined;
      if (part.length > 0) node = node.children.find((c) => c.name === part) ?? node.child(part);
    }
    return node;
  }

  /** A kernel booted on the platform (no script, checks off), or why there is none. */
  kernel(): { k?: Kernel; error?: string } {
    if (this._kernel === undefined) {
      const p = this.platform;
      if (p === undefined) this._kernel = { error: this.platformError ?? 'no platform model' };
      else if (p.memory.length === 0) this._kernel = { error: 'the platform has no memory' };
      else {
        try {
          this._kernel = { k: new Kernel(p, { seed: 1, checks: false }) };
        } catch (e) {
          this._kernel = { error: (e as Error).message };
        }
      }
    }
    return this._kernel;
  }
}

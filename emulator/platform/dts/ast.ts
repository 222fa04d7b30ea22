// The syntax tree of one .dts document. Every element keeps its source range
// so that editor features (diagnostics, hover, go-to-definition, rename,
// formatting, outline) can work from it without re-parsing.

import type { Diagnostic, Range } from './diagnostics';
import type { Expr } from './expr';
import type { TokenKind } from './lexer';
import type { IncludeDirective, MacroDefinition, MacroUse } from './preprocessor';

/** A token as the parser read it (only kept when asked for: `parseDocument(..., { tokens: true })`). */
export interface DtsToken {
  kind: TokenKind;
  text: string;
  /** Tokens produced by a macro expansion all map onto the invocation. */
  range: Range;
}

/** `name:` */
export interface LabelDecl {
  kind: 'label';
  name: string;
  /** Covers `name:`. */
  range: Range;
}

/** `&label` or `&{/path}` */
export interface Reference {
  kind: 'reference';
  /** 'label' for `&label`, 'path' for `&{/path}` (also `&{label/sub/path}`). */
  refKind: 'label' | 'path';
  /** The label or the path as written, without `&` and braces. */
  target: string;
  range: Range;
}

/** An integer in a cell list: a literal, a character literal or a parenthesised expression. */
export interface CellNumber {
  kind: 'number';
  expr: Expr;
  /** The value, truncated to the cell size. */
  value: bigint;
  range: Range;
}

/** A phandle reference in a cell list. */
export interface CellRef {
  kind: 'ref';
  ref: Reference;
  range: Range;
}

export type CellItem = CellNumber | CellRef | LabelDecl;

/** `<...>` or `/bits/ N <...>` */
export interface CellsValue {
  kind: 'cells';
  bits: 8 | 16 | 32 | 64;
  /** Range of `/bits/ N` when present. */
  bitsRange?: Range;
  items: CellItem[];
  /** Labels written before this value. */
  labels: LabelDecl[];
  range: Range;
}

export interface StringValue {
  kind: 'string';
  /** Decoded bytes, without the terminating NUL. */
  value: Uint8Array;
  labels: LabelDecl[];
  range: Range;
}

/** `[00 11 2233]` */
export interface BytesValue {
  kind: 'bytes';
  value: Uint8Array;
  /** Labels inside the brackets, with the byte offset they mark. */
  innerLabels: { label: LabelDecl; offset: number }[];
  labels: LabelDecl[];
  range: Range;
}

/** `&label` / `&{/path}` as a whole value: the referenced node's path as a string. */
export interface PathRefValue {
  kind: 'pathRef';
  ref: Reference;
  labels: LabelDecl[];
  range: Range;
}

export type PropertyValue = CellsValue | StringValue | BytesValue | PathRefValue;

export interface PropertyDecl {
  kind: 'property';
  name: string;
  nameRange: Range;
  labels: LabelDecl[];
  /** Empty for a boolean property (`name;`). */
  values: PropertyValue[];
  /** Labels after the last value (`prop = <1> end:;`). */
  endLabels: LabelDecl[];
  /** From the first label (or the name) to the ';'. */
  range: Range;
}

export interface NodeBody {
  items: BodyItem[];
  /** From '{' to '}' (to the end of the text if unclosed). */
  range: Range;
  closed: boolean;
}

/** `name { ... };`, or the root `/ { ... };` (name '/'). */
export interface NodeDecl {
  kind: 'node';
  name: string;
  nameRange: Range;
  labels: LabelDecl[];
  /** Set when preceded by `/omit-if-no-ref/`. */
  omitIfNoRef?: Range;
  body: NodeBody;
  range: Range;
}

/** `&label { ... };` or `&{/path} { ... };` at the top level. */
export interface RefNodeDecl {
  kind: 'refNode';
  ref: Reference;
  labels: LabelDecl[];
  body: NodeBody;
  range: Range;
}

export interface DeletePropertyDecl {
  kind: 'deleteProperty';
  name: string;
  nameRange: Range;
  range: Range;
}

/** `/delete-node/ name;` in a node, or `/delete-node/ &ref;` at the top level. */
export interface DeleteNodeDecl {
  kind: 'deleteNode';
  name?: string;
  nameRange?: Range;
  ref?: Reference;
  range: Range;
}

/** `/omit-if-no-ref/ &ref;` at the top level. */
export interface OmitIfNoRefDecl {
  kind: 'omitIfNoRef';
  ref: Reference;
  range: Range;
}

export interface VersionDecl {
  kind: 'version';
  range: Range;
}

export interface PluginDecl {
  kind: 'plugin';
  range: Range;
}

export interface MemreserveDecl {
  kind: 'memreserve';
  labels: LabelDecl[];
  address: Expr;
  size: Expr;
  addressValue: bigint;
  sizeValue: bigint;
  range: Range;
}

export type BodyItem = PropertyDecl | NodeDecl | DeletePropertyDecl | DeleteNodeDecl;

export type TopLevelItem = VersionDecl | PluginDecl | MemreserveDecl | NodeDecl | RefNodeDecl | DeleteNodeDecl | OmitIfNoRefDecl;

export interface DtsDocument {
  file: string;
  /** The file's text as given. */
  text: string;
  items: TopLevelItem[];
  /** Syntax, lexical and preprocessor diagnostics, in source order. */
  diagnostics: Diagnostic[];
  /** `/dts-v1/;` seen. */
  hasVersion: boolean;
  /** `/plugin/;` seen (an overlay). */
  isPlugin: boolean;
  /** Every label declaration (node, property and value labels), in source order. */
  labels: LabelDecl[];
  /** Every `&label` / `&{path}` reference, in source order. */
  references: Reference[];
  includes: IncludeDirective[];
  macros: MacroDefinition[];
  macroUses: MacroUse[];
  comments: Range[];
  /** Text skipped by #if / #ifdef. */
  inactiveRanges: Range[];
  /** Every token in source order, when requested. */
  tokens?: DtsToken[];
}

/**
 * Hover: on a node name, its binding and what the emulator resolved for it (facts.ts); on a
 * label reference or a label, the node it names; on a property, what it means and how its value
 * reads in this place (cells per entry from the relevant #*-cells, the decoded entries); on a
 * macro, its expansion.
 */
import * as path from 'path';
import { MarkupKind, type Hover } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { DtNode, Range } from '../../../emulator/platform/dts';
import { DEVICE_KNOBS } from '../../../emulator/platform/model';
import { hex, size } from '../../../emulator/lib/hex';
import type { Analysis } from './analysis';
import { compatibleDoc, hasDeviceModel, propertyDoc } from './bindings';
import { addressCells, cellsValue, interruptParent, phandleList, sizeCells } from './checks';
import { nodeFacts } from './facts';
import { toLspRange } from './positions';

const code = (s: string): string => `\`${s}\``;

export function hover(a: Analysis, text: TextDocument, offset: number): Hover | null {
  const t = a.index.at(offset);
  const main = { file: a.file, text };
  const result = (value: string, range: Range): Hover => ({ contents: { kind: MarkupKind.Markdown, value }, range: toLspRange(range, main) });
  switch (t.kind) {
    case 'nodeName': {
      const node = t.entry.node;
      if (node === undefined) return result(`**${t.entry.decl.kind === 'node' ? t.entry.decl.name : ''}**: not in the resolved tree (deleted, or inside a broken block)`, t.entry.decl.kind === 'node' ? t.entry.decl.nameRange : t.entry.decl.range);
      return result(nodeFacts(a, node), t.entry.decl.kind === 'node' ? t.entry.decl.nameRange : t.entry.decl.range);
    }
    case 'reference': {
      const r = t.ref;
      const node = r.refKind === 'label' ? a.labelTarget(r.target) : a.pathTarget(r.target);
      const written = r.refKind === 'label' ? `&${r.target}` : `&{${r.target}}`;
      if (node === undefined) return result(`${code(written)}: no node has this ${r.refKind === 'label' ? 'label' : 'path'}`, r.range);
      return result(`${code(written)} → ${code(node.path)}${declaredAt(a, node)}\n\n---\n\n${nodeFacts(a, node)}`, r.range);
    }
    case 'label': {
      const node = t.owner?.node;
      if (t.property) return result(`label ${code(t.label.name)} on property ${code(t.property.decl.name)}${node ? ` of ${code(node.path)}` : ''}`, t.label.range);
      if (node === undefined) return result(`label ${code(t.label.name)}`, t.label.range);
      const uses = a.allIndexes.reduce((n, idx) => n + idx.doc.references.filter((r) => r.refKind === 'label' && r.target === t.label.name).length, 0);
      return result(`label ${code(t.label.name)} → ${code(node.path)}, referenced ${uses} time${uses === 1 ? '' : 's'}\n\n---\n\n${nodeFacts(a, node)}`, t.label.range);
    }
    case 'propertyName':
      return result(propertyHover(a, t.prop.owner.node, t.prop.decl.name), t.prop.decl.nameRange);
    case 'propertyValue': {
      const name = t.prop.decl.name;
      if (name === 'compatible' && t.value.kind === 'string') {
        const c = new TextDecoder().decode(t.value.value);
        const doc = compatibleDoc(c);
        const model = hasDeviceModel(c) ? 'a built-in device model' : doc ? 'understood by the platform model' : 'no device model implements it';
        return result(`${code(`"${c}"`)}: ${model}${doc ? `\n\n${doc.summary}` : ''}`, t.value.range);
      }
      return result(propertyHover(a, t.prop.owner.node, name), t.value.range);
    }
    case 'macro':
      return result(`macro ${code(t.use.name)}${t.use.definition.params ? `(${t.use.definition.params.join(', ')})` : ''} expands to\n\n\`\`\`dts\n${t.use.expansion}\n\`\`\``, t.use.range);
    default:
      return null;
  }
}

function declaredAt(a: Analysis, node: DtNode): string {
  const d = node.definitions[0];
  if (d === undefined) return '';
  const file = d.file === a.file ? '' : `${path.basename(d.file)}:`;
  return ` (${file}line ${d.start.line})`;
}

/** What a property means, and its value decoded where it is (the resolved value, which the last definition wins). */
function propertyHover(a: Analysis, node: DtNode | undefined, name: string): string {
  const doc = propertyDoc(name);
  const out = [`**${name}**${doc ? ` — ${doc.doc}` : name.startsWith('dmalab,') ? ' — unknown DMA Lab knob' : ''}`];
  const prop = node?.properties.get(name);
  if (node === undefined || prop === undefined) return out.join('\n');
  const lines: string[] = [];
  const parent = node.parent;
  const knob = DEVICE_KNOBS[name];
  if (knob && prop.bytes.length === 4) lines.push(`value ${prop.u32()} (allowed ${knob.min} to ${knob.max})`);
  switch (name) {
    case 'reg': {
      if (!parent) break;
      const ac = addressCells(parent);
      const sc = sizeCells(parent);
      lines.push(`${ac} address cell${ac === 1 ? '' : 's'} + ${sc} size cell${sc === 1 ? '' : 's'} per entry (#address-cells, #size-cells of ${code(parent.path)})`);
      const cells = prop.cells();
      const desc = a.platform?.devices.find((d) => d.node === node);
      if (ac + sc > 0 && cells.length % (ac + sc) === 0) {
        for (let i = 0, k = 0; i < cells.length; i += ac + sc, k++) {
          const at = cellsValue(cells, i, ac);
          const len = sc ? cellsValue(cells, i + ac, sc) : 0n;
          const cpu = desc?.reg[k];
          const translated = cpu && BigInt(cpu.base) !== at ? ` → CPU ${hex(cpu.base)}` : '';
          lines.push(`entry ${k}: ${hex(at)}${sc ? `, size ${hex(len)} (${size(Number(len))})` : ''}${translated}`);
        }
      }
      break;
    }
    case 'ranges':
    case 'dma-ranges': {
      const cac = addressCells(node);
      const pac = addressCells(parent);
      const sc = sizeCells(node);
      if (prop.isEmpty()) {
        lines.push(name === 'ranges' ? 'empty: child addresses are parent addresses (1:1)' : 'empty: bus addresses are CPU addresses (1:1)');
        break;
      }
      lines.push(`${cac} child + ${pac} parent address cells + ${sc} size cells per entry`);
      const cells = prop.cells();
      const stride = cac + pac + sc;
      if (stride > 0 && cells.length % stride === 0) {
        for (let i = 0; i < cells.length; i += stride) {
          const c = cellsValue(cells, i, cac);
          const pa = cellsValue(cells, i + cac, pac);
          const len = cellsValue(cells, i + cac + pac, sc);
          lines.push(`${name === 'ranges' ? 'child' : 'bus'} ${hex(c)} → ${name === 'ranges' ? 'parent' : 'CPU side'} ${hex(pa)}, ${size(Number(len))}`);
        }
      }
      break;
    }
    case 'interrupts': {
      const ic = interruptParent(node, (p) => a.tree.byPhandle(p));
      if (ic) {
        const cp = ic.properties.get('#interrupt-cells');
        lines.push(`interrupt parent ${code(ic.path)}, ${cp && cp.bytes.length === 4 ? cp.u32() : '?'} cells per specifier`);
      }
      const desc = a.platform?.devices.find((d) => d.node === node);
      if (desc?.irqs.length) lines.push(`Linux irq${desc.irqs.length > 1 ? 's' : ''} ${desc.irqs.map((i) => `${i.line} (${i.trigger})`).join(', ')}`);
      break;
    }
    case 'dmas':
    case 'iommus':
    case 'interrupts-extended': {
      const cellsName = name === 'dmas' ? '#dma-cells' : name === 'iommus' ? '#iommu-cells' : '#interrupt-cells';
      const list = phandleList(node, prop, cellsName, (p) => a.tree.byPhandle(p));
      const names = name === 'dmas' ? (node.properties.get('dma-names')?.strings() ?? []) : [];
      list.entries.forEach((e, i) => {
        const target = e.target ? code(e.target.path) : '(empty)';
        const meaning = e.target?.properties.get('compatible')?.strings().map((c) => compatibleDoc(c)?.dmaCells).find(Boolean);
        const args = e.args.map((v, j) => (meaning?.[j] ? `${meaning[j]} ${v}` : hex(v))).join(', ');
        lines.push(`entry ${i}${names[i] !== undefined ? ` ${code(`"${names[i]}"`)}` : ''}: ${target}${args ? `, ${args}` : ''}`);
      });
      if (list.error) lines.push(`⚠ ${list.error.message}`);
      break;
    }
    case 'dma-names': {
      const dp = node.properties.get('dmas');
      if (dp) {
        const list = phandleList(node, dp, '#dma-cells', (p) => a.tree.byPhandle(p));
        prop.strings().forEach((s, i) => {
          const e = list.entries[i];
          lines.push(`${code(`"${s}"`)} → ${e?.target ? code(e.target.path) : 'no dmas entry'}${e?.args.length ? ` <${e.args.join(' ')}>` : ''}`);
        });
      }
      break;
    }
    case 'compatible': {
      for (const c of prop.strings()) {
        const d = compatibleDoc(c);
        lines.push(`${code(`"${c}"`)}: ${hasDeviceModel(c) ? 'device model' : d ? d.kind : 'no device model'}${d ? ` — ${d.summary}` : ''}`);
      }
      break;
    }
  }
  if (lines.length) out.push('', ...lines.map((l) => `- ${l}`));
  return out.join('\n');
}

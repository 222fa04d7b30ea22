// The virtualized list: of 10,000 rows only the window in view (plus overscan) is in the DOM, and
// scrolling moves the window; the mappings table built on it, with 10,000 real mappings.
import * as assert from 'assert';
import * as path from 'path';
import { dom, root, snapshotAt } from './helpers';
import { VirtualList } from '../../src/panel/webview/virtual-list';
import { MAPPING_ROW_HEIGHT, MappingsTable } from '../../src/panel/webview/mappings';
import { Panel } from '../../src/panel/webview/panel';

function list(n: number, opts: { rowHeight?: number; rows?: number; overscan?: number } = {}) {
  const { doc } = dom();
  let drawn = 0;
  const vl = new VirtualList<number>({
    doc,
    rowHeight: opts.rowHeight ?? 20,
    maxVisibleRows: opts.rows ?? 15,
    overscan: opts.overscan ?? 5,
    renderRow: (i) => {
      drawn++;
      const el = doc.createElement('div');
      el.className = 'row';
      el.setAttribute('data-i', String(i));
      return el;
    },
  });
  doc.body.appendChild(vl.element);
  vl.setItems(Array.from({ length: n }, (_, i) => i));
  /** Scroll as the user does: set the position, the scroll event, then the frame's render. */
  const scrollTo = (top: number) => {
    vl.element.scrollTop = top;
    vl.element.dispatchEvent(new doc.defaultView!.Event('scroll'));
    vl.render();
  };
  return { doc, vl, scrollTo, drawn: () => drawn, rows: () => [...vl.element.querySelectorAll('.row')].map((r) => Number(r.getAttribute('data-i'))) };
}

describe('virtual list', () => {
  it('renders only the visible window of 10,000 rows', () => {
    const t = list(10000);
    assert.deepStrictEqual(t.rows(), Array.from({ length: 16 }, (_, i) => i), '15 in view (+1 partial): no overscan before the first scroll');
    assert.strictEqual(t.vl.element.style.height, '300px');
    assert.strictEqual((t.vl.element.firstChild as HTMLElement).style.height, '200000px', 'the spacer is as tall as all rows');
    const first = t.vl.element.querySelector('.row') as HTMLElement;
    assert.strictEqual(first.style.top, '0px');
  });

  it('scrolling moves the window, and rows sit at their offsets', () => {
    const t = list(10000);
    t.scrollTo(5000 * 20);
    const rows = t.rows();
    assert.strictEqual(rows[0], 4995);
    assert.strictEqual(rows[rows.length - 1], 5000 + 15 + 5);
    assert.ok(rows.length <= 15 + 2 * 5 + 1);
    const el = t.vl.element.querySelector('[data-i="5000"]') as HTMLElement;
    assert.strictEqual(el.style.top, '100000px');
    // to the end: the last row is there and nothing past it
    t.scrollTo(10000 * 20);
    assert.strictEqual(t.rows().at(-1), 9999);
  });

  it('does not redraw when the window did not move; new items keep the scroll position', () => {
    const t = list(10000);
    t.scrollTo(2000);
    const n = t.drawn();
    t.vl.render();
    assert.strictEqual(t.drawn(), n);
    t.vl.setItems(Array.from({ length: 9000 }, (_, i) => i));
    assert.strictEqual(t.rows()[0], 95);
    t.vl.setItems([1, 2, 3]);
    assert.deepStrictEqual(t.rows(), [1, 2, 3]);
    assert.strictEqual(t.vl.element.style.height, '60px', 'a short list shrinks its viewport');
  });

  it('scrollToIndex brings a row into view', () => {
    const t = list(10000);
    t.vl.scrollToIndex(7000);
    assert.ok(t.rows().includes(7000));
    assert.strictEqual(t.vl.element.scrollTop, 7001 * 20 - 300);
  });

  it('the mappings table of 10,000 real mappings keeps ~30 rows in the DOM', async function () {
    this.timeout(120000);
    const s = await snapshotAt(path.join(root, 'bench', 'scripts', 'panel-mappings.ts'), 'arm64-smmu-noncoherent', (e) => e.kind === 'log' && e.text.startsWith('panel:ready'), { stop: false });
    const { doc, ctx } = dom();
    const t = new MappingsTable(ctx);
    doc.body.appendChild(t.element);
    t.update(s.mappings, undefined);
    const ids = () => [...doc.querySelectorAll('[data-mapping-id]')].map((r) => Number(r.getAttribute('data-mapping-id')));
    assert.ok(ids().length <= 14 + 1, `${ids().length} rows drawn`);
    assert.strictEqual(ids()[0], s.mappings[0].id);
    t.list.element.scrollTop = 9000 * MAPPING_ROW_HEIGHT;
    t.list.element.dispatchEvent(new doc.defaultView!.Event('scroll'));
    t.list.render();
    assert.ok(ids().includes(s.mappings[9000].id));
    assert.ok(ids().length <= 14 + 12 + 1);
    t.reveal(s.mappings[123].id);
    assert.ok(ids().includes(s.mappings[123].id));
    // the whole panel with it: the IOMMU list of ~11,700 entries is virtualized too
    const p = new Panel(doc, () => undefined);
    doc.body.appendChild(p.root);
    p.update({ state: 'paused', text: 'Paused' }, s);
    assert.ok(doc.querySelectorAll('.panel [data-iova]').length <= 10 + 8 + 1);
    assert.ok(doc.querySelectorAll('.panel [data-mapping-id]').length <= 14 + 8 + 1);
  });
});

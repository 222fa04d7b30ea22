/// <reference lib="dom" />
/**
 * A virtualized list: a scrolling viewport of fixed-height rows that keeps in the DOM only the rows
 * in view (plus a few either side), so ten thousand rows scroll like ten. Rows are absolutely
 * positioned inside a spacer as tall as the whole list. Reusable: the caller says how to draw a row.
 */

export interface VirtualListOptions<T> {
  doc: Document;
  /** Height of every row, px (the stylesheet must agree). */
  rowHeight: number;
  /** The viewport grows with the rows up to this many, then scrolls. */
  maxVisibleRows: number;
  /** Rows drawn beyond each edge of the viewport. */
  overscan?: number;
  renderRow(item: T, index: number): HTMLElement;
  /** Extra class of the viewport element. */
  className?: string;
}

export class VirtualList<T> {
  /** The scrolling viewport: put it in the page. */
  readonly element: HTMLDivElement;
  private readonly spacer: HTMLDivElement;
  private items: readonly T[] = [];
  private first = 0;
  private last = -1;
  private frame = 0;
  /** Overscan starts with the first scroll: a list nobody scrolls draws only what is in view. */
  private scrolled = false;

  constructor(private readonly opts: VirtualListOptions<T>) {
    const doc = opts.doc;
    this.element = doc.createElement('div');
    this.element.className = `vlist${opts.className ? ` ${opts.className}` : ''}`;
    this.element.tabIndex = 0;
    this.spacer = doc.createElement('div');
    this.spacer.className = 'vlist-spacer';
    this.element.appendChild(this.spacer);
    this.element.addEventListener('scroll', () => {
      this.scrolled = true;
      this.schedule();
    });
  }

  get length(): number {
    return this.items.length;
  }

  /** Indices of the rows in the DOM now: [first, last]. */
  get window(): [number, number] {
    return [this.first, this.last];
  }

  /** Replace the rows; the scroll position stays where it was (clamped to the new length). */
  setItems(items: readonly T[]): void {
    this.items = items;
    const h = this.opts.rowHeight;
    this.spacer.style.height = `${items.length * h}px`;
    this.element.style.height = `${Math.max(1, Math.min(items.length, this.opts.maxVisibleRows)) * h}px`;
    this.render(true);
  }

  /** Bring row `i` into view. */
  scrollToIndex(i: number): void {
    this.scrolled = true;
    const h = this.opts.rowHeight;
    const top = i * h;
    const view = this.viewportHeight();
    if (top < this.element.scrollTop) this.element.scrollTop = top;
    else if (top + h > this.element.scrollTop + view) this.element.scrollTop = top + h - view;
    this.render();
  }

  /** The viewport's height: laid out, or what setItems asked for (no layout in tests or hidden views). */
  private viewportHeight(): number {
    return this.element.clientHeight || parseFloat(this.element.style.height) || this.opts.maxVisibleRows * this.opts.rowHeight;
  }

  private schedule(): void {
    const win = this.opts.doc.defaultView;
    if (!win || typeof win.requestAnimationFrame !== 'function') return this.render();
    if (this.frame) return;
    this.frame = win.requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  /** Draw the rows in view; unless forced, nothing happens when the window did not move. */
  render(force = false): void {
    const h = this.opts.rowHeight;
    const over = this.scrolled ? (this.opts.overscan ?? 6) : 0;
    const n = this.items.length;
    const top = Math.min(this.element.scrollTop, Math.max(0, n * h - this.viewportHeight()));
    const first = Math.max(0, Math.floor(top / h) - over);
    const last = Math.min(n - 1, Math.ceil((top + this.viewportHeight()) / h) + over);
    if (!force && first === this.first && last === this.last) return;
    this.first = first;
    this.last = last;
    const frag = this.opts.doc.createDocumentFragment();
    for (let i = first; i <= last; i++) {
      const row = this.opts.renderRow(this.items[i], i);
      row.style.top = `${i * h}px`;
      row.style.height = `${h}px`;
      frag.appendChild(row);
    }
    this.spacer.replaceChildren(frag);
  }
}

/// <reference lib="dom" />
/**
 * A few lines of DOM building, so render functions read as the markup they make. Every function
 * takes the Document to build in (the webview's, or jsdom's in tests): nothing here touches globals.
 */

export type Child = Node | string | number | null | undefined | false;
export type Props = Record<string, string | number | boolean | null | undefined | ((e: Event) => void)>;

const SVG_NS = 'http://www.w3.org/2000/svg';

function assign(el: Element, props: Props | undefined): void {
  if (!props) return;
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, '').toLowerCase(), v as EventListener);
    else if (k === 'class') el.setAttribute('class', String(v));
    else if (k === 'text') el.textContent = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

function append(el: Element, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === 'object' ? c : el.ownerDocument.createTextNode(String(c)));
  }
}

/** An HTML element: h(doc, 'div', { class: 'x', onclick: f }, 'text', child). */
export function h<K extends keyof HTMLElementTagNameMap>(doc: Document, tag: K, props?: Props, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = doc.createElement(tag);
  assign(el, props);
  append(el, children);
  return el;
}

/** An SVG element. */
export function s<K extends keyof SVGElementTagNameMap>(doc: Document, tag: K, props?: Props, ...children: Child[]): SVGElementTagNameMap[K] {
  const el = doc.createElementNS(SVG_NS, tag) as SVGElementTagNameMap[K];
  assign(el, props);
  append(el, children);
  return el;
}

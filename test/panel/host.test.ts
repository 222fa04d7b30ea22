// The host side's pure parts: the page and its Content Security Policy, the status line, the
// findings kept past the last snapshot; and the webview sources themselves load nothing remote.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { JSDOM } from 'jsdom';
import { root, example, snapshotAt } from './helpers';
import { contentSecurityPolicy, makeNonce, webviewHtml } from '../../src/webview-page';
import { findingsOnly, mergeFindings, stopText } from '../../src/panel/status';
import type { FindingJson } from '../../emulator/kernel/findings';

const page = (nonce = makeNonce()) => webviewHtml({ title: 'DMA Lab', cspSource: 'https://abc.vscode-cdn.net', nonce, scriptUri: 'https://abc.vscode-cdn.net/ext/dist/panel-webview.js', styleUri: 'https://abc.vscode-cdn.net/ext/media/panel.css' });

describe('panel host', () => {
  it('the page has a strict CSP with a fresh nonce, and its one script carries that nonce', () => {
    const nonce = makeNonce();
    const html = page(nonce);
    const doc = new JSDOM(html).window.document;
    const csp = doc.querySelector('meta[http-equiv="Content-Security-Policy"]')!.getAttribute('content')!;
    const rules = Object.fromEntries(csp.split(';').map((r) => r.trim().split(/\s+/)).map(([k, ...v]) => [k, v]));
    assert.deepStrictEqual(rules['default-src'], ["'none'"]);
    assert.deepStrictEqual(rules['script-src'], [`'nonce-${nonce}'`]);
    assert.deepStrictEqual(rules['style-src'], ['https://abc.vscode-cdn.net']);
    assert.ok(!csp.includes('unsafe'), 'no unsafe-inline or unsafe-eval');
    const scripts = [...doc.querySelectorAll('script')];
    assert.strictEqual(scripts.length, 1);
    assert.strictEqual(scripts[0].getAttribute('nonce'), nonce);
    assert.strictEqual(doc.querySelectorAll('style, [style]').length, 0, 'no inline styles');
    assert.match(nonce, /^[A-Za-z0-9]{20,}$/);
    assert.notStrictEqual(makeNonce(), makeNonce());
    assert.strictEqual(contentSecurityPolicy({ cspSource: 'x', nonce: 'n' }).split('; ')[0], "default-src 'none'");
  });

  it('nothing remote: every URL in the page is the webview\'s own, the sources name no remote resource', () => {
    const html = page();
    const urls = html.match(/https?:\/\/[^\s"'<>]+/g) ?? [];
    assert.ok(urls.length >= 2);
    for (const u of urls) assert.ok(u.startsWith('https://abc.vscode-cdn.net'), u);
    const files = [...fs.readdirSync(path.join(root, 'src', 'panel', 'webview')).map((f) => path.join(root, 'src', 'panel', 'webview', f)), path.join(root, 'media', 'panel.css')];
    for (const f of files) {
      const text = fs.readFileSync(f, 'utf8');
      const remote = (text.match(/https?:\/\/[^\s"'`)]+/g) ?? []).filter((u) => u !== 'http://www.w3.org/2000/svg');
      assert.deepStrictEqual(remote, [], f);
      assert.ok(!/@import|url\(\s*['"]?(https?:|\/\/)/.test(text), `${f} loads nothing`);
      assert.ok(!/\bfetch\(|XMLHttpRequest|new WebSocket|\beval\(/.test(text), `${f} makes no requests and evaluates no strings`);
    }
    const bundle = path.join(root, 'dist', 'panel-webview.js');
    if (fs.existsSync(bundle)) {
      const remote = (fs.readFileSync(bundle, 'utf8').match(/https?:\/\/[^\s"'`)]+/g) ?? []).filter((u) => u !== 'http://www.w3.org/2000/svg');
      assert.deepStrictEqual(remote, [], 'the bundle');
    }
  });

  it('the status line names the DMA event of the stop, with iova behind an IOMMU and dma without', async () => {
    const dad = example('dad.ts');
    const arm = await snapshotAt(dad, 'arm64-smmu-noncoherent', (e) => e.kind === 'dma-map');
    assert.strictEqual(stopText(arm, { reason: 'exception', description: 'dma-map: …' }, { name: 'dad_transfer', file: dad, line: 40 }), `Paused on dma_map_single → iova ${arm.mappings[0].dma}, 4096 bytes, DMA_FROM_DEVICE at dad.ts:40 (dad_transfer)`);
    const sw = await snapshotAt(dad, 'arm32-swiotlb', (e) => e.kind === 'dma-map');
    assert.match(stopText(sw, undefined), /^Paused on dma_map_single → dma 0x[0-9a-f]+, 4096 bytes, DMA_FROM_DEVICE, bounced through swiotlb$/);
    const line = await snapshotAt(dad, 'arm64-smmu-noncoherent', (e) => e.kind === 'dma-map', { stop: false });
    assert.strictEqual(stopText(line, { reason: 'breakpoint', description: 'Paused on breakpoint' }, { name: 'dad_transfer', file: dad, line: 50 }), 'Paused on breakpoint at dad.ts:50 (dad_transfer)');
    assert.strictEqual(stopText(null, { reason: 'step', description: 'Paused after a step' }), 'Paused after a step');
    assert.strictEqual(stopText(null, { reason: 'data breakpoint', description: 'dad@10000000 (DMA) wrote 4096 bytes of 0xffff (4096 bytes)' }), 'Paused on dad@10000000 (DMA) wrote 4096 bytes of 0xffff (4096 bytes)');
  });

  it('findings reported after the last snapshot are kept once each', () => {
    const f = (id: string, line: number): FindingJson => ({ id, severity: 'error', message: id, device: 'dad@1', time_ns: line, count: 1, location: { file: '/x.ts', line, column: 1 }, related: [] });
    const merged = mergeFindings([f('a', 1)], [f('a', 1), f('b', 2), f('b', 2), f('a', 3)]);
    assert.deepStrictEqual(merged.map((x) => `${x.id}:${x.location!.line}`), ['a:1', 'b:2', 'a:3']);
    const only = findingsOnly(merged);
    assert.strictEqual(only.findings.length, 3);
    assert.strictEqual(only.now_ns, 3);
    assert.deepStrictEqual([only.mappings, only.iommu, only.coherency], [[], [], null]);
  });
});

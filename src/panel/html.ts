/**
 * The panel's HTML page: a strict Content Security Policy (nothing by default; the bundled script
 * only with this page's nonce; styles only from the extension), no remote resource of any kind.
 */
import { randomBytes } from 'crypto';

export function makeNonce(): string {
  return randomBytes(18).toString('base64').replace(/[^A-Za-z0-9]/g, '');
}

export interface PanelPage {
  /** `webview.cspSource`: where the webview may load the extension's own files from. */
  cspSource: string;
  nonce: string;
  /** Webview URIs of dist/panel-webview.js and media/panel.css. */
  scriptUri: string;
  styleUri: string;
}

/** Escape for a double-quoted attribute (the CSP's single quotes stay readable). */
const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

export function contentSecurityPolicy(p: Pick<PanelPage, 'cspSource' | 'nonce'>): string {
  return [`default-src 'none'`, `script-src 'nonce-${p.nonce}'`, `style-src ${p.cspSource}`, `img-src ${p.cspSource} data:`, `font-src ${p.cspSource}`].join('; ');
}

export function panelHtml(p: PanelPage): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${esc(contentSecurityPolicy(p))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${esc(p.styleUri)}">
<title>DMA Lab</title>
</head>
<body>
<script nonce="${esc(p.nonce)}" src="${esc(p.scriptUri)}"></script>
</body>
</html>`;
}

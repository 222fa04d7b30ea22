/**
 * The HTML page of every DMA Lab webview (the panel, the memory view): a strict Content Security
 * Policy (nothing by default; the bundled script only with this page's nonce; styles, fonts and
 * images only from the extension), one stylesheet, one script, no remote resource of any kind.
 * Pure, so the policy is testable.
 */
import { randomBytes } from 'crypto';

export interface WebviewPage {
  /** `webview.cspSource`: where the webview may load the extension's own files from. */
  cspSource: string;
  nonce: string;
  /** Webview URIs of the bundle in dist/ and the stylesheet in media/. */
  scriptUri: string;
  styleUri: string;
  title: string;
  /** Markup shown until the script draws (plain HTML, trusted: written by the extension). */
  body?: string;
}

/** A nonce for one page: 32 characters of [A-Za-z0-9]. */
export function makeNonce(random: (n: number) => Uint8Array = randomBytes): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(random(32), (b) => chars[b % chars.length]).join('');
}

/** Escape text for an element or a double-quoted attribute (single quotes stay, so the CSP reads as written). */
export const escapeHtml = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

export function contentSecurityPolicy(p: Pick<WebviewPage, 'cspSource' | 'nonce'>): string {
  return [`default-src 'none'`, `script-src 'nonce-${p.nonce}'`, `style-src ${p.cspSource}`, `img-src ${p.cspSource} data:`, `font-src ${p.cspSource}`].join('; ');
}

export function webviewHtml(p: WebviewPage): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(contentSecurityPolicy(p))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeHtml(p.styleUri)}">
<title>${escapeHtml(p.title)}</title>
</head>
<body>
${p.body ?? ''}
<script nonce="${escapeHtml(p.nonce)}" src="${escapeHtml(p.scriptUri)}"></script>
</body>
</html>
`;
}

/**
 * The memory view's HTML page: a strict Content-Security-Policy (only the extension's own script,
 * with a nonce, and its own stylesheet; no remote resources), the bundle and the stylesheet.
 * Pure, so the policy is testable.
 */

export interface PageResources {
  /** `webview.cspSource`. */
  cspSource: string;
  nonce: string;
  scriptUri: string;
  styleUri: string;
  title: string;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function memoryViewHtml(r: PageResources): string {
  const csp = [`default-src 'none'`, `style-src ${r.cspSource}`, `script-src 'nonce-${r.nonce}'`, `font-src ${r.cspSource}`, `img-src ${r.cspSource}`].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeHtml(r.styleUri)}">
<title>${escapeHtml(r.title)}</title>
</head>
<body>
<div id="app" class="app"><header class="head"><h1 id="title">${escapeHtml(r.title)}</h1><div class="status status-loading">Reading memory…</div></header></div>
<script nonce="${escapeHtml(r.nonce)}" src="${escapeHtml(r.scriptUri)}"></script>
</body>
</html>
`;
}

/** A nonce for one page: 32 characters of [A-Za-z0-9]. */
export function makeNonce(random: (n: number) => Uint8Array): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(random(32), (b) => chars[b % chars.length]).join('');
}

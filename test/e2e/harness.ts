/**
 * The end-to-end harness: code-server (installed by setup.ts) with the project's .vsix, a
 * throw-away workspace holding the examples, and Debian's Chromium driven by playwright-core, plus
 * the workbench helpers the suite is written with (command palette, editor, debug stops, views,
 * the Problems view, webview frames) and screenshots of every step in test-artifacts/e2e/.
 *
 * Waits are on conditions, with generous limits: a slow machine makes the suite slower, never red.
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { chromium, Browser, Frame, Locator, Page } from 'playwright-core';
import { chromiumPath, codeServerEntry, codeServerInstalled, root } from './setup';

export const artifactsDir = path.join(root, 'test-artifacts', 'e2e');
export const vsixPath = process.env.DMALAB_E2E_VSIX ? path.resolve(process.env.DMALAB_E2E_VSIX) : path.join(root, 'dmalab.vsix');

/** How long a condition may take to hold (a debug session boots a whole emulated platform). */
export const LONG = 90_000;
export const SHORT = 20_000;

/** Ports this suite may use. */
const PORTS = { from: 8300, to: 8399 };

function freePort(): Promise<number> {
  const tryPort = (p: number): Promise<boolean> =>
    new Promise((resolve) => {
      const srv = net.createServer();
      srv.once('error', () => resolve(false));
      srv.listen(p, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
  return (async () => {
    for (let p = PORTS.from; p <= PORTS.to; p++) if (await tryPort(p)) return p;
    throw new Error(`no free port in ${PORTS.from}-${PORTS.to}`);
  })();
}

function httpOk(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(url, (res) => {
      res.resume();
      resolve((res.statusCode ?? 500) < 500);
    });
    req.on('error', () => resolve(false));
    req.setTimeout(5000, () => {
      req.destroy();
      resolve(false);
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** User settings that keep the workbench quiet and deterministic. */
const USER_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'security.workspace.trust.enabled': false,
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'remote.autoForwardPorts': false,
  'git.enabled': false,
  'git.openRepositoryInParentFolders': 'never',
  'npm.autoDetect': 'off',
  'typescript.validate.enable': false,
  'typescript.surveys.enabled': false,
  'editor.minimap.enabled': false,
  'editor.hover.enabled': false,
  'editor.parameterHints.enabled': false,
  'editor.quickSuggestions': { other: false, comments: false, strings: false },
  'files.autoSave': 'off',
  'debug.toolBarLocation': 'docked',
  'debug.openDebug': 'openOnDebugBreak',
  'debug.internalConsoleOptions': 'neverOpen',
  'workbench.panel.defaultLocation': 'bottom',
  'window.commandCenter': false,
  'chat.commandCenter.enabled': false,
  'chat.disableAIFeatures': true,
};

/** The workspace: the examples, a launch configuration for the non-coherent board. */
function makeWorkspace(dir: string): void {
  fs.cpSync(path.join(root, 'examples'), path.join(dir, 'examples'), { recursive: true });
  fs.mkdirSync(path.join(dir, '.vscode'), { recursive: true });
  const launch = {
    version: '0.2.0',
    configurations: [
      { type: 'dmalab', request: 'launch', name: 'dad on arm64-smmu-noncoherent', program: '${workspaceFolder}/examples/dad.ts', platform: 'arm64-smmu-noncoherent', stopOnEntry: false, seed: 1 },
    ],
  };
  fs.writeFileSync(path.join(dir, '.vscode', 'launch.json'), JSON.stringify(launch, null, 2));
  fs.writeFileSync(path.join(dir, '.vscode', 'settings.json'), JSON.stringify({ 'files.exclude': { '**/.vscode': true } }, null, 2));
}

export interface CodeServer {
  url: string;
  port: number;
  workspace: string;
  tmp: string;
  proc: ChildProcess;
  stop(): Promise<void>;
}

export async function startCodeServer(): Promise<CodeServer> {
  if (!codeServerInstalled()) throw new Error('code-server is not installed: run `node -r esbuild-register test/e2e/setup.ts` (npm run test:e2e does)');
  if (!fs.existsSync(vsixPath)) throw new Error(`${vsixPath} is missing: run \`npm run package\` (npm run test:e2e does)`);
  fs.mkdirSync(artifactsDir, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dmalab-e2e-'));
  const userData = path.join(tmp, 'user-data');
  const extensions = path.join(tmp, 'extensions');
  const workspace = path.join(tmp, 'workspace');
  fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
  fs.mkdirSync(extensions, { recursive: true });
  fs.mkdirSync(workspace, { recursive: true });
  fs.writeFileSync(path.join(userData, 'User', 'settings.json'), JSON.stringify(USER_SETTINGS, null, 2));
  makeWorkspace(workspace);
  // code-server's own config file, so the user's ~/.config/code-server is never read or written
  const config = path.join(tmp, 'config.yaml');
  fs.writeFileSync(config, 'auth: none\ncert: false\n');
  const base = [codeServerEntry, '--config', config, '--user-data-dir', userData, '--extensions-dir', extensions];
  const env = { ...process.env, XDG_DATA_HOME: path.join(tmp, 'xdg-data'), XDG_CONFIG_HOME: path.join(tmp, 'xdg-config'), XDG_CACHE_HOME: path.join(tmp, 'xdg-cache') };

  const install = spawnSync(process.execPath, [...base, '--force', '--install-extension', vsixPath], { encoding: 'utf8', env, timeout: LONG });
  if (install.status !== 0 || !/successfully installed/i.test(install.stdout + install.stderr)) {
    throw new Error(`installing ${vsixPath} into code-server failed (exit ${install.status}):\n${install.stdout}\n${install.stderr}`);
  }

  const port = await freePort();
  const logFile = path.join(artifactsDir, 'code-server.log');
  const log = fs.openSync(logFile, 'w');
  const proc = spawn(
    process.execPath,
    [...base, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override', '--ignore-last-opened', workspace],
    { env, stdio: ['ignore', log, log] },
  );
  let exited: number | null | undefined;
  proc.on('exit', (code) => (exited = code));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + LONG;
  while (!(await httpOk(`${url}/healthz`))) {
    if (exited !== undefined) throw new Error(`code-server exited with ${exited}; see ${logFile}:\n${fs.readFileSync(logFile, 'utf8').slice(-3000)}`);
    if (Date.now() > deadline) throw new Error(`code-server did not answer on ${url} within ${LONG / 1000} s; see ${logFile}`);
    await sleep(250);
  }
  return {
    url,
    port,
    workspace,
    tmp,
    proc,
    async stop() {
      if (exited === undefined) {
        const gone = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await Promise.race([gone, sleep(10_000)]);
        if (exited === undefined) proc.kill('SIGKILL');
      }
      fs.closeSync(log);
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
}

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'];

export interface Workbench {
  browser: Browser;
  page: Page;
  server: CodeServer;
  close(): Promise<void>;
}

export async function openWorkbench(server: CodeServer): Promise<Workbench> {
  const browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: CHROMIUM_ARGS });
  const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
  const page = await context.newPage();
  page.setDefaultTimeout(SHORT);
  await page.goto(`${server.url}/?folder=${encodeURIComponent(server.workspace)}`);
  await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: LONG });
  // the explorer has the workspace: the workbench is up
  await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'examples' }).first().waitFor({ timeout: LONG });
  return {
    browser,
    page,
    server,
    async close() {
      await browser.close().catch(() => undefined);
    },
  };
}

/* ------------------------------------------------------------------------------------------ */
/* Steps, screenshots and failure reports                                                      */

/** The text on screen, trimmed, for failure messages. */
export async function visibleText(page: Page): Promise<string> {
  const text = await page
    .locator('.monaco-workbench')
    .innerText({ timeout: 5000 })
    .catch((e: Error) => `(could not read the page: ${e.message})`);
  // the editor's line numbers are noise here
  return text
    .split('\n')
    .filter((l) => l.trim() && !/^\s*\d+\s*$/.test(l))
    .join('\n')
    .slice(0, 6000);
}

/** Empty test-artifacts/e2e/ at the start of a run, so every file there is from this run. */
export function resetArtifacts(): void {
  fs.rmSync(artifactsDir, { recursive: true, force: true });
  fs.mkdirSync(artifactsDir, { recursive: true });
}

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(artifactsDir, { recursive: true });
  const file = path.join(artifactsDir, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/**
 * Run one step of the scenario: on success a screenshot `<name>.png`; on failure
 * `<name>-failure.png` and the visible text in the error.
 */
export async function step<T>(page: Page, name: string, fn: () => Promise<T>): Promise<T> {
  try {
    const r = await fn();
    // no hover tooltip over the picture
    await page.mouse.move(800, 8);
    await screenshot(page, name);
    return r;
  } catch (e) {
    const shot = await screenshot(page, `${name}-failure`).catch(() => '(no screenshot)');
    const text = await visibleText(page);
    fs.writeFileSync(path.join(artifactsDir, `${name}-failure.txt`), `${(e as Error).stack ?? e}\n\n--- on screen ---\n${text}\n`);
    const err = new Error(`step "${name}" failed: ${(e as Error).message}\n  screenshot: ${shot}\n--- on screen ---\n${text}`);
    err.stack = err.message;
    throw err;
  }
}

/** Wait until `fn` returns a truthy value; on timeout, the last value or error explains. */
export async function until<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeout = LONG, interval = 250): Promise<T> {
  const deadline = Date.now() + timeout;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout / 1000} s waiting for ${what}${last instanceof Error ? ` (last error: ${last.message})` : last !== undefined ? ` (last value: ${JSON.stringify(last)})` : ''}`);
    await sleep(interval);
  }
}

/* ------------------------------------------------------------------------------------------ */
/* Workbench helpers                                                                           */

const quickInput = (page: Page) => page.locator('.quick-input-widget');

/**
 * Run a command from the palette by its full title ("DMA Lab: Debug Driver Script"). With
 * `opensPicker`, the command opens a quick pick of its own: do not wait for the palette to close.
 */
export async function runCommand(page: Page, title: string, opts: { opensPicker?: boolean } = {}): Promise<void> {
  await closeQuickInput(page);
  await page.keyboard.press('F1');
  const input = quickInput(page).locator('input.input');
  await input.waitFor({ state: 'visible' });
  await input.fill(`>${title}`);
  const row = quickInput(page).locator('.monaco-list-row', { has: page.locator('.label-name', { hasText: new RegExp(`^${escapeRe(title)}$`) }) }).first();
  try {
    await row.waitFor({ state: 'visible', timeout: SHORT });
  } catch {
    const rows = await quickInput(page).locator('.monaco-list-row').allInnerTexts();
    throw new Error(`command "${title}" is not in the palette; it shows: ${JSON.stringify(rows)}`);
  }
  await row.click();
  if (!opts.opensPicker) await quickInput(page).waitFor({ state: 'hidden' });
}

export async function closeQuickInput(page: Page): Promise<void> {
  if (await quickInput(page).isVisible()) {
    await page.keyboard.press('Escape');
    await quickInput(page).waitFor({ state: 'hidden' });
  }
}

export function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Open a workspace file with Quick Open and wait for its editor. */
export async function openFile(page: Page, relPath: string): Promise<void> {
  await closeQuickInput(page);
  await page.keyboard.press('Control+P');
  const input = quickInput(page).locator('input.input');
  await input.waitFor({ state: 'visible' });
  await input.fill(relPath);
  const base = path.basename(relPath);
  const row = quickInput(page)
    .locator('.monaco-list-row', { has: page.locator('.label-name', { hasText: new RegExp(`^${escapeRe(base)}$`) }) })
    .filter({ has: page.locator('.label-description', { hasText: new RegExp(`^${escapeRe(path.dirname(relPath))}$`) }) })
    .first();
  await row.waitFor({ state: 'visible' });
  await row.click();
  await activeTab(page, base).waitFor({ state: 'visible' });
  await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().waitFor({ state: 'visible' });
}

export const activeTab = (page: Page, name: string) => page.locator('.editor-group-container.active .tab.active', { hasText: name });

/** Put the cursor on a line of the active editor (Go to Line). */
export async function goToLine(page: Page, line: number): Promise<void> {
  await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click();
  await page.keyboard.press('Control+G');
  const input = quickInput(page).locator('input.input');
  await input.waitFor({ state: 'visible' });
  await input.fill(`:${line}`);
  await page.keyboard.press('Enter');
  await quickInput(page).waitFor({ state: 'hidden' });
  await until(`the cursor on line ${line}`, async () => (await cursorLine(page)) === line, SHORT);
}

/** The line of the cursor in the active editor, from the status bar ("Ln 40, Col 3"). */
export async function cursorLine(page: Page): Promise<number | undefined> {
  const text = await page.locator('#status\\.editor\\.selection').innerText({ timeout: 2000 }).catch(() => '');
  const m = /Ln (\d+)/.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** The 1-based line of the first line of a file containing `text`. */
export function lineOf(file: string, text: string): number {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const i = lines.findIndex((l) => l.includes(text));
  if (i < 0) throw new Error(`"${text}" is not in ${file}`);
  return i + 1;
}

/** Lines of the active editor that show a breakpoint glyph. */
export async function breakpointGlyphs(page: Page): Promise<number> {
  return page.locator('.editor-group-container.active .glyph-margin-widgets .codicon-debug-breakpoint').count();
}

/**
 * Choose an item of the open context menu. The workbench ignores a click that comes right after
 * the menu opened (so releasing the right button does not pick an item): hover, then click until
 * the menu closes.
 */
export async function chooseMenuItem(page: Page, label: string): Promise<void> {
  const item = page.locator('.monaco-menu .action-menu-item', { has: page.locator('.action-label', { hasText: new RegExp(`^${escapeRe(label)}$`) }) }).first();
  try {
    await item.waitFor({ state: 'visible', timeout: SHORT });
  } catch {
    const menu = (await page.locator('.monaco-menu .action-label').allInnerTexts()).filter((t) => t.trim());
    await page.keyboard.press('Escape');
    throw new Error(`the context menu has no "${label}": ${JSON.stringify(menu)}`);
  }
  await item.hover();
  // a click the menu did not take leaves it open: try again then, never while it is closing (a
  // second click on a closing menu would run the command twice)
  await until(
    `the menu to close after choosing "${label}"`,
    async () => {
      if (!(await item.isVisible())) return true;
      await item.click({ timeout: 2000 }).catch(() => undefined);
      return item.waitFor({ state: 'hidden', timeout: 3000 }).then(() => true, () => false);
    },
    SHORT,
    250,
  );
  // away from where the menu was, before a hover opens on what is under the pointer
  await page.mouse.move(800, 8);
}

/* -- debugging ------------------------------------------------------------------------------ */

/** The debug toolbar (docked in the Run and Debug view by the suite's settings): its Stop button shows a session. */
const stopButton = (page: Page) => page.locator('.action-label[aria-label^="Stop ("], .action-label[aria-label="Stop"]');

export interface StopState {
  /** The CALL STACK's top frame: name, file and line. */
  frame: string;
  file: string;
  line: number;
  /** "Paused on …" as the CALL STACK shows it. */
  pausedOn: string;
}

/** The stop the CALL STACK shows, or undefined while running. */
export async function currentStop(page: Page): Promise<StopState | undefined> {
  const view = page.locator('.debug-call-stack');
  if (!(await view.isVisible())) return undefined;
  const frameRow = view.locator('.monaco-list-row .stack-frame').first();
  if (!(await frameRow.count())) return undefined;
  const lineText = await frameRow.locator('.line-number').innerText({ timeout: 2000 }).catch(() => '');
  const m = /(\d+)(?::\d+)?/.exec(lineText);
  if (!m) return undefined;
  const file = await frameRow.locator('.file-name').innerText({ timeout: 2000 }).catch(() => '');
  const frame = await frameRow.innerText({ timeout: 2000 }).catch(() => '');
  // a single thread's state is in the CALL STACK header ("Paused on breakpoint", "dma-map: …")
  const pausedOn = (await page.locator('.call-stack-state-message').allInnerTexts().catch(() => [] as string[])).join(' ');
  return { frame: frame.replace(/\s+/g, ' ').trim(), file: file.trim(), line: Number(m[1]), pausedOn: pausedOn.trim() };
}

/** The line the editor's current-statement decoration is on (undefined when there is none). */
export async function topStackFrameLine(page: Page): Promise<number | undefined> {
  const editor = page.locator('.editor-group-container.active .monaco-editor').first();
  const deco = editor.locator('.view-overlays .debug-top-stack-frame-line').first();
  if (!(await deco.count())) return undefined;
  const top = /top:\s*(-?[\d.]+)px/.exec((await deco.locator('xpath=..').getAttribute('style')) ?? '')?.[1];
  if (top === undefined) return undefined;
  const rows = editor.locator('.margin-view-overlays > div');
  const styles = await rows.evaluateAll((els) => els.map((e) => e.getAttribute('style') ?? ''));
  const i = styles.findIndex((st) => /top:\s*(-?[\d.]+)px/.exec(st)?.[1] === top);
  if (i < 0) return undefined;
  const text = (await rows.nth(i).locator('.line-numbers').innerText().catch(() => '')).trim();
  return /^\d+$/.test(text) ? Number(text) : undefined;
}

/** Wait for the debugger to stop where `expect` says. */
export async function waitForStop(page: Page, what: string, expect: (s: StopState) => boolean, timeout = LONG): Promise<StopState> {
  let last: StopState | undefined;
  await until(
    `a stop: ${what}`,
    async () => {
      last = await currentStop(page);
      return last && expect(last);
    },
    timeout,
  ).catch((e: Error) => {
    throw new Error(`${e.message}; the CALL STACK shows ${JSON.stringify(last ?? 'no stop')}`);
  });
  return last!;
}

/** Press the debug toolbar's Continue (F5 in the workbench). */
export async function continueDebugging(page: Page): Promise<void> {
  await runCommand(page, 'Debug: Continue');
}

/** End the debug session, if there is one, and wait until it is gone. */
export async function stopDebugging(page: Page): Promise<void> {
  if (!(await stopButton(page).count())) return;
  await runCommand(page, 'Debug: Stop');
  await until('the debug session to end', async () => (await stopButton(page).count()) === 0, LONG);
}

/** Start a launch configuration of the workspace by name (Debug: Select and Start Debugging). */
export async function startLaunchConfiguration(page: Page, name: string): Promise<void> {
  await runCommand(page, 'Debug: Select and Start Debugging', { opensPicker: true });
  const row = quickInput(page).locator('.monaco-list-row', { has: page.locator('.label-name', { hasText: new RegExp(`^${escapeRe(name)}$`) }) }).first();
  try {
    await row.waitFor({ state: 'visible' });
  } catch {
    throw new Error(`no launch configuration "${name}"; the picker shows ${JSON.stringify(await quickInput(page).locator('.monaco-list-row').allInnerTexts())}`);
  }
  await row.click();
  await quickInput(page).waitFor({ state: 'hidden' });
}

/** Open the Run and Debug view and expand a pane of it ("Breakpoints", "Variables", "Call Stack"). */
export async function debugPane(page: Page, title: string): Promise<Locator> {
  await runCommand(page, 'View: Show Run and Debug');
  const pane = page.locator('.pane', { has: page.locator('.pane-header', { hasText: new RegExp(`^\\s*${escapeRe(title)}`, 'i') }) }).first();
  await pane.waitFor({ state: 'visible' });
  const header = pane.locator('.pane-header').first();
  if ((await header.getAttribute('aria-expanded')) === 'false') await header.click();
  return pane;
}

/** Tick or untick an exception filter (a DMA event) in the BREAKPOINTS view by its label. */
export async function setEventBreakpoint(page: Page, label: string, on: boolean): Promise<void> {
  const pane = await debugPane(page, 'Breakpoints');
  const row = pane.locator('.monaco-list-row', { has: page.locator('.name', { hasText: new RegExp(`^${escapeRe(label)}$`) }) }).first();
  try {
    await row.waitFor({ state: 'visible', timeout: on ? SHORT : 3000 });
  } catch {
    // the filters are listed once a session has told the workbench about them: nothing to untick before
    if (!on) return;
    throw new Error(`no "${label}" in the BREAKPOINTS view; it lists ${JSON.stringify(await pane.locator('.monaco-list-row').allInnerTexts())}`);
  }
  const box = row.locator('input[type=checkbox]').first();
  if ((await box.isChecked()) !== on) await box.click();
  await until(`"${label}" ${on ? 'ticked' : 'unticked'}`, async () => (await box.isChecked()) === on, SHORT);
}

/** Remove every line breakpoint. */
export async function removeAllBreakpoints(page: Page): Promise<void> {
  await runCommand(page, 'Remove All Breakpoints');
}

/* -- Problems --------------------------------------------------------------------------------- */

export interface Problem {
  text: string;
  ariaLabel: string;
}

/** The rows of the Problems view (opened if needed), as text and as the accessible label. */
export async function problems(page: Page): Promise<Problem[]> {
  const panel = page.locator('.markers-panel');
  if (!(await panel.isVisible())) await runCommand(page, 'View: Focus Problems (Errors, Warnings, Infos)');
  await panel.waitFor({ state: 'visible' });
  const rows = panel.locator('.monaco-list-row');
  const out: Problem[] = [];
  const n = await rows.count();
  for (let i = 0; i < n; i++) {
    const r = rows.nth(i);
    out.push({ text: (await r.innerText().catch(() => '')).replace(/\s+/g, ' ').trim(), ariaLabel: (await r.getAttribute('aria-label').catch(() => null)) ?? '' });
  }
  return out;
}

/* -- webviews --------------------------------------------------------------------------------- */

/**
 * The frame of a webview whose document has `selector` (webviews are nested iframes in
 * code-server: the host frame, then the content's `active-frame`).
 */
export async function webviewFrame(page: Page, what: string, selector: string, timeout = LONG): Promise<Frame> {
  return until(
    `the ${what} webview (a frame with ${selector})`,
    async () => {
      for (const f of page.frames()) {
        if (f === page.mainFrame() || f.isDetached()) continue;
        const n = await f.locator(selector).count().catch(() => 0);
        if (n > 0) return f;
      }
      return undefined;
    },
    timeout,
    500,
  );
}

/** Text of a frame's body, for failure messages. */
export async function frameText(f: Frame): Promise<string> {
  return (await f.locator('body').innerText({ timeout: 5000 }).catch((e: Error) => `(unreadable: ${e.message})`)).slice(0, 4000);
}

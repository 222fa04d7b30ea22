/**
 * End to end, in a real VS Code (code-server 4.100.3 in headless Chromium): the packaged .vsix
 * installed, a workspace with the examples, and a user's way through a debugging session of
 * examples/dad.ts and a run of a buggy example. Each step saves test-artifacts/e2e/<step>.png.
 *
 * Each test starts from a known state (no session, its own breakpoints), so one failing step does
 * not take the following ones down with it.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import type { Page } from 'playwright-core';
import {
  CodeServer, Workbench, LONG, SHORT, activeTab, breakpointGlyphs, chooseMenuItem, closeQuickInput, continueDebugging, debugPane, escapeRe, frameText,
  goToLine, lineOf, openFile, openWorkbench, problems, removeAllBreakpoints, resetArtifacts, runCommand, screenshot, setEventBreakpoint, startCodeServer,
  startLaunchConfiguration, step, stopDebugging, topStackFrameLine, until, waitForStop, webviewFrame,
} from './harness';
import { root } from './setup';

const dad = path.join(root, 'examples', 'dad.ts');
const MAP_LINE = lineOf(dad, 'const bus_addr = dma_map_single(');
const UNMAP_LINE = lineOf(dad, 'dma_unmap_single(dad.dev, dad.dma_addr');
const bug = path.join(root, 'examples', 'bugs', 'unmap-size-mismatch.ts');
const BUG_LINE = lineOf(bug, '// BUG: unmap-size-mismatch');

/** The editor title's Run button and its "Run or Debug..." menu on a driver script. */
const runButton = (page: Page) => page.locator('.editor-group-container.active .editor-actions .action-label[aria-label="Run Driver Script"]');
const runOrDebugMenu = (page: Page) => page.locator('.editor-group-container.active .editor-actions .action-label[aria-label="Run or Debug..."]');

/**
 * The Run/Debug Driver Script buttons only show once the extension is active. If opening a driver
 * script did not activate it (the first test reports that as a failure of its own), activate it
 * through the DMA Lab panel so the later steps still test what they are about.
 */
async function ensureDriverButtons(page: Page): Promise<void> {
  if (await runButton(page).isVisible()) return;
  await runCommand(page, 'DMA Lab: Focus on DMA View');
  await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click();
  await runButton(page).waitFor({ state: 'visible', timeout: LONG });
}

/** The text of the Debug Console (opened if needed). */
async function debugConsoleText(page: Page): Promise<string> {
  const repl = page.locator('.repl .monaco-list-rows');
  if (!(await repl.isVisible())) await runCommand(page, 'View: Toggle Debug Console');
  await repl.waitFor({ state: 'visible', timeout: SHORT });
  return repl.innerText();
}

async function exceptionWidgetText(page: Page): Promise<string> {
  const w = page.locator('.exception-widget').first();
  await w.waitFor({ state: 'visible', timeout: LONG });
  return (await w.getAttribute('aria-label')) ?? (await w.innerText());
}

/** Normalise a hex address for comparisons: lower case, no 0x, no leading zeros, no separators. */
const hexDigits = (s: string) => s.toLowerCase().replace(/0x/g, '').replace(/[_\s]/g, '').replace(/^0+/, '');

describe('DMA Lab in VS Code (code-server + Chromium)', function () {
  this.timeout(4 * 60_000);
  let server: CodeServer;
  let wb: Workbench;
  let page: Page;
  /** The IOVA of the dma-map stop of step 2, for step 3. */
  let mappedIova: string | undefined;

  before(async function () {
    this.timeout(5 * 60_000);
    resetArtifacts();
    server = await startCodeServer();
    wb = await openWorkbench(server);
    page = wb.page;
    await screenshot(page, '00-workbench');
  });

  after(async () => {
    if (page) await screenshot(page, '99-end').catch(() => undefined);
    await wb?.close();
    await server?.stop();
  });

  it('opening a driver script shows Run and Debug Driver Script in the editor title', async () => {
    await step(page, '01-driver-script-buttons', async () => {
      await openFile(page, 'examples/dad.ts');
      try {
        await runButton(page).waitFor({ state: 'visible', timeout: 30_000 });
      } catch {
        throw new Error(
          'no Run Driver Script button on examples/dad.ts: the extension was not activated by opening a driver script ' +
            '(package.json activationEvents has no "onLanguage:typescript", so the dmalab.isDriverScript context key is never set)',
        );
      }
      await runOrDebugMenu(page).click();
      const items = page.locator('.monaco-menu .action-label');
      await items.filter({ hasText: /^Debug Driver Script$/ }).waitFor({ state: 'visible' });
      assert.deepStrictEqual((await items.allInnerTexts()).filter((t) => t.trim()), ['Run Driver Script', 'Debug Driver Script']);
      // the screenshot shows the menu open; the next test closes it
    });
  });

  it('a line breakpoint: Debug Driver Script stops on that line', async () => {
    await step(page, '02-line-breakpoint-stop', async () => {
      await page.keyboard.press('Escape');
      await stopDebugging(page);
      await openFile(page, 'examples/dad.ts');
      await ensureDriverButtons(page);
      await removeAllBreakpoints(page);
      await goToLine(page, MAP_LINE);
      await runCommand(page, 'Debug: Toggle Breakpoint');
      await until('the breakpoint glyph in the gutter', async () => (await breakpointGlyphs(page)) === 1, SHORT);
      // the command behind the editor title's Debug Driver Script (step 01 checked the button)
      await runCommand(page, 'DMA Lab: Debug Driver Script');
      const stop = await waitForStop(page, `dad.ts:${MAP_LINE}`, (s) => s.file === 'dad.ts' && s.line === MAP_LINE);
      assert.match(stop.frame, /^dad_transfer\b/);
      assert.match(stop.pausedOn, /Paused on breakpoint/);
      await until('the current-statement decoration on the line', async () => (await topStackFrameLine(page)) === MAP_LINE, SHORT);
      await activeTab(page, 'dad.ts').waitFor();
    });
  });

  it('the dma-map event breakpoint: continue stops at the map call with the event named', async () => {
    await step(page, '03-dma-map-stop', async () => {
      await setEventBreakpoint(page, 'DMA map', true);
      await continueDebugging(page);
      const stop = await waitForStop(page, 'the dma-map event', (s) => /^dma-map: /.test(s.pausedOn));
      assert.strictEqual(stop.line, MAP_LINE, `stopped at ${stop.file}:${stop.line}`);
      assert.match(stop.pausedOn, /dma-map: dma_map_single/);
      const widget = await exceptionWidgetText(page);
      assert.match(widget, /dma-map/);
      assert.match(widget, /dma_map_single → 0x[0-9a-f]+, 4096 bytes, FROM_DEVICE/);
      mappedIova = /→ (0x[0-9a-f]+)/.exec(widget)?.[1];
      await until('the current-statement decoration on the map call', async () => (await topStackFrameLine(page)) === MAP_LINE, SHORT);
    });
  });

  it('the DMA Lab panel shows the IOMMU table rows and the live mappings of that stop', async () => {
    await step(page, '04-dma-panel', async () => {
      await runCommand(page, 'DMA Lab: Focus on DMA View');
      const frame = await webviewFrame(page, 'DMA Lab panel', '[data-section=iommu]', 60_000);
      const explain = async () => `\n--- the panel shows ---\n${await frameText(frame)}`;
      // the panel describes the stop in its own words: the call that mapped, at the line of the map
      const stopRe = new RegExp(`dma_map_single.*dad\\.ts:${MAP_LINE}\\b`);
      await until('the dma-map stop described in the panel (#stop)', async () => stopRe.test(await frame.locator('#stop').innerText()), SHORT).catch(async (e: Error) => {
        throw new Error(e.message + (await explain()));
      });
      for (const s of ['iommu', 'mappings', 'coherency', 'findings', 'timeline', 'memory-map']) {
        assert.ok(await frame.locator(`[data-section=${s}]`).count(), `no [data-section=${s}] in the panel${await explain()}`);
      }
      const iommuRows = frame.locator('[data-section=iommu] [data-iova]');
      const mappingRows = frame.locator('[data-section=mappings] [data-mapping-id]');
      await until('IOMMU rows and mapping rows', async () => (await iommuRows.count()) > 0 && (await mappingRows.count()) > 0, SHORT).catch(async (e: Error) => {
        throw new Error(e.message + (await explain()));
      });
      if (mappedIova) {
        const want = hexDigits(mappedIova);
        const iovas = (await iommuRows.evaluateAll((els) => els.map((e) => e.getAttribute('data-iova') ?? ''))).map(hexDigits);
        const rowTexts = (await iommuRows.allInnerTexts()).map(hexDigits);
        assert.ok(iovas.includes(want) || rowTexts.some((t) => t.includes(want)), `no IOMMU row for ${mappedIova}: ${JSON.stringify(iovas)}${await explain()}`);
        const maps = (await mappingRows.allInnerTexts()).map(hexDigits);
        assert.ok(maps.some((t) => t.includes(want)), `no live mapping at ${mappedIova}${await explain()}`);
      }
    });
    await step(page, '04b-memory-view-from-mapping-row', async () => {
      // a row of the live mappings opens that buffer in the memory view, beside the editor
      const frame = await webviewFrame(page, 'DMA Lab panel', '[data-section=mappings] [data-mapping-id]', SHORT);
      await frame.locator('[data-section=mappings] [data-mapping-id]').first().click();
      const view = await webviewFrame(page, 'memory view', '[data-view=device] [data-offset]', LONG);
      const title = await view.locator('#title').innerText();
      if (mappedIova) assert.ok(hexDigits(title).includes(hexDigits(mappedIova)), `the memory view opened from the row names ${title}, not the mapping's IOVA ${mappedIova}`);
      for (const v of ['cpu', 'ram', 'device']) assert.ok(await view.locator(`[data-view=${v}]`).count(), `no ${v} view`);
      await screenshot(page, '04b-memory-view-opened-from-row');
      // close it, so the next test finds only the view it opens
      await runCommand(page, 'View: Close Editor');
      await until('the memory view to close', async () => !(await view.locator('[data-view=cpu]').count().catch(() => 0)), SHORT);
    });
  });

  it('the memory view on the buffer (arm64-smmu-noncoherent, after the transfer): three views, a stale line', async () => {
    await step(page, '05-memory-view', async () => {
      await stopDebugging(page);
      await openFile(page, 'examples/dad.ts');
      await removeAllBreakpoints(page);
      await setEventBreakpoint(page, 'DMA map', false);
      // the interrupt handler, before its unmap: the device has written RAM, the CPU's cache still holds the old lines
      await goToLine(page, UNMAP_LINE);
      await runCommand(page, 'Debug: Toggle Breakpoint');
      await startLaunchConfiguration(page, 'dad on arm64-smmu-noncoherent');
      const stop = await waitForStop(page, `dad.ts:${UNMAP_LINE} in the interrupt handler`, (s) => s.file === 'dad.ts' && s.line === UNMAP_LINE);
      assert.match(stop.frame, /^dad_interrupt\b/);
      await screenshot(page, '05-memory-view-stop');
      // VARIABLES: Locals → dad → buffer, right click → Open in DMA Lab Memory View
      const vars = await debugPane(page, 'Variables');
      const dadRow = vars.locator('.monaco-list-row[aria-label^="dad, value"]').first();
      await dadRow.waitFor({ state: 'visible', timeout: LONG });
      if ((await dadRow.getAttribute('aria-expanded')) !== 'true') await dadRow.click();
      const bufferRow = vars.locator('.monaco-list-row[aria-label^="buffer, value"]').first();
      await bufferRow.waitFor({ state: 'visible' });
      await bufferRow.click({ button: 'right' });
      await chooseMenuItem(page, 'Open in DMA Lab Memory View');
      const frame = await webviewFrame(page, 'DMA Lab memory view', '[data-view=ram]', 60_000);
      const explain = async () => `\n--- the memory view shows ---\n${await frameText(frame)}`;
      for (const v of ['cpu', 'ram', 'device']) {
        await until(`the ${v} view with bytes`, async () => (await frame.locator(`[data-view=${v}] [data-offset]`).count()) > 0, SHORT).catch(async (e: Error) => {
          throw new Error(e.message + (await explain()));
        });
      }
      assert.ok((await frame.locator('#title').innerText()).trim(), `the memory view has no title${await explain()}`);
      // the CPU's view of a line the device wrote behind the cache: highlighted stale
      const stale = frame.locator('[data-view=cpu] [data-offset].stale');
      await until('a stale line highlighted in the CPU view', async () => (await stale.count()) > 0, SHORT).catch(async (e: Error) => {
        throw new Error(e.message + (await explain()));
      });
      await stale.first().scrollIntoViewIfNeeded();
    });
  });

  it('a buggy example: Run Driver Script puts its finding in the Problems view at the // BUG: line', async () => {
    await step(page, '06-problems', async () => {
      await stopDebugging(page);
      await closeQuickInput(page);
      await openFile(page, 'examples/bugs/unmap-size-mismatch.ts');
      await ensureDriverButtons(page);
      await runButton(page).click();
      let rows: { text: string; ariaLabel: string }[] = [];
      const finding = await until(
        'the unmap-size-mismatch finding in the Problems view',
        async () => {
          rows = await problems(page);
          return rows.find((r) => /unmap-size-mismatch/.test(r.text) && /DMA Lab/.test(r.text));
        },
        LONG,
      ).catch((e: Error) => {
        throw new Error(`${e.message}; the Problems view lists ${JSON.stringify(rows.map((r) => r.text))}`);
      });
      assert.match(finding.text, /device driver frees DMA memory with different size/);
      assert.match(finding.text, new RegExp(`\\[Ln ${BUG_LINE}, Col \\d+\\]`), finding.text);
      assert.match(finding.ariaLabel, /^Error: /);
      assert.ok(rows.some((r) => new RegExp(`^${escapeRe('unmap-size-mismatch.ts')}`).test(r.text)), 'the finding is not under unmap-size-mismatch.ts');
    });
  });

  it('New Driver from Template: a driver, its tsconfig and the dmalab types, and the new script runs clean', async () => {
    await step(page, '07-new-driver', async () => {
      await stopDebugging(page);
      await runCommand(page, 'DMA Lab: New Driver from Template', { opensPicker: true });
      const input = page.locator('.quick-input-widget input.input');
      await input.waitFor({ state: 'visible', timeout: SHORT });
      await input.fill('acq');
      await page.keyboard.press('Enter');
      await activeTab(page, 'acq.ts').waitFor({ state: 'visible', timeout: LONG });
      for (const f of ['acq.ts', 'tsconfig.json', '.dmalab/types/linux.d.ts', '.dmalab/types/devices.d.ts', '.dmalab/types/ddi.d.ts']) {
        assert.ok(fs.existsSync(path.join(server.workspace, f)), `New Driver from Template did not write ${f}`);
      }
      const tsconfig = JSON.parse(fs.readFileSync(path.join(server.workspace, 'tsconfig.json'), 'utf8')) as { compilerOptions: { paths: Record<string, string[]> } };
      assert.deepStrictEqual(tsconfig.compilerOptions.paths['dmalab/linux'], ['./.dmalab/types/linux.d.ts']);
      // the new file is a driver script: the Run button is there, and its run ends without findings
      await ensureDriverButtons(page);
      await runButton(page).click();
      await until('the run of acq.ts to end', async () => /run finished: .*exit status 0/.test(await debugConsoleText(page)), LONG).catch(async (e: Error) => {
        throw new Error(`${e.message}; the debug console shows: ${(await debugConsoleText(page)).slice(-800)}`);
      });
      assert.ok(!(await problems(page)).some((r) => /acq\.ts/.test(r.text)), 'the template driver has findings');
    });
  });
});


/**
 * The commands that start work on a driver script: Run and Debug (editor title buttons on a .ts
 * file that imports `dmalab/*`) and New Driver from Template. A `dmalab.isDriverScript` context
 * key tells the editor title when the buttons apply.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { scaffoldDriver } from './driver-template';
import { TYPE_MODULES } from './templates/driver';

const MODULE = `['"]dmalab/(?:${TYPE_MODULES.join('|')})['"]`;
const IMPORTS_DMALAB = new RegExp(`\\bfrom\\s+${MODULE}|\\brequire\\(\\s*${MODULE}\\s*\\)`);

export function isDriverScript(doc: vscode.TextDocument): boolean {
  return /^typescript$/.test(doc.languageId) && IMPORTS_DMALAB.test(doc.getText());
}

/** The platform a script names in its `// platforms:` header, else the non-coherent arm64 board. */
export function platformOf(doc: vscode.TextDocument): string {
  const m = /^\/\/\s*platforms?:\s*([\w.-]+)/m.exec(doc.getText(0 < doc.lineCount ? new vscode.Range(0, 0, Math.min(doc.lineCount, 30), 0) : undefined));
  return m?.[1] ?? 'arm64-smmu-noncoherent';
}

function launchConfig(doc: vscode.TextDocument): vscode.DebugConfiguration {
  return { type: 'dmalab', request: 'launch', name: `DMA Lab: ${path.basename(doc.fileName)}`, program: doc.fileName, platform: platformOf(doc), stopOnEntry: false, seed: 1 };
}

async function start(uri: vscode.Uri | undefined, noDebug: boolean): Promise<boolean> {
  const doc = uri ? await vscode.workspace.openTextDocument(uri) : vscode.window.activeTextEditor?.document;
  if (!doc || !isDriverScript(doc)) {
    void vscode.window.showErrorMessage('DMA Lab: open a driver script, a .ts file that imports dmalab/linux, dmalab/ddi or dmalab/devices.');
    return false;
  }
  if (doc.isDirty) await doc.save();
  return vscode.debug.startDebugging(vscode.workspace.getWorkspaceFolder(doc.uri), launchConfig(doc), { noDebug });
}

export function registerDriverCommands(context: vscode.ExtensionContext): void {
  const updateContext = (editor: vscode.TextEditor | undefined) =>
    void vscode.commands.executeCommand('setContext', 'dmalab.isDriverScript', !!editor && isDriverScript(editor.document));
  updateContext(vscode.window.activeTextEditor);
  context.subscriptions.push(
    vscode.window.onDidChangeActiveTextEditor(updateContext),
    vscode.workspace.onDidSaveTextDocument((d) => d === vscode.window.activeTextEditor?.document && updateContext(vscode.window.activeTextEditor)),
    vscode.commands.registerCommand('dmalab.runDriver', (uri?: vscode.Uri) => start(uri, true)),
    vscode.commands.registerCommand('dmalab.debugDriver', (uri?: vscode.Uri) => start(uri, false)),
    vscode.commands.registerCommand('dmalab.newDriver', () => scaffoldDriver(context.extensionUri)),
  );
}

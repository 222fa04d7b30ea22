/**
 * "DMA Lab: New Driver from Template": writes a driver script with a scenario, the `dmalab/*`
 * type declarations the extension ships, and a `tsconfig.json` that maps the module names to
 * them, so IntelliSense works in the user's own workspace. An existing driver or tsconfig.json is
 * never overwritten; the declarations are refreshed.
 */
import * as vscode from 'vscode';
import { TYPE_MODULES, driverSource, tsconfigSource } from './templates/driver';

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}

export async function scaffoldDriver(extensionUri: vscode.Uri): Promise<vscode.Uri | undefined> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) {
    void vscode.window.showErrorMessage('DMA Lab: open a folder first; the new driver, its tsconfig.json and the dmalab types go there.');
    return undefined;
  }
  const name = await vscode.window.showInputBox({
    title: 'DMA Lab: New Driver from Template',
    prompt: 'Driver name (also the file name)',
    value: 'mydriver',
    validateInput: (v) => (/^[a-z][a-z0-9_-]{0,39}$/.test(v) ? undefined : 'lower-case letters, digits, "_" and "-", starting with a letter'),
  });
  if (!name) return undefined;
  const driver = vscode.Uri.joinPath(folder.uri, `${name}.ts`);
  if (await exists(driver)) {
    void vscode.window.showErrorMessage(`DMA Lab: ${driver.fsPath} already exists; choose another name.`);
    return undefined;
  }
  const enc = new TextEncoder();
  await vscode.workspace.fs.writeFile(driver, enc.encode(driverSource(name)));
  // the types are refreshed on every scaffold, so a newer extension brings newer declarations
  for (const m of TYPE_MODULES) {
    await vscode.workspace.fs.copy(vscode.Uri.joinPath(extensionUri, 'types', `${m}.d.ts`), vscode.Uri.joinPath(folder.uri, '.dmalab', 'types', `${m}.d.ts`), { overwrite: true });
  }
  const tsconfig = vscode.Uri.joinPath(folder.uri, 'tsconfig.json');
  if (!(await exists(tsconfig))) await vscode.workspace.fs.writeFile(tsconfig, enc.encode(tsconfigSource()));
  else void vscode.window.showInformationMessage('DMA Lab: tsconfig.json exists and was left alone; map "dmalab/*" to .dmalab/types/*.d.ts in its "paths" for IntelliSense.');
  await vscode.window.showTextDocument(driver);
  return driver;
}

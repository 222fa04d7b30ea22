/**
 * The devicetree language client: the same server `dmalab lsp --stdio` runs, in a Node process
 * the client starts only when a devicetree document is first open (a driver-script-only session
 * never pays for it).
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { LanguageClient, TransportKind } from 'vscode-languageclient/node';

export class DevicetreeClient implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private readonly watch: vscode.Disposable;

  constructor(private readonly extensionPath: string) {
    this.watch = vscode.workspace.onDidOpenTextDocument((d) => this.startFor(d));
    for (const d of vscode.workspace.textDocuments) this.startFor(d);
  }

  private startFor(doc: vscode.TextDocument): void {
    if (this.client || doc.languageId !== 'devicetree') return;
    const server = path.join(this.extensionPath, 'dist', 'lsp-server.js');
    this.client = new LanguageClient(
      'dmalab-devicetree',
      'DMA Lab Devicetree',
      { run: { module: server, transport: TransportKind.stdio }, debug: { module: server, transport: TransportKind.stdio } },
      { documentSelector: [{ language: 'devicetree' }], synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher('**/*.{dts,dtsi,dtso,h}') } },
    );
    void this.client.start();
  }

  async stop(): Promise<void> {
    this.watch.dispose();
    await this.client?.stop();
    this.client = undefined;
  }

  dispose(): void {
    void this.stop();
  }
}

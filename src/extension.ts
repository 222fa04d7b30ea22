/**
 * The VS Code extension: activation only wires pieces together. The `dmalab` debugger runs its
 * adapter inline (in the extension host, the script in a worker thread); the views (DMA panel,
 * memory view, Problems diagnostics) follow the sessions through one DebugEvents hub.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { DmaLabSession } from './debug/session';
import { DebugEvents } from './debug-events';
import { FindingDiagnostics } from './finding-diagnostics';
import { registerDriverCommands } from './driver-commands';
import { DevicetreeClient } from './devicetree-client';
import { registerDmaPanel } from './panel/provider';
import { registerMemoryView } from './memory-view';

class InlineAdapterFactory implements vscode.DebugAdapterDescriptorFactory {
  constructor(private readonly workerFile: string) {}

  createDebugAdapterDescriptor(): vscode.ProviderResult<vscode.DebugAdapterDescriptor> {
    return new vscode.DebugAdapterInlineImplementation(new DmaLabSession(this.workerFile) as unknown as vscode.DebugAdapter);
  }
}

/** Fills in a launch configuration when the user has none: debug the active driver script. */
class ConfigurationProvider implements vscode.DebugConfigurationProvider {
  resolveDebugConfiguration(_folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration): vscode.ProviderResult<vscode.DebugConfiguration> {
    if (!config.type && !config.request && !config.name) {
      const editor = vscode.window.activeTextEditor;
      if (!editor || !/\.[cm]?ts$/.test(editor.document.fileName)) {
        void vscode.window.showErrorMessage('DMA Lab: open a driver script (.ts) to debug, or add a "dmalab" launch configuration.');
        return undefined;
      }
      return { type: 'dmalab', request: 'launch', name: 'Debug driver', program: editor.document.fileName, platform: 'arm64-smmu-noncoherent', stopOnEntry: false, seed: 1 };
    }
    if (!config.program) {
      void vscode.window.showErrorMessage('DMA Lab: the launch configuration has no "program" (the driver script to debug).');
      return undefined;
    }
    return config;
  }
}

let devicetree: DevicetreeClient | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const workerFile = path.join(context.extensionPath, 'dist', 'debug-worker.js');
  context.subscriptions.push(
    vscode.debug.registerDebugAdapterDescriptorFactory('dmalab', new InlineAdapterFactory(workerFile)),
    vscode.debug.registerDebugConfigurationProvider('dmalab', new ConfigurationProvider()),
  );
  const events = new DebugEvents();
  context.subscriptions.push(events, new FindingDiagnostics(events));
  registerDriverCommands(context);
  // the DMA panel
  context.subscriptions.push(registerDmaPanel(context, events));
  // the memory view
  context.subscriptions.push(registerMemoryView(context, events));
  // the devicetree language server, started with the first devicetree document
  devicetree = new DevicetreeClient(context.extensionPath);
}

export function deactivate(): Thenable<void> | undefined {
  return devicetree?.stop();
}

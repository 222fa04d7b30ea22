/**
 * The DMA Lab memory view's commands and the views they open:
 * - `dmalab.openMemoryView`: on a memory reference, a variable (the Variables view's context
 *   menu), or a row of the live mappings (the DMA panel); with nothing, asks for a reference;
 * - `dmalab.openPhysicalMemory`: asks for a physical address (or takes one);
 * - `dmalab.openDeviceView`: asks for a device of the platform, then an IOVA (or takes both).
 * Every view follows the DMA Lab session it was opened in, through the DebugEvents hub.
 */
import * as vscode from 'vscode';
import type { DebugEvents } from '../debug-events';
import { isMemoryReference, parseAddressInput, parseOpenArgument, type OpenTarget } from './args';
import { MemoryView } from './panel';
import type { MappingRow, MemoryMapDevice } from '../../emulator/inspect/snapshots';

export const NO_SESSION = 'DMA Lab: no DMA Lab debug session is running. Debug a driver script first (F5), then open memory views.';

export function registerMemoryView(context: vscode.ExtensionContext, events: DebugEvents): vscode.Disposable {
  const views = new Set<MemoryView>();
  /** How each session last stopped, for views opened while it is stopped. */
  const lastStop = new Map<string, string | undefined>();

  const needSession = (): vscode.DebugSession | undefined => {
    const s = events.session;
    if (!s) void vscode.window.showErrorMessage(NO_SESSION);
    return s;
  };

  const open = (session: vscode.DebugSession, target: OpenTarget): MemoryView => {
    const v = new MemoryView(context.extensionUri, target, session, events.isStopped(session), lastStop.get(session.id));
    views.add(v);
    v.onDidDispose(() => views.delete(v));
    return v;
  };

  const mappings = async (s: vscode.DebugSession): Promise<MappingRow[]> => {
    try {
      return ((await s.customRequest('dmalab/mappings')) as MappingRow[]) ?? [];
    } catch {
      return [];
    }
  };

  const openMemoryView = async (arg?: unknown): Promise<MemoryView | undefined> => {
    const s = needSession();
    if (!s) return undefined;
    const parsed = parseOpenArgument(arg);
    if ('error' in parsed) {
      void vscode.window.showErrorMessage(`DMA Lab: ${parsed.error}`);
      return undefined;
    }
    let target: OpenTarget;
    if ('ask' in parsed) {
      const text = await vscode.window.showInputBox({
        title: 'DMA Lab: Open Memory View',
        prompt: 'A memory reference: 0x… (a CPU virtual address, through the cache), phys:0x… (RAM) or iova:<device>:0x… (what a device reaches)',
        placeHolder: '0xffff000000000000, phys:0x80000000 or iova:dad:0xfffff000',
        ignoreFocusOut: true,
        validateInput: (v) => (!v.trim() || isMemoryReference(v) ? undefined : 'Use 0x… (a CPU virtual address), phys:0x… or iova:<device>:0x…'),
      });
      // what was typed is a memory reference string: the same parse as a string argument
      const typed = text?.trim() ? parseOpenArgument(text) : undefined;
      if (!typed || !('target' in typed)) return undefined;
      target = typed.target;
    } else target = parsed.target;
    return open(s, target);
  };

  /**
   * An address and optional length: the one given, or one typed into an input box (`box` says what
   * to ask, worked out only when asking). A refused address is said, and gives undefined.
   */
  const addressFrom = async (
    given: string | undefined,
    prefix: 'phys:' | 'iova:',
    box: () => Promise<{ title: string; prompt: string; placeHolder: string; value?: string }>,
  ): Promise<{ address: string; length?: number } | undefined> => {
    const text =
      given ??
      (await vscode.window.showInputBox({
        ...(await box()),
        ignoreFocusOut: true,
        validateInput: (v) => {
          const r = parseAddressInput(v, prefix);
          return 'error' in r ? r.error : undefined;
        },
      }));
    if (text === undefined) return undefined;
    const r = parseAddressInput(text, prefix);
    if ('error' in r) {
      void vscode.window.showErrorMessage(`DMA Lab: ${r.error}`);
      return undefined;
    }
    return r;
  };

  const openPhysicalMemory = async (arg?: unknown): Promise<MemoryView | undefined> => {
    const s = needSession();
    if (!s) return undefined;
    const r = await addressFrom(typeof arg === 'string' || typeof arg === 'number' ? String(arg) : undefined, 'phys:', async () => {
      const suggestion = (await mappings(s))[0]?.cpuPhys[0]?.split('+')[0];
      return {
        title: 'DMA Lab: Open Physical Memory',
        prompt: `A physical address (RAM as the bus sees it), optionally followed by a length in bytes${suggestion ? `. The newest live mapping's buffer is at ${suggestion}` : ''}`,
        placeHolder: '0x80000000 or 0x80000000 4096',
        value: suggestion,
      };
    });
    return r && open(s, { memoryReference: `phys:${r.address}`, length: r.length });
  };

  const openDeviceView = async (arg?: unknown, iovaArg?: unknown): Promise<MemoryView | undefined> => {
    const s = needSession();
    if (!s) return undefined;
    let device: string | undefined;
    let iovaText: string | undefined;
    if (typeof arg === 'string') device = arg;
    else if (arg && typeof arg === 'object') {
      const o = arg as { device?: unknown; iova?: unknown; dma?: unknown };
      if (typeof o.device === 'string') device = o.device;
      const a = o.iova ?? o.dma;
      if (typeof a === 'string' || typeof a === 'number') iovaText = String(a);
    }
    if (typeof iovaArg === 'string' || typeof iovaArg === 'number') iovaText = String(iovaArg);

    let devices: MemoryMapDevice[];
    try {
      devices = ((await s.customRequest('dmalab/memoryMap')) as { devices: MemoryMapDevice[] }).devices ?? [];
    } catch (e) {
      void vscode.window.showErrorMessage(`DMA Lab: cannot list the platform's devices: ${(e as Error).message ?? e}`);
      return undefined;
    }
    let chosen = device ? devices.find((d) => d.name === device || d.name.split('@')[0] === device || d.labels.includes(device!)) : undefined;
    if (device && !chosen) {
      void vscode.window.showErrorMessage(`DMA Lab: no device "${device}" on this platform (devices: ${devices.map((d) => d.name).join(', ')})`);
      return undefined;
    }
    if (!chosen) {
      const live = await mappings(s);
      const pick = await vscode.window.showQuickPick(
        devices.map((d) => {
          const n = live.filter((m) => m.device === d.name).length;
          return {
            label: d.name,
            description: [d.labels.length ? `(${d.labels.join(', ')})` : '', d.translation].filter(Boolean).join(' · '),
            detail: `${d.compatible}, ${d.coherent ? 'coherent' : 'non-coherent'}${d.dmaLimit ? `, reaches bus addresses below ${d.dmaLimit}` : ''}${n ? ` · ${n} live mapping${n === 1 ? '' : 's'}` : ''}`,
            device: d,
          };
        }),
        { title: 'DMA Lab: Open Device View', placeHolder: 'The device whose view of memory to show (through its IOMMU or dma-ranges)', matchOnDescription: true, matchOnDetail: true, ignoreFocusOut: true },
      );
      if (!pick) return undefined;
      chosen = pick.device;
    }
    const dev = chosen;
    const r = await addressFrom(iovaText, 'iova:', async () => {
      const own = (await mappings(s)).filter((m) => m.device === dev.name);
      return {
        title: `DMA Lab: Open Device View: ${dev.name}`,
        prompt: `An address as ${dev.name} issues it (${dev.translation === 'direct' ? 'a bus address' : `translated by ${dev.translation}`}), optionally followed by a length${own.length ? `. Live mappings: ${own.slice(0, 4).map((m) => `${m.dma} (${m.size} bytes, ${m.dir.replace(/^DMA_/, '')})`).join(', ')}` : ''}`,
        placeHolder: '0xfffff000 or 0xfffff000 4096',
        value: own[0]?.dma,
      };
    });
    return r && open(s, { memoryReference: `iova:${dev.name}:${r.address}`, device: dev.name, length: r.length });
  };

  const forSession = (s: vscode.DebugSession, fn: (v: MemoryView) => void) => {
    for (const v of views) if (v.follows(s)) fn(v);
  };

  const disposables: vscode.Disposable[] = [
    vscode.commands.registerCommand('dmalab.openMemoryView', openMemoryView),
    vscode.commands.registerCommand('dmalab.openPhysicalMemory', openPhysicalMemory),
    vscode.commands.registerCommand('dmalab.openDeviceView', openDeviceView),
    events.onDidStop((i) => {
      lastStop.set(i.session.id, i.description ?? i.reason);
      forSession(i.session, (v) => v.onStop(i.description ?? i.reason));
    }),
    events.onDidContinue((s) => forSession(s, (v) => v.onContinue())),
    events.onDidChangeMemory((m) => forSession(m.session, (v) => v.onMemory(events.isStopped(m.session)))),
    events.onDidEnd((s) => {
      lastStop.delete(s.id);
      forSession(s, (v) => v.onEnd());
    }),
    events.onDidStart((s) => {
      for (const v of views) if (v.ended) v.adopt(s);
    }),
  ];

  return new vscode.Disposable(() => {
    for (const d of disposables) d.dispose();
    for (const v of [...views]) v.dispose();
  });
}

/**
 * What the extension's views learn from DMA Lab debug sessions: one DAP tracker per `dmalab`
 * session turns the adapter's messages into a few typed events (session started and ended,
 * stopped, continued, a finding, memory changed). The panel, the memory view and the Problems
 * diagnostics subscribe here instead of each tracking sessions on their own.
 */
import * as vscode from 'vscode';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { FindingJson } from '../emulator/kernel/findings';

export interface StopInfo {
  session: vscode.DebugSession;
  reason: string;
  description?: string;
}

export class DebugEvents implements vscode.Disposable {
  private readonly started = new vscode.EventEmitter<vscode.DebugSession>();
  private readonly ended = new vscode.EventEmitter<vscode.DebugSession>();
  private readonly stopped = new vscode.EventEmitter<StopInfo>();
  private readonly continued = new vscode.EventEmitter<vscode.DebugSession>();
  private readonly finding = new vscode.EventEmitter<{ session: vscode.DebugSession; finding: FindingJson }>();
  private readonly memory = new vscode.EventEmitter<{ session: vscode.DebugSession; memoryReference: string }>();
  private readonly disposables: vscode.Disposable[];
  /** Every live DMA Lab session, oldest first, with whether it is stopped now. */
  private readonly live = new Map<vscode.DebugSession, { paused: boolean }>();

  /** A DMA Lab session started (before its first stop). */
  readonly onDidStart = this.started.event;
  readonly onDidEnd = this.ended.event;
  readonly onDidStop = this.stopped.event;
  readonly onDidContinue = this.continued.event;
  readonly onDidReportFinding = this.finding.event;
  /** Memory changed while the program ran or by a write from the debugger (a stop is announced by onDidStop). */
  readonly onDidChangeMemory = this.memory.event;

  constructor() {
    this.disposables = [
      this.started, this.ended, this.stopped, this.continued, this.finding, this.memory,
      vscode.debug.registerDebugAdapterTrackerFactory('dmalab', { createDebugAdapterTracker: (s) => this.tracker(s) }),
    ];
  }

  /** The session the views show: the most recently started one still alive. */
  get session(): vscode.DebugSession | undefined {
    return [...this.live.keys()].pop();
  }

  /** Whether `session` (default: the current one) is stopped: snapshots are exact, no throttling. */
  isStopped(session = this.session): boolean {
    return !!session && !!this.live.get(session)?.paused;
  }

  private tracker(session: vscode.DebugSession): vscode.DebugAdapterTracker {
    const setPaused = (paused: boolean) => {
      const st = this.live.get(session);
      if (st) st.paused = paused;
    };
    return {
      onWillStartSession: () => {
        this.live.set(session, { paused: false });
        this.started.fire(session);
      },
      onDidSendMessage: (m: DebugProtocol.ProtocolMessage) => {
        if (m.type !== 'event') return;
        const e = m as DebugProtocol.Event;
        switch (e.event) {
          case 'stopped': {
            const b = (e as DebugProtocol.StoppedEvent).body;
            setPaused(true);
            this.stopped.fire({ session, reason: b.reason, description: b.description });
            break;
          }
          case 'continued':
            setPaused(false);
            this.continued.fire(session);
            break;
          case 'dmalab.finding':
            this.finding.fire({ session, finding: e.body as FindingJson });
            break;
          case 'memory':
            this.memory.fire({ session, memoryReference: (e as DebugProtocol.MemoryEvent).body.memoryReference });
            break;
        }
      },
      onWillReceiveMessage: (m: DebugProtocol.ProtocolMessage) => {
        // the client resumed the program: DAP sends no `continued` event for a request it made
        const r = m as DebugProtocol.Request;
        if (m.type === 'request' && ['continue', 'next', 'stepIn', 'stepOut', 'restart'].includes(r.command) && this.live.get(session)?.paused) {
          setPaused(false);
          this.continued.fire(session);
        }
      },
      onWillStopSession: () => this.end(session),
      onExit: () => this.end(session),
    };
  }

  private end(session: vscode.DebugSession): void {
    if (!this.live.delete(session)) return;
    this.ended.fire(session);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

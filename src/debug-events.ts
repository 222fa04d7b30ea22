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
  private readonly memory = new vscode.EventEmitter<{ session: vscode.DebugSession; memoryReference?: string }>();
  private readonly disposables: vscode.Disposable[];
  /** The DMA Lab session the views show: the most recently started one still alive. */
  private current: vscode.DebugSession | undefined;
  /** Whether `current` is stopped (snapshots are exact) or running (views refresh throttled). */
  private paused = false;

  /** A DMA Lab session started (before its first stop). */
  readonly onDidStart = this.started.event;
  readonly onDidEnd = this.ended.event;
  readonly onDidStop = this.stopped.event;
  readonly onDidContinue = this.continued.event;
  readonly onDidReportFinding = this.finding.event;
  /** Memory changed: a write from the debugger, a transfer, or a stop (every stop may change memory). */
  readonly onDidChangeMemory = this.memory.event;

  constructor() {
    this.disposables = [
      this.started, this.ended, this.stopped, this.continued, this.finding, this.memory,
      vscode.debug.registerDebugAdapterTrackerFactory('dmalab', { createDebugAdapterTracker: (s) => this.tracker(s) }),
    ];
  }

  get session(): vscode.DebugSession | undefined {
    return this.current;
  }

  get isStopped(): boolean {
    return !!this.current && this.paused;
  }

  private tracker(session: vscode.DebugSession): vscode.DebugAdapterTracker {
    return {
      onWillStartSession: () => {
        this.current = session;
        this.paused = false;
        this.started.fire(session);
      },
      onDidSendMessage: (m: DebugProtocol.ProtocolMessage) => {
        if (m.type !== 'event') return;
        const e = m as DebugProtocol.Event;
        switch (e.event) {
          case 'stopped': {
            const b = (e as DebugProtocol.StoppedEvent).body;
            if (session === this.current) this.paused = true;
            this.stopped.fire({ session, reason: b.reason, description: b.description });
            this.memory.fire({ session });
            break;
          }
          case 'continued':
            if (session === this.current) this.paused = false;
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
        if (m.type === 'request' && ['continue', 'next', 'stepIn', 'stepOut', 'restart'].includes(r.command) && session === this.current) {
          this.paused = false;
          this.continued.fire(session);
        }
      },
      onWillStopSession: () => this.end(session),
      onExit: () => this.end(session),
    };
  }

  private end(session: vscode.DebugSession): void {
    if (session !== this.current) return;
    this.current = undefined;
    this.paused = false;
    this.ended.fire(session);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

/**
 * A Chrome DevTools Protocol client for one worker thread, through the in-process inspector and
 * its NodeWorker domain: the adapter's thread stays free while the worker runs or is paused.
 */
import { EventEmitter } from 'events';
import * as inspector from 'inspector';
import type { Worker } from 'worker_threads';

export class CdpError extends Error {
  constructor(
    readonly method: string,
    message: string,
  ) {
    super(`${method}: ${message}`);
  }
}

export class WorkerCdp extends EventEmitter {
  private readonly session = new inspector.Session();
  private sessionId?: string;
  private nextId = 1;
  private pending = new Map<number, { method: string; resolve: (r: unknown) => void; reject: (e: Error) => void }>();
  private threadId = -1;
  private attached?: () => void;
  private closed = false;

  constructor() {
    super();
    this.session.connect();
    this.session.on('NodeWorker.attachedToWorker', (m: { params: { sessionId: string; workerInfo: { workerId: string; title?: string } } }) => {
      // workerId numbers workers per session; Node titles a worker "[worker <threadId>]"
      const thread = /\[worker (\d+)\]/.exec(m.params.workerInfo.title ?? '');
      if ((thread ? Number(thread[1]) : Number(m.params.workerInfo.workerId)) !== this.threadId || this.sessionId) return;
      this.sessionId = m.params.sessionId;
      this.attached?.();
    });
    this.session.on('NodeWorker.detachedFromWorker', (m: { params: { sessionId: string } }) => {
      if (m.params.sessionId === this.sessionId) this.close();
    });
    this.session.on('NodeWorker.receivedMessageFromWorker', (m: { params: { sessionId: string; message: string } }) => {
      if (m.params.sessionId !== this.sessionId) return;
      const msg = JSON.parse(m.params.message) as { id?: number; method?: string; params?: unknown; result?: unknown; error?: { message: string } };
      if (msg.id !== undefined) {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        if (msg.error) p.reject(new CdpError(p.method, msg.error.message));
        else p.resolve(msg.result);
      } else if (msg.method) this.emit('event', msg.method, msg.params);
    });
  }

  /** Start a worker (created by `spawn` while waiting for a debugger) and attach to it. */
  async attach(spawn: () => Worker): Promise<Worker> {
    await new Promise<void>((resolve, reject) => this.session.post('NodeWorker.enable', { waitForDebuggerOnStart: true }, (e) => (e ? reject(e) : resolve())));
    const attached = new Promise<void>((r) => (this.attached = r));
    const worker = spawn();
    this.threadId = worker.threadId;
    await attached;
    return worker;
  }

  send<T = Record<string, unknown>>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    if (this.closed || !this.sessionId) return Promise.reject(new CdpError(method, 'the debuggee is gone'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { method, resolve: resolve as (r: unknown) => void, reject });
      this.session.post('NodeWorker.sendMessageToWorker', { sessionId: this.sessionId, message: JSON.stringify({ id, method, params }) });
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.pending.values()) p.reject(new CdpError(p.method, 'the debuggee is gone'));
    this.pending.clear();
    try {
      this.session.disconnect();
    } catch {
      /* already gone */
    }
    this.emit('closed');
  }
}

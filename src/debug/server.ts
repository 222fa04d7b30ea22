/**
 * `dmalab dap`: the debug adapter as a standalone program, on stdio or on a TCP port bound to
 * 127.0.0.1 (one session per connection), so nvim-dap, Emacs and other DAP clients can use it.
 */
import * as net from 'net';
import * as path from 'path';
import { DmaLabSession } from './session';
import { packageRoot } from '../../emulator/runner/package-root';

/** The built worker the sessions run scripts in. */
export function workerFile(): string {
  return path.join(packageRoot(), 'dist', 'debug-worker.js');
}

export function serveStdio(): void {
  const session = new DmaLabSession(workerFile());
  session.setRunAsServer(false);
  session.start(process.stdin, process.stdout);
}

export function servePort(port: number, onListening: (port: number) => void): net.Server {
  const server = net.createServer((socket) => {
    // DAP messages are small and interactive: no Nagle delay (it cost ~40 ms per step)
    socket.setNoDelay(true);
    const session = new DmaLabSession(workerFile());
    session.setRunAsServer(true);
    session.start(socket, socket);
    socket.on('error', () => socket.destroy());
  });
  server.listen(port, '127.0.0.1', () => onListening((server.address() as net.AddressInfo).port));
  return server;
}

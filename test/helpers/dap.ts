/** Start `dmalab dap --port 0` as a child process and connect a DebugClient to it. */
import { spawn, ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { DebugClient } from '@vscode/debugadapter-testsupport';

export const root = path.join(__dirname, '..', '..');

export interface Adapter {
  dc: DebugClient;
  proc: ChildProcess;
  stop(): Promise<void>;
}

export async function startAdapter(): Promise<Adapter> {
  const proc = spawn(process.execPath, [path.join(root, 'bin', 'dmalab.js'), 'dap', '--port', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    proc.on('exit', (code) => reject(new Error(`dmalab dap exited with ${code}: ${out}`)));
  });
  const dc = new DebugClient('node', 'unused', 'dmalab');
  dc.defaultTimeout = 20000;
  await dc.start(port);
  return {
    dc,
    proc,
    async stop() {
      await dc.stop().catch(() => undefined);
      proc.kill();
    },
  };
}

export const example = (name: string) => path.join(root, 'examples', name);

/** The 1-based line of the first line of `file` containing `text`. */
export function lineOf(file: string, text: string): number {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const i = lines.findIndex((l) => l.includes(text));
  if (i < 0) throw new Error(`"${text}" not in ${file}`);
  return i + 1;
}

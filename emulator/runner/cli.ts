/**
 * `dmalab`: the command line. `dmalab run SCRIPT` runs a driver script headless and prints the log
 * and the findings; exit status 0 (clean), 1 (a finding of severity error), 2 (script or setup error).
 */
import * as fs from 'fs';
import { runScript } from './run';
import { formatJson, formatText } from './report';
import { toChromeTrace } from '../trace/chrome-trace';
import { builtinPlatforms, DEFAULT_PLATFORM } from './platforms';
import { servePort, serveStdio } from '../../src/debug/server';
import { startLanguageServer } from '../../src/language/server/server';

const USAGE = `usage: dmalab run SCRIPT [--platform NAME|FILE.dts] [--trace FILE] [--seed N] [--json] [--verbose]
       dmalab dap [--port N]
       dmalab lsp --stdio
       dmalab platforms

  run        run a driver script on an emulated platform and report DMA-API findings
             exit status: 0 clean, 1 findings of severity error, 2 script or setup error
  dap        serve the debug adapter (Debug Adapter Protocol) on stdio, or on 127.0.0.1:N with --port
  lsp        serve the devicetree language server (Language Server Protocol) on stdio
  platforms  list the built-in platforms

  --platform  built-in platform name or a .dts file (default: ${DEFAULT_PLATFORM})
  --trace     write the event trace as Chrome trace-event JSON (open it in https://ui.perfetto.dev)
  --seed      seed for everything random in the run (default 1)
  --json      print one JSON report instead of text
  --verbose   include debug lines and full stacks
  --no-checks run without the DMA-API checker (hardware behaviour only)
  --port      dap: listen on 127.0.0.1 at this port (0: any free port, printed on stdout)`;

interface Args {
  cmd?: string;
  script?: string;
  platform?: string;
  trace?: string;
  seed: number;
  json: boolean;
  verbose: boolean;
  checks: boolean;
  port?: number;
}

class UsageError extends Error {}

export function parseArgs(argv: string[]): Args {
  const a: Args = { seed: 1, json: false, verbose: false, checks: true };
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const eq = arg.indexOf('=');
      if (eq > 0) return arg.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${arg} needs a value`);
      return v;
    };
    const name = arg.split('=')[0];
    if (name === '--platform' || name === '-p') a.platform = value();
    else if (name === '--trace') a.trace = value();
    else if (name === '--seed') {
      const v = value();
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new UsageError(`--seed must be an integer in 0..4294967295, got "${v}"`);
      a.seed = n;
    } else if (name === '--port') {
      const v = value();
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--port must be an integer in 0..65535, got "${v}"`);
      a.port = n;
    } else if (arg === '--json') a.json = true;
    else if (arg === '--verbose' || arg === '-v') a.verbose = true;
    else if (arg === '--no-checks') a.checks = false;
    else if (arg === '--help' || arg === '-h') a.cmd = 'help';
    else if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}`);
    else rest.push(arg);
  }
  if (!a.cmd) a.cmd = rest.shift();
  a.script = rest.shift();
  if (rest.length) throw new UsageError(`unexpected argument ${rest[0]}`);
  return a;
}

/** `dmalab lsp --stdio`: the devicetree language server, until the client exits or closes stdin. */
function serveLsp(args: string[]): Promise<number> | number {
  const bad = args.find((x) => x !== '--stdio');
  if (bad !== undefined) {
    process.stderr.write(`dmalab lsp: unexpected argument ${bad} (the server speaks LSP on stdio: dmalab lsp --stdio)\n`);
    return 2;
  }
  console.log = console.error; // stdout carries the protocol
  startLanguageServer(process.stdin, process.stdout);
  return new Promise<number>((resolve) => process.stdin.on('end', () => resolve(0)));
}

export async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'lsp') return serveLsp(argv.slice(1));
  let a: Args;
  try {
    a = parseArgs(argv);
  } catch (e) {
    process.stderr.write(`dmalab: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (!a.cmd || a.cmd === 'help') {
    process.stdout.write(USAGE + '\n');
    return a.cmd ? 0 : 2;
  }
  if (a.cmd === 'dap') {
    if (a.script) {
      process.stderr.write(`dmalab dap: unexpected argument ${a.script}\n`);
      return 2;
    }
    if (a.port === undefined) serveStdio();
    else servePort(a.port, (p) => process.stdout.write(`dmalab dap: listening on 127.0.0.1:${p}\n`));
    return new Promise<number>(() => undefined); // serve until killed
  }
  if (a.cmd === 'platforms') {
    process.stdout.write(builtinPlatforms().join('\n') + '\n');
    return 0;
  }
  if (a.cmd !== 'run') {
    process.stderr.write(`dmalab: unknown command "${a.cmd}"\n${USAGE}\n`);
    return 2;
  }
  if (!a.script) {
    process.stderr.write(`dmalab run: which script? ${USAGE.split('\n')[0]}\n`);
    return 2;
  }
  if (!fs.existsSync(a.script)) {
    process.stderr.write(`dmalab run: ${a.script}: no such file\n`);
    return 2;
  }
  const r = await runScript({ script: a.script, platform: a.platform, seed: a.seed, checks: a.checks });
  if (a.trace && r.kernel) {
    try {
      fs.writeFileSync(a.trace, JSON.stringify(toChromeTrace(r.kernel.trace.events, `dmalab run ${a.script} on ${r.platform?.name}`)));
    } catch (e) {
      process.stderr.write(`dmalab: cannot write trace ${a.trace}: ${(e as Error).message}\n`);
      return 2;
    }
  }
  process.stdout.write((a.json ? formatJson(r) : formatText(r, { color: process.stdout.isTTY === true, verbose: a.verbose })) + '\n');
  return r.exitCode;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`dmalab: internal error: ${(e as Error).stack ?? e}\n`);
      process.exitCode = 2;
    },
  );
}

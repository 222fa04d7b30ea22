/**
 * Prepares the machine for the end-to-end suite, idempotently:
 *  - the Debian packages it needs (Chromium to drive, ripgrep and the Kerberos headers and a C++
 *    toolchain for code-server's native modules): installed with apt-get when missing and we are
 *    root, otherwise a failure that prints the exact command to run;
 *  - code-server (pinned, the last release for Node 20) in `.e2e/code-server/` of the project,
 *    installed the way it works offline-ish here (see ../shared/DESIGN.md), skipped when a
 *    complete install of that version is already there.
 *
 * Run: `node -r esbuild-register test/e2e/setup.ts` (part of `npm run test:e2e`).
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export const CODE_SERVER_VERSION = '4.100.3';
export const root = path.resolve(__dirname, '..', '..');
export const cacheDir = path.join(root, '.e2e');
export const codeServerDir = path.join(cacheDir, 'code-server');
export const codeServerPackage = path.join(codeServerDir, 'node_modules', 'code-server');
export const codeServerEntry = path.join(codeServerPackage, 'out', 'node', 'entry.js');
const marker = path.join(codeServerDir, '.installed.json');

/** Chromium as Debian ships it; DMALAB_E2E_CHROMIUM overrides. */
export function chromiumPath(): string {
  return process.env.DMALAB_E2E_CHROMIUM || which('chromium') || '/usr/bin/chromium';
}

function which(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() || undefined : undefined;
}

interface Requirement {
  /** Debian package that provides it. */
  pkg: string;
  why: string;
  present(): boolean;
}

const REQUIREMENTS: Requirement[] = [
  { pkg: 'chromium', why: 'the browser the suite drives', present: () => !!process.env.DMALAB_E2E_CHROMIUM || !!which('chromium') },
  { pkg: 'ripgrep', why: "code-server's search (its own download is not possible offline)", present: () => !!which('rg') },
  { pkg: 'libkrb5-dev', why: "code-server's kerberos native module", present: () => fs.existsSync('/usr/include/gssapi/gssapi.h') || fs.existsSync('/usr/include/krb5.h') },
  { pkg: 'g++', why: "building code-server's native modules", present: () => !!which('g++') },
  { pkg: 'make', why: "building code-server's native modules", present: () => !!which('make') },
  { pkg: 'python3', why: 'node-gyp', present: () => !!which('python3') },
];

function log(m: string): void {
  process.stdout.write(`[e2e setup] ${m}\n`);
}

export function ensureDebianPackages(): void {
  const missing = REQUIREMENTS.filter((r) => !r.present());
  if (!missing.length) {
    log(`Debian packages present: ${REQUIREMENTS.map((r) => r.pkg).join(', ')}`);
    return;
  }
  const pkgs = missing.map((r) => r.pkg);
  const command = `apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y ${pkgs.join(' ')}`;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !which('apt-get')) {
    const list = missing.map((r) => `  ${r.pkg}: ${r.why}`).join('\n');
    throw new Error(`the end-to-end tests need these Debian packages:\n${list}\nInstall them as root:\n  ${command}`);
  }
  log(`installing ${pkgs.join(' ')}`);
  execFileSync('sh', ['-c', command], { stdio: 'inherit' });
  const still = REQUIREMENTS.filter((r) => !r.present());
  if (still.length) throw new Error(`still missing after apt-get: ${still.map((r) => r.pkg).join(', ')}`);
}

export function codeServerInstalled(): boolean {
  try {
    const m = JSON.parse(fs.readFileSync(marker, 'utf8')) as { version?: string };
    const pj = JSON.parse(fs.readFileSync(path.join(codeServerPackage, 'package.json'), 'utf8')) as { version?: string };
    return (
      m.version === CODE_SERVER_VERSION &&
      pj.version === CODE_SERVER_VERSION &&
      fs.existsSync(codeServerEntry) &&
      fs.existsSync(path.join(codeServerPackage, 'lib', 'vscode', 'node_modules.asar')) &&
      fs.existsSync(path.join(codeServerPackage, 'lib', 'vscode', 'node_modules', '@vscode', 'ripgrep', 'bin', 'rg'))
    );
  } catch {
    return false;
  }
}

function npm(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): void {
  log(`(${path.relative(root, cwd) || '.'}) npm ${args.join(' ')}`);
  execFileSync('npm', args, { cwd, stdio: 'inherit', env: { ...process.env, ...env } });
}

/** code-server@CODE_SERVER_VERSION in .e2e/code-server, the steps of ../shared/DESIGN.md. */
export function ensureCodeServer(): void {
  if (codeServerInstalled()) {
    log(`code-server ${CODE_SERVER_VERSION} already installed in ${path.relative(root, codeServerDir)}`);
    return;
  }
  log(`installing code-server ${CODE_SERVER_VERSION} into ${path.relative(root, codeServerDir)} (a few minutes, once)`);
  fs.rmSync(codeServerDir, { recursive: true, force: true });
  fs.mkdirSync(codeServerDir, { recursive: true });
  // its own package.json, so npm installs here and never touches the project's
  fs.writeFileSync(path.join(codeServerDir, 'package.json'), JSON.stringify({ name: 'dmalab-e2e-code-server', private: true }, null, 2));
  npm(['install', '--ignore-scripts', '--no-audit', '--no-fund', `code-server@${CODE_SERVER_VERSION}`], codeServerDir);
  const vscodeDir = path.join(codeServerPackage, 'lib', 'vscode');
  npm(['install', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], vscodeDir);
  // @vscode/ripgrep would download its binary; Debian's does the job
  const rgDir = path.join(vscodeDir, 'node_modules', '@vscode', 'ripgrep', 'bin');
  fs.mkdirSync(rgDir, { recursive: true });
  fs.copyFileSync(which('rg')!, path.join(rgDir, 'rg'));
  fs.chmodSync(path.join(rgDir, 'rg'), 0o755);
  // native modules, then code-server's own postinstall (node_modules.asar, the remote CLI links)
  npm(['rebuild', '--unsafe-perm'], vscodeDir, { npm_config_yes: 'true' });
  npm(['rebuild', '--unsafe-perm'], codeServerDir, { npm_config_yes: 'true' });
  if (!fs.existsSync(path.join(vscodeDir, 'node_modules.asar'))) fs.symlinkSync('node_modules', path.join(vscodeDir, 'node_modules.asar'));
  fs.writeFileSync(marker, JSON.stringify({ version: CODE_SERVER_VERSION, installedAt: new Date().toISOString() }, null, 2));
  if (!codeServerInstalled()) throw new Error(`code-server ${CODE_SERVER_VERSION} did not install completely in ${codeServerDir}`);
  log('code-server installed');
}

export function setup(): void {
  if (Number(process.versions.node.split('.')[0]) !== 20) {
    throw new Error(`code-server ${CODE_SERVER_VERSION} needs Node.js 20 (this is ${process.version})`);
  }
  ensureDebianPackages();
  ensureCodeServer();
}

if (require.main === module) {
  try {
    setup();
  } catch (e) {
    process.stderr.write(`[e2e setup] ${(e as Error).message}\n`);
    process.exit(1);
  }
}

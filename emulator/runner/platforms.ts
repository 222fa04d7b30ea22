/**
 * Platforms by name or file: the built-in `.dts` files under platforms/, or any devicetree source
 * the user points at. Parse errors and model errors come back as positioned diagnostics.
 */
import * as fs from 'fs';
import * as path from 'path';
import { loadDeviceTree, formatDiagnostic } from '../platform/dts';
import type { Diagnostic } from '../platform/dts';
import { buildPlatform, Platform } from '../platform/model';
import { DEVICE_MODEL_NAMES } from '../devices/registry';
import { packageRoot } from './package-root';

export const DEFAULT_PLATFORM = 'arm64-smmu-noncoherent';

export function builtinPlatforms(): string[] {
  const dir = path.join(packageRoot(), 'platforms');
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.dts'))
    .map((f) => f.slice(0, -4))
    .sort();
}

export class PlatformError extends Error {
  constructor(
    message: string,
    readonly diagnostics: Diagnostic[] = [],
  ) {
    super(message);
    this.name = 'PlatformError';
  }
}

/** Resolve `nameOrFile` to a .dts path: a file that exists, or a built-in name. */
export function platformFile(nameOrFile: string): string {
  if (/\.dtsi?$/.test(nameOrFile) || nameOrFile.includes('/') || nameOrFile.includes(path.sep)) {
    const abs = path.resolve(nameOrFile);
    if (!fs.existsSync(abs)) throw new PlatformError(`platform file not found: ${nameOrFile}`);
    return abs;
  }
  const file = path.join(packageRoot(), 'platforms', `${nameOrFile}.dts`);
  if (!fs.existsSync(file)) throw new PlatformError(`unknown platform "${nameOrFile}"; built-in platforms: ${builtinPlatforms().join(', ')} (or give a .dts file)`);
  return file;
}

/** Load and model a platform. Throws PlatformError listing every error diagnostic (file:line:col). */
export function loadPlatform(nameOrFile: string): Platform {
  const file = platformFile(nameOrFile);
  const text = fs.readFileSync(file, 'utf8');
  const tree = loadDeviceTree(text, file, {
    readFile: (p) => {
      try {
        return fs.readFileSync(p, 'utf8');
      } catch {
        return undefined;
      }
    },
    includeDirs: [path.dirname(file), path.join(packageRoot(), 'platforms')],
  });
  const name = path.basename(file).replace(/\.dtsi?$/, '');
  const platform = buildPlatform(tree, file, name, { deviceModels: DEVICE_MODEL_NAMES });
  const errors = platform.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) {
    throw new PlatformError(`${errors.length} error${errors.length > 1 ? 's' : ''} in platform ${name}:\n${errors.map((d) => formatDiagnostic(d)).join('\n')}`, errors);
  }
  return platform;
}

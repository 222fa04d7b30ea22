/**
 * What a script imports from `dmalab/*` that does not exist, found in the bundle before the script
 * runs. esbuild leaves `dmalab/*` external and cannot know what those modules export, so without
 * this a misspelt name fails only when its line runs, as "(0 , import_linux.dma_mapping_eror) is
 * not a function". Type-only imports (interfaces, types) are erased by then and never seen.
 */
import type { SourceLocation } from '../kernel/findings';
import { originalLocation, type Bundle } from './bundle';

export interface ImportProblem {
  message: string;
  location?: SourceLocation;
}

/** esbuild's CommonJS form of an import: `var import_linux = require("dmalab/linux");` (or wrapped in __toESM). */
const BINDING = /\bvar ([\w$]+) = (?:__toESM\()?require\("(dmalab(?:\/[^"]*)?)"\)/g;

/** Properties esbuild's interop reads itself. */
const INTEROP = new Set(['__esModule', 'default']);

export function apiImportProblems(b: Bundle, modules: Record<string, object>): ImportProblem[] {
  const problems: ImportProblem[] = [];
  const known = Object.keys(modules).sort();
  // the bindings' uses are looked for in code only: a string that mentions import_linux.foo is not a use
  const code = codeOnly(b.code);
  for (const m of b.code.matchAll(BINDING)) {
    if (!code.startsWith('var ', m.index)) continue; // inside a string or a comment
    const [, binding, spec] = m;
    const at = (index: number): SourceLocation | undefined => {
      const before = b.code.slice(0, index);
      const line = before.split('\n').length;
      return originalLocation(b, line, index - before.lastIndexOf('\n'));
    };
    const mod = modules[spec];
    if (!mod) {
      problems.push({ message: `${spec} is not a DMA Lab module (there are ${known.join(', ')})`, location: at(m.index!) });
      continue;
    }
    const seen = new Set<string>();
    for (const u of code.matchAll(new RegExp(`(?<![\\w$.])${binding.replace(/\$/g, '\\$')}\\.([A-Za-z_$][\\w$]*)`, 'g'))) {
      const name = u[1];
      if (seen.has(name) || name in mod || INTEROP.has(name)) continue;
      seen.add(name);
      const near = closest(name, Object.keys(mod));
      problems.push({ message: `${spec} has no export named ${name}${near ? ` (did you mean ${near}?)` : ''}`, location: at(u.index! + binding.length + 1) });
    }
  }
  return problems;
}

/**
 * `js` with the insides of string literals, the static parts of template literals and comments
 * blanked (same length, so positions hold); the `${...}` parts of templates stay code. Regular
 * expression literals are left as they are (esbuild's output of a driver script rarely has one
 * that mentions an import binding).
 */
export function codeOnly(js: string): string {
  const out = js.split('');
  /** For each open template literal, the brace depth its current `${` started at. */
  const templates: number[] = [];
  let depth = 0;
  const blank = (from: number, to: number): void => {
    for (let k = from; k < to; k++) if (out[k] !== '\n') out[k] = ' ';
  };
  let i = 0;
  /** Scan a template literal's static text from i (just after ` or }), up to its end or a `${`. */
  const templateText = (): void => {
    const start = i;
    while (i < js.length) {
      const c = js[i];
      if (c === '\\') i += 2;
      else if (c === '`') {
        blank(start, i);
        i++;
        return;
      } else if (c === '$' && js[i + 1] === '{') {
        blank(start, i);
        templates.push(depth);
        depth++;
        i += 2;
        return;
      } else i++;
    }
    blank(start, i);
  };
  while (i < js.length) {
    const c = js[i];
    if (c === '/' && js[i + 1] === '/') {
      const end = js.indexOf('\n', i);
      const stop = end < 0 ? js.length : end;
      blank(i, stop);
      i = stop;
    } else if (c === '/' && js[i + 1] === '*') {
      const end = js.indexOf('*/', i + 2);
      const stop = end < 0 ? js.length : end + 2;
      blank(i, stop);
      i = stop;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < js.length && js[j] !== c && js[j] !== '\n') j += js[j] === '\\' ? 2 : 1;
      blank(i + 1, j);
      i = j + 1;
    } else if (c === '`') {
      i++;
      templateText();
    } else if (c === '{') {
      depth++;
      i++;
    } else if (c === '}') {
      depth--;
      i++;
      if (templates.length && templates[templates.length - 1] === depth) {
        templates.pop();
        templateText();
      }
    } else i++;
  }
  return out.join('');
}

/** The export nearest to a misspelt name (edit distance at most a third of its length), if any. */
function closest(name: string, names: string[]): string | undefined {
  let best: string | undefined;
  let bestD = Math.max(1, Math.floor(name.length / 3)) + 1;
  for (const n of names) {
    if (Math.abs(n.length - name.length) >= bestD) continue;
    // case counts only between equally near names: dma_mapping_eror → dma_mapping_error, not DMA_MAPPING_ERROR
    const d = distance(name.toLowerCase(), n.toLowerCase()) + distance(name, n) / 1000;
    if (d < bestD) {
      best = n;
      bestD = d;
    }
  }
  return best;
}

/** Levenshtein distance. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

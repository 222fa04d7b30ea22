/**
 * The object a script's `import ... from 'dmalab/linux'` receives: every export of the API module,
 * plus `jiffies` as a live value.
 */
import * as linux from './linux/index';
import * as devices from './devices/index';
import * as ddi from './ddi/index';
import { get_jiffies } from './linux/sched';

/** Called before every API function a script calls, when a debugger watches calls by name. */
export type CallHook = (name: string) => void;

function face(ns: object, extra: (o: object) => void, hook?: CallHook): object {
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(ns)) {
    if (hook && typeof v === 'function' && /^[a-z_]/.test(k)) {
      const fn = v as (...a: unknown[]) => unknown;
      // a named wrapper: function breakpoints stop here, one frame above the script's call
      o[k] = {
        [k](this: unknown, ...args: unknown[]) {
          hook(k);
          return fn.apply(this, args);
        },
      }[k];
    } else o[k] = v;
  }
  extra(o);
  return Object.freeze(o);
}

/** The modules scripts may import, by specifier; with a hook, every API function reports its calls. */
export function apiModules(hook?: CallHook): Record<string, object> {
  return {
    'dmalab/linux': face(linux, (o) => Object.defineProperty(o, 'jiffies', { get: get_jiffies, enumerable: true }), hook),
    'dmalab/devices': face(devices, () => undefined),
    'dmalab/ddi': face(ddi, () => undefined, hook),
  };
}

/** Module specifiers scripts may import, and what they resolve to. */
export const API_MODULES: Record<string, object> = apiModules();

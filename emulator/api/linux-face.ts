/**
 * The object a script's `import ... from 'dmalab/linux'` receives: every export of the API module,
 * plus `jiffies` as a live value.
 */
import * as linux from './linux/index';
import * as devices from './devices/index';
import { get_jiffies } from './linux/sched';

function face(ns: object, extra: (o: object) => void): object {
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(ns)) o[k] = v;
  extra(o);
  return Object.freeze(o);
}

export const linuxFace = face(linux, (o) => Object.defineProperty(o, 'jiffies', { get: get_jiffies, enumerable: true }));
export const devicesFace = face(devices, () => undefined);

/** Module specifiers scripts may import, and what they resolve to. */
export const API_MODULES: Record<string, object> = {
  'dmalab/linux': linuxFace,
  'dmalab/devices': devicesFace,
};

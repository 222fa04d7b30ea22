/**
 * How the runner binds a DDI driver: `ddi_driver(...)` becomes a platform driver whose probe is
 * attach(dip, DDI_ATTACH) and whose remove is detach(dip, DDI_DETACH), so DDI drivers go through
 * the same matching, lifecycle and leak checks as Linux ones. Whatever detach leaves behind
 * (handles, mappings, interrupts, minor nodes) is logged and released; bound DMA handles keep
 * their mappings, which the DMA-API checker reports as leaks at remove.
 */
import type { PlatformDevice } from '../../kernel/driver-core';
import { DevInfo } from '../../kernel/ddi/devinfo';
import { DDI_ATTACH, DDI_DETACH, DDI_FAILURE, DDI_SUCCESS } from '../../kernel/ddi/consts';
import { ENXIO } from '../../kernel/errno';
import { platform_driver, type PlatformDriver } from '../linux/driver';
import { K } from '../current';
import { DDI_DRIVER, type DdiDriver } from './driver';

/** The major number of the script's DDI driver (one driver per run). */
const DDI_MAJOR = 200;

/** Whether a script's default export is a ddi_driver(...). */
export function isDdiDriver(x: unknown): x is DdiDriver {
  return !!x && typeof x === 'object' && (x as Record<symbol, unknown>)[DDI_DRIVER] === true;
}

function result(r: unknown): string {
  return r === DDI_SUCCESS ? 'DDI_SUCCESS' : r === DDI_FAILURE ? 'DDI_FAILURE' : String(r);
}

function releaseLeftovers(dip: DevInfo, when: string): void {
  const k = dip.k;
  for (const r of dip.held) {
    k.log(dip.dev, 'warn', `${dip.instanceName}: ${when} left ${r.what} behind`);
    r.release();
  }
  dip.held.clear();
}

/** A DDI driver as the platform driver the binder runs; anything else is returned unchanged. */
export function asPlatformDriver(x: unknown): PlatformDriver | unknown {
  if (!isDdiDriver(x)) return x;
  const spec = x;
  let instances = 0;
  const dips = new Map<PlatformDevice, DevInfo>();
  return platform_driver({
    name: spec.name,
    of_match_table: [...(spec.compatible as string[])],
    async probe(pdev: PlatformDevice): Promise<number> {
      const dip = new DevInfo(K(), pdev, instances++, spec.name, DDI_MAJOR, spec.cb_ops);
      const r = await spec.attach(dip, DDI_ATTACH);
      if (r === DDI_SUCCESS) {
        dips.set(pdev, dip);
        return 0;
      }
      dip.k.log(dip.dev, 'warn', `${dip.instanceName}: attach(DDI_ATTACH) returned ${result(r)}: the instance is not attached`);
      releaseLeftovers(dip, 'a failed attach');
      return -ENXIO;
    },
    async remove(pdev: PlatformDevice): Promise<void> {
      const dip = dips.get(pdev);
      if (!dip) return;
      dips.delete(pdev);
      if (spec.detach) {
        const r = await spec.detach(dip, DDI_DETACH);
        if (r !== DDI_SUCCESS) dip.k.log(dip.dev, 'warn', `${dip.instanceName}: detach(DDI_DETACH) returned ${result(r)}; the run ends, so the instance goes anyway`);
      }
      releaseLeftovers(dip, 'detach');
    },
  });
}

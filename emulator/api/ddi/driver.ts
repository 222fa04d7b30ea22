/**
 * The DDI driver model: `ddi_driver({ name, compatible, attach, detach, cb_ops })` declares a
 * driver whose attach(9E) runs for every devicetree node it matches and whose detach(9E) runs at the
 * end of the run; dev_info_t and its properties; character minor nodes with read(9E)/write(9E)
 * through uio(9S) and uiomove(9F).
 */
import { KernelOops } from '../../kernel/cpu';
import type { Ptr } from '../../kernel/ptr';
import { DevInfo } from '../../kernel/ddi/devinfo';
import { DDI_FAILURE, DDI_SUCCESS, S_IFCHR } from '../../kernel/ddi/consts';
import { CbOps, Cred, DevT, MinorNode, Uio, createMinorNode, getmajor as getmajorImpl, getminor as getminorImpl, makedevice as makedeviceImpl, uiomove as uiomoveImpl } from '../../kernel/ddi/minor';
import { K } from '../current';

/** `dev_info_t`: the device node a DDI driver is attached to (passed to attach and detach). */
export type dev_info_t = DevInfo;
/** `dev_t`: a device number, major and minor (see getminor). */
export type dev_t = DevT;
/** `cred_t`: the credentials of the caller of an entry point. */
export type cred_t = Cred;
/** `uio_t` (struct uio): the caller's buffer in read(9E)/write(9E): `uio_resid` bytes left, file offset `uio_loffset`. */
export type uio_t = Uio;
/** `struct cb_ops`: the character entry points (cb_open, cb_close, cb_read, cb_write); each returns 0 or a positive errno. */
export type cb_ops = CbOps;

/** What `ddi_driver` takes: the driver's name, the devicetree `compatible` strings it binds to, attach(9E), detach(9E) and optionally its cb_ops. */
export interface DdiDriverSpec {
  /** Driver name: instance names are name + instance number ("dad0"). */
  name: string;
  /** Devicetree `compatible` string(s) the driver binds to, e.g. 'dmalab,dad'. */
  compatible: string | string[];
  /** attach(9E): `cmd` is DDI_ATTACH; return DDI_SUCCESS or DDI_FAILURE. May be async. */
  attach(dip: dev_info_t, cmd: number): number | Promise<number>;
  /** detach(9E): `cmd` is DDI_DETACH; release what attach took, return DDI_SUCCESS. May be async. */
  detach?(dip: dev_info_t, cmd: number): number | Promise<number>;
  /** The character entry points served by the driver's minor nodes. */
  cb_ops?: CbOps;
}

/** The tag the runner recognises on a script's default export. */
export const DDI_DRIVER = Symbol.for('dmalab.ddi_driver');

/** A declared DDI driver (the script's default export). */
export interface DdiDriver extends DdiDriverSpec {
  readonly [DDI_DRIVER]: true;
}

/**
 * `ddi_driver({ name, compatible, attach, detach, cb_ops })`: declare a DDI driver. Export it as the
 * script's default export; the framework attaches it to every devicetree node whose `compatible`
 * matches (instances 0, 1...) and detaches it at the end of the run.
 */
export function ddi_driver(spec: DdiDriverSpec): DdiDriver {
  if (!spec || typeof spec !== 'object') throw new TypeError('ddi_driver(): expects { name, compatible, attach, detach }');
  if (typeof spec.name !== 'string' || !spec.name) throw new TypeError('ddi_driver(): `name` must be a non-empty string');
  const compat = typeof spec.compatible === 'string' ? [spec.compatible] : spec.compatible;
  if (!Array.isArray(compat) || compat.length === 0 || compat.some((c) => typeof c !== 'string' || !c)) throw new TypeError(`ddi_driver(${spec.name}): \`compatible\` must name at least one devicetree compatible, e.g. 'dmalab,dad'`);
  if (typeof spec.attach !== 'function') throw new TypeError(`ddi_driver(${spec.name}): \`attach\` must be a function`);
  if (spec.detach !== undefined && typeof spec.detach !== 'function') throw new TypeError(`ddi_driver(${spec.name}): \`detach\` must be a function`);
  if (spec.cb_ops !== undefined && (typeof spec.cb_ops !== 'object' || spec.cb_ops === null)) throw new TypeError(`ddi_driver(${spec.name}): \`cb_ops\` must be an object of entry points`);
  return Object.assign(Object.create(null), spec, { compatible: [...compat], [DDI_DRIVER]: true as const });
}

function dipArg(dip: unknown, fn: string): DevInfo {
  if (!(dip instanceof DevInfo)) throw new KernelOops(`${fn}(): the first argument must be the dev_info_t passed to attach, got ${String(dip)}`);
  return dip;
}

/** `ddi_get_instance(dip)`: the instance number (0 for the first node the driver attached). */
export function ddi_get_instance(dip: dev_info_t): number {
  return dipArg(dip, 'ddi_get_instance').instance;
}

/** `ddi_driver_name(dip)`: the driver's name. */
export function ddi_driver_name(dip: dev_info_t): string {
  return dipArg(dip, 'ddi_driver_name').driverName;
}

/** `ddi_node_name(dip)`: the devicetree node name ("dad@10000000"). */
export function ddi_node_name(dip: dev_info_t): string {
  return dipArg(dip, 'ddi_node_name').dev.nodeName;
}

/** `ddi_set_driver_private(dip, data)`: attach the driver's per-instance state to the node. */
export function ddi_set_driver_private(dip: dev_info_t, data: unknown): void {
  dipArg(dip, 'ddi_set_driver_private').driverPrivate = data;
}

/** `ddi_get_driver_private(dip)`: the state set with ddi_set_driver_private. */
export function ddi_get_driver_private<T = unknown>(dip: dev_info_t): T {
  return dipArg(dip, 'ddi_get_driver_private').driverPrivate as T;
}

/** `ddi_report_dev(dip)`: announce the attached device on the console ("dad0 at root: ..."). */
export function ddi_report_dev(dip: dev_info_t): void {
  const d = dipArg(dip, 'ddi_report_dev');
  K().log(undefined, 'info', `${d.instanceName} at root: ${d.dev.desc.node.path} (${d.dev.name})`);
}

/**
 * `ddi_create_minor_node(dip, name, spec_type, minor_num, node_type, flag)`: create a character
 * node served by the driver's cb_ops. The scenario opens it as `/dev/<name>`. DDI_SUCCESS or
 * DDI_FAILURE.
 */
export function ddi_create_minor_node(dip: dev_info_t, name: string, spec_type: number, minor_num: number, _node_type: string, _flag: number): number {
  const d = dipArg(dip, 'ddi_create_minor_node');
  if (typeof name !== 'string' || !name || name.includes('/')) throw new KernelOops(`ddi_create_minor_node(): invalid name ${String(name)}`);
  if (spec_type !== S_IFCHR) {
    K().log(d.dev, 'warn', `ddi_create_minor_node: only character nodes (S_IFCHR) are supported: DDI_FAILURE`);
    return DDI_FAILURE;
  }
  if (!Number.isInteger(minor_num) || minor_num < 0) throw new KernelOops(`ddi_create_minor_node(): invalid minor number ${String(minor_num)}`);
  const node = createMinorNode(d, name, minor_num);
  if (typeof node === 'string') {
    K().log(d.dev, 'warn', `ddi_create_minor_node: ${node}: DDI_FAILURE`);
    return DDI_FAILURE;
  }
  d.held.add(node);
  return DDI_SUCCESS;
}

/** `ddi_remove_minor_node(dip, name)`: remove the node `name`, or every node of the instance when `name` is null. */
export function ddi_remove_minor_node(dip: dev_info_t, name: string | null): void {
  const d = dipArg(dip, 'ddi_remove_minor_node');
  for (const r of [...d.held]) {
    if (r instanceof MinorNode && (name === null || r.name === name)) {
      r.release();
      d.held.delete(r);
    }
  }
}

/** `getminor(dev)`: the minor number of a dev_t (what ddi_create_minor_node was given). */
export function getminor(dev: dev_t): number {
  return getminorImpl(dev);
}

/** `getmajor(dev)`: the major number of a dev_t (one per driver). */
export function getmajor(dev: dev_t): number {
  return getmajorImpl(dev);
}

/** `makedevice(major, minor)`: build a dev_t. */
export function makedevice(major: number, minor: number): dev_t {
  return makedeviceImpl(major, minor);
}

/**
 * `uiomove(kaddr, n, rw, uio)`: copy up to `n` bytes between a kernel buffer and the caller of
 * read(9E) (UIO_READ: kernel → caller) or write(9E) (UIO_WRITE), advancing the uio. 0 or EFAULT.
 */
export function uiomove(kaddr: Ptr, n: number, rw: number, uio: uio_t): number {
  const k = K();
  return uiomoveImpl(kaddr, n, rw, uio, (user, kernel, len, toUser) => k.chardev.copy(user, kernel, len, toUser));
}

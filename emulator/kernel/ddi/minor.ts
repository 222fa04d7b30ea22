/**
 * Character minor nodes of a DDI driver (ddi_create_minor_node) and the uio(9S) its read(9E) and
 * write(9E) entry points move data through with uiomove(9F). A minor node named `dad` appears to
 * the scenario as /dev/dad; the system calls land in the driver's cb_ops, whose errno results
 * (positive, as in illumos) become the failed system call's error.
 */
import { KernelOops } from '../cpu';
import { EFAULT, EINVAL } from '../errno';
import type { File, FileOperations, MiscDevice, UserPtr } from '../chardev';
import type { Ptr } from '../ptr';
import type { DdiResource, DevInfo } from './devinfo';
import { NBITSMINOR, UIO_READ, UIO_WRITE } from './consts';

/** open(9E)/close(9E) flag: opened for reading. */
export const FREAD = 0x01;
/** open(9E)/close(9E) flag: opened for writing. */
export const FWRITE = 0x02;
/** open(9E) otyp of a character device. */
export const OTYP_CHR = 2;

/** cred_t: the credentials of the caller (the scenario runs as root). */
export interface Cred {
  readonly cr_uid: number;
  readonly cr_gid: number;
}

export const kcred: Cred = Object.freeze({ cr_uid: 0, cr_gid: 0 });

/** dev_t: major and minor number in one integer. */
export type DevT = number;

export function makedevice(major: number, minor: number): DevT {
  return major * 2 ** NBITSMINOR + minor;
}

export function getmajor(dev: DevT): number {
  return Math.floor(dev / 2 ** NBITSMINOR);
}

export function getminor(dev: DevT): number {
  return dev % 2 ** NBITSMINOR;
}

/** The character-device entry points of cb_ops(9S) a driver may provide. Results are 0 or a positive errno. */
export interface CbOps {
  cb_open?(dev: DevT, flag: number, otyp: number, credp: Cred): number | Promise<number>;
  cb_close?(dev: DevT, flag: number, otyp: number, credp: Cred): number | Promise<number>;
  cb_read?(dev: DevT, uiop: Uio, credp: Cred): number | Promise<number>;
  cb_write?(dev: DevT, uiop: Uio, credp: Cred): number | Promise<number>;
}

/** uio(9S): the caller's buffer, how much of it is left (uio_resid) and the file offset (uio_loffset). */
export class Uio {
  /** @internal bytes already moved */
  done = 0;

  constructor(
    /** @internal */ readonly user: UserPtr,
    public uio_resid: number,
    public uio_loffset: number,
    /** @internal */ readonly rw: number,
  ) {}
}

/** uiomove(9F): move up to `n` bytes between a kernel buffer and the uio; 0 or EFAULT. */
export function uiomove(kaddr: Ptr, n: number, rw: number, uio: Uio, copy: (user: UserPtr, kernel: Ptr, n: number, toUser: boolean) => number): number {
  if (!(uio instanceof Uio)) throw new KernelOops(`uiomove(): the last argument must be the uio_t passed to read(9E)/write(9E), got ${String(uio)}`);
  if (rw !== UIO_READ && rw !== UIO_WRITE) throw new KernelOops(`uiomove(): rw must be UIO_READ or UIO_WRITE, got ${String(rw)}`);
  if (!Number.isInteger(n) || n < 0) throw new KernelOops(`uiomove(): invalid length ${String(n)}`);
  const len = Math.min(n, uio.uio_resid);
  if (len === 0) return 0;
  const left = copy(uio.user.add(uio.done), kaddr, len, rw === UIO_READ);
  const moved = len - left;
  uio.done += moved;
  uio.uio_resid -= moved;
  uio.uio_loffset += moved;
  return left ? EFAULT : 0;
}

/** A minor node a driver created (held by its dev_info until ddi_remove_minor_node). */
export class MinorNode implements DdiResource {
  constructor(
    readonly name: string,
    readonly what: string,
    readonly release: () => void,
  ) {}
}

/** ddi_create_minor_node(): a /dev/<name> node served by the driver's cb_ops. Returns the node or an error text. */
export function createMinorNode(dip: DevInfo, name: string, minor: number): MinorNode | string {
  const k = dip.k;
  const ops = dip.cbOps ?? {};
  const dev = makedevice(dip.major, minor);
  const enter = async (fn: () => number | Promise<number>): Promise<number> => {
    const r = await fn();
    if (typeof r !== 'number' || !Number.isInteger(r) || r < 0) throw new KernelOops(`${dip.driverName}: a cb_ops entry point returned ${String(r)}: it must return 0 or a positive errno (EIO, EFAULT...)`);
    return r;
  };
  const fops: FileOperations = {
    open: async () => (ops.cb_open ? -(await enter(() => ops.cb_open!(dev, FREAD | FWRITE, OTYP_CHR, kcred))) : 0),
    release: async () => {
      if (ops.cb_close) await enter(() => ops.cb_close!(dev, FREAD | FWRITE, OTYP_CHR, kcred));
    },
  };
  const rw = (which: 'cb_read' | 'cb_write', dir: number) => async (_file: File, buf: UserPtr, count: number, ppos: { pos: number }): Promise<number> => {
    const entry = ops[which];
    if (!entry) return -EINVAL;
    const uio = new Uio(buf, count, ppos.pos, dir);
    const r = await enter(() => entry(dev, uio, kcred));
    if (r) return -r;
    ppos.pos = uio.uio_loffset;
    return uio.done;
  };
  if (ops.cb_read) fops.read = rw('cb_read', UIO_READ);
  if (ops.cb_write) fops.write = rw('cb_write', UIO_WRITE);
  const misc: MiscDevice = { name, minor, fops };
  const r = k.chardev.register(misc, dip.dev);
  if (r) return `cannot create /dev/${name} (${r})`;
  return new MinorNode(name, `minor node "${name}" (ddi_remove_minor_node)`, () => k.chardev.deregister(misc));
}

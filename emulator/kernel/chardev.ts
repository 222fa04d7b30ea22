/**
 * Character devices and the user side: misc devices registered by drivers appear as /dev/<name>;
 * the scenario's processes open them and make system calls that land in the driver's file
 * operations, with user buffers the driver reaches only through copy_to_user/copy_from_user.
 */
import { hex } from '../lib/hex';
import { KernelOops } from './cpu';
import type { Device } from './device';
import { EBUSY, EFAULT, EINVAL, ENODEV, ENOENT, errnoName } from './errno';
import type { Kernel } from './kernel';
import { PAGE_SIZE } from './page-alloc';
import type { Ptr } from './ptr';
import type { Task } from './task';

/** A pointer into a user process's memory (`void __user *`): only copy_to_user/copy_from_user may use it. */
export class UserPtr {
  constructor(
    /** @internal */ readonly proc: Process,
    /** @internal */ readonly uva: number,
  ) {}

  add(off: number): UserPtr {
    return new UserPtr(this.proc, this.uva + off);
  }

  get va(): bigint {
    return BigInt(this.uva);
  }

  toString(): string {
    return hex(this.uva);
  }
}

export interface FileOperations {
  open?(inode: unknown, file: File): number | Promise<number>;
  release?(inode: unknown, file: File): number | void | Promise<number | void>;
  read?(file: File, buf: UserPtr, count: number, ppos: { pos: number }): number | Promise<number>;
  write?(file: File, buf: UserPtr, count: number, ppos: { pos: number }): number | Promise<number>;
  unlocked_ioctl?(file: File, cmd: number, arg: number | bigint): number | Promise<number>;
}

export interface MiscDevice {
  name: string;
  minor?: number;
  fops: FileOperations;
  /** Set by misc_register: the device the driver registered it for (this_device). */
  parent?: Device;
}

/** struct file */
export interface File {
  private_data: unknown;
  f_pos: number;
  /** @internal */ misc: MiscDevice;
}

const USER_BASE = 0x7f00_0000_0000;

/** A user process: its task and its memory. */
export class Process {
  private areas: { uva: number; phys: number; len: number }[] = [];
  private brk = USER_BASE;

  constructor(
    readonly task: Task,
    private readonly k: Kernel,
  ) {}

  /** Allocate a user buffer. */
  alloc(len: number): UserPtr {
    const pages = Math.max(1, Math.ceil(len / PAGE_SIZE));
    const phys = this.k.pages.allocContig(pages, 0, 'user');
    if (phys < 0) throw new Error(`out of memory for a ${len}-byte user buffer`);
    const uva = this.brk;
    this.brk += (pages + 1) * PAGE_SIZE;
    this.areas.push({ uva, phys, len: pages * PAGE_SIZE });
    return new UserPtr(this, uva);
  }

  free(p: UserPtr): void {
    const i = this.areas.findIndex((a) => a.uva === p.uva);
    if (i < 0) return;
    this.k.pages.free(this.areas[i].phys);
    this.areas.splice(i, 1);
  }

  /** Kernel linear address of user bytes [uva, uva+len) if they are all mapped. */
  kvaOf(uva: number, len: number): number {
    const a = this.areas.find((x) => uva >= x.uva && uva + len <= x.uva + x.len);
    return a ? this.k.as.linearVa(a.phys + (uva - a.uva)) : -1;
  }
}

export class SyscallError extends Error {
  constructor(
    readonly errno: number,
    message: string,
  ) {
    super(message);
    this.name = 'SyscallError';
  }
}

export class CharDevices {
  private misc = new Map<string, MiscDevice>();
  private procs: Process[] = [];

  constructor(private readonly k: Kernel) {}

  register(m: MiscDevice, owner: Device | undefined): number {
    if (!m || typeof m.name !== 'string' || !m.fops) return -EINVAL;
    if (this.misc.has(m.name)) return -EBUSY;
    m.parent = owner;
    this.misc.set(m.name, m);
    return 0;
  }

  deregister(m: MiscDevice): void {
    if (this.misc.get(m?.name) === m) this.misc.delete(m.name);
  }

  /** A driver unbound without misc_deregister: the node goes away (and the kernel would oops on use). */
  forgetDevice(dev: Device): void {
    for (const [name, m] of this.misc) {
      if (m.parent === dev) {
        this.k.log(dev, 'warn', `misc device /dev/${name} still registered when the driver was removed (missing misc_deregister)`);
        this.misc.delete(name);
      }
    }
  }

  process(comm: string): Process {
    const p = new Process(this.k.drivers.tasks.create(comm), this.k);
    this.procs.push(p);
    return p;
  }

  async open(proc: Process, path: string): Promise<File> {
    const name = path.replace(/^\/dev\//, '');
    const m = this.misc.get(name);
    if (!path.startsWith('/dev/') || !m) throw new SyscallError(-ENOENT, `open("${path}"): ENOENT (registered: ${[...this.misc.keys()].map((n) => `/dev/${n}`).join(', ') || 'none'})`);
    const file: File = { private_data: m, f_pos: 0, misc: m };
    if (m.fops.open) {
      const r = await this.k.drivers.tasks.enter(proc.task, () => m.fops.open!({}, file));
      if (typeof r === 'number' && r < 0) throw new SyscallError(r, `open("${path}"): ${errnoName(r)}`);
    }
    return file;
  }

  async read(proc: Process, file: File, count: number): Promise<Uint8Array> {
    const fops = this.live(file).fops;
    if (!fops.read) throw new SyscallError(-EINVAL, `read: /dev/${file.misc.name} has no read operation`);
    const ubuf = proc.alloc(count);
    try {
      const ppos = { pos: file.f_pos };
      const r = await this.k.drivers.tasks.enter(proc.task, () => fops.read!(file, ubuf, count, ppos));
      if (typeof r !== 'number') throw new SyscallError(-EINVAL, `read: the driver's read() returned ${String(r)}, not a byte count`);
      if (r < 0) throw new SyscallError(r, `read(/dev/${file.misc.name}, ${count}): ${errnoName(r)}`);
      if (r > count) throw new SyscallError(-EFAULT, `read: the driver returned ${r} bytes for a ${count}-byte buffer`);
      file.f_pos = ppos.pos;
      const out = new Uint8Array(r);
      const kva = proc.kvaOf(ubuf.uva, r);
      if (r > 0) this.k.cache.cpuRead(this.k.as.translate(kva)!.phys, out, 0, r);
      return out;
    } finally {
      proc.free(ubuf);
    }
  }

  async write(proc: Process, file: File, data: Uint8Array): Promise<number> {
    const fops = this.live(file).fops;
    if (!fops.write) throw new SyscallError(-EINVAL, `write: /dev/${file.misc.name} has no write operation`);
    const ubuf = proc.alloc(data.length);
    try {
      const kva = proc.kvaOf(ubuf.uva, data.length);
      if (data.length) this.k.cache.cpuWrite(this.k.as.translate(kva)!.phys, data, 0, data.length);
      const ppos = { pos: file.f_pos };
      const r = await this.k.drivers.tasks.enter(proc.task, () => fops.write!(file, ubuf, data.length, ppos));
      if (typeof r !== 'number') throw new SyscallError(-EINVAL, `write: the driver's write() returned ${String(r)}, not a byte count`);
      if (r < 0) throw new SyscallError(r, `write(/dev/${file.misc.name}, ${data.length}): ${errnoName(r)}`);
      file.f_pos = ppos.pos;
      return r;
    } finally {
      proc.free(ubuf);
    }
  }

  async ioctl(proc: Process, file: File, cmd: number, arg: number | bigint): Promise<number> {
    const fops = this.live(file).fops;
    if (!fops.unlocked_ioctl) throw new SyscallError(-25, `ioctl: /dev/${file.misc.name} has no ioctl operation (ENOTTY)`);
    const r = await this.k.drivers.tasks.enter(proc.task, () => fops.unlocked_ioctl!(file, cmd, arg));
    if (typeof r === 'number' && r < 0) throw new SyscallError(r, `ioctl(/dev/${file.misc.name}, ${hex(cmd)}): ${errnoName(r)}`);
    return typeof r === 'number' ? r : 0;
  }

  async close(proc: Process, file: File): Promise<void> {
    const fops = file.misc.fops;
    if (fops.release) await this.k.drivers.tasks.enter(proc.task, () => fops.release!({}, file));
  }

  /** copy_to_user / copy_from_user: returns the number of bytes NOT copied. */
  copy(user: UserPtr, kernel: Ptr, n: number, toUser: boolean): number {
    if (!(user instanceof UserPtr)) throw new KernelOops(`copy_${toUser ? 'to' : 'from'}_user(): the user pointer is not a __user pointer (got ${String(user)})`);
    if (!Number.isInteger(n) || n < 0) throw new KernelOops(`copy_${toUser ? 'to' : 'from'}_user(): invalid length ${String(n)}`);
    let ok = n;
    while (ok > 0 && user.proc.kvaOf(user.uva, ok) < 0) ok = Math.max(0, Math.min(ok - 1, user.proc.kvaOf(user.uva, 1) < 0 ? 0 : ok - 1));
    if (ok === 0 && n > 0) return n;
    const buf = new Uint8Array(ok);
    const ukva = user.proc.kvaOf(user.uva, ok);
    if (toUser) {
      kernel.cpu.read(kernel.kva, buf, 0, ok);
      kernel.cpu.write(ukva, buf, 0, ok);
    } else {
      kernel.cpu.read(ukva, buf, 0, ok);
      kernel.cpu.write(kernel.kva, buf, 0, ok);
    }
    return n - ok;
  }

  private live(file: File): MiscDevice {
    if (!file || !file.misc || this.misc.get(file.misc.name) !== file.misc) throw new SyscallError(-ENODEV, `the device behind this file is gone`);
    return file.misc;
  }
}

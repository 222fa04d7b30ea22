/**
 * `sys`: the user-space side a scenario drives: processes that open /dev nodes the driver
 * registered and make system calls, plus sleeping in virtual time and logging.
 */
import type { Kernel } from '../kernel/kernel';
import type { File as KFile, Process } from '../kernel/chardev';

/** An open file of the scenario's process. */
export interface UserFile {
  /** read(2): up to `count` bytes. Throws (with the errno) when the driver returns an error. */
  read(count: number): Promise<Uint8Array>;
  /** write(2): returns the bytes the driver accepted. */
  write(data: Uint8Array | number[] | string): Promise<number>;
  /** ioctl(2) */
  ioctl(cmd: number, arg?: number | bigint): Promise<number>;
  close(): Promise<void>;
}

export interface Sys {
  /** open(2) a device node, e.g. `/dev/dad`. */
  open(path: string): Promise<UserFile>;
  /** Sleep in virtual time. */
  sleep(ms: number): Promise<void>;
  /** Virtual time now, in nanoseconds. */
  now(): number;
  /** A line in the run's log, from user space. */
  log(message: string): void;
  /** The platform's name. */
  readonly platform: string;
}

export function makeSys(k: Kernel): Sys {
  let proc: Process | undefined;
  const process = (): Process => (proc ??= k.chardev.process('scenario'));
  return {
    platform: k.platform.name,
    async open(path: string): Promise<UserFile> {
      const p = process();
      const f: KFile = await k.chardev.open(p, String(path));
      return {
        read: (count) => k.chardev.read(p, f, count),
        write: (data) => k.chardev.write(p, f, typeof data === 'string' ? new TextEncoder().encode(data) : Uint8Array.from(data)),
        ioctl: (cmd, arg = 0) => k.chardev.ioctl(p, f, cmd, arg),
        close: () => k.chardev.close(p, f),
      };
    },
    sleep: (ms) => k.waits.sleep(ms * 1e6, 'sys.sleep'),
    now: () => k.now,
    log: (message) => k.log(undefined, 'info', `user: ${message}`),
  };
}

/**
 * `sys`: the user-space side a scenario drives: processes that open /dev nodes the driver
 * registered and make system calls, plus sleeping in virtual time and logging.
 */
import type { Kernel } from '../kernel/kernel';
import type { File as KFile, Process } from '../kernel/chardev';
import { Nic, NicCounters } from '../devices/nic';

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

/**
 * The far end of a network card's link (`dmalab,nic`). `device` is the card's devicetree node name
 * (`nic`, `nic@10400000`), bus id or label.
 */
export interface Net {
  /**
   * Send a frame to the card: it arrives after its wire time at 10 Gb/s, behind the frames already
   * on the wire, whatever the driver is doing (it is dropped if the card's receiver is off or its
   * FIFO is full). Returns the virtual time (ns) the frame arrives.
   */
  send(device: string, frame: Uint8Array | number[] | string): number;
  /** The frames the card transmitted since the last call, oldest first. */
  transmitted(device: string): Uint8Array[];
  /** The card's counters: frames received into memory, dropped, received with an error, transmitted. */
  stats(device: string): NicCounters;
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
  /** The network: frames to and from `dmalab,nic` cards. */
  readonly net: Net;
}

export function makeSys(k: Kernel): Sys {
  let proc: Process | undefined;
  const process = (): Process => (proc ??= k.chardev.process('scenario'));
  const nics = new Map<string, Nic>();
  const nic = (device: string): Nic => {
    const known = nics.get(device);
    if (known) return known;
    const md = k.machine.deviceByName(String(device));
    if (!md) throw new Error(`sys.net: no device ${String(device)} on ${k.platform.name}`);
    if (!(md.model instanceof Nic)) throw new Error(`sys.net: ${md.desc.name} is not a network card (dmalab,nic)`);
    nics.set(device, md.model);
    return md.model;
  };
  const net: Net = {
    // the card keeps what it is given: a copy, so the scenario may reuse its array
    send: (device, frame) => nic(device).wireSend(typeof frame === 'string' ? new TextEncoder().encode(frame) : frame instanceof Uint8Array ? frame.slice() : Uint8Array.from(frame)),
    transmitted: (device) => nic(device).transmitted.splice(0).map((f) => f.data),
    stats: (device) => nic(device).stats(),
  };
  return {
    platform: k.platform.name,
    net,
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

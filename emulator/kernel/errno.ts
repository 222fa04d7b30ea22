/** Kernel error numbers (returned negated, as the kernel does). */
export const EPERM = 1;
export const ENOENT = 2;
export const EINTR = 4;
export const EIO = 5;
export const ENXIO = 6;
export const E2BIG = 7;
export const EAGAIN = 11;
export const ENOMEM = 12;
export const EFAULT = 14;
export const EBUSY = 16;
export const EEXIST = 17;
export const ENODEV = 19;
export const EINVAL = 22;
export const ENOSPC = 28;
export const ENOSYS = 38;
export const ETIMEDOUT = 110;
export const EPROBE_DEFER = 517;

const NAMES: Record<number, string> = {
  [EPERM]: 'EPERM', [ENOENT]: 'ENOENT', [EINTR]: 'EINTR', [EIO]: 'EIO', [ENXIO]: 'ENXIO', [E2BIG]: 'E2BIG', [EAGAIN]: 'EAGAIN',
  [ENOMEM]: 'ENOMEM', [EFAULT]: 'EFAULT', [EBUSY]: 'EBUSY', [EEXIST]: 'EEXIST', [ENODEV]: 'ENODEV', [EINVAL]: 'EINVAL',
  [ENOSPC]: 'ENOSPC', [ENOSYS]: 'ENOSYS', [ETIMEDOUT]: 'ETIMEDOUT', [EPROBE_DEFER]: 'EPROBE_DEFER',
};

export function errnoName(e: number): string {
  return NAMES[Math.abs(e)] ?? String(e);
}

/**
 * Error numbers (sys/errno.h) a DDI entry point returns, positive as in illumos: read(9E) returns
 * 0 or one of these, and the caller's system call fails with it.
 */
/** Operation not permitted. */
export const EPERM = 1;
/** No such file or directory. */
export const ENOENT = 2;
/** Interrupted system call. */
export const EINTR = 4;
/** I/O error: the device failed. */
export const EIO = 5;
/** No such device or address: no such instance. */
export const ENXIO = 6;
/** Resource temporarily unavailable. */
export const EAGAIN = 11;
/** Not enough memory. */
export const ENOMEM = 12;
/** Bad address: uiomove could not reach the caller's buffer. */
export const EFAULT = 14;
/** Device busy. */
export const EBUSY = 16;
/** No such device. */
export const ENODEV = 19;
/** Invalid argument. */
export const EINVAL = 22;

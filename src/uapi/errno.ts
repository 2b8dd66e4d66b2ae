/**
 * Linux x86-64 errno values used by the BPF subsystem, with their names.
 * Leaf module: no logic beyond lookup. Values are positive, as in userspace `errno`;
 * helpers return them negated in r0, as the kernel does.
 */
export const EPERM = 1;
export const ENOENT = 2;
export const ESRCH = 3;
export const EINTR = 4;
export const EIO = 5;
export const E2BIG = 7;
export const ENOEXEC = 8;
export const EBADF = 9;
export const EAGAIN = 11;
export const ENOMEM = 12;
export const EACCES = 13;
export const EFAULT = 14;
export const EBUSY = 16;
export const EEXIST = 17;
export const EXDEV = 18;
export const ENODEV = 19;
export const EINVAL = 22;
export const ENFILE = 23;
export const EMFILE = 24;
export const ENOSPC = 28;
export const ERANGE = 34;
export const EDEADLK = 35;
export const ENOSYS = 38;
export const ELOOP = 40;
export const ENOMSG = 42;
export const ENODATA = 61;
export const EPROTO = 71;
export const EOVERFLOW = 75;
export const EBADMSG = 74;
export const EOPNOTSUPP = 95;
export const ETIMEDOUT = 110;
export const ECANCELED = 125;
/** Kernel-internal "not supported" (distinct from EOPNOTSUPP); leaks to userspace from some BPF paths. */
export const ENOTSUPP = 524;

export const ERRNO_NAMES = {
  1: 'EPERM', 2: 'ENOENT', 3: 'ESRCH', 4: 'EINTR', 5: 'EIO', 7: 'E2BIG', 8: 'ENOEXEC', 9: 'EBADF',
  11: 'EAGAIN', 12: 'ENOMEM', 13: 'EACCES', 14: 'EFAULT', 16: 'EBUSY', 17: 'EEXIST', 18: 'EXDEV',
  19: 'ENODEV', 22: 'EINVAL', 23: 'ENFILE', 24: 'EMFILE', 28: 'ENOSPC', 34: 'ERANGE', 35: 'EDEADLK',
  38: 'ENOSYS', 40: 'ELOOP', 42: 'ENOMSG', 61: 'ENODATA', 71: 'EPROTO', 74: 'EBADMSG', 75: 'EOVERFLOW',
  95: 'EOPNOTSUPP', 110: 'ETIMEDOUT', 125: 'ECANCELED', 524: 'ENOTSUPP',
} as const;

export type ErrnoName = (typeof ERRNO_NAMES)[keyof typeof ERRNO_NAMES];

/** Name of an errno value (`22` → `'EINVAL'`), or `E<n>` for values this table does not know. */
export function errnoName(errno: number): string {
  return (ERRNO_NAMES as Record<number, string>)[errno] ?? `E${errno}`;
}

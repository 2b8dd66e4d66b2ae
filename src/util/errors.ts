/**
 * The error types of tsbpf. Hot paths return `0 | -errno` like the kernel; the public API throws
 * these. `errno` is always positive.
 */
import { EFAULT, EINVAL, errnoName } from '../uapi/errno.ts';

/** An error the kernel would report with an errno. Works in node / browser. */
export class BpfError extends Error {
  readonly errno: number;
  readonly code: string;
  constructor(errno: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BpfError';
    this.errno = errno;
    this.code = errnoName(errno);
  }
}

/** Where in a file a parse error was found. */
export interface FileLocation {
  readonly section?: string;
  readonly offset?: number;
}

/** Malformed ELF input (EINVAL), with the section and byte offset involved where known. */
export class ElfError extends BpfError {
  readonly section?: string;
  readonly offset?: number;
  constructor(message: string, where: FileLocation = {}) {
    super(EINVAL, message);
    this.name = 'ElfError';
    if (where.section !== undefined) this.section = where.section;
    if (where.offset !== undefined) this.offset = where.offset;
  }
}

/** Malformed or unsupported BTF (EINVAL). */
export class BtfError extends BpfError {
  readonly section?: string;
  readonly offset?: number;
  constructor(message: string, where: FileLocation = {}) {
    super(EINVAL, message);
    this.name = 'BtfError';
    if (where.section !== undefined) this.section = where.section;
    if (where.offset !== undefined) this.offset = where.offset;
  }
}

/**
 * An instruction that cannot be decoded, encoded or assembled (EINVAL): unknown opcode, reserved
 * fields not zero, bad assembly text. `insnIdx` counts 8-byte slots, as the kernel does.
 */
export class InsnError extends BpfError {
  readonly insnIdx?: number;
  constructor(message: string, insnIdx?: number) {
    super(EINVAL, message);
    this.name = 'InsnError';
    if (insnIdx !== undefined) this.insnIdx = insnIdx;
  }
}

/**
 * A program stopped at run time by the runtime: an access outside every live memory region, a
 * call depth overflow, a helper that is not implemented. Carries the instruction index (EFAULT).
 */
export class RunError extends BpfError {
  readonly insnIdx: number;
  constructor(message: string, insnIdx: number, errno: number = EFAULT) {
    super(errno, message);
    this.name = 'RunError';
    this.insnIdx = insnIdx;
  }
}

/** A broken invariant inside tsbpf: our bug, never the user's (the kernel's verifier_bug, EFAULT). */
export class InternalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InternalError';
  }
}

/** True when `e` is a BpfError (optionally with the given positive errno). Checks shape, not identity. */
export function isBpfError(e: unknown, errno?: number): e is BpfError {
  if (typeof e !== 'object' || e === null) return false;
  const err = e as { errno?: unknown; code?: unknown };
  if (typeof err.errno !== 'number' || typeof err.code !== 'string') return false;
  return errno === undefined || err.errno === errno;
}

/** Exhaustiveness guard for `switch` statements over numeric constants. */
export function unreachable(x: never): never {
  throw new InternalError(`unreachable: ${String(x)}`);
}

/**
 * VerifierError: the verifier refused a program, with the kernel-style log. Its message is the
 * one-line summary cilium's ebpf prints: `prog x: permission denied: <last line> (N line(s) omitted)`.
 */
import { E2BIG, EACCES, EFAULT, EINVAL } from '../uapi/errno.ts';
import { BpfError } from '../util/errors.ts';

const VERB: Record<number, string> = {
  [EACCES]: 'permission denied',
  [EINVAL]: 'invalid argument',
  [E2BIG]: 'argument list too long',
  [EFAULT]: 'bad address',
};

/** A program the verifier rejected. errno: EACCES unsafe, EINVAL malformed, E2BIG too complex. Works in node / browser. */
export class VerifierError extends BpfError {
  readonly log: readonly string[];
  readonly insnIdx?: number;
  readonly prog: string;
  constructor(prog: string, errno: number, log: readonly string[], insnIdx?: number) {
    super(errno, summary(prog, errno, log));
    this.name = 'VerifierError';
    this.log = log;
    this.prog = prog;
    if (insnIdx !== undefined) this.insnIdx = insnIdx;
  }
}

/** The last non-empty line that is not the `processed ...` trailer, plus how many are left out. */
function summary(prog: string, errno: number, log: readonly string[]): string {
  const lines = log.filter((l) => l.trim() !== '');
  let i = lines.length - 1;
  while (i > 0 && /^processed \d+ insns/.test(lines[i] ?? '')) i--;
  const last = lines[i] ?? '';
  const omitted = Math.max(0, lines.length - 1);
  const tail = omitted > 0 ? ` (${omitted} line(s) omitted)` : '';
  return `prog ${prog}: ${VERB[errno] ?? `errno ${errno}`}: ${last}${tail}`;
}

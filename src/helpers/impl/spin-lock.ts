/**
 * bpf_spin_lock / bpf_spin_unlock (kernel/bpf/helpers.c). tsbpf runs one program at a time, so a
 * lock is never contended; the lock word still records the state (1 held, 0 free) so that a
 * program taking a lock it already holds, which would spin forever on the kernel, stops with a
 * RunError instead. User space reads the lock as zeros (it is a special field). Works in node / browser.
 */
import type { HelperFn } from '../../vm/abi.ts';
import { RunError } from '../../util/errors.ts';
import { EDEADLK } from '../../uapi/errno.ts';
import { hex64 } from '../../util/u64.ts';

/** bpf_spin_lock and bpf_spin_unlock. */
export function spinLockHelpers(): Record<'lock' | 'unlock', HelperFn> {
  return {
    lock: (env, lock) => {
      if (env.memory.load(lock, 4, env.insnIdx) !== 0n) {
        throw new RunError(`bpf_spin_lock at ${hex64(lock)} is already held: the kernel would spin forever (insn ${env.insnIdx})`, env.insnIdx, EDEADLK);
      }
      env.memory.store(lock, 4, 1n, env.insnIdx);
      return 0n;
    },
    unlock: (env, lock) => {
      env.memory.store(lock, 4, 0n, env.insnIdx);
      return 0n;
    },
  };
}

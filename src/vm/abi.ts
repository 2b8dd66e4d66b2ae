/**
 * The execution ABI shared by the interpreter, the JIT and helper implementations: the helper
 * calling convention, the encoding of BPF function pointers, and run-time constants copied from the
 * kernel. Works in node / browser.
 */
import type { AddressSpace } from './memory.ts';

/**
 * What a helper sees besides its arguments: the address space, the slot index of the call
 * instruction (for fault messages), and a synchronous way to call back into BPF code
 * (bpf_loop, bpf_for_each_map_elem, timer callbacks).
 */
export interface HelperEnv {
  readonly memory: AddressSpace;
  readonly insnIdx: number;
  /**
   * Run the subprogram `funcPtr` (a value produced by ld_imm64 with BPF_PSEUDO_FUNC) with up to
   * five arguments in R1..R5, on a fresh stack, and return its R0.
   * @throws {RunError} when funcPtr is not a function pointer of this program, or the callee faults.
   */
  callFunction(funcPtr: bigint, args: readonly bigint[]): bigint;
}

/**
 * A helper implementation: R1..R5 in, R0 out, all u64. Hot-path errors are returned as `-errno`
 * (two's complement u64), as in the kernel; throwing a RunError stops the program.
 */
export type HelperFn = (env: HelperEnv, r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint) => bigint;

/** Looks a helper up by its id (the imm of `call`); undefined when not available. */
export type HelperLookup = (id: number) => HelperFn | undefined;

/**
 * Function pointers (ld_imm64 with src = BPF_PSEUDO_FUNC) are encoded as
 *
 *   63              32 31               0
 *   +-----------------+------------------+
 *   | FUNC_PTR_TAG_HI | target slot      |
 *   +-----------------+------------------+
 *
 * The high half can never be that of a data pointer (those are ADDR_BASE + offset < 2^33) nor of
 * a small scalar, so a function pointer used as data faults and data used as a function pointer is
 * rejected by callFunction.
 */
export const FUNC_PTR_TAG_HI = 0xbf0f_c000n;
export const FUNC_PTR_TAG = FUNC_PTR_TAG_HI << 32n;

/** Encode the function pointer of the subprogram starting at `slot`. */
export function encodeFuncPtr(slot: number): bigint {
  return FUNC_PTR_TAG | BigInt(slot >>> 0);
}

/** The target slot of a function pointer, or undefined if `value` is not one. */
export function decodeFuncPtr(value: bigint): number | undefined {
  if (value >> 32n !== FUNC_PTR_TAG_HI) return undefined;
  return Number(value & 0xffff_ffffn);
}

/**
 * Budget of a may_goto loop: the kernel (verifier.c do_misc_fixups, for engines without timed
 * may_goto) keeps a counter in an extra stack slot of each subprogram, initialised to
 * BPF_MAX_LOOPS on entry; each may_goto takes its branch when the counter is 0 and otherwise
 * decrements it and falls through.
 */
export const BPF_MAX_LOOPS = 8 * 1024 * 1024;

/**
 * Negative LD_ABS/LD_IND offsets from SKF_LL_OFF up to 0 address the link-layer and network
 * headers in the kernel (SKF_LL_OFF, SKF_NET_OFF in linux/filter.h); tsbpf does not model them.
 */
export const SKF_NET_OFF = -0x100000;
export const SKF_LL_OFF = -0x200000;

/** Instruction budget of one run when none is given: stops runaway unverified code. */
export const DEFAULT_MAX_INSNS = 100_000_000;

/** Nesting limit of callFunction re-entries (each entry may itself use MAX_CALL_FRAMES frames). */
export const MAX_NESTED_RUNS = 16;

/**
 * Conditions of the conditional jumps (BPF_JMP on 64 bits, BPF_JMP32 on the low 32 bits), after
 * ___bpf_prog_run() in kernel/bpf/core.c. Works in node / browser.
 */
import {
  BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JLE, BPF_JLT, BPF_JNE, BPF_JSET, BPF_JSGE, BPF_JSGT, BPF_JSLE,
  BPF_JSLT,
} from '../isa/opcodes.ts';

/**
 * Whether a 64-bit conditional jump is taken; `a` = dst, `b` = src or the sign-extended imm, both
 * u64. Returns undefined when `op` is not a conditional jump.
 */
export function cond64(op: number, a: bigint, b: bigint): boolean | undefined {
  switch (op) {
    case BPF_JEQ: return a === b;
    case BPF_JNE: return a !== b;
    case BPF_JSET: return (a & b) !== 0n;
    case BPF_JGT: return a > b;
    case BPF_JGE: return a >= b;
    case BPF_JLT: return a < b;
    case BPF_JLE: return a <= b;
    case BPF_JSGT: return BigInt.asIntN(64, a) > BigInt.asIntN(64, b);
    case BPF_JSGE: return BigInt.asIntN(64, a) >= BigInt.asIntN(64, b);
    case BPF_JSLT: return BigInt.asIntN(64, a) < BigInt.asIntN(64, b);
    case BPF_JSLE: return BigInt.asIntN(64, a) <= BigInt.asIntN(64, b);
    default: return undefined;
  }
}

/**
 * Whether a 32-bit conditional jump is taken; `a`, `b` are the low halves as unsigned numbers.
 * Signed comparisons reinterpret them with `| 0`. Returns undefined when `op` is not a
 * conditional jump.
 */
export function cond32(op: number, a: number, b: number): boolean | undefined {
  switch (op) {
    case BPF_JEQ: return a === b;
    case BPF_JNE: return a !== b;
    case BPF_JSET: return (a & b) !== 0;
    case BPF_JGT: return a > b;
    case BPF_JGE: return a >= b;
    case BPF_JLT: return a < b;
    case BPF_JLE: return a <= b;
    case BPF_JSGT: return (a | 0) > (b | 0);
    case BPF_JSGE: return (a | 0) >= (b | 0);
    case BPF_JSLT: return (a | 0) < (b | 0);
    case BPF_JSLE: return (a | 0) <= (b | 0);
    default: return undefined;
  }
}

/**
 * eBPF opcode field constants, with the kernel's spelling (include/uapi/linux/bpf.h, bpf_common.h)
 * and the accessors that take an opcode apart. This is the only place the opcode byte is split.
 *
 * The opcode byte:
 *
 *   ALU / ALU64 / JMP / JMP32          LD / LDX / ST / STX
 *   +--------+----+-------+            +--------+--------+-------+
 *   | 4 op   | 1 s| 3 cls |            | 3 mode | 2 size | 3 cls |
 *   +--------+----+-------+            +--------+--------+-------+
 *    7      4  3   2     0              7      5  4     3 2     0
 *
 * s is the source bit (BPF_K immediate, BPF_X register); for BPF_END it is the byte order.
 */

// Instruction classes (low 3 bits).
export const BPF_LD = 0x00;
export const BPF_LDX = 0x01;
export const BPF_ST = 0x02;
export const BPF_STX = 0x03;
export const BPF_ALU = 0x04;
export const BPF_JMP = 0x05;
export const BPF_JMP32 = 0x06;
export const BPF_ALU64 = 0x07;

// Sizes (bits 3-4) of load and store classes.
export const BPF_W = 0x00;
export const BPF_H = 0x08;
export const BPF_B = 0x10;
export const BPF_DW = 0x18;

// Modes (bits 5-7) of load and store classes.
export const BPF_IMM = 0x00;
export const BPF_ABS = 0x20;
export const BPF_IND = 0x40;
export const BPF_MEM = 0x60;
export const BPF_MEMSX = 0x80;
export const BPF_ATOMIC = 0xc0;

// Source bit.
export const BPF_K = 0x00;
export const BPF_X = 0x08;
// Byte order for BPF_END (same bit as the source).
export const BPF_TO_LE = 0x00;
export const BPF_TO_BE = 0x08;

// ALU operations (bits 4-7).
export const BPF_ADD = 0x00;
export const BPF_SUB = 0x10;
export const BPF_MUL = 0x20;
export const BPF_DIV = 0x30;
export const BPF_OR = 0x40;
export const BPF_AND = 0x50;
export const BPF_LSH = 0x60;
export const BPF_RSH = 0x70;
export const BPF_NEG = 0x80;
export const BPF_MOD = 0x90;
export const BPF_XOR = 0xa0;
export const BPF_MOV = 0xb0;
export const BPF_ARSH = 0xc0;
export const BPF_END = 0xd0;

// Jump operations (bits 4-7).
export const BPF_JA = 0x00;
export const BPF_JEQ = 0x10;
export const BPF_JGT = 0x20;
export const BPF_JGE = 0x30;
export const BPF_JSET = 0x40;
export const BPF_JNE = 0x50;
export const BPF_JSGT = 0x60;
export const BPF_JSGE = 0x70;
export const BPF_CALL = 0x80;
export const BPF_EXIT = 0x90;
export const BPF_JLT = 0xa0;
export const BPF_JLE = 0xb0;
export const BPF_JSLT = 0xc0;
export const BPF_JSLE = 0xd0;
/** `may_goto` and future conditional pseudo-jumps (kernel 6.9+). */
export const BPF_JCOND = 0xe0;
/** src_reg of a BPF_JCOND instruction meaning `may_goto`. */
export const BPF_MAY_GOTO = 0;

// Atomic operations: the imm field of BPF_STX | BPF_ATOMIC.
export const BPF_FETCH = 0x01;
export const BPF_XCHG = 0xe0 | BPF_FETCH;
export const BPF_CMPXCHG = 0xf0 | BPF_FETCH;
/** Load-acquire and store-release (kernel 6.15+), also under BPF_ATOMIC. */
export const BPF_LOAD_ACQ = 0x100;
export const BPF_STORE_REL = 0x110;

// src_reg values of ld_imm64 (BPF_LD | BPF_IMM | BPF_DW).
export const BPF_PSEUDO_MAP_FD = 1;
export const BPF_PSEUDO_MAP_VALUE = 2;
export const BPF_PSEUDO_BTF_ID = 3;
export const BPF_PSEUDO_FUNC = 4;
export const BPF_PSEUDO_MAP_IDX = 5;
export const BPF_PSEUDO_MAP_IDX_VALUE = 6;

// src_reg values of BPF_JMP | BPF_CALL.
/** src_reg 0: a helper call, imm is the helper id. */
export const BPF_HELPER_CALL = 0;
/** A bpf-to-bpf call, imm is the pc-relative offset of the callee. */
export const BPF_PSEUDO_CALL = 1;
/** A kfunc call, imm is the BTF id of the kernel function. */
export const BPF_PSEUDO_KFUNC_CALL = 2;

/** The combined opcode of ld_imm64, the only 16-byte instruction. */
export const BPF_LD_IMM64 = BPF_LD | BPF_IMM | BPF_DW;

/** Registers. R10 is the read-only frame pointer. */
export const R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5, R6 = 6, R7 = 7, R8 = 8, R9 = 9, R10 = 10;
export const RFP = R10;
export type Reg = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10;
export const MAX_BPF_REG = 11;

/** Bytes in one instruction slot. */
export const INSN_SIZE = 8;
/** Bytes of stack a BPF frame has (MAX_BPF_STACK). */
export const MAX_BPF_STACK = 512;
/** Deepest bpf-to-bpf call chain, frames included (MAX_CALL_FRAMES). */
export const MAX_CALL_FRAMES = 8;

export function insnClass(code: number): number {
  return code & 0x07;
}
export function insnSize(code: number): number {
  return code & 0x18;
}
export function insnMode(code: number): number {
  return code & 0xe0;
}
export function insnSrcBit(code: number): number {
  return code & 0x08;
}
/** Operation of an ALU/ALU64/JMP/JMP32 opcode (bits 4-7). */
export function insnOp(code: number): number {
  return code & 0xf0;
}
export function isAluClass(cls: number): boolean {
  return cls === BPF_ALU || cls === BPF_ALU64;
}
export function isJmpClass(cls: number): boolean {
  return cls === BPF_JMP || cls === BPF_JMP32;
}
/** Bytes accessed by a load/store of the given size field. */
export function sizeBytes(size: number): 1 | 2 | 4 | 8 {
  switch (size) {
    case BPF_B: return 1;
    case BPF_H: return 2;
    case BPF_W: return 4;
    default: return 8;
  }
}

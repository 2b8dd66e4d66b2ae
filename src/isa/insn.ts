/**
 * The decoded instruction: one object per instruction, 1:1 with the wire format, except that
 * ld_imm64 is a single `Insn` spanning two 8-byte slots.
 *
 * Wire format of one slot (little endian):
 *
 *   byte 0     byte 1          bytes 2-3    bytes 4-7
 *   +--------+--------+--------+------------+--------------------+
 *   | opcode | src:4  | dst:4  | off (s16)  | imm (s32)          |
 *   +--------+--------+--------+------------+--------------------+
 *              (high nibble = src, low nibble = dst on little-endian hosts)
 *
 * ld_imm64 takes two slots: the second has opcode, registers and offset zero, and its imm holds the
 * upper 32 bits of the constant.
 */
import { BPF_LD_IMM64 } from './opcodes.ts';

export interface Insn {
  /** The opcode byte. */
  readonly code: number;
  /** Destination register, 0..15 on the wire (0..10 valid). */
  readonly dst: number;
  /** Source register, 0..15 on the wire (0..10 valid); the pseudo kind for ld_imm64 and calls. */
  readonly src: number;
  /** Signed 16-bit offset. */
  readonly off: number;
  /** Signed 32-bit immediate (for ld_imm64: the low 32 bits, as s32). */
  readonly imm: number;
  /** ld_imm64 only: the full 64-bit constant, unsigned (low imm | next imm << 32). */
  readonly imm64?: bigint;
  /** ld_imm64 only: the second slot's imm (the offset into a map value for BPF_PSEUDO_MAP_VALUE). */
  readonly imm2?: number;
  /** Index of the instruction's first slot in the program (8-byte units, as in kernel logs). */
  readonly idx: number;
}

/** True for ld_imm64, the only two-slot instruction. */
export function isLdImm64(insn: Pick<Insn, 'code'>): boolean {
  return insn.code === BPF_LD_IMM64;
}

/** Number of 8-byte slots an instruction takes (2 for ld_imm64, else 1). */
export function insnSlots(insn: Pick<Insn, 'code'>): 1 | 2 {
  return insn.code === BPF_LD_IMM64 ? 2 : 1;
}

/**
 * Map from slot index to the index in `insns` of the instruction starting there, -1 for the second
 * slot of an ld_imm64. Jump targets are slot indices; this turns them into array indices.
 */
export function slotIndex(insns: readonly Insn[]): Int32Array {
  let slots = 0;
  for (const insn of insns) slots += insnSlots(insn);
  const map = new Int32Array(slots).fill(-1);
  insns.forEach((insn, i) => {
    map[insn.idx] = i;
  });
  return map;
}

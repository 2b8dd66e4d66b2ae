/**
 * @module isa
 * The eBPF instruction set: opcode constants, the decoded `Insn`, the one opcode table, and the
 * conversions between bytes, instructions and text: `decodeProgram` / `encodeProgram`,
 * `disasmProgram` (the kernel's verifier-log text), `assemble` (the bpf_conformance dialect) and
 * a typed builder (`alu64.add.imm(R1, 1)`, `program([...])`).
 *
 * Imports only util/ and uapi/ (helper names); every other layer decodes through here, once.
 * Reference: RFC 9669 and https://docs.kernel.org/bpf/standardization/instruction-set.html,
 * with the kernel's additions through 6.18. Works in node / browser.
 */
export * from './opcodes.ts';
export * from './insn.ts';
export { OP_VARIANTS, OPCODES, opcodeInfo, findVariant, type OpShape, type OpVariant, type OpcodeInfo } from './table.ts';
export { decodeProgram, decodeInsn, checkInsnFields, type RawSlot } from './decode.ts';
export { encodeProgram, encodeInsn, type EncodableInsn } from './encode.ts';
export { disasmInsn, disasmLine, disasmProgram, type DisasmOptions } from './disasm.ts';
export { assemble, AsmError } from './asm.ts';
export {
  alu32, alu64, jmp, jmp32, mayGoto, call, callLocal, callKfunc, exit, ldImm64, ldImm64Raw, ldMapFd, ldMapValue,
  ldFunc, ldx, ldxs, st, stx, ldAbs, ldInd, atomic, label, program,
  type AluOp, type JmpOp, type AtomicOptions, type BuiltInsn, type Label, type Target,
} from './build.ts';

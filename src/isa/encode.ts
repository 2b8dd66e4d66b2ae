/**
 * Instructions → bytes. Encoding is lossless and checks only that each field fits its bit width:
 * it does not apply the decoder's reserved-field rules, so tests can build the malformed programs
 * the decoder and the verifier must refuse. `decodeProgram(encodeProgram(p))` is `p` for every
 * valid program.
 */
import { InsnError } from '../util/errors.ts';
import type { Insn } from './insn.ts';
import { BPF_LD_IMM64, INSN_SIZE } from './opcodes.ts';

/** The fields an encoder needs; `idx` is not required (it is implied by position). */
export type EncodableInsn = Omit<Insn, 'idx'> & { readonly idx?: number };

function checkField(ok: boolean, at: number, what: string): void {
  if (!ok) throw new InsnError(`insn ${at}: ${what}`, at);
}

function slotsOf(insn: EncodableInsn): 1 | 2 {
  return insn.code === BPF_LD_IMM64 ? 2 : 1;
}

/** The 32-bit halves of an ld_imm64 constant, as s32 (low, high). */
function ldImm64Halves(insn: EncodableInsn, at: number): [number, number] {
  if (insn.imm64 === undefined) return [insn.imm | 0, (insn.imm2 ?? 0) | 0];
  const v = BigInt.asUintN(64, insn.imm64);
  const lo = Number(BigInt.asIntN(32, v));
  const hi = Number(BigInt.asIntN(32, v >> 32n));
  // imm and imm2 are views of imm64; a mismatch is a caller bug we would otherwise hide.
  checkField((insn.imm | 0) === lo, at, `ld_imm64 imm ${insn.imm} disagrees with imm64 0x${v.toString(16)}`);
  checkField(insn.imm2 === undefined || (insn.imm2 | 0) === hi, at, `ld_imm64 imm2 ${insn.imm2} disagrees with imm64 0x${v.toString(16)}`);
  return [lo, hi];
}

function writeSlot(view: DataView, byteAt: number, code: number, dst: number, src: number, off: number, imm: number): void {
  view.setUint8(byteAt, code);
  view.setUint8(byteAt + 1, (src << 4) | dst);
  view.setInt16(byteAt + 2, off, true);
  view.setInt32(byteAt + 4, imm, true);
}

function encodeInto(view: DataView, slot: number, insn: EncodableInsn): void {
  const { code, dst, src, off, imm } = insn;
  checkField(Number.isInteger(code) && code >= 0 && code <= 0xff, slot, `opcode ${code} does not fit 8 bits`);
  checkField(Number.isInteger(dst) && dst >= 0 && dst <= 15, slot, `dst ${dst} does not fit 4 bits`);
  checkField(Number.isInteger(src) && src >= 0 && src <= 15, slot, `src ${src} does not fit 4 bits`);
  checkField(Number.isInteger(off) && off >= -0x8000 && off <= 0x7fff, slot, `offset ${off} does not fit s16`);
  checkField(Number.isInteger(imm) && imm >= -0x8000_0000 && imm <= 0xffff_ffff, slot, `imm ${imm} does not fit 32 bits`);
  const at = slot * INSN_SIZE;
  if (code === BPF_LD_IMM64) {
    const [lo, hi] = ldImm64Halves(insn, slot);
    writeSlot(view, at, code, dst, src, off, lo);
    writeSlot(view, at + INSN_SIZE, 0, 0, 0, 0, hi);
  } else {
    writeSlot(view, at, code, dst, src, off, imm | 0);
  }
}

/**
 * Encodes one instruction: 8 bytes, or 16 for ld_imm64.
 *
 * @throws {InsnError} EINVAL when a field does not fit its width. Works in node / browser.
 */
export function encodeInsn(insn: EncodableInsn): Uint8Array {
  const out = new Uint8Array(slotsOf(insn) * INSN_SIZE);
  encodeInto(new DataView(out.buffer), 0, insn);
  return out;
}

/**
 * Encodes a program. Instructions are laid out in order; their `idx` fields are not consulted.
 *
 * @throws {InsnError} EINVAL naming the slot of the first field that does not fit.
 *   Works in node / browser.
 */
export function encodeProgram(insns: readonly EncodableInsn[]): Uint8Array {
  let slots = 0;
  for (const insn of insns) slots += slotsOf(insn);
  const out = new Uint8Array(slots * INSN_SIZE);
  const view = new DataView(out.buffer);
  let slot = 0;
  for (const insn of insns) {
    encodeInto(view, slot, insn);
    slot += slotsOf(insn);
  }
  return out;
}

/**
 * Bytes → instructions, with the kernel's structural checks: unknown opcodes, invalid registers
 * and reserved fields that are not zero are refused here, once, so no consumer re-checks them.
 *
 * The rules mirror the kernel (v6.18): bpf_opcode_in_insntable() (kernel/bpf/core.c) for the set of
 * opcodes; check_alu_op(), check_cond_jmp_op(), check_ld_abs(), check_atomic() and do_check()'s
 * BPF_JA/CALL/EXIT/ST/STX checks, and resolve_pseudo_ldimm64() for LDX and the second slot of
 * ld_imm64 (kernel/bpf/verifier.c). Semantic checks (division by a zero immediate, shift ranges,
 * jump targets, r10 as a destination, which calls are allowed) belong to the verifier.
 *
 * Exception: `callx` (BPF_JMP|BPF_CALL|BPF_X) decodes, with dst as its register, because the
 * conformance suite uses it; the verifier refuses it as the kernel does.
 */
import { InsnError } from '../util/errors.ts';
import type { Insn } from './insn.ts';
import {
  BPF_DIV, BPF_LD_IMM64, BPF_MOD, BPF_PSEUDO_KFUNC_CALL, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_IDX,
  BPF_PSEUDO_MAP_IDX_VALUE, BPF_W, BPF_DW, INSN_SIZE, MAX_BPF_REG, insnOp, insnSize,
} from './opcodes.ts';
import { OPCODES, type OpcodeInfo } from './table.ts';

/** Highest src kind of ld_imm64 (BPF_PSEUDO_MAP_IDX_VALUE). */
const MAX_LD_IMM64_SRC = BPF_PSEUDO_MAP_IDX_VALUE;

/** The raw fields of one 8-byte slot. */
export interface RawSlot {
  readonly code: number;
  readonly dst: number;
  readonly src: number;
  readonly off: number;
  readonly imm: number;
}

function hex(n: number): string {
  return '0x' + (n >>> 0).toString(16);
}

function fail(idx: number, info: OpcodeInfo | undefined, what: string): never {
  const where = info ? `insn ${idx} (${info.label})` : `insn ${idx}`;
  throw new InsnError(`${where}: ${what}`, idx);
}

function mustBeZero(idx: number, info: OpcodeInfo, field: string, value: number): void {
  if (value !== 0) fail(idx, info, `${field} field must be 0, is ${value}`);
}

function checkReg(idx: number, info: OpcodeInfo, field: 'dst' | 'src', reg: number): void {
  if (reg >= MAX_BPF_REG) fail(idx, info, `${field} register r${reg} is invalid (registers are r0..r10)`);
}

/**
 * Checks one slot (the first, for ld_imm64) against the kernel's structural rules.
 * `next` is the second slot of an ld_imm64 (undefined if the program ends first).
 *
 * @throws {InsnError} EINVAL naming the instruction index and the offending field.
 */
export function checkInsnFields(s: RawSlot, idx: number, next?: RawSlot): void {
  const info = OPCODES[s.code];
  if (!info) fail(idx, undefined, `unknown opcode ${hex(s.code)}`);
  switch (info.kind) {
    case 'alu-k': {
      mustBeZero(idx, info, 'src', s.src);
      checkReg(idx, info, 'dst', s.dst);
      const op = insnOp(s.code);
      if (s.off !== 0 && !(s.off === 1 && (op === BPF_DIV || op === BPF_MOD))) {
        fail(idx, info, op === BPF_DIV || op === BPF_MOD ? `offset field must be 0 or 1, is ${s.off}` : `offset field must be 0, is ${s.off}`);
      }
      return;
    }
    case 'alu-x': {
      checkReg(idx, info, 'dst', s.dst);
      checkReg(idx, info, 'src', s.src);
      if (s.off === 0 && s.imm === 0) return; // the common case, without searching the variants
      if (info.variants.some((v) => v.off === s.off && v.shape === 'addr-space-cast')) {
        // addr_space_cast converts between address spaces 0 and 1 only: imm is dst_as << 16 | src_as.
        if (s.imm !== 1 && s.imm !== 1 << 16) fail(idx, info, `addr_space_cast imm must be 0x1 or 0x10000, is ${hex(s.imm)}`);
        return;
      }
      mustBeZero(idx, info, 'imm', s.imm);
      if (s.off === 0 || info.variants.some((v) => v.off === s.off)) return;
      const allowed = [0, ...info.variants.flatMap((v) => (v.off === undefined ? [] : [v.off]))].sort((x, y) => x - y);
      fail(idx, info, `offset field must be ${allowed.join(', ').replace(/, (\d+)$/, ' or $1')}, is ${s.off}`);
    }
    case 'neg':
      mustBeZero(idx, info, 'src', s.src);
      mustBeZero(idx, info, 'offset', s.off);
      mustBeZero(idx, info, 'imm', s.imm);
      checkReg(idx, info, 'dst', s.dst);
      return;
    case 'end':
    case 'bswap':
      mustBeZero(idx, info, 'src', s.src);
      mustBeZero(idx, info, 'offset', s.off);
      if (s.imm !== 16 && s.imm !== 32 && s.imm !== 64) fail(idx, info, `imm field must be 16, 32 or 64, is ${s.imm}`);
      checkReg(idx, info, 'dst', s.dst);
      return;
    case 'addr-space-cast':
      return; // never a base variant: ALU64|MOV|X is 'alu-x'
    case 'ja':
      mustBeZero(idx, info, 'dst', s.dst);
      mustBeZero(idx, info, 'src', s.src);
      mustBeZero(idx, info, 'imm', s.imm);
      return;
    case 'ja32':
      mustBeZero(idx, info, 'dst', s.dst);
      mustBeZero(idx, info, 'src', s.src);
      mustBeZero(idx, info, 'offset', s.off);
      return;
    case 'jcc-k':
      mustBeZero(idx, info, 'src', s.src);
      checkReg(idx, info, 'dst', s.dst);
      return;
    case 'jcc-x':
      mustBeZero(idx, info, 'imm', s.imm);
      checkReg(idx, info, 'dst', s.dst);
      checkReg(idx, info, 'src', s.src);
      return;
    case 'call-helper':
    case 'call-local':
    case 'call-kfunc':
      mustBeZero(idx, info, 'dst', s.dst);
      if (s.src > BPF_PSEUDO_KFUNC_CALL) fail(idx, info, `src field must be 0 (helper), 1 (bpf-to-bpf) or 2 (kfunc), is ${s.src}`);
      // A kfunc call may name a module's BTF in off (an fd_array index); other calls may not.
      if (s.src !== BPF_PSEUDO_KFUNC_CALL) mustBeZero(idx, info, 'offset', s.off);
      return;
    case 'callx':
      mustBeZero(idx, info, 'src', s.src);
      mustBeZero(idx, info, 'offset', s.off);
      mustBeZero(idx, info, 'imm', s.imm);
      checkReg(idx, info, 'dst', s.dst);
      return;
    case 'exit':
      mustBeZero(idx, info, 'dst', s.dst);
      mustBeZero(idx, info, 'src', s.src);
      mustBeZero(idx, info, 'offset', s.off);
      mustBeZero(idx, info, 'imm', s.imm);
      return;
    case 'may-goto':
      mustBeZero(idx, info, 'dst', s.dst);
      mustBeZero(idx, info, 'src', s.src);
      mustBeZero(idx, info, 'imm', s.imm);
      return;
    case 'lddw': {
      mustBeZero(idx, info, 'offset', s.off);
      checkReg(idx, info, 'dst', s.dst);
      if (s.src > MAX_LD_IMM64_SRC) fail(idx, info, `unknown src kind ${s.src} (0..${MAX_LD_IMM64_SRC})`);
      if (!next) fail(idx, info, 'truncated: the second slot is missing');
      if (next.code !== 0) fail(idx, info, `second slot: opcode field must be 0, is ${hex(next.code)}`);
      if (next.dst !== 0) fail(idx, info, `second slot: dst field must be 0, is ${next.dst}`);
      if (next.src !== 0) fail(idx, info, `second slot: src field must be 0, is ${next.src}`);
      if (next.off !== 0) fail(idx, info, `second slot: offset field must be 0, is ${next.off}`);
      if ((s.src === BPF_PSEUDO_MAP_FD || s.src === BPF_PSEUDO_MAP_IDX) && next.imm !== 0) {
        fail(idx, info, `second slot: imm field must be 0 for a map reference, is ${next.imm}`);
      }
      return;
    }
    case 'ld-abs':
      mustBeZero(idx, info, 'dst', s.dst);
      mustBeZero(idx, info, 'src', s.src);
      mustBeZero(idx, info, 'offset', s.off);
      return;
    case 'ld-ind':
      mustBeZero(idx, info, 'dst', s.dst);
      mustBeZero(idx, info, 'offset', s.off);
      checkReg(idx, info, 'src', s.src);
      return;
    case 'ldx':
    case 'ldxs':
      mustBeZero(idx, info, 'imm', s.imm);
      checkReg(idx, info, 'dst', s.dst);
      checkReg(idx, info, 'src', s.src);
      return;
    case 'st':
      mustBeZero(idx, info, 'src', s.src);
      checkReg(idx, info, 'dst', s.dst);
      return;
    case 'stx':
      mustBeZero(idx, info, 'imm', s.imm);
      checkReg(idx, info, 'dst', s.dst);
      checkReg(idx, info, 'src', s.src);
      return;
    case 'atomic-rmw':
    case 'load-acq': {
      checkReg(idx, info, 'dst', s.dst);
      checkReg(idx, info, 'src', s.src);
      if (info.variants.some((v) => v.imm === s.imm)) return;
      const size = insnSize(s.code);
      const rmw = size === BPF_W || size === BPF_DW;
      // B/H atomics exist for load-acquire/store-release only (check_atomic_rmw's size rule).
      const known = OPCODES[(s.code & ~0x18) | BPF_DW]?.variants.some((v) => v.imm === s.imm);
      if (known && !rmw) fail(idx, info, `atomic operation ${hex(s.imm)} needs a 4- or 8-byte access`);
      fail(idx, info, `unknown atomic operation imm ${hex(s.imm)}`);
    }
    case 'atomic-fetch':
    case 'atomic-xchg':
    case 'atomic-cmpxchg':
    case 'store-rel':
      return; // never base variants of an opcode byte
    default: {
      const never: never = info.kind;
      return never;
    }
  }
}

// Reads go through one DataView built over exactly `bytes`, always little-endian; callers have
// checked the bounds once for the whole slot, so there is no per-field check on this hot path.
function readSlot(bytes: Uint8Array, view: DataView, at: number): RawSlot {
  const regs = bytes[at + 1] ?? 0;
  return { code: bytes[at] ?? 0, dst: regs & 0x0f, src: regs >> 4, off: view.getInt16(at + 2, true), imm: view.getInt32(at + 4, true) };
}

/**
 * Decodes one instruction starting at slot `idx` of `bytes` (the whole program). Returns the
 * instruction; ld_imm64 consumes two slots.
 *
 * @throws {InsnError} EINVAL on an unknown opcode, an invalid register, a reserved field that is
 *   not zero, or an ld_imm64 cut short. Works in node / browser.
 */
export function decodeInsn(bytes: Uint8Array, idx: number): Insn {
  if (!Number.isInteger(idx) || idx < 0 || (idx + 1) * INSN_SIZE > bytes.byteLength) {
    throw new InsnError(`insn ${idx}: outside the ${Math.floor(bytes.byteLength / INSN_SIZE)}-slot program`, idx);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return decodeAt(bytes, view, idx);
}

function decodeAt(bytes: Uint8Array, view: DataView, idx: number): Insn {
  const at = idx * INSN_SIZE;
  const s = readSlot(bytes, view, at);
  if (s.code === BPF_LD_IMM64) {
    const next = at + 2 * INSN_SIZE <= bytes.byteLength ? readSlot(bytes, view, at + INSN_SIZE) : undefined;
    checkInsnFields(s, idx, next);
    const hi = (next as RawSlot).imm;
    return {
      code: s.code, dst: s.dst, src: s.src, off: s.off, imm: s.imm,
      imm64: (BigInt(hi >>> 0) << 32n) | BigInt(s.imm >>> 0), imm2: hi, idx,
    };
  }
  checkInsnFields(s, idx);
  return { code: s.code, dst: s.dst, src: s.src, off: s.off, imm: s.imm, idx };
}

/**
 * Decodes a whole program. The kernel refuses empty programs and so does this.
 *
 * @throws {InsnError} EINVAL when the length is not a multiple of 8 or zero, or on the first
 *   instruction that fails `checkInsnFields`. Works in node / browser.
 */
export function decodeProgram(bytes: Uint8Array): Insn[] {
  if (bytes.byteLength % INSN_SIZE !== 0) {
    throw new InsnError(`program length ${bytes.byteLength} is not a multiple of ${INSN_SIZE} bytes`);
  }
  if (bytes.byteLength === 0) throw new InsnError('program has no instructions');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const slots = bytes.byteLength / INSN_SIZE;
  const out: Insn[] = [];
  for (let idx = 0; idx < slots;) {
    const insn = decodeAt(bytes, view, idx);
    out.push(insn);
    idx += insn.code === BPF_LD_IMM64 ? 2 : 1;
  }
  return out;
}

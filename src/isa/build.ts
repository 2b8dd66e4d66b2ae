/**
 * A typed instruction builder, in the spirit of cilium/ebpf's asm package:
 *
 *   program([
 *     alu64.mov.imm(R0, 0),
 *     jmp.jeq.imm(R1, 0, 'out'),
 *     ldx.dw(R0, R1, 8),
 *     call(BPF_FUNC_map_lookup_elem),
 *     label('out'),
 *     exit(),
 *   ])
 *
 * Registers are the `Reg` union, jump targets are a label name or a numeric offset, sizes and
 * operations are properties rather than strings, so most invalid instructions do not type-check.
 * `program()` resolves labels to slot offsets (ld_imm64 counts two) and runs the decoder's field
 * checks on every instruction, so its output always decodes.
 */
import { InsnError } from '../util/errors.ts';
import { checkInsnFields } from './decode.ts';
import type { Insn } from './insn.ts';
import {
  BPF_ABS, BPF_ADD, BPF_ALU, BPF_ALU64, BPF_AND, BPF_ARSH, BPF_ATOMIC, BPF_B, BPF_CALL, BPF_CMPXCHG, BPF_DIV,
  BPF_DW, BPF_END, BPF_EXIT, BPF_FETCH, BPF_H, BPF_IND, BPF_JA, BPF_JCOND, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JLE,
  BPF_JLT, BPF_JMP, BPF_JMP32, BPF_JNE, BPF_JSET, BPF_JSGE, BPF_JSGT, BPF_JSLE, BPF_JSLT, BPF_K, BPF_LD,
  BPF_LD_IMM64, BPF_LDX, BPF_LOAD_ACQ, BPF_LSH, BPF_MEM, BPF_MEMSX, BPF_MOD, BPF_MOV, BPF_MUL, BPF_NEG, BPF_OR,
  BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC, BPF_PSEUDO_KFUNC_CALL, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_VALUE, BPF_RSH,
  BPF_ST, BPF_STORE_REL, BPF_STX, BPF_SUB, BPF_TO_BE, BPF_TO_LE, BPF_W, BPF_X, BPF_XCHG, BPF_XOR, type Reg,
} from './opcodes.ts';

/** A jump target: a label name, or an offset in slots relative to the next instruction. */
export type Target = string | number;

/** An instruction not yet placed: `jumpTo` names the label its `off` (or `imm`) will point at. */
export interface BuiltInsn {
  readonly code: number;
  readonly dst: number;
  readonly src: number;
  readonly off: number;
  readonly imm: number;
  readonly imm64?: bigint;
  readonly imm2?: number;
  readonly jumpTo?: string;
  /** Which field holds the jump offset: `off` for jumps, `imm` for gotol and bpf-to-bpf calls. */
  readonly jumpField?: 'off' | 'imm';
}

/** A position in a program that jumps can name. */
export interface Label {
  readonly label: string;
}

/** Marks the position of the next instruction. */
export function label(name: string): Label {
  return { label: name };
}

function insn(code: number, dst: number, src: number, off: number, imm: number): BuiltInsn {
  return { code, dst, src, off, imm };
}

function jump(code: number, dst: number, src: number, imm: number, target: Target, field: 'off' | 'imm' = 'off'): BuiltInsn {
  if (typeof target === 'number') {
    return field === 'off' ? insn(code, dst, src, target, imm) : insn(code, dst, src, 0, target);
  }
  return { code, dst, src, off: 0, imm, jumpTo: target, jumpField: field };
}

/** One ALU operation in its immediate and register forms. */
export interface AluOp {
  imm(dst: Reg, imm: number): BuiltInsn;
  reg(dst: Reg, src: Reg): BuiltInsn;
}

function aluOp(cls: number, op: number, off = 0): AluOp {
  return {
    imm: (dst, imm) => insn(cls | op | BPF_K, dst, 0, off, imm),
    reg: (dst, src) => insn(cls | op | BPF_X, dst, src, off, 0),
  };
}

function aluClass(cls: number) {
  return {
    add: aluOp(cls, BPF_ADD), sub: aluOp(cls, BPF_SUB), mul: aluOp(cls, BPF_MUL), div: aluOp(cls, BPF_DIV),
    sdiv: aluOp(cls, BPF_DIV, 1), mod: aluOp(cls, BPF_MOD), smod: aluOp(cls, BPF_MOD, 1), or: aluOp(cls, BPF_OR),
    and: aluOp(cls, BPF_AND), lsh: aluOp(cls, BPF_LSH), rsh: aluOp(cls, BPF_RSH), xor: aluOp(cls, BPF_XOR),
    mov: aluOp(cls, BPF_MOV), arsh: aluOp(cls, BPF_ARSH),
    neg: (dst: Reg): BuiltInsn => insn(cls | BPF_NEG | BPF_K, dst, 0, 0, 0),
    /** Sign-extending move from the low 8 or 16 bits of src. */
    movsx: (dst: Reg, src: Reg, fromBits: 8 | 16): BuiltInsn => insn(cls | BPF_MOV | BPF_X, dst, src, fromBits, 0),
  };
}

type Width = 16 | 32 | 64;

/** 32-bit ALU (BPF_ALU): results are zero-extended into the 64-bit register. */
export const alu32 = {
  ...aluClass(BPF_ALU),
  /** Convert to little-endian (a truncation to `bits` on little-endian hosts). */
  le: (dst: Reg, bits: Width): BuiltInsn => insn(BPF_ALU | BPF_END | BPF_TO_LE, dst, 0, 0, bits),
  /** Convert to big-endian. */
  be: (dst: Reg, bits: Width): BuiltInsn => insn(BPF_ALU | BPF_END | BPF_TO_BE, dst, 0, 0, bits),
};

/** 64-bit ALU (BPF_ALU64). */
export const alu64 = {
  ...aluClass(BPF_ALU64),
  movsx: (dst: Reg, src: Reg, fromBits: 8 | 16 | 32): BuiltInsn => insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, fromBits, 0),
  /** Unconditional byte swap of the low `bits` (kernel 6.6+). */
  bswap: (dst: Reg, bits: Width): BuiltInsn => insn(BPF_ALU64 | BPF_END | BPF_TO_LE, dst, 0, 0, bits),
  /** Arena pointer conversion: `dstAs` / `srcAs` are address spaces 0 and 1. */
  addrSpaceCast: (dst: Reg, src: Reg, dstAs: 0 | 1, srcAs: 0 | 1): BuiltInsn =>
    insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 1, (dstAs << 16) | srcAs),
};

/** One conditional jump in its immediate and register forms. */
export interface JmpOp {
  imm(dst: Reg, imm: number, target: Target): BuiltInsn;
  reg(dst: Reg, src: Reg, target: Target): BuiltInsn;
}

function jmpOp(cls: number, op: number): JmpOp {
  return {
    imm: (dst, imm, target) => jump(cls | op | BPF_K, dst, 0, imm, target),
    reg: (dst, src, target) => jump(cls | op | BPF_X, dst, src, 0, target),
  };
}

function jmpClass(cls: number) {
  return {
    jeq: jmpOp(cls, BPF_JEQ), jne: jmpOp(cls, BPF_JNE), jgt: jmpOp(cls, BPF_JGT), jge: jmpOp(cls, BPF_JGE),
    jlt: jmpOp(cls, BPF_JLT), jle: jmpOp(cls, BPF_JLE), jset: jmpOp(cls, BPF_JSET), jsgt: jmpOp(cls, BPF_JSGT),
    jsge: jmpOp(cls, BPF_JSGE), jslt: jmpOp(cls, BPF_JSLT), jsle: jmpOp(cls, BPF_JSLE),
  };
}

/** 64-bit comparisons and the 16-bit-offset `ja`. */
export const jmp = {
  ...jmpClass(BPF_JMP),
  ja: (target: Target): BuiltInsn => jump(BPF_JMP | BPF_JA, 0, 0, 0, target),
};

/** 32-bit comparisons and `gotol` (ja with a 32-bit offset in imm). */
export const jmp32 = {
  ...jmpClass(BPF_JMP32),
  ja: (target: Target): BuiltInsn => jump(BPF_JMP32 | BPF_JA, 0, 0, 0, target, 'imm'),
};

/** `may_goto`: jumps once the loop budget is spent (kernel 6.9+). */
export function mayGoto(target: Target): BuiltInsn {
  return jump(BPF_JMP | BPF_JCOND, 0, 0, 0, target);
}

/** A helper call by id (`BPF_FUNC_*`). */
export function call(helperId: number): BuiltInsn {
  return insn(BPF_JMP | BPF_CALL, 0, 0, 0, helperId);
}

/** A bpf-to-bpf call to a label (or a relative slot offset). */
export function callLocal(target: Target): BuiltInsn {
  return jump(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, target, 'imm');
}

/** A kfunc call by BTF id; `btfFdIdx` selects a module BTF (0 for vmlinux). */
export function callKfunc(btfId: number, btfFdIdx = 0): BuiltInsn {
  return insn(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_KFUNC_CALL, btfFdIdx, btfId);
}

export function exit(): BuiltInsn {
  return insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

/** ld_imm64 with an explicit src kind (`BPF_PSEUDO_*`) and both 32-bit halves. */
export function ldImm64Raw(dst: Reg, src: number, imm: number, imm2: number): BuiltInsn {
  const imm64 = (BigInt(imm2 >>> 0) << 32n) | BigInt(imm >>> 0);
  return { code: BPF_LD_IMM64, dst, src, off: 0, imm: imm | 0, imm64, imm2: imm2 | 0 };
}

/** dst = a 64-bit constant (taken modulo 2^64). */
export function ldImm64(dst: Reg, value: bigint): BuiltInsn {
  const v = BigInt.asUintN(64, value);
  return ldImm64Raw(dst, 0, Number(BigInt.asIntN(32, v)), Number(BigInt.asIntN(32, v >> 32n)));
}

/** dst = the map with this fd (BPF_PSEUDO_MAP_FD). */
export function ldMapFd(dst: Reg, fd: number): BuiltInsn {
  return ldImm64Raw(dst, BPF_PSEUDO_MAP_FD, fd, 0);
}

/** dst = address of byte `off` of the value of the map with this fd (BPF_PSEUDO_MAP_VALUE). */
export function ldMapValue(dst: Reg, fd: number, off: number): BuiltInsn {
  return ldImm64Raw(dst, BPF_PSEUDO_MAP_VALUE, fd, off);
}

/** dst = address of a subprogram, for callbacks (BPF_PSEUDO_FUNC); the target is in imm. */
export function ldFunc(dst: Reg, target: Target): BuiltInsn {
  const base = ldImm64Raw(dst, BPF_PSEUDO_FUNC, typeof target === 'number' ? target : 0, 0);
  return typeof target === 'number' ? base : { ...base, jumpTo: target, jumpField: 'imm' };
}

function sized<T>(make: (size: number) => T): { b: T; h: T; w: T; dw: T } {
  return { b: make(BPF_B), h: make(BPF_H), w: make(BPF_W), dw: make(BPF_DW) };
}

/** dst = *(size *)(src + off) */
export const ldx = sized((size) => (dst: Reg, src: Reg, off: number): BuiltInsn => insn(BPF_LDX | BPF_MEM | size, dst, src, off, 0));

/** dst = *(s-size *)(src + off), sign-extended (kernel 6.6+). */
export const ldxs = (({ b, h, w }) => ({ b, h, w }))(
  sized((size) => (dst: Reg, src: Reg, off: number): BuiltInsn => insn(BPF_LDX | BPF_MEMSX | size, dst, src, off, 0)),
);

/** *(size *)(dst + off) = imm */
export const st = sized((size) => (dst: Reg, off: number, imm: number): BuiltInsn => insn(BPF_ST | BPF_MEM | size, dst, 0, off, imm));

/** *(size *)(dst + off) = src */
export const stx = sized((size) => (dst: Reg, off: number, src: Reg): BuiltInsn => insn(BPF_STX | BPF_MEM | size, dst, src, off, 0));

/** Legacy packet loads: r0 = *(size *)skb[imm] and skb[src + imm]. */
export const ldAbs = (({ b, h, w }) => ({ b, h, w }))(sized((size) => (imm: number): BuiltInsn => insn(BPF_LD | BPF_ABS | size, 0, 0, 0, imm)));
export const ldInd = (({ b, h, w }) => ({ b, h, w }))(
  sized((size) => (src: Reg, imm: number): BuiltInsn => insn(BPF_LD | BPF_IND | size, 0, src, 0, imm)),
);

/** Options of the read-modify-write atomics. */
export interface AtomicOptions {
  /** Also return the old value in src (BPF_FETCH). */
  readonly fetch?: boolean;
}

type AtomicRmw = (dst: Reg, off: number, src: Reg, options?: AtomicOptions) => BuiltInsn;

function rmw(size: number, op: number): AtomicRmw {
  return (dst, off, src, options = {}) => insn(BPF_STX | BPF_ATOMIC | size, dst, src, off, op | (options.fetch ? BPF_FETCH : 0));
}

/** Atomic memory operations on *(size *)(dst + off). */
export const atomic = {
  add32: rmw(BPF_W, BPF_ADD), add64: rmw(BPF_DW, BPF_ADD), or32: rmw(BPF_W, BPF_OR), or64: rmw(BPF_DW, BPF_OR),
  and32: rmw(BPF_W, BPF_AND), and64: rmw(BPF_DW, BPF_AND), xor32: rmw(BPF_W, BPF_XOR), xor64: rmw(BPF_DW, BPF_XOR),
  /** src = xchg(*(dst + off), src) */
  xchg32: (dst: Reg, off: number, src: Reg): BuiltInsn => insn(BPF_STX | BPF_ATOMIC | BPF_W, dst, src, off, BPF_XCHG),
  xchg64: (dst: Reg, off: number, src: Reg): BuiltInsn => insn(BPF_STX | BPF_ATOMIC | BPF_DW, dst, src, off, BPF_XCHG),
  /** r0 = cmpxchg(*(dst + off), r0, src) */
  cmpxchg32: (dst: Reg, off: number, src: Reg): BuiltInsn => insn(BPF_STX | BPF_ATOMIC | BPF_W, dst, src, off, BPF_CMPXCHG),
  cmpxchg64: (dst: Reg, off: number, src: Reg): BuiltInsn => insn(BPF_STX | BPF_ATOMIC | BPF_DW, dst, src, off, BPF_CMPXCHG),
  /** dst = load_acquire((size *)(src + off)) (kernel 6.15+) */
  loadAcquire: sized((size) => (dst: Reg, src: Reg, off: number): BuiltInsn => insn(BPF_STX | BPF_ATOMIC | size, dst, src, off, BPF_LOAD_ACQ)),
  /** store_release((size *)(dst + off), src) (kernel 6.15+) */
  storeRelease: sized((size) => (dst: Reg, off: number, src: Reg): BuiltInsn => insn(BPF_STX | BPF_ATOMIC | size, dst, src, off, BPF_STORE_REL)),
};

/**
 * Places instructions, resolving labels to slot offsets.
 *
 * @throws {InsnError} EINVAL on a duplicate or unknown label, an offset that does not fit its
 *   field, or an instruction the decoder would refuse. Works in node / browser.
 */
export function program(items: readonly (BuiltInsn | Label)[]): Insn[] {
  const labels = new Map<string, number>();
  let slot = 0;
  for (const item of items) {
    if ('label' in item) {
      if (labels.has(item.label)) throw new InsnError(`duplicate label '${item.label}'`);
      labels.set(item.label, slot);
    } else {
      slot += item.code === BPF_LD_IMM64 ? 2 : 1;
    }
  }
  const out: Insn[] = [];
  slot = 0;
  for (const item of items) {
    if ('label' in item) continue;
    let { off, imm } = item;
    if (item.jumpTo !== undefined) {
      const at = labels.get(item.jumpTo);
      if (at === undefined) throw new InsnError(`insn ${slot}: unknown label '${item.jumpTo}'`, slot);
      const rel = at - slot - 1;
      if (item.jumpField === 'imm') imm = rel;
      else off = rel;
    }
    if (off < -0x8000 || off > 0x7fff || !Number.isInteger(off)) throw new InsnError(`insn ${slot}: offset ${off} does not fit s16`, slot);
    if (imm < -0x8000_0000 || imm > 0xffff_ffff || !Number.isInteger(imm)) throw new InsnError(`insn ${slot}: imm ${imm} does not fit 32 bits`, slot);
    imm |= 0;
    const base = { code: item.code, dst: item.dst, src: item.src, off, imm };
    if (item.code === BPF_LD_IMM64) {
      const imm2 = item.imm2 ?? 0;
      checkInsnFields(base, slot, { code: 0, dst: 0, src: 0, off: 0, imm: imm2 });
      out.push({ ...base, imm64: (BigInt(imm2 >>> 0) << 32n) | BigInt(imm >>> 0), imm2, idx: slot });
      slot += 2;
    } else {
      checkInsnFields(base, slot);
      out.push({ ...base, idx: slot });
      slot += 1;
    }
  }
  return out;
}

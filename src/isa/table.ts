/**
 * The one opcode table: every valid eBPF instruction form of the current ISA (RFC 9669 plus the
 * kernel's additions through 6.18: sdiv/smod, movsx, bswap, gotol, may_goto, addr_space_cast,
 * load-acquire/store-release), plus `callx`, which the conformance suite uses and the verifier
 * refuses. Mnemonics and disassembly operators exist only here; decode.ts, disasm.ts and asm.ts
 * all read this table.
 *
 * One opcode byte can stand for several instructions told apart by another field (sdiv is
 * ALU64|DIV with off 1, be16 is ALU|END|TO_BE with imm 16, atomic add is STX|ATOMIC|DW with imm
 * BPF_ADD). Each such instruction is one `OpVariant`, with the selecting field in `off`, `imm` or
 * `src`. The variants of one opcode byte are grouped in an `OpcodeInfo`.
 */
import {
  BPF_ABS, BPF_ADD, BPF_ALU, BPF_ALU64, BPF_AND, BPF_ARSH, BPF_ATOMIC, BPF_B, BPF_CALL, BPF_CMPXCHG,
  BPF_DIV, BPF_DW, BPF_END, BPF_EXIT, BPF_FETCH, BPF_H, BPF_HELPER_CALL, BPF_IMM, BPF_IND, BPF_JA,
  BPF_JCOND, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JLE, BPF_JLT, BPF_JMP, BPF_JMP32, BPF_JNE, BPF_JSET,
  BPF_JSGE, BPF_JSGT, BPF_JSLE, BPF_JSLT, BPF_K, BPF_LD, BPF_LDX, BPF_LOAD_ACQ, BPF_LSH, BPF_MEM,
  BPF_MEMSX, BPF_MOD, BPF_MOV, BPF_MUL, BPF_NEG, BPF_OR, BPF_PSEUDO_CALL, BPF_PSEUDO_KFUNC_CALL,
  BPF_RSH, BPF_ST, BPF_STORE_REL, BPF_STX, BPF_SUB, BPF_TO_BE, BPF_TO_LE, BPF_W, BPF_X, BPF_XCHG,
  BPF_XOR,
} from './opcodes.ts';

/**
 * How an instruction uses its fields: drives the decoder's reserved-field checks, the operand
 * syntax of the assembler and the template of the disassembler.
 */
export type OpShape =
  | 'alu-k'        // dst op= imm
  | 'alu-x'        // dst op= src
  | 'neg'          // dst = -dst
  | 'end'          // dst = le16/be16 dst (ALU class, imm = width)
  | 'bswap'        // dst = bswap16 dst (ALU64 class, imm = width)
  | 'addr-space-cast' // dst = addr_space_cast(src, dst_as, src_as) (ALU64 MOV X, off 1)
  | 'ja'           // goto pc+off
  | 'ja32'         // gotol pc+imm
  | 'jcc-k'        // if dst op imm goto pc+off
  | 'jcc-x'        // if dst op src goto pc+off
  | 'call-helper'  // imm = helper id
  | 'call-local'   // imm = pc-relative callee
  | 'call-kfunc'   // imm = BTF id, off = module BTF fd index
  | 'callx'        // call the address in dst (not accepted by the kernel)
  | 'exit'
  | 'may-goto'     // JCOND with src BPF_MAY_GOTO
  | 'lddw'         // ld_imm64, two slots
  | 'ld-abs'       // r0 = *(size *)skb[imm]
  | 'ld-ind'       // r0 = *(size *)skb[src + imm]
  | 'ldx'          // dst = *(size *)(src + off)
  | 'ldxs'         // dst = *(s-size *)(src + off), sign-extending
  | 'st'           // *(size *)(dst + off) = imm
  | 'stx'          // *(size *)(dst + off) = src
  | 'atomic-rmw'   // lock *(size *)(dst + off) op= src, without fetch
  | 'atomic-fetch' // src = atomic_fetch_op((size *)(dst + off), src)
  | 'atomic-xchg'
  | 'atomic-cmpxchg'
  | 'load-acq'     // dst = load_acquire((size *)(src + off))
  | 'store-rel';   // store_release((size *)(dst + off), src)

/** One instruction of the ISA: an opcode byte plus, where needed, the field value selecting it. */
export interface OpVariant {
  /** Mnemonic in the bpf_conformance (uBPF) assembler dialect. */
  readonly mnemonic: string;
  /** Other spellings the assembler accepts. */
  readonly aliases?: readonly string[];
  readonly code: number;
  readonly shape: OpShape;
  /** The off value selecting this variant (sdiv/smod 1, movsx 8/16/32). */
  readonly off?: number;
  /** The imm value selecting this variant (end/bswap width, atomic operation). */
  readonly imm?: number;
  /** The src value selecting this variant (call kinds). */
  readonly src?: number;
  /** Disassembly operator, as kernel/bpf/disasm.c prints it ('+=', 's/=', '==', ...). */
  readonly sym?: string;
  /** Cast printed before the source register by movsx ('(s8)'). */
  readonly cast?: string;
  /** Atomic operation name as in `atomic64_fetch_add` ('add', 'and', 'or', 'xor'). */
  readonly atomicOp?: string;
  /** Access type name for memory forms ('u32', 's16'). */
  readonly mem?: string;
}

/** Everything the table knows about one opcode byte. */
export interface OpcodeInfo {
  readonly code: number;
  /** Short name for messages: the base mnemonic, plus 'imm'/'reg' where the source bit matters. */
  readonly label: string;
  /** Decoder rule family (the shape of the base variant). */
  readonly kind: OpShape;
  readonly variants: readonly OpVariant[];
}

const CLASS_SUFFIX: readonly (readonly [number, string])[] = [[BPF_ALU64, ''], [BPF_ALU, '32']];

// [op, mnemonic, disasm operator]. NEG, END and MOV are added apart: their forms differ.
const ALU_OPS: readonly (readonly [number, string, string])[] = [
  [BPF_ADD, 'add', '+='], [BPF_SUB, 'sub', '-='], [BPF_MUL, 'mul', '*='], [BPF_DIV, 'div', '/='],
  [BPF_OR, 'or', '|='], [BPF_AND, 'and', '&='], [BPF_LSH, 'lsh', '<<='], [BPF_RSH, 'rsh', '>>='],
  [BPF_MOD, 'mod', '%='], [BPF_XOR, 'xor', '^='], [BPF_MOV, 'mov', '='], [BPF_ARSH, 'arsh', 's>>='],
];
// The signed forms selected by off = 1 (kernel 6.6+).
const SIGNED_ALU: ReadonlyMap<number, readonly [string, string]> = new Map([
  [BPF_DIV, ['sdiv', 's/=']], [BPF_MOD, ['smod', 's%=']],
]);

const JMP_OPS: readonly (readonly [number, string, string])[] = [
  [BPF_JEQ, 'jeq', '=='], [BPF_JGT, 'jgt', '>'], [BPF_JGE, 'jge', '>='], [BPF_JSET, 'jset', '&'],
  [BPF_JNE, 'jne', '!='], [BPF_JSGT, 'jsgt', 's>'], [BPF_JSGE, 'jsge', 's>='], [BPF_JLT, 'jlt', '<'],
  [BPF_JLE, 'jle', '<='], [BPF_JSLT, 'jslt', 's<'], [BPF_JSLE, 'jsle', 's<='],
];

// [size, mnemonic suffix, unsigned access type, signed access type]
const SIZES: readonly (readonly [number, string, string, string])[] = [
  [BPF_W, 'w', 'u32', 's32'], [BPF_H, 'h', 'u16', 's16'], [BPF_B, 'b', 'u8', 's8'], [BPF_DW, 'dw', 'u64', 's64'],
];

// [imm, op name] of the read-modify-write atomics; each also exists with BPF_FETCH.
const ATOMIC_ALU: readonly (readonly [number, string])[] = [
  [BPF_ADD, 'add'], [BPF_OR, 'or'], [BPF_AND, 'and'], [BPF_XOR, 'xor'],
];

function buildVariants(): OpVariant[] {
  const v: OpVariant[] = [];
  for (const [cls, sfx] of CLASS_SUFFIX) {
    for (const [op, name, sym] of ALU_OPS) {
      v.push({ mnemonic: name + sfx, code: cls | op | BPF_K, shape: 'alu-k', sym });
      v.push({ mnemonic: name + sfx, code: cls | op | BPF_X, shape: 'alu-x', sym });
      const signed = SIGNED_ALU.get(op);
      if (signed) {
        v.push({ mnemonic: signed[0] + sfx, code: cls | op | BPF_K, shape: 'alu-k', off: 1, sym: signed[1] });
        v.push({ mnemonic: signed[0] + sfx, code: cls | op | BPF_X, shape: 'alu-x', off: 1, sym: signed[1] });
      }
    }
    // movsx<from><to>: sign-extending moves, register source only.
    const widths = cls === BPF_ALU64 ? [8, 16, 32] : [8, 16];
    for (const bits of widths) {
      v.push({
        mnemonic: `movsx${bits}${cls === BPF_ALU64 ? '64' : '32'}`, code: cls | BPF_MOV | BPF_X, shape: 'alu-x',
        off: bits, sym: '=', cast: `(s${bits})`,
      });
    }
    v.push({ mnemonic: 'neg' + sfx, code: cls | BPF_NEG | BPF_K, shape: 'neg' });
  }
  v.push({ mnemonic: 'addr_space_cast', code: BPF_ALU64 | BPF_MOV | BPF_X, shape: 'addr-space-cast', off: 1 });
  for (const bits of [16, 32, 64]) {
    v.push({ mnemonic: `le${bits}`, code: BPF_ALU | BPF_END | BPF_TO_LE, shape: 'end', imm: bits, sym: 'le' });
    v.push({ mnemonic: `be${bits}`, code: BPF_ALU | BPF_END | BPF_TO_BE, shape: 'end', imm: bits, sym: 'be' });
    v.push({
      mnemonic: `bswap${bits}`, aliases: [`swap${bits}`], code: BPF_ALU64 | BPF_END | BPF_TO_LE, shape: 'bswap',
      imm: bits, sym: 'bswap',
    });
  }

  v.push({ mnemonic: 'ja', code: BPF_JMP | BPF_JA, shape: 'ja' });
  v.push({ mnemonic: 'ja32', aliases: ['gotol'], code: BPF_JMP32 | BPF_JA, shape: 'ja32' });
  for (const [cls, sfx] of [[BPF_JMP, ''], [BPF_JMP32, '32']] as const) {
    for (const [op, name, sym] of JMP_OPS) {
      v.push({ mnemonic: name + sfx, code: cls | op | BPF_K, shape: 'jcc-k', sym });
      v.push({ mnemonic: name + sfx, code: cls | op | BPF_X, shape: 'jcc-x', sym });
    }
  }
  v.push({ mnemonic: 'call', code: BPF_JMP | BPF_CALL, shape: 'call-helper', src: BPF_HELPER_CALL });
  v.push({ mnemonic: 'call', code: BPF_JMP | BPF_CALL, shape: 'call-local', src: BPF_PSEUDO_CALL });
  v.push({ mnemonic: 'call', code: BPF_JMP | BPF_CALL, shape: 'call-kfunc', src: BPF_PSEUDO_KFUNC_CALL });
  v.push({ mnemonic: 'call', aliases: ['callx'], code: BPF_JMP | BPF_CALL | BPF_X, shape: 'callx' });
  v.push({ mnemonic: 'exit', code: BPF_JMP | BPF_EXIT, shape: 'exit' });
  v.push({ mnemonic: 'may_goto', code: BPF_JMP | BPF_JCOND, shape: 'may-goto' });

  v.push({ mnemonic: 'lddw', code: BPF_LD | BPF_IMM | BPF_DW, shape: 'lddw' });
  for (const [size, sfx, u, s] of SIZES) {
    if (size !== BPF_DW) {
      v.push({ mnemonic: 'ldabs' + sfx, code: BPF_LD | BPF_ABS | size, shape: 'ld-abs', mem: u });
      v.push({ mnemonic: 'ldind' + sfx, code: BPF_LD | BPF_IND | size, shape: 'ld-ind', mem: u });
      v.push({ mnemonic: 'ldxs' + sfx, code: BPF_LDX | BPF_MEMSX | size, shape: 'ldxs', mem: s });
    }
    v.push({ mnemonic: 'ldx' + sfx, code: BPF_LDX | BPF_MEM | size, shape: 'ldx', mem: u });
    v.push({ mnemonic: 'st' + sfx, code: BPF_ST | BPF_MEM | size, shape: 'st', mem: u });
    v.push({ mnemonic: 'stx' + sfx, code: BPF_STX | BPF_MEM | size, shape: 'stx', mem: u });
    const atomic = BPF_STX | BPF_ATOMIC | size;
    if (size === BPF_W || size === BPF_DW) {
      // The conformance dialect marks the 32-bit atomics, not the 64-bit ones: add32 / add.
      const w = size === BPF_W ? '32' : '';
      for (const [imm, op] of ATOMIC_ALU) {
        const sym = ALU_OPS.find(([o]) => o === imm)?.[2];
        v.push({ mnemonic: `lock ${op}${w}`, code: atomic, shape: 'atomic-rmw', imm, atomicOp: op, mem: u, ...(sym ? { sym } : {}) });
        v.push({ mnemonic: `lock fetch ${op}${w}`, code: atomic, shape: 'atomic-fetch', imm: imm | BPF_FETCH, atomicOp: op, mem: u });
      }
      v.push({ mnemonic: `lock xchg${w}`, code: atomic, shape: 'atomic-xchg', imm: BPF_XCHG, mem: u });
      v.push({ mnemonic: `lock cmpxchg${w}`, code: atomic, shape: 'atomic-cmpxchg', imm: BPF_CMPXCHG, mem: u });
    }
    v.push({ mnemonic: 'ldacq' + sfx, code: atomic, shape: 'load-acq', imm: BPF_LOAD_ACQ, mem: u });
    v.push({ mnemonic: 'strel' + sfx, code: atomic, shape: 'store-rel', imm: BPF_STORE_REL, mem: u });
  }
  return v;
}

/** Every instruction of the ISA, one entry per (opcode, selector) pair. */
export const OP_VARIANTS: readonly OpVariant[] = buildVariants();

function labelOf(base: OpVariant): string {
  switch (base.shape) {
    case 'alu-k': case 'jcc-k': return `${base.mnemonic} imm`;
    case 'alu-x': case 'jcc-x': return `${base.mnemonic} reg`;
    case 'atomic-rmw': case 'load-acq': return `atomic ${base.mem ?? ''}`;
    case 'end': case 'bswap': return base.sym ?? base.mnemonic;
    default: return base.mnemonic;
  }
}

function buildOpcodeTable(): (OpcodeInfo | undefined)[] {
  const byCode: OpVariant[][] = [];
  for (const v of OP_VARIANTS) (byCode[v.code] ??= []).push(v);
  const table: (OpcodeInfo | undefined)[] = new Array<OpcodeInfo | undefined>(256).fill(undefined);
  byCode.forEach((variants, code) => {
    const base = variants[0];
    if (base) table[code] = { code, label: labelOf(base), kind: base.shape, variants };
  });
  return table;
}

/** Opcode byte → its table entry; undefined for opcodes outside the ISA. */
export const OPCODES: readonly (OpcodeInfo | undefined)[] = buildOpcodeTable();

/** The table entry of an opcode byte, or undefined if the byte is not a valid opcode. */
export function opcodeInfo(code: number): OpcodeInfo | undefined {
  return OPCODES[code];
}

/**
 * The variant an instruction is, by its selecting field, or undefined if no variant matches
 * (for example ALU64|MOV|X with off 4). Works on decoded and hand-built instructions alike.
 */
export function findVariant(insn: { code: number; off: number; imm: number; src: number }): OpVariant | undefined {
  const info = OPCODES[insn.code];
  if (!info) return undefined;
  let plain: OpVariant | undefined;
  for (const v of info.variants) {
    if (v.off !== undefined) {
      if (v.off === insn.off) return v;
    } else if (v.imm !== undefined) {
      if (v.imm === insn.imm) return v;
    } else if (v.src !== undefined) {
      if (v.src === insn.src) return v;
    } else {
      plain ??= v;
    }
  }
  return plain;
}

/** Mnemonic (and alias) → variants, for the assembler. */
export const VARIANTS_BY_MNEMONIC: ReadonlyMap<string, readonly OpVariant[]> = (() => {
  const m = new Map<string, OpVariant[]>();
  const add = (name: string, v: OpVariant): void => {
    const list = m.get(name);
    if (list) list.push(v);
    else m.set(name, [v]);
  };
  for (const v of OP_VARIANTS) {
    add(v.mnemonic, v);
    for (const a of v.aliases ?? []) add(a, v);
  }
  return m;
})();

/**
 * Instructions → the kernel's text, as kernel/bpf/disasm.c prints it in verifier logs
 * (`print_bpf_insn()`, v6.18): `r1 = *(u64 *)(r10 -8)`, `if w1 s> w2 goto pc-4`,
 * `call bpf_map_lookup_elem#1`, `r0 = atomic64_cmpxchg((u64 *)(r1 +0), r0, r2)`.
 * The golden test holds lines captured from a 6.18 kernel's verifier log.
 *
 * Operators and access types come from the opcode table (table.ts); this file only lays them out.
 */
import { helperName } from '../uapi/helpers.ts';
import type { Insn } from './insn.ts';
import {
  BPF_ALU, BPF_DW, BPF_JMP32, BPF_PSEUDO_BTF_ID, BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC, BPF_PSEUDO_KFUNC_CALL,
  BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE, BPF_PSEUDO_MAP_VALUE, insnClass, insnSize,
} from './opcodes.ts';
import { findVariant } from './table.ts';

/** Hooks that let callers name what the bare instruction cannot (maps, kfuncs, subprograms). */
export interface DisasmOptions {
  /**
   * Name of a call target: a kfunc's name for src 2 (else `kernel-function`), a subprogram's for
   * src 1 (else the `+N` offset). Helper calls are named from the helper table first, as the
   * kernel does. Return undefined for the default.
   */
  readonly callName?: (insn: Insn) => string | undefined;
  /**
   * Text of an ld_imm64 operand (say, a map's name). Return undefined for the default, which is
   * bpftool's: `map[id:N]`, `map[id:N][0]+off`, `subprog[+N]`, else the hex constant.
   */
  readonly immName?: (insn: Insn) => string | undefined;
}

/** printf's `%+d`. */
function signed(n: number): string {
  return n < 0 ? String(n) : `+${n}`;
}

function hexU32(n: number): string {
  return '0x' + (n >>> 0).toString(16);
}

function imm64Of(insn: Insn): bigint {
  if (insn.imm64 !== undefined) return BigInt.asUintN(64, insn.imm64);
  return (BigInt((insn.imm2 ?? 0) >>> 0) << 32n) | BigInt(insn.imm >>> 0);
}

function ldImm64Text(insn: Insn, options: DisasmOptions): string {
  const named = options.immName?.(insn);
  if (named !== undefined) return named;
  const imm2 = insn.imm2 ?? Number(BigInt.asIntN(32, imm64Of(insn) >> 32n));
  switch (insn.src) {
    case BPF_PSEUDO_MAP_FD: return `map[id:${insn.imm}]`;
    case BPF_PSEUDO_MAP_VALUE: return `map[id:${insn.imm}][0]+${imm2 >>> 0}`;
    case BPF_PSEUDO_MAP_IDX: return `map[idx:${insn.imm}]`;
    case BPF_PSEUDO_MAP_IDX_VALUE: return `map[idx:${insn.imm}]+${imm2 >>> 0}`;
    case BPF_PSEUDO_FUNC: return `subprog[${signed(insn.imm)}]`;
    case BPF_PSEUDO_BTF_ID:
    default: return '0x' + imm64Of(insn).toString(16);
  }
}

function callText(insn: Insn, options: DisasmOptions): string {
  if (insn.src === BPF_PSEUDO_CALL) return `call pc${options.callName?.(insn) ?? signed(insn.imm)}`;
  let name: string | undefined;
  if (insn.src === 0) {
    const helper = helperName(insn.imm);
    if (helper !== undefined) name = `bpf_${helper}`;
  }
  name ??= options.callName?.(insn) ?? (insn.src === BPF_PSEUDO_KFUNC_CALL ? 'kernel-function' : 'unknown');
  return `call ${name}#${insn.imm}`;
}

/**
 * The kernel's text for one instruction, without the `idx: (code)` prefix. Opcodes and variants
 * outside the ISA print as `BUG_xx`, as disasm.c does. Works in node / browser.
 */
export function disasmInsn(insn: Insn, options: DisasmOptions = {}): string {
  const v = findVariant(insn);
  const bug = `BUG_${insn.code.toString(16).padStart(2, '0')}`;
  if (!v) return bug;
  const cls = insnClass(insn.code);
  const w = cls === BPF_ALU || cls === BPF_JMP32 ? 'w' : 'r';
  const d = `r${insn.dst}`;
  const s = `r${insn.src}`;
  const mem = `*(${v.mem ?? ''} *)`;
  const at = (reg: string): string => `(${reg} ${signed(insn.off)})`;
  const bits = insnSize(insn.code) === BPF_DW ? '64' : '';
  switch (v.shape) {
    case 'alu-k': return `${w}${insn.dst} ${v.sym ?? ''} ${insn.imm}`;
    case 'alu-x': return `${w}${insn.dst} ${v.sym ?? ''} ${v.cast ?? ''}${w}${insn.src}`;
    case 'neg': return `${w}${insn.dst} = -${w}${insn.dst}`;
    case 'end':
    case 'bswap': return `${d} = ${v.sym ?? ''}${insn.imm} ${d}`;
    case 'addr-space-cast': return `${d} = addr_space_cast(${s}, ${insn.imm >>> 16}, ${insn.imm & 0xffff})`;
    case 'ja': return `goto pc${signed(insn.off)}`;
    case 'ja32': return `gotol pc${signed(insn.imm)}`;
    case 'may-goto': return `may_goto pc${signed(insn.off)}`;
    case 'jcc-k': return `if ${w}${insn.dst} ${v.sym ?? ''} ${hexU32(insn.imm)} goto pc${signed(insn.off)}`;
    case 'jcc-x': return `if ${w}${insn.dst} ${v.sym ?? ''} ${w}${insn.src} goto pc${signed(insn.off)}`;
    case 'call-helper':
    case 'call-local':
    case 'call-kfunc': return callText(insn, options);
    // Not a kernel instruction; printed as LLVM prints it.
    case 'callx': return `callx ${d}`;
    case 'exit': return 'exit';
    case 'lddw': return `${d} = ${ldImm64Text(insn, options)}`;
    case 'ld-abs': return `r0 = ${mem}skb[${insn.imm}]`;
    case 'ld-ind': return `r0 = ${mem}skb[${s} + ${insn.imm}]`;
    case 'ldx':
    case 'ldxs': return `${d} = ${mem}${at(s)}`;
    case 'st': return `${mem}${at(d)} = ${insn.imm}`;
    case 'stx': return `${mem}${at(d)} = ${s}`;
    case 'atomic-rmw': return `lock ${mem}${at(d)} ${v.sym ?? ''} ${s}`;
    case 'atomic-fetch': return `${s} = atomic${bits}_fetch_${v.atomicOp ?? ''}((${v.mem ?? ''} *)${at(d)}, ${s})`;
    case 'atomic-xchg': return `${s} = atomic${bits}_xchg((${v.mem ?? ''} *)${at(d)}, ${s})`;
    case 'atomic-cmpxchg': return `r0 = atomic${bits}_cmpxchg((${v.mem ?? ''} *)${at(d)}, r0, ${s})`;
    case 'load-acq': return `${d} = load_acquire((${v.mem ?? ''} *)${at(s)})`;
    case 'store-rel': return `store_release((${v.mem ?? ''} *)${at(d)}, ${s})`;
    default: {
      const never: never = v.shape;
      return never;
    }
  }
}

/** One verifier-log line: `idx: (code) text`, e.g. `0: (b7) r0 = 0`. Works in node / browser. */
export function disasmLine(insn: Insn, options: DisasmOptions = {}): string {
  return `${insn.idx}: (${insn.code.toString(16).padStart(2, '0')}) ${disasmInsn(insn, options)}`;
}

/** A whole program, one verifier-log line per instruction. Works in node / browser. */
export function disasmProgram(insns: readonly Insn[], options: DisasmOptions = {}): string[] {
  return insns.map((insn) => disasmLine(insn, options));
}

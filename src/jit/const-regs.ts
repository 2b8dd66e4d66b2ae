/**
 * Which helper calls have a constant R1: a forward constant propagation of ld_imm64 values over
 * the CFG, so that a call whose R1 is the same map pointer on every path can use code specialised
 * for that map (what the kernel does with the map its verifier tracked). Exact about values, not
 * types: registers are followed through ld_imm64 and register moves only; any other write, a call
 * (R0..R5) or LD_ABS/LD_IND (R0..R5) makes them unknown; a bpf-to-bpf call keeps R6..R9, as the
 * callee cannot change them. Function entries start with nothing known. Works in node / browser.
 */
import type { Insn } from '../isa/insn.ts';
import { BPF_ALU64, BPF_CALL, BPF_HELPER_CALL, BPF_JMP, BPF_K, BPF_LD_IMM64, BPF_MOV, BPF_X, insnClass, insnOp, insnSrcBit } from '../isa/opcodes.ts';
import { regUsage } from '../vm/reg-usage.ts';
import { initEffect } from './init-analysis.ts';
import { successors, type ProgramCfg } from './cfg.ts';

/** Per register R0..R9: the known constant, or undefined. */
type RegConsts = (bigint | undefined)[];

const UNKNOWN: RegConsts = new Array<bigint | undefined>(10).fill(undefined);

function meet(a: RegConsts, b: RegConsts): RegConsts {
  return a.map((v, r) => (v !== undefined && v === b[r] ? v : undefined));
}

function same(a: RegConsts, b: RegConsts): boolean {
  return a.every((v, r) => v === b[r]);
}

function step(insn: Insn, regs: RegConsts, ldImm64: (insn: Insn) => bigint | undefined): void {
  if (insn.code === BPF_LD_IMM64) {
    if (insn.dst < 10) regs[insn.dst] = ldImm64(insn);
    return;
  }
  if (insnClass(insn.code) === BPF_ALU64 && insnOp(insn.code) === BPF_MOV && insnSrcBit(insn.code) === BPF_X && insn.off === 0) {
    if (insn.dst < 10) regs[insn.dst] = insn.src < 10 ? regs[insn.src] : undefined;
    return;
  }
  const writes = regUsage(insn).writes;
  for (let r = 0; r < 10; r++) if ((writes & (1 << r)) !== 0) regs[r] = undefined;
  const effect = initEffect(insn);
  if (effect !== 'plain') for (let r = 0; r <= 5; r++) regs[r] = undefined;
}

/**
 * R1 at each helper call (`call imm`, src 0) where it is a constant on every path, by the call's
 * slot index. `ldImm64` gives an ld_imm64's value (undefined when it cannot be resolved now).
 */
export function constantR1AtHelperCalls(cfg: ProgramCfg, ldImm64: (insn: Insn) => bigint | undefined): Map<number, bigint> {
  const n = cfg.blocks.length;
  const preds: number[][] = Array.from({ length: n }, () => []);
  cfg.blocks.forEach((b) => { for (const s of successors(b)) preds[s]!.push(b.id); });
  const entries = new Set<number>();
  for (const fn of cfg.functions.values()) entries.add(fn.blocks[0]!);
  const out: (RegConsts | undefined)[] = new Array<RegConsts | undefined>(n).fill(undefined);
  const inState = (b: number): RegConsts | undefined => {
    let acc: RegConsts | undefined = entries.has(b) ? UNKNOWN : undefined;
    for (const p of preds[b]!) {
      const o = out[p];
      if (o === undefined) continue;
      acc = acc === undefined ? o : meet(acc, o);
    }
    return acc;
  };
  const work: number[] = [...entries];
  const queued = new Uint8Array(n);
  for (const b of work) queued[b] = 1;
  while (work.length > 0) {
    const b = work.pop()!;
    queued[b] = 0;
    const start = inState(b);
    if (start === undefined) continue;
    const regs = [...start];
    const blk = cfg.blocks[b]!;
    for (let i = blk.first; i >= 0 && i <= blk.last; i++) step(cfg.insns[i]!, regs, ldImm64);
    const prev = out[b];
    if (prev !== undefined && same(prev, regs)) continue;
    out[b] = regs;
    for (const s of successors(blk)) {
      if (queued[s] === 0) {
        queued[s] = 1;
        work.push(s);
      }
    }
  }
  const result = new Map<number, bigint>();
  cfg.blocks.forEach((blk) => {
    const start = inState(blk.id);
    if (start === undefined || blk.first < 0) return;
    const regs = [...start];
    for (let i = blk.first; i <= blk.last; i++) {
      const insn = cfg.insns[i]!;
      const isHelperCall = insn.code === (BPF_JMP | BPF_CALL | BPF_K) && insn.src === BPF_HELPER_CALL;
      if (isHelperCall && regs[1] !== undefined) result.set(insn.idx, regs[1]);
      step(insn, regs, ldImm64);
    }
  });
  return result;
}

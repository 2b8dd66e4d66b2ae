/**
 * Which registers hold a value: the static counterpart of the interpreter's `R%d !read_ok` run-time
 * rule (itself the verifier's check_reg_arg applied at run time), so that JIT code for unverified
 * programs fails exactly where the interpreter would, without a check per instruction.
 *
 * A forward must-analysis (intersection over predecessors) per function, with the interpreter's
 * transfer rules: an instruction first needs its reads, then defines its writes; a helper call
 * leaves R0 and R6..R10; a bpf-to-bpf call gives the callee R10 and the caller's readable R1..R5,
 * and gives the caller back R0 and its own R6..R10; LD_ABS/LD_IND clobber R1..R5. Entry masks of
 * callees are the intersection over all call sites, computed to a fixed point over the call
 * graph. When every read is proven, the JIT emits no checks; otherwise it compiles the program in
 * the exact (dynamic) mode. Works in node / browser.
 */
import { BPF_ABS, BPF_CALL, BPF_IND, BPF_JMP, BPF_K, BPF_LD, BPF_PSEUDO_CALL, insnClass, insnMode, insnSrcBit } from '../isa/opcodes.ts';
import type { Insn } from '../isa/insn.ts';
import { CALLEE_SAVED_MASK, CALLER_SAVED_MASK, FP_MASK, regUsage } from '../vm/reg-usage.ts';
import { arrayIndexOf, successors, type ProgramCfg } from './cfg.ts';

const ALL = 0x7ff;

/** The readable-register mask at the entry of a run with `argCount` arguments (interpreter rule). */
export function entryMask(argCount: number): number {
  return FP_MASK | (((1 << Math.min(argCount, 5)) - 1) << 1);
}

/** How an instruction changes the readable mask, besides `reads`/`writes`. */
export type InitEffect = 'plain' | 'helper' | 'bpfcall' | 'ldabs';

export function initEffect(insn: Insn): InitEffect {
  if (insn.code === (BPF_JMP | BPF_CALL)) return insn.src === BPF_PSEUDO_CALL ? 'bpfcall' : 'helper';
  if (insn.code === (BPF_JMP | BPF_CALL | 0x08)) return 'helper'; // callx
  if (insnClass(insn.code) === BPF_LD) {
    const mode = insnMode(insn.code);
    if (mode === BPF_ABS || mode === BPF_IND) return 'ldabs';
  }
  return 'plain';
}

/** The mask after `insn` (reads assumed satisfied); `callee` is not needed here. */
export function afterInsn(insn: Insn, mask: number): number {
  const m = mask | regUsage(insn).writes;
  switch (initEffect(insn)) {
    case 'helper': return (m & ~CALLER_SAVED_MASK) | 1;
    case 'bpfcall': return (m & (CALLEE_SAVED_MASK | FP_MASK)) | 1;
    case 'ldabs': return m & ~CALLER_SAVED_MASK;
    case 'plain': return m;
  }
}

/**
 * True when, for a run entering the function at `entrySlot` with readable mask `mask`, every
 * register read by every reachable instruction is readable on every path.
 */
export function allReadsInitialised(cfg: ProgramCfg, entrySlot: number, mask: number): boolean {
  const entryMasks = new Map<number, number>([[entrySlot, mask]]);
  for (let changed = true; changed;) {
    changed = false;
    for (const [slot, m] of [...entryMasks]) {
      const fn = cfg.functions.get(slot);
      if (fn === undefined) return false;
      const blockIn = flow(cfg, fn.blocks, m);
      for (const b of fn.blocks) {
        const blk = cfg.blocks[b]!;
        if (blk.first < 0) continue;
        let cur = blockIn.get(b)!;
        for (let i = blk.first; i <= blk.last; i++) {
          const insn = cfg.insns[i]!;
          if (initEffect(insn) === 'bpfcall' && insnSrcBit(insn.code) === BPF_K) {
            const target = insn.idx + 1 + insn.imm;
            if (arrayIndexOf(cfg.slots, target) >= 0) {
              const calleeMask = FP_MASK | ((cur | regUsage(insn).writes) & CALLER_SAVED_MASK);
              const old = entryMasks.get(target);
              const next = old === undefined ? calleeMask : old & calleeMask;
              if (next !== old) {
                entryMasks.set(target, next);
                changed = true;
              }
            }
          }
          cur = afterInsn(insn, cur);
        }
      }
    }
  }
  for (const [slot, m] of entryMasks) {
    const fn = cfg.functions.get(slot)!;
    const blockIn = flow(cfg, fn.blocks, m);
    for (const b of fn.blocks) {
      const blk = cfg.blocks[b]!;
      if (blk.first < 0) continue;
      let cur = blockIn.get(b)!;
      for (let i = blk.first; i <= blk.last; i++) {
        const insn = cfg.insns[i]!;
        if ((regUsage(insn).reads & ~cur) !== 0) return false;
        cur = afterInsn(insn, cur);
      }
    }
  }
  return true;
}

/** Must-readable mask at the start of each block of one function. */
function flow(cfg: ProgramCfg, blocks: readonly number[], mask: number): Map<number, number> {
  const entry = blocks[0]!;
  const inMask = new Map<number, number>(blocks.map((b) => [b, ALL]));
  inMask.set(entry, mask);
  const preds = new Map<number, number[]>(blocks.map((b) => [b, []]));
  for (const b of blocks) for (const s of successors(cfg.blocks[b]!)) preds.get(s)!.push(b);
  const out = new Map<number, number>(blocks.map((b) => [b, ALL]));
  for (let changed = true; changed;) {
    changed = false;
    for (const b of blocks) {
      let m = b === entry ? mask : ALL;
      for (const p of preds.get(b)!) m &= out.get(p)!;
      inMask.set(b, m);
      const blk = cfg.blocks[b]!;
      let cur = m;
      for (let i = blk.first; i >= 0 && i <= blk.last; i++) cur = afterInsn(cfg.insns[i]!, cur);
      if (cur !== out.get(b)) {
        out.set(b, cur);
        changed = true;
      }
    }
  }
  return inMask;
}

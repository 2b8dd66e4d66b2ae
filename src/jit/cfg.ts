/**
 * Control-flow graphs of a program for the JIT: the basic blocks (split at jump targets, after
 * jumps and exits, and at function starts) and the functions, each the set of blocks reachable
 * from its entry. A function is a Wasm function: the main program, every bpf-to-bpf call target
 * and every BPF_PSEUDO_FUNC target (callbacks).
 *
 * The graph is built for unverified code too, exactly as the interpreter would run it: a jump out
 * of range, into an ld_imm64 or past the last instruction leads to a synthetic fault block that
 * stops the run with the interpreter's message; a function may run into code of another function
 * (blocks are shared, so each function simply contains what it can reach). Works in node / browser.
 */
import type { Insn } from '../isa/insn.ts';
import { slotIndex } from '../isa/insn.ts';
import {
  BPF_CALL, BPF_EXIT, BPF_JA, BPF_JCOND, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JLE, BPF_JLT, BPF_JMP,
  BPF_JMP32, BPF_JNE, BPF_JSET, BPF_JSGE, BPF_JSGT, BPF_JSLE, BPF_JSLT, BPF_K, BPF_LD_IMM64,
  BPF_MAY_GOTO, BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC, insnClass, insnOp, insnSrcBit,
} from '../isa/opcodes.ts';
import { RunError } from '../util/errors.ts';
import { EINVAL } from '../uapi/errno.ts';

/** How control leaves a block. Targets are block ids. */
export type Term =
  | { readonly kind: 'goto'; readonly target: number }
  /** A conditional jump or may_goto at the block's last instruction: `taken` when it jumps. */
  | { readonly kind: 'cond'; readonly taken: number; readonly fall: number }
  | { readonly kind: 'exit' }
  /** The last instruction always stops the run (invalid jump-class instruction). */
  | { readonly kind: 'trap' };

export interface Block {
  readonly id: number;
  /** Array indices of the first and last instruction (inclusive); -1 for a fault block. */
  readonly first: number;
  readonly last: number;
  term: Term;
  /** Fault blocks only: the error the run stops with when it gets here. */
  readonly fault?: RunError;
}

export interface CfgFunction {
  /** Slot index of the entry instruction. */
  readonly slot: number;
  /** Block ids reachable from the entry, entry first. */
  readonly blocks: readonly number[];
}

export interface ProgramCfg {
  readonly insns: readonly Insn[];
  /** Slot index -> array index (-1 inside an ld_imm64). */
  readonly slots: Int32Array;
  readonly blocks: readonly Block[];
  /** Array index -> id of the block starting there (-1 if none). */
  readonly blockAt: Int32Array;
  /** Functions by entry slot. */
  readonly functions: ReadonlyMap<number, CfgFunction>;
}

/** Conditional jump operations (the interpreter's cond64/cond32 cases). */
const COND_OPS = new Set([BPF_JEQ, BPF_JNE, BPF_JSET, BPF_JGT, BPF_JGE, BPF_JLT, BPF_JLE, BPF_JSGT, BPF_JSGE, BPF_JSLT, BPF_JSLE]);

/** What a jump-class instruction does to control flow. */
export type JumpShape = 'none' | 'goto' | 'cond' | 'exit' | 'trap';

/** Classify an instruction for the CFG, mirroring the interpreter's checks. */
export function jumpShape(insn: Insn): JumpShape {
  const cls = insnClass(insn.code);
  if (cls !== BPF_JMP && cls !== BPF_JMP32) return 'none';
  const op = insnOp(insn.code);
  if (op === BPF_EXIT) return cls === BPF_JMP ? 'exit' : 'trap';
  if (op === BPF_CALL) return cls === BPF_JMP ? 'none' : 'trap';
  if (op === BPF_JA) return insnSrcBit(insn.code) === BPF_K ? 'goto' : 'trap';
  if (op === BPF_JCOND) return cls === BPF_JMP && insn.src === BPF_MAY_GOTO ? 'cond' : 'trap';
  return COND_OPS.has(op) ? 'cond' : 'trap';
}

/** Target slot of a jump, call (pseudo) or gotol, before validation. */
export function targetSlot(insn: Insn): number {
  const op = insnOp(insn.code);
  if (op === BPF_CALL) return insn.idx + 1 + insn.imm;
  if (op === BPF_JA && insnClass(insn.code) === BPF_JMP32) return insn.idx + 1 + insn.imm;
  return insn.idx + 1 + insn.off;
}

/** Array index of the instruction at `slot`, or -1 when it is not the start of one. */
export function arrayIndexOf(slots: Int32Array, slot: number): number {
  return slot >= 0 && slot < slots.length ? (slots[slot] ?? -1) : -1;
}

/** Slots where functions start: the entries given, valid call targets and function pointers. */
export function functionStarts(insns: readonly Insn[], slots: Int32Array, entries: readonly number[]): number[] {
  const starts = new Set<number>();
  for (const e of entries) if (arrayIndexOf(slots, e) >= 0) starts.add(e);
  for (const insn of insns) {
    const isCall = insn.code === (BPF_JMP | BPF_CALL) && insn.src === BPF_PSEUDO_CALL && insnSrcBit(insn.code) === BPF_K;
    const isFunc = insn.code === BPF_LD_IMM64 && insn.src === BPF_PSEUDO_FUNC;
    if (!isCall && !isFunc) continue;
    const t = insn.idx + 1 + insn.imm;
    if (arrayIndexOf(slots, t) >= 0) starts.add(t);
  }
  return [...starts].sort((a, b) => a - b);
}

/** Build the blocks and functions of a program. */
export function buildCfg(insns: readonly Insn[], entries: readonly number[]): ProgramCfg {
  const slots = slotIndex(insns);
  const n = insns.length;
  const starts = functionStarts(insns, slots, entries);
  const leader = new Uint8Array(n + 1);
  for (const s of starts) leader[slots[s]!] = 1;
  insns.forEach((insn, i) => {
    const shape = jumpShape(insn);
    if (shape === 'none') return;
    leader[i + 1] = 1;
    if (shape === 'goto' || shape === 'cond') {
      const t = arrayIndexOf(slots, targetSlot(insn));
      if (t >= 0) leader[t] = 1;
    }
  });
  if (n > 0) leader[0] = 1;
  const blocks: Block[] = [];
  const blockAt = new Int32Array(n).fill(-1);
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && leader[j + 1] === 0) j++;
    blockAt[i] = blocks.length;
    blocks.push({ id: blocks.length, first: i, last: j, term: { kind: 'exit' } });
    i = j + 1;
  }
  const faults = new Map<string, number>();
  const fault = (message: string, at: number): number => {
    const known = faults.get(message);
    if (known !== undefined) return known;
    const id = blocks.length;
    blocks.push({ id, first: -1, last: -1, term: { kind: 'trap' }, fault: new RunError(message, at, EINVAL) });
    faults.set(message, id);
    return id;
  };
  const lastIdx = n > 0 ? insns[n - 1]!.idx : 0;
  const next = (i: number): number => i + 1 < n
    ? blockAt[i + 1]!
    : fault(`execution ran off the end of the program after insn ${lastIdx}`, lastIdx);
  const jumpTo = (insn: Insn): number => {
    const t = arrayIndexOf(slots, targetSlot(insn));
    return t >= 0 ? blockAt[t]! : fault(`jump out of range or into the middle of ld_imm64 at insn ${insn.idx}`, insn.idx);
  };
  const count = blocks.length;
  for (let b = 0; b < count; b++) {
    const blk = blocks[b]!;
    const insn = insns[blk.last]!;
    switch (jumpShape(insn)) {
      case 'none': blk.term = { kind: 'goto', target: next(blk.last) }; break;
      case 'goto': blk.term = { kind: 'goto', target: jumpTo(insn) }; break;
      case 'cond': blk.term = { kind: 'cond', taken: jumpTo(insn), fall: next(blk.last) }; break;
      case 'exit': blk.term = { kind: 'exit' }; break;
      case 'trap': blk.term = { kind: 'trap' }; break;
    }
  }
  const functions = new Map<number, CfgFunction>();
  for (const s of starts) functions.set(s, { slot: s, blocks: reachable(blocks, blockAt[slots[s]!]!) });
  return { insns, slots, blocks, blockAt, functions };
}

/** Successor block ids of a block. */
export function successors(b: Block): number[] {
  switch (b.term.kind) {
    case 'goto': return [b.term.target];
    case 'cond': return [b.term.taken, b.term.fall];
    default: return [];
  }
}

function reachable(blocks: readonly Block[], entry: number): number[] {
  const seen = new Set<number>([entry]);
  const order = [entry];
  for (let i = 0; i < order.length; i++) {
    for (const s of successors(blocks[order[i]!]!)) {
      if (!seen.has(s)) {
        seen.add(s);
        order.push(s);
      }
    }
  }
  return order;
}

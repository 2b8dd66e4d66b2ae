/**
 * Static register liveness (compute_live_registers(), kernel/bpf/verifier.c v6.18): which of
 * R0-R9 may be read before being written at each instruction. Pruning ignores dead registers;
 * the level-2 log prints the table (`Live regs before insn:`), with the strongly connected
 * component (loop) of each instruction from compute_scc().
 * Intra-procedural, as in the kernel: a call reads its arguments (a helper's prototype says how
 * many) and clobbers R0-R5; an exit reads R0.
 */
import { helperProto } from '../helpers/protos.ts';
import {
  BPF_ALU, BPF_ALU64, BPF_ATOMIC, BPF_CALL, BPF_CMPXCHG, BPF_END, BPF_EXIT, BPF_FETCH, BPF_IMM, BPF_JA, BPF_JCOND,
  BPF_JMP, BPF_JMP32, BPF_K, BPF_LD, BPF_LDX, BPF_MEM, BPF_MEMSX, BPF_MOV, BPF_PSEUDO_CALL, BPF_PSEUDO_KFUNC_CALL,
  BPF_ST, BPF_STX, insnClass, insnMode, insnOp, insnSrcBit, type Insn,
} from '../isa/index.ts';
import { isExit, successors } from './cfg.ts';
import { insnCodeText, type VerifierLog } from './log.ts';

const CALLER_SAVED = 0b111111;
const BPF_LOAD_ACQ = 0x100;
const BPF_STORE_REL = 0x110;

/** compute_insn_live_regs(): registers read (use) and written (def), as bit masks. */
function useDef(i: Insn, progType: number): { use: number; def: number } {
  const src = 1 << i.src, dst = 1 << i.dst;
  const k = insnSrcBit(i.code) === BPF_K;
  switch (insnClass(i.code)) {
    case BPF_LD:
      if (insnMode(i.code) === BPF_IMM) return { use: 0, def: dst };
      return { use: 0xffff, def: 0 };
    case BPF_LDX:
      if (insnMode(i.code) === BPF_MEM || insnMode(i.code) === BPF_MEMSX) return { use: src, def: dst };
      return { use: 0xffff, def: 0 };
    case BPF_ST:
      return insnMode(i.code) === BPF_MEM ? { use: dst, def: 0 } : { use: 0xffff, def: 0 };
    case BPF_STX:
      if (insnMode(i.code) === BPF_MEM) return { use: dst | src, def: 0 };
      if (insnMode(i.code) !== BPF_ATOMIC) return { use: 0xffff, def: 0 };
      if (i.imm === BPF_CMPXCHG) return { use: 1 | dst | src, def: 1 };
      if (i.imm === BPF_LOAD_ACQ) return { use: src, def: dst };
      if (i.imm === BPF_STORE_REL) return { use: dst | src, def: 0 };
      return { use: dst | src, def: (i.imm & BPF_FETCH) !== 0 ? src : 0 };
    case BPF_ALU: case BPF_ALU64: {
      const op = insnOp(i.code);
      if (op === BPF_END) return { use: dst, def: dst };
      if (op === BPF_MOV) return { use: k ? 0 : src, def: dst };
      return { use: k ? dst : dst | src, def: dst };
    }
    case BPF_JMP: case BPF_JMP32: {
      const op = insnOp(i.code);
      if (op === BPF_JA) return { use: k ? 0 : dst, def: 0 };
      if (op === BPF_JCOND) return { use: 0, def: 0 };
      if (op === BPF_EXIT) return { use: 1, def: 0 };
      if (op === BPF_CALL) return { use: callUse(i, progType), def: CALLER_SAVED };
      return { use: k ? dst : dst | src, def: 0 };
    }
    default:
      return { use: 0xffff, def: 0 };
  }
}

/** get_call_summary(): a helper the program type may call reads exactly its arguments. */
function callUse(i: Insn, progType: number): number {
  if (i.src === BPF_PSEUDO_CALL || i.src === BPF_PSEUDO_KFUNC_CALL) return CALLER_SAVED & ~1;
  const proto = helperProto(i.imm);
  if (!proto || !proto.progTypes.has(progType)) return CALLER_SAVED & ~1;
  let use = 0;
  for (let r = 1; r <= proto.args.length; r++) use |= 1 << r;
  return use;
}

/** Backward liveness to a fixed point. R10 is always live. */
export function computeLiveness(bySlot: readonly (Insn | undefined)[], slots: number, progType: number): Uint16Array {
  const live = new Uint16Array(slots);
  const ud = bySlot.map((i) => (i === undefined ? undefined : useDef(i, progType)));
  const succ = bySlot.map((i) => (i === undefined ? [] : successors(i).filter((t) => t < slots)));
  let changed = true;
  while (changed) {
    changed = false;
    for (let x = slots - 1; x >= 0; x--) {
      const u = ud[x];
      if (u === undefined) continue;
      let out = 0;
      for (const t of succ[x] as number[]) out |= live[t] ?? 0;
      const v = (u.use | (out & ~u.def) | (1 << 10)) & 0xffff;
      if (v !== live[x]) { live[x] = v; changed = true; }
    }
  }
  return live;
}

/**
 * compute_scc(): ids of the strongly connected components that form loops (two or more
 * instructions, or a self loop), numbered in the kernel's order. (6.18 does not count a call that
 * runs a callback as a loop of its own.)
 */
export function computeScc(bySlot: readonly (Insn | undefined)[], slots: number): Int32Array {
  const scc = new Int32Array(slots);
  const NOT_ON_STACK = 0x7fffffff;
  const pre = new Int32Array(slots), low = new Int32Array(slots);
  const succOf = (w: number): number[] => {
    const i = bySlot[w];
    return i === undefined || isExit(i) ? [] : successors(i).filter((t) => t < slots && bySlot[t] !== undefined);
  };
  let nextPre = 1, nextScc = 1;
  for (let i = 0; i < slots; i++) {
    if (pre[i] || bySlot[i] === undefined) continue;
    const stack: number[] = [];
    const dfs: number[] = [i];
    while (dfs.length > 0) {
      const w = dfs[dfs.length - 1] as number;
      if (pre[w] === 0) { low[w] = pre[w] = nextPre++; stack.push(w); }
      const succ = succOf(w);
      let descended = false;
      for (const s of succ) {
        if (pre[s]) low[w] = Math.min(low[w] as number, low[s] as number);
        else { dfs.push(s); descended = true; break; }
      }
      if (descended) continue;
      if ((low[w] as number) < (pre[w] as number)) { dfs.pop(); continue; }
      const assign = stack[stack.length - 1] !== w || succ.includes(w);
      let t: number;
      do {
        t = stack.pop() as number;
        low[t] = NOT_ON_STACK;
        if (assign) scc[t] = nextScc;
      } while (t !== w);
      if (assign) nextScc++;
      dfs.pop();
    }
  }
  return scc;
}

/** The level-2 table: `  1   5: .1........ (07) r1 += 1` (scc, index, live R0-R9, insn). */
export function printLiveness(log: VerifierLog, bySlot: readonly (Insn | undefined)[], live: Uint16Array, scc: Int32Array): void {
  log.print('Live regs before insn:');
  bySlot.forEach((i, x) => {
    if (i === undefined) return;
    const s = scc[x] ? `${String(scc[x]).padStart(3)} ` : '    ';
    let mask = '';
    for (let r = 0; r < 10; r++) mask += ((live[x] ?? 0) & (1 << r)) !== 0 ? String(r) : '.';
    log.print(`${s}${String(x).padStart(3)}: ${mask} ${insnCodeText(i)}`);
  });
}

/**
 * Control flow: subprogram boundaries, jump targets, reachability and the shape rules the kernel
 * checks before the path walk (add_subprog(), check_subprogs(), check_cfg(), kernel/bpf/verifier.c
 * v6.18), plus static register liveness used by pruning.
 */
import {
  BPF_CALL, BPF_EXIT, BPF_JA, BPF_JCOND, BPF_JMP, BPF_JMP32, BPF_LD_IMM64, BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC,
  insnClass, insnOp, isJmpClass, type Insn,
} from '../isa/index.ts';
import { EINVAL } from '../uapi/errno.ts';
import { Reject } from './log.ts';
import * as msg from './messages.ts';

export interface Cfg {
  /** insns by slot index (undefined on the second slot of ld_imm64). */
  readonly bySlot: readonly (Insn | undefined)[];
  readonly slots: number;
  /** Sorted start slots of subprograms; subprogs[0] = 0. */
  readonly subprogStarts: readonly number[];
  /** Subprogram index of each slot. */
  readonly subprogOf: Int32Array;
  /** Slots where states are saved for pruning (jump targets and the insns after jumps and calls). */
  readonly prunePoints: Uint8Array;
  /** Registers live into each slot: bit i set when Ri may be read before written. */
  readonly liveIn: Uint16Array;
  /** Subprograms used as callbacks (ld_imm64 BPF_PSEUDO_FUNC targets). */
  readonly callbackSubprogs: ReadonlySet<number>;
}

const isCall = (i: Insn): boolean => i.code === (BPF_JMP | BPF_CALL);
const isExit = (i: Insn): boolean => i.code === (BPF_JMP | BPF_EXIT);
const isJa = (i: Insn): boolean => (i.code === (BPF_JMP | BPF_JA) || i.code === (BPF_JMP32 | BPF_JA));

/** Target slot of a jump (`gotol` takes its offset from imm). */
export function jumpTarget(i: Insn): number {
  return i.idx + 1 + (i.code === (BPF_JMP32 | BPF_JA) ? i.imm : i.off);
}

/** Successor slots of an instruction inside its function (calls fall through). */
function successors(i: Insn): number[] {
  const next = i.idx + (i.code === BPF_LD_IMM64 ? 2 : 1);
  if (isExit(i)) return [];
  const cls = insnClass(i.code);
  if (!isJmpClass(cls) || isCall(i)) return [next];
  if (isJa(i)) return [jumpTarget(i)];
  if (insnOp(i.code) === BPF_JCOND) return [next, jumpTarget(i)];
  return [next, jumpTarget(i)];
}

/** check_subprogs + check_cfg. Throws Reject (EINVAL) with the kernel's message. */
export function checkCfg(insns: readonly Insn[]): Cfg {
  const last = insns[insns.length - 1];
  const slots = last === undefined ? 0 : last.idx + (last.code === BPF_LD_IMM64 ? 2 : 1);
  const bySlot: (Insn | undefined)[] = new Array<Insn | undefined>(slots).fill(undefined);
  for (const i of insns) bySlot[i.idx] = i;

  // add_subprog for every call target and every callback address.
  const starts = new Set<number>([0]);
  const callbacks = new Set<number>();
  for (const i of insns) {
    const pseudoCall = isCall(i) && i.src === BPF_PSEUDO_CALL;
    const pseudoFunc = i.code === BPF_LD_IMM64 && i.src === BPF_PSEUDO_FUNC;
    if (!pseudoCall && !pseudoFunc) continue;
    const t = i.idx + i.imm + 1;
    if (t < 0 || t >= slots || bySlot[t] === undefined) throw new Reject(EINVAL, msg.callToInvalidDest());
    starts.add(t);
    if (pseudoFunc) callbacks.add(t);
  }
  const subprogStarts = [...starts].sort((a, b) => a - b);
  const subprogOf = new Int32Array(slots);
  subprogStarts.forEach((s, k) => {
    const end = subprogStarts[k + 1] ?? slots;
    for (let x = s; x < end; x++) subprogOf[x] = k;
  });

  // Jumps stay inside their function and land on instruction starts; functions end in exit/jmp.
  subprogStarts.forEach((s, k) => {
    const end = subprogStarts[k + 1] ?? slots;
    for (let x = s; x < end; x++) {
      const i = bySlot[x];
      if (i === undefined) continue;
      const cls = insnClass(i.code);
      if (isJmpClass(cls) && !isCall(i) && !isExit(i)) {
        const t = jumpTarget(i);
        if (t < s || t >= end) throw new Reject(EINVAL, msg.jumpOutOfRange(x, t));
      }
      const nextSlot = x + (i.code === BPF_LD_IMM64 ? 2 : 1);
      if (nextSlot === end && !isExit(i) && !isJa(i)) throw new Reject(EINVAL, msg.lastInsnNotExit());
    }
  });

  // Depth-first walk from the entry and from every function reached by calls or addresses.
  const seen = new Uint8Array(slots);
  const prunePoints = new Uint8Array(slots);
  const stack: number[] = [0];
  seen[0] = 1;
  const visit = (from: number, t: number): void => {
    if (bySlot[t] === undefined) throw new Reject(EINVAL, msg.jumpIntoLdImm64(t - 1));
    if (!seen[t]) { seen[t] = 1; stack.push(t); }
    void from;
  };
  while (stack.length > 0) {
    const x = stack.pop() as number;
    const i = bySlot[x] as Insn;
    const succ = successors(i);
    const cls = insnClass(i.code);
    if (isJmpClass(cls) && !isExit(i)) {
      for (const t of succ) prunePoints[t] = 1;
      if (!isCall(i) && !isJa(i)) prunePoints[x] = 1;
    }
    if (isCall(i) && i.src === BPF_PSEUDO_CALL) visit(x, i.idx + i.imm + 1);
    if (i.code === BPF_LD_IMM64 && i.src === BPF_PSEUDO_FUNC) visit(x, i.idx + i.imm + 1);
    for (const t of succ) visit(x, t);
  }
  for (let x = 0; x < slots; x++) {
    if (bySlot[x] !== undefined && !seen[x]) throw new Reject(EINVAL, msg.unreachableInsn(x));
  }
  return {
    bySlot, slots, subprogStarts, subprogOf, prunePoints, liveIn: computeLiveness(bySlot, slots),
    callbackSubprogs: new Set([...callbacks].map((t) => subprogOf[t] as number)),
  };
}

/** Registers read (use) and written (def) by one instruction, as bit masks. */
function useDef(i: Insn): { use: number; def: number } {
  const bit = (r: number): number => 1 << r;
  const cls = insnClass(i.code);
  if (i.code === BPF_LD_IMM64) return { use: 0, def: bit(i.dst) };
  if (isCall(i)) return { use: 0b111110, def: 0b111111 };
  if (isExit(i)) return { use: 1, def: 0 };
  if (isJmpClass(cls)) {
    if (isJa(i) || insnOp(i.code) === BPF_JCOND) return { use: 0, def: 0 };
    return { use: bit(i.dst) | ((i.code & 0x08) !== 0 ? bit(i.src) : 0), def: 0 };
  }
  switch (cls) {
    case 0x04: case 0x07: { // ALU, ALU64
      const op = insnOp(i.code);
      const x = (i.code & 0x08) !== 0 ? bit(i.src) : 0;
      if (op === 0xb0) return { use: x, def: bit(i.dst) }; // mov
      return { use: bit(i.dst) | x, def: bit(i.dst) };
    }
    case 0x01: return { use: bit(i.src), def: bit(i.dst) }; // LDX
    case 0x02: return { use: bit(i.dst), def: 0 }; // ST
    case 0x03: { // STX (atomics may write r0 or src)
      const mode = i.code & 0xe0;
      if (mode === 0xc0) return { use: bit(i.dst) | bit(i.src) | 1, def: bit(i.src) | 1 };
      return { use: bit(i.dst) | bit(i.src), def: 0 };
    }
    default: return { use: 0b1111111111, def: 1 }; // legacy packet loads read R6 (and more): be conservative
  }
}

/**
 * Backward liveness over the whole program (intra-procedural: calls are treated as reading
 * R1-R5, exits as reading R0). R10 is always live. Sound to use for ignoring dead registers
 * when comparing states: a register not live-in can never be read before being written.
 */
function computeLiveness(bySlot: readonly (Insn | undefined)[], slots: number): Uint16Array {
  const live = new Uint16Array(slots);
  const ud = bySlot.map((i) => (i === undefined ? undefined : useDef(i)));
  let changed = true;
  while (changed) {
    changed = false;
    for (let x = slots - 1; x >= 0; x--) {
      const i = bySlot[x];
      const u = ud[x];
      if (i === undefined || u === undefined) continue;
      let out = 0;
      for (const t of successors(i)) out |= live[t] ?? 0;
      const v = (u.use | (out & ~u.def) | (1 << 10)) & 0xffff;
      if (v !== live[x]) { live[x] = v; changed = true; }
    }
  }
  return live;
}

export { isCall, isExit, isJa };

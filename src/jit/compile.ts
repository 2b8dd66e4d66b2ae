/**
 * BPF program -> one WebAssembly module. Each BPF function (main program, bpf-to-bpf callees,
 * callbacks) becomes a Wasm function `(R1..R5: i64) -> R0: i64` whose body is the structured
 * form of its CFG (structurize.ts); each also gets an exported entry wrapper that sets up the
 * run's frame base, and the main function a repeat wrapper that runs it N times. Calls are lowered in lower-call.ts (helpers through one import, or the Wasm
 * implementation the runtime chose for the call site); faults go through a trap import that
 * throws the interpreter's RunError.
 *
 * Frames: BPF stacks live in the address space; Wasm globals hold the frame pointer (stack top)
 * of each absolute frame index; a function's prologue takes the next index, gets R10 from its
 * global and (by default) zeroes its 512 bytes, as the interpreter's stack pool does; every
 * return gives the index back. A run owns 8 consecutive indices (MAX_CALL_FRAMES) starting at
 * its base, so nested runs (callbacks from helpers) use fresh stacks. Works in node / browser.
 */
import type { Insn } from '../isa/insn.ts';
import {
  BPF_ABS, BPF_ALU, BPF_ALU64, BPF_CALL, BPF_EXIT, BPF_IND, BPF_JA, BPF_JCOND, BPF_JMP, BPF_LD,
  BPF_LD_IMM64, BPF_LDX, BPF_MEM, BPF_PSEUDO_FUNC, BPF_ST, BPF_STX, MAX_BPF_REG, MAX_BPF_STACK, insnClass,
  insnMode, insnOp, insnSize,
} from '../isa/opcodes.ts';
import { BpfError, InsnError, InternalError, RunError, isBpfError } from '../util/errors.ts';
import { E2BIG, EINVAL, EOPNOTSUPP } from '../uapi/errno.ts';
import { BPF_MAX_LOOPS, encodeFuncPtr, type HelperLookup } from '../vm/abi.ts';
import { invalidInsn } from '../vm/alu.ts';
import { CALLEE_SAVED_MASK, CALLER_SAVED_MASK, FP_MASK, regUsage } from '../vm/reg-usage.ts';
import { arrayIndexOf, jumpShape, type ProgramCfg } from './cfg.ts';
import {
  ENTRY_VALUE_GLOBAL0, F_FRAME_POINTER, FIRST_BPF_FUNC, G_BASE, G_BUDGET, G_FIDX, G_OUT_R1, GLOBAL_COUNT,
  FuncEmitter, type ModuleMode,
} from './emit.ts';
import { initEffect } from './init-analysis.ts';
import { BlockShifts, lowerAlu, lowerCond } from './lower-alu.ts';
import { lowerCtxLoad, lowerLdAbs, lowerLdx, lowerStore } from './lower-mem.ts';
import { lowerCall } from './lower-call.ts';
import { structurize, type FlowNode } from './structurize.ts';
import { entryWrapper, framePointerFunc, repeatWrapper } from './wrappers.ts';
import { constantR1AtHelperCalls } from './const-regs.ts';
import type { EntryValue, InlineCtxLoad, InlineHelperLookup, SharedFunction } from './inline.ts';
import { ModuleBuilder } from './wasm/encoder.ts';
import { I32, I64, type ValType } from './wasm/opcodes.ts';

/** Compile-time options of one module. */
export interface ModuleOptions {
  readonly mode: ModuleMode;
  /** Loop iterations a checked run may take (stands in for the interpreter's maxInsns). */
  readonly loopBudget: number;
  readonly helpers: HelperLookup | undefined;
  readonly inlineHelpers: InlineHelperLookup | undefined;
  /** Bytes of stack each function (by entry slot) can touch, when a verifier has measured it. */
  readonly stackDepths: ReadonlyMap<number, number> | undefined;
  /** Values the runtime sets at each entry, readable by inline helpers (Wasm globals). */
  readonly entryValues: readonly EntryValue[];
  /** Context field loads done in WebAssembly (unchecked mode), by slot. */
  readonly ctxLoads: ReadonlyMap<number, InlineCtxLoad> | undefined;
  readonly resolveLdImm64: ((insn: Insn) => bigint) | undefined;
}

/** A helper call site: what the helper import sees. */
export interface HelperSite {
  readonly insn: Insn;
}

export interface CompiledModule {
  readonly bytes: Uint8Array;
  /** Errors the trap import throws, by index. */
  readonly errors: readonly RunError[];
  /** Helper call sites (F_HELPER, F_HELPERX) and LD_ABS sites, by index. */
  readonly helperSites: readonly HelperSite[];
  readonly ldAbsSites: readonly Insn[];
  /** Export name of the entry wrapper of each function, by entry slot. */
  readonly entries: ReadonlyMap<number, string>;
  /** Export name of the repeat wrapper of the function at slot 0 (see repeatWrapper). */
  readonly repeatEntry: string | undefined;
  /** Functions compiled with the dispatcher fallback (irreducible control flow). */
  readonly dispatcherFunctions: number;
  /** Entry values the code reads (indices into ModuleOptions.entryValues); global `g{ENTRY_VALUE_GLOBAL0 + i}`. */
  readonly usedEntryValues: readonly number[];
  /** Helper call sites implemented in WebAssembly. */
  readonly inlinedCalls: number;
  /** Context field loads done in WebAssembly (ModuleOptions.ctxLoads). */
  readonly inlinedCtxLoads: number;
}

/** The largest function body the WebAssembly JS API accepts (its implementation limits). */
export const MAX_WASM_FUNCTION_BYTES = 7_654_321;

/**
 * Compile a program's CFG into module bytes.
 * @throws {InsnError} EINVAL for a register number above 10 (as the interpreter's constructor).
 * @throws {BpfError} E2BIG when a function is too large for the host's WebAssembly limits.
 */
export function compileModule(cfg: ProgramCfg, opts: ModuleOptions): CompiledModule {
  for (const insn of cfg.insns) {
    const pseudoSrc = insn.code === BPF_LD_IMM64 || insn.code === (BPF_JMP | BPF_CALL);
    if (insn.dst >= MAX_BPF_REG || (!pseudoSrc && insn.src >= MAX_BPF_REG)) {
      throw new InsnError(`invalid register r${Math.max(insn.dst, insn.src)} at insn ${insn.idx}`, insn.idx);
    }
  }
  const mb = new ModuleBuilder();
  const { dynamicInit } = opts.mode;
  const regParams: ValType[] = dynamicInit ? [I64, I64, I64, I64, I64, I32] : [I64, I64, I64, I64, I64];
  mb.importFunc('env', 'helper', { params: [I32, I64, I64, I64, I64, I64], results: [I64] });
  mb.importFunc('env', 'helperx', { params: [I32, I32, I64, I64, I64, I64, I64], results: [I64] });
  mb.importFunc('env', 'trap', { params: [I32], results: [] });
  mb.importFunc('env', 'readok', { params: [I32, I32], results: [] });
  mb.importFunc('env', 'check', { params: [I64, I32, I32, I32], results: [I32] });
  mb.importFunc('env', 'ldabs', { params: [I32, I64, I64], results: [I64] });
  mb.importFunc('env', 'load', { params: [I64, I32, I32], results: [I64] });
  mb.importFunc('env', 'store', { params: [I64, I32, I64, I32], results: [] });
  mb.importMemory('env', 'memory', 1);
  for (let g = 0; g < GLOBAL_COUNT; g++) {
    const is32 = g === G_FIDX || g === G_BASE;
    mb.addGlobal(is32 ? I32 : I64, true, g === G_FIDX ? -1n : 0n);
    mb.exportGlobal(`g${g}`, g);
  }
  opts.entryValues.forEach((v, i) => {
    const g = mb.addGlobal(v.type === 'i32' ? I32 : I64, true, 0n);
    if (g !== ENTRY_VALUE_GLOBAL0 + i) throw new InternalError(`entry value global ${i} moved`);
    mb.exportGlobal(`g${g}`, g);
  });
  const slots = [...cfg.functions.keys()];
  const funcIndex = new Map<number, number>(slots.map((s, i) => [s, FIRST_BPF_FUNC + i]));
  mb.setBody(mb.addFunc({ params: [I32], results: [I64] }, []), framePointerFunc());
  const state: ModuleState = {
    cfg, opts, funcIndex, errors: [], helperSites: [], ldAbsSites: [], dispatcherFunctions: 0,
    r1Consts: opts.inlineHelpers === undefined ? new Map() : constantR1AtHelperCalls(cfg, (insn) => {
      const v = ldImm64Value(opts, cfg, insn);
      return v instanceof RunError ? undefined : v;
    }),
    shared: new Map(), sharedBase: FIRST_BPF_FUNC + 2 * slots.length, usedEntryValues: new Set(), inlinedCalls: 0, inlinedCtxLoads: 0,
  };
  for (const s of slots) {
    const f = compileFunction(state, s);
    if (f.w.length > MAX_WASM_FUNCTION_BYTES) {
      throw new BpfError(E2BIG, `function at insn ${s} needs ${f.w.length} bytes of WebAssembly, more than the ${MAX_WASM_FUNCTION_BYTES} hosts accept`);
    }
    const idx = mb.addFunc({ params: regParams, results: [I64] }, f.locals);
    if (idx !== funcIndex.get(s)) throw new InternalError(`function index of slot ${s} moved`);
    mb.setBody(idx, f.w);
  }
  const entries = new Map<number, string>();
  for (const s of slots) {
    const idx = mb.addFunc({ params: [I32, ...regParams], results: [I64] }, [I32, I32]);
    mb.setBody(idx, entryWrapper(funcIndex.get(s)!, opts, regParams.length));
    mb.exportFunc(`f${s}`, idx);
    entries.set(s, `f${s}`);
  }
  for (const { index, fn } of state.shared.values()) {
    const idx = mb.addFunc({ params: fn.params, results: fn.results }, fn.locals);
    if (idx !== index) throw new InternalError(`shared function ${index} moved`);
    mb.setBody(idx, fn.body);
  }
  // After the shared functions, whose indices were handed out from sharedBase.
  let repeatEntry: string | undefined;
  if (funcIndex.has(0)) {
    const idx = mb.addFunc({ params: [I32, ...regParams, I32], results: [I64] }, [I32, I32, I64]);
    mb.setBody(idx, repeatWrapper(funcIndex.get(0)!, opts, regParams.length));
    repeatEntry = 'repeat';
    mb.exportFunc(repeatEntry, idx);
  }
  return {
    bytes: mb.finish(), errors: state.errors, helperSites: state.helperSites, ldAbsSites: state.ldAbsSites,
    entries, repeatEntry, dispatcherFunctions: state.dispatcherFunctions, usedEntryValues: [...state.usedEntryValues].sort((a, b) => a - b),
    inlinedCalls: state.inlinedCalls, inlinedCtxLoads: state.inlinedCtxLoads,
  };
}

/** What the lowering of one module shares (lower-call.ts reads it too). */
export interface ModuleState {
  readonly cfg: ProgramCfg;
  readonly opts: ModuleOptions;
  readonly funcIndex: ReadonlyMap<number, number>;
  readonly errors: RunError[];
  readonly helperSites: HelperSite[];
  readonly ldAbsSites: Insn[];
  dispatcherFunctions: number;
  /** R1 at helper calls where it is a constant, by slot (inline helpers only). */
  readonly r1Consts: ReadonlyMap<number, bigint>;
  /** Shared functions of inline helpers by key, with their function indices (from sharedBase). */
  readonly shared: Map<string, { readonly index: number; readonly fn: SharedFunction }>;
  readonly sharedBase: number;
  readonly usedEntryValues: Set<number>;
  inlinedCalls: number;
  inlinedCtxLoads: number;
}

/** Stacks up to this many bytes are zeroed on entry by i64 stores, deeper ones by memory.fill. */
const INLINE_ZERO_BYTES = 64;

function compileFunction(state: ModuleState, slot: number): FuncEmitter {
  const { cfg, opts } = state;
  const fn = cfg.functions.get(slot)!;
  const e = new FuncEmitter(opts.mode, state.errors);
  const w = e.w;
  let usesMayGoto = false;
  for (const b of fn.blocks) {
    const blk = cfg.blocks[b]!;
    for (let i = blk.first; i >= 0 && i <= blk.last; i++) {
      const insn = cfg.insns[i]!;
      if ((regUsage(insn).writes & (1 << 10)) !== 0) e.fpStable = false;
      if (isMayGoto(insn)) usesMayGoto = true;
    }
  }
  // Prologue: next frame, R10 from the frame table, zeroed stack, may_goto budget.
  w.gget(G_FIDX).i32(1).op('i32.add').tee(e.tmp32).gset(G_FIDX);
  w.get(e.tmp32).call(F_FRAME_POINTER);
  w.tee(e.reg[10]!).op('i32.wrap_i64').i32(MAX_BPF_STACK).op('i32.sub').set(e.fp32);
  if (opts.mode.zeroStack) {
    // The whole frame, or (verified programs) the part the function can touch.
    const depth = Math.min(MAX_BPF_STACK, (opts.stackDepths?.get(slot) ?? MAX_BPF_STACK) + 7) & ~7;
    if (depth > 0 && depth <= INLINE_ZERO_BYTES) {
      // A few plain stores beat memory.fill, which is a call out of the generated code.
      for (let o = MAX_BPF_STACK - depth; o < MAX_BPF_STACK; o += 8) w.get(e.fp32).i64(0n).mem('i64.store', o);
    } else if (depth > 0) {
      w.get(e.fp32);
      if (depth < MAX_BPF_STACK) w.i32(MAX_BPF_STACK - depth).op('i32.add');
      w.i32(0).i32(depth).fc('memory.fill').byte(0);
    }
  }
  if (usesMayGoto) w.i32(BPF_MAX_LOOPS).set(e.mayGoto);
  const ret = (): void => {
    if (opts.mode.checked) for (let r = 1; r <= 5; r++) e.get(r).gset(G_OUT_R1 + r - 1);
    w.gget(G_FIDX).i32(1).op('i32.sub').gset(G_FIDX);
    e.get(0);
    w.op('return');
  };
  const local = new Map<number, number>(fn.blocks.map((b, i) => [b, i]));
  const nodes: FlowNode[] = fn.blocks.map((b) => {
    const t = cfg.blocks[b]!.term;
    switch (t.kind) {
      case 'goto': return { kind: 'goto', succ: [local.get(t.target)!] };
      case 'cond': return { kind: 'cond', succ: [local.get(t.taken)!, local.get(t.fall)!] };
      default: return { kind: t.kind, succ: [] };
    }
  });
  const plan = structurize(nodes);
  if (plan.dispatcher) state.dispatcherFunctions++;
  for (const op of plan.ops) {
    switch (op.op) {
      case 'block': case 'loop': case 'if': w.open(op.op); break;
      case 'else': case 'end': w.op(op.op); break;
      case 'br': w.br(op.depth); break;
      case 'body': emitBody(state, e, fn.blocks[op.node]!, ret); break;
      case 'loophead':
        if (opts.mode.checked) {
          const blk = cfg.blocks[fn.blocks[op.node]!]!;
          const at = blk.first >= 0 ? cfg.insns[blk.first]!.idx : 0;
          w.gget(G_BUDGET).op('i64.eqz').open('if');
          e.trap(new RunError(`instruction budget of ${opts.loopBudget} loop iterations exhausted at insn ${at}`, at, E2BIG));
          w.op('end').gget(G_BUDGET).i64(1n).op('i64.sub').gset(G_BUDGET);
        }
        break;
      case 'exit': ret(); break;
      case 'trap': {
        const blk = cfg.blocks[fn.blocks[op.node]!]!;
        e.trap(blk.fault ?? jumpError(cfg.insns[blk.last]!));
        break;
      }
      case 'setlabel': w.i32(op.value).set(e.label); break;
      case 'dispatch': {
        w.get(e.label).op('br_table').u32(op.count);
        for (let i = 0; i < op.count; i++) w.u32(i);
        w.u32(op.count - 1);
        break;
      }
    }
  }
  w.op('unreachable');
  return e;
}

/** may_goto as the interpreter decodes it (class JMP, op JCOND; the source bit is not looked at). */
function isMayGoto(insn: Insn): boolean {
  return insnClass(insn.code) === BPF_JMP && insnOp(insn.code) === BPF_JCOND;
}

/** The interpreter's error for a jump-class instruction that always stops the run. */
function jumpError(insn: Insn): RunError {
  const op = insnOp(insn.code);
  if (op === BPF_EXIT || op === BPF_CALL) return invalidInsn(insn, 'call and exit exist only in class JMP');
  if (op === BPF_JA) return invalidInsn(insn, 'ja with source bit set');
  if (op === BPF_JCOND) return invalidInsn(insn, `unknown conditional pseudo-jump src ${insn.src}`);
  return invalidInsn(insn, `unknown jump operation 0x${op.toString(16)}`);
}

/** The straight-line code of a block, then its condition for a 'cond' terminator. */
function emitBody(state: ModuleState, e: FuncEmitter, b: number, ret: () => void): void {
  const { cfg } = state;
  const blk = cfg.blocks[b]!;
  if (blk.first < 0) return;
  const shifts = new BlockShifts();
  for (let i = blk.first; i <= blk.last; i++) {
    const insn = cfg.insns[i]!;
    const shape = jumpShape(insn);
    e.checkReads(insn, regUsage(insn).reads);
    if (shape === 'none') {
      lowerInsn(state, e, insn, ret, shifts.of(insn.dst));
      updateInit(e, insn);
    } else if (shape === 'cond') {
      if (isMayGoto(insn)) {
        const w = e.w;
        w.get(e.mayGoto).op('i32.eqz').open('if', I32).i32(1).op('else');
        w.get(e.mayGoto).i32(1).op('i32.sub').set(e.mayGoto).i32(0).op('end');
      } else lowerCond(e, insn, insnClass(insn.code) === BPF_JMP);
    }
    shifts.note(insn);
  }
}

function updateInit(e: FuncEmitter, insn: Insn): void {
  if (!e.mode.dynamicInit) return;
  const writes = regUsage(insn).writes;
  const effect = initEffect(insn);
  if (writes === 0 && effect === 'plain') return;
  e.updateInit((w) => {
    if (writes !== 0) w.i32(writes).op('i32.or');
    if (effect === 'helper') w.i32(~CALLER_SAVED_MASK).op('i32.and').i32(1).op('i32.or');
    else if (effect === 'bpfcall') w.i32(CALLEE_SAVED_MASK | FP_MASK).op('i32.and').i32(1).op('i32.or');
    else if (effect === 'ldabs') w.i32(~CALLER_SAVED_MASK).op('i32.and');
  });
}

/** Lower one instruction that is not a jump; `shift`: see {@link BlockShifts}. */
function lowerInsn(state: ModuleState, e: FuncEmitter, insn: Insn, ret: () => void, shift: Insn | undefined): void {
  switch (insnClass(insn.code)) {
    case BPF_ALU64: lowerAlu(e, insn, true, shift); return;
    case BPF_ALU: lowerAlu(e, insn, false); return;
    case BPF_LDX: {
      const cl = state.opts.mode.checked || insnMode(insn.code) !== BPF_MEM ? undefined : state.opts.ctxLoads?.get(insn.idx);
      if (cl === undefined) lowerLdx(e, insn);
      else {
        state.inlinedCtxLoads++;
        lowerCtxLoad(e, insn, cl, (i) => { entryValue(state, e, i); });
      }
      return;
    }
    case BPF_ST: lowerStore(e, insn, false); return;
    case BPF_STX: lowerStore(e, insn, true); return;
    case BPF_LD: lowerLd(state, e, insn, ret); return;
    case BPF_JMP: lowerCall(state, e, insn); return;
    default: throw new InternalError(`instruction class ${insnClass(insn.code)} reached lowerInsn`);
  }
}

/** Push entry value `index` (a global), recording that the code reads it. */
export function entryValue(state: ModuleState, e: FuncEmitter, index: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= state.opts.entryValues.length) throw new InternalError(`no entry value ${index}`);
  state.usedEntryValues.add(index);
  e.w.gget(ENTRY_VALUE_GLOBAL0 + index);
}

function lowerLd(state: ModuleState, e: FuncEmitter, insn: Insn, ret: () => void): void {
  if (insn.code === BPF_LD_IMM64) {
    const v = ldImm64Value(state.opts, state.cfg, insn);
    if (v instanceof RunError) e.trap(v);
    else e.w.i64(v).set(e.reg[insn.dst]!);
    return;
  }
  const mode = insnMode(insn.code);
  if ((mode !== BPF_ABS && mode !== BPF_IND) || insnSize(insn.code) === 0x18) {
    e.trap(invalidInsn(insn, 'unsupported BPF_LD instruction'));
    return;
  }
  state.ldAbsSites.push(insn);
  lowerLdAbs(e, insn, state.ldAbsSites.length - 1, ret);
}

/** The constant of an ld_imm64, resolved now; a RunError when the interpreter would stop there. */
function ldImm64Value(opts: ModuleOptions, cfg: ProgramCfg, insn: Insn): bigint | RunError {
  if (insn.src === 0) return insn.imm64 ?? BigInt(insn.imm >>> 0);
  if (insn.src === BPF_PSEUDO_FUNC) {
    const slot = insn.idx + 1 + insn.imm;
    if (arrayIndexOf(cfg.slots, slot) >= 0) return encodeFuncPtr(slot);
    return new RunError(`ld_imm64 function pointer to slot ${slot} outside the program (insn ${insn.idx})`, insn.idx, EINVAL);
  }
  const resolve = opts.resolveLdImm64;
  if (resolve === undefined) {
    return new RunError(`ld_imm64 with pseudo source ${insn.src} at insn ${insn.idx} needs the runtime to resolve it`, insn.idx, EOPNOTSUPP);
  }
  try {
    return BigInt.asUintN(64, resolve(insn));
  } catch (err) {
    // The interpreter resolves on first execution: a refusal stops the run only if reached.
    if (err instanceof RunError) return err;
    if (isBpfError(err)) return new RunError((err as Error).message, insn.idx, (err as { errno: number }).errno);
    throw err;
  }
}

/**
 * Lowering of calls: bpf-to-bpf calls (a direct Wasm call with the frame-depth check), helper
 * calls (the helper import, or the inline Wasm implementation the runtime chose for the site,
 * inline.ts), callx (the helper id in a register) and the refusals the interpreter makes (kfuncs,
 * unknown call kinds, helpers that are not available). Works in node / browser.
 */
import type { Insn } from '../isa/insn.ts';
import { BPF_HELPER_CALL, BPF_PSEUDO_CALL, BPF_PSEUDO_KFUNC_CALL, BPF_X, MAX_CALL_FRAMES, insnSrcBit } from '../isa/opcodes.ts';
import { InternalError, RunError } from '../util/errors.ts';
import { E2BIG, EINVAL, EOPNOTSUPP } from '../uapi/errno.ts';
import { helperName } from '../uapi/helpers.ts';
import { invalidInsn } from '../vm/alu.ts';
import { CALLER_SAVED_MASK, FP_MASK } from '../vm/reg-usage.ts';
import { targetSlot } from './cfg.ts';
import { entryValue, type ModuleState } from './compile.ts';
import { F_HELPER, F_HELPERX, G_BASE, G_FIDX, G_OUT_R1, type FuncEmitter } from './emit.ts';
import type { InlineHelperContext } from './inline.ts';

/** BPF_JMP | BPF_CALL (and callx). */
export function lowerCall(state: ModuleState, e: FuncEmitter, insn: Insn): void {
  const w = e.w;
  const x = insnSrcBit(insn.code) === BPF_X;
  if (insn.src === BPF_PSEUDO_CALL && !x) {
    w.gget(G_FIDX).gget(G_BASE).op('i32.sub').i32(MAX_CALL_FRAMES - 1).op('i32.ge_s').open('if');
    e.trap(new RunError(`call stack too deep: more than ${MAX_CALL_FRAMES} frames at insn ${insn.idx}`, insn.idx, E2BIG));
    w.op('end');
    const target = targetSlot(insn);
    const func = state.funcIndex.get(target);
    if (func === undefined) {
      e.trap(new RunError(`jump out of range or into the middle of ld_imm64 at insn ${insn.idx}`, insn.idx, EINVAL));
      return;
    }
    for (let r = 1; r <= 5; r++) e.get(r);
    if (e.mode.dynamicInit) w.get(e.init).i32(CALLER_SAVED_MASK).op('i32.and').i32(FP_MASK).op('i32.or');
    w.call(func).set(e.reg[0]!);
    if (e.mode.checked) for (let r = 1; r <= 5; r++) w.gget(G_OUT_R1 + r - 1).set(e.reg[r]!);
    return;
  }
  if (insn.src === BPF_PSEUDO_KFUNC_CALL) {
    e.trap(new RunError(`kfunc calls are not supported at run time (btf id ${insn.imm}, insn ${insn.idx})`, insn.idx, EOPNOTSUPP));
    return;
  }
  if (insn.src !== BPF_HELPER_CALL) {
    e.trap(invalidInsn(insn, `unknown call kind src ${insn.src}`));
    return;
  }
  state.helperSites.push({ insn });
  const site = state.helperSites.length - 1;
  if (x) {
    e.get(insn.dst);
    w.op('i32.wrap_i64').i32(site);
    for (let r = 1; r <= 5; r++) e.get(r);
    w.call(F_HELPERX).set(e.reg[0]!);
    return;
  }
  const inline = state.opts.inlineHelpers?.({ helperId: insn.imm, insnIdx: insn.idx, r1: state.r1Consts.get(insn.idx) });
  if (inline !== undefined) {
    state.inlinedCalls++;
    inline.emit(inlineContext(state, e, insn, site));
    w.set(e.reg[0]!);
    return;
  }
  if (state.opts.helpers?.(insn.imm) === undefined) {
    const name = helperName(insn.imm);
    const what = name === undefined ? `#${insn.imm}` : `bpf_${name}#${insn.imm}`;
    e.trap(new RunError(`helper ${what} is not available here (insn ${insn.idx})`, insn.idx, EINVAL));
    return;
  }
  w.i32(site);
  for (let r = 1; r <= 5; r++) e.get(r);
  w.call(F_HELPER).set(e.reg[0]!);
}

/** What an inline helper at `insn` (helper site `site`) may use. */
function inlineContext(state: ModuleState, e: FuncEmitter, insn: Insn, site: number): InlineHelperContext {
  const w = e.w;
  return {
    w, scratch64: [e.tmp64a, e.tmp64b], scratch32: e.tmp32, insnIdx: insn.idx,
    arg: (n) => { e.get(n); },
    shared: (key, build) => {
      let s = state.shared.get(key);
      if (s === undefined) {
        s = { index: state.sharedBase + state.shared.size, fn: build() };
        state.shared.set(key, s);
      }
      return s.index;
    },
    entryValue: (i) => { entryValue(state, e, i); },
    callHost: () => {
      if (state.opts.helpers?.(insn.imm) === undefined) throw new InternalError(`inline helper #${insn.imm} without a JS helper to fall back to`);
      w.i32(site);
      for (let r = 1; r <= 5; r++) e.get(r);
      w.call(F_HELPER);
    },
  };
}

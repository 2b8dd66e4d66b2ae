/**
 * Global functions (BTF FUNC linkage BTF_FUNC_GLOBAL), verified as the kernel does (v6.18): not
 * inline with each caller's values like static ones, but once, on their own, from their BTF
 * prototype. btf_prepare_func_args() (kernel/bpf/btf.c) turns the prototype into argument kinds
 * (scalar for int and enum, PTR_TO_CTX for a pointer to the program type's context, otherwise
 * memory of the pointee's size that may be NULL, with the `arg:ctx` / `arg:nonnull` decl tags);
 * at each call site btf_check_func_arg_match() checks the caller's registers against them and the
 * caller goes on with an unknown scalar in R0 (check_func_call()); once the main program is
 * verified, do_check_subprogs() verifies each global function some verified code called, in
 * subprogram order, until no new one is called.
 */
import type { Btf, BtfType, FuncProtoType } from '../btf/index.ts';
import type { Insn } from '../isa/index.ts';
import {
  BPF_PROG_TYPE_CGROUP_SKB, BPF_PROG_TYPE_KPROBE, BPF_PROG_TYPE_LWT_IN, BPF_PROG_TYPE_LWT_OUT, BPF_PROG_TYPE_LWT_SEG6LOCAL,
  BPF_PROG_TYPE_LWT_XMIT, BPF_PROG_TYPE_PERF_EVENT, BPF_PROG_TYPE_RAW_TRACEPOINT, BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE,
  BPF_PROG_TYPE_SCHED_ACT, BPF_PROG_TYPE_SCHED_CLS, BPF_PROG_TYPE_SK_SKB, BPF_PROG_TYPE_SOCKET_FILTER, BPF_PROG_TYPE_SYSCALL,
  BPF_PROG_TYPE_TRACEPOINT, BPF_PROG_TYPE_XDP,
} from '../uapi/bpf.ts';
import { EFAULT, EINVAL, EOPNOTSUPP } from '../uapi/errno.ts';
import { checkHelperMemAccess, checkPtrOffReg } from './check-mem.ts';
import type { Env } from './env.ts';
import { Reject } from './log.ts';
import * as msg from './messages.ts';
import { markRegNotInit, markRegPointer, markRegUnknown, regIsNull, regTypeStr, type RegState } from './reg.ts';
import { FuncState, VerifierState } from './state.ts';

/** MAX_BPF_FUNC_REG_ARGS: arguments a BPF function takes in registers. */
const MAX_BPF_FUNC_REG_ARGS = 5;

/** One argument of a global function as the verifier types it (struct bpf_subprog_arg_info). */
export interface SubprogArg {
  /** ARG_ANYTHING (a scalar), ARG_PTR_TO_CTX, or ARG_PTR_TO_MEM of `memSize` bytes. */
  readonly kind: 'scalar' | 'ctx' | 'mem';
  readonly memSize: number;
  /** PTR_MAYBE_NULL: a pointer without `arg:nonnull`. */
  readonly maybeNull: boolean;
}

/** What the verification knows about the global functions of one program. */
interface GlobalFuncs {
  /** Prototypes already converted (args_cached). */
  readonly args: Map<number, readonly SubprogArg[]>;
  /** Called from verified code (func_info_aux[].called), and verified on their own. */
  readonly called: Set<number>;
  readonly verified: Set<number>;
}

const perEnv = new WeakMap<Env, GlobalFuncs>();

function globals(env: Env): GlobalFuncs {
  let g = perEnv.get(env);
  if (g === undefined) {
    g = { args: new Map(), called: new Set(), verified: new Set() };
    perEnv.set(env, g);
  }
  return g;
}

/**
 * subprog_is_global(): the subprogram's func_info FUNC has global linkage. Without the program's
 * BTF, whose prototypes the kernel always has, tsbpf walks every function inline as a static one.
 */
export function isGlobalFunc(env: Env, subprog: number): boolean {
  return subprog > 0 && env.prog.btf !== undefined && env.prog.funcInfo?.[subprog]?.linkage === 'global';
}

/** subprog_name(): the FUNC's name in BTF. */
export function subprogName(env: Env, subprog: number): string {
  const id = env.prog.funcInfo?.[subprog]?.typeId ?? 0;
  const t = id > 0 ? typeAt(env.prog.btf, id) : undefined;
  return t?.name ?? '';
}

function typeAt(btf: Btf | undefined, id: number): BtfType | undefined {
  if (btf === undefined || !Number.isInteger(id) || id < 0 || id >= btf.types.length) return undefined;
  return btf.types[id];
}

/** btf_type_skip_modifiers(): through typedef, const, volatile, restrict and type_tag. */
function skipModifiers(btf: Btf, id: number): BtfType | undefined {
  let t = typeAt(btf, id);
  for (let n = 0; t !== undefined && n < 64; n++) {
    if (t.kind !== 'typedef' && t.kind !== 'const' && t.kind !== 'volatile' && t.kind !== 'restrict' && t.kind !== 'type_tag') return t;
    t = typeAt(btf, t.type);
  }
  return undefined;
}

/** Through const, volatile, restrict and type_tag, stopping at a typedef. */
function skipQualifiers(btf: Btf, id: number): BtfType | undefined {
  let t = typeAt(btf, id);
  for (let n = 0; t !== undefined && n < 64; n++) {
    if (t.kind !== 'const' && t.kind !== 'volatile' && t.kind !== 'restrict' && t.kind !== 'type_tag') return t;
    t = typeAt(btf, t.type);
  }
  return undefined;
}

/** btf_type_str(): the kind as the kernel names it. */
function kindStr(t: BtfType): string {
  return t.kind === 'void' ? 'UNKNOWN' : t.kind.toUpperCase();
}

const isScalarType = (t: BtfType | undefined): boolean => t?.kind === 'int' || t?.kind === 'enum' || t?.kind === 'enum64';

/** The context struct of each program type (bpf_ctx_convert's user type) and the kernel struct it projects. */
const CTX_STRUCTS: ReadonlyMap<number, readonly string[]> = new Map<number, readonly string[]>([
  [BPF_PROG_TYPE_XDP, ['xdp_md', 'xdp_buff']],
  ...[BPF_PROG_TYPE_SOCKET_FILTER, BPF_PROG_TYPE_SCHED_CLS, BPF_PROG_TYPE_SCHED_ACT, BPF_PROG_TYPE_CGROUP_SKB,
    BPF_PROG_TYPE_LWT_IN, BPF_PROG_TYPE_LWT_OUT, BPF_PROG_TYPE_LWT_XMIT, BPF_PROG_TYPE_LWT_SEG6LOCAL, BPF_PROG_TYPE_SK_SKB,
  ].map((t): [number, readonly string[]] => [t, ['__sk_buff', 'sk_buff']]),
  [BPF_PROG_TYPE_KPROBE, ['bpf_user_pt_regs_t', 'pt_regs']],
  [BPF_PROG_TYPE_PERF_EVENT, ['bpf_perf_event_data']],
  [BPF_PROG_TYPE_RAW_TRACEPOINT, ['bpf_raw_tracepoint_args']],
  [BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE, ['bpf_raw_tracepoint_args']],
]);

/** The struct an `arg:ctx` argument must point to (after typedefs), by program type. */
const CTX_TAG_STRUCT: ReadonlyMap<number, string> = new Map([...CTX_STRUCTS].map(([t, names]) => [t, t === BPF_PROG_TYPE_KPROBE ? 'pt_regs' : names[0] as string]));

/**
 * btf_is_prog_ctx_type(): a pointer to the program type's context struct, by name (kprobes also
 * through the bpf_user_pt_regs_t typedef). Logs, without failing, a context struct with no name.
 */
function isProgCtxType(env: Env, btf: Btf, ptrTo: number, arg: number): boolean {
  const names = CTX_STRUCTS.get(env.prog.progType);
  if (env.prog.progType === BPF_PROG_TYPE_KPROBE && isUserPtRegs(skipQualifiers(btf, ptrTo))) return true;
  const t = skipModifiers(btf, ptrTo);
  if (t?.kind !== 'struct' && t?.kind !== 'union') return false;
  if (t.name === '') {
    env.log.print(msg.ctxStructNoName(arg));
    return false;
  }
  return names !== undefined && names.includes(t.name);
}

const isUserPtRegs = (t: BtfType | undefined): boolean => t?.kind === 'typedef' && t.name === 'bpf_user_pt_regs_t';

/** btf_validate_prog_ctx_type(): what an `arg:ctx` argument may point to. */
function validateCtxTag(env: Env, btf: Btf, ptrTo: number, arg: number): void {
  const progType = env.prog.progType;
  if ((progType === BPF_PROG_TYPE_KPROBE || progType === BPF_PROG_TYPE_PERF_EVENT) && isUserPtRegs(skipQualifiers(btf, ptrTo))) return;
  const t = skipModifiers(btf, ptrTo);
  if (t === undefined || t.kind === 'void') return;
  if (t.name === '') throw new Reject(EINVAL, msg.ctxArgNoName(arg));
  // Tracepoint and syscall contexts are raw memory: any named type goes.
  if (progType === BPF_PROG_TYPE_TRACEPOINT || progType === BPF_PROG_TYPE_SYSCALL) return;
  const isStruct = t.kind === 'struct';
  if ((progType === BPF_PROG_TYPE_KPROBE || progType === BPF_PROG_TYPE_PERF_EVENT) && isStruct && t.name === 'pt_regs') return;
  if ((progType === BPF_PROG_TYPE_RAW_TRACEPOINT || progType === BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE) && t.kind === 'int' && t.size === 8) return;
  const want = CTX_TAG_STRUCT.get(progType);
  if (want === undefined) throw new Reject(EINVAL, msg.ctxArgVoid(arg));
  if (!isStruct || t.name !== want) throw new Reject(EINVAL, msg.ctxArgStruct(arg, want));
}

const ARG_TAGS = ['ctx', 'trusted', 'untrusted', 'nonnull', 'nullable', 'arena'] as const;
type ArgTag = (typeof ARG_TAGS)[number];

/** The `arg:` decl tags on parameter `arg` of FUNC `funcId`, in type id order (btf_find_next_decl_tag()). */
function argTags(btf: Btf, funcId: number, arg: number): Set<ArgTag> {
  const tags = new Set<ArgTag>();
  for (const t of btf.types) {
    if (t.kind !== 'decl_tag' || t.type !== funcId || t.componentIdx !== arg || !t.name.startsWith('arg:')) continue;
    const tag = t.name.slice(4);
    if (!(ARG_TAGS as readonly string[]).includes(tag)) throw new Reject(EOPNOTSUPP, msg.argTagsUnsupported(arg));
    tags.add(tag as ArgTag);
  }
  return tags;
}

/**
 * btf_prepare_func_args() for a global function: its prototype as argument kinds, cached.
 * @throws Reject with the kernel's errno and message when the prototype cannot be used.
 */
export function prepareFuncArgs(env: Env, subprog: number): readonly SubprogArg[] {
  const g = globals(env);
  const cached = g.args.get(subprog);
  if (cached !== undefined) return cached;
  const btf = env.prog.btf as Btf;
  const fnId = env.prog.funcInfo?.[subprog]?.typeId ?? 0;
  if (fnId === 0) throw new Reject(EFAULT, msg.globalNeedsBtf());
  const fn = typeAt(btf, fnId);
  if (fn?.kind !== 'func') throw new Reject(EFAULT, msg.funcNotKindFunc(subprog));
  const proto = typeAt(btf, fn.type);
  if (proto?.kind !== 'func_proto') throw new Reject(EFAULT, msg.invalidFuncType(fn.name));
  const params = (proto as FuncProtoType).params;
  if (params.length > MAX_BPF_FUNC_REG_ARGS) throw new Reject(EINVAL, msg.globalTooManyArgs(fn.name, params.length, MAX_BPF_FUNC_REG_ARGS));
  if (!isScalarType(skipModifiers(btf, proto.returnType))) throw new Reject(EINVAL, msg.globalRetNotScalar(fn.name));
  const args = params.map((p, i): SubprogArg => {
    const tags = argTags(btf, fn.id, i);
    const t = skipModifiers(btf, p.type);
    if (t?.kind === 'ptr') {
      if (tags.has('ctx') || isProgCtxType(env, btf, t.type, i)) {
        if ([...tags].some((x) => x !== 'ctx')) throw new Reject(EINVAL, msg.argTagsInvalid(i));
        if (tags.has('ctx')) validateCtxTag(env, btf, t.type, i);
        return { kind: 'ctx', memSize: 0, maybeNull: false };
      }
      const pointee = skipModifiers(btf, t.type);
      if (pointee?.kind === 'struct' && pointee.name === 'bpf_dynptr') throw new Reject(EOPNOTSUPP, msg.globalArgUnsupportedByTsbpf(i, 'a bpf_dynptr'));
      for (const kernelOnly of ['trusted', 'untrusted', 'arena'] as const) {
        if (tags.has(kernelOnly)) throw new Reject(EOPNOTSUPP, msg.globalArgUnsupportedByTsbpf(i, `arg:${kernelOnly}`));
      }
      if ([...tags].some((x) => x !== 'nonnull')) throw new Reject(EINVAL, msg.argTagsInvalid(i));
      if (pointee === undefined || !btf.hasSize(pointee.id)) {
        throw new Reject(EINVAL, msg.argSizeUnknown(i, pointee ? kindStr(pointee) : 'UNKNOWN', pointee?.name ?? '', -EINVAL));
      }
      return { kind: 'mem', memSize: btf.sizeof(pointee.id), maybeNull: !tags.has('nonnull') };
    }
    if (tags.size > 0) throw new Reject(EINVAL, msg.argTagNotPointer(i));
    if (isScalarType(t)) return { kind: 'scalar', memSize: 0, maybeNull: false };
    throw new Reject(EINVAL, msg.globalArgUnsupported(i, t ? kindStr(t) : 'UNKNOWN', fn.name));
  });
  g.args.set(subprog, args);
  return args;
}

/** check_func_arg_reg_off() for a global function's argument: which pointers may carry an offset. */
function checkArgRegOff(env: Env, reg: RegState, regno: number): void {
  if (!reg.maybeNull) {
    switch (reg.type) {
      case 'fp': case 'pkt': case 'pkt_meta': case 'map_key': case 'map_value': case 'mem': case 'scalar': return;
      default: break;
    }
  }
  checkPtrOffReg(env, reg, regno, reg.type === 'btf_id');
}

/**
 * check_mem_reg(): the caller's pointer must allow reading and writing `size` bytes (NULL passes;
 * a maybe-NULL pointer is checked as if it were not NULL).
 */
function checkMemReg(env: Env, reg: RegState, regno: number, size: number): void {
  if (regIsNull(reg)) return;
  const wasNull = reg.maybeNull;
  const { slotsLo, slotsHi, allSlots } = env.scratch;
  reg.maybeNull = false;
  try {
    checkHelperMemAccess(env, regno, size, 'read', true);
    checkHelperMemAccess(env, regno, size, 'write', true);
  } finally {
    reg.maybeNull = wasNull;
    // The stack bytes become unknown (a helper's clobber), but are not marked for the next state print.
    Object.assign(env.scratch, { slotsLo, slotsHi, allSlots });
  }
}

/** btf_check_func_arg_match(): the caller's R1-R5 against the prototype. @throws Reject on a mismatch. */
function checkArgMatch(env: Env, args: readonly SubprogArg[]): void {
  args.forEach((arg, i) => {
    const regno = i + 1;
    const reg = env.reg(regno);
    if (arg.kind === 'scalar') {
      if (reg.type !== 'scalar') throw new Reject(EINVAL, msg.argNotScalar(regno));
    } else if (arg.kind === 'ctx') {
      checkArgRegOff(env, reg, regno);
      if (reg.type !== 'ctx') throw new Reject(EINVAL, msg.argExpectsCtx(i));
    } else {
      checkArgRegOff(env, reg, regno);
      try {
        checkMemReg(env, reg, regno, arg.memSize);
      } catch (e) {
        if (!(e instanceof Reject)) throw e;
        // The access check's message stays; the call fails with EINVAL.
        throw new Reject(EINVAL, e.message, e.newline);
      }
      if (!arg.maybeNull && reg.maybeNull) throw new Reject(EINVAL, msg.argExpectedNonNull(i));
    }
  });
}

/**
 * The global branch of check_func_call(): check the arguments (their messages come first), refuse
 * a call under a spin lock, mark the callee for verification and go on after the call with an
 * unknown scalar in R0. Returns the slot after the call.
 */
export function checkGlobalFuncCall(env: Env, insn: Insn, subprog: number): number {
  let failed: Reject | undefined;
  try {
    checkArgMatch(env, prepareFuncArgs(env, subprog));
  } catch (e) {
    if (!(e instanceof Reject)) throw e;
    if (e.errno === EFAULT) throw e;
    if (e.newline) env.log.print(e.message);
    else env.log.write(e.message);
    failed = e;
  }
  if (env.state.activeLocks > 0) env.reject(EINVAL, msg.globalCallInLock());
  const name = subprogName(env, subprog);
  if (failed) env.reject(failed.errno, msg.callerPassesInvalidArgs(subprog, name));
  env.log.print(msg.globalAssumedValid(subprog, name));
  globals(env).called.add(subprog);
  const caller = env.state.cur;
  for (let r = 0; r <= 5; r++) { markRegNotInit(caller.reg(r)); env.scratch.regs |= 1 << r; }
  markRegUnknown(caller.reg(0));
  return insn.idx + 1;
}

/** The entry state of a global function verified on its own: R1-R5 typed from its prototype (do_check_common()). */
function entryState(env: Env, subprog: number, args: readonly SubprogArg[]): VerifierState {
  const f = FuncState.init(0, -1, subprog);
  args.forEach((arg, i) => {
    const reg = f.reg(i + 1);
    if (arg.kind === 'scalar') { markRegUnknown(reg); return; }
    markRegPointer(reg, arg.kind);
    if (arg.kind === 'mem') {
      reg.range = arg.memSize;
      reg.maybeNull = arg.maybeNull;
      if (arg.maybeNull) reg.id = env.newId();
    }
  });
  return new VerifierState([f]);
}

/**
 * do_check_subprogs(): after the main program, each global function verified code called, in
 * subprogram order, again until a pass finds none new. At level 1 the log of a function that
 * verifies is dropped, as the main program's is, and replaced by one line saying so.
 * @param walk the path walk (do_check()) from a function's entry state.
 * @throws Reject when one of them is unsafe.
 */
export function verifyGlobalFuncs(env: Env, walk: (initial: VerifierState) => void): void {
  const g = globals(env);
  const n = env.cfg.subprogStarts.length;
  for (let found = true; found;) {
    found = false;
    for (let i = 1; i < n; i++) {
      if (!isGlobalFunc(env, i) || !g.called.has(i) || g.verified.has(i)) continue;
      env.insnIdx = env.cfg.subprogStarts[i] as number;
      const name = subprogName(env, i);
      env.log.print(msg.validatingFunc(name, i));
      const state = entryState(env, i, prepareFuncArgs(env, i));
      state.insnIdx = env.insnIdx;
      env.explored.clear();
      walk(state);
      if (env.log.level === 1) env.log.reset(0);
      env.log.print(msg.globalSafe(i, name));
      g.verified.add(i);
      found = true;
    }
  }
}

/** check_return_code() for a global function's exit: it must return a scalar. */
export function checkGlobalReturn(env: Env, r0: RegState): void {
  if (r0.type !== 'scalar') env.reject(EINVAL, msg.subprogRetNotScalar(regTypeStr(r0)));
}

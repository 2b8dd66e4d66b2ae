/**
 * A JIT-compiled program: the drop-in for the Interpreter (`run`, `callFunction`, `dispose`, the
 * same options), backed by one WebAssembly instance over the runtime's memory.
 *
 * Modes: `checked` (the default, for unverified code) bounds-checks every memory access against
 * the live regions and counts loop iterations, so unverified code faults as in the interpreter;
 * `unchecked` is for verified programs (plain loads and stores; Wasm's own bounds keep the host
 * safe), with the accesses the verifier found to be context field accesses (`slowAccesses`) done
 * by the runtime's AddressSpace, which converts them. Reads of registers without a value stop the
 * run with the interpreter's `R%d !read_ok`: proven absent at compile time where possible
 * (init-analysis.ts, or `registersProven` by a verifier), else checked at run time by a second,
 * exact variant of the module, compiled on demand.
 * Checked mode keeps the last region read and written in an access cache (region-cache.ts).
 * `repeat` runs the program N times in one call into the module (BPF_PROG_TEST_RUN's loop); the
 * imports and the instance behind each variant of the module are in instance.ts.
 * Works in node / browser.
 */
import type { Insn } from '../isa/insn.ts';
import { MAX_BPF_STACK, MAX_CALL_FRAMES } from '../isa/opcodes.ts';
import { EINVAL, ELOOP, EFAULT } from '../uapi/errno.ts';
import { InternalError, RunError } from '../util/errors.ts';
import { hex64 } from '../util/u64.ts';
import { DEFAULT_MAX_INSNS, MAX_NESTED_RUNS, decodeFuncPtr, type HelperLookup } from '../vm/abi.ts';
import type { RunArgs } from '../vm/interpreter.ts';
import type { PacketLookup } from '../vm/ld-abs.ts';
import type { AddressSpace } from '../vm/memory.ts';
import { StackPool } from '../vm/stack-pool.ts';
import { buildCfg, type ProgramCfg } from './cfg.ts';
import { compileModule, type CompiledModule } from './compile.ts';
import { G_BASE, G_FIDX, G_FP0 } from './emit.ts';
import type { EntryValue, InlineCtxLoad, InlineHelperLookup } from './inline.ts';
import { allReadsInitialised, entryMask } from './init-analysis.ts';
import { instantiate, type EntryFn, type Variant } from './instance.ts';
import { validateCache } from './region-cache.ts';
import { WA, type WasmModule } from './wasm/host.ts';

/** Options of {@link compileProgram}: the Interpreter's, plus the JIT's own. */
export interface JitOptions {
  readonly memory: AddressSpace;
  readonly helpers?: HelperLookup;
  /** Resolves pseudo ld_imm64 (map fds, map values, BTF ids) at compile time. */
  readonly resolveLdImm64?: (insn: Insn) => bigint;
  readonly packetOf?: PacketLookup;
  /** Checked mode: loop iterations one run may take (the interpreter counts instructions). */
  readonly maxInsns?: number;
  /** 'checked' (default) for unverified code, 'unchecked' for verified programs. */
  readonly mode?: 'checked' | 'unchecked';
  /** Zero each frame's 512-byte stack on entry, as the interpreter does (default true). */
  readonly zeroStack?: boolean;
  /** Slots `run` may start at besides 0 (function starts are always entries). */
  readonly entrySlots?: readonly number[];
  /**
   * Slots of loads and stores done through the AddressSpace (load / store imports) in every mode:
   * context field accesses of verified programs, which the runtime converts as the kernel does.
   */
  readonly slowAccesses?: ReadonlySet<number>;
  /** A verifier proved that no register is read before it is written: no run-time read checks. */
  readonly registersProven?: boolean;
  /**
   * Stack bytes each function (by entry slot) can touch, as a verifier measured them: only those
   * are zeroed on entry (the rest of the frame is never read).
   */
  readonly stackDepths?: ReadonlyMap<number, number>;
  /** Helpers implemented in WebAssembly, emitted inline instead of the JS import, by call site. */
  readonly inlineHelpers?: InlineHelperLookup;
  /** Values set at each entry for the inline helpers to read (inline.ts). */
  readonly entryValues?: readonly EntryValue[];
  /**
   * Unchecked mode: context field loads (slots among `slowAccesses`) done in WebAssembly when the
   * context is the one the runtime laid out (inline.ts InlineCtxLoad), by slot.
   */
  readonly ctxLoads?: ReadonlyMap<number, InlineCtxLoad>;
}

/** Compilation figures. */
export interface JitStats {
  readonly insns: number;
  readonly wasmBytes: number;
  readonly functions: number;
  readonly dispatcherFunctions: number;
  /** Whether the primary module checks readable registers at run time. */
  readonly dynamicInit: boolean;
  readonly compileMs: number;
  /** Helper call sites implemented in WebAssembly. */
  readonly inlinedCalls: number;
  /** Context field loads done in WebAssembly (JitOptions.ctxLoads). */
  readonly inlinedCtxLoads: number;
  /** Whether memory accesses are bounds-checked and loops counted (unverified code). */
  readonly checked: boolean;
}

function isArgList(args: RunArgs): args is readonly bigint[] {
  return Array.isArray(args);
}

/** A program compiled to WebAssembly. Re-entrant: helpers may call back into it. */
export class JitProgram {
  readonly insns: readonly Insn[];
  readonly memory: AddressSpace;
  stats: JitStats = { insns: 0, wasmBytes: 0, functions: 0, dispatcherFunctions: 0, dynamicInit: false, compileMs: 0, inlinedCalls: 0, inlinedCtxLoads: 0, checked: true };
  private readonly opts: JitOptions;
  private readonly cfg: ProgramCfg;
  private readonly checked: boolean;
  /** Whether code may use the access caches (checked mode, or context accesses through the imports). */
  private readonly usesCache: boolean;
  /** Frame pointer (stack top) of each absolute frame index. */
  private readonly framePtrs: bigint[] = [];
  private readonly stacks: StackPool;
  private primaryVariant: Variant | undefined;
  private exact: Variant | undefined;
  /** readsProven results by slot * 8 + argument count; the main entry's by argument count in `initOkMain` (-1: not known yet). */
  private readonly initOk = new Map<number, boolean>();
  private readonly initOkMain = new Int8Array(6).fill(-1);
  private nest = 0;
  private disposed = false;
  /** The last function pointer callFunction accepted and its slot (-1n: none; pointers are u64). */
  private lastFuncPtr = -1n;
  private lastFuncSlot = 0;
  /** The entry function of `lastEntrySlot` in `lastEntryVariant` (callbacks enter one slot again and again). */
  private lastEntryVariant: Variant | undefined;
  private lastEntrySlot = -1;
  private lastEntryFn: EntryFn | undefined;

  private readonly dynamicPrimary: boolean;
  /** Whether slot 0 starts a function (the entry of run() and repeat()). */
  private readonly hasMain: boolean;

  /** Use {@link compileProgram} or {@link compileProgramSync}. */
  private constructor(insns: readonly Insn[], options: JitOptions) {
    this.insns = insns;
    this.memory = options.memory;
    this.opts = options;
    this.checked = (options.mode ?? 'checked') === 'checked';
    this.usesCache = this.checked || (options.slowAccesses?.size ?? 0) > 0;
    this.cfg = buildCfg(insns, options.entrySlots ?? [0]);
    this.dynamicPrimary = options.registersProven !== true && ![...this.cfg.functions.keys()].every((s) => this.readsProven(s, 5));
    this.stacks = new StackPool(options.memory);
    this.hasMain = this.cfg.functions.has(0);
  }

  /**
   * Compile synchronously (`new WebAssembly.Module`): fine in Node and in workers; browsers
   * limit synchronous compilation on the main thread to small modules.
   * @throws {InsnError} for a register number above 10; {InternalError} if the module is invalid.
   */
  static compileSync(insns: readonly Insn[], options: JitOptions): JitProgram {
    const t0 = Date.now();
    const p = new JitProgram(insns, options);
    try {
      const compiled = p.compiledFor(p.dynamicPrimary);
      p.finish(compiled, compileModuleBytes(compiled.bytes), t0);
    } catch (e) {
      p.release();
      throw e;
    }
    return p;
  }

  /** Compile with WebAssembly.compile (off the main thread where the host can). */
  static async compile(insns: readonly Insn[], options: JitOptions): Promise<JitProgram> {
    const t0 = Date.now();
    const p = new JitProgram(insns, options);
    try {
      const compiled = p.compiledFor(p.dynamicPrimary);
      let mod: WasmModule;
      try {
        mod = await WA.compile(compiled.bytes);
      } catch (e) {
        throw new InternalError(`the JIT produced an invalid module: ${(e as Error).message}`);
      }
      p.finish(compiled, mod, t0);
    } catch (e) {
      p.release();
      throw e;
    }
    return p;
  }

  private finish(compiled: CompiledModule, mod: WasmModule, t0: number): void {
    this.primaryVariant = this.instantiate(compiled, mod, this.dynamicPrimary);
    this.stats = {
      insns: this.insns.length, wasmBytes: compiled.bytes.length, functions: this.cfg.functions.size,
      dispatcherFunctions: compiled.dispatcherFunctions, dynamicInit: this.dynamicPrimary, compileMs: Date.now() - t0,
      inlinedCalls: compiled.inlinedCalls, inlinedCtxLoads: compiled.inlinedCtxLoads, checked: this.checked,
    };
  }

  private release(): void {
    this.stacks.dispose();
  }

  private readsProven(slot: number, argc: number): boolean {
    if (this.opts.registersProven === true) return true;
    if (slot === 0) {
      const known = this.initOkMain[argc]!;
      if (known >= 0) return known === 1;
      const ok = allReadsInitialised(this.cfg, 0, entryMask(argc));
      this.initOkMain[argc] = ok ? 1 : 0;
      return ok;
    }
    const key = slot * 8 + argc;
    let ok = this.initOk.get(key);
    if (ok === undefined) {
      ok = allReadsInitialised(this.cfg, slot, entryMask(argc));
      this.initOk.set(key, ok);
    }
    return ok;
  }

  private compiledFor(dynamicInit: boolean): CompiledModule {
    return compileModule(this.cfg, {
      mode: { checked: this.checked, dynamicInit, zeroStack: this.opts.zeroStack ?? true, slowAccesses: this.opts.slowAccesses ?? new Set() },
      loopBudget: this.opts.maxInsns ?? DEFAULT_MAX_INSNS,
      helpers: this.opts.helpers,
      inlineHelpers: this.opts.inlineHelpers,
      stackDepths: this.opts.stackDepths,
      entryValues: this.opts.entryValues ?? [],
      ctxLoads: this.opts.ctxLoads,
      resolveLdImm64: this.opts.resolveLdImm64,
    });
  }

  private instantiate(compiled: CompiledModule, mod: WasmModule, dynamic: boolean): Variant {
    return instantiate({
      memory: this.memory, helpers: this.opts.helpers, packetOf: this.opts.packetOf, entryValues: this.opts.entryValues ?? [],
      framePtrs: this.framePtrs, callFunction: (fp, args, insnIdx) => this.callFunction(fp, args, insnIdx),
    }, compiled, mod, dynamic);
  }

  /**
   * Run from `entrySlot` (default 0) with R1..R5 = args; returns R0.
   * @throws {RunError} when the program faults, calls something unavailable, exceeds the frame,
   * nesting or loop budgets, or runs off its end.
   */
  run(args: RunArgs = [], entrySlot = 0): bigint {
    if (entrySlot === 0 && this.hasMain && isArgList(args)) return this.enter(0, args, 0);
    const list = isArgList(args) ? args : [args.r1, args.r2, args.r3, args.r4, args.r5].map((v) => v ?? 0n);
    this.checkEntrySlot(entrySlot);
    return this.enter(entrySlot, list, entrySlot);
  }

  private checkEntrySlot(slot: number): void {
    if (!this.cfg.functions.has(slot)) throw new RunError(`entry slot ${slot} is not the start of a compiled function`, slot, EINVAL);
  }

  /**
   * Run from slot 0 `count` times (1 .. 2^32 - 1) with the same R1..R5 = args, as `count` calls of
   * {@link run} would, but in one call into the module (BPF_PROG_TEST_RUN's `repeat` loop);
   * returns the last R0. A fault stops the loop with the error `run` would throw.
   * @throws {RunError} as run; {InternalError} for a count outside 1 .. 2^32 - 1.
   */
  repeat(args: readonly bigint[], count: number): bigint {
    if (!Number.isInteger(count) || count < 1 || count > 0xffff_ffff) throw new InternalError(`repeat count ${count} is not in 1 .. 2^32 - 1`);
    if (!this.hasMain) this.checkEntrySlot(0);
    const v = this.entryChecks(0, args, 0);
    if (this.nest > 0 || v.repeat === undefined) {
      let r0 = 0n;
      for (let i = 0; i < count; i++) r0 = this.enter(0, args, 0);
      return r0;
    }
    this.outerEntry(v);
    const fn = v.repeat;
    this.nest = 1;
    try {
      const r = v.dynamic
        ? fn(0, args[0] ?? 0n, args[1] ?? 0n, args[2] ?? 0n, args[3] ?? 0n, args[4] ?? 0n, entryMask(args.length), count | 0)
        : fn(0, args[0] ?? 0n, args[1] ?? 0n, args[2] ?? 0n, args[3] ?? 0n, args[4] ?? 0n, count | 0);
      return r < 0n ? BigInt.asUintN(64, r) : r;
    } catch (e) {
      throw this.translate(e, 0);
    } finally {
      this.nest = 0;
    }
  }

  /**
   * Call the subprogram a BPF_PSEUDO_FUNC value points to (what HelperEnv.callFunction does).
   * @throws {RunError} if `funcPtr` is not a function pointer into this program.
   */
  callFunction(funcPtr: bigint, args: readonly bigint[], insnIdx = 0): bigint {
    if (funcPtr === this.lastFuncPtr) return this.enter(this.lastFuncSlot, args, insnIdx);
    const slot = decodeFuncPtr(funcPtr);
    if (slot === undefined || !this.cfg.functions.has(slot)) {
      throw new RunError(`${hex64(funcPtr)} is not a function of this program (insn ${insnIdx})`, insnIdx, EINVAL);
    }
    this.lastFuncPtr = funcPtr;
    this.lastFuncSlot = slot;
    return this.enter(slot, args, insnIdx);
  }

  /** Free the stacks (call when the program is unloaded). */
  dispose(): void {
    if (this.nest !== 0) throw new InternalError('JitProgram.dispose() during a run');
    if (this.disposed) return;
    this.disposed = true;
    this.release();
  }

  /** The checks of every entry; the variant to enter. */
  private entryChecks(slot: number, args: readonly bigint[], insnIdx: number): Variant {
    const argc = args.length;
    if (argc > 5) throw new InternalError(`a BPF function takes at most 5 arguments, got ${argc}`);
    if (this.disposed) throw new InternalError('JitProgram used after dispose()');
    if (this.nest >= MAX_NESTED_RUNS) {
      throw new RunError(`too many nested BPF runs (more than ${MAX_NESTED_RUNS}) at insn ${insnIdx}`, insnIdx, ELOOP);
    }
    const v = this.primaryVariant;
    if (v === undefined) throw new InternalError('JitProgram used before compilation finished');
    if (v.dynamic || argc === 5 || this.readsProven(slot, argc)) return v;
    if (this.exact === undefined) {
      const compiled = this.compiledFor(true);
      this.exact = this.instantiate(compiled, compileModuleBytes(compiled.bytes), true);
    }
    return this.exact;
  }

  /** Before an entry from outside any run: the first run's frames, the entry values, the caches. */
  private outerEntry(v: Variant): void {
    if (this.framePtrs.length < MAX_CALL_FRAMES) this.ensureFrames(MAX_CALL_FRAMES);
    if (v.entryValues.length > 0) setEntryValues(v);
    if (this.usesCache) validateCache(v.globals, v.cache);
  }

  /** The entry function of `slot` in `v`. */
  private entryFn(v: Variant, slot: number): EntryFn {
    if (slot === 0 && v.main !== undefined) return v.main;
    if (slot === this.lastEntrySlot && v === this.lastEntryVariant) return this.lastEntryFn!;
    const fn = v.entries.get(slot)!;
    this.lastEntryVariant = v;
    this.lastEntrySlot = slot;
    this.lastEntryFn = fn;
    return fn;
  }

  private enter(slot: number, args: readonly bigint[], insnIdx: number): bigint {
    const v = this.entryChecks(slot, args, insnIdx);
    const fn = this.entryFn(v, slot);
    if (this.nest > 0) return this.enterNested(v, fn, args, insnIdx);
    this.outerEntry(v);
    // No closures here: this is the per-run path (and bundlers may wrap closures in __name calls).
    this.nest = 1;
    try {
      const r = v.dynamic
        ? fn(0, args[0] ?? 0n, args[1] ?? 0n, args[2] ?? 0n, args[3] ?? 0n, args[4] ?? 0n, entryMask(args.length))
        : fn(0, args[0] ?? 0n, args[1] ?? 0n, args[2] ?? 0n, args[3] ?? 0n, args[4] ?? 0n);
      return r < 0n ? BigInt.asUintN(64, r) : r;
    } catch (e) {
      throw this.translate(e, insnIdx);
    } finally {
      this.nest = 0;
    }
  }

  /**
   * An entry while a run is in progress (a callback from a helper): fresh frames above the outer
   * run's, and the outer run's frame globals and entry values given back afterwards.
   */
  private enterNested(v: Variant, fn: EntryFn, args: readonly bigint[], insnIdx: number): bigint {
    const base = this.nest * MAX_CALL_FRAMES;
    if (this.framePtrs.length < base + MAX_CALL_FRAMES) this.ensureFrames(base + MAX_CALL_FRAMES);
    // Given back only if the run throws (the entry wrapper restores them when it returns). The
    // outer run's base is the one below this one (its entry set it), so only the index is read.
    const savedFidx = v.globals[G_FIDX]!.value;
    const savedValues = v.entryValues.length > 0 ? setEntryValues(v) : undefined;
    if (this.usesCache) validateCache(v.globals, v.cache);
    this.nest++;
    try {
      const r = v.dynamic
        ? fn(base, args[0] ?? 0n, args[1] ?? 0n, args[2] ?? 0n, args[3] ?? 0n, args[4] ?? 0n, entryMask(args.length))
        : fn(base, args[0] ?? 0n, args[1] ?? 0n, args[2] ?? 0n, args[3] ?? 0n, args[4] ?? 0n);
      return r < 0n ? BigInt.asUintN(64, r) : r;
    } catch (e) {
      v.globals[G_FIDX]!.value = savedFidx;
      v.globals[G_BASE]!.value = base - MAX_CALL_FRAMES;
      throw this.translate(e, insnIdx);
    } finally {
      this.nest--;
      if (savedValues !== undefined) restoreEntryValues(v, savedValues);
    }
  }

  private ensureFrames(count: number): void {
    while (this.framePtrs.length < count) {
      const fp = this.stacks.acquire().ptr + BigInt(MAX_BPF_STACK);
      const i = this.framePtrs.length;
      this.framePtrs.push(fp);
      this.primaryVariant!.globals[G_FP0 + i]!.value = fp;
      if (this.exact !== undefined) this.exact.globals[G_FP0 + i]!.value = fp;
    }
  }

  /** Wasm traps (only possible in unchecked mode, or from host limits) become RunErrors. */
  private translate(e: unknown, insnIdx: number): unknown {
    if (e instanceof WA.RuntimeError || e instanceof RangeError) {
      return new RunError(`JIT code stopped: ${(e as Error).message} (entered at insn ${insnIdx})`, insnIdx, EFAULT);
    }
    return e;
  }
}

/**
 * Set the entry values of `v` to what they read now, writing only the globals whose value changed
 * (a global write from JS costs about as much as a small helper call). Returns the values before,
 * when some changed, for {@link restoreEntryValues}; undefined when none did.
 */
function setEntryValues(v: Variant): (number | bigint | undefined)[] | undefined {
  const evs = v.entryValues;
  const shadow = v.entryShadow;
  let before: (number | bigint | undefined)[] | undefined;
  for (let i = 0; i < evs.length; i++) {
    const now = evs[i]!.value.read();
    if (now === shadow[i]) continue;
    before ??= shadow.slice();
    evs[i]!.global.value = now;
    shadow[i] = now;
  }
  return before;
}

/** Give back the entry values {@link setEntryValues} replaced (those that were ever set). */
function restoreEntryValues(v: Variant, before: readonly (number | bigint | undefined)[]): void {
  const evs = v.entryValues;
  const shadow = v.entryShadow;
  for (let i = 0; i < evs.length; i++) {
    const old = before[i];
    if (old === undefined || old === shadow[i]) continue;
    evs[i]!.global.value = old;
    shadow[i] = old;
  }
}

function compileModuleBytes(bytes: Uint8Array): WasmModule {
  try {
    return new WA.Module(bytes);
  } catch (e) {
    throw new InternalError(`the JIT produced an invalid module: ${(e as Error).message}`);
  }
}

/**
 * Compile a program to WebAssembly (asynchronously). The same as {@link JitProgram.compile}.
 * @throws {InsnError} for a register number above 10.
 */
export function compileProgram(insns: readonly Insn[], options: JitOptions): Promise<JitProgram> {
  return JitProgram.compile(insns, options);
}

/** Compile synchronously; see {@link JitProgram.compileSync}. */
export function compileProgramSync(insns: readonly Insn[], options: JitOptions): JitProgram {
  return JitProgram.compileSync(insns, options);
}

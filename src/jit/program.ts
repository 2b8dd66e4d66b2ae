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
 * Works in node / browser.
 */
import type { Insn } from '../isa/insn.ts';
import { BPF_IND, MAX_BPF_STACK, MAX_CALL_FRAMES, insnMode } from '../isa/opcodes.ts';
import { EACCES, EINVAL, ELOOP, EFAULT } from '../uapi/errno.ts';
import { helperName } from '../uapi/helpers.ts';
import { InternalError, RunError } from '../util/errors.ts';
import { hex64 } from '../util/u64.ts';
import { DEFAULT_MAX_INSNS, MAX_NESTED_RUNS, decodeFuncPtr, type HelperEnv, type HelperFn, type HelperLookup } from '../vm/abi.ts';
import type { RunArgs } from '../vm/interpreter.ts';
import { ldAbs, type PacketLookup } from '../vm/ld-abs.ts';
import type { AddressSpace } from '../vm/memory.ts';
import { firstReg } from '../vm/reg-usage.ts';
import { StackPool } from '../vm/stack-pool.ts';
import { buildCfg, type ProgramCfg } from './cfg.ts';
import { compileModule, type CompiledModule } from './compile.ts';
import { ENTRY_VALUE_GLOBAL0, G_BASE, G_FIDX, G_FP0, GLOBAL_COUNT } from './emit.ts';
import type { EntryValue, InlineHelperLookup } from './inline.ts';
import { allReadsInitialised, entryMask } from './init-analysis.ts';
import { install, validateCache, type RegionCache } from './region-cache.ts';
import { WA, type WasmGlobal, type WasmModule } from './wasm/host.ts';

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
  /** Whether memory accesses are bounds-checked and loops counted (unverified code). */
  readonly checked: boolean;
}

interface Variant {
  readonly compiled: CompiledModule;
  readonly entries: Map<number, (...args: (number | bigint)[]) => bigint>;
  readonly globals: readonly WasmGlobal[];
  /** The entry values the code reads, with their globals. */
  readonly entryValues: readonly { readonly value: EntryValue; readonly global: WasmGlobal }[];
  /** The regions in the access caches (checked mode). */
  readonly cache: RegionCache;
}

function isArgList(args: RunArgs): args is readonly bigint[] {
  return Array.isArray(args);
}

/** A program compiled to WebAssembly. Re-entrant: helpers may call back into it. */
export class JitProgram {
  readonly insns: readonly Insn[];
  readonly memory: AddressSpace;
  stats: JitStats = { insns: 0, wasmBytes: 0, functions: 0, dispatcherFunctions: 0, dynamicInit: false, compileMs: 0, inlinedCalls: 0, checked: true };
  private readonly opts: JitOptions;
  private readonly cfg: ProgramCfg;
  private readonly checked: boolean;
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

  private readonly dynamicPrimary: boolean;

  /** Use {@link compileProgram} or {@link compileProgramSync}. */
  private constructor(insns: readonly Insn[], options: JitOptions) {
    this.insns = insns;
    this.memory = options.memory;
    this.opts = options;
    this.checked = (options.mode ?? 'checked') === 'checked';
    this.cfg = buildCfg(insns, options.entrySlots ?? [0]);
    this.dynamicPrimary = options.registersProven !== true && ![...this.cfg.functions.keys()].every((s) => this.readsProven(s, 5));
    this.stacks = new StackPool(options.memory);
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
    this.primaryVariant = this.instantiate(compiled, mod);
    this.stats = {
      insns: this.insns.length, wasmBytes: compiled.bytes.length, functions: this.cfg.functions.size,
      dispatcherFunctions: compiled.dispatcherFunctions, dynamicInit: this.dynamicPrimary, compileMs: Date.now() - t0,
      inlinedCalls: compiled.inlinedCalls, checked: this.checked,
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
      resolveLdImm64: this.opts.resolveLdImm64,
    });
  }

  private instantiate(compiled: CompiledModule, mod: WasmModule): Variant {
    const memory = this.memory;
    const helpers = this.opts.helpers;
    const sites = compiled.helperSites.map(({ insn }) => {
      const env: HelperEnv = { memory, insnIdx: insn.idx, callFunction: (fp, args) => this.callFunction(fp, args, insn.idx) };
      return { insn, env, fn: helpers?.(insn.imm) };
    });
    let globals: WasmGlobal[] = [];
    const cache: RegionCache = { read: undefined, write: undefined };
    const call = (fn: HelperFn, env: HelperEnv, id: number, a: bigint, b: bigint, c: bigint, d: bigint, e: bigint): bigint => {
      const r0: unknown = fn(env, BigInt.asUintN(64, a), BigInt.asUintN(64, b), BigInt.asUintN(64, c), BigInt.asUintN(64, d), BigInt.asUintN(64, e));
      if (typeof r0 !== 'bigint') throw new InternalError(`helper #${id} returned ${typeof r0}, not a bigint`);
      validateCache(globals, cache);
      return r0;
    };
    const imports = {
      env: {
        memory: memory.memory,
        helper: (site: number, a: bigint, b: bigint, c: bigint, d: bigint, e: bigint): bigint => {
          const s = sites[site]!;
          return call(s.fn!, s.env, s.insn.imm, a, b, c, d, e);
        },
        helperx: (id: number, site: number, a: bigint, b: bigint, c: bigint, d: bigint, e: bigint): bigint => {
          const s = sites[site]!;
          const fn = helpers?.(id);
          if (fn === undefined) {
            const name = helperName(id);
            const what = name === undefined ? `#${id}` : `bpf_${name}#${id}`;
            throw new RunError(`helper ${what} is not available here (insn ${s.insn.idx})`, s.insn.idx, EINVAL);
          }
          return call(fn, s.env, id, a, b, c, d, e);
        },
        trap: (i: number): never => {
          throw compiled.errors[i] ?? new InternalError(`unknown JIT trap ${i}`);
        },
        readok: (insnIdx: number, missing: number): never => {
          throw new RunError(`R${firstReg(missing)} !read_ok (insn ${insnIdx})`, insnIdx, EACCES);
        },
        check: (addr: bigint, size: number, write: number, insnIdx: number): number => {
          const ptr = BigInt.asUintN(64, addr);
          const off = memory.check(ptr, size, write ? 'write' : 'read', insnIdx);
          install(globals, cache, memory.find(ptr, size));
          return off;
        },
        load: (addr: bigint, size: number, insnIdx: number): bigint => {
          const ptr = BigInt.asUintN(64, addr);
          const v = memory.load(ptr, size as 1 | 2 | 4 | 8, insnIdx);
          install(globals, cache, memory.find(ptr, size));
          return v;
        },
        store: (addr: bigint, size: number, value: bigint, insnIdx: number): void => {
          const ptr = BigInt.asUintN(64, addr);
          memory.store(ptr, size as 1 | 2 | 4 | 8, BigInt.asUintN(64, value), insnIdx);
          install(globals, cache, memory.find(ptr, size));
        },
        ldabs: (site: number, r6: bigint, src: bigint): bigint => {
          const insn = compiled.ldAbsSites[site]!;
          const regs: bigint[] = new Array<bigint>(11).fill(0n);
          // LD_IND reads its src register (the Wasm side passes it); LD_ABS ignores the field.
          if (insnMode(insn.code) === BPF_IND) regs[insn.src & 0xf] = BigInt.asUintN(64, src);
          regs[6] = BigInt.asUintN(64, r6);
          return ldAbs(memory, insn, regs, this.opts.packetOf) ?? -1n;
        },
      },
    };
    const inst = new WA.Instance(mod, imports);
    globals = Array.from({ length: GLOBAL_COUNT }, (_, g) => inst.exports[`g${g}`] as WasmGlobal);
    this.framePtrs.forEach((fp, i) => { globals[G_FP0 + i]!.value = fp; });
    const entries = new Map<number, (...args: (number | bigint)[]) => bigint>();
    for (const [slot, name] of compiled.entries) entries.set(slot, inst.exports[name] as (...args: (number | bigint)[]) => bigint);
    const values = this.opts.entryValues ?? [];
    const entryValues = compiled.usedEntryValues.map((i) => ({ value: values[i]!, global: inst.exports[`g${ENTRY_VALUE_GLOBAL0 + i}`] as WasmGlobal }));
    return { compiled, entries, globals, entryValues, cache };
  }

  /**
   * Run from `entrySlot` (default 0) with R1..R5 = args; returns R0.
   * @throws {RunError} when the program faults, calls something unavailable, exceeds the frame,
   * nesting or loop budgets, or runs off its end.
   */
  run(args: RunArgs = [], entrySlot = 0): bigint {
    const list = isArgList(args) ? args : [args.r1, args.r2, args.r3, args.r4, args.r5].map((v) => v ?? 0n);
    if (!this.cfg.functions.has(entrySlot)) {
      throw new RunError(`entry slot ${entrySlot} is not the start of a compiled function`, entrySlot, EINVAL);
    }
    return this.enter(entrySlot, list, entrySlot);
  }

  /**
   * Call the subprogram a BPF_PSEUDO_FUNC value points to (what HelperEnv.callFunction does).
   * @throws {RunError} if `funcPtr` is not a function pointer into this program.
   */
  callFunction(funcPtr: bigint, args: readonly bigint[], insnIdx = 0): bigint {
    const slot = decodeFuncPtr(funcPtr);
    if (slot === undefined || !this.cfg.functions.has(slot)) {
      throw new RunError(`${hex64(funcPtr)} is not a function of this program (insn ${insnIdx})`, insnIdx, EINVAL);
    }
    return this.enter(slot, args, insnIdx);
  }

  /** Free the stacks (call when the program is unloaded). */
  dispose(): void {
    if (this.nest !== 0) throw new InternalError('JitProgram.dispose() during a run');
    if (this.disposed) return;
    this.disposed = true;
    this.release();
  }

  private enter(slot: number, args: readonly bigint[], insnIdx: number): bigint {
    if (args.length > 5) throw new InternalError(`a BPF function takes at most 5 arguments, got ${args.length}`);
    if (this.disposed) throw new InternalError('JitProgram used after dispose()');
    if (this.nest >= MAX_NESTED_RUNS) {
      throw new RunError(`too many nested BPF runs (more than ${MAX_NESTED_RUNS}) at insn ${insnIdx}`, insnIdx, ELOOP);
    }
    let v = this.primaryVariant;
    if (v === undefined) throw new InternalError('JitProgram used before compilation finished');
    const dynamic = this.dynamicPrimary;
    if (!dynamic && args.length < 5 && !this.readsProven(slot, args.length)) {
      if (this.exact === undefined) {
        const compiled = this.compiledFor(true);
        this.exact = this.instantiate(compiled, compileModuleBytes(compiled.bytes));
      }
      v = this.exact;
    }
    const base = this.nest * MAX_CALL_FRAMES;
    this.ensureFrames(base + MAX_CALL_FRAMES);
    const fn = v.entries.get(slot)!;
    const saved = this.nest > 0 ? [v.globals[G_FIDX]!.value, v.globals[G_BASE]!.value] as const : undefined;
    // Entry values: set for this entry, the outer entry's given back when a nested one returns.
    const evs = v.entryValues;
    const savedValues = this.nest > 0 && evs.length > 0 ? evs.map((ev) => ev.global.value) : undefined;
    for (let i = 0; i < evs.length; i++) evs[i]!.global.value = evs[i]!.value.read();
    validateCache(v.globals, v.cache);
    // No closures here: this is the per-run path (and bundlers may wrap closures in __name calls).
    const a0 = args[0] ?? 0n;
    const a1 = args[1] ?? 0n;
    const a2 = args[2] ?? 0n;
    const a3 = args[3] ?? 0n;
    const a4 = args[4] ?? 0n;
    this.nest++;
    try {
      const r = v === this.exact || dynamic
        ? fn(base, a0, a1, a2, a3, a4, entryMask(args.length))
        : fn(base, a0, a1, a2, a3, a4);
      return r < 0n ? BigInt.asUintN(64, r) : r;
    } catch (e) {
      if (saved !== undefined) {
        v.globals[G_FIDX]!.value = saved[0];
        v.globals[G_BASE]!.value = saved[1];
      }
      throw this.translate(e, insnIdx);
    } finally {
      this.nest--;
      if (savedValues !== undefined) for (let i = 0; i < evs.length; i++) evs[i]!.global.value = savedValues[i]!;
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

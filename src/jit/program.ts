/**
 * A JIT-compiled program: the drop-in for the Interpreter (`run`, `callFunction`, `dispose`, the
 * same options), backed by one WebAssembly instance over the runtime's memory.
 *
 * Modes: `checked` (the default until the verifier runs before it) bounds-checks every memory
 * access against the live regions and counts loop iterations, so unverified code faults as in
 * the interpreter; `unchecked` is for verified programs (plain loads and stores; Wasm's own
 * bounds keep the host safe). Reads of registers without a value stop the run with the
 * interpreter's `R%d !read_ok`: proven absent at compile time where possible (init-analysis.ts),
 * else checked at run time by a second, exact variant of the module, compiled on demand.
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
import type { AddressSpace, Region } from '../vm/memory.ts';
import { firstReg } from '../vm/reg-usage.ts';
import { StackPool } from '../vm/stack-pool.ts';
import { buildCfg, type ProgramCfg } from './cfg.ts';
import { compileModule, type CompiledModule, type InlineHelper } from './compile.ts';
import { G_BASE, G_FIDX, G_FP0, G_RLO, G_RSPAN, G_WLO, G_WSPAN, GLOBAL_COUNT } from './emit.ts';
import { allReadsInitialised, entryMask } from './init-analysis.ts';
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
  /** Helpers implemented in WebAssembly, emitted inline instead of the JS import. */
  readonly inlineHelpers?: (id: number) => InlineHelper | undefined;
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
}

interface Variant {
  readonly compiled: CompiledModule;
  readonly entries: Map<number, (...args: (number | bigint)[]) => bigint>;
  readonly globals: readonly WasmGlobal[];
}


function isArgList(args: RunArgs): args is readonly bigint[] {
  return Array.isArray(args);
}

/** A program compiled to WebAssembly. Re-entrant: helpers may call back into it. */
export class JitProgram {
  readonly insns: readonly Insn[];
  readonly memory: AddressSpace;
  stats: JitStats = { insns: 0, wasmBytes: 0, functions: 0, dispatcherFunctions: 0, dynamicInit: false, compileMs: 0 };
  private readonly opts: JitOptions;
  private readonly cfg: ProgramCfg;
  private readonly checked: boolean;
  /** Frame pointer (stack top) of each absolute frame index. */
  private readonly framePtrs: bigint[] = [];
  private readonly stacks: StackPool;
  private primaryVariant: Variant | undefined;
  private exact: Variant | undefined;
  private readonly initOk = new Map<string, boolean>();
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
    this.dynamicPrimary = ![...this.cfg.functions.keys()].every((s) => this.readsProven(s, 5));
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
    };
  }

  private release(): void {
    this.stacks.dispose();
  }

  private readsProven(slot: number, argc: number): boolean {
    const key = `${slot}/${argc}`;
    let ok = this.initOk.get(key);
    if (ok === undefined) {
      ok = allReadsInitialised(this.cfg, slot, entryMask(argc));
      this.initOk.set(key, ok);
    }
    return ok;
  }

  private compiledFor(dynamicInit: boolean): CompiledModule {
    return compileModule(this.cfg, {
      mode: { checked: this.checked, dynamicInit, zeroStack: this.opts.zeroStack ?? true },
      loopBudget: this.opts.maxInsns ?? DEFAULT_MAX_INSNS,
      helpers: this.opts.helpers,
      inlineHelpers: this.opts.inlineHelpers,
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
    const call = (fn: HelperFn, env: HelperEnv, id: number, a: bigint, b: bigint, c: bigint, d: bigint, e: bigint): bigint => {
      const r0: unknown = fn(env, BigInt.asUintN(64, a), BigInt.asUintN(64, b), BigInt.asUintN(64, c), BigInt.asUintN(64, d), BigInt.asUintN(64, e));
      if (typeof r0 !== 'bigint') throw new InternalError(`helper #${id} returned ${typeof r0}, not a bigint`);
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
          const r = memory.find(ptr, size);
          if (r !== undefined) install(globals, r);
          return off;
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
    return { compiled, entries, globals };
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
      return BigInt.asUintN(64, r);
    } catch (e) {
      if (saved !== undefined) {
        v.globals[G_FIDX]!.value = saved[0];
        v.globals[G_BASE]!.value = saved[1];
      }
      throw this.translate(e, insnIdx);
    } finally {
      this.nest--;
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

/** Install `r` in the access caches (reads always; writes when the region is writable). */
function install(globals: readonly WasmGlobal[], r: Region): void {
  const span = r.sizeBytes;
  const sizes = [1, 2, 4, 8];
  globals[G_RLO]!.value = r.ptr;
  sizes.forEach((s, i) => { globals[G_RSPAN[i]!]!.value = BigInt(Math.max(0, span - s + 1)); });
  if (!r.writable) return;
  globals[G_WLO]!.value = r.ptr;
  sizes.forEach((s, i) => { globals[G_WSPAN[i]!]!.value = BigInt(Math.max(0, span - s + 1)); });
}

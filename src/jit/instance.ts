/**
 * One instance of a compiled module (a "variant" of a JitProgram): the imports the code calls
 * (helpers, traps, read checks, checked-mode accesses, LD_ABS) bound to the runtime's memory and
 * helpers, and what the entry path needs from the instance: the entry functions, the repeat entry,
 * the globals and the entry values. Works in node / browser.
 */
import { BPF_IND, insnMode } from '../isa/opcodes.ts';
import { EACCES, EINVAL } from '../uapi/errno.ts';
import { helperName } from '../uapi/helpers.ts';
import { InternalError, RunError } from '../util/errors.ts';
import type { HelperEnv, HelperFn, HelperLookup } from '../vm/abi.ts';
import { ldAbs, type PacketLookup } from '../vm/ld-abs.ts';
import type { AddressSpace } from '../vm/memory.ts';
import { firstReg } from '../vm/reg-usage.ts';
import type { CompiledModule } from './compile.ts';
import { ENTRY_VALUE_GLOBAL0, G_FP0, GLOBAL_COUNT } from './emit.ts';
import type { EntryValue } from './inline.ts';
import { install, validateCache, type RegionCache } from './region-cache.ts';
import { WA, type WasmGlobal, type WasmModule } from './wasm/host.ts';

/** An exported entry wrapper: `(base, R1..R5[, readable mask]) -> R0`. */
export type EntryFn = (...args: (number | bigint)[]) => bigint;

/** One instance of a compiled module. */
export interface Variant {
  readonly compiled: CompiledModule;
  /** Whether the entries take the readable mask (the module checks register reads at run time). */
  readonly dynamic: boolean;
  readonly entries: ReadonlyMap<number, EntryFn>;
  /** The entry of slot 0, looked up once. */
  readonly main: EntryFn | undefined;
  /** `(base, R1..R5[, mask], count) -> R0`: slot 0 run `count` times (compile.ts repeatWrapper). */
  readonly repeat: EntryFn | undefined;
  readonly globals: readonly WasmGlobal[];
  /** The entry values the code reads, with their globals. */
  readonly entryValues: readonly { readonly value: EntryValue; readonly global: WasmGlobal }[];
  /**
   * What JS last wrote to each entry value global (undefined: never written), so entries skip
   * writes that would change nothing; only JS writes these globals.
   */
  readonly entryShadow: (number | bigint | undefined)[];
  /** The regions in the access caches (checked mode). */
  readonly cache: RegionCache;
}

/** What the imports need from the program. */
export interface InstanceHost {
  readonly memory: AddressSpace;
  readonly helpers: HelperLookup | undefined;
  readonly packetOf: PacketLookup | undefined;
  readonly entryValues: readonly EntryValue[];
  /** Frame pointers of the absolute frame indices set up so far. */
  readonly framePtrs: readonly bigint[];
  callFunction(funcPtr: bigint, args: readonly bigint[], insnIdx: number): bigint;
}

/** Instantiate `mod` (the module of `compiled`, with or without run-time read checks). */
export function instantiate(host: InstanceHost, compiled: CompiledModule, mod: WasmModule, dynamic: boolean): Variant {
  const { memory, helpers } = host;
  const sites = compiled.helperSites.map(({ insn }) => {
    const env: HelperEnv = { memory, insnIdx: insn.idx, callFunction: (fp, args) => host.callFunction(fp, args, insn.idx) };
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
        return ldAbs(memory, insn, regs, host.packetOf) ?? -1n;
      },
    },
  };
  const inst = new WA.Instance(mod, imports);
  globals = Array.from({ length: GLOBAL_COUNT }, (_, g) => inst.exports[`g${g}`] as WasmGlobal);
  host.framePtrs.forEach((fp, i) => { globals[G_FP0 + i]!.value = fp; });
  const entries = new Map<number, EntryFn>();
  for (const [slot, name] of compiled.entries) entries.set(slot, inst.exports[name] as EntryFn);
  const entryValues = compiled.usedEntryValues.map((i) => ({ value: host.entryValues[i]!, global: inst.exports[`g${ENTRY_VALUE_GLOBAL0 + i}`] as WasmGlobal }));
  const repeat = compiled.repeatEntry === undefined ? undefined : inst.exports[compiled.repeatEntry] as EntryFn;
  const entryShadow = entryValues.map(() => undefined);
  return { compiled, dynamic, entries, main: entries.get(0), repeat, globals, entryValues, entryShadow, cache };
}

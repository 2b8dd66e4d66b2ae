/**
 * Helpers implemented in WebAssembly: the hook through which the runtime replaces the JS round
 * trip of a hot helper (map lookups and updates over the maps' linear-memory layout, the time,
 * the CPU) with code in the program's own module. The JIT knows nothing of maps or clocks: it
 * offers each helper call site to the runtime's lookup, with what it knows statically (R1 when it
 * is the same constant on every path, as the kernel's verifier knows the map of a call), and gives
 * the helper code a way to share functions between call sites, to read values the runtime sets at
 * each entry, and to fall back to the JS helper. Works in node / browser.
 */
import type { CodeWriter } from './wasm/encoder.ts';
import type { ValType } from './wasm/opcodes.ts';

/** A helper call site, as offered to {@link InlineHelperLookup}. */
export interface InlineSite {
  readonly helperId: number;
  readonly insnIdx: number;
  /** R1 at the call when it holds the same ld_imm64 constant on every path (a map pointer). */
  readonly r1: bigint | undefined;
}

/**
 * A value the runtime sets before each entry into the module (a mutable Wasm global): the current
 * CPU, the time of a virtual clock. Read by helper code with {@link InlineHelperContext.entryValue}.
 * Only values some emitted code reads are set.
 */
export interface EntryValue {
  readonly type: 'i32' | 'i64';
  read(): number | bigint;
}

/** A function in the module shared by every call site that asks for it by the same key. */
export interface SharedFunction {
  readonly params: readonly ValType[];
  readonly results: readonly ValType[];
  /** Locals after the parameters. */
  readonly locals: readonly ValType[];
  /** The body, without the final `end`. */
  readonly body: CodeWriter;
}

/** What an inline helper's code may use. */
export interface InlineHelperContext {
  readonly w: CodeWriter;
  /** Push argument register R1..R5 (i64). */
  arg(n: 1 | 2 | 3 | 4 | 5): void;
  /** Two scratch i64 locals and one i32 local the helper may clobber. */
  readonly scratch64: readonly [number, number];
  readonly scratch32: number;
  readonly insnIdx: number;
  /** The function index of the shared function `key`, built by `build` on first use. */
  shared(key: string, build: () => SharedFunction): number;
  /** Push entry value `index` (an index into the entry values given to the JIT). */
  entryValue(index: number): void;
  /** The slow path: the JS helper of this call site with R1..R5, leaving R0 (i64) on the stack. */
  callHost(): void;
}

/**
 * A helper implemented in WebAssembly, emitted in place of the JS import call: `emit` must leave
 * exactly one i64 (the new R0) on the stack, and must behave exactly as the JS helper would.
 */
export interface InlineHelper {
  emit(ctx: InlineHelperContext): void;
}

/** Chooses the Wasm implementation of a call site, or undefined for the JS helper. */
export type InlineHelperLookup = (site: InlineSite) => InlineHelper | undefined;

/**
 * A context field load done in WebAssembly (the kernel's convert_ctx_accesses, for a field whose
 * converted value the runtime keeps in linear memory): when the context the load goes through is
 * the one in entry value `ctxPtr`, the value is the `size`-byte value (zero-extended) at linear
 * address entry value `valuesAt` + `offset`; any other context takes the load import, which
 * converts as the interpreter does. Only for loads a verifier found to be context field loads.
 */
export interface InlineCtxLoad {
  /** Offset of the field in the context structure: the context starts at the load's address minus this. */
  readonly fieldOff: number;
  /** Entry value (i64): the context laid out this way now (a value no context has when none is). */
  readonly ctxPtr: number;
  /** Entry value (i32): the linear address of its converted values. */
  readonly valuesAt: number;
  readonly offset: number;
  /** Bytes read there, zero-extended. */
  readonly size: 1 | 2 | 4 | 8;
}

/** Chooses the Wasm form of a context field load of `size` bytes at `fieldOff`, or undefined for the import. */
export type InlineCtxLookup = (fieldOff: number, size: number) => InlineCtxLoad | undefined;

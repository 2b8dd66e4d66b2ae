/**
 * The part of the host's WebAssembly JS API the JIT uses. The tsconfig has no WebAssembly lib
 * types (and must not pull in the DOM), so the subset is declared here as plain interfaces and
 * reached through `globalThis` once; nothing is declared globally, so no ambient declaration can
 * clash with another module's. Works in node / browser.
 */
import type { WasmMemory } from '../../vm/memory.ts';

/** A compiled module (opaque). */
export interface WasmModule {
  readonly __wasmModule?: never;
}

/** A WebAssembly.Global as seen from JS. */
export interface WasmGlobal {
  value: number | bigint;
}

/** An instance's exports: functions and globals by name. */
export type WasmExports = Record<string, unknown>;

export interface WasmInstance {
  readonly exports: WasmExports;
}

export type WasmImports = Record<string, Record<string, unknown>>;

interface WasmNamespace {
  readonly Module: new (bytes: Uint8Array) => WasmModule;
  readonly Instance: new (module: WasmModule, imports: WasmImports) => WasmInstance;
  compile(bytes: Uint8Array): Promise<WasmModule>;
  readonly CompileError: new (...args: never[]) => Error;
  readonly RuntimeError: new (...args: never[]) => Error;
}

/** The host's WebAssembly namespace. */
export const WA: WasmNamespace = (globalThis as unknown as { WebAssembly: WasmNamespace }).WebAssembly;

export type { WasmMemory };

/**
 * @module jit
 * The BPF -> WebAssembly JIT: one Wasm module per program (main program, subprograms and
 * callbacks as Wasm functions over the runtime's `WebAssembly.Memory`), a drop-in for the
 * Interpreter with the same run-time semantics and errors, and the runtime's default engine.
 * Phases, one file each: cfg.ts (basic blocks and functions), init-analysis.ts (readable
 * registers), const-regs.ts (constant R1 at helper calls), structurize.ts (CFG -> block / loop /
 * if, dispatcher fallback for irreducible flow), lower-alu.ts, lower-mem.ts and lower-call.ts
 * (instructions), compile.ts (the module), program.ts (instantiation and the run ABI),
 * region-cache.ts (checked mode's access caches), inline.ts (the hook through which the runtime
 * implements hot helpers in WebAssembly), and the table-driven encoder in wasm/. fuzz.ts
 * generates valid random programs for differential tests.
 *
 * Imports only isa/, vm/, uapi/ and util/; never maps, helper bodies, runtime/ or node:*.
 * Works in node / browser.
 */
export { JitProgram, compileProgram, compileProgramSync, type JitOptions, type JitStats } from './program.ts';
export type { EntryValue, InlineHelper, InlineHelperContext, InlineHelperLookup, InlineSite, SharedFunction } from './inline.ts';
export { CodeWriter } from './wasm/encoder.ts';

/**
 * @module jit
 * The BPF -> WebAssembly JIT: one Wasm module per program (main program, subprograms and
 * callbacks as Wasm functions over the runtime's `WebAssembly.Memory`), a drop-in for the
 * Interpreter with the same run-time semantics and errors. Phases, one file each: cfg.ts (basic
 * blocks and functions), init-analysis.ts (readable registers), structurize.ts (CFG -> block /
 * loop / if, dispatcher fallback for irreducible flow), lower-alu.ts and lower-mem.ts
 * (instructions), compile.ts (the module), program.ts (instantiation and the run ABI), and the
 * table-driven encoder in wasm/. fuzz.ts generates valid random programs for differential tests.
 *
 * Imports only isa/, vm/, uapi/ and util/; never maps, helper bodies, runtime/ or node:*.
 * Works in node / browser.
 */
export { JitProgram, compileProgram, compileProgramSync, type JitOptions, type JitStats } from './program.ts';
export type { InlineHelper, InlineHelperContext } from './compile.ts';
export { CodeWriter } from './wasm/encoder.ts';

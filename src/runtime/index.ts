/**
 * @module runtime
 * The layer that makes objects live: Runtime (the shared address space, clock, CPUs, registries
 * and pin namespace), BpfObject (open + load, as libbpf), MapHandle and ProgramHandle (user
 * references, released explicitly), and BPF_PROG_TEST_RUN per program type. May import every
 * core module; never cli/ or node/. Works in node / browser.
 */
export { Runtime, DEFAULT_TASK, type RuntimeOptions } from './runtime.ts';
export { BpfObject, DEFAULT_PIN_ROOT, type LoadOptions, type OpenOptions, type ProgramVerdict, type VerifyObjectOptions } from './object.ts';
export { MapHandle, TypedMap, u8, u16, u32, u64, s32, s64, type Codec } from './map-handle.ts';
export { BatchError, type BatchPage } from './map-batch.ts';
export { ProgramHandle, LoadedProgram } from './program.ts';
export type { RunOptions, RunResult } from './test-run.ts';
export { DEFAULT_ENGINE, ENGINE_NAMES, type EngineName } from './engine.ts';
export { DEFAULT_KERNEL_VERSION, type KconfigValue } from './kconfig.ts';
export { createMap } from './map-factory.ts';
export { parseScenario, runScenario, toHex, fromHex, type Scenario, type ScenarioStep, type ScenarioResult, type StepResult, type ScenarioOptions } from './scenario.ts';

/**
 * Loaded programs and the handles user space holds on them. A LoadedProgram lives while anything
 * references it: handles, pins, prog array slots and timers holding a callback, all through
 * acquire/release (it is the maps' ProgRef). When the last reference goes, its engine is freed and
 * its references on the maps it uses are dropped. Works in node / browser.
 */
import type { TailCallTarget } from '../helpers/impl/run-state.ts';
import { TailCall } from '../helpers/impl/tail-call.ts';
import { BpfError, InternalError } from '../util/errors.ts';
import { EBADF } from '../uapi/errno.ts';
import { progTypeName } from '../uapi/bpf.ts';
import type { Engine } from './engine.ts';
import type { MapRefs } from './refs.ts';
import type { Runtime } from './runtime.ts';
import { testRun, type RunOptions, type RunResult } from './test-run.ts';

/** What a loaded program was made from. */
export interface LoadedProgramInfo {
  readonly name: string;
  readonly type: number;
  readonly expectedAttachType: number;
  readonly sectionName: string;
}

/** @internal Buffers a program's test runs keep from run to run (xdp-run.ts, skb-run.ts), freed with the program. */
export interface RunBuffers {
  free(): void;
}

/** A program loaded into a runtime (the kernel's struct bpf_prog). */
export class LoadedProgram implements TailCallTarget {
  readonly id: number;
  readonly name: string;
  readonly type: number;
  readonly expectedAttachType: number;
  readonly sectionName: string;
  readonly runtime: Runtime;
  readonly engine: Engine;
  /** The maps the program uses, each referenced once (the kernel's used_maps). */
  readonly usedMaps: readonly MapRefs[];
  /** @internal The test run's reusable regions (see RunBuffers). */
  runBuffers: RunBuffers | undefined;
  #refs = 0;
  #freed = false;

  /** @internal Takes a reference on each used map; the caller then takes the first program reference. */
  constructor(runtime: Runtime, info: LoadedProgramInfo, engine: Engine, usedMaps: readonly MapRefs[]) {
    this.runtime = runtime;
    this.id = runtime.allocProgId();
    this.name = info.name;
    this.type = info.type;
    this.expectedAttachType = info.expectedAttachType;
    this.sectionName = info.sectionName;
    this.engine = engine;
    this.usedMaps = usedMaps;
    for (const m of usedMaps) m.acquire();
    runtime.registerProgram(this);
  }

  /** References held now. */
  get refCount(): number {
    return this.#refs;
  }
  get freed(): boolean {
    return this.#freed;
  }

  /** bpf_prog_inc. */
  acquire(): void {
    if (this.#freed) throw new InternalError(`reference taken on freed program '${this.name}'`);
    this.#refs++;
  }

  /** bpf_prog_put: the last reference frees the program. */
  release(): void {
    if (this.#refs <= 0) throw new InternalError(`refcount of program '${this.name}' would go negative`);
    this.#refs--;
    if (this.#refs > 0) return;
    this.#freed = true;
    this.runtime.unregisterProgram(this);
    this.engine.dispose();
    this.runBuffers?.free();
    this.runBuffers = undefined;
    for (const m of this.usedMaps) m.release();
  }

  /** A bpf_timer starts holding this program (TimerProg): bpf_prog_inc. */
  ref(): void {
    this.acquire();
  }

  /** A bpf_timer stops holding this program (cancel, free, another program's set_callback). */
  unref(): void {
    this.release();
  }

  /** A new handle (reference). */
  newHandle(): ProgramHandle {
    return new ProgramHandle(this);
  }

  /**
   * Runs the program on `ctx` inside the current run, following tail calls: a successful
   * bpf_tail_call replaces the running program with its target, on the same context.
   */
  execute(ctx: bigint): bigint {
    let prog: LoadedProgram = this;
    let arg = ctx;
    for (;;) {
      try {
        return prog.engine.run([arg]);
      } catch (e) {
        if (!(e instanceof TailCall)) throw e;
        const next = this.runtime.programOf(e.target.id);
        if (next === undefined) throw new InternalError(`tail call target ${e.target.name} is not loaded`);
        prog = next;
        arg = e.ctx;
      }
    }
  }
}

/** A user-space reference to a loaded program (the equivalent of a program fd). Works in node / browser. */
export class ProgramHandle {
  readonly #prog: LoadedProgram;
  #released = false;

  /** @internal */
  constructor(prog: LoadedProgram) {
    prog.acquire();
    this.#prog = prog;
  }

  /** @internal The live program. */
  get program(): LoadedProgram {
    this.#live();
    return this.#prog;
  }
  get name(): string { return this.#prog.name; }
  get id(): number { return this.#prog.id; }
  /** BPF_PROG_TYPE_*. */
  get type(): number { return this.#prog.type; }
  get typeName(): string { return progTypeName(this.#prog.type) ?? String(this.#prog.type); }
  get released(): boolean { return this.#released; }

  #live(): void {
    if (this.#released) throw new BpfError(EBADF, `program '${this.#prog.name}': handle already released`);
  }

  /**
   * BPF_PROG_TEST_RUN, as the kernel's test_run for the program's type (net/bpf/test_run.c).
   * @throws {BpfError} with the kernel's errno when the run is refused (EINVAL for bad sizes,
   * flags or `repeat` where the type takes none; ENOTSUPP for types without test_run), and
   * RunError when the program faults.
   */
  run(options: RunOptions = {}): RunResult {
    const prog = this.program;
    const r = testRun(prog, options);
    // Timers the run armed for "now" fire before anything else is observed (virtual clock).
    prog.runtime.fireDueTimers();
    return r;
  }

  /** Drops this handle's reference. @throws {BpfError} EBADF when already released. */
  release(): void {
    this.#live();
    this.#released = true;
    this.#prog.release();
  }

  [Symbol.dispose](): void {
    if (!this.#released) this.release();
  }
}

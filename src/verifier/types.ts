/**
 * The verifier's input and output data types: what a program and its maps look like to the
 * verifier, and the facts it hands to the runtime and the JIT.
 */
import type { Btf, BtfRecord } from '../btf/index.ts';
import type { Insn } from '../isa/index.ts';

/** A map as the verifier sees it (the kernel's struct bpf_map fields it reads). */
export interface VerifierMap {
  readonly name: string;
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  /** Special fields of the value (bpf_timer, bpf_spin_lock), from BTF. */
  readonly record?: BtfRecord;
  /** Whether the map was created with BTF for its key and value (needed for timers and locks). */
  readonly hasBtf: boolean;
  /** Map-in-map: the inner map template. */
  readonly innerMap?: VerifierMap;
  /**
   * The value of a frozen read-only map (.rodata, BPF_F_RDONLY_PROG): loads at constant offsets
   * then yield constants, as bpf_map_direct_read() does for the kernel.
   */
  readonly frozenValue?: Uint8Array;
}

/** One BTF line_info record, already relocated to the program (insnIdx in slots). */
export interface VerifierLineInfo {
  readonly insnIdx: number;
  readonly fileName: string;
  readonly line: string;
  readonly lineNum: number;
  readonly lineCol?: number;
}

/** One BTF func_info record of a program. */
export interface VerifierFuncInfo {
  readonly insnIdx: number;
  readonly typeId: number;
  readonly linkage?: 'static' | 'global' | 'extern';
}

/** What an ld_imm64 refers to: a map (its fd form) or a map value address (its direct form). */
export type MapRef = { readonly map: VerifierMap; readonly valueOffset?: number };

export interface VerifierProgram {
  readonly name: string;
  /** The linked instructions; ld_imm64 is one Insn of two slots. */
  readonly insns: readonly Insn[];
  readonly progType: number;
  readonly expectedAttachType?: number;
  readonly license: string;
  readonly sleepable?: boolean;
  /**
   * Maps the program may reference. Without `mapOf`, an ld_imm64 with src BPF_PSEUDO_MAP_FD or
   * BPF_PSEUDO_MAP_IDX (imm = index) or their _VALUE forms (imm = index, second imm = offset)
   * names `maps[imm]` (the index forms only with `fdArray`).
   */
  readonly maps: readonly VerifierMap[];
  /**
   * Whether the load gives an fd_array (bpf_attr.fd_array), here `maps`: an ld_imm64 with src
   * BPF_PSEUDO_MAP_IDX or BPF_PSEUDO_MAP_IDX_VALUE indexes it, and without one the kernel refuses
   * it (EPROTO, "fd_idx without fd_array is invalid"). Absent: false, as a bpf() call that leaves
   * the field zero. The fd forms (BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_VALUE) name `maps[imm]` either way.
   */
  readonly fdArray?: boolean;
  /**
   * Resolves the map an ld_imm64 refers to, by its index in `insns` (the loader's typed references
   * plug in here). Returning undefined falls back to `maps[imm]`.
   */
  readonly mapOf?: (insnIndex: number) => MapRef | undefined;
  /**
   * BTF func_info, one record per subprogram (the kernel requires it once a program takes a
   * function's address). `linkage` is the FUNC's (absent: static); callbacks must be static.
   */
  readonly funcInfo?: readonly VerifierFuncInfo[];
  /**
   * The program's BTF (prog_btf_fd), which func_info's type ids refer to: the prototypes a global
   * function is verified against (global-func.ts). Without it, global functions are walked inline
   * with their callers' arguments, as static ones are.
   */
  readonly btf?: Btf;
  readonly lineInfo?: readonly VerifierLineInfo[];
  /**
   * CPUs the program may run on (the kernel's nr_cpu_ids; a runtime's CPU count): the
   * verifier bounds bpf_get_smp_processor_id() to [0, nrCpus - 1]. Absent: not known, so the
   * result stays unbounded (never wrong, prunes less than the kernel).
   */
  readonly nrCpus?: number;
  /** BPF_PROG_TYPE_SYSCALL: bytes of ctx the program may touch (the kernel checks it at run time). */
  readonly ctxSizeHint?: number;
}

export interface VerifyOptions {
  /** 0: no log; 1: the instructions of each path and the error; 2: every instruction with state. */
  readonly logLevel?: 0 | 1 | 2;
  /** Processed-instruction limit; the kernel's is 1 000 000. */
  readonly insnLimit?: number;
}

/** A load or store the runtime must rewrite as the kernel's convert_ctx_accesses does. */
export interface CtxAccessFact {
  readonly kind: 'ctx';
  /** Offset of the field in the uapi context struct (xdp_md, __sk_buff, ...). */
  readonly off: number;
  readonly size: number;
  readonly write: boolean;
}

/** A helper call site and what it registers. */
export interface CallFact {
  readonly kind: 'helper';
  readonly helperId: number;
  /** bpf_timer_set_callback, bpf_loop, ...: the subprogram passed as the callback. */
  readonly callbackSubprog?: number;
  /** True when the callback runs later (bpf_timer_set_callback), false when during the call. */
  readonly asyncCallback?: boolean;
}

export type InsnFact = CtxAccessFact | CallFact;

/** A subprogram: its first slot and the stack it uses. */
export interface SubprogInfo {
  readonly start: number;
  /** Bytes of stack, as the kernel counts them (the deepest access). */
  readonly stackDepth: number;
}

export interface VerifierResult {
  /** The log lines at the requested level (empty at level 0). */
  readonly log: readonly string[];
  /** Instructions processed, as in the kernel's `processed N insns`. */
  readonly processed: number;
  readonly subprogs: readonly SubprogInfo[];
  /** Per-instruction facts by slot index. */
  readonly facts: ReadonlyMap<number, InsnFact>;
  readonly totalStates: number;
  readonly peakStates: number;
  readonly maxStatesPerInsn: number;
  /**
   * Slots of instructions no path reached (dead code behind decided branches). The kernel never
   * checks them and replaces them before running (sanitize_dead_code(): `goto -1`, or removes
   * them for root); an engine must not trip over their fields.
   */
  readonly deadSlots: readonly number[];
}

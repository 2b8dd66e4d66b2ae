/**
 * The collection spec: what a BPF object file says, as plain editable data (libbpf's state after
 * bpf_object__open, cilium/ebpf's CollectionSpec). Nothing here holds a kernel or runtime
 * resource; the runtime consumes a spec and creates maps and programs from it. Data types only.
 * Works in node / browser.
 */
import type { Btf, BtfExt, BtfRecord, CoreRelo } from '../btf/index.ts';
import type { Insn } from '../isa/index.ts';

/** The whole object: programs and maps by name, in ELF order (Map iteration order). */
export interface CollectionSpec {
  /** Programs by C function name. Subprograms in `.text` are not listed: they are linked into each caller. */
  programs: Map<string, ProgramSpec>;
  /** Maps by spec name: the variable name for `.maps`/`maps`, the section name for global data and `.kconfig`. */
  maps: Map<string, MapSpec>;
  /** The `license` section's string ('' when absent). */
  license: string;
  /** The `version` section's u32, when present (libbpf 1.x ignores it; kept for completeness). */
  kernelVersion?: number;
  /** The object's `.BTF`. */
  btf?: Btf;
  /** The object's `.BTF.ext`. */
  btfExt?: BtfExt;
  /** Global variables by name, each located in its global-data map: edit `map.contents` through them. */
  variables: Map<string, VariableSpec>;
  /** Extern symbols (`__kconfig`, `__ksym`, kfuncs) the object needs, by name. */
  externs: Map<string, ExternSpec>;
}

/** A global variable of a `.data`, `.rodata`, `.bss`, `.data.*`, `.rodata.*` or `.kconfig` section. */
export interface VariableSpec {
  readonly name: string;
  /** The spec name of the map that holds it (the section name). */
  readonly map: string;
  /** Byte offset in the map value. */
  readonly offset: number;
  readonly size: number;
  /** BTF type id of the variable's type, when the object has BTF. */
  readonly typeId?: number;
  /** 'global' for non-static variables; 'static' for file-local ones. */
  readonly linkage: 'global' | 'static' | 'extern';
}

/** An extern the runtime must resolve at load (libbpf's struct extern_desc). */
export interface ExternSpec {
  readonly name: string;
  /** 'kconfig': a `.kconfig` value; 'ksym': a kernel variable (`__ksym`); 'kfunc': a kernel function. */
  readonly kind: 'kconfig' | 'ksym' | 'kfunc';
  /** `__weak`: unresolved is allowed and reads as 0 (kfunc calls to it must be dead code). */
  readonly weak: boolean;
  /** BTF type id of the VAR or FUNC (0 without BTF). */
  readonly typeId: number;
  /** kconfig only: where the value lives in the `.kconfig` map, and how it is typed. */
  readonly kconfig?: KconfigSlot;
}

/** The layout and type class of one `.kconfig` extern, as libbpf's kcfg descriptor records it. */
export interface KconfigSlot {
  readonly offset: number;
  readonly size: number;
  readonly align: number;
  /** libbpf's kcfg_type: how a CONFIG_ value ('y'/'m'/'n', a number or a string) is stored. */
  readonly type: 'bool' | 'tristate' | 'char' | 'int' | 'char_array';
  /** int only: signed. */
  readonly signed: boolean;
}

/** A relocated instruction's target: what the runtime must put into the instruction at load. */
export type Reference =
  /** ld_imm64 of a map's address (BPF_PSEUDO_MAP_FD). */
  | { readonly kind: 'map'; readonly map: string }
  /** ld_imm64 of an address inside a map's value (BPF_PSEUDO_MAP_VALUE): global data. */
  | { readonly kind: 'mapValue'; readonly map: string; readonly offset: number }
  /** A bpf-to-bpf call or a callback address (BPF_PSEUDO_FUNC): already linked, names the callee. */
  | { readonly kind: 'func'; readonly name: string; readonly callback: boolean; readonly targetIdx: number }
  /** ld_imm64 of a `.kconfig` extern's address: its slot in the `.kconfig` map. */
  | { readonly kind: 'kconfig'; readonly name: string; readonly map: string; readonly offset: number }
  /** ld_imm64 of a kernel variable (`__ksym`). */
  | { readonly kind: 'ksym'; readonly name: string; readonly weak: boolean }
  /** A call to a kernel function (BPF_PSEUDO_KFUNC_CALL). */
  | { readonly kind: 'kfunc'; readonly name: string; readonly weak: boolean }
  /**
   * A CO-RE relocation that could not be computed against the object's own BTF. libbpf poisons
   * such an instruction (a call to 0xbad2310); the verifier rejects it only if it is reachable.
   */
  | { readonly kind: 'coreFailure'; readonly relo: CoreRelo; readonly reason: string };

/** One program: a function in an executable section, with the subprograms it reaches linked in. */
export interface ProgramSpec {
  /** The C function name. */
  name: string;
  /** The ELF section (the SEC() string). */
  sectionName: string;
  /** BPF_PROG_TYPE_*; BPF_PROG_TYPE_UNSPEC when the section name is unknown (load refuses it). */
  type: number;
  /** BPF_* attach type from the section table (0 when none). */
  expectedAttachType: number;
  /** The attach target after the prefix (`do_nanosleep` of `fentry/do_nanosleep`), when there is one. */
  attachTo?: string;
  /** BPF_F_SLEEPABLE: the `.s` section variants and `syscall`. */
  sleepable: boolean;
  /** BPF_F_XDP_HAS_FRAGS: the `xdp.frags` variants. */
  xdpFrags: boolean;
  /** The linked instructions: the main function, then each reached subprogram (depth first, as libbpf). */
  insns: Insn[];
  /** Typed references by instruction index in `insns` (an index into the array, not a slot). */
  references: Map<number, Reference>;
  /** Where each function starts in `insns`: slot index → function name (the main function at 0). */
  functions: Map<number, string>;
  /** func_info records relocated to the linked program (insnIdx in slots). */
  funcInfo: { insnIdx: number; typeId: number }[];
  /** line_info records relocated to the linked program (insnIdx in slots). */
  lineInfo: { insnIdx: number; fileName: string; line: string; lineNum: number; lineCol: number }[];
  /** The object's license (for GPL-only helpers). */
  license: string;
}

/** A map the object declares. */
export interface MapSpec {
  /** The spec name: the variable name, or the section name for global data (`.bss`, `.data.custom`). */
  name: string;
  /** BPF_MAP_TYPE_*. */
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  /** map_flags (BPF_F_*), including those libbpf adds for global data. */
  flags: number;
  numaNode: number;
  /** LIBBPF_PIN_NONE (0) or LIBBPF_PIN_BY_NAME (1). */
  pinning: number;
  /** map_extra (bloom filter hashes, arena address). */
  mapExtra: bigint;
  /** BTF type ids of the key and value, when the definition gives types. */
  keyTypeId?: number;
  valueTypeId?: number;
  /** Special fields of the value (bpf_timer, bpf_spin_lock, ...), from BTF. */
  record: BtfRecord;
  /** Map-in-map: the inner map template from `__array(values, ...)`. */
  innerMap?: MapSpec;
  /** Initial slots from `.values = { ... }`: inner map names (map-in-map) or program names (prog array). */
  initialSlots?: (string | undefined)[];
  /** Global data and `.kconfig`: the initial value (value_size bytes). Edit before load. */
  contents?: Uint8Array;
  /** Where the definition came from. */
  kind: 'btf' | 'legacy' | 'data' | 'kconfig';
  /** The ELF section of the definition (`.maps`, `maps`, `.data`, ...). */
  sectionName: string;
}

/**
 * @module loader
 * ELF + BTF + ISA → CollectionSpec: what libbpf's bpf_object__open() (and the linking half of
 * bpf_object__load()) makes of a clang-compiled BPF object, as plain editable data. Programs from
 * libbpf's SEC() table with their subprograms and callbacks linked; maps from `.maps`, legacy
 * `maps`, global data and `.kconfig`; relocations as typed references the runtime resolves at
 * load; CO-RE applied against the object's own BTF.
 *
 * Imports elf/, btf/, isa/, uapi/ and util/ only. Must not import maps/, verifier/, vm/, jit/ or
 * runtime/: it has no side effects and creates nothing.
 * References: libbpf src/libbpf.c (bpf_object__open, bpf_object__relocate),
 * https://docs.kernel.org/bpf/libbpf/program_types.html. Works in node / browser.
 */
export { loadCollectionSpec } from './load.ts';
export type { CollectionSpec, ExternSpec, KconfigSlot, MapSpec, ProgramSpec, Reference, VariableSpec } from './spec.ts';
export { LoaderError, type LoaderLocation } from './errors.ts';
export { findSectionDef, SECTION_DEFS, SEC_ATTACH_BTF, SEC_NONE, SEC_SLEEPABLE, SEC_USDT, SEC_XDP_FRAGS, type SectionDef, type SectionInfo } from './sections.ts';
export { checkLoadable, mapProblems, programProblems } from './check.ts';
export { kernelMapName, objectNameOf, KCONFIG_MAP } from './data.ts';
export { LIBBPF_PIN_BY_NAME, LIBBPF_PIN_NONE } from './maps.ts';
export { POISON_CALL_IMM } from './core-relo.ts';

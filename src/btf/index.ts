/**
 * @module btf
 * BTF and BTF.ext: parsing `.BTF` into a validated type graph (the kernel's btf_check_meta and
 * resolve rules, kernel/bpf/btf.c v6.18), layout queries, `.BTF.ext` func/line info and CO-RE
 * records, CO-RE application against the object's own BTF, the special fields of map values
 * (bpf_timer, bpf_spin_lock, ... as btf_parse_fields() finds them), a bpftool-style raw dump and
 * a value pretty-printer.
 *
 * Imports only util/ and uapi/ (isa/ is allowed for CO-RE patching, which lives in loader/). Must
 * not import elf/, loader/, maps/, verifier/ or runtime/: it takes raw section bytes.
 * Kernel documentation: https://docs.kernel.org/bpf/btf.html
 * Works in node / browser.
 */
export { parseBtf } from './parse.ts';
export type { BtfHeader } from './parse.ts';
export { Btf } from './btf.ts';
export type { MemberLocation } from './btf.ts';
export type {
  ArrayType, BtfKind, BtfLinkage, BtfType, DatasecType, DeclTagType, EnumType, EnumValue, FloatType, FuncProtoType,
  FuncType, FwdType, IntType, Member, Param, PtrType, RefType, StructType, VarSecinfo, VarType, VoidType,
} from './types.ts';
export { isComposite, isModifier } from './types.ts';
export { parseBtfExt } from './ext.ts';
export type { BtfExt, BtfExtSection, CoreRelo, FuncInfo, LineInfo } from './ext.ts';
export {
  BPF_CORE_ENUMVAL_EXISTS, BPF_CORE_ENUMVAL_VALUE, BPF_CORE_FIELD_BYTE_OFFSET, BPF_CORE_FIELD_BYTE_SIZE,
  BPF_CORE_FIELD_EXISTS, BPF_CORE_FIELD_LSHIFT_U64, BPF_CORE_FIELD_RSHIFT_U64, BPF_CORE_FIELD_SIGNED,
  BPF_CORE_TYPE_EXISTS, BPF_CORE_TYPE_ID_LOCAL, BPF_CORE_TYPE_ID_TARGET, BPF_CORE_TYPE_MATCHES, BPF_CORE_TYPE_SIZE,
} from './ext.ts';
export { coreReloKindName, coreReloValue } from './core.ts';
export {
  BPF_KPTR, BPF_KPTR_PERCPU, BPF_KPTR_REF, BPF_KPTR_UNREF, BPF_LIST_HEAD, BPF_LIST_NODE, BPF_RB_NODE, BPF_RB_ROOT,
  BPF_REFCOUNT, BPF_RES_SPIN_LOCK, BPF_SPIN_LOCK, BPF_TASK_WORK, BPF_TIMER, BPF_UPTR, BPF_WORKQUEUE, BTF_FIELDS_MAX,
  EMPTY_RECORD, MAP_VALUE_FIELD_MASK, findSpecialFields, recordsEqual,
} from './special-fields.ts';
export type { BtfRecord, FindSpecialFieldsOptions, SpecialField, SpecialFieldKind } from './special-fields.ts';
export { formatBtfRaw, formatTypeRaw } from './dump.ts';
export { formatValue } from './pretty.ts';
export * from './wire.ts';

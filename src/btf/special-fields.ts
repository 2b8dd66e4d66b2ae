/**
 * Special fields of a map value (bpf_timer, bpf_spin_lock, bpf_wq, kptrs, graph roots ...): the
 * kernel's btf_parse_fields() with the map mask, reproduced rule for rule (kernel/bpf/btf.c,
 * v6.18: btf_find_field, btf_find_struct_field, btf_find_datasec_var, btf_find_field_one,
 * btf_get_field_type, btf_repeat_fields, btf_find_kptr, btf_find_graph_root). See
 * shared/spec/bpf-timer.md §5.2.
 *
 * It lives in btf/ rather than maps/ (style.md) because it is a pure function of the type graph
 * and the verifier needs it too; verifier/ may import btf/ but never maps/.
 *
 * Kernel quirks kept on purpose: only members are scanned (a value that *is* `struct bpf_timer`
 * has no timer); a member's type is matched by name without skipping typedefs or qualifiers; a
 * misaligned or wrongly sized special struct is ignored; a second unique field in one struct, an
 * array of unique fields, or any other parse error leaves the map with *no* special fields (the
 * map is still created); each nested struct keeps its own "seen" set, so two timers in two
 * different nested structs are both recorded (and timerOff is the later one).
 * Not reproduced: btf_parse_kptr()'s lookup of the pointee in vmlinux and module BTF (the kptr's
 * local type id is reported instead) and btf_check_and_fixup_fields().
 * Works in node / browser.
 */
import { E2BIG, EEXIST, EFAULT, EINVAL, ENOENT } from '../uapi/errno.ts';
import { MAX_RESOLVE_DEPTH } from './wire.ts';
import type { Btf } from './btf.ts';
import type { BtfType, StructType } from './types.ts';
import { isComposite, isModifier } from './types.ts';

/** enum btf_field_type bits (include/linux/bpf.h). */
export const BPF_SPIN_LOCK = 1 << 0;
export const BPF_TIMER = 1 << 1;
export const BPF_KPTR_UNREF = 1 << 2;
export const BPF_KPTR_REF = 1 << 3;
export const BPF_KPTR_PERCPU = 1 << 4;
export const BPF_KPTR = BPF_KPTR_UNREF | BPF_KPTR_REF | BPF_KPTR_PERCPU;
export const BPF_LIST_HEAD = 1 << 5;
export const BPF_LIST_NODE = 1 << 6;
export const BPF_RB_ROOT = 1 << 7;
export const BPF_RB_NODE = 1 << 8;
export const BPF_REFCOUNT = 1 << 9;
export const BPF_WORKQUEUE = 1 << 10;
export const BPF_UPTR = 1 << 11;
export const BPF_RES_SPIN_LOCK = 1 << 12;
export const BPF_TASK_WORK = 1 << 13;
/** The mask map_check_btf() passes for map values (6.18): node types are not map fields. */
export const MAP_VALUE_FIELD_MASK = BPF_SPIN_LOCK | BPF_RES_SPIN_LOCK | BPF_TIMER | BPF_KPTR | BPF_LIST_HEAD |
  BPF_RB_ROOT | BPF_REFCOUNT | BPF_WORKQUEUE | BPF_UPTR | BPF_TASK_WORK;
/** BTF_FIELDS_MAX: the most special fields one value may hold. */
export const BTF_FIELDS_MAX = 11;

export type SpecialFieldKind = 'spin_lock' | 'res_spin_lock' | 'timer' | 'wq' | 'task_work' | 'kptr_untrusted' | 'kptr'
  | 'percpu_kptr' | 'uptr' | 'list_head' | 'list_node' | 'rb_root' | 'rb_node' | 'refcount';

/** Per field type: kernel bit, struct name (for named ones), sizeof and __alignof__ of the kernel struct. */
const FIELD_TYPES: readonly { bit: number; kind: SpecialFieldKind; name?: string; unique?: boolean; size: number; align: number }[] = [
  // Order matters: btf_get_field_type() tries names in this order.
  { bit: BPF_SPIN_LOCK, kind: 'spin_lock', name: 'bpf_spin_lock', unique: true, size: 4, align: 4 },
  { bit: BPF_RES_SPIN_LOCK, kind: 'res_spin_lock', name: 'bpf_res_spin_lock', unique: true, size: 4, align: 4 },
  { bit: BPF_TIMER, kind: 'timer', name: 'bpf_timer', unique: true, size: 16, align: 8 },
  { bit: BPF_WORKQUEUE, kind: 'wq', name: 'bpf_wq', unique: true, size: 16, align: 8 },
  { bit: BPF_TASK_WORK, kind: 'task_work', name: 'bpf_task_work', unique: true, size: 8, align: 8 },
  { bit: BPF_LIST_HEAD, kind: 'list_head', name: 'bpf_list_head', size: 16, align: 8 },
  { bit: BPF_LIST_NODE, kind: 'list_node', name: 'bpf_list_node', size: 24, align: 8 },
  { bit: BPF_RB_ROOT, kind: 'rb_root', name: 'bpf_rb_root', size: 16, align: 8 },
  { bit: BPF_RB_NODE, kind: 'rb_node', name: 'bpf_rb_node', size: 32, align: 8 },
  { bit: BPF_REFCOUNT, kind: 'refcount', name: 'bpf_refcount', size: 4, align: 4 },
  { bit: BPF_KPTR_UNREF, kind: 'kptr_untrusted', size: 8, align: 8 },
  { bit: BPF_KPTR_REF, kind: 'kptr', size: 8, align: 8 },
  { bit: BPF_KPTR_PERCPU, kind: 'percpu_kptr', size: 8, align: 8 },
  { bit: BPF_UPTR, kind: 'uptr', size: 8, align: 8 },
];
const BY_BIT = new Map(FIELD_TYPES.map((f) => [f.bit, f]));
const KPTR_TAGS: ReadonlyMap<string, number> = new Map([
  ['kptr_untrusted', BPF_KPTR_UNREF], ['kptr', BPF_KPTR_REF], ['percpu_kptr', BPF_KPTR_PERCPU], ['uptr', BPF_UPTR],
]);

/** One special field, at a byte offset from the start of the value. */
export interface SpecialField {
  readonly kind: SpecialFieldKind;
  readonly offset: number;
  readonly size: number;
  /** kptr / uptr: the pointee struct's type id in this BTF. */
  readonly kptrTypeId?: number;
  /** list_head / rb_root: the `contains:` value type and the node member's byte offset in it. */
  readonly graphRoot?: { readonly valueTypeId: number; readonly nodeName: string; readonly nodeOffset: number };
}

/** The kernel's struct btf_record: fields sorted by offset, cached offsets (-1 when absent). */
export interface BtfRecord {
  readonly fields: readonly SpecialField[];
  readonly fieldMask: number;
  readonly timerOff: number;
  readonly spinLockOff: number;
  readonly resSpinLockOff: number;
  readonly wqOff: number;
  readonly refcountOff: number;
  readonly taskWorkOff: number;
  /**
   * Set when btf_parse_fields() failed (ERR_PTR): the map is still created but, like the kernel,
   * the record counts as having no fields. `errno` is positive, `reason` says which rule.
   */
  readonly error?: { readonly errno: number; readonly reason: string };
}

interface FieldInfo {
  kind: number;
  off: number;
  kptrTypeId?: number;
  graph?: { valueTypeId: number; nodeName: string };
}

/** A negative errno with a reason, carried up like the kernel's error returns. */
class FieldError {
  readonly errno: number;
  readonly reason: string;
  constructor(errno: number, reason: string) { this.errno = errno; this.reason = reason; }
}

type Found = FieldInfo[] | FieldError;

export interface FindSpecialFieldsOptions {
  /** Field types to look for (default: MAP_VALUE_FIELD_MASK). */
  readonly fieldMask?: number;
  /** The map's value_size (default: the BTF size of the value type). */
  readonly valueSize?: number;
}

/**
 * The btf_record of a map value type, as map_check_btf() builds it. Modifiers and typedefs on the
 * value type itself are skipped (btf_type_id_size() does); then a struct, union or DATASEC is
 * scanned. Never throws for a bad layout: failures become `record.error` with empty fields.
 * @throws {BtfError} EINVAL only when `valueTypeId` is not a type id of `btf`.
 * Works in node / browser.
 */
export function findSpecialFields(btf: Btf, valueTypeId: number, options: FindSpecialFieldsOptions = {}): BtfRecord {
  const mask = options.fieldMask ?? MAP_VALUE_FIELD_MASK;
  const t = btf.resolve(valueTypeId);
  const valueSize = options.valueSize ?? (btf.hasSize(valueTypeId) ? btf.sizeof(valueTypeId) : 0);
  const finder = new Finder(btf, mask);
  let found: Found;
  if (isComposite(t)) found = finder.structFields(t, BTF_FIELDS_MAX, 0);
  else if (t.kind === 'datasec') found = finder.datasecFields(t.vars, BTF_FIELDS_MAX);
  else found = new FieldError(EINVAL, `value type [${t.id}] is ${t.kind}, not a struct, union or datasec`);
  if (found instanceof FieldError) return failed(found);
  return buildRecord(btf, found, valueSize);
}

/** An empty record: what a value without BTF or without special fields has. */
export const EMPTY_RECORD: BtfRecord = Object.freeze({
  fields: [], fieldMask: 0, timerOff: -1, spinLockOff: -1, resSpinLockOff: -1, wqOff: -1, refcountOff: -1, taskWorkOff: -1,
});

function failed(e: FieldError): BtfRecord {
  return { ...EMPTY_RECORD, error: { errno: e.errno, reason: e.reason } };
}

class Finder {
  private readonly btf: Btf;
  private readonly mask: number;
  constructor(btf: Btf, mask: number) { this.btf = btf; this.mask = mask; }

  structFields(t: StructType, cap: number, level: number): Found {
    const out: FieldInfo[] = [];
    const seen = { mask: 0 };
    for (let i = 0; i < t.members.length; i++) {
      const m = t.members[i]!;
      if (m.bitOffset % 8 !== 0) return new FieldError(EINVAL, `member '${m.name}' of [${t.id}] is not byte aligned`);
      const r = this.fieldOne(t, this.btf.typeById(m.type), i, m.bitOffset / 8, 0, seen, cap - out.length, level);
      if (r instanceof FieldError) return r;
      out.push(...r);
    }
    return out;
  }

  datasecFields(vars: readonly { type: number; offset: number; size: number }[], cap: number): Found {
    const out: FieldInfo[] = [];
    const seen = { mask: 0 };
    for (const v of vars) {
      const variable = this.btf.typeById(v.type);
      const varType = variable.kind === 'var' || variable.kind === 'func' ? this.btf.typeById(variable.type) : variable;
      const r = this.fieldOne(variable, varType, -1, v.offset, v.size, seen, cap - out.length, 0);
      if (r instanceof FieldError) return r;
      out.push(...r);
    }
    return out;
  }

  /** btf_find_field_one(): `holder` is the struct (or VAR) carrying decl tags, `idx` its component. */
  private fieldOne(holder: BtfType, varType: BtfType, idx: number, off: number, expectedSize: number, seen: { mask: number }, cap: number, level: number): Found {
    let nelems = 1, i = 0;
    for (; i < MAX_RESOLVE_DEPTH && varType.kind === 'array'; i++) {
      nelems = Math.imul(nelems, varType.nelems) >>> 0; // u32 arithmetic, as in C
      varType = this.btf.typeById(varType.type);
    }
    if (i === MAX_RESOLVE_DEPTH) return new FieldError(E2BIG, 'arrays nested too deep');
    if (nelems === 0) return [];
    const ft = this.fieldType(varType, seen);
    if (ft instanceof FieldError) return ft;
    if (ft === undefined) {
      if (!isComposite(varType)) return [];
      if (expectedSize !== 0 && expectedSize !== u32(varType.size * nelems)) return [];
      return this.nested(varType, off, nelems, cap, level);
    }
    if (expectedSize !== 0 && expectedSize !== u32(ft.size * nelems)) return [];
    if (off % ft.align !== 0) return [];
    let info: FieldInfo | undefined;
    if (ft.bit === BPF_KPTR_REF) {
      const r = this.kptr(varType, off);
      if (r instanceof FieldError) return r;
      info = r;
    } else if (ft.bit === BPF_LIST_HEAD || ft.bit === BPF_RB_ROOT) {
      const r = this.graphRoot(holder, varType, idx, off, ft.size, ft.bit);
      if (r instanceof FieldError) return r;
      info = r;
    } else if (isComposite(varType) && varType.size === ft.size) {
      info = { kind: ft.bit, off };
    }
    if (info === undefined) return [];
    if (cap === 0) return new FieldError(E2BIG, `more than ${BTF_FIELDS_MAX} special fields`);
    const out = [info];
    if (nelems > 1) {
      const e = repeat(out, cap, 1, nelems - 1, ft.size);
      if (e !== undefined) return e;
    }
    return out;
  }

  /** btf_get_field_type(): matches the type's own name, unresolved; else maybe a kptr. */
  private fieldType(t: BtfType, seen: { mask: number }): (typeof FIELD_TYPES)[number] | undefined | FieldError {
    for (const f of FIELD_TYPES) {
      if (f.name === undefined || !(this.mask & f.bit) || t.name !== f.name) continue;
      if (f.unique) {
        if (seen.mask & f.bit) return new FieldError(E2BIG, `more than one ${f.name}`);
        seen.mask |= f.bit;
      }
      return f;
    }
    if ((this.mask & (BPF_KPTR | BPF_UPTR)) && !isComposite(t)) return BY_BIT.get(BPF_KPTR_REF);
    return undefined;
  }

  private nested(t: StructType, off: number, nelems: number, cap: number, level: number): Found {
    level++;
    if (level >= MAX_RESOLVE_DEPTH) return new FieldError(E2BIG, 'structs nested too deep');
    const r = this.structFields(t, cap, level);
    if (r instanceof FieldError || r.length === 0) return r;
    for (const f of r) f.off = u32(f.off + off);
    if (nelems > 1) {
      const e = repeat(r, cap, r.length, nelems - 1, t.size);
      if (e !== undefined) return e;
    }
    return r;
  }

  /** btf_find_kptr(): `[volatile] ptr -> type_tag("kptr"...) -> [modifiers] struct`. */
  private kptr(t: BtfType, off: number): FieldInfo | undefined | FieldError {
    if (t.kind === 'volatile') t = this.btf.typeById(t.type);
    if (t.kind !== 'ptr') return undefined;
    const tag = this.btf.typeById(t.type);
    if (tag.kind !== 'type_tag' || tag.kindFlag) return undefined;
    if (this.btf.typeById(tag.type).kind === 'type_tag') return new FieldError(EINVAL, 'kptr with more than one type tag');
    const bit = KPTR_TAGS.get(tag.name);
    if (bit === undefined) return new FieldError(EINVAL, `pointer tagged '${tag.name}' in a map value`);
    if (!(bit & this.mask)) return undefined;
    let base: BtfType = this.btf.typeById(tag.type);
    for (let i = 0; isModifier(base) && i < this.btf.types.length; i++) base = this.btf.typeById(base.type);
    if (!isComposite(base)) return new FieldError(EINVAL, `${tag.name} does not point to a struct`);
    return { kind: bit, off, kptrTypeId: base.id };
  }

  /** btf_find_graph_root(): needs one `contains:Type:node` decl tag on the member. */
  private graphRoot(holder: BtfType, t: BtfType, idx: number, off: number, size: number, bit: number): FieldInfo | undefined | FieldError {
    if (!isComposite(t) || t.size !== size) return undefined;
    const tags = this.btf.types.filter((d) => d.kind === 'decl_tag' && d.type === holder.id && d.componentIdx === idx && d.name.startsWith('contains:'));
    if (tags.length !== 1) return new FieldError(EINVAL, `${t.name} needs exactly one contains: decl tag (found ${tags.length})`);
    const value = tags[0]!.name.slice('contains:'.length);
    const colon = value.indexOf(':');
    if (colon < 0) return new FieldError(EINVAL, `malformed decl tag '${tags[0]!.name}'`);
    const valueType = this.btf.typeByName(value.slice(0, colon), 'struct');
    if (valueType === undefined) return new FieldError(ENOENT, `contains: type '${value.slice(0, colon)}' not found`);
    const nodeName = value.slice(colon + 1);
    if (nodeName === '') return new FieldError(EINVAL, `malformed decl tag '${tags[0]!.name}'`);
    return { kind: bit, off, graph: { valueTypeId: valueType.id, nodeName } };
  }
}

/** btf_repeat_fields(): only kptrs and graph roots may repeat (arrays of them). */
function repeat(info: FieldInfo[], cap: number, fieldCnt: number, repeatCnt: number, elemSize: number): FieldError | undefined {
  for (let i = 0; i < fieldCnt; i++) {
    const k = info[i]!.kind;
    if (!(k & (BPF_KPTR | BPF_UPTR | BPF_LIST_HEAD | BPF_RB_ROOT))) return new FieldError(EINVAL, `array of ${BY_BIT.get(k)?.name ?? 'special field'}`);
  }
  if (fieldCnt * (repeatCnt + 1) > cap) return new FieldError(E2BIG, `more than ${BTF_FIELDS_MAX} special fields`);
  const base = info.slice(0, fieldCnt);
  for (let i = 0; i < repeatCnt; i++) {
    for (const f of base) info.push({ ...f, off: u32(f.off + (i + 1) * elemSize) });
  }
  return undefined;
}

function u32(x: number): number {
  return x >>> 0;
}

/** The second half of btf_parse_fields(): bounds, overlap, cached offsets, graph roots, sort. */
function buildRecord(btf: Btf, infos: readonly FieldInfo[], valueSize: number): BtfRecord {
  if (infos.length === 0) return EMPTY_RECORD;
  const fields: SpecialField[] = [];
  const offs = { timer: -1, spin_lock: -1, res_spin_lock: -1, wq: -1, refcount: -1, task_work: -1 };
  let nextOff = 0, fieldMask = 0;
  for (const info of infos) {
    const ft = BY_BIT.get(info.kind)!;
    if (info.off + ft.size > valueSize) return failed(new FieldError(EFAULT, `field at ${info.off} overruns the ${valueSize}-byte value`));
    if (info.off < nextOff) return failed(new FieldError(EEXIST, `field at ${info.off} overlaps the previous field`));
    nextOff = info.off + ft.size;
    fieldMask |= info.kind;
    let field: SpecialField = { kind: ft.kind, offset: info.off, size: ft.size };
    switch (ft.kind) {
      case 'timer': case 'spin_lock': case 'res_spin_lock': case 'wq': case 'refcount': case 'task_work':
        offs[ft.kind] = info.off; // the last one wins, as in the kernel
        break;
      case 'kptr': case 'kptr_untrusted': case 'percpu_kptr': case 'uptr':
        if (info.kptrTypeId !== undefined) field = { ...field, kptrTypeId: info.kptrTypeId };
        break;
      case 'list_head': case 'rb_root': {
        const g = info.graph!;
        const node = graphNode(btf, g.valueTypeId, g.nodeName, ft.kind === 'list_head' ? 'bpf_list_node' : 'bpf_rb_node');
        if (node instanceof FieldError) return failed(node);
        field = { ...field, graphRoot: { ...g, nodeOffset: node } };
        break;
      }
      case 'list_node': case 'rb_node': break;
    }
    fields.push(field);
  }
  if (offs.spin_lock >= 0 && offs.res_spin_lock >= 0) return failed(new FieldError(EINVAL, 'both bpf_spin_lock and bpf_res_spin_lock'));
  if ((fieldMask & (BPF_LIST_HEAD | BPF_RB_ROOT)) && offs.spin_lock < 0 && offs.res_spin_lock < 0) return failed(new FieldError(EINVAL, 'bpf_list_head/bpf_rb_root without a bpf_spin_lock'));
  if (offs.refcount < 0 && (fieldMask & BPF_LIST_NODE) && (fieldMask & BPF_RB_NODE)) return failed(new FieldError(EINVAL, 'list and rb node without bpf_refcount'));
  fields.sort((a, b) => a.offset - b.offset);
  return {
    fields, fieldMask, timerOff: offs.timer, spinLockOff: offs.spin_lock, resSpinLockOff: offs.res_spin_lock,
    wqOff: offs.wq, refcountOff: offs.refcount, taskWorkOff: offs.task_work,
  };
}

/** btf_parse_graph_root(): the node member must exist once, be the right struct, 8-aligned. */
function graphNode(btf: Btf, valueTypeId: number, nodeName: string, nodeType: string): number | FieldError {
  const t = btf.typeById(valueTypeId);
  if (!isComposite(t)) return new FieldError(EINVAL, 'contains: type is not a struct');
  let offset: number | undefined;
  for (const m of t.members) {
    if (m.name !== nodeName) continue;
    if (offset !== undefined) return new FieldError(EINVAL, `two members named '${nodeName}'`);
    const n = btf.typeById(m.type);
    if (!isComposite(n) || n.name !== nodeType) return new FieldError(EINVAL, `member '${nodeName}' is not a ${nodeType}`);
    if (m.bitOffset % 8 !== 0 || (m.bitOffset / 8) % 8 !== 0) return new FieldError(EINVAL, `member '${nodeName}' is misaligned`);
    offset = m.bitOffset / 8;
  }
  return offset ?? new FieldError(ENOENT, `no member '${nodeName}' in the contains: type`);
}

/**
 * btf_record_equal(): used when an inner map replaces the template of a map-in-map. Failed and
 * empty records are all equal; otherwise kinds, offsets, sizes and kptr/graph targets must match.
 * Works in node / browser.
 */
export function recordsEqual(a: BtfRecord, b: BtfRecord): boolean {
  const aNone = a.error !== undefined || a.fields.length === 0;
  const bNone = b.error !== undefined || b.fields.length === 0;
  if (aNone || bNone) return aNone === bNone;
  if (a.fields.length !== b.fields.length || a.fieldMask !== b.fieldMask) return false;
  return a.fields.every((f, i) => {
    const g = b.fields[i]!;
    return f.kind === g.kind && f.offset === g.offset && f.size === g.size && f.kptrTypeId === g.kptrTypeId &&
      f.graphRoot?.valueTypeId === g.graphRoot?.valueTypeId && f.graphRoot?.nodeOffset === g.graphRoot?.nodeOffset;
  });
}

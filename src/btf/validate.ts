/**
 * The resolve pass over a parsed type list: the checks of the kernel's btf_check_all_types()
 * (kernel/bpf/btf.c, v6.18) that need more than one type at a time, done while computing every
 * type's size, alignment and modifier-free target once. Types are visited in id order and
 * memoised, as the kernel does, so recursion only follows forward references and is bounded by
 * MAX_RESOLVE_DEPTH; a cycle that does not pass through a struct-typed pointer target is an error.
 * Works in node / browser.
 */
import { BtfError } from '../util/errors.ts';
import { MAX_RESOLVE_DEPTH } from './wire.ts';
import type { BtfType, StructType } from './types.ts';
import { isComposite, isModifier } from './types.ts';

/** Per-type layout facts, indexed by type id. `size` is undefined for types without a size. */
export interface BtfLayout {
  readonly sizes: readonly (number | undefined)[];
  readonly aligns: readonly number[];
  /** Id after skipping typedef/const/volatile/restrict/type_tag. */
  readonly resolved: readonly number[];
}

const UNVISITED = 0, VISITING = 1, DONE = 2;
const U32_MAX = 0xffffffff;

/**
 * Validates cross-type rules and computes the layout of every type.
 * @throws {BtfError} EINVAL naming the type id and the rule broken (loop, unsized member, ...).
 * Works in node / browser.
 */
export function checkTypes(types: readonly BtfType[]): BtfLayout {
  const n = types.length;
  const state = new Uint8Array(n);
  const sizes: (number | undefined)[] = new Array<number | undefined>(n).fill(undefined);
  const aligns: number[] = new Array<number>(n).fill(1);
  const resolved: number[] = new Array<number>(n).fill(0);
  state[0] = DONE;

  const typeAt = (id: number, from: BtfType, what: string): BtfType => {
    const t = types[id];
    if (t === undefined) throw err(from, `${what} type_id ${id} is out of range (${n - 1} types)`);
    return t;
  };

  // Resolves `id`, reached from `from` at recursion depth `depth`.
  const visit = (id: number, depth: number): void => {
    const t = types[id];
    if (t === undefined) throw new BtfError(`type_id ${id} is out of range (${n - 1} types)`, { section: '.BTF' });
    if (state[id] === DONE) return;
    if (state[id] === VISITING) throw err(t, 'loop detected');
    if (depth >= MAX_RESOLVE_DEPTH) throw err(t, `exceeds max resolve depth ${MAX_RESOLVE_DEPTH}`);
    state[id] = VISITING;
    resolved[id] = id;
    const sized = (target: number, what: string): number => {
      const tt = typeAt(target, t, what);
      visit(target, depth + 1);
      const s = sizes[target];
      if (s === undefined || tt.kind === 'var' || tt.kind === 'datasec' || tt.kind === 'decl_tag') throw err(t, `invalid ${what} (type [${target}] ${tt.kind} has no size)`);
      return s;
    };
    switch (t.kind) {
      case 'void': break;
      case 'int': case 'float': sizes[id] = t.size; aligns[id] = Math.min(t.size, 8); break;
      case 'enum': case 'enum64': sizes[id] = t.size; aligns[id] = t.size; break;
      case 'fwd': break;
      case 'ptr': {
        // A pointer's size does not depend on its target, but a chain of modifiers, pointers and
        // arrays that leads back to itself is a loop (the kernel's resolve sinks).
        const target = typeAt(t.type, t, 'pointee');
        if (isModifier(target) || target.kind === 'ptr' || target.kind === 'array') visit(t.type, depth + 1);
        const end = types[resolvedOf(t.type)];
        if (end !== undefined && (end.kind === 'func' || end.kind === 'var' || end.kind === 'datasec' || end.kind === 'decl_tag')) throw err(t, `invalid type_id (points to ${end.kind})`);
        sizes[id] = 8; aligns[id] = 8;
        break;
      }
      case 'typedef': case 'volatile': case 'const': case 'restrict': case 'type_tag': {
        const target = typeAt(t.type, t, 'referenced');
        visit(t.type, depth + 1);
        if (target.kind === 'func' || target.kind === 'var' || target.kind === 'datasec' || target.kind === 'decl_tag') throw err(t, `invalid type_id (refers to ${target.kind})`);
        sizes[id] = sizes[t.type]; aligns[id] = aligns[t.type] ?? 1;
        resolved[id] = resolved[t.type] ?? t.type;
        break;
      }
      case 'array': {
        const index = typeAt(t.indexType, t, 'index');
        visit(t.indexType, depth + 1);
        const idxT = types[resolvedOf(t.indexType)];
        if (idxT === undefined || idxT.kind !== 'int' || !intIsRegular(idxT)) throw err(t, `invalid index (type [${index.id}] ${index.kind})`);
        const elemSize = sized(t.type, 'elem');
        const elemT = types[resolvedOf(t.type)];
        if (elemT !== undefined && elemT.kind === 'int' && !intIsRegular(elemT)) throw err(t, 'invalid array of int');
        if (t.nelems !== 0 && elemSize > Math.floor(U32_MAX / t.nelems)) throw err(t, 'array size overflows U32_MAX');
        sizes[id] = elemSize * t.nelems; aligns[id] = aligns[t.type] ?? 1;
        break;
      }
      case 'struct': case 'union': {
        let align = 1, packed = false;
        for (const m of t.members) {
          const mSize = sized(m.type, `member '${m.name}'`);
          checkMember(t, m.name, m.bitOffset, m.bitfieldSize, mSize, types[resolvedOf(m.type)]);
          const mAlign = aligns[m.type] ?? 1;
          if (m.bitfieldSize === 0 && (m.bitOffset % (8 * mAlign)) !== 0) packed = true;
          align = Math.max(align, mAlign);
        }
        if (t.size % align !== 0) packed = true;
        sizes[id] = t.size; aligns[id] = packed ? 1 : align;
        break;
      }
      case 'func': {
        const proto = typeAt(t.type, t, 'proto');
        if (proto.kind !== 'func_proto') throw err(t, `invalid type_id (type [${t.type}] is ${proto.kind}, not func_proto)`);
        visit(t.type, depth + 1);
        break;
      }
      case 'func_proto': {
        if (t.returnType !== 0) {
          const ret = typeAt(t.returnType, t, 'return');
          visit(t.returnType, depth + 1);
          if (sizes[t.returnType] === undefined && ret.kind !== 'void') throw err(t, 'invalid return type');
        }
        t.params.forEach((p, i) => { sized(p.type, `arg#${i + 1}`); });
        break;
      }
      case 'var': sizes[id] = sized(t.type, 'var type'); aligns[id] = aligns[t.type] ?? 1; break;
      case 'datasec':
        t.vars.forEach((v, i) => {
          const vt = typeAt(v.type, t, `var ${i}`);
          visit(v.type, depth + 1);
          if (vt.kind === 'func' && t.size === 0) return; // `.ksyms` kfunc externs in object files
          if (vt.kind !== 'var') throw err(t, `var ${i}: not a VAR kind member (type [${v.type}] is ${vt.kind})`);
          const s = sizes[v.type];
          if (s === undefined || (t.size !== 0 && v.size < s)) throw err(t, `var ${i}: invalid size`);
        });
        sizes[id] = t.size;
        break;
      case 'decl_tag': checkDeclTag(t.id, t.type, t.componentIdx, typeAt(t.type, t, 'tagged'), types); visit(t.type, depth + 1); break;
      default: {
        const never: never = t;
        throw new BtfError(`unknown type ${String(never)}`);
      }
    }
    state[id] = DONE;
  };
  const resolvedOf = (id: number): number => (state[id] === DONE ? resolved[id] ?? id : id);

  for (let id = 1; id < n; id++) visit(id, 0);
  return { sizes, aligns, resolved };
}

/** The kernel's btf_type_int_is_regular(): a whole number of bytes, power of two, no offset. */
function intIsRegular(t: { size: number; bits: number; bitOffset: number }): boolean {
  return t.bitOffset === 0 && t.bits === t.size * 8 && (t.size & (t.size - 1)) === 0;
}

/** Mirrors the per-kind check_member / check_kflag_member callbacks. */
function checkMember(s: StructType, name: string, bitOffset: number, bitfieldSize: number, mSize: number, mType: BtfType | undefined): void {
  const where = `member '${name}'`;
  if (bitfieldSize !== 0) {
    if (mType === undefined || (mType.kind !== 'int' && mType.kind !== 'enum' && mType.kind !== 'enum64')) throw err(s, `${where}: invalid member bitfield_size (not an int or enum)`);
    if (bitfieldSize > mSize * 8 || bitfieldSize > 128) throw err(s, `${where}: invalid member bitfield_size ${bitfieldSize}`);
    if (Math.ceil((bitOffset + bitfieldSize) / 8) > s.size) throw err(s, `${where}: member exceeds struct_size`);
    return;
  }
  if (mType !== undefined && mType.kind === 'int' && !s.kindFlag) {
    // Legacy bitfields (kind_flag 0) put the bit position in the INT itself.
    const endBits = bitOffset + mType.bitOffset + mType.bits;
    if (Math.ceil(endBits / 8) > s.size) throw err(s, `${where}: member exceeds struct_size`);
    return;
  }
  if (bitOffset % 8 !== 0) throw err(s, `${where}: member is not byte aligned`);
  if (s.size - bitOffset / 8 < mSize) throw err(s, `${where}: member exceeds struct_size`);
}

function checkDeclTag(id: number, target: number, idx: number, t: BtfType, types: readonly BtfType[]): void {
  const bad = (what: string): BtfError => new BtfError(`type [${id}] DECL_TAG: ${what}`, { section: '.BTF' });
  if (isComposite(t)) {
    if (idx >= t.members.length) throw bad(`invalid component_idx ${idx} (struct has ${t.members.length} members)`);
  } else if (t.kind === 'func') {
    const proto = types[t.type];
    const nargs = proto !== undefined && proto.kind === 'func_proto' ? proto.params.length : 0;
    if (idx >= nargs) throw bad(`invalid component_idx ${idx} (func has ${nargs} args)`);
  } else if (t.kind === 'var' || t.kind === 'typedef') {
    if (idx !== -1) throw bad(`invalid component_idx ${idx}`);
  } else {
    throw bad(`invalid type_id ${target} (${t.kind} cannot carry a decl tag)`);
  }
}

function err(t: BtfType, what: string): BtfError {
  return new BtfError(`type [${t.id}] ${t.kind.toUpperCase()} '${t.name}': ${what}`, { section: '.BTF' });
}

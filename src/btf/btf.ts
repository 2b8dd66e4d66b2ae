/**
 * A parsed, validated BTF blob: the type graph by id, name lookups and layout queries (sizeof,
 * alignment, modifier skipping, member offsets). Built by `parseBtf`; immutable.
 * Works in node / browser.
 */
import { BtfError } from '../util/errors.ts';
import type { BtfHeader } from './parse.ts';
import type { BtfKind, BtfType, Member, StructType } from './types.ts';
import { isComposite } from './types.ts';
import type { BtfLayout } from './validate.ts';

const DECODER = new TextDecoder('utf-8', { fatal: false });

/** A member found by name, with its offset from the start of the outer type. */
export interface MemberLocation {
  readonly member: Member;
  /** Offset in bits from the start of the type searched. */
  readonly bitOffset: number;
}

/** Parsed BTF. `types[0]` is void; `bytes` are the exact input, ready to hand to a kernel. */
export class Btf {
  readonly bytes: Uint8Array;
  readonly header: BtfHeader;
  /** The raw string section (starts and ends with NUL). */
  readonly strings: Uint8Array;
  readonly types: readonly BtfType[];
  private readonly layout: BtfLayout;
  private nameIndex: Map<string, number[]> | undefined;

  /** Use `parseBtf`; this constructor trusts that `layout` was computed from `types`. */
  constructor(bytes: Uint8Array, header: BtfHeader, strings: Uint8Array, types: readonly BtfType[], layout: BtfLayout) {
    this.bytes = bytes;
    this.header = header;
    this.strings = strings;
    this.types = types;
    this.layout = layout;
  }

  /**
   * The type with this id (0 is void).
   * @throws {BtfError} EINVAL when the id is out of range.
   */
  typeById(id: number): BtfType {
    const t = Number.isInteger(id) ? this.types[id] : undefined;
    if (t === undefined) throw new BtfError(`type id ${id} is out of range (${this.types.length - 1} types)`);
    return t;
  }

  /** The first type (lowest id) with this name and, if given, kind; as btf_find_by_name_kind(). */
  typeByName(name: string, kind?: BtfKind): BtfType | undefined {
    for (const id of this.idsByName(name)) {
      const t = this.types[id];
      if (t !== undefined && (kind === undefined || t.kind === kind)) return t;
    }
    return undefined;
  }

  /** Every type with this name, in id order. */
  typesByName(name: string): BtfType[] {
    return this.idsByName(name).map((id) => this.typeById(id));
  }

  private idsByName(name: string): readonly number[] {
    if (this.nameIndex === undefined) {
      const idx = new Map<string, number[]>();
      for (const t of this.types) {
        if (t.name === '') continue;
        const ids = idx.get(t.name);
        if (ids === undefined) idx.set(t.name, [t.id]);
        else ids.push(t.id);
      }
      this.nameIndex = idx;
    }
    return this.nameIndex.get(name) ?? [];
  }

  /** The string at `offset` in the string section, or undefined when out of range. */
  stringAt(offset: number): string | undefined {
    if (!Number.isInteger(offset) || offset < 0 || offset >= this.strings.length) return undefined;
    return DECODER.decode(this.strings.subarray(offset, this.strings.indexOf(0, offset)));
  }

  /** The type after skipping typedef, const, volatile, restrict and type_tag. */
  resolve(id: number): BtfType {
    this.typeById(id);
    return this.typeById(this.layout.resolved[id] ?? id);
  }

  /** True when the type has a size (not void, fwd, func, func_proto or a chain ending in one). */
  hasSize(id: number): boolean {
    this.typeById(id);
    return this.layout.sizes[id] !== undefined;
  }

  /**
   * sizeof in bytes, through typedefs, modifiers and arrays (btf_type_id_size()). A VAR has the
   * size of its type; a DATASEC the size in its header (0 before libbpf fixes object files).
   * @throws {BtfError} EINVAL for types without a size (void, fwd, func, func_proto).
   */
  sizeof(id: number): number {
    const t = this.typeById(id);
    const s = this.layout.sizes[id];
    if (s === undefined) throw new BtfError(`type [${id}] ${t.kind} '${t.name}' has no size`);
    return s;
  }

  /**
   * Alignment in bytes as libbpf's btf__align_of() computes it: natural alignment capped at 8,
   * the largest member alignment for structs and unions, 1 for packed ones.
   */
  alignof(id: number): number {
    this.typeById(id);
    return this.layout.aligns[id] ?? 1;
  }

  /** Members of a struct or union after resolving modifiers. @throws {BtfError} for other kinds. */
  members(id: number): readonly Member[] {
    return this.composite(id).members;
  }

  /** The struct or union `id` resolves to. @throws {BtfError} EINVAL for other kinds. */
  composite(id: number): StructType {
    const t = this.resolve(id);
    if (!isComposite(t)) throw new BtfError(`type [${id}] is ${t.kind}, not a struct or union`);
    return t;
  }

  /**
   * Finds a member by name, looking through anonymous struct and union members as C does, and
   * returns its bit offset from the start of `id`. Undefined when there is no such member.
   */
  findMember(id: number, name: string): MemberLocation | undefined {
    return this.findMemberIn(this.composite(id), name, 0, 0);
  }

  private findMemberIn(t: StructType, name: string, base: number, depth: number): MemberLocation | undefined {
    for (const m of t.members) {
      if (m.name === name) return { member: m, bitOffset: base + m.bitOffset };
    }
    if (depth >= 32) return undefined;
    for (const m of t.members) {
      if (m.name !== '') continue;
      const inner = this.resolve(m.type);
      if (!isComposite(inner)) continue;
      const found = this.findMemberIn(inner, name, base + m.bitOffset, depth + 1);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  /** Byte offset of a member (rounded down for bitfields). @throws {BtfError} when absent. */
  memberByteOffset(id: number, name: string): number {
    const loc = this.findMember(id, name);
    if (loc === undefined) throw new BtfError(`type [${id}] has no member '${name}'`);
    return Math.floor(loc.bitOffset / 8);
  }
}

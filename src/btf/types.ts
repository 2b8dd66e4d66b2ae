/**
 * The parsed BTF type graph. Types refer to each other by id (a number), never by object
 * reference, so hostile input cannot build cyclic object graphs and every lookup is bounds
 * checked through `Btf.typeById`. Type id 0 is `void`. Works in node / browser.
 */

/** Linkage of a FUNC or VAR. `extern` appears in object files; libbpf rewrites it before load. */
export type BtfLinkage = 'static' | 'global' | 'extern';

interface TypeBase {
  /** Type id (index in `Btf.types`). */
  readonly id: number;
  /** Name, or '' for anonymous types. */
  readonly name: string;
}

export interface VoidType extends TypeBase { readonly kind: 'void' }

export interface IntType extends TypeBase {
  readonly kind: 'int';
  readonly size: number;
  /** Raw BTF_INT_* encoding bits. */
  readonly encoding: number;
  readonly signed: boolean;
  readonly char: boolean;
  readonly bool: boolean;
  /** BTF_INT_OFFSET: bit offset of the value inside `size` bytes (0 for everything clang emits). */
  readonly bitOffset: number;
  /** BTF_INT_BITS. */
  readonly bits: number;
}

export interface PtrType extends TypeBase { readonly kind: 'ptr'; readonly type: number }

export interface ArrayType extends TypeBase {
  readonly kind: 'array';
  readonly type: number;
  readonly indexType: number;
  readonly nelems: number;
}

export interface Member {
  readonly name: string;
  readonly type: number;
  /** Offset from the start of the struct, in bits. */
  readonly bitOffset: number;
  /** Width of a bitfield in bits; 0 when the member is not a bitfield. */
  readonly bitfieldSize: number;
}

export interface StructType extends TypeBase {
  readonly kind: 'struct' | 'union';
  readonly size: number;
  /** kind_flag: member offsets carry bitfield sizes. */
  readonly kindFlag: boolean;
  readonly members: readonly Member[];
}

export interface EnumValue {
  readonly name: string;
  /** The value, sign-extended when the enum is signed. */
  readonly value: bigint;
}

export interface EnumType extends TypeBase {
  readonly kind: 'enum' | 'enum64';
  readonly size: number;
  /** kind_flag: values are signed. */
  readonly signed: boolean;
  readonly values: readonly EnumValue[];
}

export interface FwdType extends TypeBase { readonly kind: 'fwd'; readonly fwdKind: 'struct' | 'union' }

/** TYPEDEF, VOLATILE, CONST, RESTRICT and TYPE_TAG: a name or qualifier on another type. */
export interface RefType extends TypeBase {
  readonly kind: 'typedef' | 'volatile' | 'const' | 'restrict' | 'type_tag';
  readonly type: number;
  /** Only TYPE_TAG may set it: the tag is an `__attribute__` rather than a plain tag. */
  readonly kindFlag: boolean;
}

export interface FuncType extends TypeBase { readonly kind: 'func'; readonly type: number; readonly linkage: BtfLinkage }

export interface Param { readonly name: string; readonly type: number }

export interface FuncProtoType extends TypeBase {
  readonly kind: 'func_proto';
  readonly returnType: number;
  /** The named parameters; a trailing `...` is not listed here but sets `variadic`. */
  readonly params: readonly Param[];
  readonly variadic: boolean;
}

export interface VarType extends TypeBase { readonly kind: 'var'; readonly type: number; readonly linkage: BtfLinkage }

export interface VarSecinfo {
  /** Id of a VAR (or FUNC, for `.ksyms` externs). */
  readonly type: number;
  readonly offset: number;
  readonly size: number;
}

export interface DatasecType extends TypeBase {
  readonly kind: 'datasec';
  /** 0 in clang's object files: libbpf fills it from the ELF section before load. */
  readonly size: number;
  readonly vars: readonly VarSecinfo[];
}

export interface FloatType extends TypeBase { readonly kind: 'float'; readonly size: number }

export interface DeclTagType extends TypeBase {
  readonly kind: 'decl_tag';
  readonly type: number;
  /** -1 when the tag is on the type itself, else the member or parameter index. */
  readonly componentIdx: number;
  readonly kindFlag: boolean;
}

/** One BTF type, discriminated by `kind`. */
export type BtfType =
  | VoidType | IntType | PtrType | ArrayType | StructType | EnumType | FwdType | RefType
  | FuncType | FuncProtoType | VarType | DatasecType | FloatType | DeclTagType;

export type BtfKind = BtfType['kind'];

/** Kinds that only qualify or rename another type: skipped by `Btf.resolve`. */
export function isModifier(t: BtfType): t is RefType {
  return t.kind === 'typedef' || t.kind === 'volatile' || t.kind === 'const' || t.kind === 'restrict' || t.kind === 'type_tag';
}

/** STRUCT or UNION. */
export function isComposite(t: BtfType): t is StructType {
  return t.kind === 'struct' || t.kind === 'union';
}

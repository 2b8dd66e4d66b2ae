/**
 * The on-disk BTF encoding (include/uapi/linux/btf.h): header layout, kind numbers and the bit
 * fields packed into `btf_type.info` and INT data. Constants keep their uapi spelling so a grep
 * against btf.h finds them. Works in node / browser.
 */

/** `btf_header.magic`, read little-endian. A byte-swapped value means a big-endian object. */
export const BTF_MAGIC = 0xeb9f;
export const BTF_VERSION = 1;
/** sizeof(struct btf_header): magic(2) version(1) flags(1) hdr_len(4) type_off type_len str_off str_len(4 each). */
export const BTF_HEADER_MIN_LEN = 24;
/** The kernel's BTF_MAX_NAME_OFFSET: name offsets are 24 bits wide in practice. */
export const BTF_MAX_NAME_OFFSET = 0xffffff;
/** The kernel's BTF_MAX_TYPE: type ids are limited to 20 bits. */
export const BTF_MAX_TYPE = 0xfffff;
/** The kernel's BTF_MAX_VLEN. */
export const BTF_MAX_VLEN = 0xffff;
/** KSYM_NAME_LEN: identifiers must be shorter than this. */
export const KSYM_NAME_LEN = 512;
/** MAX_RESOLVE_DEPTH in kernel/bpf/btf.c: bound on nested resolution (typedef chains, nesting). */
export const MAX_RESOLVE_DEPTH = 32;

export const BTF_KIND_UNKN = 0;
export const BTF_KIND_INT = 1;
export const BTF_KIND_PTR = 2;
export const BTF_KIND_ARRAY = 3;
export const BTF_KIND_STRUCT = 4;
export const BTF_KIND_UNION = 5;
export const BTF_KIND_ENUM = 6;
export const BTF_KIND_FWD = 7;
export const BTF_KIND_TYPEDEF = 8;
export const BTF_KIND_VOLATILE = 9;
export const BTF_KIND_CONST = 10;
export const BTF_KIND_RESTRICT = 11;
export const BTF_KIND_FUNC = 12;
export const BTF_KIND_FUNC_PROTO = 13;
export const BTF_KIND_VAR = 14;
export const BTF_KIND_DATASEC = 15;
export const BTF_KIND_FLOAT = 16;
export const BTF_KIND_DECL_TAG = 17;
export const BTF_KIND_TYPE_TAG = 18;
export const BTF_KIND_ENUM64 = 19;
export const NR_BTF_KINDS = 20;

/** Kind names as bpftool prints them (`[3] STRUCT 'x'`), indexed by kind number. */
export const BTF_KIND_NAMES = [
  'UNKN', 'INT', 'PTR', 'ARRAY', 'STRUCT', 'UNION', 'ENUM', 'FWD', 'TYPEDEF', 'VOLATILE', 'CONST',
  'RESTRICT', 'FUNC', 'FUNC_PROTO', 'VAR', 'DATASEC', 'FLOAT', 'DECL_TAG', 'TYPE_TAG', 'ENUM64',
] as const;

/*
 * btf_type.info:
 *   bits  0-15: vlen (members, params, enum values, datasec vars)
 *   bits 16-23: unused (must be 0)
 *   bits 24-28: kind
 *   bits 29-30: unused (must be 0)
 *   bit     31: kind_flag
 */
export const BTF_INFO_UNUSED_MASK = 0x60ff0000;
export function btfInfoVlen(info: number): number { return info & 0xffff; }
export function btfInfoKind(info: number): number { return (info >>> 24) & 0x1f; }
export function btfInfoKflag(info: number): boolean { return (info >>> 31) === 1; }

/*
 * INT data (the u32 after an INT btf_type):
 *   bits  0-7 : nr_bits
 *   bits  8-15: unused
 *   bits 16-23: offset (bits)
 *   bits 24-27: encoding (SIGNED | CHAR | BOOL)
 *   bits 28-31: unused
 */
export const BTF_INT_MASK = 0x0fffffff;
export const BTF_INT_SIGNED = 1 << 0;
export const BTF_INT_CHAR = 1 << 1;
export const BTF_INT_BOOL = 1 << 2;
export function btfIntEncoding(data: number): number { return (data >>> 24) & 0x0f; }
export function btfIntOffset(data: number): number { return (data >>> 16) & 0xff; }
export function btfIntBits(data: number): number { return data & 0xff; }

/*
 * btf_member.offset when the struct's kind_flag is set:
 *   bits  0-23: bit offset;  bits 24-31: bitfield size (0 = not a bitfield)
 * Without kind_flag the whole u32 is the bit offset.
 */
export function btfMemberBitOffset(kflag: boolean, offset: number): number { return kflag ? offset & 0xffffff : offset; }
export function btfMemberBitfieldSize(kflag: boolean, offset: number): number { return kflag ? offset >>> 24 : 0; }

export const BTF_FUNC_STATIC = 0;
export const BTF_FUNC_GLOBAL = 1;
export const BTF_FUNC_EXTERN = 2;
export const BTF_VAR_STATIC = 0;
export const BTF_VAR_GLOBAL_ALLOCATED = 1;
export const BTF_VAR_GLOBAL_EXTERN = 2;

/** Bytes of kind-specific data after the 12-byte btf_type, per item (vlen) or fixed. */
export const BTF_TYPE_SIZE = 12;
export const BTF_MEMBER_SIZE = 12;
export const BTF_ENUM_SIZE = 8;
export const BTF_ENUM64_SIZE = 12;
export const BTF_PARAM_SIZE = 8;
export const BTF_VAR_SECINFO_SIZE = 12;
export const BTF_ARRAY_SIZE = 12;

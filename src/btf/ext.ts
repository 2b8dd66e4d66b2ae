/**
 * `.BTF.ext`: per-section func_info, line_info and CO-RE relocation records, as clang emits
 * them in object files (libbpf's btf_ext__new(); include/uapi/linux/btf.h for the record
 * layouts). Instruction offsets are kept in bytes as on disk and also given as instruction
 * indices (8-byte slots). Strings come from the companion `.BTF`. Works in node / browser.
 */
import { BtfError } from '../util/errors.ts';
import { ByteReader } from '../util/bytes.ts';
import { BTF_MAGIC } from './wire.ts';
import type { Btf } from './btf.ts';

const SECTION = '.BTF.ext';

/** bpf_func_info: the BTF FUNC describing the subprogram that starts at `insnIdx`. */
export interface FuncInfo {
  readonly insnOff: number;
  readonly insnIdx: number;
  readonly typeId: number;
}

/** bpf_line_info: the source position of the instruction at `insnIdx`. */
export interface LineInfo {
  readonly insnOff: number;
  readonly insnIdx: number;
  readonly fileName: string;
  /** The text of the source line. */
  readonly line: string;
  /** BPF_LINE_INFO_LINE_NUM(line_col): line_col >> 10. */
  readonly lineNum: number;
  /** BPF_LINE_INFO_LINE_COL(line_col): line_col & 0x3ff. */
  readonly lineCol: number;
}

/** enum bpf_core_relo_kind. */
export const BPF_CORE_FIELD_BYTE_OFFSET = 0;
export const BPF_CORE_FIELD_BYTE_SIZE = 1;
export const BPF_CORE_FIELD_EXISTS = 2;
export const BPF_CORE_FIELD_SIGNED = 3;
export const BPF_CORE_FIELD_LSHIFT_U64 = 4;
export const BPF_CORE_FIELD_RSHIFT_U64 = 5;
export const BPF_CORE_TYPE_ID_LOCAL = 6;
export const BPF_CORE_TYPE_ID_TARGET = 7;
export const BPF_CORE_TYPE_EXISTS = 8;
export const BPF_CORE_TYPE_SIZE = 9;
export const BPF_CORE_ENUMVAL_EXISTS = 10;
export const BPF_CORE_ENUMVAL_VALUE = 11;
export const BPF_CORE_TYPE_MATCHES = 12;

/** bpf_core_relo: a CO-RE relocation of the instruction at `insnIdx`. */
export interface CoreRelo {
  readonly insnOff: number;
  readonly insnIdx: number;
  /** Local (object) BTF type id of the root type. */
  readonly typeId: number;
  /** Access string, e.g. `0:1:2` (indices through the root type). */
  readonly accessStr: string;
  /** BPF_CORE_* kind. */
  readonly kind: number;
}

/** Records of one ELF section (`sec_name_off` resolved), in file order. */
export interface BtfExtSection<T> {
  readonly section: string;
  readonly records: readonly T[];
}

/** Parsed `.BTF.ext`. */
export interface BtfExt {
  readonly funcInfo: readonly BtfExtSection<FuncInfo>[];
  readonly lineInfo: readonly BtfExtSection<LineInfo>[];
  readonly coreRelos: readonly BtfExtSection<CoreRelo>[];
  /** The record sizes found on disk (records may grow in newer formats; extra bytes are skipped). */
  readonly funcInfoRecSize: number;
  readonly lineInfoRecSize: number;
  readonly coreReloRecSize: number;
}

/**
 * Parses `.BTF.ext` bytes; names and line texts are looked up in `btf`'s string section.
 * @throws {BtfError} EINVAL on a bad header, a record size below the minimum, a section that runs
 * past its bounds, an unaligned instruction offset, a bad string offset or an unknown type id.
 * Works in node / browser.
 */
export function parseBtfExt(bytes: Uint8Array, btf: Btf): BtfExt {
  const fail = (m: string, off?: number): BtfError => new BtfError(m, off === undefined ? { section: SECTION } : { section: SECTION, offset: off });
  const r = new ByteReader(bytes, (m, off) => fail(m, off));
  if (bytes.length < 24) throw fail(`.BTF.ext is ${bytes.length} bytes, shorter than its header`, 0);
  const magic = r.u16(0);
  if (magic !== BTF_MAGIC) throw fail(`invalid .BTF.ext magic 0x${magic.toString(16)}`, 0);
  if (r.u8(2) !== 1) throw fail(`unsupported .BTF.ext version ${r.u8(2)}`, 2);
  if (r.u8(3) !== 0) throw fail(`unsupported .BTF.ext flags 0x${r.u8(3).toString(16)}`, 3);
  const hdrLen = r.u32(4);
  if (hdrLen < 24 || hdrLen > bytes.length) throw fail(`invalid .BTF.ext hdr_len ${hdrLen}`, 4);
  const str = (off: number, at: number): string => {
    const s = btf.stringAt(off);
    if (s === undefined) throw fail(`string offset ${off} is outside the .BTF string section`, at);
    return s;
  };
  const insn = (off: number, at: number): number => {
    if (off % 8 !== 0) throw fail(`instruction offset ${off} is not a multiple of 8`, at);
    return off / 8;
  };

  // Walks one info area: rec_size, then { sec_name_off, num_info, records[num_info] } blocks.
  const area = <T>(what: string, off: number, len: number, minRec: number, read: (at: number) => T): { secs: BtfExtSection<T>[]; recSize: number } => {
    if (len === 0) return { secs: [], recSize: minRec };
    const start = hdrLen + off;
    if (off % 4 !== 0) throw fail(`${what} offset ${off} is not 4-byte aligned`, 8);
    if (len < 4 || start + len > bytes.length || start + len < start) throw fail(`${what} (offset ${off}, ${len} bytes) is outside .BTF.ext`, start);
    const recSize = r.u32(start);
    if (recSize < minRec || recSize % 4 !== 0) throw fail(`${what} record size ${recSize} is invalid (minimum ${minRec})`, start);
    const end = start + len;
    const secs: BtfExtSection<T>[] = [];
    let pos = start + 4;
    while (pos < end) {
      if (end - pos < 8) throw fail(`${what}: truncated section header`, pos);
      const section = str(r.u32(pos), pos);
      const num = r.u32(pos + 4);
      pos += 8;
      if (num === 0) throw fail(`${what}: section '${section}' has no records`, pos - 4);
      if (num > (end - pos) / recSize) throw fail(`${what}: section '${section}' claims ${num} records, more than fit`, pos - 4);
      const records: T[] = [];
      for (let i = 0; i < num; i++, pos += recSize) records.push(read(pos));
      secs.push({ section, records });
    }
    return { secs, recSize };
  };

  const func = area('func_info', r.u32(8), r.u32(12), 8, (at): FuncInfo => {
    const insnOff = r.u32(at), typeId = r.u32(at + 4);
    const t = btf.types[typeId];
    if (t === undefined || t.kind !== 'func') throw fail(`func_info type_id ${typeId} is not a FUNC`, at + 4);
    return { insnOff, insnIdx: insn(insnOff, at), typeId };
  });
  const line = area('line_info', r.u32(16), r.u32(20), 16, (at): LineInfo => {
    const insnOff = r.u32(at), lineCol = r.u32(at + 12);
    return { insnOff, insnIdx: insn(insnOff, at), fileName: str(r.u32(at + 4), at + 4), line: str(r.u32(at + 8), at + 8), lineNum: lineCol >>> 10, lineCol: lineCol & 0x3ff };
  });
  // core_relo_off/len exist only in headers of 32 bytes or more.
  const core = hdrLen >= 32
    ? area('core_relo', r.u32(24), r.u32(28), 16, (at): CoreRelo => {
      const insnOff = r.u32(at), typeId = r.u32(at + 4), kind = r.u32(at + 12);
      if (btf.types[typeId] === undefined) throw fail(`core_relo type_id ${typeId} is out of range`, at + 4);
      if (kind > BPF_CORE_TYPE_MATCHES) throw fail(`unknown core_relo kind ${kind}`, at + 12);
      return { insnOff, insnIdx: insn(insnOff, at), typeId, accessStr: str(r.u32(at + 8), at + 8), kind };
    })
    : { secs: [], recSize: 16 };
  return {
    funcInfo: func.secs, lineInfo: line.secs, coreRelos: core.secs,
    funcInfoRecSize: func.recSize, lineInfoRecSize: line.recSize, coreReloRecSize: core.recSize,
  };
}

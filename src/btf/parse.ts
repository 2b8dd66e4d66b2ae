/**
 * Parses a raw `.BTF` section into a {@link Btf}: the header, the string section and every type,
 * with the per-type checks of the kernel's btf_check_meta() (kernel/bpf/btf.c, v6.18), then the
 * resolve pass (validate.ts). Object-file BTF is accepted as it leaves clang (DATASEC sizes of 0,
 * extern linkage): those are the fields libbpf rewrites before handing BTF to the kernel.
 * Works in node / browser.
 */
import { BtfError } from '../util/errors.ts';
import { ByteReader } from '../util/bytes.ts';
import * as W from './wire.ts';
import type { BtfLinkage, BtfType, EnumValue, Member, Param, VarSecinfo } from './types.ts';
import { Btf } from './btf.ts';
import { checkTypes } from './validate.ts';

const SECTION = '.BTF';

/** Byte ranges of the two data sections, relative to the start of the .BTF bytes. */
export interface BtfHeader {
  readonly version: number;
  readonly flags: number;
  readonly hdrLen: number;
  readonly typeOff: number;
  readonly typeLen: number;
  readonly strOff: number;
  readonly strLen: number;
}

function fail(message: string, offset?: number): BtfError {
  return new BtfError(message, offset === undefined ? { section: SECTION } : { section: SECTION, offset });
}

/**
 * Parses and validates `.BTF` section bytes. The bytes are kept (not copied) as `Btf.bytes` so the
 * same BTF can later be handed to a kernel.
 * @throws {BtfError} EINVAL on any malformed header, string or type, naming the type id and the rule.
 * Works in node / browser.
 */
export function parseBtf(bytes: Uint8Array): Btf {
  const r = new ByteReader(bytes, (m, off) => fail(m, off));
  const hdr = parseHeader(r);
  const strings = bytes.subarray(hdr.hdrLen + hdr.strOff, hdr.hdrLen + hdr.strOff + hdr.strLen);
  const types = parseTypes(r, hdr, strings);
  return new Btf(bytes, hdr, strings, types, checkTypes(types));
}

/** Mirrors btf_parse_hdr() and btf_check_sec_info(). */
function parseHeader(r: ByteReader): BtfHeader {
  if (r.length < W.BTF_HEADER_MIN_LEN) throw fail(`BTF is ${r.length} bytes, shorter than its 24-byte header`, 0);
  const magic = r.u16(0);
  if (magic === 0x9feb) throw fail('big-endian BTF is not supported (byte-swapped magic 0x9feb)', 0);
  if (magic !== W.BTF_MAGIC) throw fail(`invalid BTF magic 0x${magic.toString(16)}`, 0);
  const version = r.u8(2);
  if (version !== W.BTF_VERSION) throw fail(`unsupported BTF version ${version}`, 2);
  const flags = r.u8(3);
  if (flags !== 0) throw fail(`unsupported BTF flags 0x${flags.toString(16)}`, 3);
  const hdrLen = r.u32(4);
  if (hdrLen < W.BTF_HEADER_MIN_LEN || hdrLen > r.length) throw fail(`invalid BTF hdr_len ${hdrLen}`, 4);
  // A longer header (a newer format) is accepted only if the part we do not know is all zero.
  for (let i = W.BTF_HEADER_MIN_LEN; i < hdrLen; i++) {
    if (r.u8(i) !== 0) throw fail('BTF header has unsupported non-zero trailing bytes', i);
  }
  const hdr: BtfHeader = { version, flags, hdrLen, typeOff: r.u32(8), typeLen: r.u32(12), strOff: r.u32(16), strLen: r.u32(20) };
  const dataLen = r.length - hdrLen;
  if (hdr.typeOff % 4 !== 0) throw fail(`BTF type section offset ${hdr.typeOff} is not 4-byte aligned`, 8);
  if (hdr.strLen === 0) throw fail('BTF has no string section', 20);
  // Sections sorted by offset must tile the data exactly: no overlap, no gap, nothing after.
  const secs = [
    { name: 'type', off: hdr.typeOff, len: hdr.typeLen },
    { name: 'string', off: hdr.strOff, len: hdr.strLen },
  ].sort((a, b) => a.off - b.off);
  let expected = 0;
  for (const s of secs) {
    if (s.off < expected) throw fail(`BTF ${s.name} section overlaps the previous one`, hdrLen + s.off);
    if (s.off > expected) throw fail(`BTF has an unsupported gap before its ${s.name} section`, hdrLen + expected);
    if (s.len > dataLen - s.off) throw fail(`BTF ${s.name} section (offset ${s.off}, ${s.len} bytes) runs past the ${dataLen}-byte data`, hdrLen + s.off);
    expected = s.off + s.len;
  }
  if (expected !== dataLen) throw fail(`BTF has ${dataLen - expected} unsupported trailing byte(s)`, hdrLen + expected);
  if (hdr.strLen > W.BTF_MAX_NAME_OFFSET + 1) throw fail(`BTF string section of ${hdr.strLen} bytes is too large`, 20);
  const strStart = hdrLen + hdr.strOff;
  if (r.u8(strStart) !== 0) throw fail('BTF string section does not start with an empty string', strStart);
  if (r.u8(strStart + hdr.strLen - 1) !== 0) throw fail('BTF string section is not NUL-terminated', strStart + hdr.strLen - 1);
  return hdr;
}

const DECODER = new TextDecoder('utf-8', { fatal: false });

/** Reads the string at `off` in the string section, which ends in a NUL (checked by parseHeader). */
export function stringAt(strings: Uint8Array, off: number): string | undefined {
  if (off < 0 || off >= strings.length) return undefined;
  const end = strings.indexOf(0, off);
  return DECODER.decode(strings.subarray(off, end));
}

function isIdentifier(s: string, dotOk: boolean): boolean {
  if (s.length === 0 || s.length >= W.KSYM_NAME_LEN) return false;
  const re = dotOk ? /^[A-Za-z_.][A-Za-z0-9_.]*$/ : /^[A-Za-z_][A-Za-z0-9_]*$/;
  return re.test(s);
}

/** btf_name_valid_section(): DATASEC names are printable, e.g. `.rodata.str1.1` or `license`. */
function isSectionName(s: string): boolean {
  return s.length > 0 && s.length < W.KSYM_NAME_LEN && /^[\x21-\x7e]+$/.test(s);
}

function parseTypes(r: ByteReader, hdr: BtfHeader, strings: Uint8Array): BtfType[] {
  const types: BtfType[] = [{ id: 0, name: '', kind: 'void' }];
  let pos = hdr.hdrLen + hdr.typeOff;
  const end = pos + hdr.typeLen;
  while (pos < end) {
    const id = types.length;
    if (id > W.BTF_MAX_TYPE) throw fail(`BTF has more than ${W.BTF_MAX_TYPE} types`, pos);
    const at = pos;
    if (end - pos < W.BTF_TYPE_SIZE) throw fail(`type [${id}]: truncated btf_type (${end - pos} byte(s) left)`, pos);
    const nameOff = r.u32(pos);
    const info = r.u32(pos + 4);
    const sizeOrType = r.u32(pos + 8);
    pos += W.BTF_TYPE_SIZE;
    const kindNum = W.btfInfoKind(info);
    const vlen = W.btfInfoVlen(info);
    const kflag = W.btfInfoKflag(info);
    const kindName = W.BTF_KIND_NAMES[kindNum] ?? `kind ${kindNum}`;
    const bad = (what: string, off = at): BtfError => fail(`type [${id}] ${kindName} '${stringAt(strings, nameOff) ?? ''}': ${what}`, off);
    if (info & W.BTF_INFO_UNUSED_MASK) throw bad(`invalid btf_info 0x${info.toString(16)}`);
    if (kindNum === W.BTF_KIND_UNKN || kindNum >= W.NR_BTF_KINDS) throw bad(`invalid kind ${kindNum}`);
    const name = stringAt(strings, nameOff);
    if (name === undefined) throw bad(`invalid name_offset ${nameOff}`);
    const left = end - pos;
    const need = (n: number): void => {
      if (left < n) throw bad(`meta_left:${left} meta_needed:${n}`);
    };
    const str = (off: number, where: number): string => {
      const s = stringAt(strings, off);
      if (s === undefined) throw bad(`invalid name_offset ${off}`, where);
      return s;
    };
    const noVlen = (): void => { if (vlen !== 0) throw bad('vlen != 0'); };
    const noKflag = (): void => { if (kflag) throw bad('invalid btf_info kind_flag'); };
    const validId = (t: number, what: string): void => {
      if (t > W.BTF_MAX_TYPE) throw bad(`invalid ${what} type_id ${t}`);
    };
    switch (kindNum) {
      case W.BTF_KIND_INT: {
        need(4);
        noVlen(); noKflag();
        const data = r.u32(pos);
        pos += 4;
        if (data & ~W.BTF_INT_MASK) throw bad('invalid int_data');
        const bits = W.btfIntBits(data), bitOffset = W.btfIntOffset(data), enc = W.btfIntEncoding(data);
        if (bits > 128) throw bad(`nr_bits ${bits} exceeds 128`);
        if (bitOffset + bits > sizeOrType * 8) throw bad('nr_bits exceeds type_size');
        if (![1, 2, 4, 8, 16].includes(sizeOrType)) throw bad(`unsupported size ${sizeOrType}`);
        if (enc !== 0 && enc !== W.BTF_INT_SIGNED && enc !== W.BTF_INT_CHAR && enc !== W.BTF_INT_BOOL) throw bad(`unsupported encoding ${enc}`);
        types.push({ id, name, kind: 'int', size: sizeOrType, encoding: enc, signed: enc === W.BTF_INT_SIGNED, char: enc === W.BTF_INT_CHAR, bool: enc === W.BTF_INT_BOOL, bitOffset, bits });
        break;
      }
      case W.BTF_KIND_PTR: case W.BTF_KIND_TYPEDEF: case W.BTF_KIND_VOLATILE: case W.BTF_KIND_CONST:
      case W.BTF_KIND_RESTRICT: case W.BTF_KIND_TYPE_TAG: {
        // Mirrors btf_ref_type_check_meta().
        noVlen();
        if (kflag && kindNum !== W.BTF_KIND_TYPE_TAG) throw bad('invalid btf_info kind_flag');
        validId(sizeOrType, 'referenced');
        if (kindNum === W.BTF_KIND_TYPEDEF) {
          if (!isIdentifier(name, false)) throw bad('invalid name');
        } else if (kindNum === W.BTF_KIND_TYPE_TAG) {
          if (name === '') throw bad('invalid name');
        } else if (nameOff !== 0) {
          throw bad('invalid name');
        }
        if (kindNum === W.BTF_KIND_PTR) types.push({ id, name, kind: 'ptr', type: sizeOrType });
        else {
          const kind = kindNum === W.BTF_KIND_TYPEDEF ? 'typedef' : kindNum === W.BTF_KIND_VOLATILE ? 'volatile'
            : kindNum === W.BTF_KIND_CONST ? 'const' : kindNum === W.BTF_KIND_RESTRICT ? 'restrict' : 'type_tag';
          types.push({ id, name, kind, type: sizeOrType, kindFlag: kflag });
        }
        break;
      }
      case W.BTF_KIND_ARRAY: {
        need(W.BTF_ARRAY_SIZE);
        if (nameOff !== 0) throw bad('invalid name');
        noVlen(); noKflag();
        if (sizeOrType !== 0) throw bad('size != 0');
        const type = r.u32(pos), indexType = r.u32(pos + 4), nelems = r.u32(pos + 8);
        pos += W.BTF_ARRAY_SIZE;
        if (type === 0 || type > W.BTF_MAX_TYPE) throw bad('invalid elem');
        if (indexType === 0 || indexType > W.BTF_MAX_TYPE) throw bad('invalid index');
        types.push({ id, name, kind: 'array', type, indexType, nelems });
        break;
      }
      case W.BTF_KIND_STRUCT: case W.BTF_KIND_UNION: {
        // Mirrors btf_struct_check_meta(): member offsets ascend and stay inside the struct.
        const isUnion = kindNum === W.BTF_KIND_UNION;
        need(vlen * W.BTF_MEMBER_SIZE);
        if (nameOff !== 0 && !isIdentifier(name, false)) throw bad('invalid name');
        const members: Member[] = [];
        let last = 0;
        for (let i = 0; i < vlen; i++, pos += W.BTF_MEMBER_SIZE) {
          const mName = str(r.u32(pos), pos);
          const mType = r.u32(pos + 4), rawOff = r.u32(pos + 8);
          if (mName !== '' && !isIdentifier(mName, false)) throw bad(`member ${i}: invalid name '${mName}'`, pos);
          if (mType === 0 || mType > W.BTF_MAX_TYPE) throw bad(`member '${mName}': invalid type_id ${mType}`, pos);
          const bitOffset = W.btfMemberBitOffset(kflag, rawOff);
          const bitfieldSize = W.btfMemberBitfieldSize(kflag, rawOff);
          if (isUnion && bitOffset !== 0) throw bad(`member '${mName}': invalid member bits_offset ${bitOffset}`, pos);
          if (last > bitOffset) throw bad(`member '${mName}': invalid member bits_offset ${bitOffset}`, pos);
          if (Math.ceil(bitOffset / 8) > sizeOrType) throw bad(`member '${mName}': member bits_offset exceeds its struct size`, pos);
          last = bitOffset;
          members.push({ name: mName, type: mType, bitOffset, bitfieldSize });
        }
        types.push({ id, name, kind: isUnion ? 'union' : 'struct', size: sizeOrType, kindFlag: kflag, members });
        break;
      }
      case W.BTF_KIND_ENUM: case W.BTF_KIND_ENUM64: {
        const is64 = kindNum === W.BTF_KIND_ENUM64;
        need(vlen * (is64 ? W.BTF_ENUM64_SIZE : W.BTF_ENUM_SIZE));
        if (sizeOrType > 8 || sizeOrType === 0 || (sizeOrType & (sizeOrType - 1)) !== 0) throw bad(`unexpected size ${sizeOrType}`);
        if (nameOff !== 0 && !isIdentifier(name, false)) throw bad('invalid name');
        const values: EnumValue[] = [];
        for (let i = 0; i < vlen; i++) {
          const vName = str(r.u32(pos), pos);
          if (!isIdentifier(vName, false)) throw bad(`value ${i}: invalid name`, pos);
          let value: bigint;
          if (is64) {
            const raw = (BigInt(r.u32(pos + 8)) << 32n) | BigInt(r.u32(pos + 4));
            value = kflag ? BigInt.asIntN(64, raw) : raw;
            pos += W.BTF_ENUM64_SIZE;
          } else {
            value = kflag ? BigInt(r.i32(pos + 4)) : BigInt(r.u32(pos + 4));
            pos += W.BTF_ENUM_SIZE;
          }
          values.push({ name: vName, value });
        }
        types.push({ id, name, kind: is64 ? 'enum64' : 'enum', size: sizeOrType, signed: kflag, values });
        break;
      }
      case W.BTF_KIND_FWD:
        noVlen();
        if (sizeOrType !== 0) throw bad('type != 0');
        if (!isIdentifier(name, false)) throw bad('invalid name');
        types.push({ id, name, kind: 'fwd', fwdKind: kflag ? 'union' : 'struct' });
        break;
      case W.BTF_KIND_FUNC:
        if (!isIdentifier(name, false)) throw bad('invalid name');
        // The kernel takes static and global only; extern is what clang emits for kfunc and
        // subprog declarations, and libbpf rewrites it before load.
        if (vlen > W.BTF_FUNC_EXTERN) throw bad(`invalid func linkage ${vlen}`);
        noKflag();
        validId(sizeOrType, 'proto');
        types.push({ id, name, kind: 'func', type: sizeOrType, linkage: linkage(vlen) });
        break;
      case W.BTF_KIND_FUNC_PROTO: {
        need(vlen * W.BTF_PARAM_SIZE);
        if (nameOff !== 0) throw bad('invalid name');
        noKflag();
        validId(sizeOrType, 'return');
        const params: Param[] = [];
        let variadic = false;
        for (let i = 0; i < vlen; i++, pos += W.BTF_PARAM_SIZE) {
          const pName = str(r.u32(pos), pos);
          const pType = r.u32(pos + 4);
          validId(pType, `param ${i}`);
          if (pType === 0) {
            // Only the last parameter may be void, and then it means `...` (btf_func_proto_check).
            if (i !== vlen - 1 || pName !== '') throw bad(`param ${i}: invalid arg#${i + 1}`, pos);
            variadic = true;
            continue;
          }
          if (pName !== '' && !isIdentifier(pName, false)) throw bad(`param ${i}: invalid arg#${i + 1} name`, pos);
          params.push({ name: pName, type: pType });
        }
        types.push({ id, name, kind: 'func_proto', returnType: sizeOrType, params, variadic });
        break;
      }
      case W.BTF_KIND_VAR: {
        need(4);
        noVlen(); noKflag();
        // Clang names function-scope statics `func.var`, hence the dot.
        if (!isIdentifier(name, true)) throw bad('invalid name');
        if (sizeOrType === 0 || sizeOrType > W.BTF_MAX_TYPE) throw bad('invalid type_id');
        const l = r.u32(pos);
        pos += 4;
        if (l > W.BTF_VAR_GLOBAL_EXTERN) throw bad(`linkage ${l} not supported`);
        types.push({ id, name, kind: 'var', type: sizeOrType, linkage: linkage(l) });
        break;
      }
      case W.BTF_KIND_DATASEC: {
        // Mirrors btf_datasec_check_meta(), except that clang leaves size (and extern offsets) at
        // 0 for libbpf to fill: with size 0 only the per-variable checks apply.
        need(vlen * W.BTF_VAR_SECINFO_SIZE);
        noKflag();
        if (!isSectionName(name)) throw bad('invalid name');
        const vars: VarSecinfo[] = [];
        let lastEnd = 0, sum = 0;
        for (let i = 0; i < vlen; i++, pos += W.BTF_VAR_SECINFO_SIZE) {
          const type = r.u32(pos), offset = r.u32(pos + 4), size = r.u32(pos + 8);
          if (type === 0 || type > W.BTF_MAX_TYPE) throw bad(`var ${i}: invalid type_id ${type}`, pos);
          if (sizeOrType !== 0) {
            if (offset < lastEnd || offset >= sizeOrType) throw bad(`var ${i}: invalid offset ${offset}`, pos);
            if (size === 0 || size > sizeOrType) throw bad(`var ${i}: invalid size ${size}`, pos);
            lastEnd = offset + size;
            if (lastEnd > sizeOrType) throw bad(`var ${i}: invalid offset+size`, pos);
            sum += size;
          }
          vars.push({ type, offset, size });
        }
        if (sum > sizeOrType && sizeOrType !== 0) throw bad('invalid btf_info size');
        types.push({ id, name, kind: 'datasec', size: sizeOrType, vars });
        break;
      }
      case W.BTF_KIND_FLOAT:
        noVlen(); noKflag();
        if (!isIdentifier(name.replace(/ /g, '_'), false)) throw bad('invalid name');
        if (![2, 4, 8, 12, 16].includes(sizeOrType)) throw bad(`invalid type_size ${sizeOrType}`);
        types.push({ id, name, kind: 'float', size: sizeOrType });
        break;
      case W.BTF_KIND_DECL_TAG: {
        need(4);
        noVlen();
        if (name === '') throw bad('invalid name');
        validId(sizeOrType, 'tagged');
        const componentIdx = r.i32(pos);
        pos += 4;
        if (componentIdx < -1) throw bad(`invalid component_idx ${componentIdx}`);
        types.push({ id, name, kind: 'decl_tag', type: sizeOrType, componentIdx, kindFlag: kflag });
        break;
      }
      default:
        throw bad(`invalid kind ${kindNum}`);
    }
  }
  return types;
}

function linkage(v: number): BtfLinkage {
  return v === 0 ? 'static' : v === 1 ? 'global' : 'extern';
}

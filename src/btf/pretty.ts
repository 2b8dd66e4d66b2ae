/**
 * Pretty-prints a value of a BTF type from its bytes, for map dumps and debugging.
 *
 * Format (compact, C designated-initialiser style; the value rules follow bpftool's btf_dumper):
 *   struct/union  `{ .a = 1, .in = { .x = 2 } }`, `{}` when empty; anonymous members print their
 *                 value without `.name =`
 *   array         `[1, 2, 3]`; a char array holding a printable NUL-terminated string prints as
 *                 `"hi"` (as bpftool does)
 *   int           decimal, signed per its encoding; `_Bool` as true/false; 128-bit ints in hex
 *   bitfield      decimal, signed when its int is signed
 *   enum          the enumerator's name, else the number
 *   pointer       `0x` + hex, `(nil)` for NULL (bpftool spells NULL that way)
 *   float         the number (bpftool 7.1 gives up with "(unsupported-kind"; we do not)
 *   datasec       `{ .var = value }` at each variable's offset
 * Works in node / browser.
 */
import { BtfError } from '../util/errors.ts';
import type { Btf } from './btf.ts';
import type { BtfType, IntType } from './types.ts';

const MAX_DEPTH = 64;

/**
 * Formats `bytes` (at least sizeof(type) long) as a value of `typeId`.
 * @throws {BtfError} EINVAL when the bytes are too short or the type has no size.
 * Works in node / browser.
 */
export function formatValue(btf: Btf, typeId: number, bytes: Uint8Array): string {
  const t = btf.resolve(typeId);
  const size = t.kind === 'datasec' ? Math.max(t.size, ...t.vars.map((v) => v.offset + v.size), 0) : btf.sizeof(typeId);
  if (bytes.length < size) throw new BtfError(`value of type [${typeId}] needs ${size} bytes, got ${bytes.length}`);
  return fmt(btf, typeId, bytes, 0, 0);
}

function fmt(btf: Btf, typeId: number, b: Uint8Array, off: number, depth: number): string {
  if (depth > MAX_DEPTH) return '...';
  const t = btf.resolve(typeId);
  switch (t.kind) {
    case 'int': return fmtInt(t, readUint(b, off, t.size), t.bits);
    case 'enum': case 'enum64': {
      const raw = readUint(b, off, t.size);
      const v = t.signed ? BigInt.asIntN(t.size * 8, raw) : raw;
      const hit = t.values.find((e) => e.value === v || BigInt.asUintN(t.size * 8, e.value) === raw);
      return hit?.name ?? v.toString();
    }
    case 'ptr': {
      const v = readUint(b, off, 8);
      return v === 0n ? '(nil)' : `0x${v.toString(16)}`;
    }
    case 'float': {
      const view = new DataView(b.buffer, b.byteOffset + off, t.size);
      if (t.size === 4) return String(view.getFloat32(0, true));
      if (t.size === 8) return String(view.getFloat64(0, true));
      return `0x${readUint(b, off, t.size).toString(16)}`;
    }
    case 'array': {
      const elem = btf.resolve(t.type);
      const elemSize = btf.sizeof(t.type);
      if (elem.kind === 'int' && elemSize === 1) {
        const s = asString(b.subarray(off, off + t.nelems));
        if (s !== undefined) return JSON.stringify(s);
      }
      const items: string[] = [];
      for (let i = 0; i < t.nelems; i++) items.push(fmt(btf, t.type, b, off + i * elemSize, depth + 1));
      return `[${items.join(', ')}]`;
    }
    case 'struct': case 'union': {
      const parts = t.members.map((m) => {
        const v = m.bitfieldSize !== 0 ? fmtBitfield(btf, m.type, b, off, m.bitOffset, m.bitfieldSize)
          : fmt(btf, m.type, b, off + Math.floor(m.bitOffset / 8), depth + 1);
        return m.name === '' ? v : `.${m.name} = ${v}`;
      });
      return parts.length === 0 ? '{}' : `{ ${parts.join(', ')} }`;
    }
    case 'datasec': {
      const parts = t.vars.map((v) => {
        const variable = btf.typeById(v.type);
        return `.${variable.name} = ${variable.kind === 'var' ? fmt(btf, variable.type, b, off + v.offset, depth + 1) : '?'}`;
      });
      return parts.length === 0 ? '{}' : `{ ${parts.join(', ')} }`;
    }
    case 'var': return fmt(btf, t.type, b, off, depth + 1);
    default: return describeUnsized(t);
  }
}

function describeUnsized(t: BtfType): string {
  return `<${t.kind}>`;
}

function readUint(b: Uint8Array, off: number, size: number): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[off + i] ?? 0);
  return v;
}

function fmtInt(t: IntType, raw: bigint, bits: number): string {
  const width = t.size * 8;
  // Legacy int bitfields: the INT itself carries the bit position.
  let v = raw >> BigInt(t.bitOffset);
  v = BigInt.asUintN(bits, v);
  if (t.bool) return v === 0n ? 'false' : 'true';
  if (width > 64) return `0x${v.toString(16)}`;
  return (t.signed ? BigInt.asIntN(bits, v) : v).toString();
}

function fmtBitfield(btf: Btf, typeId: number, b: Uint8Array, base: number, bitOffset: number, bitSize: number): string {
  const firstByte = base + Math.floor(bitOffset / 8);
  const shift = bitOffset % 8;
  const nbytes = Math.ceil((shift + bitSize) / 8);
  const v = BigInt.asUintN(bitSize, readUint(b, firstByte, nbytes) >> BigInt(shift));
  const t = btf.resolve(typeId);
  const signed = (t.kind === 'int' && t.signed) || ((t.kind === 'enum' || t.kind === 'enum64') && t.signed);
  if (t.kind === 'int' && t.bool) return v === 0n ? 'false' : 'true';
  return (signed ? BigInt.asIntN(bitSize, v) : v).toString();
}

/** bpftool's is_str_array(): printable characters, then a NUL, then anything. */
function asString(bytes: Uint8Array): string | undefined {
  const end = bytes.indexOf(0);
  if (end < 0) return undefined;
  let s = '';
  for (let i = 0; i < end; i++) {
    const c = bytes[i]!;
    if (c < 0x20 || c > 0x7e) return undefined;
    s += String.fromCharCode(c);
  }
  return s;
}

/**
 * Little-endian binary reading and writing through one DataView helper. Every read is bounds
 * checked and an overrun throws the caller's typed error carrying the offset: parsers never see an
 * untyped RangeError. Works in node / browser.
 */
import { BpfError } from './errors.ts';

/** Builds the typed error a reader throws on an overrun (ElfError, BtfError, ...). */
export type OverrunError = (message: string, offset: number) => BpfError;

/** A bounds-checked little-endian cursor over a byte array. */
export class ByteReader {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  private readonly fail: OverrunError;
  /** Current position, in bytes from the start of `bytes`. */
  pos = 0;

  constructor(bytes: Uint8Array, fail: OverrunError) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.fail = fail;
  }

  get length(): number {
    return this.bytes.byteLength;
  }

  /** Throws unless `size` bytes at `offset` lie inside the buffer. */
  check(offset: number, size: number, what = 'read'): void {
    if (!Number.isInteger(offset) || !Number.isInteger(size) || offset < 0 || size < 0 || offset + size > this.bytes.byteLength) {
      throw this.fail(`${what} of ${size} byte(s) at offset ${offset} is outside the ${this.bytes.byteLength}-byte buffer`, offset);
    }
  }

  u8(offset: number): number {
    this.check(offset, 1);
    return this.view.getUint8(offset);
  }
  u16(offset: number): number {
    this.check(offset, 2);
    return this.view.getUint16(offset, true);
  }
  u32(offset: number): number {
    this.check(offset, 4);
    return this.view.getUint32(offset, true);
  }
  i32(offset: number): number {
    this.check(offset, 4);
    return this.view.getInt32(offset, true);
  }
  i16(offset: number): number {
    this.check(offset, 2);
    return this.view.getInt16(offset, true);
  }
  u64(offset: number): bigint {
    this.check(offset, 8);
    return this.view.getBigUint64(offset, true);
  }
  /** A u64 field that must fit a JS number (file offsets and sizes); throws the typed error otherwise. */
  u64AsNumber(offset: number): number {
    const v = this.u64(offset);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw this.fail(`64-bit field at offset ${offset} is too large (${v})`, offset);
    return Number(v);
  }

  /** A view (no copy) of `size` bytes at `offset`. */
  slice(offset: number, size: number): Uint8Array {
    this.check(offset, size, 'slice');
    return this.bytes.subarray(offset, offset + size);
  }

  /** A NUL-terminated string starting at `offset`, which must end before `limit` (default: the buffer end). */
  cstring(offset: number, limit = this.bytes.byteLength): string {
    if (offset < 0 || offset >= limit || limit > this.bytes.byteLength) {
      throw this.fail(`string offset ${offset} is outside its table`, offset);
    }
    const end = this.bytes.indexOf(0, offset);
    if (end < 0 || end >= limit) throw this.fail(`string at offset ${offset} is not NUL-terminated`, offset);
    return TEXT_DECODER.decode(this.bytes.subarray(offset, end));
  }

  // Cursor forms, advancing `pos`.
  readU8(): number { const v = this.u8(this.pos); this.pos += 1; return v; }
  readU16(): number { const v = this.u16(this.pos); this.pos += 2; return v; }
  readU32(): number { const v = this.u32(this.pos); this.pos += 4; return v; }
  readI32(): number { const v = this.i32(this.pos); this.pos += 4; return v; }
  readU64(): bigint { const v = this.u64(this.pos); this.pos += 8; return v; }
}

const TEXT_DECODER = new TextDecoder('utf-8', { fatal: false });

/** A growable little-endian writer. */
export class ByteWriter {
  private buf = new Uint8Array(64);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private reserve(n: number): number {
    const at = this.length;
    if (at + n > this.buf.length) {
      let cap = this.buf.length * 2;
      while (cap < at + n) cap *= 2;
      const next = new Uint8Array(cap);
      next.set(this.buf.subarray(0, this.length));
      this.buf = next;
      this.view = new DataView(next.buffer);
    }
    this.length += n;
    return at;
  }
  // reserve() may replace the buffer, so it runs before `this.view` is read.
  u8(v: number): this { const at = this.reserve(1); this.view.setUint8(at, v); return this; }
  u16(v: number): this { const at = this.reserve(2); this.view.setUint16(at, v, true); return this; }
  u32(v: number): this { const at = this.reserve(4); this.view.setUint32(at, v >>> 0, true); return this; }
  i32(v: number): this { const at = this.reserve(4); this.view.setInt32(at, v | 0, true); return this; }
  i16(v: number): this { const at = this.reserve(2); this.view.setInt16(at, v, true); return this; }
  u64(v: bigint): this { const at = this.reserve(8); this.view.setBigUint64(at, BigInt.asUintN(64, v), true); return this; }
  bytes(b: Uint8Array): this { const at = this.reserve(b.length); this.buf.set(b, at); return this; }
  /** The bytes written so far (a copy). */
  finish(): Uint8Array { return this.buf.slice(0, this.length); }
}

/** Lower-case hex of bytes, no separators (the scenario format). */
export function toHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/** Parse hex bytes; whitespace between bytes is allowed. Returns undefined on malformed input. */
export function fromHex(text: string): Uint8Array | undefined {
  const clean = text.replace(/\s+/g, '');
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) return undefined;
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

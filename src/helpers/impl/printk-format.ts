/**
 * The format strings of bpf_trace_printk, bpf_trace_vprintk and bpf_snprintf: the kernel's
 * checks (bpf_bprintf_prepare() in kernel/bpf/helpers.c, 6.18) and the subset of the kernel's
 * vsnprintf they allow.
 *
 * Accepted: `%%`; flags `0 + - space`, a width; `%d %i %u %x %X` with `l`/`ll`; `%c`; `%s`,
 * `%pks`, `%pus` (strings read from memory; unreadable memory prints as empty); `%p`, `%pK`,
 * `%px`, `%ps`, `%pS`, `%pB` (pointers); `%pI4 %pi4 %pI6 %pi6` (addresses read from memory).
 * Anything else, a non-printable or non-ASCII byte, a missing NUL, or more conversions than
 * arguments is -EINVAL, as in the kernel.
 *
 * Where tsbpf cannot print what the kernel prints: the kernel hashes plain `%p` pointers and
 * resolves `%ps`/`%pS`/`%pB` to symbol names; tsbpf prints every pointer as 16 hex digits.
 */
import { EINVAL } from '../../uapi/errno.ts';

/** One parsed piece of a format: literal text or a conversion. */
type Piece =
  | { readonly kind: 'text'; readonly text: string }
  | {
      readonly kind: 'conv';
      /** d i u x X c s p4 p6 (IPv4/IPv6) ptr */
      readonly conv: string;
      readonly flags: string;
      readonly width: number;
      /** Bytes of the integer argument: 4 or 8. */
      readonly size: 4 | 8;
      /** For addresses: 'I' (plain) or 'i' (zero padded). */
      readonly variant?: string;
    };

const isPrint = (c: number): boolean => c >= 0x20 && c < 0x7f;
const isSpace = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d);
const isPunct = (c: number): boolean => isPrint(c) && !isSpace(c) && !/[0-9A-Za-z]/.test(String.fromCharCode(c));
const ch = (s: string): number => s.charCodeAt(0);

/**
 * Parse and check a format (the bytes up to, not including, its NUL) for `numArgs` arguments.
 * Returns the pieces, or -EINVAL as the kernel does.
 */
export function parseFormat(fmt: Uint8Array, numArgs: number): Piece[] | number {
  const at = (i: number): number => (i < fmt.length ? fmt[i]! : 0);
  const pieces: Piece[] = [];
  let text = '';
  let specs = 0;
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt[i]!;
    if ((!isPrint(c) && !isSpace(c)) || c > 0x7f) return -EINVAL;
    if (c !== ch('%')) {
      text += String.fromCharCode(c);
      continue;
    }
    if (at(i + 1) === ch('%')) {
      text += '%';
      i++;
      continue;
    }
    if (specs >= numArgs) return -EINVAL;
    if (text !== '') pieces.push({ kind: 'text', text });
    text = '';
    i++;
    let flags = '';
    while ('0+- '.includes(String.fromCharCode(at(i))) && at(i) !== 0) flags += String.fromCharCode(fmt[i++]!);
    let width = 0;
    if (at(i) >= ch('1') && at(i) <= ch('9')) {
      while (at(i) >= ch('0') && at(i) <= ch('9')) width = width * 10 + (fmt[i++]! - ch('0'));
    }
    const base = { kind: 'conv' as const, flags, width };
    const c0 = at(i);
    if (c0 === ch('p')) {
      const c1 = at(i + 1);
      if ((c1 === ch('k') || c1 === ch('u')) && at(i + 2) === ch('s')) {
        i += 2;
        if (!stringEndsWell(at(i + 1))) return -EINVAL;
        pieces.push({ ...base, conv: 's', size: 8 });
      } else if (c1 === 0 || isSpace(c1) || isPunct(c1) || 'KxsSB'.includes(String.fromCharCode(c1))) {
        // A plain pointer. The kernel's parser steps over the next character whatever it is;
        // vsnprintf then prints a space or punctuation that follows `%p` as text.
        if ('KxsSB'.includes(String.fromCharCode(c1))) i++;
        pieces.push({ ...base, conv: 'ptr', size: 8 });
      } else if ((c1 === ch('i') || c1 === ch('I')) && (at(i + 2) === ch('4') || at(i + 2) === ch('6'))) {
        pieces.push({ ...base, conv: at(i + 2) === ch('4') ? 'p4' : 'p6', size: 8, variant: String.fromCharCode(c1) });
        i += 2;
      } else return -EINVAL;
    } else if (c0 === ch('s')) {
      if (!stringEndsWell(at(i + 1))) return -EINVAL;
      pieces.push({ ...base, conv: 's', size: 8 });
    } else if (c0 === ch('c')) {
      pieces.push({ ...base, conv: 'c', size: 4 });
    } else {
      let size: 4 | 8 = 4;
      if (at(i) === ch('l')) { size = 8; i++; }
      if (at(i) === ch('l')) { size = 8; i++; }
      const conv = String.fromCharCode(at(i));
      if (!'iduxX'.includes(conv) || at(i) === 0) return -EINVAL;
      pieces.push({ ...base, conv, size });
    }
    specs++;
  }
  if (text !== '') pieces.push({ kind: 'text', text });
  return pieces;
}

/** A `%s` must be followed by the end, a space or punctuation (kernel rule). */
function stringEndsWell(next: number): boolean {
  return next === 0 || isSpace(next) || isPunct(next);
}

/** Reads memory for `%s` and addresses; undefined when the memory is not readable. */
export interface FormatMemory {
  readString(ptr: bigint, maxBytes: number): string | undefined;
  readBytes(ptr: bigint, size: number): Uint8Array | undefined;
}

/** Longest string `%s` copies (the kernel's bprintf argument buffer is 512 bytes). */
const MAX_STRING_BYTES = 512;

/** Render parsed pieces with their arguments (u64 each), as the kernel's vsnprintf would. */
export function renderFormat(pieces: readonly Piece[], args: readonly bigint[], mem: FormatMemory): string {
  let out = '';
  let argIdx = 0;
  for (const p of pieces) {
    if (p.kind === 'text') {
      out += p.text;
      continue;
    }
    const arg = args[argIdx++] ?? 0n;
    out += pad(convert(p, arg, mem), p.flags, p.width, numericConv(p.conv));
  }
  return out;
}

function numericConv(conv: string): boolean {
  return 'iduxX'.includes(conv);
}

function convert(p: Extract<Piece, { kind: 'conv' }>, arg: bigint, mem: FormatMemory): string {
  const bits = p.size * 8;
  switch (p.conv) {
    case 'd':
    case 'i': {
      const v = BigInt.asIntN(bits, arg);
      if (v < 0n) return `-${(-v).toString()}`;
      return (p.flags.includes('+') ? '+' : p.flags.includes(' ') ? ' ' : '') + v.toString();
    }
    case 'u':
      return BigInt.asUintN(bits, arg).toString();
    case 'x':
      return BigInt.asUintN(bits, arg).toString(16);
    case 'X':
      return BigInt.asUintN(bits, arg).toString(16).toUpperCase();
    case 'c':
      return String.fromCharCode(Number(arg & 0xffn));
    case 's':
      return mem.readString(arg, MAX_STRING_BYTES) ?? '';
    case 'p4': {
      const b = mem.readBytes(arg, 4) ?? new Uint8Array(4);
      return [...b].map((x) => (p.variant === 'i' ? String(x).padStart(3, '0') : String(x))).join('.');
    }
    case 'p6': {
      const b = mem.readBytes(arg, 16) ?? new Uint8Array(16);
      const groups: string[] = [];
      for (let i = 0; i < 16; i += 2) groups.push(((b[i]! << 8) | b[i + 1]!).toString(16).padStart(4, '0'));
      return groups.join(p.variant === 'i' ? '' : ':');
    }
    default: // ptr
      return BigInt.asUintN(64, arg).toString(16).padStart(16, '0');
  }
}

/** Apply width, '-' (left) and '0' (zero fill, numbers only, after the sign) as vsnprintf does. */
function pad(s: string, flags: string, width: number, numeric: boolean): string {
  if (s.length >= width) return s;
  if (flags.includes('-')) return s.padEnd(width, ' ');
  if (numeric && flags.includes('0')) {
    const sign = /^[-+ ]/.test(s) ? s[0]! : '';
    return sign + s.slice(sign.length).padStart(width - sign.length, '0');
  }
  return s.padStart(width, ' ');
}

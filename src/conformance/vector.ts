/**
 * Parsing of bpf_conformance `.data` files: sections opened by `-- NAME` lines.
 * `asm` (program text), `raw` (hex-encoded instructions), `mem` (initial memory, hex bytes),
 * `result` (expected r0, hex), `error` (the program must be refused; optional expected text).
 * Other sections (`c`, `no register offset`) are informative and kept as text.
 */
import { BpfError } from '../util/errors.ts';
import { fromHex } from '../util/bytes.ts';
import { EINVAL } from '../uapi/errno.ts';

export interface ConformanceVector {
  readonly name: string;
  /** Program text in the suite's assembly syntax, when the file has an `asm` section. */
  readonly asm?: string;
  /** Encoded instructions, when the file has a `raw` section. */
  readonly raw?: Uint8Array;
  /** Initial memory handed to the program in r1 (length in r2). */
  readonly mem: Uint8Array;
  /** Expected r0 as an unsigned 64-bit value. */
  readonly result?: bigint;
  /** Present when the program must be refused; the expected message text ('' when none given). */
  readonly error?: string;
}

/** Parse one `.data` file. Throws BpfError(EINVAL) for a file that is not in the format. */
export function parseVector(name: string, text: string): ConformanceVector {
  const sections = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of text.split(/\r?\n/)) {
    const header = /^--\s*(.+?)\s*$/.exec(line);
    if (header?.[1] !== undefined) {
      current = [];
      sections.set(header[1], current);
      continue;
    }
    current?.push(line);
  }
  const body = (key: string): string | undefined => sections.get(key)?.join('\n');
  const stripComments = (s: string): string => s.split('\n').map((l) => l.replace(/#.*$/, '')).join('\n');

  const memText = body('mem');
  const mem = memText === undefined ? new Uint8Array(0) : fromHex(stripComments(memText));
  if (mem === undefined) throw new BpfError(EINVAL, `${name}: the mem section is not hex bytes`);

  const rawText = body('raw');
  const raw = rawText === undefined ? undefined : parseRaw(stripComments(rawText));
  if (rawText !== undefined && raw === undefined) throw new BpfError(EINVAL, `${name}: the raw section is not hex bytes`);

  const resultText = body('result')?.replace(/#.*$/gm, '').trim();
  let result: bigint | undefined;
  if (resultText !== undefined && resultText !== '') {
    if (!/^(0x[0-9a-fA-F]+|-?\d+)$/.test(resultText)) throw new BpfError(EINVAL, `${name}: bad result '${resultText}'`);
    result = BigInt.asUintN(64, BigInt(resultText));
  }
  const errorText = body('error');
  const asm = body('asm');
  if (asm === undefined && raw === undefined) throw new BpfError(EINVAL, `${name}: no asm or raw section`);
  if (result === undefined && errorText === undefined) throw new BpfError(EINVAL, `${name}: no result or error section`);

  return {
    name,
    mem,
    ...(asm !== undefined ? { asm } : {}),
    ...(raw !== undefined ? { raw } : {}),
    ...(result !== undefined ? { result } : {}),
    ...(errorText !== undefined ? { error: errorText.trim() } : {}),
  };
}

/**
 * A `raw` section: either hex bytes (`95 00 00 00 00 00 00 00`) or one `0x`-prefixed 64-bit word
 * per instruction slot, stored little endian (`0x0000000000000095`).
 */
function parseRaw(text: string): Uint8Array | undefined {
  const words = text.split(/\s+/).filter((w) => w !== '');
  if (words.length === 0 || !words.every((w) => /^0x[0-9a-fA-F]{1,16}$/.test(w))) return fromHex(text);
  const out = new Uint8Array(words.length * 8);
  const view = new DataView(out.buffer);
  words.forEach((w, i) => view.setBigUint64(i * 8, BigInt(w), true));
  return out;
}

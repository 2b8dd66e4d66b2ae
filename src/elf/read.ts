/**
 * Reading primitives shared by the ELF parsers: a file reader whose overruns throw ElfError, u64
 * fields that must fit a JS number, and string tables. Works in node / browser.
 */
import { ByteReader } from '../util/bytes.ts';
import { ElfError } from '../util/errors.ts';

/** Where an error was found, for messages: "section 5 '.relxdp'". */
export interface SectionRef {
  readonly index: number;
  readonly name: string;
}

/** "section 5 '.relxdp'" (or "section 5" before names are known). */
export function describeSection(s: SectionRef): string {
  return s.name === '' ? `section ${s.index}` : `section ${s.index} '${s.name}'`;
}

/** An ElfError located in a section. */
export function sectionError(s: SectionRef, message: string, offset?: number): ElfError {
  const where = offset === undefined ? { section: s.name } : { section: s.name, offset };
  return new ElfError(`${describeSection(s)}: ${message}`, where);
}

/** A reader over the whole file whose overruns throw ElfError prefixed with `context`. */
export function fileReader(bytes: Uint8Array, context: string, section?: string): ByteReader {
  return new ByteReader(bytes, (message, offset) =>
    new ElfError(`${context}: ${message}`, section === undefined ? { offset } : { section, offset }));
}

/**
 * A u64 field that must fit a JS number (offsets, sizes, values). Throws ElfError naming the field
 * above Number.MAX_SAFE_INTEGER instead of losing precision.
 */
export function readU64AsNumber(r: ByteReader, offset: number, field: string, section?: string): number {
  const v = r.u64(offset);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new ElfError(`${field} at offset ${offset} is too large (${v})`, section === undefined ? { offset } : { section, offset });
  }
  return Number(v);
}

/** True when `size` bytes at `offset` lie inside a buffer of `length` bytes (no overflow in the sum). */
export function inBounds(offset: number, size: number, length: number): boolean {
  return offset >= 0 && size >= 0 && offset <= length && size <= length - offset;
}

const DECODER = new TextDecoder('utf-8', { fatal: false });

/**
 * A string table (SHT_STRTAB). Each NUL-terminated run is decoded at most once and cached by
 * offset, so lookups cost O(table size) in total whatever the number of names pointing into it:
 * a crafted file with thousands of symbols naming the same long string cannot make parsing
 * quadratic. Offsets into the middle of a run (suffix sharing, as linkers do for ".rel.text" and
 * ".text") are served from the decoded run when it is ASCII.
 */
export class StringTable {
  private readonly data: Uint8Array;
  private readonly owner: SectionRef;
  private readonly fileOffset: number;
  private readonly cache = new Map<number, string>();
  /** Decoded runs by start offset, filled lazily, with whether the run is pure ASCII. */
  private readonly runs = new Map<number, { text: string; ascii: boolean }>();
  private nulPositions: number[] | undefined;

  constructor(data: Uint8Array, owner: SectionRef, fileOffset: number) {
    this.data = data;
    this.owner = owner;
    this.fileOffset = fileOffset;
  }

  /** The string at `offset`; throws ElfError (naming `user`) if it is outside the table or unterminated. */
  get(offset: number, user: string): string {
    const cached = this.cache.get(offset);
    if (cached !== undefined) return cached;
    if (offset < 0 || offset >= this.data.length) {
      throw sectionError(this.owner, `${user}: name offset ${offset} is outside the ${this.data.length}-byte string table`, this.fileOffset);
    }
    const end = this.nextNul(offset);
    if (end < 0) {
      throw sectionError(this.owner, `${user}: string at offset ${offset} is not NUL-terminated`, this.fileOffset + offset);
    }
    const start = this.runStart(offset);
    let run = this.runs.get(start);
    if (run === undefined) {
      const bytes = this.data.subarray(start, end);
      run = { text: DECODER.decode(bytes), ascii: bytes.every((b) => b < 0x80) };
      this.runs.set(start, run);
    }
    const s = run.ascii ? run.text.slice(offset - start) : DECODER.decode(this.data.subarray(offset, end));
    this.cache.set(offset, s);
    return s;
  }

  /** Sorted positions of every NUL byte, built once on first use (bounded by the table size). */
  private nuls(): number[] {
    if (this.nulPositions === undefined) {
      const out: number[] = [];
      for (let i = this.data.indexOf(0); i >= 0; i = this.data.indexOf(0, i + 1)) out.push(i);
      this.nulPositions = out;
    }
    return this.nulPositions;
  }

  /** Index into nuls() of the first NUL at or after `offset`, or nuls().length. */
  private firstNulIndex(offset: number): number {
    const n = this.nuls();
    let lo = 0;
    let hi = n.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((n[mid] as number) < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private nextNul(offset: number): number {
    const n = this.nuls();
    return n[this.firstNulIndex(offset)] ?? -1;
  }

  private runStart(offset: number): number {
    const i = this.firstNulIndex(offset);
    const prev = i > 0 ? this.nuls()[i - 1] : undefined;
    return prev === undefined ? 0 : prev + 1;
  }
}

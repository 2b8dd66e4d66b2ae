/**
 * Shared helpers for the btf/ tests: loading the committed fixtures through elf/, and a tiny
 * `.BTF` builder for hand-made (and deliberately broken) type graphs. Test-only (Node).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseElf } from '../elf/index.ts';
import { ByteWriter } from '../util/bytes.ts';

export const PROGS = join(import.meta.dirname, '../../testdata/progs');

/** The .BTF, .BTF.ext and a code section's bytes of a committed fixture object. */
export function loadSections(object: string): { btf: Uint8Array; ext: Uint8Array; section: (name: string) => Uint8Array } {
  const elf = parseElf(new Uint8Array(readFileSync(join(PROGS, object))));
  const get = (name: string): Uint8Array => {
    const s = elf.sectionByName(name);
    if (s === undefined) throw new Error(`${object} has no ${name}`);
    return s.data;
  };
  return { btf: get('.BTF'), ext: get('.BTF.ext'), section: get };
}

export function fixtureText(name: string): string {
  return readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8');
}

/** Builds raw .BTF: strings are interned; each type is given as u32 words after the name. */
export class BtfBuilder {
  private readonly strs: string[] = [''];
  private readonly strOff = new Map<string, number>([['', 0]]);
  private strLen = 1;
  private readonly words: number[] = [];

  str(s: string): number {
    const known = this.strOff.get(s);
    if (known !== undefined) return known;
    const off = this.strLen;
    this.strOff.set(s, off);
    this.strs.push(s);
    this.strLen += new TextEncoder().encode(s).length + 1;
    return off;
  }

  /** Appends a btf_type (name, kind, vlen, kflag, size_or_type) and its trailing u32 words. */
  type(name: string, kind: number, vlen: number, sizeOrType: number, extra: number[] = [], kflag = false): this {
    this.words.push(this.str(name), ((kflag ? 1 : 0) << 31 | kind << 24 | vlen) >>> 0, sizeOrType, ...extra);
    return this;
  }

  int(name: string, size: number, signed = false): this {
    return this.type(name, 1, 0, size, [((signed ? 1 : 0) << 24) | size * 8]);
  }

  /** Members as [name, type, bitOffset]. */
  struct(name: string, size: number, members: [string, number, number][], union = false): this {
    return this.type(name, union ? 5 : 4, members.length, size, members.flatMap(([n, t, o]) => [this.str(n), t, o]));
  }

  build(): Uint8Array {
    const w = new ByteWriter();
    const typeLen = this.words.length * 4;
    w.u16(0xeb9f).u8(1).u8(0).u32(24).u32(0).u32(typeLen).u32(typeLen).u32(this.strLen);
    for (const x of this.words) w.u32(x);
    const enc = new TextEncoder();
    for (const s of this.strs) w.bytes(enc.encode(s)).u8(0);
    return w.finish();
  }
}

/**
 * Test-only helpers (Node): reading the committed objects and the tool outputs recorded next to
 * the tests (`llvm-objdump-19 -d --no-show-raw-insn` and `bpftool btf dump file`), parsed with
 * plain text rules that share nothing with the loader.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const PROGS = join(import.meta.dirname, '../../testdata/progs');

/** The bytes of a committed object. */
export function object(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(PROGS, name)));
}

export function fixture(name: string): string {
  return readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8');
}

/** A function as llvm-objdump shows it: its section, and its size in instruction slots. */
export interface ObjdumpFunc { readonly name: string; readonly section: string; readonly slots: number }

/** Functions of an `llvm-objdump -d --no-show-raw-insn` listing. */
export function objdumpFunctions(text: string): ObjdumpFunc[] {
  const out: { name: string; section: string; first: number; last: number; lastWide: boolean }[] = [];
  let section = '';
  for (const line of text.split('\n')) {
    const sec = /^Disassembly of section (.*):$/.exec(line);
    if (sec) { section = sec[1]!; continue; }
    const fn = /^[0-9a-f]{16} <(.*)>:$/.exec(line);
    if (fn) { out.push({ name: fn[1]!, section, first: -1, last: -1, lastWide: false }); continue; }
    const insn = /^\s+(\d+):\s+(.*)$/.exec(line);
    const cur = out[out.length - 1];
    if (insn && cur) {
      const idx = Number(insn[1]);
      if (cur.first === -1) cur.first = idx;
      cur.last = idx;
      cur.lastWide = insn[2]!.endsWith(' ll');
    }
  }
  return out.map((f) => ({ name: f.name, section: f.section, slots: f.last - f.first + (f.lastWide ? 2 : 1) }));
}

/** A map definition read from `bpftool btf dump file` text. */
export interface BtfDumpMap {
  readonly name: string;
  readonly fields: Map<string, number>;
  /** Sizes of the types `key`/`value` point at, when given as types. */
  readonly keyTypeId?: number;
  readonly valueTypeId?: number;
}

/** The `.maps` DATASEC's maps with their `__uint` fields (the array lengths behind the pointers). */
export function bpftoolMaps(text: string): BtfDumpMap[] {
  const types = new Map<number, { head: string; members: string[] }>();
  let cur: { head: string; members: string[] } | undefined;
  for (const line of text.split('\n')) {
    const t = /^\[(\d+)\] (.*)$/.exec(line);
    if (t) { cur = { head: t[2]!, members: [] }; types.set(Number(t[1]), cur); continue; }
    if (cur && line.startsWith('\t')) cur.members.push(line.trim());
  }
  const typeOf = (id: number) => types.get(id)!;
  const maps: BtfDumpMap[] = [];
  const sec = [...types.values()].find((t) => t.head.startsWith("DATASEC '.maps'"));
  for (const v of sec?.members ?? []) {
    const m = /type_id=(\d+) .*\(VAR '(.*)'\)/.exec(v)!;
    const varT = typeOf(Number(m[1]));
    let structId = Number(/type_id=(\d+)/.exec(varT.head)![1]);
    while (!typeOf(structId).head.startsWith('STRUCT')) structId = Number(/type_id=(\d+)/.exec(typeOf(structId).head)![1]);
    const fields = new Map<string, number>();
    let keyTypeId: number | undefined, valueTypeId: number | undefined;
    for (const mem of typeOf(structId).members) {
      const mm = /^'(.*)' type_id=(\d+)/.exec(mem)!;
      const ptr = typeOf(Number(mm[2]));
      const target = Number(/type_id=(\d+)/.exec(ptr.head)![1]);
      const arr = /^ARRAY .* nr_elems=(\d+)/.exec(typeOf(target)?.head ?? '');
      if (mm[1] === 'key') keyTypeId = target;
      else if (mm[1] === 'value') valueTypeId = target;
      else if (arr && ptr.head.startsWith('PTR')) fields.set(mm[1]!, Number(arr[1]));
    }
    maps.push({ name: m[2]!, fields, ...(keyTypeId !== undefined ? { keyTypeId } : {}), ...(valueTypeId !== undefined ? { valueTypeId } : {}) });
  }
  return maps;
}

/** Slots of the main function of a linked program (up to the first appended subprogram). */
export function mainSlots(functions: ReadonlyMap<number, string>, totalSlots: number): number {
  const starts = [...functions.keys()].filter((k) => k > 0);
  return starts.length === 0 ? totalSlots : Math.min(...starts);
}

/** Total slots of an instruction list. */
export function slotCount(insns: readonly { code: number }[]): number {
  let n = 0;
  for (const i of insns) n += i.code === 0x18 ? 2 : 1;
  return n;
}

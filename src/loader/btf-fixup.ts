/**
 * libbpf's btf_fixup_datasec(): clang leaves DATASEC sizes and variable offsets at 0 in object
 * files, and libbpf fills them from the ELF section sizes and symbol values before using or
 * loading the BTF. This does the same on a copy of the `.BTF` bytes and re-parses it, so map
 * definitions, global variables and the special fields of global data see real offsets.
 * Works in node / browser.
 */
import { parseBtf, type Btf } from '../btf/index.ts';
import {
  BTF_KIND_ARRAY, BTF_KIND_DATASEC, BTF_KIND_DECL_TAG, BTF_KIND_ENUM, BTF_KIND_ENUM64, BTF_KIND_FUNC_PROTO,
  BTF_KIND_INT, BTF_KIND_STRUCT, BTF_KIND_UNION, BTF_KIND_VAR,
} from '../btf/index.ts';
import type { ElfFile } from '../elf/index.ts';
import { SHN_UNDEF, STT_SECTION } from '../elf/index.ts';
import { ByteReader, ByteWriter } from '../util/bytes.ts';
import { LoaderError } from './errors.ts';

/** Bytes that follow the 12-byte common header of a type of this kind. */
function extraBytes(kind: number, vlen: number): number {
  switch (kind) {
    case BTF_KIND_INT: case BTF_KIND_VAR: case BTF_KIND_DECL_TAG: return 4;
    case BTF_KIND_ARRAY: return 12;
    case BTF_KIND_STRUCT: case BTF_KIND_UNION: case BTF_KIND_DATASEC: case BTF_KIND_ENUM64: return 12 * vlen;
    case BTF_KIND_ENUM: case BTF_KIND_FUNC_PROTO: return 8 * vlen;
    default: return 0;
  }
}

/**
 * The BTF with every DATASEC of an ELF section given its section size and its variables their
 * symbol offsets. Returns `btf` itself when nothing changes.
 * Variables without a symbol keep their BTF offset. @throws {BtfError} only if the patched BTF
 * no longer validates (a variable moved outside its section).
 */
export function fixupDatasecs(elf: ElfFile, btf: Btf): Btf {
  const bytes = btf.bytes.slice();
  const r = new ByteReader(bytes, (m, off) => new LoaderError(`.BTF: ${m} at offset ${off}`, { section: '.BTF' }));
  const put = (at: number, v: number): void => bytes.set(new ByteWriter().u32(v).finish(), at);
  let pos = btf.header.hdrLen + btf.header.typeOff;
  let changed = false;
  for (let id = 1; id < btf.types.length; id++) {
    const info = r.u32(pos + 4);
    const kind = (info >>> 24) & 0x1f, vlen = info & 0xffff;
    const t = btf.types[id];
    if (kind === BTF_KIND_DATASEC && t !== undefined && t.kind === 'datasec') {
      const sec = elf.sectionByName(t.name);
      if (sec !== undefined) {
        if (r.u32(pos + 8) !== sec.size) { put(pos + 8, sec.size); changed = true; }
        t.vars.forEach((vi, j) => {
          const name = btf.typeById(vi.type).name;
          const sym = elf.symbols.find((s) => s.shndx === sec.index && s.shndx !== SHN_UNDEF && s.type !== STT_SECTION && s.name === name);
          if (sym !== undefined && sym.value !== vi.offset) { put(pos + 12 + 12 * j + 4, sym.value); changed = true; }
        });
      }
    }
    pos += 12 + extraBytes(kind, vlen);
  }
  return changed ? parseBtf(bytes) : btf;
}

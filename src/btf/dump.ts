/**
 * Text dump of a BTF type list in the format of `bpftool btf dump file X format raw`, so tests can
 * compare our parse against bpftool's byte for byte and humans can read a type graph.
 * Works in node / browser.
 */
import type { Btf } from './btf.ts';
import type { BtfType } from './types.ts';

function quoted(name: string): string {
  return `'${name === '' ? '(anon)' : name}'`;
}

/** One type in bpftool's raw format, e.g. `[2] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED`. */
export function formatTypeRaw(btf: Btf, t: BtfType): string {
  const head = `[${t.id}] ${t.kind.toUpperCase()} ${quoted(t.name)}`;
  switch (t.kind) {
    case 'void': return `[0] VOID`;
    case 'int': {
      const enc = t.signed ? 'SIGNED' : t.char ? 'CHAR' : t.bool ? 'BOOL' : '(none)';
      return `${head} size=${t.size} bits_offset=${t.bitOffset} nr_bits=${t.bits} encoding=${enc}`;
    }
    case 'ptr': case 'typedef': case 'volatile': case 'const': case 'restrict': case 'type_tag':
      return `${head} type_id=${t.type}`;
    case 'array': return `${head} type_id=${t.type} index_type_id=${t.indexType} nr_elems=${t.nelems}`;
    case 'struct': case 'union':
      return head + ` size=${t.size} vlen=${t.members.length}` + t.members.map((m) =>
        `\n\t${quoted(m.name)} type_id=${m.type} bits_offset=${m.bitOffset}` + (m.bitfieldSize ? ` bitfield_size=${m.bitfieldSize}` : '')).join('');
    case 'enum': case 'enum64': {
      const suffix = t.kind === 'enum64' ? (t.signed ? 'LL' : 'ULL') : '';
      return head + ` encoding=${t.signed ? 'SIGNED' : 'UNSIGNED'} size=${t.size} vlen=${t.values.length}` +
        t.values.map((v) => `\n\t${quoted(v.name)} val=${v.value}${suffix}`).join('');
    }
    case 'fwd': return `${head} fwd_kind=${t.fwdKind}`;
    case 'func': return `${head} type_id=${t.type} linkage=${t.linkage}`;
    case 'func_proto': {
      const params = t.params.map((p) => `\n\t${quoted(p.name)} type_id=${p.type}`);
      if (t.variadic) params.push(`\n\t'(anon)' type_id=0`);
      return `${head} ret_type_id=${t.returnType} vlen=${params.length}` + params.join('');
    }
    case 'var': return `${head} type_id=${t.type}, linkage=${t.linkage}`;
    case 'datasec':
      return head + ` size=${t.size} vlen=${t.vars.length}` + t.vars.map((v) => {
        const vt = btf.types[v.type];
        return `\n\ttype_id=${v.type} offset=${v.offset} size=${v.size} (${vt === undefined ? '?' : vt.kind.toUpperCase()} ${quoted(vt?.name ?? '')})`;
      }).join('');
    case 'float': return `${head} size=${t.size}`;
    case 'decl_tag': return `${head} type_id=${t.type} component_idx=${t.componentIdx}`;
  }
}

/** Every type but void, one per line (members indented), as `bpftool btf dump ... format raw` prints. */
export function formatBtfRaw(btf: Btf): string {
  return btf.types.slice(1).map((t) => formatTypeRaw(btf, t)).join('\n') + '\n';
}

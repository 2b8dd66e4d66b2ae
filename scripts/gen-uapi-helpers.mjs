#!/usr/bin/env node
// Regenerates src/uapi/helpers.ts from a C header that defines the helper ids.
// Accepts either the kernel's include/uapi/linux/bpf.h (the __BPF_FUNC_MAPPER list of
// `FN(name, id, ...)` entries) or a `bpftool btf dump file /sys/kernel/btf/vmlinux format c`
// dump (`BPF_FUNC_name = id,` inside `enum bpf_func_id`), so the table can be checked against
// the running kernel as well as the source.
//
// usage: node scripts/gen-uapi-helpers.mjs <header> [version-label] > src/uapi/helpers.ts
import { readFileSync } from 'node:fs';

const [file, label = '6.18'] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: gen-uapi-helpers.mjs <bpf.h or vmlinux.h> [version-label]\n');
  process.exit(2);
}
const text = readFileSync(file, 'utf8');
const ids = new Map();

const enumBody = /enum bpf_func_id\s*\{([^}]*)\}/.exec(text);
if (enumBody && /BPF_FUNC_\w+\s*=\s*\d+/.test(enumBody[1])) {
  for (const m of enumBody[1].matchAll(/\bBPF_FUNC_(\w+)\s*=\s*(\d+)/g)) ids.set(m[1], Number(m[2]));
} else {
  const start = text.indexOf('#define ___BPF_FUNC_MAPPER');
  if (start < 0) throw new Error(`${file}: no numbered helper list; pass a 6.2+ bpf.h (FN(name, id, ...)) or a vmlinux.h dump`);
  const end = text.indexOf('\n\n', start);
  for (const m of text.slice(start, end).matchAll(/FN\((\w+),\s*(\d+)/g)) ids.set(m[1], Number(m[2]));
}
const entries = [...ids].sort((a, b) => a[1] - b[1]);
entries.forEach(([name, id], i) => {
  if (id !== i) throw new Error(`helper ids are not dense: ${name} = ${id} at position ${i}`);
});
if (entries.length === 0 || entries[0][0] !== 'unspec') throw new Error('helper 0 must be unspec');

const out = [];
out.push(`// DO NOT EDIT: generated from include/uapi/linux/bpf.h (${label}) by scripts/gen-uapi-helpers.mjs.`);
out.push('/**');
out.push(' * BPF helper ids (`enum bpf_func_id`), with name lookups in both directions.');
out.push(' * Leaf module: no logic beyond lookup. Works in node / browser.');
out.push(' */');
out.push('');
for (const [name, id] of entries) out.push(`export const BPF_FUNC_${name} = ${id};`);
out.push('');
out.push('/** One past the last helper id, as the kernel\'s `__BPF_FUNC_MAX_ID`. */');
out.push(`export const __BPF_FUNC_MAX_ID = ${entries.length};`);
out.push('');
out.push('/** Helper names without the `bpf_` prefix, indexed by id. */');
out.push('export const HELPER_NAMES = [');
for (const [name] of entries) out.push(`  '${name}',`);
out.push('] as const;');
out.push('');
out.push('/** The name of a helper as it appears after `bpf_` (for example `map_lookup_elem`). */');
out.push('export type HelperName = (typeof HELPER_NAMES)[number];');
out.push('');
out.push('const idsByName: ReadonlyMap<string, number> = new Map(HELPER_NAMES.map((n, i) => [n, i]));');
out.push('');
out.push('/**');
out.push(' * The helper name for an id, without the `bpf_` prefix: `helperName(1) === \'map_lookup_elem\'`.');
out.push(' * Returns undefined for ids the kernel does not define (including negative or fractional ids).');
out.push(' */');
out.push('export function helperName(id: number): string | undefined {');
out.push('  return Number.isInteger(id) ? HELPER_NAMES[id] : undefined;');
out.push('}');
out.push('');
out.push('/** The helper id for a name given with or without the `bpf_` prefix; undefined if unknown. */');
out.push('export function helperId(name: string): number | undefined {');
out.push("  return idsByName.get(name.startsWith('bpf_') ? name.slice(4) : name);");
out.push('}');
process.stdout.write(out.join('\n') + '\n');

/**
 * The checks libbpf and the kernel make at load that depend only on the spec, so that a runtime
 * (or a user editing a spec) learns about them before creating anything: programs without a type
 * (unknown section names), map types the kernel does not define, map-in-map without an inner
 * template, initial slots naming what does not exist. Works in node / browser.
 */
import { BPF_MAP_TYPE_ARRAY_OF_MAPS, BPF_MAP_TYPE_HASH_OF_MAPS, BPF_MAP_TYPE_PROG_ARRAY, BPF_PROG_TYPE_UNSPEC, isMapType, isProgType } from '../uapi/bpf.ts';
import { LoaderError } from './errors.ts';
import type { CollectionSpec, MapSpec, ProgramSpec } from './spec.ts';

/**
 * Problems that would make libbpf's load refuse `prog`, in libbpf's words.
 */
export function programProblems(prog: ProgramSpec): LoaderError[] {
  const out: LoaderError[] = [];
  const where = { prog: prog.name, section: prog.sectionName };
  if (prog.type === BPF_PROG_TYPE_UNSPEC) {
    out.push(new LoaderError(`prog '${prog.name}': missing BPF prog type, check ELF section name '${prog.sectionName}'`, where));
  } else if (!isProgType(prog.type)) {
    out.push(new LoaderError(`prog '${prog.name}': unknown program type ${prog.type}`, where));
  }
  return out;
}

/** Problems that would make map creation fail for `map`. */
export function mapProblems(map: MapSpec, spec: CollectionSpec): LoaderError[] {
  const out: LoaderError[] = [];
  const where = { map: map.name };
  if (!isMapType(map.type)) out.push(new LoaderError(`map '${map.name}': unsupported map type ${map.type}`, where));
  const inMap = map.type === BPF_MAP_TYPE_ARRAY_OF_MAPS || map.type === BPF_MAP_TYPE_HASH_OF_MAPS;
  if (inMap && map.innerMap === undefined) out.push(new LoaderError(`map '${map.name}': map-in-map without an inner map definition (use __array(values, ...))`, where));
  if (map.innerMap !== undefined) out.push(...mapProblems(map.innerMap, spec));
  (map.initialSlots ?? []).forEach((name, i) => {
    if (name === undefined) return;
    if (i >= map.maxEntries) out.push(new LoaderError(`map '${map.name}': initial slot ${i} is beyond max_entries ${map.maxEntries}`, where));
    if (inMap && !spec.maps.has(name)) out.push(new LoaderError(`map '${map.name}': initial slot ${i} names map '${name}', which does not exist`, where));
    if (map.type === BPF_MAP_TYPE_PROG_ARRAY && !spec.programs.has(name)) out.push(new LoaderError(`map '${map.name}': initial slot ${i} names program '${name}', which does not exist`, where));
  });
  if (map.contents !== undefined && map.contents.length !== map.valueSize) {
    out.push(new LoaderError(`map '${map.name}': initial value is ${map.contents.length} bytes, value_size is ${map.valueSize}`, where));
  }
  return out;
}

/**
 * Throws the first problem that would make loading `spec` fail (see programProblems and
 * mapProblems). Programs whose name is in `skip` are not checked (libbpf's autoload off).
 * @throws {LoaderError} EINVAL naming the program or map. Works in node / browser.
 */
export function checkLoadable(spec: CollectionSpec, skip: ReadonlySet<string> = new Set()): void {
  for (const m of spec.maps.values()) {
    const p = mapProblems(m, spec)[0];
    if (p !== undefined) throw p;
  }
  for (const prog of spec.programs.values()) {
    if (skip.has(prog.name)) continue;
    const p = programProblems(prog)[0];
    if (p !== undefined) throw p;
  }
}

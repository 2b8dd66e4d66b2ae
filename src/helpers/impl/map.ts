/**
 * Map helpers bound to a runtime: bpf_map_lookup_elem, bpf_map_update_elem, bpf_map_delete_elem,
 * bpf_map_push_elem, bpf_map_pop_elem, bpf_map_peek_elem and bpf_map_lookup_percpu_elem. R1 is
 * the map's `struct bpf_map *`, resolved through the runtime's registry; the operations are the
 * maps' own BPF-side ops (kernel/bpf/helpers.c), on the CPU of the run. Works in node / browser.
 */
import type { HelperFn } from '../../vm/abi.ts';
import type { BpfMap } from '../../maps/map.ts';
import { isPercpuType } from '../../maps/map.ts';
import { RunError } from '../../util/errors.ts';
import { hex64, u64 } from '../../util/u64.ts';
import { EINVAL } from '../../uapi/errno.ts';
import type { RunBinding } from './run-state.ts';

/** The map at `ptr`, or a RunError naming the call (the verifier makes this unreachable). */
export function mapArg(binding: RunBinding, ptr: bigint, insnIdx: number): BpfMap {
  const map = binding.mapAt(ptr);
  if (map === undefined || map.destroyed) {
    throw new RunError(`${hex64(ptr)} is not a map (insn ${insnIdx})`, insnIdx, EINVAL);
  }
  return map;
}

/** The map helpers, keyed by the names of their ids. */
export function mapHelpers(binding: RunBinding): Record<'lookup' | 'update' | 'delete' | 'push' | 'pop' | 'peek' | 'lookupPercpu', HelperFn> {
  const cpu = (): number => binding.run().cpu;
  return {
    lookup: (env, map, key) => mapArg(binding, map, env.insnIdx).lookupElem(key, cpu()),
    update: (env, map, key, value, flags) => u64(BigInt(mapArg(binding, map, env.insnIdx).updateElem(key, value, flags, cpu()))),
    delete: (env, map, key) => u64(BigInt(mapArg(binding, map, env.insnIdx).deleteElem(key, cpu()))),
    push: (env, map, value, flags) => u64(BigInt(mapArg(binding, map, env.insnIdx).pushElem(value, flags, cpu()))),
    pop: (env, map, value) => u64(BigInt(mapArg(binding, map, env.insnIdx).popElem(value, cpu()))),
    peek: (env, map, value) => u64(BigInt(mapArg(binding, map, env.insnIdx).peekElem(value, cpu()))),
    /**
     * void *bpf_map_lookup_percpu_elem(map, key, u32 cpu): NULL when `cpu` is not a possible CPU
     * (percpu_array_map_lookup_percpu_elem / htab_percpu_map_lookup_percpu_elem).
     */
    lookupPercpu: (env, map, key, cpuArg) => {
      const m = mapArg(binding, map, env.insnIdx);
      const c = Number(cpuArg & 0xffff_ffffn);
      if (!isPercpuType(m.type) || c >= m.nCpus) return 0n;
      return m.lookupElem(key, c);
    },
  };
}

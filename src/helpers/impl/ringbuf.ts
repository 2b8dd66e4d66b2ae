/**
 * Ring buffer helpers (kernel/bpf/ringbuf.c): bpf_ringbuf_output, bpf_ringbuf_reserve,
 * bpf_ringbuf_submit, bpf_ringbuf_discard and bpf_ringbuf_query, over RingBufMap. R1 of
 * output/reserve/query is the map; submit and discard receive only the sample, so the helpers
 * remember which ring buffer each reservation came from (the verifier makes a program release
 * every reservation before it exits, so the record is per program). Works in node / browser.
 */
import type { HelperFn } from '../../vm/abi.ts';
import type { Region } from '../../vm/memory.ts';
import { RingBufMap } from '../../maps/ringbuf.ts';
import { RunError } from '../../util/errors.ts';
import { EINVAL } from '../../uapi/errno.ts';
import { hex64, u64 } from '../../util/u64.ts';
import type { RunBinding } from './run-state.ts';
import { mapArg } from './map.ts';

export function ringbufHelpers(binding: RunBinding): Record<'output' | 'reserve' | 'submit' | 'discard' | 'query', HelperFn> {
  /** Ring buffers by their data region, filled as reservations are made. */
  const byRegion = new Map<Region, RingBufMap>();
  const ringbuf = (ptr: bigint, insnIdx: number): RingBufMap => {
    const map = mapArg(binding, ptr, insnIdx);
    if (!(map instanceof RingBufMap)) throw new RunError(`map '${map.name}' is not a ring buffer (insn ${insnIdx})`, insnIdx, EINVAL);
    byRegion.set(map.region, map);
    return map;
  };
  const commit = (discard: boolean): HelperFn => (env, sample, flags) => {
    const region = env.memory.find(sample, 1);
    const map = region === undefined ? undefined : byRegion.get(region);
    if (map === undefined) throw new RunError(`${hex64(sample)} is not a reserved ring buffer sample (insn ${env.insnIdx})`, env.insnIdx, EINVAL);
    map.commit(sample, flags, discard);
    return 0n;
  };
  return {
    output: (env, map, data, size, flags) => u64(BigInt(ringbuf(map, env.insnIdx).output(data, size, flags))),
    reserve: (env, map, size, flags) => ringbuf(map, env.insnIdx).reserve(size, flags),
    submit: commit(false),
    discard: commit(true),
    query: (env, map, flags) => ringbuf(map, env.insnIdx).query(flags),
  };
}

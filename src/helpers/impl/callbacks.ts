/**
 * Helpers that call back into BPF code: bpf_loop (kernel/bpf/bpf_iter.c) and
 * bpf_for_each_map_elem (the maps' map_for_each_callback: bpf_for_each_array_elem in arraymap.c,
 * bpf_for_each_hash_elem in hashtab.c). Callbacks run through HelperEnv.callFunction on a fresh
 * stack, with the kernel's argument lists, flag checks, stop rule (a non-zero return stops) and
 * return values (the number of callbacks made). Works in node / browser.
 */
import type { HelperFn } from '../../vm/abi.ts';
import { BPF_MAX_LOOPS } from '../../vm/abi.ts';
import { ArrayMap } from '../../maps/array.ts';
import { E_IN_TABLE, HTAB_ELEM_HDR, HashMap } from '../../maps/hash.ts';
import { offToPtr } from '../../maps/map.ts';
import { E2BIG, EINVAL } from '../../uapi/errno.ts';
import { u64 } from '../../util/u64.ts';
import { mapArg } from './map.ts';
import type { RunBinding } from './run-state.ts';

const NEG_EINVAL = u64(BigInt(-EINVAL));

/** bpf_loop and bpf_for_each_map_elem. */
export function callbackHelpers(binding: RunBinding): Record<'loop' | 'forEachMapElem', HelperFn> {
  return {
    /**
     * long bpf_loop(u32 nr_loops, callback_fn, void *callback_ctx, u64 flags): flags must be 0
     * (-EINVAL); more than BPF_MAX_LOOPS (1 << 23) iterations is -E2BIG; callback(i, ctx) for each
     * i until it returns non-zero; returns the number of iterations made (the stopping one counted).
     */
    loop: (env, nrLoops, fn, ctx, flags) => {
      if (flags !== 0n) return NEG_EINVAL;
      const n = Number(nrLoops & 0xffff_ffffn);
      // The verifier inlines bpf_loop when flags is the constant 0 (inline_bpf_loop), and the
      // inlined code sets -E2BIG with a 32-bit move: r0 is 0x00000000fffffff9, not -7 as a 64-bit
      // value (confirmed on 6.18: testdata/scenarios/helpers_bpf_loop). Clang always passes a
      // constant here, so tsbpf returns what the inlined code returns.
      if (n > BPF_MAX_LOOPS) return BigInt.asUintN(32, BigInt(-E2BIG));
      // One argument list for every iteration: engines copy R1..R5 in on entry.
      const args = [0n, ctx, 0n, 0n, 0n];
      for (let i = 0; i < n; i++) {
        args[0] = BigInt(i);
        const ret = env.callFunction(fn, args);
        if (ret !== 0n) return BigInt(i + 1);
      }
      return BigInt(n);
    },
    /**
     * long bpf_for_each_map_elem(map, callback_fn, void *callback_ctx, u64 flags): flags must be 0;
     * callback(map, &key, &value, ctx) per element (per-CPU maps: this CPU's value); returns the
     * number of elements visited.
     */
    forEachMapElem: (env, mapPtr, fn, ctx, flags) => {
      const map = mapArg(binding, mapPtr, env.insnIdx);
      if (flags !== 0n) return NEG_EINVAL;
      const cpu = binding.run().cpu;
      let visited = 0;
      if (map instanceof ArrayMap) {
        // The kernel passes the address of a local u32; here a small read-only region per call.
        const keyRegion = env.memory.alloc(4, { kind: 'scratch', name: `${map.name}.for_each_key`, writable: false });
        try {
          for (let i = 0; i < map.maxEntries; i++) {
            visited++;
            env.memory.dataView().setUint32(keyRegion.offset, i, true);
            const ret = env.callFunction(fn, [mapPtr, keyRegion.ptr, offToPtr(map.valueOff(i, cpu)), ctx, 0n]);
            if (ret !== 0n) break;
          }
        } finally {
          env.memory.free(keyRegion);
        }
        return BigInt(visited);
      }
      if (map instanceof HashMap) {
        // Bucket by bucket; an element deleted by an earlier callback is skipped, as the kernel's
        // RCU walk no longer finds it.
        for (let b = 0; b < map.nBuckets; b++) {
          for (const idx of bucketChain(map, b)) {
            const e = map.elemOff(idx);
            if (env.memory.dataView().getUint8(e + E_IN_TABLE) === 0) continue;
            visited++;
            const ret = env.callFunction(fn, [mapPtr, offToPtr(e + HTAB_ELEM_HDR), offToPtr(map.valueAt(idx, cpu)), ctx, 0n]);
            if (ret !== 0n) return BigInt(visited);
          }
        }
        return BigInt(visited);
      }
      // Other map types have no map_for_each_callback: the verifier refuses the call.
      return NEG_EINVAL;
    },
  };
}

/** Element numbers of bucket `b` (a snapshot: callbacks may change the chain). */
function bucketChain(map: HashMap, b: number): number[] {
  const dv = map.space.dataView();
  const out: number[] = [];
  for (let link = dv.getUint32(map.bucketsOff + 4 * b, true); link !== 0; link = dv.getUint32(map.elemOff(link - 1), true)) out.push(link - 1);
  return out;
}

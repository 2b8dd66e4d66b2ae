/**
 * The runtime's helpers in WebAssembly, for the JIT: the hot helpers of a loaded program run in
 * its own module instead of costing a JS round trip each (about 18 ns, as much as the kernel's
 * whole hash lookup). Chosen per call site, with the JS helper as the reference and the fallback:
 *
 * - bpf_map_lookup_elem on an array or per-CPU array whose map is known at the call (R1 constant):
 *   the index check and the address computation in line, as the kernel's array_map_gen_lookup;
 * - bpf_map_lookup_elem, bpf_map_update_elem and bpf_map_delete_elem on a hash, per-CPU hash, LRU
 *   or per-CPU LRU hash without special fields (htab-ops.ts), one shared function per map;
 * - bpf_ktime_get_ns on the virtual clock (time does not move during a run) and
 *   bpf_get_smp_processor_id, from values set at each entry into the module;
 * - bpf_get_prandom_u32, one step of the runtime's generator, whose state is in linear memory
 *   (random.ts), so JS helpers and every program draw from one sequence.
 *
 * Everything else, and calls whose map is only known at run time, use the JS helpers. For XDP
 * and skb programs (tc, socket filter, cgroup skb, lwt) the verified context loads are also read
 * in line from the test run in progress (ctx-layouts.ts), guarded by the context's pointer:
 * xdp_md's fields from their converted values (xdp-run.ts), __sk_buff's packet pointers from
 * theirs and its other fields from the context's own bytes (skb-run.ts).
 * Works in node / browser.
 */
import type { EntryValue, InlineCtxLookup, InlineHelper, InlineHelperContext, InlineHelperLookup, SharedFunction } from '../../jit/inline.ts';
import { I64 } from '../../jit/wasm/opcodes.ts';
import { ArrayMap } from '../../maps/array.ts';
import type { HelperFn } from '../../vm/abi.ts';
import { ADDR_BASE } from '../../vm/memory.ts';
import { VirtualClock } from '../../timers/virtual-clock.ts';
import {
  CLOCK_MONOTONIC,
} from '../../uapi/bpf.ts';
import {
  BPF_FUNC_get_prandom_u32, BPF_FUNC_get_smp_processor_id, BPF_FUNC_ktime_get_ns, BPF_FUNC_map_delete_elem, BPF_FUNC_map_lookup_elem,
  BPF_FUNC_map_update_elem,
} from '../../uapi/helpers.ts';
import type { Runtime } from '../runtime.ts';
import { ctxKindOf } from '../ctx-layouts.ts';
import { skbCtxLoad } from '../skb-run.ts';
import { xdpConvertedOffset } from '../xdp-run.ts';
import { FALLBACK, buildDelete, buildLookup, buildUpdate } from './htab-ops.ts';
import { htabLayout, type HtabLayout } from './htab.ts';
import { MAX_INLINE_KEY_BYTES } from './jhash.ts';
import { FnBuilder } from './fn-builder.ts';
import type { SharedRandom } from './random.ts';

/** Entry value indices. */
const EV_CPU = 0;
const EV_MONOTONIC_NS = 1;
/**
 * XDP and skb programs: the context of the test run in progress (ctx-layouts.ts), where its
 * converted values are, and (skb) where its plain fields are.
 */
const EV_CTX = 2;
const EV_CTX_VALUES = 3;
const EV_CTX_BYTES = 4;
/** EV_CTX outside test runs: no context pointer is ever all ones. */
const NO_CTX = -1n;

/** What the JIT takes: the call-site lookup, the entry values it reads, the context loads in line. */
export interface WasmHelpers {
  readonly helpers: InlineHelperLookup;
  readonly entryValues: readonly EntryValue[];
  readonly ctxLoads?: InlineCtxLookup;
}

/**
 * The Wasm helpers of a program of `runtime` whose JS helpers are `table` (only helpers the table
 * has are replaced, so a program type without a helper still fails where the JS table would).
 * With the program type, also its context field loads that can be read in line (XDP and skb
 * programs, from the test run in progress).
 */
export function wasmHelpers(runtime: Runtime, table: ReadonlyMap<number, HelperFn>, progType?: number): WasmHelpers {
  const kind = ctxKindOf(progType);
  const layouts = runtime.ctxLayouts;
  const entryValues: EntryValue[] = [
    { type: 'i32', read: () => runtime.currentCpu },
    { type: 'i64', read: () => runtime.clock.nowNs(CLOCK_MONOTONIC) },
    { type: 'i64', read: () => (kind === undefined ? undefined : layouts.current(kind))?.ctx ?? NO_CTX },
    { type: 'i32', read: () => (kind === undefined ? undefined : layouts.current(kind))?.values ?? 0 },
    { type: 'i32', read: () => (kind === undefined ? undefined : layouts.current(kind))?.bytes ?? 0 },
  ];
  let ctxLoads: InlineCtxLookup | undefined;
  if (kind === 'xdp') {
    ctxLoads = (off, size) => {
      const at = xdpConvertedOffset(off, size);
      return at === undefined ? undefined : { fieldOff: off, ctxPtr: EV_CTX, valuesAt: EV_CTX_VALUES, offset: at, size: 8 };
    };
  } else if (kind === 'skb') {
    ctxLoads = (off, size) => {
      const l = skbCtxLoad(off, size);
      if (l === undefined) return undefined;
      return { fieldOff: off, ctxPtr: EV_CTX, valuesAt: l.converted ? EV_CTX_VALUES : EV_CTX_BYTES, offset: l.offset, size: l.size };
    };
  }
  const virtualTime = runtime.clock instanceof VirtualClock;
  const helpers: InlineHelperLookup = (site) => {
    if (!table.has(site.helperId)) return undefined;
    switch (site.helperId) {
      case BPF_FUNC_ktime_get_ns:
        return virtualTime ? { emit: (c) => { c.entryValue(EV_MONOTONIC_NS); } } : undefined;
      case BPF_FUNC_get_smp_processor_id:
        return { emit: (c) => { c.entryValue(EV_CPU); c.w.op('i64.extend_i32_u'); } };
      case BPF_FUNC_get_prandom_u32:
        return { emit: (c) => { c.w.call(c.shared('prandom', () => prandomFunction(runtime.random))); } };
      case BPF_FUNC_map_lookup_elem:
      case BPF_FUNC_map_update_elem:
      case BPF_FUNC_map_delete_elem: {
        const map = site.r1 === undefined ? undefined : runtime.binding.mapAt(site.r1);
        if (map === undefined || map.destroyed) return undefined;
        if (map instanceof ArrayMap) return site.helperId === BPF_FUNC_map_lookup_elem ? arrayLookup(map) : undefined;
        const layout = htabLayout(map);
        if (layout === undefined || layout.keySize > MAX_INLINE_KEY_BYTES) return undefined;
        return htabHelper(site.helperId, layout);
      }
      default:
        return undefined;
    }
  };
  return { helpers, entryValues, ...(ctxLoads !== undefined ? { ctxLoads } : {}) };
}

/**
 * array_map_lookup_elem / percpu_array_map_lookup_elem in line: the u32 index, the bounds check,
 * the value address of this CPU's copy (array.ts valueOff).
 */
function arrayLookup(map: ArrayMap): InlineHelper {
  return {
    emit: (c) => {
      const w = c.w;
      const idx = c.scratch32;
      c.arg(2);
      w.op('i32.wrap_i64').mem('i32.load', 0).tee(idx).i32(map.maxEntries).op('i32.lt_u');
      w.open('if', I64);
      w.get(idx).i32(map.elemSize).op('i32.mul');
      if (map.percpu) {
        c.entryValue(EV_CPU);
        w.i32(map.maxEntries * map.elemSize).op('i32.mul').op('i32.add');
      }
      w.op('i64.extend_i32_u').i64(ADDR_BASE + BigInt(map.values.offset)).op('i64.add');
      w.op('else').i64(0n).op('end');
    },
  };
}

/** bpf_get_prandom_u32: one step of the runtime's shared generator. */
function prandomFunction(random: SharedRandom): SharedFunction {
  const f = new FnBuilder([], [I64]);
  const s = [f.i32Local(), f.i32Local(), f.i32Local(), f.i32Local()] as const;
  random.emitNext(f.w, s, f.i32Local());
  return f.finish();
}

/** Hash map helpers: a call of the map's shared function (the JS helper when it says FALLBACK). */
function htabHelper(id: number, L: HtabLayout): InlineHelper {
  return {
    emit: (c: InlineHelperContext) => {
      const w = c.w;
      switch (id) {
        case BPF_FUNC_map_lookup_elem:
          c.arg(2);
          c.entryValue(EV_CPU);
          w.call(c.shared(`htab_lookup:${L.mapId}`, () => buildLookup(L)));
          return;
        case BPF_FUNC_map_delete_elem:
          c.arg(2);
          c.entryValue(EV_CPU);
          w.call(c.shared(`htab_delete:${L.mapId}`, () => buildDelete(L)));
          return;
        default: {
          c.arg(2);
          c.arg(3);
          c.arg(4);
          c.entryValue(EV_CPU);
          w.call(c.shared(`htab_update:${L.mapId}`, () => buildUpdate(L)));
          if (!L.lru) return;
          const r0 = c.scratch64[0];
          w.tee(r0).i64(FALLBACK).op('i64.eq').open('if', I64);
          c.callHost();
          w.op('else').get(r0).op('end');
        }
      }
    },
  };
}

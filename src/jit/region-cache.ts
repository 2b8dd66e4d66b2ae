/**
 * The access caches of checked mode, seen from JS: the read and the write cache are each one
 * region (a pointer and, per access size, how many start pointers are inside, in Wasm globals),
 * filled by the imports that handle a miss. JS keeps the Region objects behind them, and empties
 * a cache whose region was freed or got field hooks: at each entry into the module and after each
 * JS helper call, the only places a region can be freed while code of the module may run. Regions
 * with field hooks never enter a cache. Works in node / browser.
 */
import type { Region } from '../vm/memory.ts';
import { G_RLO, G_RSPAN, G_WLO, G_WSPAN } from './emit.ts';
import type { WasmGlobal } from './wasm/host.ts';

/** The regions behind the read and write cache globals. */
export interface RegionCache {
  read: Region | undefined;
  write: Region | undefined;
}

const ACCESS_SIZES = [1, 2, 4, 8] as const;

/**
 * Install `r` in the access caches (reads always; writes when the region is writable). Regions
 * with field hooks (contexts converted at run time) never enter the cache: every access to them
 * goes through the load / store imports.
 */
export function install(globals: readonly WasmGlobal[], cache: RegionCache, r: Region | undefined): void {
  if (r === undefined || r.fields !== undefined) return;
  if (cache.read !== r) {
    setSpans(globals, G_RLO, G_RSPAN, r);
    cache.read = r;
  }
  if (r.writable && cache.write !== r) {
    setSpans(globals, G_WLO, G_WSPAN, r);
    cache.write = r;
  }
}

/** Point one cache at `r` (or empty it): per access size, how many start pointers are inside. */
function setSpans(globals: readonly WasmGlobal[], lo: number, spans: readonly number[], r: Region | undefined): void {
  const span = r?.sizeBytes ?? 0;
  globals[lo]!.value = r?.ptr ?? 0n;
  ACCESS_SIZES.forEach((s, i) => { globals[spans[i]!]!.value = BigInt(Math.max(0, span - s + 1)); });
}

/** Empty a cache whose region was freed or has field hooks now. */
export function validateCache(globals: readonly WasmGlobal[], cache: RegionCache): void {
  const { read, write } = cache;
  if (read !== undefined && (!read.live || read.fields !== undefined)) {
    setSpans(globals, G_RLO, G_RSPAN, undefined);
    cache.read = undefined;
  }
  if (write !== undefined && (!write.live || write.fields !== undefined)) {
    setSpans(globals, G_WLO, G_WSPAN, undefined);
    cache.write = undefined;
  }
}

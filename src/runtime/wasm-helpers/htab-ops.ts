/**
 * bpf_map_lookup_elem, bpf_map_update_elem and bpf_map_delete_elem of hash and LRU hash maps as
 * Wasm functions, step for step the BPF-side methods of src/maps/hash.ts (lookupElem, updateCore,
 * deleteCore, allocElem, releaseElem) and src/maps/lru-hash.ts (their LRU overrides), which stay
 * the reference. One case is left to the JS helper: an LRU update that would have to evict (an
 * empty free list), detected before anything changes; the function then returns FALLBACK and the
 * call site calls the JS helper instead.
 *
 * Signatures: lookup (key i64, cpu i32) -> i64; update (key i64, value i64, flags i64, cpu i32)
 * -> i64; delete (key i64, cpu i32) -> i64. Works in node / browser.
 */
import { I32, I64 } from '../../jit/wasm/opcodes.ts';
import type { SharedFunction } from '../../jit/inline.ts';
import { ADDR_BASE } from '../../vm/memory.ts';
import { E2BIG, EEXIST, EINVAL, ENOENT } from '../../uapi/errno.ts';
import { BPF_EXIST, BPF_F_LOCK, BPF_NOEXIST } from '../../uapi/bpf.ts';
import { FnBuilder } from './fn-builder.ts';
import { HtabEmitter, type HtabLayout } from './htab.ts';
import { S_EXTRA } from '../../maps/hash.ts';

/** What a function returns to say "use the JS helper" (never a pointer, 0 or -errno). */
export const FALLBACK = 1n;

const neg = (errno: number): bigint => BigInt(-errno);

/** Push the BPF pointer of the address in local `addr`. */
function pointer(f: FnBuilder, addr: number): void {
  f.w.get(addr).op('i64.extend_i32_u').i64(ADDR_BASE).op('i64.add');
}

/** htab_map_lookup_elem / htab_lru_map_lookup_elem (which sets the reference bit). */
export function buildLookup(L: HtabLayout): SharedFunction {
  const f = new FnBuilder([I64, I32], [I64]);
  const [keyPtr, cpu] = [0, 1];
  const key = f.i32Local();
  const hash = f.i32Local();
  const e = f.i32Local();
  const h = new HtabEmitter(f, L);
  const w = f.w;
  w.get(keyPtr).op('i32.wrap_i64').set(key);
  h.hash(key, hash);
  h.find(key, hash, e);
  f.returnIf(() => { w.get(e).op('i32.eqz'); }, () => { w.i64(0n); });
  if (L.lru) h.setRef(e, 1);
  h.valueAt(e, cpu);
  w.set(e);
  pointer(f, e);
  return f.finish();
}

/** htab_map_delete_elem: unlink, then the type's releaseElem. */
export function buildDelete(L: HtabLayout): SharedFunction {
  const f = new FnBuilder([I64, I32], [I64]);
  const keyPtr = 0;
  const key = f.i32Local();
  const hash = f.i32Local();
  const e = f.i32Local();
  const tmp = f.i32Local();
  const h = new HtabEmitter(f, L);
  const w = f.w;
  w.get(keyPtr).op('i32.wrap_i64').set(key);
  h.hash(key, hash);
  h.find(key, hash, e);
  f.returnIf(() => { w.get(e).op('i32.eqz'); }, () => { w.i64(neg(ENOENT)); });
  h.unlink(e);
  releaseElem(h, e, tmp);
  w.i64(0n);
  return f.finish();
}

/** HashMap.releaseElem (pool slot 0) or LruHashMap.releaseElem (off the list, to its owner's free list). */
function releaseElem(h: HtabEmitter, e: number, tmp: number): void {
  const { f, L } = h;
  if (L.lru) {
    h.ownerOf(e, tmp);
    h.listRemove(tmp, e);
    h.freeListOf(tmp, tmp);
  } else {
    h.slotField(undefined, 0);
    f.w.set(tmp);
  }
  h.pushFree(e, tmp);
  h.addCount(-1);
}

/** bpf_map_update_elem: the checks of updateElem, then the type's updateCore. */
export function buildUpdate(L: HtabLayout): SharedFunction {
  const f = new FnBuilder([I64, I64, I64, I32], [I64]);
  const [keyPtr, valuePtr, flags64, cpu] = [0, 1, 2, 3];
  const w = f.w;
  const v = {
    key: f.i32Local(), src: f.i32Local(), flags: f.i32Local(), hash: f.i32Local(),
    old: f.i32Local(), e: f.i32Local(), tmp: f.i32Local(),
  };
  const h = new HtabEmitter(f, L);
  // HashMap.updateElem: flags beyond 32 bits are invalid; then updateCore on the u32.
  f.returnIf(() => { w.get(flags64).i64(0xffff_ffffn).op('i64.gt_u'); }, () => { w.i64(neg(EINVAL)); });
  w.get(flags64).op('i32.wrap_i64').set(v.flags);
  w.get(keyPtr).op('i32.wrap_i64').set(v.key);
  w.get(valuePtr).op('i32.wrap_i64').set(v.src);
  if (L.lru) lruUpdate(h, v, cpu);
  else hashUpdate(h, v, cpu);
  return f.finish();
}

interface UpdateLocals {
  readonly key: number;
  readonly src: number;
  readonly flags: number;
  readonly hash: number;
  readonly old: number;
  readonly e: number;
  readonly tmp: number;
}

/** `flags == k`, pushed. */
function flagsIs(h: HtabEmitter, flags: number, k: number): void {
  h.f.w.get(flags).i32(k).op('i32.eq');
}

/**
 * writeValue from a BPF pointer: this CPU's copy (per-CPU maps: the other CPUs' copies zeroed
 * when `init`).
 */
function writeValue(h: HtabEmitter, e: number, src: number, cpu: number, init: boolean, c: number): void {
  const { f, L } = h;
  const w = f.w;
  if (!L.percpu) {
    h.copyValue(() => { h.valueAt(e, cpu); }, src);
    return;
  }
  if (!init) {
    h.copyValue(() => { h.valueAt(e, cpu); }, src);
    return;
  }
  w.i32(0).set(c);
  w.open('loop');
  w.get(c).get(cpu).op('i32.eq').open('if');
  h.copyValue(() => { h.valueAt(e, c); }, src);
  w.op('else');
  h.valueAt(e, c);
  w.i32(0).i32(L.valueSize).fc('memory.fill').byte(0);
  w.op('end');
  w.get(c).i32(1).op('i32.add').tee(c).i32(L.nCpus).op('i32.lt_u').op('br_if').u32(0);
  w.op('end');
}

/** HashMap.allocElem: `e` = a fresh element (count + 1), or return -E2BIG. */
function hashAllocElem(h: HtabEmitter, e: number, tmp: number): void {
  const { f, L } = h;
  const w = f.w;
  if (!L.prealloc) f.returnIf(() => { h.count(); w.i32(L.maxEntries).op('i32.ge_u'); }, () => { w.i64(neg(E2BIG)); });
  h.slotField(undefined, 0);
  w.set(tmp);
  h.popFree(tmp, e);
  f.returnIf(() => { w.get(e).op('i32.eqz'); }, () => { w.i64(neg(E2BIG)); });
  h.addCount(1);
}

/** HashMap.updateCore (BPF side: fromUser false). */
function hashUpdate(h: HtabEmitter, v: UpdateLocals, cpu: number): void {
  const { f, L } = h;
  const w = f.w;
  // mode = flags & ~BPF_F_LOCK; per-CPU maps compare the whole flags.
  f.returnIf(() => {
    w.get(v.flags);
    if (!L.percpu) w.i32(~BPF_F_LOCK).op('i32.and');
    w.i32(BPF_EXIST).op('i32.gt_u');
  }, () => { w.i64(neg(EINVAL)); });
  // BPF_F_LOCK without a bpf_spin_lock in the value (plain values have none).
  f.returnIf(() => { w.get(v.flags).i32(BPF_F_LOCK).op('i32.and'); }, () => { w.i64(neg(EINVAL)); });
  h.hash(v.key, v.hash);
  h.find(v.key, v.hash, v.old);
  // From here flags has no BPF_F_LOCK bit: mode == flags.
  f.returnIf(() => { w.get(v.old).i32(0).op('i32.ne'); flagsIs(h, v.flags, BPF_NOEXIST); w.op('i32.and'); }, () => { w.i64(neg(EEXIST)); });
  f.returnIf(() => { w.get(v.old).op('i32.eqz'); flagsIs(h, v.flags, BPF_EXIST); w.op('i32.and'); }, () => { w.i64(neg(ENOENT)); });
  if (L.percpu) {
    w.get(v.old).open('if');
    writeValue(h, v.old, v.src, cpu, false, v.tmp);
    w.i64(0n).op('return').op('end');
    hashAllocElem(h, v.e, v.tmp);
    h.prepare(v.e, v.key, v.hash);
    writeValue(h, v.e, v.src, cpu, true, v.tmp);
    h.link(v.e, v.hash);
    w.i64(0n);
    return;
  }
  w.get(v.old).open('if');
  if (L.useExtra) {
    // Swap with this CPU's spare: the old element becomes the spare.
    w.get(cpu).i32(L.nCpus).op('i32.rem_u').set(v.tmp);
    h.slotField(v.tmp, S_EXTRA);
    w.set(v.tmp);
    w.get(v.tmp).mem('i32.load', 0).set(v.e);
    f.store32(v.tmp, 0, () => { h.linkOf(v.old); });
    // e holds a link: make it an element offset.
    w.get(v.e).i32(L.elemSize).op('i32.mul').i32(L.elemsOff - L.elemSize).op('i32.add').set(v.e);
  } else {
    h.slotField(undefined, 0);
    w.set(v.tmp);
    h.popFree(v.tmp, v.e);
    f.returnIf(() => { w.get(v.e).op('i32.eqz'); }, () => { w.i64(neg(E2BIG)); });
  }
  w.op('else');
  hashAllocElem(h, v.e, v.tmp);
  w.op('end');
  h.prepare(v.e, v.key, v.hash);
  writeValue(h, v.e, v.src, cpu, true, v.tmp);
  h.link(v.e, v.hash);
  w.get(v.old).open('if');
  h.unlink(v.old);
  if (!L.useExtra) {
    h.slotField(undefined, 0);
    w.set(v.tmp);
    h.pushFree(v.old, v.tmp);
  }
  w.op('end');
  w.i64(0n);
}

/** LruHashMap.updateCore (BPF side). */
function lruUpdate(h: HtabEmitter, v: UpdateLocals, cpu: number): void {
  const { f, L } = h;
  const w = f.w;
  f.returnIf(() => { w.get(v.flags).i32(BPF_EXIST).op('i32.gt_u'); }, () => { w.i64(neg(EINVAL)); });
  h.hash(v.key, v.hash);
  w.i32(0).set(v.e);
  // A fresh element first (prealloc_lru_pop), unless a per-CPU map only replaces (BPF_EXIST).
  const needFresh = (): void => {
    if (L.percpu) flagsIs(h, v.flags, BPF_EXIST);
    else w.i32(0);
    w.op('i32.eqz');
  };
  needFresh();
  w.open('if');
  h.lruSlotOf(cpu, v.tmp);
  h.freeListOf(v.tmp, v.old);
  // An empty free list means an eviction: left to the JS helper, before anything changed.
  f.returnIf(() => { w.get(v.old).mem('i32.load', 0).op('i32.eqz'); }, () => { w.i64(FALLBACK); });
  h.popFree(v.old, v.e);
  h.setRef(v.e, 0);
  h.listInsertHead(v.tmp, v.e);
  h.addCount(1);
  h.prepare(v.e, v.key, v.hash);
  w.op('end');
  h.find(v.key, v.hash, v.old);
  const failWith = (cond: () => void, errno: number): void => {
    cond();
    w.open('if');
    w.get(v.e).open('if');
    releaseElem(h, v.e, v.tmp);
    w.op('end');
    w.i64(neg(errno)).op('return').op('end');
  };
  failWith(() => { w.get(v.old).i32(0).op('i32.ne'); flagsIs(h, v.flags, BPF_NOEXIST); w.op('i32.and'); }, EEXIST);
  failWith(() => { w.get(v.old).op('i32.eqz'); flagsIs(h, v.flags, BPF_EXIST); w.op('i32.and'); }, ENOENT);
  if (L.percpu) {
    w.get(v.old).open('if');
    h.setRef(v.old, 1);
    writeValue(h, v.old, v.src, cpu, false, v.tmp);
    w.get(v.e).open('if');
    releaseElem(h, v.e, v.tmp);
    w.op('end');
    w.i64(0n).op('return').op('end');
  }
  writeValue(h, v.e, v.src, cpu, true, v.tmp);
  h.link(v.e, v.hash);
  w.get(v.old).open('if');
  h.setRef(v.e, 1);
  h.unlink(v.old);
  releaseElem(h, v.old, v.tmp);
  w.op('end');
  w.i64(0n);
}

/**
 * The hash table of src/maps/hash.ts (and the LRU lists of lru-hash.ts) as WebAssembly
 * primitives: the same layout, read from the map objects and the layout constants hash.ts
 * exports, and the same steps as the TypeScript methods they mirror (find, link, unlink, the free
 * lists, the LRU list). hash.ts is the reference: its module comment documents the layout, and
 * the differential tests run both on random operation sequences and compare the tables byte for
 * byte. Everything here is specialised for one map (its offsets and sizes are constants of the
 * generated code). Works in node / browser.
 */
import { HashMap, E_HASH, E_IN_TABLE, E_LRU_CPU, E_LRU_NEXT, E_LRU_PREV, E_NEXT, E_REF, HTAB_ELEM_HDR, S_FREE, S_LRU_HEAD, S_LRU_TAIL } from '../../maps/hash.ts';
import { LruHashMap } from '../../maps/lru-hash.ts';
import type { BpfMap } from '../../maps/map.ts';
import { BPF_F_NO_COMMON_LRU } from '../../uapi/bpf.ts';
import type { FnBuilder } from './fn-builder.ts';
import { emitKeyHash } from './jhash.ts';

/** Header bytes before the CPU slots, and bytes per slot (hash.ts layout). */
const HDR_BYTES = 32;
const SLOT_BYTES = 16;
/** Offset of `count` in the header. */
const H_COUNT = 4;

/** One hash map's layout, as constants of the generated code. */
export interface HtabLayout {
  readonly mapId: number;
  readonly lru: boolean;
  /** BPF_F_NO_COMMON_LRU: a list and free list per CPU. */
  readonly percpuLru: boolean;
  readonly percpu: boolean;
  readonly prealloc: boolean;
  /** Replacements swap with the CPU's spare element (plain prealloc hash). */
  readonly useExtra: boolean;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly nCpus: number;
  readonly seed: number;
  readonly nBuckets: number;
  readonly tableOff: number;
  readonly bucketsOff: number;
  readonly elemsOff: number;
  readonly elemSize: number;
  readonly valueOff: number;
  readonly cpuStride: number;
}

/** True when the map's values have no special fields (no hooks to run, plain value copies). */
export function hasPlainValues(map: BpfMap): boolean {
  return map.record.error !== undefined || map.record.fields.length === 0;
}

/**
 * The layout of `map` when the Wasm implementation covers it: BPF_MAP_TYPE_HASH, PERCPU_HASH,
 * LRU_HASH and LRU_PERCPU_HASH without special fields. Subclasses with behaviour of their own
 * (hash of maps) are left to the JS helpers.
 */
export function htabLayout(map: BpfMap): HtabLayout | undefined {
  if (!(map instanceof HashMap) || !hasPlainValues(map)) return undefined;
  const proto = Object.getPrototypeOf(map) as unknown;
  const lru = proto === LruHashMap.prototype;
  if (!lru && proto !== HashMap.prototype) return undefined;
  return {
    mapId: map.id, lru, percpuLru: lru && (map.flags & BPF_F_NO_COMMON_LRU) !== 0, percpu: map.percpu,
    prealloc: map.prealloc, useExtra: !lru && map.prealloc && !map.percpu,
    keySize: map.keySize, valueSize: map.valueSize, maxEntries: map.maxEntries, nCpus: map.nCpus, seed: map.seed,
    nBuckets: map.nBuckets, tableOff: map.table.offset, bucketsOff: map.bucketsOff, elemsOff: map.elemsOff,
    elemSize: map.elemSize, valueOff: map.valueOff, cpuStride: map.cpuStride,
  };
}

/** Emits the table's primitives into one function. Element references are i32 offsets (0 = none). */
export class HtabEmitter {
  readonly f: FnBuilder;
  readonly L: HtabLayout;
  /** Scratch locals of the primitives. */
  private readonly t1: number;
  private readonly t2: number;
  private readonly t3: number;

  constructor(f: FnBuilder, layout: HtabLayout) {
    this.f = f;
    this.L = layout;
    this.t1 = f.i32Local();
    this.t2 = f.i32Local();
    this.t3 = f.i32Local();
  }

  /** Push the element offset of the link (element number + 1) on the stack top. */
  private elemOfLinkOnStack(): void {
    this.f.w.i32(this.L.elemSize).op('i32.mul').i32(this.L.elemsOff - this.L.elemSize).op('i32.add');
  }

  /** Push the link (element number + 1) of the element at local `e`. */
  linkOf(e: number): void {
    this.f.w.get(e).i32(this.L.elemsOff).op('i32.sub').i32(this.L.elemSize).op('i32.div_u').i32(1).op('i32.add');
  }

  /** Push the bucket address of the hash in local `hash`. */
  private bucketOf(hash: number): void {
    this.f.w.get(hash).i32(this.L.nBuckets - 1).op('i32.and').i32(2).op('i32.shl').i32(this.L.bucketsOff).op('i32.add');
  }

  /** Push the address of CPU slot field `field` for the slot number in local `slot` (or slot 0). */
  slotField(slot: number | undefined, field: number): void {
    const w = this.f.w;
    if (slot === undefined) {
      w.i32(this.L.tableOff + HDR_BYTES + field);
      return;
    }
    w.get(slot).i32(SLOT_BYTES).op('i32.mul').i32(this.L.tableOff + HDR_BYTES + field).op('i32.add');
  }

  /** Push whether the key at element `e` equals the key at local `key` (keySize bytes). */
  private keyEq(e: number, key: number): void {
    const w = this.f.w;
    let off = 0;
    let first = true;
    for (const size of chunks(this.L.keySize)) {
      const load = size === 8 ? 'i64.load' : size === 4 ? 'i32.load' : size === 2 ? 'i32.load16_u' : 'i32.load8_u';
      w.get(e).mem(load, HTAB_ELEM_HDR + off).get(key).mem(load, off).op(size === 8 ? 'i64.eq' : 'i32.eq');
      if (!first) w.op('i32.and');
      first = false;
      off += size;
    }
  }

  /** `out = htabHash(key)`. */
  hash(key: number, out: number): void {
    emitKeyHash(this.f, key, this.L.keySize, this.L.seed, out);
  }

  /** lookup_elem_raw: `out` = the element holding the key at local `key` with hash `hash`, or 0. */
  find(key: number, hash: number, out: number): void {
    const w = this.f.w;
    const link = this.t1;
    this.bucketOf(hash);
    w.mem('i32.load', 0).set(link).i32(0).set(out);
    w.open('block').open('loop');
    w.get(link).op('i32.eqz').op('br_if').u32(1);
    w.get(link);
    this.elemOfLinkOnStack();
    w.set(this.t2);
    w.get(this.t2).mem('i32.load', E_HASH).get(hash).op('i32.eq').open('if');
    this.keyEq(this.t2, key);
    w.open('if').get(this.t2).set(out).br(3).op('end');
    w.op('end');
    w.get(this.t2).mem('i32.load', E_NEXT).set(link).br(0);
    w.op('end').op('end');
  }

  /** Links element `e` (key and hash written) at the head of its bucket. */
  link(e: number, hash: number): void {
    const w = this.f.w;
    const b = this.t1;
    this.bucketOf(hash);
    w.set(b);
    this.f.store32(e, E_NEXT, () => { w.get(b).mem('i32.load', 0); });
    this.f.store8(e, E_IN_TABLE, 1);
    this.f.store32(b, 0, () => { this.linkOf(e); });
  }

  /** Removes element `e` from its bucket chain. */
  unlink(e: number): void {
    const w = this.f.w;
    const at = this.t1;
    const target = this.t2;
    const l = this.t3;
    w.get(e).mem('i32.load', E_HASH).set(target);
    this.bucketOf(target);
    w.set(at);
    this.linkOf(e);
    w.set(target);
    w.open('block').open('loop');
    w.get(at).mem('i32.load', 0).tee(l).op('i32.eqz').op('br_if').u32(1);
    w.get(l).get(target).op('i32.eq').open('if');
    this.f.store32(at, 0, () => { w.get(e).mem('i32.load', E_NEXT); });
    this.f.store8(e, E_IN_TABLE, 0);
    w.br(2).op('end');
    w.get(l);
    this.elemOfLinkOnStack();
    w.set(at).br(0);
    w.op('end').op('end');
  }

  /** Writes key and hash into element `e` (no special fields to clear). */
  prepare(e: number, key: number, hash: number): void {
    const w = this.f.w;
    w.get(e).i32(HTAB_ELEM_HDR).op('i32.add').get(key).i32(this.L.keySize).fc('memory.copy').byte(0).byte(0);
    this.f.store32(e, E_HASH, () => { w.get(hash); });
  }

  /** Pops the free list at address local `s`: `out` = the element, or 0 when empty. */
  popFree(s: number, out: number): void {
    const w = this.f.w;
    w.i32(0).set(out);
    w.get(s).mem('i32.load', 0).tee(this.t1).open('if');
    w.get(this.t1);
    this.elemOfLinkOnStack();
    w.set(out);
    this.f.store32(s, 0, () => { w.get(out).mem('i32.load', E_NEXT); });
    w.op('end');
  }

  /** Pushes element `e` on the free list at address local `s`. */
  pushFree(e: number, s: number): void {
    const w = this.f.w;
    this.f.store32(e, E_NEXT, () => { w.get(s).mem('i32.load', 0); });
    this.f.store8(e, E_IN_TABLE, 0);
    this.f.store32(s, 0, () => { this.linkOf(e); });
  }

  /** count += delta. */
  addCount(delta: 1 | -1): void {
    const w = this.f.w;
    const at = this.L.tableOff + H_COUNT;
    w.i32(0).i32(0).mem('i32.load', at).i32(delta).op('i32.add').mem('i32.store', at);
  }

  /** Push count. */
  count(): void {
    this.f.w.i32(0).mem('i32.load', this.L.tableOff + H_COUNT);
  }

  /** Push the value address of element `e` for the CPU in local `cpu` (per-CPU maps). */
  valueAt(e: number, cpu: number): void {
    const w = this.f.w;
    w.get(e).i32(this.L.valueOff).op('i32.add');
    if (this.L.percpu) w.get(cpu).i32(this.L.cpuStride).op('i32.mul').op('i32.add');
  }

  /** Copy valueSize bytes from local `src` to the address the code in `dst` pushes. */
  copyValue(dst: () => void, src: number): void {
    const w = this.f.w;
    dst();
    w.get(src).i32(this.L.valueSize).fc('memory.copy').byte(0).byte(0);
  }

  // ---- LRU lists (lru-hash.ts) ----

  /** Sets the LRU reference bit of element `e`. */
  setRef(e: number, v: 0 | 1): void {
    this.f.store8(e, E_REF, v);
  }

  /** Inserts element `e` at the head of the LRU list of the slot in local `slot`. */
  listInsertHead(slot: number, e: number): void {
    const w = this.f.w;
    const s = this.t1;
    const head = this.t2;
    this.slotField(slot, 0);
    w.set(s);
    w.get(s).mem('i32.load', S_LRU_HEAD).set(head);
    this.f.store32(e, E_LRU_PREV, () => { w.i32(0); });
    this.f.store32(e, E_LRU_NEXT, () => { w.get(head); });
    w.get(head).open('if');
    w.get(head);
    this.elemOfLinkOnStack();
    this.linkOf(e);
    w.mem('i32.store', E_LRU_PREV);
    w.op('else');
    this.f.store32(s, S_LRU_TAIL, () => { this.linkOf(e); });
    w.op('end');
    this.f.store32(s, S_LRU_HEAD, () => { this.linkOf(e); });
  }

  /** Removes element `e` from the LRU list of the slot in local `slot`. */
  listRemove(slot: number, e: number): void {
    const w = this.f.w;
    const s = this.t1;
    const prev = this.t2;
    const next = this.t3;
    this.slotField(slot, 0);
    w.set(s);
    w.get(e).mem('i32.load', E_LRU_PREV).set(prev);
    w.get(e).mem('i32.load', E_LRU_NEXT).set(next);
    w.get(prev).open('if');
    w.get(prev);
    this.elemOfLinkOnStack();
    w.get(next).mem('i32.store', E_LRU_NEXT);
    w.op('else');
    this.f.store32(s, S_LRU_HEAD, () => { w.get(next); });
    w.op('end');
    w.get(next).open('if');
    w.get(next);
    this.elemOfLinkOnStack();
    w.get(prev).mem('i32.store', E_LRU_PREV);
    w.op('else');
    this.f.store32(s, S_LRU_TAIL, () => { w.get(prev); });
    w.op('end');
    this.f.store32(e, E_LRU_PREV, () => { w.i32(0); });
    this.f.store32(e, E_LRU_NEXT, () => { w.i32(0); });
  }

  /** Push the LRU slot of the CPU in local `cpu`: its own with BPF_F_NO_COMMON_LRU, else 0. */
  lruSlotOf(cpu: number, out: number): void {
    const w = this.f.w;
    if (this.L.percpuLru) w.get(cpu).i32(this.L.nCpus).op('i32.rem_u').set(out);
    else w.i32(0).set(out);
  }

  /** Push the owner slot of element `e` (its E_LRU_CPU with BPF_F_NO_COMMON_LRU, else 0). */
  ownerOf(e: number, out: number): void {
    const w = this.f.w;
    if (this.L.percpuLru) w.get(e).mem('i32.load16_u', E_LRU_CPU).set(out);
    else w.i32(0).set(out);
  }

  /** The free-list address of the slot in local `slot` into local `out`. */
  freeListOf(slot: number, out: number): void {
    this.slotField(slot, S_FREE);
    this.f.w.set(out);
  }
}

/** Sizes of the chunks a key of `n` bytes is compared in. */
function chunks(n: number): number[] {
  const out: number[] = [];
  let left = n;
  for (const size of [8, 4, 2, 1]) {
    while (left >= size) {
      out.push(size);
      left -= size;
    }
  }
  return out;
}

/**
 * BPF_MAP_TYPE_HASH and BPF_MAP_TYPE_PERCPU_HASH (kernel/bpf/hashtab.c semantics), and the table
 * the LRU and hash-of-maps variants build on. All state lives in one region of linear memory so
 * that the JIT can implement lookups and updates over the same bytes; this TypeScript is the
 * reference. Layout (all u32 little-endian; "link" = element number + 1, 0 = none):
 *
 *   header   +0 nBuckets  +4 count  +8 elemSize  +12 nElems  +16 seed  +20 keySize
 *            +24 valueOff (of the value inside an element)   +28 nSlots
 *   slots    +32, 16 bytes per CPU slot: +0 freeHead  +4 lruHead  +8 lruTail  +12 extra
 *              (freeHead: free-list top; lruHead/lruTail: LRU list, head = most recent;
 *               extra: a prealloc hash's per-CPU spare element used by replacements)
 *   buckets  bucketsOff = 32 + 16 * nSlots: nBuckets links (bucket chain heads)
 *   elements elemsOff = round_up(bucketsOff + 4 * nBuckets, 8), elemSize bytes each:
 *            +0 next (bucket chain or free list)  +4 hash  +8 lruPrev  +12 lruNext
 *            +16 u8 inTable  +17 u8 ref (LRU reference bit)  +18 u16 lruCpu  +20 pad
 *            +24 key, padded to round_up(key_size, 8)
 *            +valueOff value: round_up(value_size, 8), or for per-CPU maps nCpus such copies
 *   so that key = value - round_up(key_size, 8), as with the kernel's htab_elem.
 *
 * Hash: jhash (jhash.ts) with the map's seed; bucket = hash & (nBuckets - 1), nBuckets =
 * roundup_pow_of_two(max_entries); new elements go to the head of their bucket chain. Seed: 0 with
 * BPF_F_ZERO_SEED (then iteration order equals the kernel's), else `attrs.seed` (the runtime's
 * seedable PRNG), default DEFAULT_HASH_SEED.
 *
 * Element recycling, as the prealloc hash does it: a pool of max_entries elements (plus one spare
 * per CPU for plain hashes); delete pushes the element on the free list (LIFO, so the next insert
 * reuses it: a stale BPF pointer sees the new contents); a replacing update writes the new value
 * into this CPU's spare element and the old element becomes the spare. The kernel's free list is
 * per-CPU; one list is kept here (the same LIFO reuse as long as one CPU does the work).
 * BPF_F_NO_PREALLOC maps use the same pool but allocate a fresh element for every update and
 * check max_entries against the count, as the kernel's non-prealloc path does.
 * Works in node / browser.
 */
import { E2BIG, EEXIST, EINVAL, ENOENT, ENOSPC } from '../uapi/errno.ts';
import {
  BPF_EXIST, BPF_F_LOCK, BPF_F_NO_PREALLOC, BPF_F_ZERO_SEED, BPF_MAP_TYPE_LRU_PERCPU_HASH, BPF_MAP_TYPE_PERCPU_HASH,
  BPF_NOEXIST,
} from '../uapi/bpf.ts';
import type { AddressSpace, Region } from '../vm/memory.ts';
import { htabHash } from './jhash.ts';
import type { BatchResult, MapAttrs } from './map.ts';
import { BpfMap, offToPtr, ptrToOff, roundUp8 } from './map.ts';

/** Hash seed when neither BPF_F_ZERO_SEED nor `attrs.seed` is given. */
export const DEFAULT_HASH_SEED = 0x5eed_b0f5;
/** Bytes of the per-element header before the key. */
export const HTAB_ELEM_HDR = 24;
const HDR_BYTES = 32;
const SLOT_BYTES = 16;

// Element header field offsets.
export const E_NEXT = 0;
export const E_HASH = 4;
export const E_LRU_PREV = 8;
export const E_LRU_NEXT = 12;
export const E_IN_TABLE = 16;
export const E_REF = 17;
export const E_LRU_CPU = 18;
// Slot field offsets.
export const S_FREE = 0;
export const S_LRU_HEAD = 4;
export const S_LRU_TAIL = 8;
export const S_EXTRA = 12;

/** roundup_pow_of_two for u32 values >= 1. */
export function roundupPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** Options of the hash table the subclasses tune. */
export interface HashLayout {
  /** Bytes of one CPU's stored value (hash of maps: 8, an inner map pointer). */
  readonly storedValueSize: number;
  /** Pool size. */
  readonly nElems: number;
  /** Number of CPU slots (free/LRU lists) in the header. */
  readonly nSlots: number;
}

/** A hash map over linear memory (see the module comment). */
export class HashMap extends BpfMap {
  readonly percpu: boolean;
  readonly prealloc: boolean;
  readonly nBuckets: number;
  readonly seed: number;
  readonly elemSize: number;
  /** Offset of the value in an element; key at HTAB_ELEM_HDR. */
  readonly valueOff: number;
  /** Stride of per-CPU copies (round_up(value_size, 8)). */
  readonly cpuStride: number;
  readonly nElems: number;
  readonly table: Region;
  readonly bucketsOff: number;
  readonly elemsOff: number;
  /** Whether replacements use per-CPU spare elements (plain prealloc hash). */
  protected readonly useExtra: boolean;

  constructor(space: AddressSpace, attrs: MapAttrs, layout?: Partial<HashLayout>) {
    super(space, attrs);
    this.percpu = this.type === BPF_MAP_TYPE_PERCPU_HASH || this.type === BPF_MAP_TYPE_LRU_PERCPU_HASH;
    this.prealloc = (this.flags & BPF_F_NO_PREALLOC) === 0;
    this.nBuckets = roundupPow2(this.maxEntries);
    this.seed = (this.flags & BPF_F_ZERO_SEED) !== 0 ? 0 : (attrs.seed ?? DEFAULT_HASH_SEED) >>> 0;
    this.cpuStride = roundUp8(layout?.storedValueSize ?? this.valueSize);
    this.valueOff = HTAB_ELEM_HDR + roundUp8(this.keySize);
    this.elemSize = this.valueOff + this.cpuStride * (this.percpu ? this.nCpus : 1);
    this.useExtra = layout?.nElems === undefined && this.prealloc && !this.percpu;
    const nSlots = layout?.nSlots ?? this.nCpus;
    this.nElems = layout?.nElems ?? (this.useExtra ? this.maxEntries + this.nCpus : this.prealloc ? this.maxEntries : this.maxEntries + 1);
    this.bucketsOff = HDR_BYTES + SLOT_BYTES * nSlots;
    const elemsRel = roundUp8(this.bucketsOff + 4 * this.nBuckets);
    this.table = space.alloc(elemsRel + this.nElems * this.elemSize, { kind: 'map', name: this.name });
    this.bucketsOff += this.table.offset;
    this.elemsOff = this.table.offset + elemsRel;
    const dv = space.dataView();
    const t = this.table.offset;
    [this.nBuckets, 0, this.elemSize, this.nElems, this.seed, this.keySize, this.valueOff, nSlots]
      .forEach((v, i) => dv.setUint32(t + 4 * i, v, true));
    this.initPool();
  }

  /** Fills the free list so that pops return elements 0, 1, 2, ...; sets up the spares. */
  protected initPool(): void {
    const dv = this.space.dataView();
    if (this.useExtra) {
      for (let c = 0; c < this.nCpus; c++) dv.setUint32(this.slotOff(c) + S_EXTRA, this.maxEntries + c + 1, true);
    }
    const nFree = this.useExtra ? this.maxEntries : this.nElems;
    for (let i = nFree - 1; i >= 0; i--) this.pushFree(i, 0);
  }

  // ---- layout accessors ----
  slotOff(cpu: number): number {
    return this.table.offset + HDR_BYTES + SLOT_BYTES * cpu;
  }
  elemOff(idx: number): number {
    return this.elemsOff + idx * this.elemSize;
  }
  /** Offset of the value of element `idx` for `cpu`. */
  valueAt(idx: number, cpu = 0): number {
    return this.elemOff(idx) + this.valueOff + (this.percpu ? cpu * this.cpuStride : 0);
  }
  get count(): number {
    return this.space.dataView().getUint32(this.table.offset + 4, true);
  }
  protected setCount(n: number): void {
    this.space.dataView().setUint32(this.table.offset + 4, n, true);
  }

  // ---- free list ----
  protected pushFree(idx: number, slot: number): void {
    const dv = this.space.dataView();
    const s = this.slotOff(slot) + S_FREE;
    const e = this.elemOff(idx);
    dv.setUint32(e + E_NEXT, dv.getUint32(s, true), true);
    dv.setUint8(e + E_IN_TABLE, 0);
    dv.setUint32(s, idx + 1, true);
  }
  /** Pops an element number, or -1 when the list is empty. */
  protected popFree(slot: number): number {
    const dv = this.space.dataView();
    const s = this.slotOff(slot) + S_FREE;
    const link = dv.getUint32(s, true);
    if (link === 0) return -1;
    dv.setUint32(s, dv.getUint32(this.elemOff(link - 1) + E_NEXT, true), true);
    return link - 1;
  }

  // ---- bucket operations ----
  hashKey(keyOff: number): number {
    return htabHash(this.space.u8(), keyOff, this.keySize, this.seed);
  }
  protected bucketOf(hash: number): number {
    return this.bucketsOff + 4 * (hash & (this.nBuckets - 1));
  }
  /** lookup_elem_raw: the element number holding the key at `keyOff`, or -1. */
  protected find(keyOff: number, hash: number): number {
    const dv = this.space.dataView();
    const u8 = this.space.u8();
    let link = dv.getUint32(this.bucketOf(hash), true);
    while (link !== 0) {
      const e = this.elemOff(link - 1);
      if (dv.getUint32(e + E_HASH, true) === hash && bytesEqual(u8, e + HTAB_ELEM_HDR, keyOff, this.keySize)) return link - 1;
      link = dv.getUint32(e + E_NEXT, true);
    }
    return -1;
  }
  /** Links element `idx` (key and hash already written) at the head of its bucket. */
  protected link(idx: number, hash: number): void {
    const dv = this.space.dataView();
    const b = this.bucketOf(hash);
    const e = this.elemOff(idx);
    dv.setUint32(e + E_NEXT, dv.getUint32(b, true), true);
    dv.setUint8(e + E_IN_TABLE, 1);
    dv.setUint32(b, idx + 1, true);
  }
  /** Removes element `idx` from its bucket chain. */
  protected unlink(idx: number): void {
    const dv = this.space.dataView();
    const e = this.elemOff(idx);
    let at = this.bucketOf(dv.getUint32(e + E_HASH, true));
    for (let link = dv.getUint32(at, true); link !== 0; link = dv.getUint32(at, true)) {
      if (link === idx + 1) {
        dv.setUint32(at, dv.getUint32(e + E_NEXT, true), true);
        dv.setUint8(e + E_IN_TABLE, 0);
        return;
      }
      at = this.elemOff(link - 1) + E_NEXT;
    }
  }
  /** Writes key and hash into element `idx` and zeroes its special fields (a new element's timer is uninitialised). */
  protected prepare(idx: number, keyOff: number, hash: number): void {
    const e = this.elemOff(idx);
    const u8 = this.space.u8();
    u8.copyWithin(e + HTAB_ELEM_HDR, keyOff, keyOff + this.keySize);
    this.space.dataView().setUint32(e + E_HASH, hash, true);
    for (const [s, end] of this.skip) u8.fill(0, e + this.valueOff + s, e + this.valueOff + end);
  }

  /** Copies a value into element `idx`: user (all CPUs from the staged buffer) or BPF (this CPU, others zeroed when `init`). */
  protected writeValue(idx: number, srcOff: number, fromUser: boolean, cpu: number, init: boolean): void {
    if (!this.percpu) {
      this.copyValue(this.valueAt(idx), srcOff);
      return;
    }
    for (let c = 0; c < this.nCpus; c++) {
      if (fromUser) this.copyValue(this.valueAt(idx, c), srcOff + c * this.cpuStride);
      else if (c === cpu) this.copyValue(this.valueAt(idx, c), srcOff);
      else if (init) this.zeroValue(this.valueAt(idx, c));
    }
  }

  /** Frees an element no longer in the table: special fields, then back to the pool. */
  protected releaseElem(idx: number, cpu: number): void {
    this.onElemRemoved(idx);
    this.freeFields(this.valueAt(idx));
    this.pushFree(idx, 0);
    this.setCount(this.count - 1);
    void cpu;
  }

  /** Called when element `idx` leaves the table (delete, replace); hash of maps drops its inner map here. */
  protected onElemRemoved(_idx: number): void {}

  /** Takes a fresh element for an insert (no old element): -E2BIG when the map is full. */
  protected allocElem(_cpu: number): number {
    if (!this.prealloc && this.count >= this.maxEntries) return -E2BIG;
    const idx = this.popFree(0);
    if (idx < 0) return -E2BIG;
    this.setCount(this.count + 1);
    return idx;
  }

  // ---- the update/delete core shared by BPF and user side ----

  /** htab_map_update_elem / __htab_percpu_map_update_elem. */
  protected updateCore(keyOff: number, srcOff: number, flags: number, cpu: number, fromUser: boolean): number {
    const mode = flags & ~BPF_F_LOCK;
    if (this.percpu ? flags > BPF_EXIST : mode > BPF_EXIST) return -EINVAL;
    if ((flags & BPF_F_LOCK) !== 0 && !this.hasSpinLock()) return -EINVAL;
    const hash = this.hashKey(keyOff);
    const old = this.find(keyOff, hash);
    if (old >= 0 && mode === BPF_NOEXIST) return -EEXIST;
    if (old < 0 && mode === BPF_EXIST) return -ENOENT;
    if (old >= 0 && (flags & BPF_F_LOCK) !== 0) {
      // In place under the element's lock: no new element, special fields untouched.
      this.copyValue(this.valueAt(old), srcOff);
      return 0;
    }
    if (this.percpu) {
      if (old >= 0) {
        this.writeValue(old, srcOff, fromUser, cpu, false);
        return 0;
      }
      const idx = this.allocElem(cpu);
      if (idx < 0) return idx;
      this.prepare(idx, keyOff, hash);
      this.writeValue(idx, srcOff, fromUser, cpu, true);
      this.link(idx, hash);
      return 0;
    }
    let idx: number;
    if (old >= 0 && this.useExtra) {
      // Swap with this CPU's spare: the old element becomes the spare (still holding its value).
      const s = this.slotOff(cpu % this.nCpus) + S_EXTRA;
      const dv = this.space.dataView();
      idx = dv.getUint32(s, true) - 1;
      dv.setUint32(s, old + 1, true);
    } else if (old >= 0) {
      idx = this.popFree(0);
      if (idx < 0) return -E2BIG;
    } else {
      idx = this.allocElem(cpu);
      if (idx < 0) return idx;
    }
    this.prepare(idx, keyOff, hash);
    this.writeValue(idx, srcOff, fromUser, cpu, true);
    this.link(idx, hash);
    if (old >= 0) {
      this.unlink(old);
      this.onElemRemoved(old);
      this.freeFields(this.valueAt(old));
      if (!this.useExtra) this.pushFree(old, 0);
    }
    return 0;
  }

  /** htab_map_delete_elem. */
  protected deleteCore(keyOff: number, cpu: number): number {
    const idx = this.find(keyOff, this.hashKey(keyOff));
    if (idx < 0) return -ENOENT;
    this.unlink(idx);
    this.releaseElem(idx, cpu);
    return 0;
  }

  // ---- BPF side ----
  override lookupElem(keyPtr: bigint, cpu: number): bigint {
    const keyOff = ptrToOff(keyPtr);
    const idx = this.find(keyOff, this.hashKey(keyOff));
    return idx < 0 ? 0n : offToPtr(this.valueAt(idx, cpu));
  }
  override updateElem(keyPtr: bigint, valuePtr: bigint, flags: bigint, cpu: number): number {
    if (flags > 0xffff_ffffn) return -EINVAL;
    return this.updateCore(ptrToOff(keyPtr), ptrToOff(valuePtr), Number(flags), cpu, false);
  }
  override deleteElem(keyPtr: bigint, cpu: number): number {
    return this.deleteCore(ptrToOff(keyPtr), cpu);
  }

  // ---- user side ----
  /** A user-space copy of element `idx`'s value (all CPUs for per-CPU maps). */
  protected valueOut(idx: number): Uint8Array {
    const out = new Uint8Array(this.userValueSize());
    if (!this.percpu) this.readValueOut(this.valueAt(idx), out);
    else for (let c = 0; c < this.nCpus; c++) this.readValueOut(this.valueAt(idx, c), out, c * this.cpuStride);
    return out;
  }
  protected sysLookup(): Uint8Array | number {
    const idx = this.find(this.scratchKeyOff, this.hashKey(this.scratchKeyOff));
    return idx < 0 ? -ENOENT : this.valueOut(idx);
  }
  protected sysUpdate(flags: number): number {
    return this.updateCore(this.scratchKeyOff, this.scratchValueOff, flags, 0, true);
  }
  protected sysDelete(): number {
    return this.deleteCore(this.scratchKeyOff, 0);
  }
  protected override sysLookupAndDelete(): Uint8Array | number {
    const idx = this.find(this.scratchKeyOff, this.hashKey(this.scratchKeyOff));
    if (idx < 0) return -ENOENT;
    const out = this.valueOut(idx);
    this.unlink(idx);
    this.releaseElem(idx, 0);
    return out;
  }

  /** First element of bucket `b` or later, as element number, or -1. */
  private firstFrom(b: number): number {
    const dv = this.space.dataView();
    for (; b < this.nBuckets; b++) {
      const link = dv.getUint32(this.bucketsOff + 4 * b, true);
      if (link !== 0) return link - 1;
    }
    return -1;
  }

  /** htab_map_get_next_key: bucket order, chain order; a missing key restarts from the first. */
  protected sysGetNextKey(hasKey: boolean, out: Uint8Array): number {
    let next = -1;
    if (hasKey) {
      const hash = this.hashKey(this.scratchKeyOff);
      const idx = this.find(this.scratchKeyOff, hash);
      if (idx >= 0) {
        const link = this.space.dataView().getUint32(this.elemOff(idx) + E_NEXT, true);
        next = link !== 0 ? link - 1 : this.firstFrom((hash & (this.nBuckets - 1)) + 1);
      } else next = this.firstFrom(0);
    } else next = this.firstFrom(0);
    if (next < 0) return -ENOENT;
    out.set(this.keyAt(this.elemOff(next) + HTAB_ELEM_HDR));
    return 0;
  }

  protected override batchSupported(): { lookup: boolean; update: boolean; delete: boolean; lookupAndDelete: boolean } {
    return { lookup: true, update: true, delete: true, lookupAndDelete: true };
  }

  /** __htab_map_lookup_and_delete_batch refuses a non-zero batch.flags (EINVAL). */
  protected override lookupBatchChecksFlags(): boolean {
    return true;
  }

  /**
   * __htab_map_lookup_and_delete_batch: the token is a u32 bucket number; whole buckets are
   * copied; a bucket that does not fit stops the batch (-ENOSPC if nothing was copied yet);
   * -ENOENT once the last bucket has been visited.
   */
  protected override doLookupBatch(inBatch: Uint8Array | undefined, count: number, elemFlags: number, del: boolean): BatchResult {
    const empty = new Uint8Array(0);
    if (count === 0) return { err: 0, count: 0, keys: empty, values: empty };
    let batch = inBatch !== undefined && inBatch.length >= 4 ? new DataView(inBatch.buffer, inBatch.byteOffset, 4).getUint32(0, true) : 0;
    if (batch >= this.nBuckets) return { err: -ENOENT, count: 0, keys: empty, values: empty };
    void elemFlags;
    const vsize = this.userValueSize();
    const keys: Uint8Array[] = [];
    const values: Uint8Array[] = [];
    let err = 0;
    for (;;) {
      const chain = this.chain(batch);
      if (chain.length > count - keys.length) {
        if (keys.length === 0) err = -ENOSPC;
        break;
      }
      for (const idx of chain) {
        keys.push(this.keyAt(this.elemOff(idx) + HTAB_ELEM_HDR));
        values.push(this.valueOut(idx));
        if (del) {
          this.unlink(idx);
          this.releaseElem(idx, 0);
        }
      }
      batch++;
      if (batch >= this.nBuckets) {
        err = -ENOENT;
        break;
      }
    }
    const outBatch = new Uint8Array(4);
    new DataView(outBatch.buffer).setUint32(0, batch, true);
    return { err, count: keys.length, keys: concat(keys, this.keySize), values: concat(values, vsize), outBatch };
  }

  /** Element numbers of bucket `b`, in chain order. */
  protected chain(b: number): number[] {
    const dv = this.space.dataView();
    const out: number[] = [];
    for (let link = dv.getUint32(this.bucketsOff + 4 * b, true); link !== 0; link = dv.getUint32(this.elemOff(link - 1) + E_NEXT, true)) {
      out.push(link - 1);
    }
    return out;
  }

  /** Element numbers currently in the table, in iteration order. */
  elements(): number[] {
    const out: number[] = [];
    for (let b = 0; b < this.nBuckets; b++) out.push(...this.chain(b));
    return out;
  }

  /** map_release_uref: timer / wq fields of every pool element (free ones included, harmlessly). */
  override releaseUserRefs(): void {
    if (!this.hasUrefFields()) return;
    for (let i = 0; i < this.nElems; i++) this.freeFields(this.valueAt(i));
  }

  protected freeStorage(): void {
    for (const idx of this.elements()) this.freeFields(this.valueAt(idx));
    this.space.free(this.table);
  }
}

function bytesEqual(u8: Uint8Array, a: number, b: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (u8[a + i] !== u8[b + i]) return false;
  return true;
}

function concat(parts: readonly Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(parts.length * size);
  parts.forEach((p, i) => out.set(p, i * size));
  return out;
}

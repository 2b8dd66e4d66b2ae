/**
 * The base of every map: identity, the descriptor region BPF code holds as `struct bpf_map *`,
 * user-side permission and size checks (kernel/bpf/syscall.c map_lookup_elem, map_update_elem,
 * map_delete_elem, map_get_next_key, map_lookup_and_delete_elem, map_freeze), special-field aware
 * value copies (include/linux/bpf.h copy_map_value, check_and_init_map_value) and the generic
 * batch operations (syscall.c generic_map_*_batch).
 *
 * Return conventions: BPF-side ops (`lookupElem`, `updateElem`, ...) and user-side ops return
 * `0 | -errno` (or a result); only malformed arguments from user space (a key of the wrong size)
 * throw a typed BpfError, as the public façade wraps these.
 * Works in node / browser.
 */
import type { BtfRecord } from '../btf/special-fields.ts';
import { EMPTY_RECORD } from '../btf/special-fields.ts';
import { BpfError } from '../util/errors.ts';
import type { AddressSpace, Region } from '../vm/memory.ts';
import { ADDR_BASE } from '../vm/memory.ts';
import { EINVAL, ENOENT, EPERM, ENOTSUPP } from '../uapi/errno.ts';
import {
  BPF_F_LOCK, BPF_F_RDONLY, BPF_F_WRONLY, BPF_MAP_TYPE_LRU_PERCPU_HASH, BPF_MAP_TYPE_PERCPU_ARRAY,
  BPF_MAP_TYPE_PERCPU_HASH,
} from '../uapi/bpf.ts';

/** Called by a map whenever an element's special fields (timer, wq, ...) must be freed. */
export interface SpecialFieldsHooks {
  freeFields(map: BpfMap, valuePtr: bigint): void;
}

/** A program as a PROG_ARRAY holds it. The runtime implements it; maps only count references. */
export interface ProgRef {
  /** The program id user-space lookups return. */
  readonly id: number;
  /** BPF_PROG_TYPE_*: a prog array accepts programs of one type (its owner's). */
  readonly type: number;
  /** Called when the prog array takes / drops its reference. */
  acquire(): void;
  release(): void;
}

/** Attributes of map creation (the fields of BPF_MAP_CREATE tsbpf uses). */
export interface MapAttrs {
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags?: number;
  readonly name?: string;
  /** Special fields of the value type (from BTF); absent or errored: none. */
  readonly record?: BtfRecord;
  /** ARRAY_OF_MAPS / HASH_OF_MAPS: the inner map template (the kernel's inner_map_fd). */
  readonly innerMapTemplate?: BpfMap;
  /** Only with BPF_F_NUMA_NODE; this machine model has node 0 only. */
  readonly numaNode?: number;
  /** Number of virtual CPUs (default 2). */
  readonly nCpus?: number;
  readonly mapExtra?: bigint;
  /** Map id (user lookups of map-in-map return it); the runtime's registry assigns it. */
  readonly id?: number;
  /** Hash seed when BPF_F_ZERO_SEED is not set (default: a fixed documented constant, see hash.ts). */
  readonly seed?: number;
}

/** A batch operation's outcome, as the kernel fills `attr->batch`. */
export interface BatchResult {
  /** 0 or -errno (-ENOENT: iteration reached the end; the elements copied are still valid). */
  readonly err: number;
  /** Elements processed (batch.count). */
  readonly count: number;
  /** Keys and values copied out (lookup batches), `count` of each, back to back. */
  readonly keys: Uint8Array;
  readonly values: Uint8Array;
  /** batch.out_batch: the token to pass as `inBatch` next (undefined when the kernel leaves it untouched). */
  readonly outBatch?: Uint8Array;
}

/** Options of the batch operations: batch.elem_flags and batch.flags. */
export interface BatchOptions {
  readonly elemFlags?: number;
  readonly flags?: number;
}

/** Size of the read-only descriptor region whose pointer is the map's `struct bpf_map *`. */
export const MAP_DESCRIPTOR_BYTES = 32;

/**
 * get_next_key for maps keyed by a u32 index (array_map_get_next_key): a missing or out-of-range
 * key restarts at 0, the last index ends the walk with -ENOENT, otherwise the next index. Writes
 * the key into `out`; returns 0 or -ENOENT.
 */
export function nextArrayIndex(index: number | undefined, maxEntries: number, out: Uint8Array): number {
  let next: number;
  if (index === undefined || index >= maxEntries) next = 0;
  else if (index === maxEntries - 1) return -ENOENT;
  else next = index + 1;
  new DataView(out.buffer, out.byteOffset, 4).setUint32(0, next, true);
  return 0;
}

export function roundUp8(n: number): number {
  return (n + 7) & ~7;
}

export function isPercpuType(type: number): boolean {
  return type === BPF_MAP_TYPE_PERCPU_ARRAY || type === BPF_MAP_TYPE_PERCPU_HASH || type === BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

/** Linear-memory offset of a BPF pointer (the verifier guarantees it is valid). */
export function ptrToOff(ptr: bigint): number {
  return Number(ptr - ADDR_BASE); // exact: map pointers are below ADDR_LIMIT
}

export function offToPtr(off: number): bigint {
  return ADDR_BASE + BigInt(off);
}

/**
 * The common part of all maps. Subclasses implement the BPF-side ops and the `sys*` user-side
 * ops; the public user-side methods here check sizes and permissions first, in the kernel's order.
 */
export abstract class BpfMap {
  readonly space: AddressSpace;
  readonly name: string;
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly record: BtfRecord;
  readonly nCpus: number;
  readonly id: number;
  /** Descriptor region: u32 type, key_size, value_size, max_entries, flags, id (read-only to BPF). */
  readonly descriptor: Region;
  /** The value of `struct bpf_map *` in BPF registers. */
  readonly ptr: bigint;
  /** Set by the runtime; called when special fields of an element must be freed. */
  hooks: SpecialFieldsHooks | undefined;
  /** BPF_MAP_FREEZE was called: user-space writes fail with EPERM. */
  frozen = false;
  /**
   * Normal (non-user) references held by outer maps (and, if the runtime wishes, programs). The
   * runtime frees a map when this and its user references are both zero.
   */
  refCount = 0;
  /** Scratch area for user-side ops: the user's key and value are staged here so that user and
   * BPF ops share one code path over linear memory. Not reachable by BPF code (never handed out). */
  protected readonly scratch: Region;
  protected readonly scratchKeyOff: number;
  protected readonly scratchValueOff: number;
  /** Special fields that value copies skip, [offset, end) sorted; empty when the record has an error. */
  protected readonly skip: readonly (readonly [number, number])[];
  destroyed = false;

  constructor(space: AddressSpace, attrs: MapAttrs, extraScratch = 0) {
    this.space = space;
    this.name = attrs.name ?? '';
    this.type = attrs.type;
    this.keySize = attrs.keySize;
    this.valueSize = attrs.valueSize;
    this.maxEntries = attrs.maxEntries;
    this.flags = attrs.flags ?? 0;
    this.record = attrs.record ?? EMPTY_RECORD;
    this.nCpus = attrs.nCpus ?? 2;
    this.id = attrs.id ?? 0;
    this.skip = this.record.error !== undefined ? [] : this.record.fields.map((f) => [f.offset, f.offset + f.size] as const);
    this.descriptor = space.alloc(MAP_DESCRIPTOR_BYTES, { kind: 'map', name: `${this.name}.map`, writable: false });
    this.ptr = this.descriptor.ptr;
    const dv = this.descriptor.view();
    [this.type, this.keySize, this.valueSize, this.maxEntries, this.flags, this.id].forEach((v, i) => dv.setUint32(i * 4, v >>> 0, true));
    const userValue = this.userValueSize();
    this.scratch = space.alloc(roundUp8(this.keySize) + roundUp8(Math.max(userValue, extraScratch)) + 8, { kind: 'scratch', name: `${this.name}.user`, writable: false });
    this.scratchKeyOff = this.scratch.offset;
    this.scratchValueOff = this.scratch.offset + roundUp8(this.keySize);
  }

  /** Bytes of one value as user space reads and writes it (per-CPU: every CPU's copy, each rounded up to 8). */
  userValueSize(): number {
    return isPercpuType(this.type) ? roundUp8(this.valueSize) * this.nCpus : this.valueSize;
  }

  /** The value has a bpf_spin_lock (BPF_F_LOCK allowed). */
  hasSpinLock(): boolean {
    return this.record.error === undefined && this.record.spinLockOff >= 0;
  }

  /** The value has fields freed on the kernel's map_release_uref (timer, wq, task_work). */
  hasUrefFields(): boolean {
    const r = this.record;
    return r.error === undefined && (r.timerOff >= 0 || r.wqOff >= 0 || r.taskWorkOff >= 0);
  }

  // ---- BPF side (hot; pointers are BPF pointers into the address space) ----

  /** bpf_map_lookup_elem: the value pointer, or 0n. */
  lookupElem(_keyPtr: bigint, _cpu: number): bigint {
    return 0n;
  }
  /** bpf_map_update_elem: 0 | -errno. */
  updateElem(_keyPtr: bigint, _valuePtr: bigint, _flags: bigint, _cpu: number): number {
    return -EINVAL;
  }
  /** bpf_map_delete_elem: 0 | -errno. */
  deleteElem(_keyPtr: bigint, _cpu: number): number {
    return -EINVAL;
  }
  /** bpf_map_push_elem (queue/stack): 0 | -errno. */
  pushElem(_valuePtr: bigint, _flags: bigint, _cpu: number): number {
    return -ENOTSUPP;
  }
  /** bpf_map_pop_elem: 0 | -errno. */
  popElem(_valuePtr: bigint, _cpu: number): number {
    return -ENOTSUPP;
  }
  /** bpf_map_peek_elem: 0 | -errno. */
  peekElem(_valuePtr: bigint, _cpu: number): number {
    return -ENOTSUPP;
  }

  // ---- user side: implemented by subclasses over the staged scratch key/value ----

  protected abstract sysLookup(flags: number): Uint8Array | number;
  protected abstract sysUpdate(flags: number): number;
  protected abstract sysDelete(): number;
  /** `hasKey` false: the first key. Writes the next key to `out`. */
  protected abstract sysGetNextKey(hasKey: boolean, out: Uint8Array): number;
  protected sysLookupAndDelete(_flags: number): Uint8Array | number {
    return -ENOTSUPP;
  }

  protected checkKey(key: Uint8Array | undefined): void {
    const n = key?.length ?? 0;
    if (n !== this.keySize) throw new BpfError(EINVAL, `map '${this.name}': key of ${n} bytes, key_size is ${this.keySize}`);
  }

  protected checkValue(value: Uint8Array): void {
    const want = this.userValueSize();
    if (value.length !== want) throw new BpfError(EINVAL, `map '${this.name}': value of ${value.length} bytes, expected ${want}`);
  }

  protected stageKey(key: Uint8Array | undefined): void {
    if (key !== undefined && key.length > 0) this.space.u8().set(key, this.scratchKeyOff);
  }

  protected stageValue(value: Uint8Array): void {
    this.space.u8().set(value, this.scratchValueOff);
  }

  protected canRead(): boolean {
    return (this.flags & BPF_F_WRONLY) === 0;
  }
  protected canWrite(): boolean {
    return (this.flags & BPF_F_RDONLY) === 0 && !this.frozen;
  }

  /**
   * BPF_MAP_LOOKUP_ELEM: a copy of the value (special fields zeroed), or -errno.
   * @throws {BpfError} EINVAL when the key has the wrong size.
   */
  lookup(key: Uint8Array | undefined, flags = 0): Uint8Array | number {
    if ((flags & ~BPF_F_LOCK) !== 0) return -EINVAL;
    this.checkKey(key);
    if (!this.canRead()) return -EPERM;
    if ((flags & BPF_F_LOCK) !== 0 && !this.hasSpinLock()) return -EINVAL;
    this.stageKey(key);
    return this.sysLookup(flags);
  }

  /**
   * BPF_MAP_UPDATE_ELEM with BPF_ANY / BPF_NOEXIST / BPF_EXIST (| BPF_F_LOCK): 0 | -errno.
   * @throws {BpfError} EINVAL when the key or value has the wrong size.
   */
  update(key: Uint8Array | undefined, value: Uint8Array, flags = 0): number {
    this.checkKey(key);
    if (!this.canWrite()) return -EPERM;
    if ((flags & BPF_F_LOCK) !== 0 && !this.hasSpinLock()) return -EINVAL;
    this.checkValue(value);
    this.stageKey(key);
    this.stageValue(value);
    return this.sysUpdate(flags);
  }

  /** BPF_MAP_DELETE_ELEM: 0 | -errno. @throws {BpfError} EINVAL for a key of the wrong size. */
  delete(key: Uint8Array | undefined): number {
    this.checkKey(key);
    if (!this.canWrite()) return -EPERM;
    this.stageKey(key);
    return this.sysDelete();
  }

  /**
   * BPF_MAP_GET_NEXT_KEY: the key after `key` (undefined: the first key), or -errno (-ENOENT at the end).
   * @throws {BpfError} EINVAL for a key of the wrong size.
   */
  getNextKey(key: Uint8Array | undefined): Uint8Array | number {
    if (key !== undefined) this.checkKey(key);
    if (!this.canRead()) return -EPERM;
    this.stageKey(key);
    const out = new Uint8Array(this.keySize);
    const err = this.sysGetNextKey(key !== undefined, out);
    return err < 0 ? err : out;
  }

  /**
   * BPF_MAP_LOOKUP_AND_DELETE_ELEM (hash types; pop for queue/stack): the value, or -errno.
   * @throws {BpfError} EINVAL for a key of the wrong size.
   */
  lookupAndDelete(key: Uint8Array | undefined, flags = 0): Uint8Array | number {
    if ((flags & ~BPF_F_LOCK) !== 0) return -EINVAL;
    this.checkKey(key);
    if (!this.canRead() || !this.canWrite()) return -EPERM;
    if ((flags & BPF_F_LOCK) !== 0 && !this.hasSpinLock()) return -EINVAL;
    this.stageKey(key);
    return this.sysLookupAndDelete(flags);
  }

  /**
   * BPF_MAP_FREEZE: later user-space writes fail with EPERM. 0 | -errno: -ENOTSUPP for maps with
   * special fields; -EPERM when user space cannot write (BPF_F_RDONLY, or already frozen: the
   * kernel checks write permission, which freezing removed, before its own "frozen" test).
   */
  freeze(): number {
    if (this.record.error === undefined && this.record.fields.length > 0) return -ENOTSUPP;
    if (!this.canWrite()) return -EPERM;
    this.frozen = true;
    return 0;
  }

  // ---- batch operations (bpf_map_do_batch, generic_map_*_batch; hash maps override lookup batches) ----

  protected batchSupported(): { lookup: boolean; update: boolean; delete: boolean; lookupAndDelete: boolean } {
    return { lookup: false, update: false, delete: false, lookupAndDelete: false };
  }

  /**
   * Whether lookup batches refuse a non-zero `batch.flags`: only the hash tables' own batch code
   * checks it (__htab_map_lookup_and_delete_batch); generic_map_lookup_batch ignores it.
   */
  protected lookupBatchChecksFlags(): boolean {
    return false;
  }

  /** elem_flags: only BPF_F_LOCK, and only on a value with a bpf_spin_lock. */
  protected checkBatchElemFlags(opts: BatchOptions): number {
    const elemFlags = opts.elemFlags ?? 0;
    if ((elemFlags & ~BPF_F_LOCK) !== 0) return -EINVAL;
    if ((elemFlags & BPF_F_LOCK) !== 0 && !this.hasSpinLock()) return -EINVAL;
    return 0;
  }

  /**
   * bpf_map_do_batch's order: read/write permission of the map (EPERM), then whether the map type
   * has the operation (ENOTSUPP); the operation itself checks its flags next.
   */
  protected batchGate(op: 'lookup' | 'update' | 'delete' | 'lookupAndDelete'): number {
    const reads = op === 'lookup' || op === 'lookupAndDelete';
    const writes = op !== 'lookup';
    if ((reads && !this.canRead()) || (writes && !this.canWrite())) return -EPERM;
    return this.batchSupported()[op] ? 0 : -ENOTSUPP;
  }

  /** BPF_MAP_LOOKUP_BATCH. `inBatch` undefined starts at the beginning. */
  lookupBatch(inBatch: Uint8Array | undefined, count: number, opts: BatchOptions = {}): BatchResult {
    return this.runLookupBatch(inBatch, count, opts, false);
  }

  /** BPF_MAP_LOOKUP_AND_DELETE_BATCH. */
  lookupAndDeleteBatch(inBatch: Uint8Array | undefined, count: number, opts: BatchOptions = {}): BatchResult {
    return this.runLookupBatch(inBatch, count, opts, true);
  }

  private runLookupBatch(inBatch: Uint8Array | undefined, count: number, opts: BatchOptions, del: boolean): BatchResult {
    const gate = this.batchGate(del ? 'lookupAndDelete' : 'lookup');
    if (gate < 0) return batchErr(gate, count);
    const e = this.checkBatchElemFlags(opts);
    if (e < 0) return batchErr(e, count);
    if (this.lookupBatchChecksFlags() && (opts.flags ?? 0) !== 0) return batchErr(-EINVAL, count);
    return this.doLookupBatch(inBatch, count, opts.elemFlags ?? 0, del);
  }

  /**
   * generic_map_lookup_batch (v6.18): walks get_next_key from the in_batch key, skipping keys whose
   * lookup finds nothing (an empty map-in-map slot); out_batch is the last key visited, written
   * only when something was copied.
   */
  protected doLookupBatch(inBatch: Uint8Array | undefined, count: number, elemFlags: number, _del: boolean): BatchResult {
    if (count === 0) return { err: 0, count: 0, keys: new Uint8Array(0), values: new Uint8Array(0) };
    if (inBatch !== undefined) this.checkKey(inBatch);
    const vsize = this.userValueSize();
    const keys = new Uint8Array(count * this.keySize);
    const values = new Uint8Array(count * vsize);
    let prev: Uint8Array | undefined = inBatch;
    let cp = 0;
    let err = 0;
    while (cp < count) {
      this.stageKey(prev);
      const next = new Uint8Array(this.keySize);
      err = this.sysGetNextKey(prev !== undefined, next);
      if (err < 0) break;
      this.stageKey(next);
      const v = this.sysLookup(elemFlags);
      if (typeof v === 'number' && v !== -ENOENT) {
        err = v;
        break;
      }
      if (typeof v !== 'number') {
        keys.set(next, cp * this.keySize);
        values.set(v, cp * vsize);
        cp++;
      }
      prev = next;
    }
    return {
      err, count: cp, keys: keys.subarray(0, cp * this.keySize), values: values.subarray(0, cp * vsize),
      ...(cp > 0 && prev !== undefined ? { outBatch: prev.slice() } : {}),
    };
  }

  /**
   * BPF_MAP_UPDATE_BATCH (generic_map_update_batch): stops at the first failure; `count` says how
   * many succeeded. `batch.flags` is not checked (the kernel ignores it here).
   * @throws {BpfError} EINVAL when `keys` / `values` hold fewer than `count` elements.
   */
  updateBatch(keys: Uint8Array, values: Uint8Array, count: number, opts: BatchOptions = {}): BatchResult {
    const vsize = this.userValueSize();
    return this.runUpdateBatch(keys, count, opts, values.length >= count * vsize ? undefined : `${count * vsize} value bytes`, (cp) => {
      this.stageValue(values.subarray(cp * vsize, (cp + 1) * vsize));
      return this.sysUpdate(opts.elemFlags ?? 0);
    });
  }

  /**
   * The loop of generic_map_update_batch, with `apply(cp)` updating element `cp` once its key is
   * staged (subclasses whose values are objects, such as map-in-map, supply their own).
   */
  protected runUpdateBatch(keys: Uint8Array, count: number, opts: BatchOptions, shortValues: string | undefined, apply: (cp: number) => number): BatchResult {
    const gate = this.batchGate('update');
    if (gate < 0) return batchErr(gate, count);
    const e = this.checkBatchElemFlags(opts);
    if (e < 0) return batchErr(e, count);
    if (keys.length < count * this.keySize || shortValues !== undefined) {
      throw new BpfError(EINVAL, `map '${this.name}': batch of ${count} needs ${count * this.keySize} key bytes${shortValues !== undefined ? ` and ${shortValues}` : ''}`);
    }
    let cp = 0;
    let err = 0;
    for (; cp < count; cp++) {
      this.stageKey(keys.subarray(cp * this.keySize, (cp + 1) * this.keySize));
      err = apply(cp);
      if (err < 0) break;
    }
    return { err, count: cp, keys: new Uint8Array(0), values: new Uint8Array(0) };
  }

  /** BPF_MAP_DELETE_BATCH (generic_map_delete_batch): stops at the first failure; `batch.flags` is not checked. */
  deleteBatch(keys: Uint8Array, count: number, opts: BatchOptions = {}): BatchResult {
    const gate = this.batchGate('delete');
    if (gate < 0) return batchErr(gate, count);
    const e = this.checkBatchElemFlags(opts);
    if (e < 0) return batchErr(e, count);
    if (keys.length < count * this.keySize) throw new BpfError(EINVAL, `map '${this.name}': batch of ${count} needs ${count * this.keySize} key bytes`);
    let cp = 0;
    let err = 0;
    for (; cp < count; cp++) {
      this.stageKey(keys.subarray(cp * this.keySize, (cp + 1) * this.keySize));
      err = this.sysDelete();
      if (err < 0) break;
    }
    return { err, count: cp, keys: new Uint8Array(0), values: new Uint8Array(0) };
  }

  // ---- lifecycle ----

  /** map_release_uref: the last user reference is gone. Default: nothing to do. */
  releaseUserRefs(): void {}

  /** Frees every element's special fields and the map's memory. Idempotent. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.freeStorage();
    this.space.free(this.scratch);
    this.space.free(this.descriptor);
  }

  /** Subclasses free their regions here (after running the hooks on every element). */
  protected abstract freeStorage(): void;

  // ---- value copies ----

  /** copy_map_value: `valueSize` bytes from `src` to `dst` (offsets), skipping special fields. */
  protected copyValue(dstOff: number, srcOff: number, len = this.valueSize): void {
    const u8 = this.space.u8();
    let at = 0;
    for (const [s, e] of this.skip) {
      if (s > at) u8.copyWithin(dstOff + at, srcOff + at, srcOff + s);
      at = e;
    }
    if (len > at) u8.copyWithin(dstOff + at, srcOff + at, srcOff + len);
  }

  /** zero_map_value: zeroes the value at `off` except its special fields. */
  protected zeroValue(off: number): void {
    const u8 = this.space.u8();
    let at = 0;
    for (const [s, e] of this.skip) {
      if (s > at) u8.fill(0, off + at, off + s);
      at = e;
    }
    if (this.valueSize > at) u8.fill(0, off + at, off + this.valueSize);
  }

  /** A user-space copy of the value at `off`: special fields zeroed (check_and_init_map_value). */
  protected readValueOut(off: number, out: Uint8Array, at = 0): void {
    const u8 = this.space.u8();
    out.set(u8.subarray(off, off + this.valueSize), at);
    for (const [s, e] of this.skip) out.fill(0, at + s, at + e);
  }

  /** Runs the special-field hook (bpf_obj_free_fields) on the value at `off`, when the value has fields. */
  protected freeFields(off: number): void {
    if (this.skip.length > 0 && this.hooks !== undefined) this.hooks.freeFields(this, offToPtr(off));
  }

  /** Key bytes at a linear-memory offset (a copy). */
  protected keyAt(off: number): Uint8Array {
    return this.space.u8().slice(off, off + this.keySize);
  }
}

/** A batch that failed before touching anything: the kernel leaves batch.count as it was. */
function batchErr(err: number, count: number): BatchResult {
  return { err, count, keys: new Uint8Array(0), values: new Uint8Array(0) };
}

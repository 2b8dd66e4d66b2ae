/**
 * MapHandle: a user-space handle to a live map, the equivalent of a map file descriptor. Each
 * handle holds one user reference; `release()` (or `Symbol.dispose`) drops it, once. The byte
 * operations are the kernel's BPF_MAP_* commands; errors become typed BpfErrors, and a lookup miss
 * is `undefined`. Works in node / browser.
 */
import type { BpfMap, ProgRef } from '../maps/map.ts';
import { ProgArrayMap } from '../maps/prog-array.ts';
import { ArrayOfMapsMap, HashOfMapsMap } from '../maps/map-in-map.ts';
import { BpfError } from '../util/errors.ts';
import { EBADF, EINVAL, ENOENT, errnoName } from '../uapi/errno.ts';
import type { MapRefs } from './refs.ts';
import { deleteBatch, lookupPage, updateBatch, type BatchPage } from './map-batch.ts';
import type { BatchOptions } from '../maps/map.ts';

/** Encodes and decodes one fixed-size value (for {@link MapHandle.typed}). */
export interface Codec<T> {
  readonly sizeBytes: number;
  encode(value: T): Uint8Array;
  decode(bytes: Uint8Array): T;
}

function intCodec(sizeBytes: 1 | 2 | 4 | 8, signed: boolean): Codec<bigint> {
  return {
    sizeBytes,
    encode(v) {
      const out = new Uint8Array(sizeBytes);
      const u = BigInt.asUintN(sizeBytes * 8, v);
      for (let i = 0; i < sizeBytes; i++) out[i] = Number((u >> BigInt(8 * i)) & 0xffn);
      return out;
    },
    decode(b) {
      let u = 0n;
      for (let i = sizeBytes - 1; i >= 0; i--) u = (u << 8n) | BigInt(b[i]!);
      return signed ? BigInt.asIntN(sizeBytes * 8, u) : u;
    },
  };
}

/** Little-endian integer codecs for typed map views. */
export const u8 = intCodec(1, false);
export const u16 = intCodec(2, false);
export const u32 = intCodec(4, false);
export const u64 = intCodec(8, false);
export const s32 = intCodec(4, true);
export const s64 = intCodec(8, true);

/** Throws the BpfError for a `-errno` result of a map operation. */
function check(map: BpfMap, op: string, r: number): void {
  if (r < 0) throw new BpfError(-r, `map '${map.name}': ${op}: ${errnoName(-r)}`);
}

/** A user-space reference to a map. Works in node / browser. */
export class MapHandle {
  readonly #refs: MapRefs;
  readonly #onRelease: (h: MapHandle) => void;
  readonly #mapById: (id: number) => BpfMap | undefined;
  readonly #progById: (id: number) => ProgRef | undefined;
  #released = false;

  /**
   * @internal Created by the runtime, which counts the user reference. `mapById` resolves the
   * inner map ids written into map-in-map values (they stand for the fds user space passes), and
   * `progById` the program ids written into prog array values.
   */
  constructor(refs: MapRefs, onRelease: (h: MapHandle) => void, mapById: (id: number) => BpfMap | undefined = () => undefined,
    progById: (id: number) => ProgRef | undefined = () => undefined) {
    this.#refs = refs;
    this.#onRelease = onRelease;
    this.#mapById = mapById;
    this.#progById = progById;
  }

  /** @internal The live map (for the runtime and the CLI's dump). */
  get map(): BpfMap {
    this.#live();
    return this.#refs.map;
  }
  /** The kernel's map name (at most 15 characters). */
  get name(): string { return this.#refs.map.name; }
  get id(): number { return this.#refs.map.id; }
  get type(): number { return this.#refs.map.type; }
  get keySize(): number { return this.#refs.map.keySize; }
  /** value_size as created (per-CPU maps: one CPU's value). */
  get valueSize(): number { return this.#refs.map.valueSize; }
  /** Bytes of a value as user space reads and writes it (per-CPU: every CPU, each rounded to 8). */
  get userValueSize(): number { return this.#refs.map.userValueSize(); }
  get maxEntries(): number { return this.#refs.map.maxEntries; }
  get flags(): number { return this.#refs.map.flags; }
  /** True after release(). */
  get released(): boolean { return this.#released; }

  #live(): void {
    if (this.#released) throw new BpfError(EBADF, `map '${this.#refs.map.name}': handle already released`);
  }

  /**
   * BPF_MAP_LOOKUP_ELEM: the value (special fields read as zeros), or undefined when absent.
   * @throws {BpfError} EBADF after release; EINVAL for a key of the wrong size; other errnos as the kernel.
   */
  lookup(key: Uint8Array | undefined, flags = 0): Uint8Array | undefined {
    const r = this.map.lookup(key, flags);
    if (r === -ENOENT) return undefined;
    if (typeof r === 'number') check(this.#refs.map, 'lookup', r);
    return r as Uint8Array;
  }

  /**
   * BPF_MAP_UPDATE_ELEM with BPF_ANY (0), BPF_NOEXIST (1) or BPF_EXIST (2), optionally | BPF_F_LOCK.
   * @throws {BpfError} EEXIST, ENOENT, E2BIG, EINVAL, EPERM as the kernel.
   */
  update(key: Uint8Array | undefined, value: Uint8Array, flags = 0): void {
    const map = this.map;
    if (map instanceof ArrayOfMapsMap || map instanceof HashOfMapsMap) {
      // The value is an inner map's id (the kernel takes an fd): an unknown one is EBADF.
      if (value.length !== 4) throw new BpfError(EINVAL, `map '${map.name}': value of ${value.length} bytes, expected 4 (an inner map id)`);
      const inner = this.#mapById(new DataView(value.buffer, value.byteOffset, 4).getUint32(0, true));
      if (inner === undefined || inner.destroyed) throw new BpfError(EBADF, `map '${map.name}': update: no map with that id`);
      check(map, 'update', map.updateInner(key ?? new Uint8Array(0), inner, flags));
      return;
    }
    if (map instanceof ProgArrayMap) {
      // The value is a program's id (the kernel takes a program fd): an unknown one is EBADF.
      if (value.length !== 4) throw new BpfError(EINVAL, `map '${map.name}': value of ${value.length} bytes, expected 4 (a program id)`);
      const prog = this.#progById(new DataView(value.buffer, value.byteOffset, 4).getUint32(0, true));
      if (prog === undefined) throw new BpfError(EBADF, `map '${map.name}': update: no program with that id`);
      check(map, 'update', map.updateProg(key ?? new Uint8Array(0), prog, flags));
      return;
    }
    check(this.#refs.map, 'update', map.update(key, value, flags));
  }

  /** BPF_MAP_DELETE_ELEM. @throws {BpfError} ENOENT when absent; EINVAL for arrays. */
  delete(key: Uint8Array | undefined): void {
    check(this.#refs.map, 'delete', this.map.delete(key));
  }

  /** BPF_MAP_GET_NEXT_KEY: the key after `key` (undefined: the first), or undefined at the end. */
  nextKey(key: Uint8Array | undefined): Uint8Array | undefined {
    const r = this.map.getNextKey(key);
    if (r === -ENOENT) return undefined;
    if (typeof r === 'number') check(this.#refs.map, 'get_next_key', r);
    return r as Uint8Array;
  }

  /** BPF_MAP_LOOKUP_AND_DELETE_ELEM (queue/stack: pop, key undefined); undefined when empty/absent. */
  lookupAndDelete(key: Uint8Array | undefined, flags = 0): Uint8Array | undefined {
    const r = this.map.lookupAndDelete(key, flags);
    if (r === -ENOENT) return undefined;
    if (typeof r === 'number') check(this.#refs.map, 'lookup_and_delete', r);
    return r as Uint8Array;
  }

  /** BPF_MAP_FREEZE. @throws {BpfError} EBUSY when frozen already, ENOTSUPP with special fields. */
  freeze(): void {
    check(this.#refs.map, 'freeze', this.map.freeze());
  }

  /**
   * BPF_MAP_LOOKUP_BATCH: up to `count` elements after the token `inBatch` (undefined: from the
   * start), and the token for the next page. Hash maps page by bucket, so a page may hold fewer
   * elements than asked; ENOSPC when one bucket holds more than `count`.
   * @throws {BatchError} with the kernel's errno (ENOTSUPP for map types without batches, EINVAL
   * for bad flags, ENOSPC); reaching the end is `done`, not an error.
   */
  lookupBatch(inBatch: Uint8Array | undefined, count: number = this.maxEntries, opts: BatchOptions = {}): BatchPage {
    return lookupPage(this.map, false, inBatch, count, opts);
  }

  /** BPF_MAP_LOOKUP_AND_DELETE_BATCH: as lookupBatch(), deleting what it returns. */
  lookupAndDeleteBatch(inBatch: Uint8Array | undefined, count: number = this.maxEntries, opts: BatchOptions = {}): BatchPage {
    return lookupPage(this.map, true, inBatch, count, opts);
  }

  /**
   * BPF_MAP_UPDATE_BATCH: `keys[i]` gets `values[i]` with `opts.elemFlags` (BPF_ANY, BPF_NOEXIST,
   * BPF_EXIST, BPF_F_LOCK); maps of maps take inner map ids as values. Returns the count updated.
   * @throws {BatchError} at the first failing element, with `count` updated before it.
   */
  updateBatch(keys: readonly Uint8Array[], values: readonly Uint8Array[], opts: BatchOptions = {}): number {
    return updateBatch(this.map, keys, values, opts, this.#mapById);
  }

  /** BPF_MAP_DELETE_BATCH. @throws {BatchError} at the first failing element (ENOENT for a missing key). */
  deleteBatch(keys: readonly Uint8Array[], opts: BatchOptions = {}): number {
    return deleteBatch(this.map, keys, opts);
  }

  /**
   * Every entry, walking get_next_key from the start (as `bpftool map dump` does), in the map's
   * iteration order. @throws {BpfError} for maps without keys (queue, stack: EINVAL).
   */
  entries(): [Uint8Array, Uint8Array][] {
    const out: [Uint8Array, Uint8Array][] = [];
    let key: Uint8Array | undefined;
    for (;;) {
      const next = this.nextKey(key);
      if (next === undefined) return out;
      const value = this.lookup(next);
      if (value !== undefined) out.push([next, value]);
      key = next;
    }
  }

  /**
   * A typed view. @throws {BpfError} EINVAL when the codecs' sizes differ from the map's key and
   * (user) value sizes.
   */
  typed<K, V>(key: Codec<K>, value: Codec<V>): TypedMap<K, V> {
    if (key.sizeBytes !== this.keySize || value.sizeBytes !== this.userValueSize) {
      throw new BpfError(EINVAL, `map '${this.name}': typed view of ${key.sizeBytes}/${value.sizeBytes}-byte key/value, map has ${this.keySize}/${this.userValueSize}`);
    }
    return new TypedMap(this, key, value);
  }

  /** Drops this handle's user reference. @throws {BpfError} EBADF when already released. */
  release(): void {
    this.#live();
    this.#released = true;
    this.#onRelease(this);
    this.#refs.releaseUser();
  }

  [Symbol.dispose](): void {
    if (!this.#released) this.release();
  }
}

/** A typed view of a map handle (aya's `HashMap<K, V>`). */
export class TypedMap<K, V> {
  readonly handle: MapHandle;
  readonly #k: Codec<K>;
  readonly #v: Codec<V>;
  constructor(handle: MapHandle, k: Codec<K>, v: Codec<V>) {
    this.handle = handle;
    this.#k = k;
    this.#v = v;
  }
  get(key: K): V | undefined {
    const v = this.handle.lookup(this.#k.encode(key));
    return v === undefined ? undefined : this.#v.decode(v);
  }
  set(key: K, value: V, flags = 0): void {
    this.handle.update(this.#k.encode(key), this.#v.encode(value), flags);
  }
  delete(key: K): void {
    this.handle.delete(this.#k.encode(key));
  }
  entries(): [K, V][] {
    return this.handle.entries().map(([k, v]) => [this.#k.decode(k), this.#v.decode(v)]);
  }
}

/**
 * BPF_MAP_TYPE_ARRAY_OF_MAPS and BPF_MAP_TYPE_HASH_OF_MAPS (kernel/bpf/map_in_map.c,
 * arraymap.c fd arrays, hashtab.c fd htab).
 *
 * Values are inner maps. In linear memory each value slot holds the inner map's `ptr` (u64, 0 when
 * empty), which is what a BPF-side lookup returns, as the kernel returns the `struct bpf_map *`
 * stored in the slot. User space inserts map objects (`updateInner`), checked against the
 * template as bpf_map_meta_equal does, and reads back the inner map's id (u32). The outer map
 * holds a normal reference on each inner map (`inner.refCount`), never a user reference; the
 * runtime frees an inner map once nothing holds it (`onInnerReleased`).
 * Works in node / browser.
 */
import { FdArrayMap } from './fd-array.ts';
import { recordsEqual } from '../btf/special-fields.ts';
import { E2BIG, EBADF, EINVAL, ENOENT, EPERM } from '../uapi/errno.ts';
import {
  BPF_ANY, BPF_F_INNER_MAP, BPF_F_RDONLY, BPF_F_WRONLY, BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_ARRAY_OF_MAPS,
  BPF_MAP_TYPE_HASH_OF_MAPS, BPF_MAP_TYPE_PROG_ARRAY,
} from '../uapi/bpf.ts';
import type { AddressSpace, Region } from '../vm/memory.ts';
import { HashMap } from './hash.ts';
import type { BatchOptions, BatchResult, MapAttrs } from './map.ts';
import { BpfMap, ptrToOff } from './map.ts';

/** The inner-map metadata the outer map keeps (bpf_map_meta_alloc copies these from the template). */
export interface InnerMapMeta {
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly record: BpfMap['record'];
}

export function isMapInMap(type: number): boolean {
  return type === BPF_MAP_TYPE_ARRAY_OF_MAPS || type === BPF_MAP_TYPE_HASH_OF_MAPS;
}

/**
 * The flags a map keeps (bpf_map_flags_retain_permanent): BPF_F_RDONLY and BPF_F_WRONLY describe
 * the creating fd, not the map, so the template comparison ignores them.
 */
function permanentFlags(flags: number): number {
  return flags & ~(BPF_F_RDONLY | BPF_F_WRONLY);
}

/**
 * bpf_map_meta_equal (+ array_map_meta_equal for BPF_MAP_TYPE_ARRAY only): type, key/value size,
 * permanent flags and special-field record must match; plain arrays also compare max_entries
 * unless the template has BPF_F_INNER_MAP. Per-CPU arrays and every other type accept any
 * max_entries (checked on the 6.18 kernel).
 */
export function metaEqual(meta: InnerMapMeta, inner: BpfMap): boolean {
  if (meta.type !== inner.type || meta.keySize !== inner.keySize || meta.valueSize !== inner.valueSize) return false;
  if (permanentFlags(meta.flags) !== permanentFlags(inner.flags) || !recordsEqual(meta.record, inner.record)) return false;
  if (meta.type === BPF_MAP_TYPE_ARRAY) return (meta.flags & BPF_F_INNER_MAP) !== 0 || meta.maxEntries === inner.maxEntries;
  return true;
}

/**
 * Whether a map of this type can be an inner-map template (bpf_map_meta_alloc: its ops need
 * map_meta_equal; prog arrays have none, so the outer map's creation fails with ENOTSUPP), among
 * the types tsbpf creates. Map-in-map templates are refused earlier, with EINVAL.
 */
export function canBeInnerMap(type: number): boolean {
  return type !== BPF_MAP_TYPE_PROG_ARRAY;
}

/**
 * One element of generic_map_update_batch on a map-in-map: `inner` is the map behind the fd in
 * the values array (undefined: not a map, EBADF), inserted as a user-space update would.
 */
function updateOneInner(outer: ArrayOfMapsMap | HashOfMapsMap, key: Uint8Array, inner: BpfMap | undefined, flags: number): number {
  if (inner === undefined || inner.destroyed) return -EBADF;
  return outer.updateInner(key, inner, flags);
}

function metaOf(m: BpfMap): InnerMapMeta {
  return { type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags, record: m.record };
}

function idBytes(m: BpfMap): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, m.id, true);
  return out;
}

/** Inner maps held by an outer map, keyed by `ptr`, with how many slots hold each. */
class InnerRefs {
  readonly held = new Map<bigint, { map: BpfMap; slots: number }>();
  onInnerReleased: ((inner: BpfMap) => void) | undefined;
  get(ptr: bigint): BpfMap | undefined {
    return this.held.get(ptr)?.map;
  }
  acquire(m: BpfMap): void {
    m.refCount++;
    const h = this.held.get(m.ptr);
    if (h !== undefined) h.slots++;
    else this.held.set(m.ptr, { map: m, slots: 1 });
  }
  release(ptr: bigint): void {
    const h = this.held.get(ptr);
    if (h === undefined) return;
    if (--h.slots === 0) this.held.delete(ptr);
    h.map.refCount--;
    if (h.map.refCount === 0) this.onInnerReleased?.(h.map);
  }
}

/** An array of maps. */
export class ArrayOfMapsMap extends FdArrayMap {
  readonly meta: InnerMapMeta;
  readonly slots: Region;
  private readonly refs = new InnerRefs();

  constructor(space: AddressSpace, attrs: MapAttrs, template: BpfMap) {
    super(space, attrs);
    this.meta = metaOf(template);
    this.slots = space.alloc(this.maxEntries * 8, { kind: 'map', name: this.name, writable: false });
  }

  /** Called when an inner map's normal references drop to zero because this map let it go. */
  set onInnerReleased(fn: ((inner: BpfMap) => void) | undefined) {
    this.refs.onInnerReleased = fn;
  }

  private slotPtr(index: number): bigint {
    return this.space.dataView().getBigUint64(this.slots.offset + 8 * index, true);
  }
  /** The inner map at `index`, if any. */
  innerAt(index: number): BpfMap | undefined {
    return index < this.maxEntries ? this.refs.get(this.slotPtr(index)) : undefined;
  }

  override lookupElem(keyPtr: bigint, _cpu = 0): bigint {
    const index = this.space.dataView().getUint32(ptrToOff(keyPtr), true);
    return index < this.maxEntries ? this.slotPtr(index) : 0n;
  }
  override deleteElem(keyPtr: bigint): number {
    return this.deleteAt(this.space.dataView().getUint32(ptrToOff(keyPtr), true));
  }

  protected deleteAt(index: number): number {
    if (index >= this.maxEntries) return -E2BIG;
    const old = this.slotPtr(index);
    if (old === 0n) return -ENOENT;
    this.space.dataView().setBigUint64(this.slots.offset + 8 * index, 0n, true);
    this.refs.release(old);
    return 0;
  }

  /**
   * User-space update with an inner map (bpf_fd_array_map_update_elem): 0, -EINVAL (flags other
   * than BPF_ANY, or a map not matching the template), -E2BIG (index out of range), -EPERM (frozen).
   */
  updateInner(key: Uint8Array, inner: BpfMap, flags = 0): number {
    this.checkKey(key);
    if (!this.canWrite()) return -EPERM;
    if (flags !== BPF_ANY) return -EINVAL;
    const index = new DataView(key.buffer, key.byteOffset, 4).getUint32(0, true);
    if (index >= this.maxEntries) return -E2BIG;
    if (isMapInMap(inner.type) || !metaEqual(this.meta, inner)) return -EINVAL;
    this.refs.acquire(inner);
    const old = this.slotPtr(index);
    this.space.dataView().setBigUint64(this.slots.offset + 8 * index, inner.ptr, true);
    if (old !== 0n) this.refs.release(old);
    return 0;
  }

  /** array_of_maps_map_ops: generic lookup and update batches; no delete batches (ENOTSUPP). */
  protected override batchSupported(): { lookup: boolean; update: boolean; delete: boolean; lookupAndDelete: boolean } {
    return { lookup: true, update: true, delete: false, lookupAndDelete: false };
  }

  /**
   * BPF_MAP_UPDATE_BATCH with inner maps as the values (the kernel reads one fd per element):
   * `inners[i]` undefined stands for an fd that is not a map (EBADF). Stops at the first failure.
   * @throws {BpfError} EINVAL when `keys` or `inners` hold fewer than `count` elements.
   */
  updateInnerBatch(keys: Uint8Array, inners: readonly (BpfMap | undefined)[], count: number, opts: BatchOptions = {}): BatchResult {
    return this.runUpdateBatch(keys, count, opts, inners.length >= count ? undefined : `${count} inner maps`,
      (cp) => updateOneInner(this, keys.slice(cp * 4, cp * 4 + 4), inners[cp], opts.elemFlags ?? 0));
  }

  protected sysLookup(): Uint8Array | number {
    const index = this.scratchIndex();
    const m = this.innerAt(index);
    return m === undefined ? -ENOENT : idBytes(m);
  }

  protected freeStorage(): void {
    for (let i = 0; i < this.maxEntries; i++) this.deleteAt(i);
    this.space.free(this.slots);
  }
}

/** A hash of maps: the hash table of hash.ts with 8-byte value slots holding inner map pointers. */
export class HashOfMapsMap extends HashMap {
  readonly meta: InnerMapMeta;
  private readonly refs = new InnerRefs();

  constructor(space: AddressSpace, attrs: MapAttrs, template: BpfMap) {
    super(space, attrs, { storedValueSize: 8 });
    this.meta = metaOf(template);
  }

  set onInnerReleased(fn: ((inner: BpfMap) => void) | undefined) {
    this.refs.onInnerReleased = fn;
  }

  private storedPtr(idx: number): bigint {
    return this.space.dataView().getBigUint64(this.valueAt(idx), true);
  }

  /** The stored value is the 8-byte pointer, whatever value_size (4, an fd) says. */
  protected override writeValue(idx: number, srcOff: number): void {
    this.space.u8().copyWithin(this.valueAt(idx), srcOff, srcOff + 8);
  }
  protected override onElemRemoved(idx: number): void {
    this.refs.release(this.storedPtr(idx));
  }
  protected override valueOut(idx: number): Uint8Array {
    const m = this.refs.get(this.storedPtr(idx));
    return m === undefined ? new Uint8Array(4) : idBytes(m);
  }

  override lookupElem(keyPtr: bigint, _cpu = 0): bigint {
    const keyOff = ptrToOff(keyPtr);
    const idx = this.find(keyOff, this.hashKey(keyOff));
    return idx < 0 ? 0n : this.storedPtr(idx);
  }
  /** BPF programs cannot store maps into a hash of maps (the verifier refuses). */
  override updateElem(): number {
    return -EINVAL;
  }

  /** bpf_fd_htab_map_update_elem: the template check first, then the hash update's flag rules. */
  updateInner(key: Uint8Array, inner: BpfMap, flags = 0): number {
    this.checkKey(key);
    if (!this.canWrite()) return -EPERM;
    if (isMapInMap(inner.type) || !metaEqual(this.meta, inner)) return -EINVAL;
    this.stageKey(key);
    this.space.dataView().setBigUint64(this.scratchValueOff, inner.ptr, true);
    this.refs.acquire(inner);
    const err = this.updateCore(this.scratchKeyOff, this.scratchValueOff, flags, 0, true);
    if (err < 0) this.refs.release(inner.ptr);
    return err;
  }

  /** BPF_MAP_UPDATE_BATCH with inner maps as the values (see ArrayOfMapsMap.updateInnerBatch). */
  updateInnerBatch(keys: Uint8Array, inners: readonly (BpfMap | undefined)[], count: number, opts: BatchOptions = {}): BatchResult {
    const ks = this.keySize;
    return this.runUpdateBatch(keys, count, opts, inners.length >= count ? undefined : `${count} inner maps`,
      (cp) => updateOneInner(this, keys.slice(cp * ks, (cp + 1) * ks), inners[cp], opts.elemFlags ?? 0));
  }
  protected override sysUpdate(): number {
    return -EBADF;
  }

  protected override freeStorage(): void {
    for (const idx of this.elements()) this.onElemRemoved(idx);
    super.freeStorage();
  }
}

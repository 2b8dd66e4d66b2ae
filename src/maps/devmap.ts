/**
 * BPF_MAP_TYPE_DEVMAP and BPF_MAP_TYPE_DEVMAP_HASH (kernel/bpf/devmap.c semantics, v6.18): maps
 * of network devices, the targets of bpf_redirect_map from XDP programs.
 *
 * Values are struct bpf_devmap_val: a u32 ifindex (value_size 4) optionally followed by a
 * program (value_size 8: user space writes a program fd, reads back the program id). An ifindex
 * must name a device of the runtime's {@link NetdevTable} (dev_get_by_index), else EINVAL.
 * Programs attached to devmap entries (XDP programs with expected_attach_type BPF_XDP_DEVMAP)
 * run only when a frame is really transmitted, which a test run never does: tsbpf does not
 * support them, and refuses a non-zero program fd with a typed BpfError (EINVAL, the kernel's
 * errno for every fd that is not such a program). A negative fd means "no program", as on the
 * kernel.
 *
 * Storage: one read-only (to BPF) region of 8-byte slots, each the bpf_devmap_val the kernel's
 * lookup returns a pointer to (ifindex, program id). DEVMAP: slot i is key i, empty when its
 * ifindex is 0. DEVMAP_HASH: a pool of max_entries slots; the keys hang in the kernel's buckets
 * (key & (n_buckets - 1), n_buckets = roundup_pow_of_two(max_entries), no hash function), newest
 * first in each bucket, so get_next_key walks them in exactly the kernel's order.
 *
 * The kernel sets BPF_F_RDONLY_PROG on every devmap (lookups point at the live entry): the
 * verifier then refuses program stores into the value. BPF programs may only look entries up and
 * redirect through them; update and delete are the syscall's.
 * Works in node / browser.
 */
import { BpfError } from '../util/errors.ts';
import { E2BIG, EEXIST, EINVAL, ENOENT, ENOMEM } from '../uapi/errno.ts';
import { BPF_EXIST, BPF_F_RDONLY_PROG, BPF_MAP_TYPE_DEVMAP, BPF_MAP_TYPE_DEVMAP_HASH, BPF_NOEXIST } from '../uapi/bpf.ts';
import type { AddressSpace, Region } from '../vm/memory.ts';
import type { MapAttrs } from './map.ts';
import { BpfMap, nextArrayIndex, offToPtr, ptrToOff } from './map.ts';
import { DEFAULT_NETDEVS, type NetdevTable } from './netdev.ts';

/** sizeof(struct bpf_devmap_val): u32 ifindex, then the program (fd in, id out). */
export const DEVMAP_VAL_BYTES = 8;

/** True for the two devmap types. */
export function isDevmapType(type: number): boolean {
  return type === BPF_MAP_TYPE_DEVMAP || type === BPF_MAP_TYPE_DEVMAP_HASH;
}

/** The smallest power of two >= n (n >= 1, n <= 2^31). */
function roundUpPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** What both devmap types share: the slot region, the device checks, the user-space value. */
export abstract class DevMapBase extends BpfMap {
  /** The devices entries may name. */
  readonly netdevs: NetdevTable;
  /** 8-byte bpf_devmap_val slots (see the module comment); read-only to BPF code. */
  readonly slots: Region;

  constructor(space: AddressSpace, attrs: MapAttrs, netdevs: NetdevTable, slotCount: number) {
    // dev_map_init_map: lookups return the live entry, so programs may not write it.
    super(space, { ...attrs, flags: (attrs.flags ?? 0) | BPF_F_RDONLY_PROG });
    this.netdevs = netdevs;
    const bytes = slotCount * DEVMAP_VAL_BYTES;
    if (bytes > space.maxBytes) {
      this.destroyBase();
      throw new BpfError(ENOMEM, `map '${this.name}': ${slotCount} entries of ${DEVMAP_VAL_BYTES} bytes exceed the address space`);
    }
    this.slots = space.alloc(bytes, { kind: 'map', name: this.name, writable: false });
  }

  private destroyBase(): void {
    this.space.free(this.scratch);
    this.space.free(this.descriptor);
  }

  /** The ifindex bpf_redirect_map sends key `key` to (__dev_map_lookup_elem), or undefined. */
  abstract targetOf(key: number): number | undefined;

  /** The ifindex of every entry in the order a BPF_F_BROADCAST redirect walks them (dev_map_enqueue_multi). */
  abstract targets(): number[];

  /** Offset of slot `slot` in linear memory. */
  protected slotOff(slot: number): number {
    return this.slots.offset + slot * DEVMAP_VAL_BYTES;
  }

  protected slotIfindex(slot: number): number {
    return this.space.dataView().getUint32(this.slotOff(slot), true);
  }

  /** Stores an entry (no program: id 0), or clears the slot with ifindex 0. */
  protected writeSlot(slot: number, ifindex: number): void {
    const dv = this.space.dataView();
    dv.setUint32(this.slotOff(slot), ifindex, true);
    dv.setUint32(this.slotOff(slot) + 4, 0, true);
  }

  /** The value user space reads: value_size bytes of the slot. */
  protected readSlot(slot: number): Uint8Array {
    const off = this.slotOff(slot);
    return this.space.u8().slice(off, off + this.valueSize);
  }

  /** The staged user key. */
  protected scratchKey(): number {
    return this.space.dataView().getUint32(this.scratchKeyOff, true);
  }

  /** The staged user value: its ifindex and program fd (0 for the 4-byte form). */
  protected stagedVal(): { ifindex: number; progFd: number } {
    const dv = this.space.dataView();
    const ifindex = dv.getUint32(this.scratchValueOff, true);
    const progFd = this.valueSize >= DEVMAP_VAL_BYTES ? dv.getInt32(this.scratchValueOff + 4, true) : 0;
    return { ifindex, progFd };
  }

  /**
   * __dev_map_alloc_node's checks: the device must exist (-EINVAL otherwise); a program fd > 0
   * is refused with a typed error (see the module comment).
   * @throws {BpfError} EINVAL for a program fd > 0.
   */
  protected checkEntry(key: number, ifindex: number, progFd: number): number {
    if (this.netdevs.byIndex(ifindex) === undefined) return -EINVAL;
    if (progFd > 0) {
      throw new BpfError(EINVAL, `map '${this.name}': key ${key}: programs in devmap entries (bpf_devmap_val.bpf_prog.fd ${progFd}) are not supported by tsbpf`);
    }
    return 0;
  }

  override lookupElem(keyPtr: bigint): bigint {
    const slot = this.slotOf(this.space.dataView().getUint32(ptrToOff(keyPtr), true));
    return slot === undefined ? 0n : offToPtr(this.slotOff(slot));
  }

  /** The slot holding `key`'s entry, or undefined. */
  protected abstract slotOf(key: number): number | undefined;

  protected sysLookup(): Uint8Array | number {
    const slot = this.slotOf(this.scratchKey());
    return slot === undefined ? -ENOENT : this.readSlot(slot);
  }

  protected freeStorage(): void {
    this.space.free(this.slots);
  }
}

/** BPF_MAP_TYPE_DEVMAP: an array of devices indexed by key. */
export class DevMap extends DevMapBase {
  constructor(space: AddressSpace, attrs: MapAttrs, netdevs: NetdevTable = DEFAULT_NETDEVS) {
    super(space, attrs, netdevs, attrs.maxEntries);
  }

  protected slotOf(key: number): number | undefined {
    return key < this.maxEntries && this.slotIfindex(key) !== 0 ? key : undefined;
  }

  targetOf(key: number): number | undefined {
    const slot = this.slotOf(key);
    return slot === undefined ? undefined : this.slotIfindex(slot);
  }

  targets(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.maxEntries; i++) {
      const ifindex = this.slotIfindex(i);
      if (ifindex !== 0) out.push(ifindex);
    }
    return out;
  }

  /**
   * dev_map_update_elem: flags above BPF_EXIST (-EINVAL), a key out of range (-E2BIG), BPF_NOEXIST
   * always (-EEXIST: every slot counts as present), ifindex 0 clears the slot (with a program fd:
   * -EINVAL), an unknown ifindex (-EINVAL).
   */
  protected sysUpdate(flags: number): number {
    const key = this.scratchKey();
    if (flags > BPF_EXIST) return -EINVAL;
    if (key >= this.maxEntries) return -E2BIG;
    if (flags === BPF_NOEXIST) return -EEXIST;
    const { ifindex, progFd } = this.stagedVal();
    if (ifindex === 0) {
      if (progFd > 0) return -EINVAL;
      this.writeSlot(key, 0);
      return 0;
    }
    const err = this.checkEntry(key, ifindex, progFd);
    if (err < 0) return err;
    this.writeSlot(key, ifindex);
    return 0;
  }

  /** dev_map_delete_elem: -EINVAL out of range; an empty slot deletes fine (0). */
  protected sysDelete(): number {
    const key = this.scratchKey();
    if (key >= this.maxEntries) return -EINVAL;
    this.writeSlot(key, 0);
    return 0;
  }

  /** dev_map_get_next_key: every index, empty or not, as an array. */
  protected sysGetNextKey(hasKey: boolean, out: Uint8Array): number {
    return nextArrayIndex(hasKey ? this.scratchKey() : undefined, this.maxEntries, out);
  }
}

/** BPF_MAP_TYPE_DEVMAP_HASH: devices keyed by any u32 (usually the ifindex itself). */
export class DevMapHash extends DevMapBase {
  /** n_buckets: max_entries rounded up to a power of two. */
  readonly nBuckets: number;
  /** key -> slot. */
  readonly #slotOfKey = new Map<number, number>();
  /** bucket -> its keys, newest first (hlist_add_head_rcu). */
  readonly #chains = new Map<number, number[]>();
  /** The non-empty buckets, ascending. */
  readonly #buckets: number[] = [];
  /** Slots freed by deletes; slots never used start at #fresh. */
  readonly #freeSlots: number[] = [];
  #fresh = 0;

  constructor(space: AddressSpace, attrs: MapAttrs, netdevs: NetdevTable = DEFAULT_NETDEVS) {
    super(space, attrs, netdevs, attrs.maxEntries);
    this.nBuckets = roundUpPow2(this.maxEntries);
  }

  /** Number of entries (dtab->items). */
  get size(): number {
    return this.#slotOfKey.size;
  }

  #bucketOf(key: number): number {
    return (key & (this.nBuckets - 1)) >>> 0;
  }

  /** Index in #buckets of the first bucket >= b. */
  #firstBucketFrom(b: number): number {
    let lo = 0;
    let hi = this.#buckets.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#buckets[mid]! < b) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  #link(key: number): void {
    const b = this.#bucketOf(key);
    const chain = this.#chains.get(b);
    if (chain !== undefined) {
      chain.unshift(key);
      return;
    }
    this.#chains.set(b, [key]);
    this.#buckets.splice(this.#firstBucketFrom(b), 0, b);
  }

  #unlink(key: number): void {
    const b = this.#bucketOf(key);
    const chain = this.#chains.get(b)!;
    chain.splice(chain.indexOf(key), 1);
    if (chain.length > 0) return;
    this.#chains.delete(b);
    this.#buckets.splice(this.#firstBucketFrom(b), 1);
  }

  protected slotOf(key: number): number | undefined {
    return this.#slotOfKey.get(key);
  }

  targetOf(key: number): number | undefined {
    const slot = this.#slotOfKey.get(key);
    return slot === undefined ? undefined : this.slotIfindex(slot);
  }

  targets(): number[] {
    const out: number[] = [];
    for (const b of this.#buckets) for (const k of this.#chains.get(b)!) out.push(this.slotIfindex(this.#slotOfKey.get(k)!));
    return out;
  }

  /**
   * dev_map_hash_update_elem: flags above BPF_EXIST or ifindex 0 (-EINVAL), BPF_NOEXIST on a
   * present key (-EEXIST), an unknown ifindex (-EINVAL), a new key in a full map (-E2BIG).
   * BPF_EXIST on an absent key inserts it: the kernel does not check that case. A replaced entry
   * moves to the head of its bucket.
   */
  protected sysUpdate(flags: number): number {
    const key = this.scratchKey();
    const { ifindex, progFd } = this.stagedVal();
    if (flags > BPF_EXIST || ifindex === 0) return -EINVAL;
    const old = this.#slotOfKey.get(key);
    if (old !== undefined && (flags & BPF_NOEXIST) !== 0) return -EEXIST;
    const err = this.checkEntry(key, ifindex, progFd);
    if (err < 0) return err;
    let slot = old;
    if (slot !== undefined) {
      this.#unlink(key);
    } else {
      if (this.#slotOfKey.size >= this.maxEntries) return -E2BIG;
      slot = this.#freeSlots.pop() ?? this.#fresh++;
      this.#slotOfKey.set(key, slot);
    }
    this.#link(key);
    this.writeSlot(slot, ifindex);
    return 0;
  }

  /** dev_map_hash_delete_elem: -ENOENT for an absent key. */
  protected sysDelete(): number {
    const key = this.scratchKey();
    const slot = this.#slotOfKey.get(key);
    if (slot === undefined) return -ENOENT;
    this.#unlink(key);
    this.#slotOfKey.delete(key);
    this.writeSlot(slot, 0);
    this.#freeSlots.push(slot);
    return 0;
  }

  /**
   * dev_map_hash_get_next_key: the next key in the present key's bucket, else the head of the
   * next non-empty bucket; an absent (or no) key restarts at the first bucket.
   */
  protected sysGetNextKey(hasKey: boolean, out: Uint8Array): number {
    let from = 0;
    if (hasKey) {
      const key = this.scratchKey();
      if (this.#slotOfKey.has(key)) {
        const b = this.#bucketOf(key);
        const chain = this.#chains.get(b)!;
        const at = chain.indexOf(key);
        if (at + 1 < chain.length) return this.#emitKey(chain[at + 1]!, out);
        from = b + 1;
      }
    }
    const i = this.#firstBucketFrom(from);
    if (i >= this.#buckets.length) return -ENOENT;
    return this.#emitKey(this.#chains.get(this.#buckets[i]!)![0]!, out);
  }

  #emitKey(key: number, out: Uint8Array): number {
    new DataView(out.buffer, out.byteOffset, 4).setUint32(0, key, true);
    return 0;
  }
}

/**
 * BPF_MAP_TYPE_LRU_HASH and BPF_MAP_TYPE_LRU_PERCPU_HASH (kernel/bpf/hashtab.c htab_lru_*,
 * kernel/bpf/bpf_lru_list.c), over the hash table of hash.ts. Always preallocated.
 *
 * Lists: with the common LRU (default) one list and one free list in CPU slot 0; with
 * BPF_F_NO_COMMON_LRU every CPU slot has its own list and free list, and the pool is split
 * evenly between CPUs (max_entries is rounded to a multiple of the CPU count at creation, as the
 * kernel does); an update on CPU c only takes or evicts elements of c's partition.
 *
 * Eviction policy (implementation-defined; the kernel's rotating active/inactive lists are
 * approximated by a CLOCK/second-chance list): new elements enter at the head with the reference
 * bit clear; a BPF-side lookup sets the bit (user lookups do not, as in the kernel); a replacing
 * update sets it on the new element. When the free list is empty the tail is examined: a
 * referenced element loses its bit and moves to the head, the first unreferenced one is evicted
 * (after a full pass every element is unreferenced, so eviction always succeeds). Evicted elements
 * leave the table and their special fields are freed. Differences from the kernel: the kernel
 * keeps per-CPU local free lists for the common LRU, so it may evict before the map is full; this
 * model only evicts when no free element is left. Like the kernel, the new element is taken
 * (evicting if needed) before the update's flags are checked against the existing key, so a
 * failing BPF_NOEXIST / BPF_EXIST update on a full map still evicts.
 * Works in node / browser.
 */
import { EEXIST, EINVAL, ENOENT, ENOMEM } from '../uapi/errno.ts';
import { BPF_EXIST, BPF_F_NO_COMMON_LRU, BPF_NOEXIST } from '../uapi/bpf.ts';
import type { AddressSpace } from '../vm/memory.ts';
import { E_LRU_CPU, E_LRU_NEXT, E_LRU_PREV, E_REF, HashMap, S_LRU_HEAD, S_LRU_TAIL } from './hash.ts';
import type { MapAttrs } from './map.ts';
import { offToPtr, ptrToOff } from './map.ts';

/** An LRU hash map (see the module comment for the eviction policy). */
export class LruHashMap extends HashMap {
  /** Elements evicted so far (for tests and statistics). */
  evictions = 0;

  constructor(space: AddressSpace, attrs: MapAttrs) {
    super(space, attrs, { nElems: attrs.maxEntries, nSlots: attrs.nCpus ?? 2 });
  }

  /** BPF_F_NO_COMMON_LRU: per-CPU lists. A getter: the base constructor needs it before fields exist. */
  get percpuLru(): boolean {
    return (this.flags & BPF_F_NO_COMMON_LRU) !== 0;
  }

  private slotFor(cpu: number): number {
    return this.percpuLru ? cpu % this.nCpus : 0;
  }

  protected override initPool(): void {
    const dv = this.space.dataView();
    const per = Math.max(1, Math.floor(this.nElems / this.nCpus));
    for (let i = this.nElems - 1; i >= 0; i--) {
      const owner = this.percpuLru ? Math.min(this.nCpus - 1, Math.floor(i / per)) : 0;
      dv.setUint16(this.elemOff(i) + E_LRU_CPU, owner, true);
      this.pushFree(i, owner);
    }
  }

  // ---- the LRU list of a slot ----
  private listInsertHead(slot: number, idx: number): void {
    const dv = this.space.dataView();
    const s = this.slotOff(slot);
    const e = this.elemOff(idx);
    const head = dv.getUint32(s + S_LRU_HEAD, true);
    dv.setUint32(e + E_LRU_PREV, 0, true);
    dv.setUint32(e + E_LRU_NEXT, head, true);
    if (head !== 0) dv.setUint32(this.elemOff(head - 1) + E_LRU_PREV, idx + 1, true);
    else dv.setUint32(s + S_LRU_TAIL, idx + 1, true);
    dv.setUint32(s + S_LRU_HEAD, idx + 1, true);
  }
  private listRemove(slot: number, idx: number): void {
    const dv = this.space.dataView();
    const s = this.slotOff(slot);
    const e = this.elemOff(idx);
    const prev = dv.getUint32(e + E_LRU_PREV, true);
    const next = dv.getUint32(e + E_LRU_NEXT, true);
    if (prev !== 0) dv.setUint32(this.elemOff(prev - 1) + E_LRU_NEXT, next, true);
    else dv.setUint32(s + S_LRU_HEAD, next, true);
    if (next !== 0) dv.setUint32(this.elemOff(next - 1) + E_LRU_PREV, prev, true);
    else dv.setUint32(s + S_LRU_TAIL, prev, true);
    dv.setUint32(e + E_LRU_PREV, 0, true);
    dv.setUint32(e + E_LRU_NEXT, 0, true);
  }
  private setRef(idx: number, v: 0 | 1): void {
    this.space.dataView().setUint8(this.elemOff(idx) + E_REF, v);
  }
  private ownerOf(idx: number): number {
    return this.space.dataView().getUint16(this.elemOff(idx) + E_LRU_CPU, true);
  }

  /** Second-chance eviction from `slot`'s list; returns the freed element number or -1. */
  private evict(slot: number): number {
    const dv = this.space.dataView();
    const s = this.slotOff(slot);
    for (let budget = this.nElems + 1; ; budget--) {
      const tail = dv.getUint32(s + S_LRU_TAIL, true);
      if (tail === 0) return -1;
      const idx = tail - 1;
      if (budget > 0 && dv.getUint8(this.elemOff(idx) + E_REF) !== 0) {
        this.setRef(idx, 0);
        this.listRemove(slot, idx);
        this.listInsertHead(slot, idx);
        continue;
      }
      this.listRemove(slot, idx);
      this.unlink(idx);
      this.freeFields(this.valueAt(idx));
      this.setCount(this.count - 1);
      this.evictions++;
      return idx;
    }
  }

  /** prealloc_lru_pop: a free element of the CPU's list, evicting when none is left. */
  protected override allocElem(cpu: number): number {
    const slot = this.slotFor(cpu);
    let idx = this.popFree(slot);
    if (idx < 0) idx = this.evict(slot);
    if (idx < 0) return -ENOMEM;
    this.setRef(idx, 0);
    this.listInsertHead(slot, idx);
    this.setCount(this.count + 1);
    return idx;
  }

  /** htab_lru_push_free: special fields freed, back to its owner's free list. */
  protected override releaseElem(idx: number): void {
    const owner = this.percpuLru ? this.ownerOf(idx) : 0;
    this.listRemove(owner, idx);
    this.freeFields(this.valueAt(idx));
    this.pushFree(idx, owner);
    this.setCount(this.count - 1);
  }

  /** htab_lru_map_update_elem / __htab_lru_percpu_map_update_elem. */
  protected override updateCore(keyOff: number, srcOff: number, flags: number, cpu: number, fromUser: boolean): number {
    if (flags > BPF_EXIST) return -EINVAL; // BPF_F_LOCK is not supported by LRU maps
    const hash = this.hashKey(keyOff);
    let fresh = -1;
    if (!this.percpu || flags !== BPF_EXIST) {
      fresh = this.allocElem(cpu);
      if (fresh < 0) return fresh;
      this.prepare(fresh, keyOff, hash);
    }
    const old = this.find(keyOff, hash);
    let err = 0;
    if (old >= 0 && flags === BPF_NOEXIST) err = -EEXIST;
    else if (old < 0 && flags === BPF_EXIST) err = -ENOENT;
    if (err < 0) {
      if (fresh >= 0) this.releaseElem(fresh);
      return err;
    }
    if (this.percpu && old >= 0) {
      this.setRef(old, 1);
      this.writeValue(old, srcOff, fromUser, cpu, false);
      if (fresh >= 0) this.releaseElem(fresh);
      return 0;
    }
    if (fresh < 0) return -ENOMEM; // unreachable: only per-CPU BPF_EXIST skips the allocation
    this.writeValue(fresh, srcOff, fromUser, cpu, true);
    this.link(fresh, hash);
    if (old >= 0) {
      this.setRef(fresh, 1);
      this.unlink(old);
      this.releaseElem(old);
    }
    return 0;
  }

  /** BPF-side lookup marks the element referenced (bpf_lru_node_set_ref). */
  override lookupElem(keyPtr: bigint, cpu: number): bigint {
    const keyOff = ptrToOff(keyPtr);
    const idx = this.find(keyOff, this.hashKey(keyOff));
    if (idx < 0) return 0n;
    this.setRef(idx, 1);
    return offToPtr(this.valueAt(idx, cpu));
  }
}

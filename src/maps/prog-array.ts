/**
 * BPF_MAP_TYPE_PROG_ARRAY (kernel/bpf/arraymap.c prog array semantics): slots hold program
 * references for tail calls. In linear memory each slot is a u64 program id (0 when empty) so the
 * JIT can test a slot without calling out; the runtime resolves ids through `progAt`.
 * The first program inserted (or claimed with `claimOwner` when a program using the map loads)
 * fixes the program type; others are refused with EINVAL, as bpf_prog_map_compatible does.
 * When the last user reference goes, every slot is cleared (prog_array_map_clear).
 * Works in node / browser.
 */
import { FdArrayMap } from './fd-array.ts';
import { E2BIG, EINVAL, ENOENT, EPERM } from '../uapi/errno.ts';
import { BPF_ANY } from '../uapi/bpf.ts';
import type { AddressSpace, Region } from '../vm/memory.ts';
import type { MapAttrs, ProgRef } from './map.ts';
import { ptrToOff } from './map.ts';

/** A program array. */
export class ProgArrayMap extends FdArrayMap {
  readonly slots: Region;
  private readonly progs: (ProgRef | undefined)[];
  /** The program type every entry must have, once fixed. */
  ownerType: number | undefined;

  constructor(space: AddressSpace, attrs: MapAttrs) {
    super(space, attrs);
    this.slots = space.alloc(this.maxEntries * 8, { kind: 'map', name: this.name, writable: false });
    this.progs = new Array<ProgRef | undefined>(this.maxEntries).fill(undefined);
  }

  /** The program in slot `index` (tail call target), if any. */
  progAt(index: number): ProgRef | undefined {
    return this.progs[index];
  }

  /** Fixes the owner program type; false when another type already owns the map. */
  claimOwner(progType: number): boolean {
    if (this.ownerType === undefined) this.ownerType = progType;
    return this.ownerType === progType;
  }

  private setSlot(index: number, prog: ProgRef | undefined): void {
    const old = this.progs[index];
    this.progs[index] = prog;
    this.space.dataView().setBigUint64(this.slots.offset + 8 * index, BigInt(prog?.id ?? 0), true);
    old?.release();
  }

  /**
   * User-space update with a program (bpf_fd_array_map_update_elem): 0, -EINVAL (flags other than
   * BPF_ANY, or a program of another type than the owner's), -E2BIG (index), -EPERM (frozen).
   */
  updateProg(key: Uint8Array, prog: ProgRef, flags = 0): number {
    this.checkKey(key);
    if (!this.canWrite()) return -EPERM;
    if (flags !== BPF_ANY) return -EINVAL;
    const index = new DataView(key.buffer, key.byteOffset, 4).getUint32(0, true);
    if (index >= this.maxEntries) return -E2BIG;
    if (!this.claimOwner(prog.type)) return -EINVAL;
    prog.acquire();
    this.setSlot(index, prog);
    return 0;
  }

  protected deleteAt(index: number): number {
    if (index >= this.maxEntries) return -E2BIG;
    if (this.progs[index] === undefined) return -ENOENT;
    this.setSlot(index, undefined);
    return 0;
  }

  /** BPF-side lookups of prog arrays are refused by the verifier; 0n if one ever arrives. */
  override lookupElem(): bigint {
    return 0n;
  }
  override deleteElem(keyPtr: bigint): number {
    return this.deleteAt(this.space.dataView().getUint32(ptrToOff(keyPtr), true));
  }

  protected sysLookup(): Uint8Array | number {
    const index = this.scratchIndex();
    const p = index < this.maxEntries ? this.progs[index] : undefined;
    if (p === undefined) return -ENOENT;
    const out = new Uint8Array(4);
    new DataView(out.buffer).setUint32(0, p.id, true);
    return out;
  }

  /** prog_array_map_clear on the last user reference. */
  override releaseUserRefs(): void {
    for (let i = 0; i < this.maxEntries; i++) if (this.progs[i] !== undefined) this.setSlot(i, undefined);
  }

  protected freeStorage(): void {
    this.releaseUserRefs();
    this.space.free(this.slots);
  }
}

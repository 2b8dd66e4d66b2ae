/**
 * BPF_MAP_TYPE_ARRAY and BPF_MAP_TYPE_PERCPU_ARRAY (kernel/bpf/arraymap.c semantics).
 *
 * Storage: one region of `maxEntries * elemSize` bytes (elemSize = round_up(value_size, 8)),
 * value i at `base + i * elemSize`. Per-CPU arrays hold one such block per CPU, CPU-major:
 * value i of cpu c at `base + (c * maxEntries + i) * elemSize`, so the JIT indexes with two
 * multiplications and BPF code sees only its CPU's copy.
 * Works in node / browser.
 */
import { E2BIG, EEXIST, EINVAL, ENOENT } from '../uapi/errno.ts';
import { BPF_EXIST, BPF_F_LOCK, BPF_MAP_TYPE_PERCPU_ARRAY, BPF_NOEXIST } from '../uapi/bpf.ts';
import type { Region, AddressSpace } from '../vm/memory.ts';
import type { MapAttrs } from './map.ts';
import { BpfMap, offToPtr, ptrToOff, roundUp8, nextArrayIndex } from './map.ts';

/** An array map; value pointers stay valid for the life of the map. */
export class ArrayMap extends BpfMap {
  readonly elemSize: number;
  readonly percpu: boolean;
  /** The values region (see the module comment for its layout). */
  readonly values: Region;

  constructor(space: AddressSpace, attrs: MapAttrs) {
    super(space, attrs);
    this.elemSize = roundUp8(this.valueSize);
    this.percpu = this.type === BPF_MAP_TYPE_PERCPU_ARRAY;
    const copies = this.percpu ? this.nCpus : 1;
    this.values = space.alloc(this.maxEntries * this.elemSize * copies, { kind: 'map', name: this.name });
  }

  /** Offset of element `index` of `cpu`'s copy. */
  valueOff(index: number, cpu: number): number {
    return this.values.offset + ((this.percpu ? cpu * this.maxEntries : 0) + index) * this.elemSize;
  }

  private indexAt(keyOff: number): number {
    return this.space.dataView().getUint32(keyOff, true);
  }

  override lookupElem(keyPtr: bigint, cpu: number): bigint {
    const index = this.indexAt(ptrToOff(keyPtr));
    if (index >= this.maxEntries) return 0n;
    return offToPtr(this.valueOff(index, cpu));
  }

  override updateElem(keyPtr: bigint, valuePtr: bigint, flags: bigint, cpu: number): number {
    return this.updateAt(this.indexAt(ptrToOff(keyPtr)), ptrToOff(valuePtr), flags, cpu);
  }

  /** array_map_update_elem: BPF side, and user side of the plain array. */
  private updateAt(index: number, srcOff: number, flags: bigint, cpu: number): number {
    if ((flags & ~BigInt(BPF_F_LOCK)) > BigInt(BPF_EXIST)) return -EINVAL;
    if (index >= this.maxEntries) return -E2BIG;
    if ((flags & BigInt(BPF_NOEXIST)) !== 0n) return -EEXIST;
    if ((flags & BigInt(BPF_F_LOCK)) !== 0n && !this.hasSpinLock()) return -EINVAL;
    const dst = this.valueOff(index, cpu);
    this.copyValue(dst, srcOff);
    // The kernel frees the element's special fields after every array update, BPF_F_LOCK included.
    this.freeFields(dst);
    return 0;
  }

  override deleteElem(): number {
    return -EINVAL;
  }

  protected sysLookup(): Uint8Array | number {
    const index = this.indexAt(this.scratchKeyOff);
    if (index >= this.maxEntries) return -ENOENT;
    const out = new Uint8Array(this.userValueSize());
    if (!this.percpu) {
      this.readValueOut(this.valueOff(index, 0), out);
      return out;
    }
    for (let c = 0; c < this.nCpus; c++) this.readValueOut(this.valueOff(index, c), out, c * this.elemSize);
    return out;
  }

  protected sysUpdate(flags: number): number {
    const index = this.indexAt(this.scratchKeyOff);
    if (!this.percpu) return this.updateAt(index, this.scratchValueOff, BigInt(flags), 0);
    // bpf_percpu_array_update: BPF_F_LOCK is not a per-CPU flag, so it counts as unknown here.
    if (flags > BPF_EXIST) return -EINVAL;
    if (index >= this.maxEntries) return -E2BIG;
    if (flags === BPF_NOEXIST) return -EEXIST;
    for (let c = 0; c < this.nCpus; c++) {
      const dst = this.valueOff(index, c);
      this.copyValue(dst, this.scratchValueOff + c * this.elemSize);
      this.freeFields(dst);
    }
    return 0;
  }

  protected sysDelete(): number {
    return -EINVAL;
  }

  /** array_map_get_next_key: index order; a missing or out-of-range key restarts at 0. */
  protected sysGetNextKey(hasKey: boolean, out: Uint8Array): number {
    return nextArrayIndex(hasKey ? this.indexAt(this.scratchKeyOff) : undefined, this.maxEntries, out);
  }

  protected override batchSupported(): { lookup: boolean; update: boolean; delete: boolean; lookupAndDelete: boolean } {
    return { lookup: true, update: true, delete: false, lookupAndDelete: false };
  }

  /** Every value's offset (all CPUs), for the uref release and map free walks. */
  private forEachValue(fn: (off: number) => void): void {
    const copies = this.percpu ? this.nCpus : 1;
    for (let c = 0; c < copies; c++) for (let i = 0; i < this.maxEntries; i++) fn(this.valueOff(i, c));
  }

  /** map_release_uref: frees timer / wq fields of every element; nothing else changes. */
  override releaseUserRefs(): void {
    if (this.hasUrefFields()) this.forEachValue((off) => this.freeFields(off));
  }

  protected freeStorage(): void {
    this.forEachValue((off) => this.freeFields(off));
    this.space.free(this.values);
  }
}

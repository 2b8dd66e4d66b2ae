/**
 * BPF_MAP_TYPE_QUEUE and BPF_MAP_TYPE_STACK (kernel/bpf/queue_stack_maps.c semantics).
 *
 * Storage: one region, header then a ring of max_entries + 1 slots of value_size bytes (one slot
 * stays empty so that head == tail means empty):
 *   +0 u32 head (next slot to write)  +4 u32 tail (oldest element)  +8 u32 size (slots)  +12 pad
 *   +16 slots
 * A queue pops at the tail, a stack at head - 1. Push with BPF_EXIST on a full map drops the
 * oldest element (the tail) for both. Pop and peek on an empty map zero the destination and
 * return -ENOENT.
 * Works in node / browser.
 */
import { E2BIG, EINVAL, ENOENT } from '../uapi/errno.ts';
import { BPF_EXIST, BPF_MAP_TYPE_STACK, BPF_NOEXIST } from '../uapi/bpf.ts';
import type { AddressSpace, Region } from '../vm/memory.ts';
import type { MapAttrs } from './map.ts';
import { BpfMap, ptrToOff } from './map.ts';

const HDR = 16;

/** A queue or a stack. */
export class QueueStackMap extends BpfMap {
  readonly isStack: boolean;
  readonly ring: Region;
  readonly size: number;

  constructor(space: AddressSpace, attrs: MapAttrs) {
    super(space, attrs);
    this.isStack = this.type === BPF_MAP_TYPE_STACK;
    this.size = this.maxEntries + 1;
    this.ring = space.alloc(HDR + this.size * this.valueSize, { kind: 'map', name: this.name });
    this.space.dataView().setUint32(this.ring.offset + 8, this.size, true);
  }

  private get head(): number {
    return this.space.dataView().getUint32(this.ring.offset, true);
  }
  private set head(v: number) {
    this.space.dataView().setUint32(this.ring.offset, v, true);
  }
  private get tail(): number {
    return this.space.dataView().getUint32(this.ring.offset + 4, true);
  }
  private set tail(v: number) {
    this.space.dataView().setUint32(this.ring.offset + 4, v, true);
  }
  private slot(i: number): number {
    return this.ring.offset + HDR + i * this.valueSize;
  }

  /** Number of elements held. */
  get length(): number {
    return (this.head - this.tail + this.size) % this.size;
  }

  private push(srcOff: number, flags: bigint): number {
    if ((flags & BigInt(BPF_NOEXIST)) !== 0n || flags > BigInt(BPF_EXIST)) return -EINVAL;
    if ((this.head + 1) % this.size === this.tail) {
      if ((flags & BigInt(BPF_EXIST)) === 0n) return -E2BIG;
      this.tail = (this.tail + 1) % this.size;
    }
    const u8 = this.space.u8();
    u8.copyWithin(this.slot(this.head), srcOff, srcOff + this.valueSize);
    this.head = (this.head + 1) % this.size;
    return 0;
  }

  /** Copies the next element to `dstOff`; removes it when `del`. */
  private get(dstOff: number, del: boolean): number {
    const u8 = this.space.u8();
    if (this.head === this.tail) {
      u8.fill(0, dstOff, dstOff + this.valueSize);
      return -ENOENT;
    }
    const index = this.isStack ? (this.head - 1 + this.size) % this.size : this.tail;
    u8.copyWithin(dstOff, this.slot(index), this.slot(index) + this.valueSize);
    if (del) {
      if (this.isStack) this.head = index;
      else this.tail = (this.tail + 1) % this.size;
    }
    return 0;
  }

  override pushElem(valuePtr: bigint, flags: bigint): number {
    return this.push(ptrToOff(valuePtr), flags);
  }
  override popElem(valuePtr: bigint): number {
    return this.get(ptrToOff(valuePtr), true);
  }
  override peekElem(valuePtr: bigint): number {
    return this.get(ptrToOff(valuePtr), false);
  }
  override updateElem(_keyPtr: bigint, valuePtr: bigint, flags: bigint): number {
    return this.push(ptrToOff(valuePtr), flags);
  }

  protected sysLookup(): Uint8Array | number {
    const err = this.get(this.scratchValueOff, false);
    return err < 0 ? err : this.space.u8().slice(this.scratchValueOff, this.scratchValueOff + this.valueSize);
  }
  protected sysUpdate(flags: number): number {
    return this.push(this.scratchValueOff, BigInt(flags));
  }
  protected sysDelete(): number {
    return -EINVAL;
  }
  protected sysGetNextKey(): number {
    return -EINVAL;
  }
  /** Pop; the kernel refuses any flags for queues and stacks. */
  protected override sysLookupAndDelete(flags: number): Uint8Array | number {
    if (flags !== 0) return -EINVAL;
    const err = this.get(this.scratchValueOff, true);
    return err < 0 ? err : this.space.u8().slice(this.scratchValueOff, this.scratchValueOff + this.valueSize);
  }

  protected freeStorage(): void {
    this.space.free(this.ring);
  }
}

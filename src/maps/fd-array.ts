/**
 * What the kernel's fd arrays (kernel/bpf/arraymap.c fd_array_map_*) share: maps keyed by a u32
 * index whose values stand for file descriptors (inner maps, programs). From user space a raw
 * value is meaningless here (-EBADF: the subclass offers a typed update), deletion clears a slot,
 * and keys are walked in index order.
 */
import { BpfMap, nextArrayIndex } from './map.ts';
import { EBADF } from '../uapi/errno.ts';

export abstract class FdArrayMap extends BpfMap {
  /** Clears slot `index`: 0, or -errno (-E2BIG out of range, -ENOENT empty). */
  protected abstract deleteAt(index: number): number;

  /** The u32 key user space passed in. */
  protected scratchIndex(): number {
    return this.space.dataView().getUint32(this.scratchKeyOff, true);
  }
  protected sysUpdate(): number {
    return -EBADF;
  }
  protected sysDelete(): number {
    return this.deleteAt(this.scratchIndex());
  }
  protected sysGetNextKey(hasKey: boolean, out: Uint8Array): number {
    return nextArrayIndex(hasKey ? this.scratchIndex() : undefined, this.maxEntries, out);
  }
}

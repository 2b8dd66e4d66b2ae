/**
 * Reference counting of live maps and programs, as the kernel counts them (kernel/bpf/syscall.c):
 * - a map has user references (`usercnt`: handles, which stand for file descriptors, and pins)
 *   and ordinary references (`refcnt`: programs using it, outer maps holding it, and every user
 *   reference too). When the user references reach zero, map_release_uref runs (timers are
 *   cancelled); when nothing references the map any more it is freed.
 * - a program has ordinary references only: handles, pins, prog array slots, armed timers.
 * Nothing here depends on garbage collection: every reference is dropped explicitly.
 * Works in node / browser.
 */
import type { BpfMap } from '../maps/map.ts';
import { InternalError } from '../util/errors.ts';

/** The runtime's bookkeeping for one live map. */
export class MapRefs {
  readonly map: BpfMap;
  /** User references: live handles and pins. */
  urefs = 0;
  /** Called once when the map is freed (unregisters it). */
  private readonly onFree: (refs: MapRefs) => void;
  /** Called after map_release_uref, each time the user references reach zero (timers are freed). */
  private readonly onUrefsGone: ((refs: MapRefs) => void) | undefined;
  /** Objects owned with the map and freed with it (an outer map's inner template). */
  readonly owned: BpfMap[] = [];

  constructor(map: BpfMap, onFree: (refs: MapRefs) => void, onUrefsGone?: (refs: MapRefs) => void) {
    this.map = map;
    this.onFree = onFree;
    this.onUrefsGone = onUrefsGone;
  }

  get freed(): boolean {
    return this.map.destroyed;
  }

  /** bpf_map_inc_with_uref. */
  acquireUser(): void {
    if (this.freed) throw new InternalError(`uref taken on freed map '${this.map.name}'`);
    this.urefs++;
  }

  /** bpf_map_put_with_uref: map_release_uref at the last user reference, then the map may be freed. */
  releaseUser(): void {
    if (this.urefs <= 0) throw new InternalError(`uref count of map '${this.map.name}' would go negative`);
    this.urefs--;
    if (this.urefs === 0) {
      this.map.releaseUserRefs();
      this.onUrefsGone?.(this);
    }
    this.maybeFree();
  }

  /** bpf_map_inc (programs, outer maps). */
  acquire(): void {
    if (this.freed) throw new InternalError(`reference taken on freed map '${this.map.name}'`);
    this.map.refCount++;
  }

  /** bpf_map_put. */
  release(): void {
    if (this.map.refCount <= 0) throw new InternalError(`refcount of map '${this.map.name}' would go negative`);
    this.map.refCount--;
    this.maybeFree();
  }

  /** Frees the map when neither kind of reference is left (also after an outer map let go of it). */
  maybeFree(): void {
    if (this.freed || this.urefs > 0 || this.map.refCount > 0) return;
    this.map.destroy();
    for (const m of this.owned) m.destroy();
    this.onFree(this);
  }
}

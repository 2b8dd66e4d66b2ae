/**
 * Creates a live map from creation attributes: the kernel's BPF_MAP_CREATE checks and the map
 * classes are maps/create.ts; this is the runtime's single entry to it.
 * Works in node / browser.
 */
import type { AddressSpace } from '../vm/memory.ts';
import type { BpfMap, MapAttrs } from '../maps/map.ts';
import { createMap as createMapChecked } from '../maps/create.ts';

/**
 * BPF_MAP_CREATE.
 * @throws {BpfError} with the kernel's errno for attributes it refuses (EINVAL, E2BIG, EOPNOTSUPP
 * for timers in per-CPU maps, EACCES for timers with BPF_F_RDONLY_PROG / BPF_F_WRONLY_PROG, ...).
 */
export function createMap(space: AddressSpace, attrs: MapAttrs): BpfMap {
  return createMapChecked(space, attrs);
}

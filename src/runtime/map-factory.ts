/**
 * Creates a live map from creation attributes: the kernel's BPF_MAP_CREATE checks and the map
 * classes are maps/create.ts; this is the runtime's single entry to it. Devmaps check their
 * entries against the network devices of the runtime that owns the address space (registered
 * by the Runtime with {@link registerNetdevs}; `lo` only when none was).
 * Works in node / browser.
 */
import type { AddressSpace } from '../vm/memory.ts';
import type { BpfMap, MapAttrs } from '../maps/map.ts';
import { createMap as createMapChecked } from '../maps/create.ts';
import { DEFAULT_NETDEVS, type NetdevTable } from '../maps/netdev.ts';

/** The network devices of each runtime, by its address space (one runtime per space). */
const netdevsBySpace = new WeakMap<AddressSpace, NetdevTable>();

/** @internal Called by the Runtime: devmaps created in `space` name devices of `netdevs`. */
export function registerNetdevs(space: AddressSpace, netdevs: NetdevTable): void {
  netdevsBySpace.set(space, netdevs);
}

/** The network devices of the runtime owning `space` (`lo` only when none were registered). */
export function netdevsOf(space: AddressSpace): NetdevTable {
  return netdevsBySpace.get(space) ?? DEFAULT_NETDEVS;
}

/**
 * BPF_MAP_CREATE.
 * @throws {BpfError} with the kernel's errno for attributes it refuses (EINVAL, E2BIG, EOPNOTSUPP
 * for timers in per-CPU maps, EACCES for timers with BPF_F_RDONLY_PROG / BPF_F_WRONLY_PROG, ...),
 * and EINVAL for map types tsbpf does not implement (cpumap, xskmap, ...).
 */
export function createMap(space: AddressSpace, attrs: MapAttrs): BpfMap {
  return createMapChecked(space, attrs, netdevsOf(space));
}

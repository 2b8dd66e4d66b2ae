/**
 * Creates a live map from creation attributes: the kernel's BPF_MAP_CREATE checks and the map
 * classes are maps/create.ts; this is the runtime's single entry to it. Devmaps check their
 * entries against `netdevs`, the network devices of the runtime creating them.
 * Works in node / browser.
 */
import type { AddressSpace } from '../vm/memory.ts';
import type { BpfMap, MapAttrs } from '../maps/map.ts';
import { createMap as createMapChecked } from '../maps/create.ts';
import { DEFAULT_NETDEVS, type NetdevTable } from '../maps/netdev.ts';

/**
 * BPF_MAP_CREATE.
 * @throws {BpfError} with the kernel's errno for attributes it refuses (EINVAL, E2BIG, EOPNOTSUPP
 * for timers in per-CPU maps, EACCES for timers with BPF_F_RDONLY_PROG / BPF_F_WRONLY_PROG, ...),
 * and EINVAL for map types tsbpf does not implement (cpumap, xskmap, ...).
 */
export function createMap(space: AddressSpace, attrs: MapAttrs, netdevs: NetdevTable = DEFAULT_NETDEVS): BpfMap {
  return createMapChecked(space, attrs, netdevs);
}

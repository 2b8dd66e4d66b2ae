/**
 * Creates a live map from creation attributes, with the kernel's creation checks where the map
 * classes do not make them (map_create() in kernel/bpf/syscall.c and each type's
 * map_alloc_check). Types tsbpf does not implement are refused with EINVAL naming the type.
 * Works in node / browser.
 */
import type { AddressSpace } from '../vm/memory.ts';
import type { BpfMap, MapAttrs } from '../maps/map.ts';
import { ArrayMap } from '../maps/array.ts';
import { HashMap } from '../maps/hash.ts';
import { LruHashMap } from '../maps/lru-hash.ts';
import { QueueStackMap } from '../maps/queue-stack.ts';
import { BpfError } from '../util/errors.ts';
import { EINVAL } from '../uapi/errno.ts';
import {
  BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_LRU_HASH, BPF_MAP_TYPE_LRU_PERCPU_HASH,
  BPF_MAP_TYPE_PERCPU_ARRAY, BPF_MAP_TYPE_PERCPU_HASH, BPF_MAP_TYPE_QUEUE, BPF_MAP_TYPE_STACK, mapTypeName,
} from '../uapi/bpf.ts';

/**
 * BPF_MAP_CREATE.
 * @throws {BpfError} EINVAL for a map type tsbpf does not implement or attributes the kernel refuses.
 */
export function createMap(space: AddressSpace, attrs: MapAttrs): BpfMap {
  if (attrs.maxEntries === 0 && attrs.type !== BPF_MAP_TYPE_QUEUE && attrs.type !== BPF_MAP_TYPE_STACK) {
    throw new BpfError(EINVAL, `map '${attrs.name ?? ''}': max_entries must not be 0`);
  }
  switch (attrs.type) {
    case BPF_MAP_TYPE_ARRAY:
    case BPF_MAP_TYPE_PERCPU_ARRAY:
      if (attrs.keySize !== 4 || attrs.valueSize === 0) throw new BpfError(EINVAL, `map '${attrs.name ?? ''}': array maps need key_size 4 and a value`);
      return new ArrayMap(space, attrs);
    case BPF_MAP_TYPE_HASH:
    case BPF_MAP_TYPE_PERCPU_HASH:
      if (attrs.keySize === 0 || attrs.valueSize === 0) throw new BpfError(EINVAL, `map '${attrs.name ?? ''}': hash maps need a key and a value`);
      return new HashMap(space, attrs);
    case BPF_MAP_TYPE_LRU_HASH:
    case BPF_MAP_TYPE_LRU_PERCPU_HASH:
      if (attrs.keySize === 0 || attrs.valueSize === 0) throw new BpfError(EINVAL, `map '${attrs.name ?? ''}': hash maps need a key and a value`);
      return new LruHashMap(space, attrs);
    case BPF_MAP_TYPE_QUEUE:
    case BPF_MAP_TYPE_STACK:
      if (attrs.keySize !== 0 || attrs.valueSize === 0) throw new BpfError(EINVAL, `map '${attrs.name ?? ''}': queue and stack maps take key_size 0`);
      return new QueueStackMap(space, attrs);
    default:
      throw new BpfError(EINVAL, `map '${attrs.name ?? ''}': map type ${mapTypeName(attrs.type) ?? attrs.type} is not supported by tsbpf`);
  }
}

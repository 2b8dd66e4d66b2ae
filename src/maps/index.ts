/**
 * @module maps
 * BPF maps with their storage in the one address space (vm/memory.ts): array, per-CPU array,
 * hash, per-CPU hash, LRU hash, per-CPU LRU hash, array of maps, hash of maps, prog array,
 * queue, stack, ring buffer, bloom filter, devmap and devmap hash (over a table of virtual network
 * devices), with the kernel's semantics and errno values (https://docs.kernel.org/bpf/maps.html,
 * kernel/bpf/{arraymap,hashtab,bpf_lru_list,queue_stack_maps,ringbuf,bloom_filter,map_in_map,devmap,syscall}.c). Imports btf/ and vm/memory only; never the
 * verifier, helpers or runtime.
 * Works in node / browser.
 */
export { BpfMap, MAP_DESCRIPTOR_BYTES, isPercpuType } from './map.ts';
export type { BatchOptions, BatchResult, MapAttrs, ProgRef, SpecialFieldsHooks } from './map.ts';
export { createMap, mapCreateErrno, KMALLOC_MAX_SIZE, PCPU_MIN_UNIT_SIZE } from './create.ts';
export { ArrayMap } from './array.ts';
export { HashMap, DEFAULT_HASH_SEED, HTAB_ELEM_HDR } from './hash.ts';
export { LruHashMap } from './lru-hash.ts';
export { ArrayOfMapsMap, HashOfMapsMap, metaEqual } from './map-in-map.ts';
export type { InnerMapMeta } from './map-in-map.ts';
export { ProgArrayMap } from './prog-array.ts';
export { QueueStackMap } from './queue-stack.ts';
export { BloomFilterMap, bloomBitsetMask, bloomHashCount } from './bloom-filter.ts';
export { RingBufMap, BPF_RINGBUF_BUSY_BIT, BPF_RINGBUF_DISCARD_BIT, BPF_RINGBUF_HDR_SZ } from './ringbuf.ts';
export { DevMap, DevMapBase, DevMapHash, DEVMAP_VAL_BYTES, isDevmapType } from './devmap.ts';
export { NetdevTable, DEFAULT_NETDEVS, LOOPBACK, type Netdev } from './netdev.ts';
export { htabHash, jhashBytes, jhashWords } from './jhash.ts';

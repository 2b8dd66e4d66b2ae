/**
 * Map creation: the checks of BPF_MAP_CREATE in the kernel's order (kernel/bpf/syscall.c
 * map_create, each type's map_alloc_check and map_alloc, bpf_obj_name_cpy, then map_check_btf's
 * special-field rules), then the map object. Errno values are the kernel's (6.18); the ones that
 * need no BTF are verified against the running kernel in create.test.ts.
 * Works in node / browser.
 */
import {
  BPF_KPTR, BPF_LIST_HEAD, BPF_RB_ROOT, BPF_REFCOUNT, BPF_RES_SPIN_LOCK, BPF_SPIN_LOCK, BPF_TASK_WORK, BPF_TIMER, BPF_UPTR,
  BPF_WORKQUEUE,
} from '../btf/special-fields.ts';
import { BpfError } from '../util/errors.ts';
import { E2BIG, EACCES, EINVAL, ENOTSUPP, EOPNOTSUPP, errnoName } from '../uapi/errno.ts';
import {
  BPF_F_INNER_MAP, BPF_F_MMAPABLE, BPF_F_NO_COMMON_LRU, BPF_F_NO_PREALLOC, BPF_F_NUMA_NODE,
  BPF_F_PRESERVE_ELEMS, BPF_F_RDONLY, BPF_F_RDONLY_PROG, BPF_F_WRONLY, BPF_F_WRONLY_PROG, BPF_F_ZERO_SEED,
  BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_ARRAY_OF_MAPS, BPF_MAP_TYPE_BLOOM_FILTER, BPF_MAP_TYPE_CPUMAP, BPF_MAP_TYPE_DEVMAP,
  BPF_MAP_TYPE_DEVMAP_HASH, BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_HASH_OF_MAPS, BPF_MAP_TYPE_LRU_HASH, BPF_MAP_TYPE_LRU_PERCPU_HASH,
  BPF_MAP_TYPE_XSKMAP, BPF_MAP_TYPE_PERCPU_ARRAY, BPF_MAP_TYPE_PERCPU_HASH, BPF_MAP_TYPE_PROG_ARRAY,
  BPF_MAP_TYPE_QUEUE, BPF_MAP_TYPE_RINGBUF, BPF_MAP_TYPE_STACK, isMapType, mapTypeName,
} from '../uapi/bpf.ts';
import type { AddressSpace } from '../vm/memory.ts';
import { ArrayMap } from './array.ts';
import { BloomFilterMap } from './bloom-filter.ts';
import { DevMap, DevMapHash } from './devmap.ts';
import { HashMap } from './hash.ts';
import { LruHashMap } from './lru-hash.ts';
import type { BpfMap, MapAttrs } from './map.ts';
import { roundUp8 } from './map.ts';
import { ArrayOfMapsMap, HashOfMapsMap, canBeInnerMap, isMapInMap } from './map-in-map.ts';
import { ProgArrayMap } from './prog-array.ts';
import { QueueStackMap } from './queue-stack.ts';
import { RingBufMap } from './ringbuf.ts';
import { DEFAULT_NETDEVS, type NetdevTable } from './netdev.ts';

/** KMALLOC_MAX_SIZE on x86-64 (4 MiB). */
export const KMALLOC_MAX_SIZE = 1 << 22;
/** PCPU_MIN_UNIT_SIZE: the largest per-CPU value. */
export const PCPU_MIN_UNIT_SIZE = 32768;
/** sizeof(struct htab_elem) on x86-64, part of the hash value-size limit. */
export const HTAB_ELEM_STRUCT_SIZE = 48;
const PAGE_SIZE = 4096;
const BPF_F_ACCESS_MASK_ = BPF_F_RDONLY | BPF_F_RDONLY_PROG | BPF_F_WRONLY | BPF_F_WRONLY_PROG;

const ARRAY_CREATE_FLAG_MASK = BPF_F_NUMA_NODE | BPF_F_MMAPABLE | BPF_F_ACCESS_MASK_ | BPF_F_PRESERVE_ELEMS | BPF_F_INNER_MAP;
const HTAB_CREATE_FLAG_MASK = BPF_F_NO_PREALLOC | BPF_F_NO_COMMON_LRU | BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK_ | BPF_F_ZERO_SEED;
const QUEUE_STACK_CREATE_FLAG_MASK = BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK_;

/** bpf_map_flags_access_ok: not both read-only and write-only, for either side. */
function accessOk(flags: number): boolean {
  return (flags & (BPF_F_RDONLY | BPF_F_WRONLY)) !== (BPF_F_RDONLY | BPF_F_WRONLY) &&
    (flags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)) !== (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG);
}

function numaNode(a: MapAttrs): number {
  return ((a.flags ?? 0) & BPF_F_NUMA_NODE) !== 0 ? (a.numaNode ?? 0) : -1;
}

function isPow2(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

/** array_map_alloc_check (+ fd_array_map_alloc_check for prog arrays and arrays of maps). */
function arrayCheck(a: MapAttrs): number {
  const flags = a.flags ?? 0;
  const percpu = a.type === BPF_MAP_TYPE_PERCPU_ARRAY;
  if (a.type === BPF_MAP_TYPE_PROG_ARRAY || a.type === BPF_MAP_TYPE_ARRAY_OF_MAPS) {
    if (a.valueSize !== 4) return EINVAL;
    if ((flags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)) !== 0) return EINVAL;
  }
  if (a.maxEntries === 0 || a.keySize !== 4 || a.valueSize === 0 || (flags & ~ARRAY_CREATE_FLAG_MASK) !== 0 ||
      !accessOk(flags) || (percpu && numaNode(a) !== -1)) return EINVAL;
  if (a.type !== BPF_MAP_TYPE_ARRAY && (flags & (BPF_F_MMAPABLE | BPF_F_INNER_MAP)) !== 0) return EINVAL;
  if ((flags & BPF_F_PRESERVE_ELEMS) !== 0) return EINVAL; // perf event arrays only
  if (a.valueSize > 0x7fff_ffff) return E2BIG;
  if (percpu && roundUp8(a.valueSize) > PCPU_MIN_UNIT_SIZE) return E2BIG;
  if (a.maxEntries > 2 ** 31) return E2BIG; // the index mask rounding overflows
  return 0;
}

/** htab_map_alloc_check (+ fd_htab_map_alloc_check) and htab_map_alloc's size limits. */
function hashCheck(a: MapAttrs, nCpus: number): number {
  const flags = a.flags ?? 0;
  const percpu = a.type === BPF_MAP_TYPE_PERCPU_HASH || a.type === BPF_MAP_TYPE_LRU_PERCPU_HASH;
  const lru = a.type === BPF_MAP_TYPE_LRU_HASH || a.type === BPF_MAP_TYPE_LRU_PERCPU_HASH;
  const percpuLru = (flags & BPF_F_NO_COMMON_LRU) !== 0;
  const prealloc = (flags & BPF_F_NO_PREALLOC) === 0;
  if (a.type === BPF_MAP_TYPE_HASH_OF_MAPS && a.valueSize !== 4) return EINVAL;
  if ((flags & ~HTAB_CREATE_FLAG_MASK) !== 0 || !accessOk(flags)) return EINVAL;
  if (!lru && percpuLru) return EINVAL;
  if (lru && !prealloc) return ENOTSUPP;
  if (numaNode(a) !== -1 && (percpu || percpuLru)) return EINVAL;
  if (a.maxEntries === 0 || a.keySize === 0 || a.valueSize === 0) return EINVAL;
  if (a.keySize + a.valueSize >= KMALLOC_MAX_SIZE - HTAB_ELEM_STRUCT_SIZE) return E2BIG;
  if (percpu && roundUp8(a.valueSize) > PCPU_MIN_UNIT_SIZE) return E2BIG;
  if (lruMaxEntries(a.maxEntries, flags, nCpus) > 2 ** 31) return E2BIG;
  return 0;
}

/** Per-CPU LRU lists get the same number of elements each: max_entries rounds to a multiple of the CPUs. */
function lruMaxEntries(maxEntries: number, flags: number, nCpus: number): number {
  if ((flags & BPF_F_NO_COMMON_LRU) === 0) return maxEntries;
  const up = Math.ceil(maxEntries / nCpus) * nCpus;
  return up > 0xffff_ffff ? Math.floor(maxEntries / nCpus) * nCpus : up;
}

function queueStackCheck(a: MapAttrs): number {
  const flags = a.flags ?? 0;
  if (a.maxEntries === 0 || a.keySize !== 0 || a.valueSize === 0 || (flags & ~QUEUE_STACK_CREATE_FLAG_MASK) !== 0 || !accessOk(flags)) return EINVAL;
  if (a.valueSize > KMALLOC_MAX_SIZE) return E2BIG;
  return 0;
}

const BLOOM_CREATE_FLAG_MASK = BPF_F_NUMA_NODE | BPF_F_ZERO_SEED | BPF_F_ACCESS_MASK_;

/** bloom_map_alloc_check, then bloom_map_alloc's attribute checks. */
function bloomCheck(a: MapAttrs): number {
  const flags = a.flags ?? 0;
  if (a.valueSize > KMALLOC_MAX_SIZE) return E2BIG;
  if (a.keySize !== 0 || a.valueSize === 0 || a.maxEntries === 0 || (flags & ~BLOOM_CREATE_FLAG_MASK) !== 0 || !accessOk(flags)) return EINVAL;
  if (((a.mapExtra ?? 0n) & ~0xfn) !== 0n) return EINVAL; // the low 4 bits: the number of hash functions
  return 0;
}

function ringbufCheck(a: MapAttrs): number {
  if (((a.flags ?? 0) & ~BPF_F_NUMA_NODE) !== 0) return EINVAL;
  if (a.keySize !== 0 || a.valueSize !== 0 || !isPow2(a.maxEntries) || a.maxEntries % PAGE_SIZE !== 0) return EINVAL;
  return 0;
}

const DEV_CREATE_FLAG_MASK = BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY;

/** dev_map_alloc_check: key u32, value struct bpf_devmap_val without or with its program (4 or 8 bytes). */
function devmapCheck(a: MapAttrs): number {
  if (a.maxEntries === 0 || a.keySize !== 4 || (a.valueSize !== 4 && a.valueSize !== 8) || ((a.flags ?? 0) & ~DEV_CREATE_FLAG_MASK) !== 0) return EINVAL;
  // The hash's bucket count is max_entries rounded up to a power of two.
  if (a.type === BPF_MAP_TYPE_DEVMAP_HASH && a.maxEntries > 2 ** 31) return EINVAL;
  return 0;
}

/** Why tsbpf cannot create a map type the kernel has, for the types it does not implement. */
function unsupportedReason(type: number): string | undefined {
  switch (type) {
    case BPF_MAP_TYPE_ARRAY: case BPF_MAP_TYPE_PERCPU_ARRAY: case BPF_MAP_TYPE_PROG_ARRAY: case BPF_MAP_TYPE_ARRAY_OF_MAPS:
    case BPF_MAP_TYPE_HASH: case BPF_MAP_TYPE_PERCPU_HASH: case BPF_MAP_TYPE_LRU_HASH: case BPF_MAP_TYPE_LRU_PERCPU_HASH:
    case BPF_MAP_TYPE_HASH_OF_MAPS: case BPF_MAP_TYPE_QUEUE: case BPF_MAP_TYPE_STACK: case BPF_MAP_TYPE_RINGBUF:
    case BPF_MAP_TYPE_BLOOM_FILTER: case BPF_MAP_TYPE_DEVMAP: case BPF_MAP_TYPE_DEVMAP_HASH:
      return undefined;
    case BPF_MAP_TYPE_CPUMAP:
      return 'map type not supported by tsbpf (a cpumap hands frames to per-CPU kernel threads)';
    case BPF_MAP_TYPE_XSKMAP:
      return 'map type not supported by tsbpf (an xskmap holds AF_XDP sockets)';
    default:
      return isMapType(type) ? 'map type not supported by tsbpf' : undefined;
  }
}

/** bpf_obj_name_cpy: at most 15 characters of [A-Za-z0-9_.]. */
function nameOk(name: string): boolean {
  return name.length < 16 && /^[A-Za-z0-9_.]*$/.test(name);
}

/** map_check_btf's special-field rules (spec bpf-timer.md §5.1). */
function specialFieldsCheck(a: MapAttrs): number {
  const r = a.record;
  if (r === undefined || r.error !== undefined || r.fields.length === 0) return 0;
  if (((a.flags ?? 0) & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)) !== 0) return EACCES;
  const t = a.type;
  const hashArray = t === BPF_MAP_TYPE_HASH || t === BPF_MAP_TYPE_ARRAY;
  const timerTypes = hashArray || t === BPF_MAP_TYPE_LRU_HASH;
  const kptrTypes = timerTypes || t === BPF_MAP_TYPE_PERCPU_HASH || t === BPF_MAP_TYPE_LRU_PERCPU_HASH || t === BPF_MAP_TYPE_PERCPU_ARRAY;
  for (let bit = 1; bit !== 0 && bit <= r.fieldMask; bit <<= 1) {
    if ((r.fieldMask & bit) === 0) continue;
    let ok: boolean;
    if (bit === BPF_SPIN_LOCK || bit === BPF_RES_SPIN_LOCK) ok = hashArray;
    else if (bit === BPF_TIMER || bit === BPF_WORKQUEUE || bit === BPF_TASK_WORK) ok = timerTypes;
    else if ((bit & BPF_KPTR) !== 0 || bit === BPF_REFCOUNT) ok = kptrTypes;
    else if (bit === BPF_LIST_HEAD || bit === BPF_RB_ROOT) ok = timerTypes;
    else if (bit === BPF_UPTR) ok = false; // task storage only
    else ok = false;
    if (!ok) return EOPNOTSUPP;
  }
  return 0;
}

/**
 * The errno BPF_MAP_CREATE would fail with for these attributes, or 0. Pure: allocates nothing.
 * Map types tsbpf does not implement (cpumap, xskmap, ...) give EINVAL (with a reason from {@link createMap}).
 */
export function mapCreateErrno(a: MapAttrs): number {
  const nCpus = a.nCpus ?? 2;
  const flags = a.flags ?? 0;
  // map_extra means something only for bloom filters (and arenas, which tsbpf does not create).
  if ((a.mapExtra ?? 0n) !== 0n && a.type !== BPF_MAP_TYPE_BLOOM_FILTER) return EINVAL;
  if ((flags & (BPF_F_RDONLY | BPF_F_WRONLY)) === (BPF_F_RDONLY | BPF_F_WRONLY)) return EINVAL;
  const node = numaNode(a);
  if (node !== -1 && node !== 0) return EINVAL; // one NUMA node in this machine model
  let err: number;
  switch (a.type) {
    case BPF_MAP_TYPE_ARRAY: case BPF_MAP_TYPE_PERCPU_ARRAY: case BPF_MAP_TYPE_PROG_ARRAY: case BPF_MAP_TYPE_ARRAY_OF_MAPS:
      err = arrayCheck(a); break;
    case BPF_MAP_TYPE_HASH: case BPF_MAP_TYPE_PERCPU_HASH: case BPF_MAP_TYPE_LRU_HASH: case BPF_MAP_TYPE_LRU_PERCPU_HASH:
    case BPF_MAP_TYPE_HASH_OF_MAPS:
      err = hashCheck(a, nCpus); break;
    case BPF_MAP_TYPE_QUEUE: case BPF_MAP_TYPE_STACK:
      err = queueStackCheck(a); break;
    case BPF_MAP_TYPE_RINGBUF:
      err = ringbufCheck(a); break;
    case BPF_MAP_TYPE_BLOOM_FILTER:
      err = bloomCheck(a); break;
    case BPF_MAP_TYPE_DEVMAP: case BPF_MAP_TYPE_DEVMAP_HASH:
      err = devmapCheck(a); break;
    default:
      return EINVAL;
  }
  if (err !== 0) return err;
  if (isMapInMap(a.type)) {
    const t = a.innerMapTemplate;
    if (t === undefined) return EINVAL; // the kernel: inner_map_fd is not a map
    if (isMapInMap(t.type)) return EINVAL;
    if (!canBeInnerMap(t.type)) return ENOTSUPP; // bpf_map_meta_alloc: no map_meta_equal
  }
  if (!nameOk(a.name ?? '')) return EINVAL;
  return specialFieldsCheck(a);
}

/**
 * Creates a map in `space` after the kernel's creation checks. Devmaps take their entries'
 * devices from `netdevs` (default: `lo` only).
 * @throws {BpfError} with the kernel's errno: EINVAL (sizes, flags, name, unknown or unimplemented
 * type: the message then says "not supported by tsbpf"), E2BIG (sizes over the kernel's limits),
 * EOPNOTSUPP / EACCES (special fields on a type or with flags that do not allow them), map-in-map
 * without a template: EINVAL, ENOMEM (address space full).
 * Works in node / browser.
 */
export function createMap(space: AddressSpace, attrs: MapAttrs, netdevs: NetdevTable = DEFAULT_NETDEVS): BpfMap {
  const err = mapCreateErrno(attrs);
  if (err !== 0) {
    const typeName = mapTypeName(attrs.type) ?? `type ${attrs.type}`;
    const why = (err === EINVAL ? unsupportedReason(attrs.type) : undefined) ?? errnoName(err);
    throw new BpfError(err, `cannot create map '${attrs.name ?? ''}' (${typeName}): ${why}`);
  }
  const a: MapAttrs = { ...attrs, nCpus: attrs.nCpus ?? 2 };
  switch (a.type) {
    case BPF_MAP_TYPE_ARRAY: case BPF_MAP_TYPE_PERCPU_ARRAY:
      return new ArrayMap(space, a);
    case BPF_MAP_TYPE_PROG_ARRAY:
      return new ProgArrayMap(space, a);
    case BPF_MAP_TYPE_ARRAY_OF_MAPS:
      return new ArrayOfMapsMap(space, a, a.innerMapTemplate!);
    case BPF_MAP_TYPE_HASH_OF_MAPS:
      return new HashOfMapsMap(space, a, a.innerMapTemplate!);
    case BPF_MAP_TYPE_HASH: case BPF_MAP_TYPE_PERCPU_HASH:
      return new HashMap(space, a);
    case BPF_MAP_TYPE_LRU_HASH: case BPF_MAP_TYPE_LRU_PERCPU_HASH:
      return new LruHashMap(space, { ...a, maxEntries: lruMaxEntries(a.maxEntries, a.flags ?? 0, a.nCpus!) });
    case BPF_MAP_TYPE_QUEUE: case BPF_MAP_TYPE_STACK:
      return new QueueStackMap(space, a);
    case BPF_MAP_TYPE_BLOOM_FILTER:
      return new BloomFilterMap(space, a);
    case BPF_MAP_TYPE_DEVMAP:
      return new DevMap(space, a, netdevs);
    case BPF_MAP_TYPE_DEVMAP_HASH:
      return new DevMapHash(space, a, netdevs);
    default:
      return new RingBufMap(space, a);
  }
}

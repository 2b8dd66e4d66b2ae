/**
 * @module tools/scenario/catalog-maps
 * Map and helper scenarios (issue 4) on testdata/scenarios/maps_helpers.bpf.c (and the other
 * maps_*.bpf.c, helpers_misc.bpf.c): the syscall side
 * through user-space steps, the BPF side through programs that record helper results in `out`
 * (.bss). Nothing here depends on which CPU a program ran on or on real time beyond booleans.
 */
import { del, dump, lookup, run, sleep, u32, u64, update, zeros, type ScenarioDef } from './define.ts';

const OBJ = 'maps_helpers.bpf.o';
const MPL = 'maps_percpu_lru.bpf.o';
const DEV = 'maps_devmap.bpf.o';
const NOEXIST = 1;
const EXIST = 2;
const PKT = 'ffffffffffff00000000000188b5';

const def = (name: string, covers: string[], description: string, steps: ScenarioDef['steps']): ScenarioDef => ({ name, object: OBJ, covers, description, steps });

export const mapScenarios: readonly ScenarioDef[] = [
  def('maps_array_syscall', ['maps:array', 'maps:update-flags'], 'Array from user space: update in and out of range (E2BIG), BPF_NOEXIST (EEXIST), BPF_EXIST, lookup out of range (ENOENT), delete (EINVAL), dump of every element.',
    [update('a', u32(1), u64(5)), update('a', u32(4), u64(5)), update('a', u32(1), u64(6), NOEXIST), update('a', u32(2), u64(7), EXIST), lookup('a', u32(9)), lookup('a', u32(2)), del('a', u32(0)), dump('a')]),
  def('maps_hash_syscall', ['maps:hash', 'maps:update-flags'], 'Hash from user space: fill to max_entries, E2BIG when full, EEXIST/ENOENT for the flags, delete of a missing key (ENOENT), room again after a delete, dump sorted by key.',
    [...[4, 1, 3, 2].map((k) => update('h', u32(k), u64(k * 10))), update('h', u32(5), u64(50)), update('h', u32(1), u64(11), NOEXIST), update('h', u32(9), u64(90), EXIST),
      update('h', u32(1), u64(12), EXIST), del('h', u32(9)), del('h', u32(2)), update('h', u32(5), u64(50), NOEXIST), lookup('h', u32(2)), lookup('h', u32(1)), dump('h')]),
  def('maps_hash_flags_bpf', ['maps:hash', 'maps:update-flags'], 'Hash from BPF: BPF_NOEXIST on a present key (-EEXIST), BPF_EXIST on a missing one (-ENOENT), full map (-E2BIG), flags 3 (-EINVAL), delete results.',
    [run('hash_flags'), dump('.bss'), dump('h')]),
  def('maps_percpu', ['maps:percpu'], 'Per-CPU array and hash from BPF: a program sees and writes its own CPU\'s slot; update, lookup and delete on a per-CPU hash.',
    [run('percpu'), dump('.bss'), lookup('ph', u32(1))]),
  def('maps_queue_stack', ['maps:queue', 'maps:stack'], 'Queue and stack: push until full (-E2BIG), BPF_EXIST drops the oldest, FIFO and LIFO order, empty pop/peek (-ENOENT); user-space peek (lookup with an empty key) and push (update) on a full queue.',
    [run('queue_stack'), dump('.bss'), lookup('q', ''), update('q', '', u64(7)), run('drain_queue'), dump('.bss'), lookup('q', ''), update('q', '', u64(8)), lookup('q', '')]),
  def('maps_ringbuf', ['maps:ringbuf'], 'Ring buffer: output, reserve+submit, reserve+discard, query of available data, size and positions, a reservation larger than the ring, an unknown flag.',
    [run('ringbuf'), dump('.bss')]),
  def('maps_lru_invariants', ['maps:lru'], 'LRU hash filled with 20 keys at 8 entries: every insert succeeds, between 1 and 8 elements remain, the last inserted is present (invariants, not which keys were evicted).',
    [run('lru_fill'), dump('.bss')]),
  def('helpers_bpf_loop', ['helpers:bpf_loop'], 'bpf_loop: iteration count and callback sum, early stop (returns iterations done), flags != 0 (-EINVAL), more than 1<<23 loops (-E2BIG), zero loops.',
    [run('loop'), dump('.bss')]),
  def('helpers_for_each_map_elem', ['helpers:for_each_map_elem'], 'bpf_for_each_map_elem: array elements visited in index order, early stop, flags != 0 (-EINVAL), hash elements visited once each and writable from the callback.',
    [...[1, 2, 3, 4].map((v, k) => update('a', u32(k), u64(v))), update('h', u32(1), u64(10)), update('h', u32(2), u64(20)), run('foreach'), dump('.bss'), dump('h')]),
  def('helpers_ktime', ['helpers:ktime'], 'ktime_get_ns is monotonic, boot time >= monotonic, jiffies64 > 0, TAI ahead of boot time, and a 50 ms sleep step shows as >= 50 ms between two runs.',
    [run('ktime'), sleep(), run('ktime'), dump('.bss')]),
  def('helpers_spin_lock', ['helpers:spin_lock', 'programs:repeat'], 'bpf_spin_lock around a counter from a syscall program (bpf_loop) and an XDP program run with repeat 100; user-space dumps show the lock bytes as zero.',
    [run('spin'), run('xdp_spin', undefined, { data: PKT, repeat: 100 }), run('spin'), dump('.bss'), dump('sl')]),
  def('programs_syscall_repeat_refused', ['programs:repeat'], 'BPF_PROG_TEST_RUN refuses repeat for syscall programs (EINVAL) and runs them without it.',
    [run('spin', undefined, { repeat: 1 }), run('spin'), lookup('sl', u32(0)), lookup('tm', u32(0)), update('tm', u32(0), zeros(8)), lookup('tm', u32(0))]),

  // maps_percpu_lru.bpf.c
  {
    name: 'maps_percpu_hash_user', object: MPL, covers: ['maps:percpu', 'helpers:map_lookup_percpu_elem'],
    description: 'A per-CPU hash and array written from user space (one value per CPU) and read from BPF with bpf_map_lookup_percpu_elem on each CPU; a BPF update changes only its own CPU\'s value, a new element starts at 0 on the other CPUs (sums over CPUs, so nothing depends on where the program ran).',
    steps: [update('ph', u32(1), u64(11) + u64(22)), update('pa', u32(0), u64(3) + u64(4)), dump('ph'), run('percpu_read'), lookup('ph', u32(3)), dump('.bss')],
  },
  {
    name: 'maps_lru_list_modes', object: MPL, covers: ['maps:lru', 'maps:lru-percpu-lists', 'maps:lru-percpu-hash'],
    description: 'LRU and per-CPU LRU hashes of 8 with the common list and with per-CPU lists (BPF_F_NO_COMMON_LRU; 7 entries round up to a multiple of the CPUs), 20 keys from one run: every insert succeeds, the last key is present, at most max_entries (common) or one CPU\'s share (per-CPU lists) remain.',
    steps: [run('lru_fill'), dump('.bss')],
  },
  {
    name: 'maps_hash_of_maps', object: MPL, covers: ['maps:map-in-map', 'maps:hash-of-maps'],
    description: 'A hash of maps filled by libbpf (.values at keys 1 and 3): BPF reaches the inner hashes through it, user space sees their contents; deleting key 1 (0, then ENOENT) hides the inner map from BPF while it lives on.',
    steps: [run('hom_use'), dump('in0'), dump('in1'), lookup('hom', u32(2)), del('hom', u32(1)), del('hom', u32(1)), del('in0', u32(5)), run('hom_use'), dump('in0'), dump('in1'), dump('.bss')],
  },
  {
    name: 'maps_array_of_maps_inner_map_flag', object: MPL, covers: ['maps:map-in-map'],
    description: 'An array of maps whose template has BPF_F_INNER_MAP holds inner arrays of 4 and 8 entries (libbpf .values); BPF index 6 misses in the first and hits in the second; deleting a slot (0, then ENOENT) leaves the program without that inner map.',
    steps: [run('aom_use'), dump('arr8'), lookup('aom', u32(2)), del('aom', u32(0)), del('aom', u32(0)), run('aom_use'), dump('.bss')],
  },
  // maps_bloom_filter.bpf.c
  {
    name: 'maps_bloom_filter', object: 'maps_bloom_filter.bpf.o', covers: ['maps:bloom-filter', 'helpers:map_push_elem', 'helpers:map_peek_elem'],
    description: 'A bloom filter (16 entries, 3 hash functions in map_extra, BPF_F_ZERO_SEED): push from BPF (BPF_EXIST: -EINVAL) and from user space, then which of 256 candidates peek claims, false positives included (the kernel\'s hashes with a zero seed); user-space lookup and delete are refused, a dump fails with EOPNOTSUPP.',
    steps: [run('probe', undefined, { data: PKT }), dump('.bss'), run('fill', undefined, { data: PKT }), update('bloom', '', u32(1000)), update('bloom', '', u32(3 * 100), 2),
      run('probe', undefined, { data: PKT }), dump('.bss'), del('bloom', ''), dump('bloom')],
  },
  // maps_devmap.bpf.c
  {
    name: 'maps_devmap_redirect', object: DEV, covers: ['maps:devmap', 'helpers:redirect_map'],
    description: 'A devmap of 4 (4-byte values) filled from user space with lo (ifindex 1; BPF_NOEXIST: EEXIST, an unknown ifindex: EINVAL): bpf_map_lookup_elem from XDP reads the ifindex; bpf_redirect_map returns XDP_REDIRECT for a present key, the fallback action of flags for an absent or out-of-range key, XDP_REDIRECT for BPF_F_BROADCAST, XDP_ABORTED for an unknown flag; the test run returns the verdict. After a delete (empty slot: 0, out of range: EINVAL) the fallback applies.',
    steps: [update('tx', u32(0), u32(1)), update('tx', u32(1), u32(1), NOEXIST), update('tx', u32(1), u32(9999)), update('tx', u32(3), u32(1), EXIST),
      run('redirect_devmap', undefined, { data: PKT }), dump('.bss'), dump('tx'), del('tx', u32(0)), del('tx', u32(2)), del('tx', u32(4)), lookup('tx', u32(0)),
      run('redirect_devmap', undefined, { data: PKT }), dump('.bss'), dump('tx')],
  },
  {
    name: 'maps_devmap_hash_redirect', object: DEV, covers: ['maps:devmap-hash', 'helpers:redirect_map'],
    description: 'A devmap hash of 8 with struct bpf_devmap_val values (ifindex, program): user-space updates with no program (fd 0 or -1; the lookup shows program id 0), ifindex 0 or unknown (EINVAL), BPF_NOEXIST on a present key (EEXIST), BPF_EXIST on an absent key (inserts); from XDP the lookups and redirect verdicts by key, broadcast excluding the ingress device; after deleting key 1 (then ENOENT) the fallback action applies.',
    steps: [update('txh', u32(1), u32(1) + u32(0xffffffff)), update('txh', u32(1000), u32(1) + u32(0), EXIST), update('txh', u32(2), u32(9999) + u32(0)),
      update('txh', u32(3), u32(0) + u32(0)), update('txh', u32(1), u32(1) + u32(0), NOEXIST), lookup('txh', u32(1)),
      run('redirect_devmap_hash', undefined, { data: PKT }), dump('.bss'), dump('txh'), del('txh', u32(1)), del('txh', u32(1)),
      run('redirect_devmap_hash', undefined, { data: PKT }), dump('.bss'), dump('txh')],
  },
  // helpers_misc.bpf.c
  {
    name: 'helpers_printk_snprintf', object: 'helpers_misc.bpf.o', covers: ['helpers:trace_printk', 'helpers:trace_vprintk', 'helpers:snprintf'],
    description: 'Return values of bpf_trace_printk and bpf_trace_vprintk (the rendered length; a bad format or too few arguments: -EINVAL) and bpf_snprintf (the length with its NUL, also when truncated) and the text it wrote.',
    steps: [run('printing'), dump('.bss')],
  },
  {
    name: 'helpers_identity_random_cpu', object: 'helpers_misc.bpf.o', covers: ['helpers:get_current_pid_tgid', 'helpers:get_prandom_u32', 'helpers:get_smp_processor_id'],
    description: 'Host-dependent helpers by invariant: pid == tgid (single-threaded runner), uid == gid, bpf_get_current_comm NUL-terminated and truncated to the buffer; 32 bpf_get_prandom_u32 draws cover every bit both ways with no repeat; bpf_get_smp_processor_id is a CPU bpf_map_lookup_percpu_elem accepts; NUMA node 0.',
    steps: [run('identity'), run('random'), run('cpu'), dump('.bss')],
  },
];

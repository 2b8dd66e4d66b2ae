/**
 * @module tools/scenario/catalog-timer-objects
 * Timer scenarios on their own objects: creation-time refusals and layouts (B48-B54a, one object
 * each, built on testdata/include/timer_refusal.h), spin-lock neighbours (B35, B36), LRU eviction
 * (B39), map-in-map (B72), XDP/TC (B67) and the 0 ns timer of a syscall program (B74).
 */
import { MS, del, dump, lookup, release, run, sleep, u32, u64, update, zeros, type ScenarioDef } from './define.ts';
import type { ScenarioStep } from './format.ts';

/** `use` then a sleep and a look at the callback counter. */
const useSteps: ScenarioStep[] = [run('use'), sleep(), dump('.bss')];
const hashPrefill = (valueBytes: number): ScenarioStep => update('m', u32(0), zeros(valueBytes));

function refusal(name: string, covers: string[], description: string, steps: ScenarioStep[] = useSteps): ScenarioDef {
  return { name, object: `${name}.bpf.o`, covers, description, steps };
}

/* timer_lock.bpf.c: struct lelem { bpf_spin_lock; u32 data; bpf_timer } (24 bytes) */
const lop = (op: number, map: number, key: number, data = 0): ScenarioStep => run('lop', u32(op) + u32(map) + u32(key) + u32(data));
const lelem = (data: number): string => zeros(4) + u32(data) + zeros(16);
const LOCK = 4;

export const timerObjectScenarios: readonly ScenarioDef[] = [
  refusal('timer_b48_array', ['B48'], 'An array map with a timer is created; the timer arms and fires.'),
  refusal('timer_b48_hash', ['B48'], 'A preallocated hash map with a timer is created; the timer arms and fires.', [hashPrefill(24), ...useSteps]),
  refusal('timer_b48_hash_no_prealloc', ['B48'], 'A BPF_F_NO_PREALLOC hash map with a timer is created; the timer arms and fires.', [hashPrefill(24), ...useSteps]),
  refusal('timer_b48_lru_hash', ['B48'], 'An LRU hash map with a timer is created; the timer arms and fires.', [hashPrefill(24), ...useSteps]),
  refusal('timer_b48_lru_hash_percpu_lru', ['B48'], 'An LRU hash map with BPF_F_NO_COMMON_LRU and a timer is created; the timer arms and fires.', [hashPrefill(24), ...useSteps]),
  refusal('timer_b48_percpu_array', ['B48'], 'A per-CPU array with a timer: the kernel refuses the map (EOPNOTSUPP), libbpf retries without BTF, and the program using the timer is then refused (EINVAL: map has to have BTF).'),
  refusal('timer_b48_percpu_hash', ['B48'], 'A per-CPU hash with a timer: refused as for the per-CPU array; the object load fails with EINVAL.'),
  refusal('timer_b48_lru_percpu_hash', ['B48'], 'A per-CPU LRU hash with a timer: refused as for the per-CPU array; the object load fails with EINVAL.'),
  refusal('timer_b48_percpu_array_no_helpers', ['B48'], 'A per-CPU array with a timer in its BTF value and a program that never calls timer helpers: libbpf\'s retry without BTF makes the load succeed.', [run('use'), run('use')]),
  refusal('timer_b49_rdonly_prog', ['B49'], 'A timer map with BPF_F_RDONLY_PROG: the kernel refuses it (EACCES), libbpf retries without BTF, the program using the timer is refused (EINVAL).'),
  refusal('timer_b49_wronly_prog', ['B49'], 'A timer map with BPF_F_WRONLY_PROG: as for BPF_F_RDONLY_PROG; the object load fails with EINVAL.'),
  refusal('timer_b50_mmapable', ['B50'], 'A BPF_F_MMAPABLE array with a timer is created and its timer works (libbpf does not mmap it).'),
  refusal('timer_b51_two_timers', ['B51'], 'A value with two timers has no recognised timer: the program is refused (EINVAL, no valid bpf_timer).'),
  refusal('timer_b51_timer_array', ['B51'], 'A value with an array of two timers has no recognised timer: the program is refused (EINVAL).'),
  refusal('timer_b52_misaligned', ['B52'], 'A timer at value offset 4 is not recognised: the program is refused (EINVAL).'),
  refusal('timer_b53_nested', ['B53'], 'A timer inside a nested struct (value offset 16) is recognised; it arms and fires.'),
  refusal('timer_b54_with_spin_lock', ['B54'], 'A hash value with a bpf_spin_lock and a timer: the timer arms and fires.', [hashPrefill(24), ...useSteps]),
  refusal('timer_b54a_bare_value', ['B54a'], 'A map whose value type is struct bpf_timer itself has no recognised timer: the program is refused (EINVAL).'),
  {
    name: 'timer_b35_array_update_with_lock', object: 'timer_lock.bpf.o', covers: ['B35', 'B54'],
    description: 'Array updates with BPF_F_LOCK, from user space and from BPF, still uninitialise the element\'s timer: the callback never runs and start returns -EINVAL.',
    steps: [lop(1, 0, 0), update('larr', u32(0), lelem(5), LOCK), lop(2, 0, 0), lop(4, 0, 0), lop(1, 0, 1), lop(3, 0, 1, 6), lop(2, 0, 1), lop(4, 0, 1), sleep(), dump('.bss'), dump('larr')],
  },
  {
    name: 'timer_b36_hash_update_with_lock', object: 'timer_lock.bpf.o', covers: ['B36', 'B37', 'B54'],
    description: 'Hash updates of an existing element with BPF_F_LOCK (user space and BPF) copy in place and leave the timer running; a plain update (BPF_ANY) replaces the element and its timer.',
    steps: [update('lhash', u32(1), lelem(1)), lop(1, 1, 1), update('lhash', u32(1), lelem(9), LOCK), lop(4, 1, 1),
      update('lhash', u32(2), lelem(1)), lop(1, 1, 2), lop(3, 1, 2, 8), lop(4, 1, 2),
      update('lhash', u32(3), lelem(1)), lop(1, 1, 3), lop(5, 1, 3, 4), lop(2, 1, 3), sleep(), dump('.bss'), dump('lhash')],
  },
  {
    name: 'timer_b39_lru_eviction', object: 'timer_lru.bpf.o', covers: ['B39', 'maps:lru'],
    description: 'Timers armed in LRU elements that get evicted never fire; cancel through a stale pointer returns -EINVAL. Checked by invariant (presence == fired), not by which element was evicted.',
    steps: [run('fill'), sleep(), run('check'), dump('verdict')],
  },
  {
    name: 'timer_b72_inner_map_lifetime', object: 'timer_mim.bpf.o', covers: ['B72', 'B1', 'maps:map-in-map'],
    description: 'An inner map\'s timer keeps running after the inner map leaves the outer map while user space holds it; releasing the inner map (still in the outer map) cancels its timer, and init in it then returns -EPERM.',
    steps: [run('arm', u32(0)), run('arm', u32(1)), release('inner_b'), del('outer', u32(0)), sleep(), dump('.bss'), run('arm', u32(1)), run('arm', u32(0))],
  },
  {
    name: 'maps_map_in_map', object: 'timer_mim.bpf.o', covers: ['maps:map-in-map'],
    description: 'Writes and reads through the outer array of maps reach the inner maps; an empty or out-of-range slot gives no inner map; a deleted slot is empty.',
    steps: [run('rw', u32(0) + u32(2) + u64(41)), run('rw', u32(1) + u32(3) + u64(42)), run('rw', u32(2) + u32(0) + u64(1)), run('rw', u32(7) + u32(0) + u64(1)),
      dump('inner_a'), dump('inner_b'), del('outer', u32(1)), run('rw', u32(1) + u32(3) + u64(43)), del('outer', u32(1)), del('outer', u32(5))],
  },
  {
    name: 'timer_b67_xdp_and_tc', object: 'timer_progs.bpf.o', covers: ['B67'],
    description: 'XDP and TC programs (test-run with packet data) init, set and start timers; a second init of the same element returns -EBUSY; the callbacks run.',
    steps: [run('xdp_arm', undefined, { data: '0100000000000000000000' + '0088b5' }), run('tc_arm', undefined, { data: '0102000000000000000000' + '0088b5' }),
      run('tc_arm', undefined, { data: '0102000000000000000000' + '0088b5' }), sleep(), dump('.bss'), dump('parr')],
  },
  {
    name: 'timer_b74_zero_ns_from_syscall', object: 'timer_progs.bpf.o', covers: ['B74'],
    description: 'A syscall program starts a 0 ns timer: on 6.18 the callback has already run when the program reads its counter right after bpf_timer_start (20 of 20 runs).',
    steps: [run('zero_timer', zeros(4)), dump('.bss'), sleep(), dump('.bss')],
  },
];

/**
 * @module tools/scenario/coverage
 * The coverage audit of issue 4: every map type, helper and program type the issue names, with the
 * kernel-recorded scenarios and the other kernel-differential tests that cover it, or why nothing
 * does. readme.ts prints it into testdata/scenarios/README.md; scenarios.test.ts checks that every
 * scenario named here exists and every file named here is present.
 */

/** One line of the audit. */
export interface CoverageItem {
  /** What the issue names: a map type, a helper or a program type. */
  readonly item: string;
  /** Scenario names (testdata/scenarios/<name>.json) that exercise it on the kernel and on tsbpf. */
  readonly scenarios: readonly string[];
  /** Other tests that compare it with the kernel (paths from the repository root). */
  readonly tests: readonly string[];
  /** Why it is compared by invariant, or why it is not covered. */
  readonly note?: string;
}

const MAP_DIFF = 'src/maps/kernel-diff.test.ts';
const MIM_DIFF = 'src/maps/map-in-map.kernel-diff.test.ts';
const CREATE_DIFF = 'src/maps/create.test.ts';

export const mapCoverage: readonly CoverageItem[] = [
  { item: 'array', scenarios: ['maps_array_syscall', 'helpers_for_each_map_elem'], tests: [MAP_DIFF, CREATE_DIFF] },
  { item: 'per-CPU array', scenarios: ['maps_percpu', 'maps_percpu_hash_user'], tests: [MAP_DIFF] },
  { item: 'hash', scenarios: ['maps_hash_syscall', 'maps_hash_flags_bpf'], tests: [MAP_DIFF] },
  { item: 'per-CPU hash', scenarios: ['maps_percpu', 'maps_percpu_hash_user'], tests: [MAP_DIFF], note: 'BPF-side writes are read back as sums over every CPU: which CPU a kernel run uses is not chosen by the scenario.' },
  { item: 'LRU hash', scenarios: ['maps_lru_invariants', 'maps_lru_list_modes', 'timer_b39_lru_eviction'], tests: [MAP_DIFF], note: 'by invariant: which element the kernel evicts is implementation-defined (its per-CPU free lists and rotation differ from tsbpf\'s second-chance list).' },
  { item: 'per-CPU LRU hash, common and per-CPU lists', scenarios: ['maps_lru_list_modes'], tests: [MAP_DIFF], note: 'by invariant, as for the LRU hash; with per-CPU lists at most one CPU\'s share of the elements survives one run.' },
  { item: 'array of maps', scenarios: ['maps_map_in_map', 'maps_array_of_maps_inner_map_flag', 'timer_b72_inner_map_lifetime'], tests: [MAP_DIFF, MIM_DIFF] },
  { item: 'hash of maps', scenarios: ['maps_hash_of_maps'], tests: [MAP_DIFF, MIM_DIFF], note: 'user-space lookups of outer maps return inner map ids, which differ between machines: scenarios never read them; the map-in-map test compares them as map indices.' },
  { item: 'inner map templates on insertion', scenarios: ['maps_array_of_maps_inner_map_flag'], tests: [MIM_DIFF] },
  { item: 'prog array', scenarios: ['helpers_tail_call'], tests: [MAP_DIFF, MIM_DIFF] },
  { item: 'ring buffer', scenarios: ['maps_ringbuf'], tests: [MAP_DIFF] },
  { item: 'queue, stack', scenarios: ['maps_queue_stack'], tests: [MAP_DIFF] },
  { item: 'bloom filter (map_extra)', scenarios: ['maps_bloom_filter'], tests: [MAP_DIFF, 'src/loader/libbpf.test.ts'], note: 'with BPF_F_ZERO_SEED the hashes, and so the false positives, are the kernel\'s bit for bit.' },
  { item: 'devmap, devmap hash', scenarios: ['maps_devmap_redirect', 'maps_devmap_hash_redirect'], tests: ['src/maps/devmap.test.ts'], note: 'devices are the runtime\'s netdev table (lo, ifindex 1, by default); devmap hash keys are walked in the kernel\'s bucket order. cpumap and xskmap are refused at creation (they need kernel threads and AF_XDP sockets).' },
  { item: 'batch operations (lookup, lookup-and-delete, update, delete)', scenarios: [], tests: [MAP_DIFF, MIM_DIFF], note: 'the scenario format has no batch step; the map-ops tests compare them op by op.' },
];

export const helperCoverage: readonly CoverageItem[] = [
  { item: 'map_lookup_elem, map_update_elem, map_delete_elem', scenarios: ['maps_hash_flags_bpf', 'maps_percpu', 'maps_hash_of_maps'], tests: [] },
  { item: 'map_push_elem, map_pop_elem, map_peek_elem', scenarios: ['maps_queue_stack', 'maps_bloom_filter'], tests: [] },
  { item: 'map_lookup_percpu_elem', scenarios: ['maps_percpu_hash_user', 'helpers_identity_random_cpu'], tests: [] },
  { item: 'ktime_get_ns, ktime_get_boot_ns, ktime_get_tai_ns, jiffies64', scenarios: ['helpers_ktime', 'timer_b23_realtime_abs_uses_monotonic'], tests: [], note: 'by invariant (orderings, a 50 ms sleep seen as at least 50 ms).' },
  { item: 'ktime_get_coarse_ns', scenarios: ['helpers_csum_diff_coarse'], tests: [], note: 'by invariant (at most ktime_get_ns, within 100 ms of it); syscall programs may not call it, so an XDP program does.' },
  { item: 'get_prandom_u32', scenarios: ['helpers_identity_random_cpu'], tests: [], note: 'by invariant (every bit both ways in 32 draws, no repeat); tsbpf\'s generator is seedable, the kernel\'s is not.' },
  { item: 'get_smp_processor_id, get_numa_node_id', scenarios: ['helpers_identity_random_cpu'], tests: [], note: 'by invariant: a CPU that map_lookup_percpu_elem accepts.' },
  { item: 'get_current_pid_tgid, get_current_uid_gid, get_current_comm', scenarios: ['helpers_identity_random_cpu'], tests: [], note: 'by invariant: the values belong to the process running the test.' },
  { item: 'trace_printk, trace_vprintk, snprintf', scenarios: ['helpers_printk_snprintf'], tests: ['src/helpers/impl/trace.test.ts'], note: 'return values and snprintf\'s text; the trace pipe\'s text is not read.' },
  { item: 'spin_lock, spin_unlock', scenarios: ['helpers_spin_lock', 'timer_b35_array_update_with_lock', 'timer_b36_hash_update_with_lock'], tests: [] },
  { item: 'loop', scenarios: ['helpers_bpf_loop'], tests: [] },
  { item: 'for_each_map_elem', scenarios: ['helpers_for_each_map_elem'], tests: [] },
  { item: 'tail_call', scenarios: ['helpers_tail_call'], tests: [] },
  { item: 'ringbuf_output, reserve, submit, discard, query', scenarios: ['maps_ringbuf'], tests: [] },
  { item: 'csum_diff', scenarios: ['helpers_csum_diff_coarse'], tests: ['src/helpers/impl/csum.test.ts'] },
  { item: 'xdp_adjust_head, xdp_adjust_tail, xdp_adjust_meta', scenarios: ['programs_xdp_adjust_head', 'programs_xdp_adjust_tail', 'programs_xdp_adjust_meta'], tests: [] },
  { item: 'redirect (XDP and tc)', scenarios: ['programs_xdp_redirect', 'programs_tc_skb_fields', 'programs_tc_refusals'], tests: [], note: 'the verdicts; the recorded target is tsbpf\'s own (a test run transmits nothing).' },
  { item: 'redirect_map', scenarios: ['maps_devmap_redirect', 'maps_devmap_hash_redirect'], tests: [], note: 'with devmaps: the verdicts; the recorded target device is tsbpf\'s own (a test run transmits nothing). cpumap and xskmap are not created by tsbpf.' },
];

export const programCoverage: readonly CoverageItem[] = [
  { item: 'syscall', scenarios: ['maps_hash_flags_bpf', 'helpers_bpf_loop', 'programs_syscall_repeat_refused'], tests: ['tools/kernel/runner.test.ts'] },
  { item: 'xdp', scenarios: ['programs_xdp_adjust_head', 'programs_xdp_redirect', 'helpers_tail_call', 'timer_b67_xdp_and_tc'], tests: ['tools/kernel/runner.test.ts'] },
  { item: 'tc (sched_cls)', scenarios: ['programs_tc_skb_fields', 'programs_tc_refusals', 'timer_b67_xdp_and_tc'], tests: [] },
  { item: 'socket filter', scenarios: ['programs_socket_filter'], tests: ['tools/kernel/runner.test.ts'] },
  { item: 'raw tracepoint', scenarios: ['programs_raw_tp'], tests: [] },
  { item: 'fentry / fexit', scenarios: [], tests: [], note: 'not covered: the 6.18 kernel of the reference machine refuses to load them (EPERM, as root); tsbpf refuses their test runs (ENOTSUPP: nothing to attach to).' },
  { item: 'repeat, and the kernel\'s refusals', scenarios: ['programs_syscall_repeat_refused', 'helpers_spin_lock', 'helpers_tail_call', 'programs_tc_refusals', 'programs_raw_tp'], tests: ['tools/kernel/runner.test.ts'] },
];

/** The audit, in the README's order. */
export const coverage: readonly { readonly title: string; readonly items: readonly CoverageItem[] }[] = [
  { title: 'Map types', items: mapCoverage },
  { title: 'Helpers', items: helperCoverage },
  { title: 'Program types (BPF_PROG_TEST_RUN)', items: programCoverage },
];

/**
 * Helper prototypes: what each BPF helper takes and returns, declaratively, as the kernel's
 * struct bpf_func_proto does (kernel/bpf/helpers.c, net/core/filter.c, kernel/trace/bpf_trace.c,
 * v6.18). The verifier checks call sites against these; the implementations live in impl/.
 * Which program types may call a helper is the kernel's <type>_func_proto(), as probed on 6.18.
 *
 * Imports only uapi/ and util/. Works in node / browser.
 */
import {
  BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_BLOOM_FILTER, BPF_MAP_TYPE_CPUMAP, BPF_MAP_TYPE_DEVMAP, BPF_MAP_TYPE_DEVMAP_HASH,
  BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_LRU_HASH, BPF_MAP_TYPE_LRU_PERCPU_HASH, BPF_MAP_TYPE_PERCPU_ARRAY,
  BPF_MAP_TYPE_PERCPU_HASH, BPF_MAP_TYPE_PERF_EVENT_ARRAY, BPF_MAP_TYPE_PROG_ARRAY, BPF_MAP_TYPE_QUEUE,
  BPF_MAP_TYPE_RINGBUF, BPF_MAP_TYPE_STACK, BPF_MAP_TYPE_USER_RINGBUF, BPF_MAP_TYPE_XSKMAP, BPF_PROG_TYPE_KPROBE, BPF_PROG_TYPE_SCHED_ACT,
  BPF_PROG_TYPE_SCHED_CLS, BPF_PROG_TYPE_SOCKET_FILTER, BPF_PROG_TYPE_RAW_TRACEPOINT, BPF_PROG_TYPE_SYSCALL, BPF_PROG_TYPE_TRACEPOINT,
  BPF_PROG_TYPE_XDP,
} from '../uapi/bpf.ts';
import * as F from '../uapi/helpers.ts';

/** Argument kinds (enum bpf_arg_type), named as in the kernel. */
export type ArgKind =
  | 'ARG_ANYTHING' | 'ARG_CONST_MAP_PTR' | 'ARG_PTR_TO_MAP_KEY' | 'ARG_PTR_TO_MAP_VALUE' | 'ARG_PTR_TO_MEM'
  | 'ARG_CONST_SIZE' | 'ARG_CONST_SIZE_OR_ZERO' | 'ARG_PTR_TO_CTX' | 'ARG_PTR_TO_FUNC' | 'ARG_PTR_TO_STACK'
  | 'ARG_PTR_TO_TIMER' | 'ARG_PTR_TO_SPIN_LOCK' | 'ARG_PTR_TO_RINGBUF_MEM' | 'ARG_CONST_ALLOC_SIZE_OR_ZERO'
  | 'ARG_PTR_TO_CONST_STR' | 'ARG_PTR_TO_BTF_ID';

export interface ArgProto {
  readonly kind: ArgKind;
  /** PTR_MAYBE_NULL: NULL (a scalar 0) is accepted. */
  readonly maybeNull?: boolean;
  /** MEM_RDONLY: the helper only reads the memory. */
  readonly rdonly?: boolean;
  /** MEM_UNINIT: the helper writes the memory without reading it (ARG_PTR_TO_UNINIT_MEM). */
  readonly uninit?: boolean;
  /** OBJ_RELEASE: the helper releases the reference the argument holds. */
  readonly release?: boolean;
  /** ARG_PTR_TO_BTF_ID: the kernel struct pointed to (`task_struct`). */
  readonly btfName?: string;
}

/** Return kinds (enum bpf_return_type). */
export type RetKind =
  | 'RET_INTEGER' | 'RET_VOID' | 'RET_PTR_TO_MAP_VALUE_OR_NULL' | 'RET_PTR_TO_RINGBUF_MEM_OR_NULL'
  | 'RET_PTR_TO_BTF_ID_TRUSTED';

export interface HelperProto {
  readonly id: number;
  readonly ret: RetKind;
  readonly args: readonly ArgProto[];
  readonly gplOnly: boolean;
  /** Program types that may call it (the kernel's get_func_proto answers non-NULL). */
  readonly progTypes: ReadonlySet<number>;
  /** Map types the map argument may be (check_map_func_compatibility); undefined: any not reserved. */
  readonly mapTypes?: ReadonlySet<number>;
  /** The helper calls a subprogram: synchronously (during the call) or later (timers). */
  readonly callback?: 'sync' | 'async';
  /** RET_PTR_TO_BTF_ID_TRUSTED: the kernel struct returned (`task_struct`). */
  readonly retBtfName?: string;
  /**
   * .pkt_access: packet pointers may be passed in (where the program type may read the packet
   * directly); for any other helper check_func_arg() refuses them whatever the argument kind.
   */
  readonly pktAccess?: boolean;
}

const a = (kind: ArgKind, flags: Omit<ArgProto, 'kind'> = {}): ArgProto => ({ kind, ...flags });
const ANY = a('ARG_ANYTHING');
const MAP = a('ARG_CONST_MAP_PTR');
const KEY = a('ARG_PTR_TO_MAP_KEY');
const CTX = a('ARG_PTR_TO_CTX');
const RO_MEM = a('ARG_PTR_TO_MEM', { rdonly: true });
const RO_MEM_OR_NULL = a('ARG_PTR_TO_MEM', { rdonly: true, maybeNull: true });
const UNINIT_MEM = a('ARG_PTR_TO_MEM', { uninit: true });
const SIZE = a('ARG_CONST_SIZE');
const SIZE0 = a('ARG_CONST_SIZE_OR_ZERO');
const TIMER = a('ARG_PTR_TO_TIMER');

const NET = [BPF_PROG_TYPE_SOCKET_FILTER, BPF_PROG_TYPE_SCHED_CLS, BPF_PROG_TYPE_SCHED_ACT, BPF_PROG_TYPE_XDP];
// kprobe, tracepoint and raw tracepoint programs all fall back to bpf_tracing_func_proto().
const TRACE = [BPF_PROG_TYPE_KPROBE, BPF_PROG_TYPE_TRACEPOINT, BPF_PROG_TYPE_RAW_TRACEPOINT];
const ALL = [...NET, ...TRACE, BPF_PROG_TYPE_SYSCALL];
const TC = [BPF_PROG_TYPE_SCHED_CLS, BPF_PROG_TYPE_SCHED_ACT];
const SKB = [BPF_PROG_TYPE_SOCKET_FILTER, ...TC];
const XDP = [BPF_PROG_TYPE_XDP];

const FOR_EACH_MAPS = [
  BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_LRU_HASH, BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_PERCPU_HASH, BPF_MAP_TYPE_PERCPU_ARRAY,
  BPF_MAP_TYPE_LRU_PERCPU_HASH,
];

function p(id: number, ret: RetKind, args: ArgProto[], progTypes: readonly number[], extra: Partial<HelperProto> = {}): HelperProto {
  return { id, ret, args, gplOnly: false, progTypes: new Set(progTypes), ...extra };
}

const PROTOS: readonly HelperProto[] = [
  p(F.BPF_FUNC_map_lookup_elem, 'RET_PTR_TO_MAP_VALUE_OR_NULL', [MAP, KEY], ALL, { pktAccess: true }),
  p(F.BPF_FUNC_map_update_elem, 'RET_INTEGER', [MAP, KEY, a('ARG_PTR_TO_MAP_VALUE'), ANY], ALL, { pktAccess: true }),
  p(F.BPF_FUNC_map_delete_elem, 'RET_INTEGER', [MAP, KEY], ALL, { pktAccess: true }),
  p(F.BPF_FUNC_map_push_elem, 'RET_INTEGER', [MAP, a('ARG_PTR_TO_MAP_VALUE'), ANY], ALL,
    { pktAccess: true, mapTypes: new Set([BPF_MAP_TYPE_QUEUE, BPF_MAP_TYPE_STACK, BPF_MAP_TYPE_BLOOM_FILTER]) }),
  p(F.BPF_FUNC_map_pop_elem, 'RET_INTEGER', [MAP, a('ARG_PTR_TO_MAP_VALUE', { uninit: true })], ALL,
    { mapTypes: new Set([BPF_MAP_TYPE_QUEUE, BPF_MAP_TYPE_STACK]) }),
  p(F.BPF_FUNC_map_peek_elem, 'RET_INTEGER', [MAP, a('ARG_PTR_TO_MAP_VALUE', { uninit: true })], ALL,
    { mapTypes: new Set([BPF_MAP_TYPE_QUEUE, BPF_MAP_TYPE_STACK, BPF_MAP_TYPE_BLOOM_FILTER]) }),
  p(F.BPF_FUNC_map_lookup_percpu_elem, 'RET_PTR_TO_MAP_VALUE_OR_NULL', [MAP, KEY, ANY], ALL,
    { pktAccess: true, mapTypes: new Set([BPF_MAP_TYPE_PERCPU_HASH, BPF_MAP_TYPE_PERCPU_ARRAY, BPF_MAP_TYPE_LRU_PERCPU_HASH]) }),
  p(F.BPF_FUNC_ktime_get_ns, 'RET_INTEGER', [], ALL),
  p(F.BPF_FUNC_ktime_get_boot_ns, 'RET_INTEGER', [], ALL),
  p(F.BPF_FUNC_ktime_get_tai_ns, 'RET_INTEGER', [], ALL),
  p(F.BPF_FUNC_ktime_get_coarse_ns, 'RET_INTEGER', [], NET),
  p(F.BPF_FUNC_jiffies64, 'RET_INTEGER', [], ALL),
  p(F.BPF_FUNC_get_prandom_u32, 'RET_INTEGER', [], ALL),
  p(F.BPF_FUNC_get_smp_processor_id, 'RET_INTEGER', [], ALL),
  p(F.BPF_FUNC_get_numa_node_id, 'RET_INTEGER', [], ALL),
  p(F.BPF_FUNC_trace_printk, 'RET_INTEGER', [RO_MEM, SIZE], ALL, { gplOnly: true }),
  p(F.BPF_FUNC_trace_vprintk, 'RET_INTEGER', [RO_MEM, SIZE, RO_MEM_OR_NULL, SIZE0], ALL, { gplOnly: true }),
  p(F.BPF_FUNC_snprintf, 'RET_INTEGER',
    [a('ARG_PTR_TO_MEM', { uninit: true, maybeNull: true }), SIZE0, a('ARG_PTR_TO_CONST_STR'), RO_MEM_OR_NULL, SIZE0], ALL,
    { gplOnly: true }),
  p(F.BPF_FUNC_strncmp, 'RET_INTEGER', [RO_MEM, SIZE, a('ARG_PTR_TO_CONST_STR')], ALL),
  p(F.BPF_FUNC_tail_call, 'RET_VOID', [CTX, MAP, ANY], ALL, { mapTypes: new Set([BPF_MAP_TYPE_PROG_ARRAY]) }),
  p(F.BPF_FUNC_get_current_pid_tgid, 'RET_INTEGER', [], ALL),
  p(F.BPF_FUNC_get_current_uid_gid, 'RET_INTEGER', [], ALL),
  p(F.BPF_FUNC_get_current_comm, 'RET_INTEGER', [UNINIT_MEM, SIZE], ALL),
  p(F.BPF_FUNC_csum_diff, 'RET_INTEGER', [RO_MEM_OR_NULL, SIZE0, RO_MEM_OR_NULL, SIZE0, ANY], [...TC, ...XDP], { pktAccess: true }),
  p(F.BPF_FUNC_redirect, 'RET_INTEGER', [ANY, ANY], [...TC, ...XDP]),
  p(F.BPF_FUNC_redirect_map, 'RET_INTEGER', [MAP, ANY, ANY], XDP,
    { mapTypes: new Set([BPF_MAP_TYPE_DEVMAP, BPF_MAP_TYPE_DEVMAP_HASH, BPF_MAP_TYPE_CPUMAP, BPF_MAP_TYPE_XSKMAP]) }),
  p(F.BPF_FUNC_xdp_adjust_head, 'RET_INTEGER', [CTX, ANY], XDP),
  p(F.BPF_FUNC_xdp_adjust_meta, 'RET_INTEGER', [CTX, ANY], XDP),
  p(F.BPF_FUNC_xdp_adjust_tail, 'RET_INTEGER', [CTX, ANY], XDP),
  p(F.BPF_FUNC_xdp_get_buff_len, 'RET_INTEGER', [CTX], XDP),
  p(F.BPF_FUNC_xdp_load_bytes, 'RET_INTEGER', [CTX, ANY, UNINIT_MEM, SIZE], XDP),
  // ARG_PTR_TO_MEM | MEM_RDONLY since the 2025 fix (ARG_PTR_TO_UNINIT_MEM before).
  p(F.BPF_FUNC_xdp_store_bytes, 'RET_INTEGER', [CTX, ANY, RO_MEM, SIZE], XDP),
  p(F.BPF_FUNC_skb_load_bytes, 'RET_INTEGER', [CTX, ANY, UNINIT_MEM, SIZE], SKB),
  p(F.BPF_FUNC_perf_event_output, 'RET_INTEGER', [CTX, MAP, ANY, RO_MEM, SIZE0], ALL,
    { gplOnly: true, mapTypes: new Set([BPF_MAP_TYPE_PERF_EVENT_ARRAY]) }),
  // bpf_base_func_proto() (CAP_PERFMON part) offers both to every program type (probed on 6.18).
  p(F.BPF_FUNC_perf_event_read, 'RET_INTEGER', [MAP, ANY], ALL,
    { gplOnly: true, mapTypes: new Set([BPF_MAP_TYPE_PERF_EVENT_ARRAY]) }),
  p(F.BPF_FUNC_perf_event_read_value, 'RET_INTEGER', [MAP, ANY, UNINIT_MEM, SIZE], ALL,
    { gplOnly: true, mapTypes: new Set([BPF_MAP_TYPE_PERF_EVENT_ARRAY]) }),
  p(F.BPF_FUNC_spin_lock, 'RET_VOID', [a('ARG_PTR_TO_SPIN_LOCK')], ALL),
  p(F.BPF_FUNC_spin_unlock, 'RET_VOID', [a('ARG_PTR_TO_SPIN_LOCK')], ALL),
  p(F.BPF_FUNC_ringbuf_output, 'RET_INTEGER', [MAP, RO_MEM, SIZE0, ANY], ALL, { mapTypes: new Set([BPF_MAP_TYPE_RINGBUF]) }),
  p(F.BPF_FUNC_ringbuf_reserve, 'RET_PTR_TO_RINGBUF_MEM_OR_NULL', [MAP, a('ARG_CONST_ALLOC_SIZE_OR_ZERO'), ANY], ALL,
    { mapTypes: new Set([BPF_MAP_TYPE_RINGBUF]) }),
  p(F.BPF_FUNC_ringbuf_submit, 'RET_VOID', [a('ARG_PTR_TO_RINGBUF_MEM', { release: true }), ANY], ALL),
  p(F.BPF_FUNC_ringbuf_discard, 'RET_VOID', [a('ARG_PTR_TO_RINGBUF_MEM', { release: true }), ANY], ALL),
  p(F.BPF_FUNC_ringbuf_query, 'RET_INTEGER', [MAP, ANY], ALL, { mapTypes: new Set([BPF_MAP_TYPE_RINGBUF]) }),
  p(F.BPF_FUNC_for_each_map_elem, 'RET_INTEGER', [MAP, a('ARG_PTR_TO_FUNC'), a('ARG_PTR_TO_STACK', { maybeNull: true }), ANY],
    ALL, { callback: 'sync', mapTypes: new Set(FOR_EACH_MAPS) }),
  p(F.BPF_FUNC_loop, 'RET_INTEGER', [ANY, a('ARG_PTR_TO_FUNC'), a('ARG_PTR_TO_STACK', { maybeNull: true }), ANY], ALL,
    { callback: 'sync' }),
  p(F.BPF_FUNC_user_ringbuf_drain, 'RET_INTEGER', [MAP, a('ARG_PTR_TO_FUNC'), a('ARG_PTR_TO_STACK', { maybeNull: true }), ANY],
    ALL, { callback: 'sync', mapTypes: new Set([BPF_MAP_TYPE_USER_RINGBUF]) }),
  p(F.BPF_FUNC_get_current_task_btf, 'RET_PTR_TO_BTF_ID_TRUSTED', [], ALL, { gplOnly: true, retBtfName: 'task_struct' }),
  p(F.BPF_FUNC_find_vma, 'RET_INTEGER',
    [a('ARG_PTR_TO_BTF_ID', { btfName: 'task_struct' }), ANY, a('ARG_PTR_TO_FUNC'), a('ARG_PTR_TO_STACK', { maybeNull: true }), ANY],
    ALL, { callback: 'sync' }),
  p(F.BPF_FUNC_timer_init, 'RET_INTEGER', [TIMER, MAP, ANY], ALL, { gplOnly: true }),
  p(F.BPF_FUNC_timer_set_callback, 'RET_INTEGER', [TIMER, a('ARG_PTR_TO_FUNC')], ALL, { gplOnly: true, callback: 'async' }),
  p(F.BPF_FUNC_timer_start, 'RET_INTEGER', [TIMER, ANY, ANY], ALL, { gplOnly: true }),
  p(F.BPF_FUNC_timer_cancel, 'RET_INTEGER', [TIMER], ALL, { gplOnly: true }),
];

const BY_ID: ReadonlyMap<number, HelperProto> = new Map(PROTOS.map((x) => [x.id, x]));

/** The prototype of a helper, or undefined when tsbpf does not know it. */
export function helperProto(id: number): HelperProto | undefined {
  return BY_ID.get(id);
}

/** Every prototype tsbpf knows, by id. */
export function helperProtos(): readonly HelperProto[] {
  return PROTOS;
}

/** Maps whose type admits only some helpers (the map side of check_map_func_compatibility). */
export const MAP_ONLY_HELPERS: ReadonlyMap<number, ReadonlySet<number>> = new Map([
  [BPF_MAP_TYPE_PROG_ARRAY, new Set([F.BPF_FUNC_tail_call])],
  [BPF_MAP_TYPE_RINGBUF, new Set([F.BPF_FUNC_ringbuf_output, F.BPF_FUNC_ringbuf_reserve, F.BPF_FUNC_ringbuf_query])],
  [BPF_MAP_TYPE_USER_RINGBUF, new Set([F.BPF_FUNC_user_ringbuf_drain])],
  [BPF_MAP_TYPE_PERF_EVENT_ARRAY, new Set([F.BPF_FUNC_perf_event_output, F.BPF_FUNC_perf_event_read, F.BPF_FUNC_perf_event_read_value])],
  [BPF_MAP_TYPE_QUEUE, new Set([F.BPF_FUNC_map_peek_elem, F.BPF_FUNC_map_pop_elem, F.BPF_FUNC_map_push_elem])],
  [BPF_MAP_TYPE_STACK, new Set([F.BPF_FUNC_map_peek_elem, F.BPF_FUNC_map_pop_elem, F.BPF_FUNC_map_push_elem])],
  [BPF_MAP_TYPE_DEVMAP, new Set([F.BPF_FUNC_redirect_map, F.BPF_FUNC_map_lookup_elem])],
  [BPF_MAP_TYPE_DEVMAP_HASH, new Set([F.BPF_FUNC_redirect_map, F.BPF_FUNC_map_lookup_elem])],
  [BPF_MAP_TYPE_CPUMAP, new Set([F.BPF_FUNC_redirect_map])],
  [BPF_MAP_TYPE_XSKMAP, new Set([F.BPF_FUNC_redirect_map, F.BPF_FUNC_map_lookup_elem])],
]);

/**
 * The SEC() table's matching rules (libbpf's sec_def_matches()): exact names, `name+` (exact or
 * with `/extras`), `name/` (extras required), first match wins.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as B from '../uapi/bpf.ts';
import { findSectionDef } from './index.ts';

const cases: [string, number, number, string | undefined, boolean][] = [
  ['xdp', B.BPF_PROG_TYPE_XDP, B.BPF_XDP, undefined, false],
  ['xdp.frags', B.BPF_PROG_TYPE_XDP, B.BPF_XDP, undefined, false],
  ['xdp/devmap', B.BPF_PROG_TYPE_XDP, B.BPF_XDP_DEVMAP, undefined, false],
  ['xdp.frags/cpumap', B.BPF_PROG_TYPE_XDP, B.BPF_XDP_CPUMAP, undefined, false],
  ['tc', B.BPF_PROG_TYPE_SCHED_CLS, 0, undefined, false],
  ['classifier', B.BPF_PROG_TYPE_SCHED_CLS, 0, undefined, false],
  ['tc/ingress', B.BPF_PROG_TYPE_SCHED_CLS, B.BPF_TCX_INGRESS, undefined, false],
  ['tcx/egress', B.BPF_PROG_TYPE_SCHED_CLS, B.BPF_TCX_EGRESS, undefined, false],
  ['socket', B.BPF_PROG_TYPE_SOCKET_FILTER, 0, undefined, false],
  ['syscall', B.BPF_PROG_TYPE_SYSCALL, 0, undefined, true],
  ['kprobe/do_sys_open', B.BPF_PROG_TYPE_KPROBE, 0, 'do_sys_open', false],
  ['kprobe', B.BPF_PROG_TYPE_KPROBE, 0, undefined, false],
  ['kretprobe/x', B.BPF_PROG_TYPE_KPROBE, 0, 'x', false],
  ['uprobe.s/bin:fn', B.BPF_PROG_TYPE_KPROBE, 0, 'bin:fn', true],
  ['kprobe.multi/do_*', B.BPF_PROG_TYPE_KPROBE, B.BPF_TRACE_KPROBE_MULTI, 'do_*', false],
  ['tracepoint/syscalls/sys_enter_write', B.BPF_PROG_TYPE_TRACEPOINT, 0, 'syscalls/sys_enter_write', false],
  ['tp/sched/sched_switch', B.BPF_PROG_TYPE_TRACEPOINT, 0, 'sched/sched_switch', false],
  ['raw_tp/sys_enter', B.BPF_PROG_TYPE_RAW_TRACEPOINT, 0, 'sys_enter', false],
  ['raw_tracepoint.w/x', B.BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE, 0, 'x', false],
  ['tp_btf/sched_switch', B.BPF_PROG_TYPE_TRACING, B.BPF_TRACE_RAW_TP, 'sched_switch', false],
  ['fentry/f', B.BPF_PROG_TYPE_TRACING, B.BPF_TRACE_FENTRY, 'f', false],
  ['fexit.s/f', B.BPF_PROG_TYPE_TRACING, B.BPF_TRACE_FEXIT, 'f', true],
  ['fmod_ret/f', B.BPF_PROG_TYPE_TRACING, B.BPF_MODIFY_RETURN, 'f', false],
  ['freplace/f', B.BPF_PROG_TYPE_EXT, 0, 'f', false],
  ['lsm/file_open', B.BPF_PROG_TYPE_LSM, B.BPF_LSM_MAC, 'file_open', false],
  ['lsm_cgroup/socket_bind', B.BPF_PROG_TYPE_LSM, B.BPF_LSM_CGROUP, 'socket_bind', false],
  ['iter/task', B.BPF_PROG_TYPE_TRACING, B.BPF_TRACE_ITER, 'task', false],
  ['iter.s/task', B.BPF_PROG_TYPE_TRACING, B.BPF_TRACE_ITER, 'task', true],
  ['struct_ops/init', B.BPF_PROG_TYPE_STRUCT_OPS, 0, 'init', false],
  ['perf_event', B.BPF_PROG_TYPE_PERF_EVENT, 0, undefined, false],
  ['cgroup_skb/egress', B.BPF_PROG_TYPE_CGROUP_SKB, B.BPF_CGROUP_INET_EGRESS, undefined, false],
  ['cgroup/connect4', B.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, B.BPF_CGROUP_INET4_CONNECT, undefined, false],
  ['cgroup/sock', B.BPF_PROG_TYPE_CGROUP_SOCK, B.BPF_CGROUP_INET_SOCK_CREATE, undefined, false],
  ['sk_skb/stream_parser', B.BPF_PROG_TYPE_SK_SKB, B.BPF_SK_SKB_STREAM_PARSER, undefined, false],
  ['sk_msg', B.BPF_PROG_TYPE_SK_MSG, B.BPF_SK_MSG_VERDICT, undefined, false],
  ['sk_lookup', B.BPF_PROG_TYPE_SK_LOOKUP, B.BPF_SK_LOOKUP, undefined, false],
  ['lwt_xmit', B.BPF_PROG_TYPE_LWT_XMIT, 0, undefined, false],
  ['flow_dissector', B.BPF_PROG_TYPE_FLOW_DISSECTOR, B.BPF_FLOW_DISSECTOR, undefined, false],
  ['netfilter', B.BPF_PROG_TYPE_NETFILTER, B.BPF_NETFILTER, undefined, false],
];

test('section names map to libbpf program types, attach types, targets and flags', () => {
  for (const [name, type, attach, to, sleepable] of cases) {
    const info = findSectionDef(name);
    assert.ok(info, name);
    assert.deepEqual([info.def.progType, info.def.expectedAttachType, info.attachTo, info.sleepable], [type, attach, to, sleepable], name);
  }
  assert.equal(findSectionDef('xdp.frags')!.xdpFrags, true);
});

test('names libbpf does not know are unknown', () => {
  for (const name of ['xdp/', 'xdpfoo', 'kprobefoo', 'tcx', 'socket/x', 'fentry.sx/f', '', 'my_section', 'cgroup/unknown']) {
    assert.equal(findSectionDef(name), undefined, name);
  }
});

/**
 * libbpf's SEC() table: section name → program type, expected attach type and flags
 * (section_defs[] in libbpf.c, as of the 6.18-era libbpf 1.6). Matching follows
 * sec_def_matches(): `name/` needs the slash and something after it may follow; `name+` matches
 * `name` exactly or `name/...`; anything else matches exactly. The first match in table order
 * wins, which is why `xdp.frags/devmap` precedes `xdp.frags` and `tc/ingress` precedes `tc`.
 * Works in node / browser.
 */
import * as B from '../uapi/bpf.ts';

/** Section flags, libbpf's SEC_* cookie bits that matter before load. */
export const SEC_NONE = 0;
/** The program sleeps: prog_flags gets BPF_F_SLEEPABLE. */
export const SEC_SLEEPABLE = 1 << 0;
/** The attach target after '/' names a kernel BTF function (fentry/..., lsm/..., iter/...). */
export const SEC_ATTACH_BTF = 1 << 1;
/** prog_flags gets BPF_F_XDP_HAS_FRAGS. */
export const SEC_XDP_FRAGS = 1 << 2;
/** USDT programs (attach-time only; listed so they are recognised). */
export const SEC_USDT = 1 << 3;

/** One row of the table. */
export interface SectionDef {
  /** The pattern as libbpf writes it (`kprobe+`, `fentry+`, `xdp`). */
  readonly pattern: string;
  readonly progType: number;
  readonly expectedAttachType: number;
  readonly flags: number;
}

function d(pattern: string, progType: number, expectedAttachType: number, flags = SEC_NONE): SectionDef {
  return { pattern, progType, expectedAttachType, flags };
}

const S = SEC_SLEEPABLE, BTF = SEC_ATTACH_BTF;

/** The table, in libbpf's order (first match wins). */
export const SECTION_DEFS: readonly SectionDef[] = [
  d('socket', B.BPF_PROG_TYPE_SOCKET_FILTER, 0),
  d('sk_reuseport/migrate', B.BPF_PROG_TYPE_SK_REUSEPORT, B.BPF_SK_REUSEPORT_SELECT_OR_MIGRATE),
  d('sk_reuseport', B.BPF_PROG_TYPE_SK_REUSEPORT, B.BPF_SK_REUSEPORT_SELECT),
  d('kprobe+', B.BPF_PROG_TYPE_KPROBE, 0),
  d('uprobe+', B.BPF_PROG_TYPE_KPROBE, 0),
  d('uprobe.s+', B.BPF_PROG_TYPE_KPROBE, 0, S),
  d('kretprobe+', B.BPF_PROG_TYPE_KPROBE, 0),
  d('uretprobe+', B.BPF_PROG_TYPE_KPROBE, 0),
  d('uretprobe.s+', B.BPF_PROG_TYPE_KPROBE, 0, S),
  d('kprobe.multi+', B.BPF_PROG_TYPE_KPROBE, B.BPF_TRACE_KPROBE_MULTI),
  d('kretprobe.multi+', B.BPF_PROG_TYPE_KPROBE, B.BPF_TRACE_KPROBE_MULTI),
  d('kprobe.session+', B.BPF_PROG_TYPE_KPROBE, B.BPF_TRACE_KPROBE_SESSION),
  d('uprobe.multi+', B.BPF_PROG_TYPE_KPROBE, B.BPF_TRACE_UPROBE_MULTI),
  d('uretprobe.multi+', B.BPF_PROG_TYPE_KPROBE, B.BPF_TRACE_UPROBE_MULTI),
  d('uprobe.session+', B.BPF_PROG_TYPE_KPROBE, B.BPF_TRACE_UPROBE_SESSION),
  d('uprobe.multi.s+', B.BPF_PROG_TYPE_KPROBE, B.BPF_TRACE_UPROBE_MULTI, S),
  d('uretprobe.multi.s+', B.BPF_PROG_TYPE_KPROBE, B.BPF_TRACE_UPROBE_MULTI, S),
  d('uprobe.session.s+', B.BPF_PROG_TYPE_KPROBE, B.BPF_TRACE_UPROBE_SESSION, S),
  d('ksyscall+', B.BPF_PROG_TYPE_KPROBE, 0),
  d('kretsyscall+', B.BPF_PROG_TYPE_KPROBE, 0),
  d('usdt+', B.BPF_PROG_TYPE_KPROBE, 0, SEC_USDT),
  d('usdt.s+', B.BPF_PROG_TYPE_KPROBE, 0, SEC_USDT | S),
  d('tc/ingress', B.BPF_PROG_TYPE_SCHED_CLS, B.BPF_TCX_INGRESS),
  d('tc/egress', B.BPF_PROG_TYPE_SCHED_CLS, B.BPF_TCX_EGRESS),
  d('tcx/ingress', B.BPF_PROG_TYPE_SCHED_CLS, B.BPF_TCX_INGRESS),
  d('tcx/egress', B.BPF_PROG_TYPE_SCHED_CLS, B.BPF_TCX_EGRESS),
  d('tc', B.BPF_PROG_TYPE_SCHED_CLS, 0),
  d('classifier', B.BPF_PROG_TYPE_SCHED_CLS, 0),
  d('action', B.BPF_PROG_TYPE_SCHED_ACT, 0),
  d('netkit/primary', B.BPF_PROG_TYPE_SCHED_CLS, B.BPF_NETKIT_PRIMARY),
  d('netkit/peer', B.BPF_PROG_TYPE_SCHED_CLS, B.BPF_NETKIT_PEER),
  d('tracepoint+', B.BPF_PROG_TYPE_TRACEPOINT, 0),
  d('tp+', B.BPF_PROG_TYPE_TRACEPOINT, 0),
  d('raw_tracepoint+', B.BPF_PROG_TYPE_RAW_TRACEPOINT, 0),
  d('raw_tp+', B.BPF_PROG_TYPE_RAW_TRACEPOINT, 0),
  d('raw_tracepoint.w+', B.BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE, 0),
  d('raw_tp.w+', B.BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE, 0),
  d('tp_btf+', B.BPF_PROG_TYPE_TRACING, B.BPF_TRACE_RAW_TP, BTF),
  d('fentry+', B.BPF_PROG_TYPE_TRACING, B.BPF_TRACE_FENTRY, BTF),
  d('fmod_ret+', B.BPF_PROG_TYPE_TRACING, B.BPF_MODIFY_RETURN, BTF),
  d('fexit+', B.BPF_PROG_TYPE_TRACING, B.BPF_TRACE_FEXIT, BTF),
  d('fentry.s+', B.BPF_PROG_TYPE_TRACING, B.BPF_TRACE_FENTRY, BTF | S),
  d('fmod_ret.s+', B.BPF_PROG_TYPE_TRACING, B.BPF_MODIFY_RETURN, BTF | S),
  d('fexit.s+', B.BPF_PROG_TYPE_TRACING, B.BPF_TRACE_FEXIT, BTF | S),
  d('freplace+', B.BPF_PROG_TYPE_EXT, 0, BTF),
  d('lsm+', B.BPF_PROG_TYPE_LSM, B.BPF_LSM_MAC, BTF),
  d('lsm.s+', B.BPF_PROG_TYPE_LSM, B.BPF_LSM_MAC, BTF | S),
  d('lsm_cgroup+', B.BPF_PROG_TYPE_LSM, B.BPF_LSM_CGROUP, BTF),
  d('iter+', B.BPF_PROG_TYPE_TRACING, B.BPF_TRACE_ITER, BTF),
  d('iter.s+', B.BPF_PROG_TYPE_TRACING, B.BPF_TRACE_ITER, BTF | S),
  d('syscall', B.BPF_PROG_TYPE_SYSCALL, 0, S),
  d('xdp.frags/devmap', B.BPF_PROG_TYPE_XDP, B.BPF_XDP_DEVMAP, SEC_XDP_FRAGS),
  d('xdp/devmap', B.BPF_PROG_TYPE_XDP, B.BPF_XDP_DEVMAP),
  d('xdp.frags/cpumap', B.BPF_PROG_TYPE_XDP, B.BPF_XDP_CPUMAP, SEC_XDP_FRAGS),
  d('xdp/cpumap', B.BPF_PROG_TYPE_XDP, B.BPF_XDP_CPUMAP),
  d('xdp.frags', B.BPF_PROG_TYPE_XDP, B.BPF_XDP, SEC_XDP_FRAGS),
  d('xdp', B.BPF_PROG_TYPE_XDP, B.BPF_XDP),
  d('perf_event', B.BPF_PROG_TYPE_PERF_EVENT, 0),
  d('lwt_in', B.BPF_PROG_TYPE_LWT_IN, 0),
  d('lwt_out', B.BPF_PROG_TYPE_LWT_OUT, 0),
  d('lwt_xmit', B.BPF_PROG_TYPE_LWT_XMIT, 0),
  d('lwt_seg6local', B.BPF_PROG_TYPE_LWT_SEG6LOCAL, 0),
  d('sockops', B.BPF_PROG_TYPE_SOCK_OPS, B.BPF_CGROUP_SOCK_OPS),
  d('sk_skb/stream_parser', B.BPF_PROG_TYPE_SK_SKB, B.BPF_SK_SKB_STREAM_PARSER),
  d('sk_skb/stream_verdict', B.BPF_PROG_TYPE_SK_SKB, B.BPF_SK_SKB_STREAM_VERDICT),
  d('sk_skb/verdict', B.BPF_PROG_TYPE_SK_SKB, B.BPF_SK_SKB_VERDICT),
  d('sk_skb', B.BPF_PROG_TYPE_SK_SKB, 0),
  d('sk_msg', B.BPF_PROG_TYPE_SK_MSG, B.BPF_SK_MSG_VERDICT),
  d('lirc_mode2', B.BPF_PROG_TYPE_LIRC_MODE2, B.BPF_LIRC_MODE2),
  d('flow_dissector', B.BPF_PROG_TYPE_FLOW_DISSECTOR, B.BPF_FLOW_DISSECTOR),
  d('cgroup_skb/ingress', B.BPF_PROG_TYPE_CGROUP_SKB, B.BPF_CGROUP_INET_INGRESS),
  d('cgroup_skb/egress', B.BPF_PROG_TYPE_CGROUP_SKB, B.BPF_CGROUP_INET_EGRESS),
  d('cgroup/skb', B.BPF_PROG_TYPE_CGROUP_SKB, 0),
  d('cgroup/sock_create', B.BPF_PROG_TYPE_CGROUP_SOCK, B.BPF_CGROUP_INET_SOCK_CREATE),
  d('cgroup/sock_release', B.BPF_PROG_TYPE_CGROUP_SOCK, B.BPF_CGROUP_INET_SOCK_RELEASE),
  d('cgroup/sock', B.BPF_PROG_TYPE_CGROUP_SOCK, B.BPF_CGROUP_INET_SOCK_CREATE),
  d('cgroup/post_bind4', B.BPF_PROG_TYPE_CGROUP_SOCK, B.BPF_CGROUP_INET4_POST_BIND),
  d('cgroup/post_bind6', B.BPF_PROG_TYPE_CGROUP_SOCK, B.BPF_CGROUP_INET6_POST_BIND),
  d('cgroup/bind4', B.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, B.BPF_CGROUP_INET4_BIND),
  d('cgroup/bind6', B.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, B.BPF_CGROUP_INET6_BIND),
  d('cgroup/connect4', B.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, B.BPF_CGROUP_INET4_CONNECT),
  d('cgroup/connect6', B.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, B.BPF_CGROUP_INET6_CONNECT),
  d('cgroup/connect_unix', B.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, B.BPF_CGROUP_UNIX_CONNECT),
  d('cgroup/sendmsg4', B.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, B.BPF_CGROUP_UDP4_SENDMSG),
  d('cgroup/sendmsg6', B.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, B.BPF_CGROUP_UDP6_SENDMSG),
  d('cgroup/sendmsg_unix', B.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, B.BPF_CGROUP_UNIX_SENDMSG),
  d('cgroup/recvmsg4', B.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, B.BPF_CGROUP_UDP4_RECVMSG),
  d('cgroup/recvmsg6', B.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, B.BPF_CGROUP_UDP6_RECVMSG),
  d('cgroup/recvmsg_unix', B.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, B.BPF_CGROUP_UNIX_RECVMSG),
  d('cgroup/getpeername4', B.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, B.BPF_CGROUP_INET4_GETPEERNAME),
  d('cgroup/getpeername6', B.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, B.BPF_CGROUP_INET6_GETPEERNAME),
  d('cgroup/getpeername_unix', B.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, B.BPF_CGROUP_UNIX_GETPEERNAME),
  d('cgroup/getsockname4', B.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, B.BPF_CGROUP_INET4_GETSOCKNAME),
  d('cgroup/getsockname6', B.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, B.BPF_CGROUP_INET6_GETSOCKNAME),
  d('cgroup/getsockname_unix', B.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, B.BPF_CGROUP_UNIX_GETSOCKNAME),
  d('cgroup/sysctl', B.BPF_PROG_TYPE_CGROUP_SYSCTL, B.BPF_CGROUP_SYSCTL),
  d('cgroup/getsockopt', B.BPF_PROG_TYPE_CGROUP_SOCKOPT, B.BPF_CGROUP_GETSOCKOPT),
  d('cgroup/setsockopt', B.BPF_PROG_TYPE_CGROUP_SOCKOPT, B.BPF_CGROUP_SETSOCKOPT),
  d('cgroup/dev', B.BPF_PROG_TYPE_CGROUP_DEVICE, B.BPF_CGROUP_DEVICE),
  d('struct_ops+', B.BPF_PROG_TYPE_STRUCT_OPS, 0),
  d('struct_ops.s+', B.BPF_PROG_TYPE_STRUCT_OPS, 0, S),
  d('sk_lookup', B.BPF_PROG_TYPE_SK_LOOKUP, B.BPF_SK_LOOKUP),
  d('netfilter', B.BPF_PROG_TYPE_NETFILTER, B.BPF_NETFILTER),
];

/** sec_def_matches(): the three pattern forms. */
function matches(pattern: string, section: string): boolean {
  if (pattern.endsWith('/')) return section.startsWith(pattern);
  if (pattern.endsWith('+')) {
    const stem = pattern.slice(0, -1);
    return section === stem || section.startsWith(stem + '/');
  }
  return section === pattern;
}

/** What a section name means for its programs. */
export interface SectionInfo {
  readonly def: SectionDef;
  /** The text after `prefix/` for patterns that take one (`do_nanosleep` of `fentry/do_nanosleep`). */
  readonly attachTo?: string;
  readonly sleepable: boolean;
  readonly xdpFrags: boolean;
}

/**
 * Looks a section name up in libbpf's table (find_sec_def()). Undefined for names libbpf does
 * not know; libbpf then opens the object anyway and refuses the program at load.
 * Works in node / browser.
 */
export function findSectionDef(section: string): SectionInfo | undefined {
  for (const def of SECTION_DEFS) {
    if (!matches(def.pattern, section)) continue;
    const stem = def.pattern.replace(/[+/]$/, '');
    const rest = section.length > stem.length + 1 && section[stem.length] === '/' ? section.slice(stem.length + 1) : undefined;
    return {
      def,
      ...(rest !== undefined ? { attachTo: rest } : {}),
      sleepable: (def.flags & SEC_SLEEPABLE) !== 0,
      xdpFrags: (def.flags & SEC_XDP_FRAGS) !== 0,
    };
  }
  return undefined;
}

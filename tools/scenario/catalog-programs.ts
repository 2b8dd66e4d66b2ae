/**
 * @module tools/scenario/catalog-programs
 * Program-type scenarios (issue 4): XDP test runs (adjust head/meta/tail, redirect, tail calls,
 * csum_diff and the coarse clock) on programs_xdp.bpf.c, tc and socket-filter runs with
 * __sk_buff contexts on programs_skb.bpf.c, raw tracepoint runs on programs_raw_tp.bpf.c.
 * Programs record what they see in `.bss`; each scenario ends with a dump of it.
 */
import { del, dump, run, u32, u64, type ScenarioDef } from './define.ts';
import type { ScenarioStep } from './format.ts';

const XDP = 'programs_xdp.bpf.o';
const SKB = 'programs_skb.bpf.o';

/** 64 bytes: an Ethernet header (broadcast destination, IPv4) and 50 counting bytes. */
const PKT64 = `ffffffffffff000000000001080045${Array.from({ length: 49 }, (_, i) => (i & 0xff).toString(16).padStart(2, '0')).join('')}`;

/** An IPv4/UDP-shaped packet of 60 bytes to `dst` (a MAC address in hex). */
const ipv4 = (dst: string): string => `${dst}0000000000020800` + '4500002e0000000040110000c0a80001c0a80002' + '00'.repeat(26);
/** An IPv6 packet of 54 bytes to the broadcast address (multicast on lo, whose broadcast address is zero). */
const IPV6_MC = 'ffffffffffff00000000000286dd' + '6000000000001140' + '00'.repeat(15) + '01' + '00'.repeat(15) + '02';

/** Fields of struct __sk_buff a test run may set (offsets from include/uapi/linux/bpf.h). */
interface SkbCtx {
  mark?: number; priority?: number; ingressIfindex?: number; ifindex?: number; tcIndex?: number;
  cb?: readonly number[]; tstamp?: bigint; wireLen?: number; gsoSegs?: number; gsoSize?: number;
}
/** The 192-byte __sk_buff context as hex. */
function skbCtx(f: SkbCtx): string {
  const b = new Uint8Array(192);
  const dv = new DataView(b.buffer);
  const put = (off: number, v: number | undefined): void => { if (v !== undefined) dv.setUint32(off, v, true); };
  put(8, f.mark); put(32, f.priority); put(36, f.ingressIfindex); put(40, f.ifindex); put(44, f.tcIndex);
  (f.cb ?? []).forEach((v, i) => put(48 + 4 * i, v));
  if (f.tstamp !== undefined) dv.setBigUint64(152, f.tstamp, true);
  put(160, f.wireLen); put(164, f.gsoSegs); put(176, f.gsoSize);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

const xdp = (prog: string, extra: { repeat?: number } = {}): ScenarioStep => run(prog, undefined, { data: PKT64, ...extra });
const def = (name: string, object: string, covers: string[], description: string, steps: ScenarioStep[]): ScenarioDef =>
  ({ name, object, covers, description, steps: [...steps, dump('.bss')] });

export const programScenarios: readonly ScenarioDef[] = [
  def('programs_xdp_adjust_head', XDP, ['helpers:xdp_adjust_head', 'programs:xdp'],
    'bpf_xdp_adjust_head: 16 bytes of headroom and back, down to the xdp_frame (216 bytes: 0; 217: -EINVAL), up to ETH_HLEN bytes of packet left (one more: -EINVAL); the uncovered bytes are writable.',
    [xdp('xdp_head')]),
  def('programs_xdp_adjust_meta', XDP, ['helpers:xdp_adjust_meta', 'programs:xdp'],
    'bpf_xdp_adjust_meta: 8 bytes of metadata written and read back, 14 bytes (-EACCES), past data or into the xdp_frame (-EINVAL); adjust_head moves the metadata along.',
    [xdp('xdp_meta')]),
  def('programs_xdp_adjust_tail', XDP, ['helpers:xdp_adjust_tail', 'programs:xdp'],
    'bpf_xdp_adjust_tail: shrink and grow (grown bytes read zero), up to 3520 bytes of packet (4096 - 256 headroom - 320 tailroom; one more: -EINVAL), down to ETH_HLEN bytes.',
    [xdp('xdp_tail')]),
  def('programs_xdp_redirect', XDP, ['helpers:redirect', 'programs:xdp'],
    'bpf_redirect from XDP: XDP_REDIRECT (4) with flags 0, XDP_ABORTED (0) with any flag; the test run returns the verdict.',
    [xdp('xdp_redirect')]),
  def('helpers_csum_diff_coarse', XDP, ['helpers:csum_diff', 'helpers:ktime'],
    'bpf_csum_diff over stack words (sizes 16/8, 0/8, 16/0, 12/4, 3/4: 6.18 takes any size, 0/0 returns the seed); bpf_ktime_get_coarse_ns is at most ktime_get_ns and within 100 ms of it.',
    [xdp('xdp_csum_clock')]),
  def('helpers_tail_call', XDP, ['helpers:tail_call', 'maps:prog_array', 'programs:repeat'],
    'Tail calls through a prog array filled by libbpf (.values): the target\'s return value; an empty slot and an index past max_entries fall through; a program calling itself runs 33 times (MAX_TAIL_CALL_CNT), also under repeat; deleting a slot from user space (0), an empty slot (ENOENT), out of range (E2BIG).',
    [xdp('call_a'), xdp('call_empty'), xdp('call_out_of_range'), xdp('call_chain'), xdp('call_chain', { repeat: 3 }),
      del('jmp', u32(0)), del('jmp', u32(1)), del('jmp', u32(9)), xdp('call_a')]),
  def('programs_tc_skb_fields', SKB, ['programs:tc', 'helpers:redirect'],
    'tc test runs: __sk_buff fields from the packet (len, pkt_type host/multicast/otherhost on lo, protocol, ifindex 1) and from the context passed in (mark, priority, ingress_ifindex, cb, tstamp, wire_len, gso_segs, gso_size; wire_len reads 0 without a context), fields written and read back, bpf_redirect verdicts (TC_ACT_REDIRECT, TC_ACT_SHOT for an unknown flag).',
    [run('tc_fields', undefined, { data: ipv4('020000000001') }), dump('.bss'),
      run('tc_fields', skbCtx({ mark: 5, priority: 3, ingressIfindex: 1, ifindex: 1, cb: [0x10, 0, 0, 0, 0x14], tstamp: 1000n, wireLen: 100, gsoSegs: 2, gsoSize: 100 }), { data: ipv4('000000000000') }),
      dump('.bss'), run('tc_fields', undefined, { data: IPV6_MC })]),
  def('programs_tc_refusals', SKB, ['programs:tc', 'programs:refusals'],
    'BPF_PROG_TEST_RUN refusals for skb programs: a context field the run does not take (tc_index: EINVAL), an unknown ifindex (ENODEV), wire_len below the packet length (EINVAL), a packet shorter than an Ethernet header (EINVAL); repeat 5 runs and keeps the verdict.',
    [run('tc_fields', skbCtx({ tcIndex: 1 }), { data: ipv4('000000000000') }), run('tc_fields', skbCtx({ ifindex: 77 }), { data: ipv4('000000000000') }),
      run('tc_fields', skbCtx({ wireLen: 10 }), { data: ipv4('000000000000') }), run('tc_fields', undefined, { data: '0000' }),
      run('tc_redirect', undefined, { data: ipv4('000000000000'), repeat: 5 })]),
  def('programs_socket_filter', SKB, ['programs:socket_filter'],
    'Socket filter test runs: the packet from the network header (len = size - 14), protocol, pkt_type, mark/priority/cb from the context, cb writable; the return value is the length to keep.',
    [run('sock_fields', undefined, { data: ipv4('020000000001') }), dump('.bss'),
      run('sock_fields', skbCtx({ mark: 7, priority: 1, cb: [0x33] }), { data: IPV6_MC })]),
  def('programs_raw_tp', 'programs_raw_tp.bpf.o', ['programs:raw_tp', 'programs:refusals'],
    'Raw tracepoint test runs: the u64 arguments passed as the context; repeat and data are refused (EINVAL).',
    [run('rtp_args', u64(5) + u64(7)), run('rtp_args', u64(5) + u64(7), { repeat: 2 }), run('rtp_args', u64(5) + u64(7), { data: '00' })]),
];

/**
 * `tsbpf example conntrack`: the XDP connection tracker of examples/conntrack.bpf.c fed a
 * synthetic packet stream (or a pcap file), reporting live flows, new flows, expiries (timer
 * callbacks), LRU evictions and verdicts over time.
 */
import { BpfError } from '../../util/errors.ts';
import { EINVAL } from '../../uapi/errno.ts';
import { generateTraffic, type TimedPacket } from '../../examples/traffic.ts';
import { pcapPackets } from '../../examples/pcap.ts';
import { CONNTRACK_STATS, type ConntrackStat } from '../../examples/layouts.ts';
import type { BpfObject } from '../../runtime/object.ts';
import { formatSeconds, openExample, type ClockKind } from './driver.ts';

export interface ConntrackOptions {
  readonly flows: number;
  readonly durationNs: bigint;
  readonly seed: number;
  /** Packets of a pcap file instead of the synthetic stream (times relative to its first packet). */
  readonly pcap?: Uint8Array;
  readonly idleTimeoutNs: bigint;
  readonly closeTimeoutNs: bigint;
  /** Packets a flow may send before it is dropped; 0 = unlimited. */
  readonly budget: bigint;
  readonly maxFlows: number;
  /** Report interval. */
  readonly everyNs: bigint;
  readonly clock: ClockKind;
  readonly json: boolean;
}

type Stats = Record<ConntrackStat, bigint>;

function readStats(obj: BpfObject): Stats {
  // Refresh `live` and `evicted` first: conntrack_live walks the flow table.
  obj.program('conntrack_live').run({ ctx: new Uint8Array(8) });
  const stats = obj.map('stats');
  const out = {} as Stats;
  CONNTRACK_STATS.forEach((name, i) => {
    const key = new Uint8Array(4);
    new DataView(key.buffer).setUint32(0, i, true);
    const v = stats.lookup(key);
    out[name] = v === undefined ? 0n : new DataView(v.buffer, v.byteOffset).getBigUint64(0, true);
  });
  return out;
}

/** Packets relative to the first one of a capture. */
function* relativeTimes(packets: Iterable<TimedPacket>): Generator<TimedPacket> {
  let first: bigint | undefined;
  for (const p of packets) {
    first ??= p.timeNs;
    yield { ...p, timeNs: p.timeNs - first };
  }
}

/** Bytes of an Ethernet header: XDP's smallest frame. */
const ETH_HLEN = 14;

const HEADER = '    time   live    new expired evicted    pass  drop: malformed invalid budget  untracked';

function line(atNs: bigint, s: Stats): string {
  const c = (v: bigint, w: number) => String(v).padStart(w);
  return `${formatSeconds(atNs).padStart(8)} ${c(s.live, 6)} ${c(s.newFlows, 6)} ${c(s.expired, 7)} ${c(s.evicted, 7)} ${c(s.pass, 7)}  ${c(s.dropMalformed, 15)} ${c(s.dropInvalid, 7)} ${c(s.dropBudget, 6)} ${c(s.untracked, 10)}`;
}

function jsonLine(atNs: bigint, s: Stats): string {
  return JSON.stringify({ timeNs: Number(atNs), ...Object.fromEntries(Object.entries(s).map(([k, v]) => [k, Number(v)])) });
}

/** Runs the example; writes the report through `out`. */
export async function runConntrack(o: ConntrackOptions, out: (text: string) => void): Promise<void> {
  if (o.everyNs <= 0n) throw new BpfError(EINVAL, '--every must be positive');
  const session = await openExample(
    'conntrack',
    { idle_timeout_ns: o.idleTimeoutNs, close_timeout_ns: o.closeTimeoutNs, flow_pkt_budget: o.budget },
    o.clock,
    (obj) => {
      const flows = obj.spec.maps.get('flows');
      if (flows !== undefined) flows.maxEntries = o.maxFlows;
    },
  );
  try {
    const { obj } = session;
    const xdp = obj.program('xdp_conntrack');
    const packets = o.pcap !== undefined ? relativeTimes(pcapPackets(o.pcap)) : generateTraffic({ seed: o.seed, flows: o.flows, durationNs: o.durationNs });
    const report = (atNs: bigint) => {
      const s = readStats(obj);
      out(`${o.json ? jsonLine(atNs, s) : line(atNs, s)}\n`);
    };
    if (!o.json) {
      out(`conntrack: ${o.pcap !== undefined ? 'pcap' : `${o.flows} synthetic flows`}, idle timeout ${formatSeconds(o.idleTimeoutNs)}, ${o.maxFlows}-entry LRU, ${o.clock} clock\n`);
      out(`${HEADER}\n`);
    }
    let next = o.everyNs;
    let lastNs = 0n;
    // Frames shorter than an Ethernet header never reach XDP (and BPF_PROG_TEST_RUN refuses them).
    let runts = 0;
    for (const p of packets) {
      while (p.timeNs >= next) {
        await session.waitUntil(next);
        report(next);
        next += o.everyNs;
      }
      await session.waitUntil(p.timeNs);
      lastNs = p.timeNs;
      if (p.data.length < ETH_HLEN) {
        runts++;
        continue;
      }
      xdp.run({ data: p.data });
    }
    // The stream is over: let every idle flow expire, reporting as time goes on.
    const quietEnd = (lastNs > o.durationNs ? lastNs : o.durationNs) + o.idleTimeoutNs + o.everyNs;
    while (next <= quietEnd) {
      await session.waitUntil(next);
      report(next);
      next += o.everyNs;
    }
    if (!o.json) {
      const s = readStats(obj);
      out(`summary: ${s.packets} packets, ${s.newFlows} flows, ${s.expired} expired by their timers (${s.expiredClosed} after FIN/RST), ${s.evicted} evicted by the LRU, ${s.live} live; ` +
        `verdicts: ${s.pass} pass, ${s.dropMalformed + s.dropInvalid + s.dropBudget} drop, ${s.untracked} untracked; ${runts} runt frames not delivered; timer errors ${s.timerErrors}\n`);
    }
  } finally {
    session.close();
  }
}

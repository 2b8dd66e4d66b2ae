/**
 * `tsbpf example healthcheck`: examples/healthcheck.bpf.c. Backends send heartbeats (UDP to port
 * 7777); a periodic probe timer marks a backend DOWN when its heartbeat is older than
 * `dead_after_ns` and UP when it returns; client packets are balanced over the UP backends by
 * XDP_TX. One backend goes silent for a while (an outage) to show the flips.
 */
import { buildFrame, formatIpv4, ipv4, IPPROTO_TCP, IPPROTO_UDP, TCP_ACK } from '../../examples/frame.ts';
import { BACKEND, BACKEND_UP, encodeHealthConfig, HEALTH, HEARTBEAT_PORT } from '../../examples/layouts.ts';
import { BpfError } from '../../util/errors.ts';
import { EINVAL } from '../../uapi/errno.ts';
import type { BpfObject } from '../../runtime/object.ts';
import { formatSeconds, openExample, type ClockKind } from './driver.ts';

export interface HealthcheckOptions {
  readonly backends: number;
  readonly durationNs: bigint;
  readonly probeNs: bigint;
  readonly deadAfterNs: bigint;
  /** Heartbeat period of every backend. */
  readonly heartbeatNs: bigint;
  /** The backend (0-based) that goes silent, and when. */
  readonly outage: { readonly backend: number; readonly fromNs: bigint; readonly toNs: bigint };
  /** Client packets per second to balance. */
  readonly clientPps: number;
  readonly clock: ClockKind;
  readonly json: boolean;
}

const key = (i: number): Uint8Array => {
  const k = new Uint8Array(4);
  new DataView(k.buffer).setUint32(0, i, true);
  return k;
};

function backendStates(obj: BpfObject, n: number) {
  return Array.from({ length: n }, (_, i) => BACKEND.decode(obj.map('backends').lookup(key(i))!));
}

/** One event of the feed: a heartbeat from a backend, or a client packet. */
interface Event {
  readonly atNs: bigint;
  readonly frame: Uint8Array;
}

function* feed(o: HealthcheckOptions, addrs: readonly number[]): Generator<Event> {
  const clientGap = BigInt(Math.round(1e9 / o.clientPps));
  let nextBeat = 0n;
  let nextClient = 0n;
  let client = 0;
  const heartbeats: Event[] = [];
  while (nextBeat < o.durationNs || nextClient < o.durationNs) {
    if (nextBeat <= nextClient) {
      addrs.forEach((addr, i) => {
        const silent = i === o.outage.backend && nextBeat >= o.outage.fromNs && nextBeat < o.outage.toNs;
        if (!silent) heartbeats.push({ atNs: nextBeat, frame: buildFrame({ src: addr, dst: ipv4('10.1.0.1'), proto: IPPROTO_UDP, sport: 40000, dport: HEARTBEAT_PORT }) });
      });
      yield* heartbeats.splice(0);
      nextBeat += o.heartbeatNs;
    } else {
      client++;
      yield { atNs: nextClient, frame: buildFrame({ src: ipv4(`192.168.${(client >> 8) & 0xff}.${client & 0xff}`), dst: ipv4('10.1.0.1'), proto: IPPROTO_TCP, sport: 1024 + (client % 50000), dport: 80, tcpFlags: TCP_ACK }) };
      nextClient += clientGap;
    }
  }
}

export async function runHealthcheck(o: HealthcheckOptions, out: (text: string) => void): Promise<void> {
  if (o.backends < 1 || o.backends > 8) throw new BpfError(EINVAL, '--backends must be 1 to 8');
  if (o.outage.backend >= o.backends) throw new BpfError(EINVAL, `--outage names backend ${o.outage.backend + 1} of ${o.backends}`);
  const session = await openExample('healthcheck', { probe_interval_ns: o.probeNs, dead_after_ns: o.deadAfterNs }, o.clock);
  try {
    const { obj } = session;
    const addrs = Array.from({ length: o.backends }, (_, i) => ipv4(`10.2.0.${i + 1}`));
    const setup = obj.program('health_setup').run({ ctx: encodeHealthConfig(addrs) }).retval;
    if (setup !== 0) throw new BpfError(-setup, `health_setup returned ${setup}`);
    if (!o.json) {
      out(`healthcheck: ${o.backends} backends (${addrs.map(formatIpv4).join(', ')}), probe every ${formatSeconds(o.probeNs)}, down after ${formatSeconds(o.deadAfterNs)} without a heartbeat; backend ${o.outage.backend + 1} silent ${formatSeconds(o.outage.fromNs)}-${formatSeconds(o.outage.toNs)}; ${o.clock} clock\n`);
      out(`    time  probes  up  ${addrs.map((_, i) => `b${i + 1}`.padEnd(5)).join(' ')}  picks per backend\n`);
    }
    const xdp = obj.program('xdp_balance');
    const report = (atNs: bigint) => {
      const h = HEALTH.decode(obj.map('health').lookup(key(0))!);
      const b = backendStates(obj, o.backends);
      if (o.json) {
        out(`${JSON.stringify({ timeNs: Number(atNs), probes: Number(h.probes), healthy: h.healthy, flipsUp: Number(h.flipsUp), flipsDown: Number(h.flipsDown), up: b.map((x) => x.state === BACKEND_UP), picks: b.map((x) => Number(x.picks)) })}\n`);
        return;
      }
      const states = b.map((x) => (x.state === BACKEND_UP ? 'UP' : 'DOWN').padEnd(5)).join(' ');
      out(`${formatSeconds(atNs).padStart(8)} ${String(h.probes).padStart(7)} ${String(h.healthy).padStart(3)}  ${states}  ${b.map((x) => x.picks).join(' ')}\n`);
    };
    let next = o.probeNs;
    for (const ev of feed(o, addrs)) {
      while (ev.atNs >= next) {
        await session.waitUntil(next);
        report(next);
        next += o.probeNs;
      }
      await session.waitUntil(ev.atNs);
      xdp.run({ data: ev.frame });
    }
    if (!o.json) {
      const h = HEALTH.decode(obj.map('health').lookup(key(0))!);
      out(`summary: ${h.probes} probes, ${h.flipsUp} flips up, ${h.flipsDown} flips down, ${h.balanced} packets balanced (XDP_TX), ${h.noBackend} with no backend UP\n`);
    }
  } finally {
    session.close();
  }
}

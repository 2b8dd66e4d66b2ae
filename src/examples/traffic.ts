/**
 * A deterministic synthetic packet stream for the examples: a seeded set of flows (TCP or UDP, each
 * with a start time, a packet rate and a lifetime) whose packets, both directions, are produced in
 * time order, plus a background of frames the examples must not track (ARP, ICMP) and occasional
 * malformed ones. The same options and seed always give the same bytes. Works in node / browser.
 */
import {
  buildArp, buildFrame, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, TCP_ACK, TCP_FIN, TCP_PSH, TCP_SYN,
} from './frame.ts';
import { toSafeNumber } from '../util/u64.ts';

/** One packet with its capture time (ns since the start of the stream or the capture's epoch). */
export interface TimedPacket {
  readonly timeNs: bigint;
  readonly data: Uint8Array;
  /** Length on the wire; larger than data.length when a capture truncated the packet. */
  readonly origLen: number;
}

/** The background frame kinds; the first four are malformed. */
export type ExtraKind = 'runt' | 'truncated-ip' | 'bad-ihl' | 'truncated-l4' | 'arp' | 'icmp';
export const MALFORMED_KINDS: readonly ExtraKind[] = ['runt', 'truncated-ip', 'bad-ihl', 'truncated-l4'];

export interface TrafficOptions {
  readonly seed: number;
  /** Number of flows. */
  readonly flows: number;
  /** Flow starts are spread uniformly over [0, durationNs); packets after durationNs are not produced. */
  readonly durationNs: bigint;
  /** Mean packets per second of one flow (each flow's own rate is 1/4x to 4x this). Default 10. */
  readonly meanRatePps?: number;
  /** Mean flow lifetime (exponential). Default 10 s. */
  readonly meanLifetimeNs?: bigint;
  /** Share of UDP flows. Default 0.3. */
  readonly udpShare?: number;
  /** Probability that a packet goes server to client (after the handshake). Default 0.4. */
  readonly replyShare?: number;
  /** Share of TCP flows that end with FIN; the others go silent and only time out. Default 0.5. */
  readonly finShare?: number;
  /** Share of flows whose frames carry an 802.1Q tag. Default 0.1. */
  readonly vlanShare?: number;
  /** Background frames per second (ARP, ICMP, malformed). Default 1. */
  readonly extraPps?: number;
  /** Share of background frames that are malformed. Default 0.5. */
  readonly malformedShare?: number;
}

/** A flow as planned: everything needed to produce its packets. */
export interface FlowPlan {
  readonly id: number;
  readonly proto: typeof IPPROTO_TCP | typeof IPPROTO_UDP;
  readonly client: number;
  readonly clientPort: number;
  readonly server: number;
  readonly serverPort: number;
  readonly startNs: number;
  readonly endNs: number;
  readonly ratePps: number;
  readonly closesWithFin: boolean;
  readonly vlan?: number;
}

/** mulberry32: a small, fast, seeded 32-bit generator; floats in [0, 1). */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(lo: number, hiExclusive: number): number {
    return lo + Math.floor(this.next() * (hiExclusive - lo));
  }
  /** Exponentially distributed with the given mean. */
  exp(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }
}

const SERVERS = [0xc0a80001, 0xc0a80002, 0xc0a80003, 0xc0a80004]; // 192.168.0.1-4
const TCP_PORTS = [80, 443, 8080, 22];
const UDP_PORTS = [53, 123, 5353, 4789];

function bigintToNumberNs(ns: bigint, what: string): number {
  if (ns < 0n || ns > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`${what} out of range: ${ns}`);
  return toSafeNumber(ns);
}

/** Plans the flows of a stream. Deterministic in `opts`. */
export function planFlows(opts: TrafficOptions): FlowPlan[] {
  const duration = bigintToNumberNs(opts.durationNs, 'durationNs');
  const meanLifetime = bigintToNumberNs(opts.meanLifetimeNs ?? 10_000_000_000n, 'meanLifetimeNs');
  const meanRate = opts.meanRatePps ?? 10;
  if (!(meanRate > 0)) throw new RangeError(`meanRatePps must be positive: ${meanRate}`);
  if (!Number.isInteger(opts.flows) || opts.flows < 0 || opts.flows > 0xffffff) throw new RangeError(`flows out of range: ${opts.flows}`);
  const rng = new Rng(opts.seed ^ 0x5eed);
  const plans: FlowPlan[] = [];
  for (let id = 0; id < opts.flows; id++) {
    const udp = rng.next() < (opts.udpShare ?? 0.3);
    const startNs = Math.floor(rng.next() * duration);
    const lifetime = Math.max(1_000_000, Math.floor(rng.exp(meanLifetime)));
    const vlan = rng.next() < (opts.vlanShare ?? 0.1) ? rng.int(1, 4095) : undefined;
    const plan: FlowPlan = {
      id,
      proto: udp ? IPPROTO_UDP : IPPROTO_TCP,
      // 10.x.y.z from the id: distinct clients, so every flow has its own 5-tuple.
      client: (0x0a000000 + id + 1) >>> 0,
      clientPort: rng.int(1024, 65536),
      server: SERVERS[rng.int(0, SERVERS.length)] ?? 0,
      serverPort: (udp ? UDP_PORTS : TCP_PORTS)[rng.int(0, 4)] ?? 0,
      startNs,
      endNs: startNs + lifetime,
      ratePps: meanRate * 2 ** (rng.next() * 4 - 2),
      closesWithFin: !udp && rng.next() < (opts.finShare ?? 0.5),
      ...(vlan !== undefined ? { vlan } : {}),
    };
    plans.push(plan);
  }
  return plans;
}

/** A source of packets in time order: a flow, or the background. */
interface Source {
  nextNs: number;
  readonly order: number;
  /** Produces the packet due at nextNs and advances nextNs (Infinity when done). */
  emit(): Uint8Array;
}

class FlowSource implements Source {
  nextNs: number;
  readonly order: number;
  private readonly plan: FlowPlan;
  private readonly rng: Rng;
  private readonly replyShare: number;
  private readonly limitNs: number;
  private sent = 0;

  constructor(plan: FlowPlan, seed: number, replyShare: number, limitNs: number) {
    this.plan = plan;
    this.order = plan.id;
    this.rng = new Rng((seed ^ Math.imul(plan.id + 1, 0x9e3779b1)) >>> 0);
    this.replyShare = replyShare;
    this.limitNs = Math.min(limitNs, plan.endNs);
    this.nextNs = plan.startNs;
  }

  emit(): Uint8Array {
    const p = this.plan;
    const n = this.sent++;
    const gap = this.rng.exp(1e9 / p.ratePps);
    let reply: boolean;
    let flags = 0;
    let payload: number;
    const last = this.nextNs + gap >= this.limitNs;
    // Only a flow whose lifetime ends inside the stream closes; one cut off by the stream's end does not.
    const closing = this.nextNs + gap >= this.plan.endNs;
    if (p.proto === IPPROTO_TCP && n < 3) {
      // Handshake: SYN, SYN-ACK, ACK.
      reply = n === 1;
      flags = n === 0 ? TCP_SYN : n === 1 ? TCP_SYN | TCP_ACK : TCP_ACK;
      payload = 0;
    } else {
      reply = this.rng.next() < this.replyShare;
      payload = p.proto === IPPROTO_TCP ? this.rng.int(0, 1400) : this.rng.int(16, 512);
      if (p.proto === IPPROTO_TCP) flags = TCP_ACK | (payload > 0 ? TCP_PSH : 0);
    }
    if (closing && p.closesWithFin && n >= 3) {
      reply = false;
      flags = TCP_FIN | TCP_ACK;
      payload = 0;
    }
    const frame = buildFrame({
      src: reply ? p.server : p.client,
      dst: reply ? p.client : p.server,
      sport: reply ? p.serverPort : p.clientPort,
      dport: reply ? p.clientPort : p.serverPort,
      proto: p.proto,
      tcpFlags: flags,
      payloadBytes: payload,
      ipId: n,
      ...(p.vlan !== undefined ? { vlan: p.vlan } : {}),
    });
    // A flow with FIN ends after its FIN; one without stops when its lifetime runs out.
    this.nextNs = last ? Infinity : this.nextNs + Math.max(1, Math.floor(gap));
    return frame;
  }
}

class ExtraSource implements Source {
  nextNs: number;
  readonly order = -1;
  private readonly rng: Rng;
  private readonly meanGapNs: number;
  private readonly malformedShare: number;
  private readonly limitNs: number;
  private count = 0;

  constructor(seed: number, pps: number, malformedShare: number, limitNs: number) {
    this.rng = new Rng(seed ^ 0xbadf00d);
    this.meanGapNs = 1e9 / pps;
    this.malformedShare = malformedShare;
    this.limitNs = limitNs;
    this.nextNs = Math.floor(this.rng.exp(this.meanGapNs));
    if (this.nextNs >= limitNs) this.nextNs = Infinity;
  }

  emit(): Uint8Array {
    const kinds: readonly ExtraKind[] = this.rng.next() < this.malformedShare ? MALFORMED_KINDS : ['arp', 'icmp'];
    const kind = kinds[this.rng.int(0, kinds.length)] ?? 'arp';
    const frame = extraFrame(kind, this.count++);
    const next = this.nextNs + Math.max(1, Math.floor(this.rng.exp(this.meanGapNs)));
    this.nextNs = next >= this.limitNs ? Infinity : next;
    return frame;
  }
}

/** A background frame of the given kind. `n` varies addresses and ids. */
export function extraFrame(kind: ExtraKind, n: number): Uint8Array {
  const src = (0xac100000 + (n & 0xffff)) >>> 0; // 172.16.x.y
  const dst = 0xc0a80001;
  switch (kind) {
    case 'arp':
      return buildArp(src, dst);
    case 'icmp':
      return buildFrame({ src, dst, proto: IPPROTO_ICMP, payloadBytes: 32, ipId: n });
    case 'runt':
      return buildFrame({ src, dst, proto: IPPROTO_UDP, sport: 1, dport: 2 }).slice(0, 10);
    case 'truncated-ip': {
      // The IPv4 total length claims more bytes than the frame carries.
      const f = buildFrame({ src, dst, proto: IPPROTO_UDP, sport: 1000, dport: 53, payloadBytes: 20 });
      f[16] = 0x05; f[17] = 0xdc;
      return f;
    }
    case 'bad-ihl': {
      const f = buildFrame({ src, dst, proto: IPPROTO_TCP, sport: 1000, dport: 80, tcpFlags: TCP_SYN });
      f[14] = 0x43; // IHL 3: shorter than the fixed header
      return f;
    }
    case 'truncated-l4': {
      // A TCP header cut after 8 bytes; total length and frame agree, so only the L4 check catches it.
      const f = buildFrame({ src, dst, proto: IPPROTO_TCP, sport: 1000, dport: 80, tcpFlags: TCP_SYN }).slice(0, 14 + 20 + 8);
      f[16] = 0; f[17] = 28;
      return f;
    }
  }
}

/** Min-heap of sources by (nextNs, order): equal times come out in a fixed order. */
class SourceHeap {
  private readonly items: Source[] = [];
  get size(): number {
    return this.items.length;
  }
  private less(a: Source, b: Source): boolean {
    return a.nextNs < b.nextNs || (a.nextNs === b.nextNs && a.order < b.order);
  }
  push(s: Source): void {
    const it = this.items;
    it.push(s);
    let i = it.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pi = it[parent]!;
      if (!this.less(s, pi)) break;
      it[i] = pi;
      i = parent;
    }
    it[i] = s;
  }
  pop(): Source | undefined {
    const it = this.items;
    const top = it[0];
    const last = it.pop();
    if (top === undefined || last === undefined || it.length === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= it.length) break;
      const r = l + 1;
      const c = r < it.length && this.less(it[r]!, it[l]!) ? r : l;
      if (!this.less(it[c]!, last)) break;
      it[i] = it[c]!;
      i = c;
    }
    it[i] = last;
    return top;
  }
}

/**
 * The packets of the stream in time order (ties: background first, then by flow id). Lazy: memory
 * stays proportional to the number of flows.
 * @throws {RangeError} when an option is out of range.
 */
export function* generateTraffic(opts: TrafficOptions): Generator<TimedPacket> {
  const limit = bigintToNumberNs(opts.durationNs, 'durationNs');
  const heap = new SourceHeap();
  const replyShare = opts.replyShare ?? 0.4;
  for (const plan of planFlows(opts)) {
    if (plan.startNs < limit) heap.push(new FlowSource(plan, opts.seed, replyShare, limit));
  }
  const extraPps = opts.extraPps ?? 1;
  if (extraPps > 0) {
    const extra = new ExtraSource(opts.seed, extraPps, opts.malformedShare ?? 0.5, limit);
    if (extra.nextNs !== Infinity) heap.push(extra);
  }
  while (heap.size > 0) {
    const src = heap.pop()!;
    const timeNs = BigInt(src.nextNs);
    const data = src.emit();
    yield { timeNs, data, origLen: data.length };
    if (src.nextNs < limit) heap.push(src);
  }
}

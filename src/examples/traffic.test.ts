import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateTraffic, planFlows, extraFrame, MALFORMED_KINDS, Rng, type TimedPacket, type TrafficOptions } from './traffic.ts';
import { buildFrame, checksumsValid, ipv4, formatIpv4, IPPROTO_TCP, IPPROTO_UDP, TCP_ACK, TCP_FIN, TCP_SYN } from './frame.ts';

/** A TypeScript transcription of examples/packet.h parse_frame(), to classify generated frames. */
function classify(f: Uint8Array): 'ok' | 'not-ipv4' | 'other-l4' | 'malformed' {
  const at = (i: number): number => f[i] ?? 0;
  const be16 = (i: number): number => (at(i) << 8) | at(i + 1);
  if (f.length < 14) return 'malformed';
  let off = 14;
  let proto = be16(12);
  for (let i = 0; i < 2 && (proto === 0x8100 || proto === 0x88a8); i++) {
    if (off + 4 > f.length) return 'malformed';
    proto = be16(off + 2);
    off += 4;
  }
  if (proto !== 0x0800) return 'not-ipv4';
  if (off + 20 > f.length) return 'malformed';
  const ihl = (at(off) & 0xf) * 4;
  if (at(off) >> 4 !== 4 || ihl < 20) return 'malformed';
  const tot = be16(off + 2);
  if (tot < ihl || off + tot > f.length) return 'malformed';
  if (be16(off + 6) & 0x1fff) return 'other-l4';
  const l4proto = at(off + 9);
  if (l4proto !== IPPROTO_TCP && l4proto !== IPPROTO_UDP) return 'other-l4';
  const l4 = off + ihl;
  if (l4proto === IPPROTO_TCP) {
    if (l4 + 20 > f.length || at(l4 + 12) >> 4 < 5 || (at(l4 + 12) >> 4) * 4 > tot - ihl) return 'malformed';
  } else if (l4 + 8 > f.length || be16(l4 + 4) < 8 || be16(l4 + 4) > tot - ihl) {
    return 'malformed';
  }
  return 'ok';
}

const OPTS: TrafficOptions = { seed: 42, flows: 200, durationNs: 20_000_000_000n, meanRatePps: 20, meanLifetimeNs: 5_000_000_000n, extraPps: 5 };

function tupleOf(f: Uint8Array): string {
  const off = ((f[12] ?? 0) << 8 | (f[13] ?? 0)) === 0x8100 ? 18 : 14;
  const hex = (a: number, n: number): string => Array.from(f.subarray(a, a + n), (x) => x.toString(16).padStart(2, '0')).join('');
  const ends = [hex(off + 12, 4) + hex(off + 20, 2), hex(off + 16, 4) + hex(off + 22, 2)].sort();
  return `${f[off + 9]}:${ends.join('-')}`;
}

describe('traffic generator', () => {
  const packets: TimedPacket[] = [...generateTraffic(OPTS)];

  it('is deterministic in its seed', () => {
    const again = [...generateTraffic(OPTS)];
    assert.equal(again.length, packets.length);
    for (let i = 0; i < packets.length; i++) {
      assert.equal(again[i]!.timeNs, packets[i]!.timeNs);
      assert.deepEqual(again[i]!.data, packets[i]!.data);
    }
    const other = [...generateTraffic({ ...OPTS, seed: 43 })];
    assert.notDeepEqual(other.slice(0, 50).map((p) => p.timeNs), packets.slice(0, 50).map((p) => p.timeNs));
  });

  it('yields packets in time order inside the duration', () => {
    assert.ok(packets.length > 1000);
    for (let i = 1; i < packets.length; i++) assert.ok(packets[i - 1]!.timeNs <= packets[i]!.timeNs, `packet ${i} out of order`);
    assert.ok(packets[packets.length - 1]!.timeNs < OPTS.durationNs);
    for (const p of packets) assert.equal(p.origLen, p.data.length);
  });

  it('produces about the planned number of flow packets', () => {
    const plans = planFlows(OPTS);
    const duration = Number(OPTS.durationNs);
    const expected = plans.reduce((n, f) => n + (f.ratePps * Math.max(0, Math.min(f.endNs, duration) - f.startNs)) / 1e9, 0);
    const flowPackets = packets.filter((p) => classify(p.data) === 'ok').length;
    assert.ok(Math.abs(flowPackets - expected) / expected < 0.15, `flow packets ${flowPackets}, expected about ${expected.toFixed(0)}`);
  });

  it('opens every TCP flow with a handshake and closes FIN flows with FIN', () => {
    const byFlow = new Map<string, Uint8Array[]>();
    for (const p of packets) {
      if (classify(p.data) !== 'ok') continue;
      const k = tupleOf(p.data);
      byFlow.set(k, [...(byFlow.get(k) ?? []), p.data]);
    }
    const plans = planFlows(OPTS);
    const started = plans.filter((f) => f.startNs < Number(OPTS.durationNs));
    assert.equal(byFlow.size, started.length, 'one 5-tuple per flow');
    let fins = 0;
    for (const frames of byFlow.values()) {
      const first = frames[0]!;
      const off = ((first[12] ?? 0) << 8 | (first[13] ?? 0)) === 0x8100 ? 18 : 14;
      if (first[off + 9] !== IPPROTO_TCP) continue;
      const flags = (f: Uint8Array): number => f[off + 20 + 13] ?? 0;
      assert.equal(flags(first), TCP_SYN);
      if (frames.length > 1) assert.equal(flags(frames[1]!), TCP_SYN | TCP_ACK);
      const fin = frames.findIndex((f) => (flags(f) & TCP_FIN) !== 0);
      if (fin >= 0) {
        fins++;
        assert.equal(fin, frames.length - 1, 'FIN is the last packet');
      }
    }
    assert.ok(fins > 10, `${fins} FIN flows`);
  });

  it('gives well-formed frames valid checksums and tags some with VLANs', () => {
    let vlan = 0;
    for (const p of packets) {
      if (classify(p.data) !== 'ok') continue;
      assert.ok(checksumsValid(p.data));
      if (((p.data[12] ?? 0) << 8 | (p.data[13] ?? 0)) === 0x8100) vlan++;
    }
    assert.ok(vlan > 0);
  });

  it('mixes in malformed and untracked background frames', () => {
    const kinds = new Map<string, number>();
    for (const p of packets) kinds.set(classify(p.data), (kinds.get(classify(p.data)) ?? 0) + 1);
    const background = (kinds.get('malformed') ?? 0) + (kinds.get('not-ipv4') ?? 0) + (kinds.get('other-l4') ?? 0);
    assert.ok(background > 60 && background < 140, `${background} background frames for ~100 expected`);
    assert.ok((kinds.get('malformed') ?? 0) > 20);
    for (const k of MALFORMED_KINDS) assert.equal(classify(extraFrame(k, 3)), 'malformed', k);
    assert.equal(classify(extraFrame('arp', 1)), 'not-ipv4');
    assert.equal(classify(extraFrame('icmp', 1)), 'other-l4');
    assert.ok(checksumsValid(extraFrame('icmp', 1)));
  });

  it('refuses options out of range', () => {
    assert.throws(() => planFlows({ ...OPTS, durationNs: -1n }), RangeError);
    assert.throws(() => planFlows({ ...OPTS, flows: 1.5 }), RangeError);
    assert.throws(() => planFlows({ ...OPTS, meanRatePps: 0 }), RangeError);
  });
});

describe('frames', () => {
  it('builds IPv4/UDP with valid checksums, padded to the Ethernet minimum', () => {
    // IPv4: version/IHL, TOS, total length 38, id 0, DF, TTL 64, UDP.
    const f = buildFrame({ src: ipv4('10.0.0.1'), dst: ipv4('10.0.0.2'), proto: IPPROTO_UDP, sport: 53, dport: 5353, payloadBytes: 10, fill: 0 });
    assert.equal(f.length, 60);
    assert.deepEqual([...f.subarray(14, 24)], [0x45, 0, 0, 38, 0, 0, 0x40, 0, 64, 17]);
    assert.ok(checksumsValid(f));
    f[30] = (f[30] ?? 0) ^ 1; // destination address
    assert.ok(!checksumsValid(f));
  });

  it('formats and parses addresses', () => {
    assert.equal(ipv4('192.168.0.1'), 0xc0a80001);
    assert.equal(formatIpv4(0xc0a80001), '192.168.0.1');
    assert.throws(() => ipv4('1.2.3'), RangeError);
    assert.throws(() => ipv4('1.2.3.256'), RangeError);
  });

  it('draws uniform floats from the seeded generator', () => {
    const r = new Rng(7);
    let sum = 0;
    for (let i = 0; i < 10000; i++) {
      const x = r.next();
      assert.ok(x >= 0 && x < 1);
      sum += x;
    }
    assert.ok(Math.abs(sum / 10000 - 0.5) < 0.02);
  });
});

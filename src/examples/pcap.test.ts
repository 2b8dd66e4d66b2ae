import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readPcap, readPcapHeader, pcapPackets, writePcap, PcapError, LINKTYPE_ETHERNET } from './pcap.ts';
import { generateTraffic, type TimedPacket } from './traffic.ts';
import { isBpfError } from '../util/errors.ts';

/** Builds a capture by hand, byte by byte, in either byte order (independent of writePcap). */
function handMade(bigEndian: boolean, magic: number, records: readonly (readonly [sec: number, frac: number, incl: number, orig: number, data: readonly number[]])[]): Uint8Array {
  const out: number[] = [];
  const u32 = (v: number): void => {
    const b = [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
    out.push(...(bigEndian ? b : b.reverse()));
  };
  const u16 = (v: number): void => {
    const b = [(v >>> 8) & 0xff, v & 0xff];
    out.push(...(bigEndian ? b : b.reverse()));
  };
  u32(magic); u16(2); u16(4); u32(0); u32(0); u32(65535); u32(1);
  for (const [sec, frac, incl, orig, data] of records) {
    u32(sec); u32(frac); u32(incl); u32(orig);
    out.push(...data);
  }
  return Uint8Array.from(out);
}

function expectPcapError(bytes: Uint8Array, offset: number, text: RegExp): void {
  assert.throws(() => readPcap(bytes), (e: unknown) => {
    assert.ok(e instanceof PcapError, `got ${String(e)}`);
    assert.ok(isBpfError(e, 22));
    assert.equal(e.code, 'EINVAL');
    assert.equal(e.offset, offset);
    assert.match(e.message, text);
    return true;
  });
}

describe('pcap reader', () => {
  it('reads big-endian microsecond files', () => {
    const f = readPcap(handMade(true, 0xa1b2c3d4, [[1700000000, 250000, 3, 3, [1, 2, 3]], [1700000001, 999999, 2, 1500, [9, 8]]]));
    assert.deepEqual(f.header, { versionMajor: 2, versionMinor: 4, snaplen: 65535, linktype: LINKTYPE_ETHERNET, nanosecond: false, bigEndian: true });
    assert.equal(f.packets.length, 2);
    assert.equal(f.packets[0]!.timeNs, 1700000000_250000000n);
    assert.deepEqual([...f.packets[0]!.data], [1, 2, 3]);
    assert.equal(f.packets[1]!.timeNs, 1700000001_999999000n);
    assert.equal(f.packets[1]!.origLen, 1500);
  });

  it('reads little-endian nanosecond files', () => {
    const f = readPcap(handMade(false, 0xa1b23c4d, [[5, 123456789, 1, 1, [0xaa]]]));
    assert.equal(f.header.nanosecond, true);
    assert.equal(f.header.bigEndian, false);
    assert.equal(f.packets[0]!.timeNs, 5_123456789n);
  });

  it('reads an empty capture', () => {
    assert.deepEqual(readPcap(handMade(false, 0xa1b2c3d4, [])).packets, []);
  });

  it('round-trips the synthetic stream in every byte order and resolution', () => {
    const packets: TimedPacket[] = [...generateTraffic({ seed: 1, flows: 20, durationNs: 2_000_000_000n, extraPps: 10 })];
    const epoch = 1_700_000_000_000_000_000n;
    const stamped = packets.map((p) => ({ ...p, timeNs: p.timeNs + epoch }));
    for (const bigEndian of [false, true]) {
      for (const nanosecond of [false, true]) {
        const bytes = writePcap(stamped, { bigEndian, nanosecond });
        const back = readPcap(bytes);
        assert.equal(back.header.bigEndian, bigEndian);
        assert.equal(back.header.nanosecond, nanosecond);
        assert.equal(back.packets.length, stamped.length);
        for (let i = 0; i < stamped.length; i++) {
          const want = nanosecond ? stamped[i]!.timeNs : (stamped[i]!.timeNs / 1000n) * 1000n;
          assert.equal(back.packets[i]!.timeNs, want);
          assert.deepEqual(back.packets[i]!.data, stamped[i]!.data);
        }
      }
    }
  });

  it('writes the header libpcap expects', () => {
    const bytes = writePcap([], { bigEndian: true, nanosecond: true, snaplen: 1514 });
    assert.deepEqual([...bytes], [0xa1, 0xb2, 0x3c, 0x4d, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x05, 0xea, 0, 0, 0, 1]);
    assert.throws(() => writePcap([{ timeNs: -1n, data: new Uint8Array(1), origLen: 1 }]), RangeError);
  });

  it('is lazy: pcapPackets yields records before reaching a bad one', () => {
    const bytes = handMade(false, 0xa1b2c3d4, [[1, 0, 1, 1, [7]], [2, 0, 4, 4, [1]]]);
    const it = pcapPackets(bytes);
    assert.deepEqual([...it.next().value!.data], [7]);
    assert.throws(() => it.next(), PcapError);
  });

  it('refuses malformed files with typed errors', () => {
    expectPcapError(new Uint8Array(10), 0, /shorter than the 24-byte header/);
    expectPcapError(handMade(false, 0x12345678, []), 0, /unknown magic 0x12345678/);
    expectPcapError(handMade(false, 0x0a0d0d0a, []), 0, /pcapng/);
    const v1 = handMade(false, 0xa1b2c3d4, []);
    v1[4] = 1;
    expectPcapError(v1, 4, /unsupported version 1\.4/);
    expectPcapError(handMade(false, 0xa1b2c3d4, [[1, 0, 1, 1, [7]]]).slice(0, 24 + 10), 24, /record 0: header truncated/);
    expectPcapError(handMade(true, 0xa1b2c3d4, [[1, 0, 1, 1, [7]], [1, 0, 9, 9, [1, 2]]]), 24 + 17 + 16, /record 1: data truncated \(2 of 9 bytes\)/);
    expectPcapError(handMade(false, 0xa1b2c3d4, [[1, 1_000_000, 1, 1, [7]]]), 28, /microsecond field 1000000 is out of range/);
    expectPcapError(handMade(false, 0xa1b23c4d, [[1, 1_000_000_000, 1, 1, [7]]]), 28, /nanosecond field/);
    expectPcapError(handMade(false, 0xa1b2c3d4, [[1, 0, 3, 2, [1, 2, 3]]]), 32, /captured length 3 exceeds the original length 2/);
    expectPcapError(handMade(false, 0xa1b2c3d4, [[1, 0, 300000, 300000, []]]), 32, /larger than 262144/);
  });

  it('reads only the header with readPcapHeader', () => {
    const h = readPcapHeader(handMade(true, 0xa1b23c4d, []));
    assert.equal(h.nanosecond, true);
    assert.equal(h.linktype, 1);
  });
});

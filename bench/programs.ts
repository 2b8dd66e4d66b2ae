/**
 * Benchmark programs, in the bpf_conformance assembly syntax. Each program's body is identical
 * on tsbpf and on the kernel. Packet programs take `r1 = data` and `r2 = data_end`; a short prologue
 * per side produces them: on the kernel from an XDP context (`xdp_md.data`, `xdp_md.data_end`),
 * on tsbpf from the (memory, length) pair the raw-program runner passes in r1 and r2.
 */

export interface BenchProgram {
  readonly name: string;
  readonly description: string;
  /** The shared body. */
  readonly body: string;
  /** Packet bytes handed to the program, if any. */
  readonly data?: Uint8Array;
  /** Expected r0 (both sides must return it). */
  readonly expected: bigint;
}

/** Kernel prologue for packet programs: XDP context to (data, data_end). */
export const KERNEL_PACKET_PROLOGUE = `
ldxw %r2, [%r1+4]
ldxw %r1, [%r1+0]
`;
/** tsbpf prologue for packet programs: (pointer, length) to (data, data_end). */
export const TSBPF_PACKET_PROLOGUE = `
add %r2, %r1
`;

/** 64-bit ALU loop: 1000 iterations of mixed arithmetic, logic and shifts. */
const ALU_LOOP = `
mov %r0, 0
mov %r1, 1000
mov %r3, 0x1234567
loop:
add %r0, %r1
xor %r0, %r3
mul %r3, 3
lsh %r0, 3
rsh %r3, 1
or %r0, 5
sub %r0, %r3
arsh %r0, 1
sub %r1, 1
jne %r1, 0, loop
and %r0, 0xffff
exit
`;

function aluLoopExpected(): bigint {
  const m = (x: bigint) => BigInt.asUintN(64, x);
  let r0 = 0n;
  let r3 = 0x1234567n;
  for (let r1 = 1000n; r1 !== 0n; r1--) {
    r0 = m(r0 + r1);
    r0 ^= r3;
    r3 = m(r3 * 3n);
    r0 = m(r0 << 3n);
    r3 >>= 1n;
    r0 |= 5n;
    r0 = m(r0 - r3);
    r0 = BigInt.asUintN(64, BigInt.asIntN(64, r0) >> 1n);
  }
  return r0 & 0xffffn;
}

/**
 * Packet parser: Ethernet, optional VLAN, IPv4 (with IHL), UDP or TCP; then a 16-bit one's
 * complement sum over the payload (at most 1500 bytes), so the work grows with the packet.
 * Returns the folded checksum, or 1 (XDP_DROP) for anything it cannot parse.
 */
const PACKET_PARSE = `
mov %r6, %r1
mov %r7, %r2
mov %r0, 1
# Ethernet header
mov %r3, %r6
add %r3, 14
jgt %r3, %r7, out
ldxh %r4, [%r6+12]
be16 %r4
jne %r4, 0x0800, out
# IPv4 header: version 4, IHL >= 5
mov %r3, %r6
add %r3, 34
jgt %r3, %r7, out
ldxb %r4, [%r6+14]
mov %r5, %r4
rsh %r5, 4
jne %r5, 4, out
and %r4, 0xf
jlt %r4, 5, out
lsh %r4, 2
ldxb %r5, [%r6+23]
# r8 = start of L4 header
mov %r8, %r6
add %r8, 14
add %r8, %r4
jeq %r5, 17, udp
jeq %r5, 6, tcp
ja out
udp:
mov %r3, %r8
add %r3, 8
jgt %r3, %r7, out
mov %r9, %r8
add %r9, 8
ja sum
tcp:
mov %r3, %r8
add %r3, 20
jgt %r3, %r7, out
ldxb %r4, [%r8+12]
rsh %r4, 4
lsh %r4, 2
jlt %r4, 20, out
mov %r9, %r8
add %r9, %r4
sum:
# r9 = payload pointer, r0 = running sum, r5 = byte budget
mov %r0, 0
mov %r5, 0
sumloop:
jge %r5, 1500, fold
mov %r3, %r9
add %r3, 1
jgt %r3, %r7, fold
ldxb %r4, [%r9+0]
add %r0, %r4
add %r9, 1
add %r5, 1
ja sumloop
fold:
mov %r3, %r0
rsh %r3, 16
and %r0, 0xffff
add %r0, %r3
mov %r3, %r0
rsh %r3, 16
and %r0, 0xffff
add %r0, %r3
out:
exit
`;

/** An Ethernet/IPv4/UDP packet of `length` bytes with a deterministic payload. */
export function udpPacket(length: number): Uint8Array {
  const p = new Uint8Array(length);
  p.set([0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00], 0); // dst, src, IPv4
  p[14] = 0x45; // version 4, IHL 5
  const ipLen = length - 14;
  p[16] = ipLen >> 8;
  p[17] = ipLen & 0xff;
  p[22] = 64; // TTL
  p[23] = 17; // UDP
  p.set([10, 0, 0, 1, 10, 0, 0, 2], 26);
  p.set([0x30, 0x39, 0x00, 0x35], 34); // ports 12345 -> 53
  const udpLen = length - 34;
  p[38] = udpLen >> 8;
  p[39] = udpLen & 0xff;
  for (let i = 42; i < length; i++) p[i] = (i * 7 + 3) & 0xff;
  return p;
}

function parseExpected(pkt: Uint8Array): bigint {
  let sum = 0;
  for (let i = 42; i < pkt.length && i - 42 < 1500; i++) sum += pkt[i]!;
  sum = (sum & 0xffff) + (sum >>> 16);
  sum = (sum & 0xffff) + (sum >>> 16);
  return BigInt(sum);
}

const PKT_64 = udpPacket(64);
const PKT_1500 = udpPacket(1500);

export const BENCH_PROGRAMS: readonly BenchProgram[] = [
  { name: 'alu', description: '64-bit ALU loop, 1000 iterations', body: ALU_LOOP, expected: aluLoopExpected() },
  { name: 'parse64', description: 'Ethernet/IPv4/UDP parse + payload sum, 64-byte packet', body: PACKET_PARSE, data: PKT_64, expected: parseExpected(PKT_64) },
  { name: 'parse1500', description: 'Ethernet/IPv4/UDP parse + payload sum, 1500-byte packet', body: PACKET_PARSE, data: PKT_1500, expected: parseExpected(PKT_1500) },
];

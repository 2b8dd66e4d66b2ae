/**
 * Builds Ethernet frames carrying IPv4 with TCP, UDP or ICMP, with correct IPv4 and L4 checksums,
 * as the example programs in examples/ parse them. Network byte order is written byte by byte
 * (big-endian), so no DataView endianness is involved. Works in node / browser.
 */

export const ETH_P_IP = 0x0800;
export const ETH_P_ARP = 0x0806;
export const ETH_P_8021Q = 0x8100;
export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;

/** Ethernet frames shorter than this (without FCS) are padded with zeros, as a NIC would. */
export const ETH_MIN_FRAME = 60;

const ETH_HLEN = 14;
const IP_HLEN = 20;

export interface FrameOptions {
  /** IPv4 addresses as unsigned 32-bit numbers in host order (10.0.0.1 = 0x0a000001). */
  readonly src: number;
  readonly dst: number;
  readonly proto: number;
  readonly sport?: number;
  readonly dport?: number;
  /** TCP flags byte (TCP_SYN | TCP_ACK ...); ignored for UDP/ICMP. */
  readonly tcpFlags?: number;
  readonly payloadBytes?: number;
  /** An 802.1Q tag with this VLAN id before the IPv4 ethertype. */
  readonly vlan?: number;
  /** IPv4 identification field (varies the bytes; no semantic role). */
  readonly ipId?: number;
  /** Byte used to fill the payload. */
  readonly fill?: number;
}

/** Parses dotted-quad text into the unsigned 32-bit host-order form used by FrameOptions. */
export function ipv4(text: string): number {
  const parts = text.split('.');
  if (parts.length !== 4) throw new RangeError(`not an IPv4 address: ${text}`);
  let v = 0;
  for (const p of parts) {
    const n = Number(p);
    if (!/^\d{1,3}$/.test(p) || n > 255) throw new RangeError(`not an IPv4 address: ${text}`);
    v = v * 256 + n;
  }
  return v;
}

/** Formats an unsigned 32-bit host-order IPv4 address as dotted-quad text. */
export function formatIpv4(addr: number): string {
  return [addr >>> 24, (addr >>> 16) & 0xff, (addr >>> 8) & 0xff, addr & 0xff].join('.');
}

function put16(b: Uint8Array, off: number, v: number): void {
  b[off] = (v >>> 8) & 0xff;
  b[off + 1] = v & 0xff;
}

function put32(b: Uint8Array, off: number, v: number): void {
  put16(b, off, v >>> 16);
  put16(b, off + 2, v & 0xffff);
}

/** The one's complement sum (RFC 1071) of `len` bytes at `off`, folded to 16 bits, plus `initial`. */
export function onesSum(b: Uint8Array, off: number, len: number, initial = 0): number {
  let sum = initial;
  for (let i = 0; i + 1 < len; i += 2) sum += ((b[off + i] ?? 0) << 8) | (b[off + i + 1] ?? 0);
  if (len & 1) sum += (b[off + len - 1] ?? 0) << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

function pseudoHeaderSum(src: number, dst: number, proto: number, l4Len: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + proto + l4Len;
}

function l4HeaderBytes(proto: number): number {
  if (proto === IPPROTO_TCP) return 20;
  if (proto === IPPROTO_UDP) return 8;
  if (proto === IPPROTO_ICMP) return 8;
  throw new RangeError(`unsupported IPv4 protocol ${proto}`);
}

/** Builds one frame: Ethernet (optional 802.1Q tag) + IPv4 + TCP/UDP/ICMP echo, checksums filled in. */
export function buildFrame(o: FrameOptions): Uint8Array {
  const payload = o.payloadBytes ?? 0;
  const l4Len = l4HeaderBytes(o.proto) + payload;
  const ipLen = IP_HLEN + l4Len;
  const l2 = ETH_HLEN + (o.vlan !== undefined ? 4 : 0);
  const b = new Uint8Array(Math.max(ETH_MIN_FRAME, l2 + ipLen));
  // Locally administered MACs derived from the addresses.
  b[0] = 0x02; put32(b, 2, o.dst);
  b[6] = 0x02; put32(b, 8, o.src);
  if (o.vlan !== undefined) {
    put16(b, 12, ETH_P_8021Q);
    put16(b, 14, o.vlan & 0x0fff);
    put16(b, 16, ETH_P_IP);
  } else {
    put16(b, 12, ETH_P_IP);
  }
  const ip = l2;
  b[ip] = 0x45;
  put16(b, ip + 2, ipLen);
  put16(b, ip + 4, (o.ipId ?? 0) & 0xffff);
  put16(b, ip + 6, 0x4000); // DF
  b[ip + 8] = 64;
  b[ip + 9] = o.proto;
  put32(b, ip + 12, o.src);
  put32(b, ip + 16, o.dst);
  put16(b, ip + 10, ~onesSum(b, ip, IP_HLEN) & 0xffff);

  const l4 = ip + IP_HLEN;
  const body = l4 + l4HeaderBytes(o.proto);
  b.fill(o.fill ?? 0x5a, body, body + payload);
  if (o.proto === IPPROTO_ICMP) {
    b[l4] = 8; // echo request
    put16(b, l4 + 6, (o.ipId ?? 0) & 0xffff);
    put16(b, l4 + 2, ~onesSum(b, l4, l4Len) & 0xffff);
    return b;
  }
  put16(b, l4, o.sport ?? 0);
  put16(b, l4 + 2, o.dport ?? 0);
  if (o.proto === IPPROTO_TCP) {
    put32(b, l4 + 4, 1);
    b[l4 + 12] = 5 << 4;
    b[l4 + 13] = (o.tcpFlags ?? 0) & 0xff;
    put16(b, l4 + 14, 65535);
    put16(b, l4 + 16, ~onesSum(b, l4, l4Len, pseudoHeaderSum(o.src, o.dst, o.proto, l4Len)) & 0xffff);
  } else {
    put16(b, l4 + 4, l4Len);
    const c = ~onesSum(b, l4, l4Len, pseudoHeaderSum(o.src, o.dst, o.proto, l4Len)) & 0xffff;
    put16(b, l4 + 6, c === 0 ? 0xffff : c);
  }
  return b;
}

/** An ARP request frame (who-has `target` tell `sender`): a well-formed frame that is not IPv4. */
export function buildArp(sender: number, target: number): Uint8Array {
  const b = new Uint8Array(ETH_MIN_FRAME);
  b.fill(0xff, 0, 6);
  b[6] = 0x02; put32(b, 8, sender);
  put16(b, 12, ETH_P_ARP);
  put16(b, 14, 1); put16(b, 16, ETH_P_IP); b[18] = 6; b[19] = 4; put16(b, 20, 1);
  b[22] = 0x02; put32(b, 24, sender); put32(b, 28, sender);
  put32(b, 38, target);
  return b;
}

/** True when the frame's IPv4 header checksum and TCP/UDP checksum verify (untagged or one 802.1Q tag). */
export function checksumsValid(frame: Uint8Array): boolean {
  let ip = ETH_HLEN;
  if (((frame[12] ?? 0) << 8 | (frame[13] ?? 0)) === ETH_P_8021Q) ip += 4;
  if (frame.length < ip + IP_HLEN) return false;
  const ipLen = ((frame[ip + 2] ?? 0) << 8) | (frame[ip + 3] ?? 0);
  if (frame.length < ip + ipLen || onesSum(frame, ip, IP_HLEN) !== 0xffff) return false;
  const proto = frame[ip + 9] ?? 0;
  const l4Len = ipLen - IP_HLEN;
  if (proto === IPPROTO_ICMP) return onesSum(frame, ip + IP_HLEN, l4Len) === 0xffff;
  const read32 = (o: number): number => (((frame[o] ?? 0) << 24) | ((frame[o + 1] ?? 0) << 16) | ((frame[o + 2] ?? 0) << 8) | (frame[o + 3] ?? 0)) >>> 0;
  const pseudo = pseudoHeaderSum(read32(ip + 12), read32(ip + 16), proto, l4Len);
  return onesSum(frame, ip + IP_HLEN, l4Len, pseudo) === 0xffff;
}

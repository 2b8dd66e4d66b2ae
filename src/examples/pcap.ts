/**
 * Classic libpcap capture files (not pcapng): reading, in both byte orders and with microsecond
 * or nanosecond timestamps, and writing. Records become the same TimedPacket the synthetic
 * traffic generator yields. Malformed files throw PcapError (EINVAL) with the byte offset.
 * Format: https://www.tcpdump.org/manpages/pcap-savefile.5.html. Works in node / browser.
 */
import { ByteReader, ByteWriter } from '../util/bytes.ts';
import { BpfError } from '../util/errors.ts';
import { lo32 } from '../util/u64.ts';
import { EINVAL } from '../uapi/errno.ts';
import type { TimedPacket } from './traffic.ts';

/** A malformed or unsupported capture file (EINVAL), with the byte offset of the problem. */
export class PcapError extends BpfError {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(EINVAL, `pcap: ${message}`);
    this.name = 'PcapError';
    this.offset = offset;
  }
}

const MAGIC_MICROS = 0xa1b2c3d4;
const MAGIC_NANOS = 0xa1b23c4d;
const PCAPNG_SHB = 0x0a0d0d0a;
const FILE_HEADER_BYTES = 24;
const RECORD_HEADER_BYTES = 16;
/** libpcap refuses records larger than this (MAXIMUM_SNAPLEN). */
export const PCAP_MAX_RECORD_BYTES = 262144;
export const LINKTYPE_ETHERNET = 1;

export interface PcapHeader {
  readonly versionMajor: number;
  readonly versionMinor: number;
  readonly snaplen: number;
  readonly linktype: number;
  readonly nanosecond: boolean;
  readonly bigEndian: boolean;
}

export interface PcapFile {
  readonly header: PcapHeader;
  readonly packets: TimedPacket[];
}

function swap32(v: number): number {
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}

function swap16(v: number): number {
  return ((v & 0xff) << 8) | (v >>> 8);
}

/**
 * Reads the file header.
 * @throws {PcapError} EINVAL for a short file, an unknown magic (pcapng included) or a version other than 2.x.
 */
export function readPcapHeader(bytes: Uint8Array): PcapHeader {
  const r = new ByteReader(bytes, (m, off) => new PcapError(m, off));
  if (bytes.length < FILE_HEADER_BYTES) throw new PcapError(`file of ${bytes.length} byte(s) is shorter than the 24-byte header`, 0);
  const magicLe = r.u32(0);
  let bigEndian: boolean;
  let nanosecond: boolean;
  if (magicLe === MAGIC_MICROS || magicLe === MAGIC_NANOS) {
    bigEndian = false;
    nanosecond = magicLe === MAGIC_NANOS;
  } else if (swap32(magicLe) === MAGIC_MICROS || swap32(magicLe) === MAGIC_NANOS) {
    bigEndian = true;
    nanosecond = swap32(magicLe) === MAGIC_NANOS;
  } else if (magicLe === PCAPNG_SHB) {
    throw new PcapError('pcapng files are not supported (convert with: editcap -F pcap in.pcapng out.pcap)', 0);
  } else {
    throw new PcapError(`unknown magic 0x${magicLe.toString(16).padStart(8, '0')}`, 0);
  }
  const u16 = (off: number): number => (bigEndian ? swap16(r.u16(off)) : r.u16(off));
  const u32 = (off: number): number => (bigEndian ? swap32(r.u32(off)) : r.u32(off));
  const versionMajor = u16(4);
  const versionMinor = u16(6);
  if (versionMajor !== 2) throw new PcapError(`unsupported version ${versionMajor}.${versionMinor}`, 4);
  // The link type's upper bits carry FCS information (LINKTYPE_FCS); the type is the low 16 bits.
  return { versionMajor, versionMinor, snaplen: u32(16), linktype: u32(20) & 0xffff, nanosecond, bigEndian };
}

/**
 * Iterates over the records of a capture, checking each record header.
 * @throws {PcapError} EINVAL for a truncated record, a record larger than 256 KiB, a captured
 * length above the original length, or a sub-second field out of range.
 */
export function* pcapPackets(bytes: Uint8Array): Generator<TimedPacket> {
  const header = readPcapHeader(bytes);
  const r = new ByteReader(bytes, (m, off) => new PcapError(m, off));
  const u32 = (off: number): number => (header.bigEndian ? swap32(r.u32(off)) : r.u32(off));
  const fractionLimit = header.nanosecond ? 1_000_000_000 : 1_000_000;
  const fractionNs = header.nanosecond ? 1n : 1000n;
  let off = FILE_HEADER_BYTES;
  let index = 0;
  while (off < bytes.length) {
    if (off + RECORD_HEADER_BYTES > bytes.length) {
      throw new PcapError(`record ${index}: header truncated (${bytes.length - off} of 16 bytes)`, off);
    }
    const sec = u32(off);
    const frac = u32(off + 4);
    const inclLen = u32(off + 8);
    const origLen = u32(off + 12);
    if (frac >= fractionLimit) {
      throw new PcapError(`record ${index}: ${header.nanosecond ? 'nanosecond' : 'microsecond'} field ${frac} is out of range`, off + 4);
    }
    if (inclLen > PCAP_MAX_RECORD_BYTES) throw new PcapError(`record ${index}: captured length ${inclLen} is larger than ${PCAP_MAX_RECORD_BYTES}`, off + 8);
    if (inclLen > origLen) throw new PcapError(`record ${index}: captured length ${inclLen} exceeds the original length ${origLen}`, off + 8);
    const dataOff = off + RECORD_HEADER_BYTES;
    if (dataOff + inclLen > bytes.length) {
      throw new PcapError(`record ${index}: data truncated (${bytes.length - dataOff} of ${inclLen} bytes)`, dataOff);
    }
    yield { timeNs: BigInt(sec) * 1_000_000_000n + BigInt(frac) * fractionNs, data: bytes.slice(dataOff, dataOff + inclLen), origLen };
    off = dataOff + inclLen;
    index++;
  }
}

/**
 * Reads a whole capture.
 * @throws {PcapError} EINVAL as readPcapHeader and pcapPackets do.
 */
export function readPcap(bytes: Uint8Array): PcapFile {
  return { header: readPcapHeader(bytes), packets: [...pcapPackets(bytes)] };
}

export interface PcapWriteOptions {
  readonly nanosecond?: boolean;
  readonly bigEndian?: boolean;
  readonly snaplen?: number;
  readonly linktype?: number;
}

/**
 * Writes packets as a classic pcap file (timestamps are ns since the Unix epoch; a
 * microsecond file rounds them down).
 * @throws {RangeError} for a negative time or one past 2106 (the u32 seconds field).
 */
export function writePcap(packets: Iterable<TimedPacket>, opts: PcapWriteOptions = {}): Uint8Array {
  const nanos = opts.nanosecond ?? false;
  const be = opts.bigEndian ?? false;
  const w = new ByteWriter();
  const u16 = (v: number): void => void w.u16(be ? swap16(v) : v);
  const u32 = (v: number): void => void w.u32(be ? swap32(v) : v);
  u32(nanos ? MAGIC_NANOS : MAGIC_MICROS);
  u16(2);
  u16(4);
  u32(0); // thiszone
  u32(0); // sigfigs
  u32(opts.snaplen ?? PCAP_MAX_RECORD_BYTES);
  u32(opts.linktype ?? LINKTYPE_ETHERNET);
  for (const p of packets) {
    if (p.timeNs < 0n || p.timeNs >= 0x1_0000_0000n * 1_000_000_000n) throw new RangeError(`packet time ${p.timeNs} ns does not fit a pcap record`);
    const sec = p.timeNs / 1_000_000_000n;
    const ns = p.timeNs % 1_000_000_000n;
    // Both fit 32 bits: sec < 2^32 was checked above and ns < 10^9.
    u32(lo32(sec));
    u32(lo32(nanos ? ns : ns / 1000n));
    u32(p.data.length);
    u32(Math.max(p.origLen, p.data.length));
    w.bytes(p.data);
  }
  return w.finish();
}

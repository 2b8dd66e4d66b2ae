/**
 * The user-space view of the example programs' maps: struct layouts (offsets as clang lays out the
 * C structs in examples/*.bpf.c; layouts.test.ts checks them against the objects' BTF), the stats
 * indices of conntrack, and the setup ctx of healthcheck. For the CLI that drives the examples.
 * Works in node / browser.
 */
import { ByteReader, ByteWriter } from '../util/bytes.ts';
import { BpfError } from '../util/errors.ts';
import { EINVAL } from '../uapi/errno.ts';

/** Field kinds: little-endian integers, and big-endian (network order) ones for addresses and ports. */
export type FieldKind = 'u8' | 'u16' | 'u32' | 'u64' | 'be16' | 'be32';
export type FieldValue<K extends FieldKind> = K extends 'u64' ? bigint : number;
export type Fields = Readonly<Record<string, readonly [offset: number, kind: FieldKind]>>;
export type Decoded<F extends Fields> = { -readonly [N in keyof F]: FieldValue<F[N][1]> };

/** A C struct as user space sees it in a map value or ring buffer record. */
export interface StructLayout<F extends Fields> {
  /** The C struct name (the BTF name). */
  readonly name: string;
  readonly sizeBytes: number;
  readonly fields: F;
  /** Decodes `bytes` (at least sizeBytes long). @throws {BpfError} EINVAL when it is shorter. */
  decode(bytes: Uint8Array): Decoded<F>;
}

export const FIELD_BYTES: Readonly<Record<FieldKind, number>> = { u8: 1, u16: 2, u32: 4, u64: 8, be16: 2, be32: 4 };

function layout<F extends Fields>(name: string, sizeBytes: number, fields: F): StructLayout<F> {
  return {
    name,
    sizeBytes,
    fields,
    decode(bytes: Uint8Array): Decoded<F> {
      if (bytes.length < sizeBytes) throw new BpfError(EINVAL, `struct ${name}: ${bytes.length} byte(s), need ${sizeBytes}`);
      const r = new ByteReader(bytes, (m) => new BpfError(EINVAL, `struct ${name}: ${m}`));
      const out: Record<string, number | bigint> = {};
      for (const [field, [off, kind]] of Object.entries(fields)) {
        switch (kind) {
          case 'u8': out[field] = r.u8(off); break;
          case 'u16': out[field] = r.u16(off); break;
          case 'u32': out[field] = r.u32(off); break;
          case 'u64': out[field] = r.u64(off); break;
          case 'be16': out[field] = (r.u8(off) << 8) | r.u8(off + 1); break;
          case 'be32': out[field] = ((r.u8(off) << 24) | (r.u8(off + 1) << 16) | (r.u8(off + 2) << 8) | r.u8(off + 3)) >>> 0; break;
        }
      }
      return out as Decoded<F>;
    },
  };
}

// ---- conntrack.bpf.c ----

/** Flow states (enum flow_state). */
export const FLOW_NEW = 1;
export const FLOW_ESTABLISHED = 2;
export const FLOW_CLOSING = 3;

export const FLOW_KEY = layout('flow_key', 16, {
  addrLo: [0, 'be32'], addrHi: [4, 'be32'], portLo: [8, 'be16'], portHi: [10, 'be16'], proto: [12, 'u8'],
} as const);

export const FLOW = layout('flow', 56, {
  firstSeenNs: [16, 'u64'], lastSeenNs: [24, 'u64'], packets: [32, 'u64'], bytes: [40, 'u64'],
  state: [48, 'u32'], origDir: [52, 'u8'], tcpFlags: [53, 'u8'],
} as const);

/** The conntrack `stats` array, index by index (the C enum STAT_*). */
export const CONNTRACK_STATS = [
  'packets', 'bytes', 'newFlows', 'expired', 'expiredClosed', 'pass', 'dropMalformed', 'dropInvalid',
  'dropBudget', 'untracked', 'timerErrors', 'live', 'evicted', 'initErrno',
] as const;
export type ConntrackStat = (typeof CONNTRACK_STATS)[number];

/** Index of a stat in the `stats` array map. */
export function conntrackStatIndex(stat: ConntrackStat): number {
  return CONNTRACK_STATS.indexOf(stat);
}

// ---- healthcheck.bpf.c ----

export const MAX_BACKENDS = 8;
export const BACKEND_UNUSED = 0;
export const BACKEND_DOWN = 1;
export const BACKEND_UP = 2;
export const HEARTBEAT_PORT = 7777;

export const BACKEND = layout('backend', 48, {
  addr: [0, 'be32'], state: [4, 'u32'], lastHeartbeatNs: [8, 'u64'], lastChangeNs: [16, 'u64'],
  heartbeats: [24, 'u64'], picks: [32, 'u64'], flips: [40, 'u64'],
} as const);

export const HEALTH = layout('health', 80, {
  probes: [16, 'u64'], lastProbeNs: [24, 'u64'], flipsUp: [32, 'u64'], flipsDown: [40, 'u64'],
  noBackend: [48, 'u64'], balanced: [56, 'u64'], strayHeartbeats: [64, 'u64'], healthy: [72, 'u32'],
  configured: [76, 'u32'],
} as const);

/** struct health_config: the ctx of the health_setup syscall program. */
export const HEALTH_CONFIG_BYTES = 4 + 4 * MAX_BACKENDS;

/**
 * Encodes the ctx of health_setup. Addresses are unsigned 32-bit host-order numbers (frame.ts ipv4()).
 * @throws {RangeError} for more than MAX_BACKENDS addresses.
 */
export function encodeHealthConfig(addrs: readonly number[]): Uint8Array {
  if (addrs.length > MAX_BACKENDS) throw new RangeError(`at most ${MAX_BACKENDS} backends, got ${addrs.length}`);
  const w = new ByteWriter().u32(addrs.length);
  for (let i = 0; i < MAX_BACKENDS; i++) {
    const a = addrs[i] ?? 0;
    w.u8(a >>> 24).u8((a >>> 16) & 0xff).u8((a >>> 8) & 0xff).u8(a & 0xff); // network order
  }
  return w.finish();
}

// ---- sampler.bpf.c ----

export const COUNTERS = layout('counters', 16, { packets: [0, 'u64'], bytes: [8, 'u64'] } as const);

export const SAMPLER = layout('sampler', 128, {
  nextNs: [16, 'u64'], lastNs: [24, 'u64'], lastPackets: [32, 'u64'], lastBytes: [40, 'u64'], seq: [48, 'u64'],
  written: [56, 'u64'], dropped: [64, 'u64'], skippedTicks: [72, 'u64'],
} as const);

/** Offset of `struct sample last` (decode with SAMPLE) in the sampler value. */
export const SAMPLER_LAST_SAMPLE_OFFSET = 80;

/** One ring buffer record. */
export const SAMPLE = layout('sample', 48, {
  seq: [0, 'u64'], timestampNs: [8, 'u64'], deltaNs: [16, 'u64'], packets: [24, 'u64'],
  packetsPerSec: [32, 'u64'], bytesPerSec: [40, 'u64'],
} as const);

/**
 * BPF_MAP_TYPE_RINGBUF (kernel/bpf/ringbuf.c semantics): reserve / submit / discard / output /
 * query from BPF, and a user-space consumer that drains records in order.
 *
 * Storage: one region:
 *   +0  u64 consumer_pos   +8 u64 producer_pos   +16 u64 pending_pos (oldest record maybe busy)
 *   +64 data: 2 * size bytes
 * A record at position p lives at data + (p & mask), where mask = size - 1. The kernel maps the
 * data pages twice so a record that crosses the end stays contiguous; here the data area is
 * twice as large instead, and producer and consumer both address a record at (p & mask), so no
 * copy between the halves is ever needed.
 * Each record starts with the 8-byte header of struct bpf_ringbuf_hdr: u32 len (bit 31 BUSY
 * while reserved, bit 30 DISCARD once discarded), u32 pg_off (here: the header's page number
 * inside the region; consumers ignore it). Records take round_up(len + 8, 8) bytes.
 * Works in node / browser.
 */
import { EAGAIN, EINVAL, ENOTSUPP } from '../uapi/errno.ts';
import {
  BPF_RB_AVAIL_DATA, BPF_RB_CONS_POS, BPF_RB_FORCE_WAKEUP, BPF_RB_NO_WAKEUP, BPF_RB_PROD_POS, BPF_RB_RING_SIZE,
} from '../uapi/bpf.ts';
import type { AddressSpace, Region } from '../vm/memory.ts';
import type { MapAttrs } from './map.ts';
import { BpfMap, offToPtr, ptrToOff, roundUp8 } from './map.ts';

export const BPF_RINGBUF_BUSY_BIT = 0x8000_0000;
export const BPF_RINGBUF_DISCARD_BIT = 0x4000_0000;
export const BPF_RINGBUF_HDR_SZ = 8;
/** The largest record a reservation may ask for (RINGBUF_MAX_RECORD_SZ). */
export const RINGBUF_MAX_RECORD_SZ = 0x3fff_ffff;
const DATA_OFF = 64;

/** A ring buffer map. */
export class RingBufMap extends BpfMap {
  readonly region: Region;
  readonly mask: number;
  /** Wakeups the kernel would have sent to a waiting consumer (for tests and the runtime). */
  wakeups = 0;

  constructor(space: AddressSpace, attrs: MapAttrs) {
    super(space, attrs);
    this.mask = this.maxEntries - 1;
    this.region = space.alloc(DATA_OFF + 2 * this.maxEntries, { kind: 'ringbuf', name: this.name, align: 8 });
  }

  private pos(at: number): number {
    return Number(this.space.dataView().getBigUint64(this.region.offset + at, true));
  }
  private setPos(at: number, v: number): void {
    this.space.dataView().setBigUint64(this.region.offset + at, BigInt(v), true);
  }
  get consumerPos(): number {
    return this.pos(0);
  }
  get producerPos(): number {
    return this.pos(8);
  }
  private recOff(p: number): number {
    return this.region.offset + DATA_OFF + (p & this.mask);
  }

  /** bpf_ringbuf_reserve: the sample pointer, or 0n (no space, bad size, non-zero flags). */
  reserve(size: bigint, flags: bigint): bigint {
    if (flags !== 0n || size > BigInt(RINGBUF_MAX_RECORD_SZ)) return 0n;
    const len = roundUp8(Number(size) + BPF_RINGBUF_HDR_SZ);
    if (len > this.maxEntries) return 0n;
    const dv = this.space.dataView();
    const cons = this.consumerPos;
    const prod = this.producerPos;
    // Advance the pending position past records already committed; the oldest busy one bounds the producer.
    let pend = this.pos(16);
    while (pend < prod) {
      const h = dv.getUint32(this.recOff(pend), true);
      if ((h & BPF_RINGBUF_BUSY_BIT) !== 0) break;
      pend += roundUp8((h & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT)) + BPF_RINGBUF_HDR_SZ);
    }
    this.setPos(16, pend);
    const next = prod + len;
    if (next - cons > this.mask || next - pend > this.mask) return 0n;
    const hdr = this.recOff(prod);
    dv.setUint32(hdr, (Number(size) | BPF_RINGBUF_BUSY_BIT) >>> 0, true);
    dv.setUint32(hdr + 4, (hdr - this.region.offset) >>> 12, true);
    this.setPos(8, next);
    return offToPtr(hdr + BPF_RINGBUF_HDR_SZ);
  }

  /** bpf_ringbuf_submit / bpf_ringbuf_discard (flags: BPF_RB_NO_WAKEUP, BPF_RB_FORCE_WAKEUP; others ignored). */
  commit(samplePtr: bigint, flags: bigint, discard: boolean): void {
    const dv = this.space.dataView();
    const hdr = ptrToOff(samplePtr) - BPF_RINGBUF_HDR_SZ;
    let len = (dv.getUint32(hdr, true) ^ BPF_RINGBUF_BUSY_BIT) >>> 0;
    if (discard) len = (len | BPF_RINGBUF_DISCARD_BIT) >>> 0;
    dv.setUint32(hdr, len, true);
    const recPos = hdr - this.region.offset - DATA_OFF;
    if ((flags & BigInt(BPF_RB_FORCE_WAKEUP)) !== 0n) this.wakeups++;
    else if ((this.consumerPos & this.mask) === recPos && (flags & BigInt(BPF_RB_NO_WAKEUP)) === 0n) this.wakeups++;
  }

  /** bpf_ringbuf_output: 0, -EINVAL (unknown flags), -EAGAIN (no space). */
  output(dataPtr: bigint, size: bigint, flags: bigint): number {
    if ((flags & ~BigInt(BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP)) !== 0n) return -EINVAL;
    const rec = this.reserve(size, 0n);
    if (rec === 0n) return -EAGAIN;
    const src = ptrToOff(dataPtr);
    this.space.u8().copyWithin(ptrToOff(rec), src, src + Number(size));
    this.commit(rec, flags, false);
    return 0;
  }

  /** bpf_ringbuf_query. Unknown flags give 0. */
  query(flags: bigint): bigint {
    switch (flags) {
      case BigInt(BPF_RB_AVAIL_DATA): return BigInt(this.producerPos - this.consumerPos);
      case BigInt(BPF_RB_RING_SIZE): return BigInt(this.maxEntries);
      case BigInt(BPF_RB_CONS_POS): return BigInt(this.consumerPos);
      case BigInt(BPF_RB_PROD_POS): return BigInt(this.producerPos);
      default: return 0n;
    }
  }

  /**
   * The user-space consumer (libbpf's ring_buffer__consume): returns the submitted samples in
   * order, skipping discarded ones, and stops at the first record still reserved.
   */
  consume(): Uint8Array[] {
    const out: Uint8Array[] = [];
    const dv = this.space.dataView();
    let cons = this.consumerPos;
    const prod = this.producerPos;
    while (cons < prod) {
      const hdr = this.recOff(cons);
      const h = dv.getUint32(hdr, true);
      if ((h & BPF_RINGBUF_BUSY_BIT) !== 0) break;
      const len = h & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
      if ((h & BPF_RINGBUF_DISCARD_BIT) === 0) {
        out.push(this.space.u8().slice(hdr + BPF_RINGBUF_HDR_SZ, hdr + BPF_RINGBUF_HDR_SZ + len));
      }
      cons += roundUp8(len + BPF_RINGBUF_HDR_SZ);
    }
    this.setPos(0, cons);
    return out;
  }

  // User-space element operations are not supported by ring buffers.
  protected sysLookup(): number {
    return -ENOTSUPP;
  }
  protected sysUpdate(): number {
    return -ENOTSUPP;
  }
  protected sysDelete(): number {
    return -ENOTSUPP;
  }
  protected sysGetNextKey(): number {
    return -ENOTSUPP;
  }

  protected freeStorage(): void {
    this.space.free(this.region);
  }
}

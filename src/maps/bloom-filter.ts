/**
 * BPF_MAP_TYPE_BLOOM_FILTER (kernel/bpf/bloom_filter.c semantics, v6.18): a keyless bit set.
 * map_extra's low 4 bits are the number of hash functions (0 means 5); the set has
 * roundup_pow_of_two(max_entries * hashes / 5 * 7) bits, at least 64, or 2^32 when that product
 * overflows; bit i of value v is jhash2 (value size a multiple of 4) or jhash of v with seed
 * `seed + i`, masked. The seed is 0 with BPF_F_ZERO_SEED, else `attrs.seed` (the runtime's
 * seedable choice; the kernel draws a random one), so false positives match the kernel's exactly
 * only with BPF_F_ZERO_SEED.
 *
 * BPF programs push (flags must be BPF_ANY) and peek (0 when every bit of the value is set, else
 * -ENOENT); pop and delete are -EOPNOTSUPP. From user space an update pushes and a lookup peeks
 * the value passed in ({@link BloomFilterMap.contains}); delete and get_next_key are -EOPNOTSUPP.
 * Works in node / browser.
 */
import { EINVAL, ENOENT, EOPNOTSUPP, EPERM } from '../uapi/errno.ts';
import { BPF_F_LOCK, BPF_F_ZERO_SEED } from '../uapi/bpf.ts';
import type { AddressSpace, Region } from '../vm/memory.ts';
import { htabHash } from './jhash.ts';
import type { MapAttrs } from './map.ts';
import { BpfMap, ptrToOff } from './map.ts';

/** Hash seed when neither BPF_F_ZERO_SEED nor `attrs.seed` is given. */
const DEFAULT_BLOOM_SEED = 0x5eed_b100;
const U32_MAX = 0xffff_ffff;

/** The number of hash functions map_extra asks for (bloom_map_alloc). */
export function bloomHashCount(mapExtra: bigint): number {
  const n = Number(mapExtra & 0xfn);
  return n === 0 ? 5 : n;
}

/** The bit mask of the bit set (its size in bits minus one), as bloom_map_alloc sizes it. */
export function bloomBitsetMask(maxEntries: number, nHashes: number): number {
  let nrBits = maxEntries * nHashes;
  if (nrBits > U32_MAX) return U32_MAX;
  nrBits = Math.floor(nrBits / 5) * 7;
  if (nrBits > U32_MAX || nrBits > 2 ** 31) return U32_MAX;
  if (nrBits <= 64) return 63;
  return 2 ** Math.ceil(Math.log2(nrBits)) - 1;
}

/** A bloom filter map. */
export class BloomFilterMap extends BpfMap {
  readonly nHashes: number;
  /** Bit-set size minus one (a power of two minus one). */
  readonly bitsetMask: number;
  readonly seed: number;
  readonly bits: Region;

  constructor(space: AddressSpace, attrs: MapAttrs) {
    super(space, attrs);
    this.nHashes = bloomHashCount(attrs.mapExtra ?? 0n);
    this.bitsetMask = bloomBitsetMask(this.maxEntries, this.nHashes);
    this.seed = (this.flags & BPF_F_ZERO_SEED) !== 0 ? 0 : (attrs.seed ?? DEFAULT_BLOOM_SEED) >>> 0;
    const bytes = Math.ceil((this.bitsetMask + 1) / 64) * 8;
    this.bits = space.alloc(bytes, { kind: 'map', name: this.name, writable: false });
  }

  #bit(valueOff: number, i: number): number {
    return htabHash(this.space.u8(), valueOff, this.valueSize, (this.seed + i) >>> 0) & this.bitsetMask;
  }

  #push(valueOff: number, flags: bigint): number {
    if (flags !== 0n) return -EINVAL;
    const u8 = this.space.u8();
    for (let i = 0; i < this.nHashes; i++) {
      const b = this.#bit(valueOff, i) >>> 0;
      u8[this.bits.offset + Math.floor(b / 8)]! |= 1 << (b % 8);
    }
    return 0;
  }

  #peek(valueOff: number): number {
    const u8 = this.space.u8();
    for (let i = 0; i < this.nHashes; i++) {
      const b = this.#bit(valueOff, i) >>> 0;
      if ((u8[this.bits.offset + Math.floor(b / 8)]! & (1 << (b % 8))) === 0) return -ENOENT;
    }
    return 0;
  }

  override pushElem(valuePtr: bigint, flags: bigint): number {
    return this.#push(ptrToOff(valuePtr), flags);
  }
  override peekElem(valuePtr: bigint): number {
    return this.#peek(ptrToOff(valuePtr));
  }
  override popElem(): number {
    return -EOPNOTSUPP;
  }
  override deleteElem(): number {
    return -EOPNOTSUPP;
  }

  /**
   * BPF_MAP_LOOKUP_ELEM with `value` as the value buffer (the kernel reads it for bloom filters):
   * 0 when the filter may hold it, -ENOENT when it certainly does not, -EPERM / -EINVAL as the
   * kernel. @throws {BpfError} EINVAL for a value of the wrong size.
   */
  contains(value: Uint8Array, flags = 0): number {
    if ((flags & ~BPF_F_LOCK) !== 0) return -EINVAL;
    if (!this.canRead()) return -EPERM;
    if ((flags & BPF_F_LOCK) !== 0) return -EINVAL;
    this.checkValue(value);
    this.stageValue(value);
    return this.#peek(this.scratchValueOff);
  }

  /** A lookup without a value buffer peeks an all-zero value (what a zeroed buffer holds). */
  protected sysLookup(): Uint8Array | number {
    const v = new Uint8Array(this.valueSize);
    const r = this.contains(v);
    return r < 0 ? r : v;
  }
  protected sysUpdate(flags: number): number {
    return this.#push(this.scratchValueOff, BigInt(flags));
  }
  protected sysDelete(): number {
    return -EOPNOTSUPP;
  }
  protected sysGetNextKey(): number {
    return -EOPNOTSUPP;
  }

  protected freeStorage(): void {
    this.space.free(this.bits);
  }
}

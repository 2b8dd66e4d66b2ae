/**
 * The one address space: a single `WebAssembly.Memory` holding every byte a BPF program can point
 * at (stacks, contexts, packets, map storage, ring buffers), carved into named regions.
 *
 * A BPF pointer is `ADDR_BASE + offset` as a u64; NULL is 0. The linear memory layout:
 *
 *   offset 0          65536                                   top        buffer end   max
 *   +-----------------+--------+-------+--------+------------+-----------+-----------+
 *   | guard page      | region | free  | region |   ...      | unused    | (growable)|
 *   | (never mapped)  |        | block |        |            |           |           |
 *   +-----------------+--------+-------+--------+------------+-----------+-----------+
 *
 * Every checked access is validated against the live regions, not against the size of the wasm
 * memory: bytes between regions, freed blocks and guard bytes all fault. Works in node / browser.
 */
import { BpfError, InternalError, RunError } from '../util/errors.ts';
import { EACCES, ENOMEM, EINVAL } from '../uapi/errno.ts';
import { hex64 } from '../util/u64.ts';

/**
 * Base of BPF pointers: pointer = ADDR_BASE + offset. 2^32 so that the JIT recovers the offset
 * with a bare `i32.wrap_i64`, and so that no small integer (NULL, a scalar) is ever a valid address.
 */
export const ADDR_BASE = 0x1_0000_0000n;
/** One past the last pointer value the address space can hold (wasm32 memories are < 4 GiB). */
export const ADDR_LIMIT = ADDR_BASE + 0x1_0000_0000n;
/** Size of a wasm page; the first one is never allocated. */
export const WASM_PAGE_BYTES = 65536;
/** Default upper bound of the address space. */
export const DEFAULT_MAX_BYTES = 1 << 30;

/** What a region holds; used in fault messages and statistics only. */
export type RegionKind = 'stack' | 'ctx' | 'packet' | 'map' | 'ringbuf' | 'scratch';

/** Options of {@link AddressSpace.alloc}. */
export interface AllocOptions {
  readonly kind: RegionKind;
  readonly name: string;
  /** Power of two, at least 1; default 8. */
  readonly align?: number;
  /** Whether BPF code may store into it; default true. */
  readonly writable?: boolean;
  /**
   * Bytes left unmapped on each side of the region, so that overruns fault instead of landing in
   * a neighbour (program stacks use this). Default 0.
   */
  readonly guardBytes?: number;
}

/** Options of the {@link AddressSpace} constructor. */
export interface AddressSpaceOptions {
  /** Upper bound of the linear memory, bytes (rounded up to whole pages); default 1 GiB. */
  readonly maxBytes?: number;
  /** Initial size, bytes; default two pages (the guard page and one usable page). */
  readonly initialBytes?: number;
}

/** The subset of `WebAssembly.Memory` used here (the tsconfig has no WebAssembly lib types). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(deltaPages: number): number;
}
type WasmMemoryCtor = new (descriptor: { initial: number; maximum?: number }) => WasmMemory;

/** Kind of memory access, for fault messages. */
export type AccessKind = 'read' | 'write';

/**
 * Run-time field access of a context region: the part of the kernel's convert_ctx_accesses that
 * tsbpf does when the access happens instead of rewriting the instruction. `off` is relative to
 * the region start. Consulted by {@link AddressSpace.load} and {@link AddressSpace.store} only
 * (helpers copying buffers see the plain bytes).
 */
export interface RegionFields {
  /** The value of a load (for example a 64-bit packet pointer for `xdp_md.data`), or undefined to read the plain bytes. */
  load(off: number, size: number): bigint | undefined;
  /**
   * Handle a store: true when it was done (the hook wrote what the kernel would), false to refuse
   * it as a fault. Without this method stores write the plain bytes.
   */
  store?(off: number, size: number, value: bigint): boolean;
}

/** A live allocation in the address space. */
export class Region {
  readonly space: AddressSpace;
  /** Byte offset of the region in the linear memory. */
  readonly offset: number;
  readonly sizeBytes: number;
  /** One past the last byte, as an offset. */
  readonly end: number;
  /** BPF pointer to the first byte (ADDR_BASE + offset). */
  readonly ptr: bigint;
  readonly kind: RegionKind;
  readonly name: string;
  readonly writable: boolean;
  /** Bytes left unmapped on each side (AllocOptions.guardBytes). */
  readonly guardBytes: number;
  /** The reserved block (region plus guards and alignment padding) given back on free. */
  readonly blockOffset: number;
  readonly blockBytes: number;
  /** False once freed. */
  live = true;
  /** Context field hooks (see {@link RegionFields}); set by the runtime on context regions. */
  fields: RegionFields | undefined;

  constructor(space: AddressSpace, offset: number, sizeBytes: number, opts: AllocOptions, blockOffset: number, blockBytes: number) {
    this.space = space;
    this.offset = offset;
    this.sizeBytes = sizeBytes;
    this.end = offset + sizeBytes;
    this.ptr = ADDR_BASE + BigInt(offset);
    this.kind = opts.kind;
    this.name = opts.name;
    this.writable = opts.writable ?? true;
    this.guardBytes = opts.guardBytes ?? 0;
    this.blockOffset = blockOffset;
    this.blockBytes = blockBytes;
  }


  /** A view of the region's bytes. Valid until the memory grows: call again after any allocation. */
  bytes(): Uint8Array {
    if (!this.live) throw new InternalError(`region ${this.name} used after free`);
    return this.space.u8().subarray(this.offset, this.end);
  }

  /** A DataView of the region (same validity rule as {@link bytes}). */
  view(): DataView {
    const b = this.bytes();
    return new DataView(b.buffer, b.byteOffset, b.byteLength);
  }
}

interface FreeBlock {
  offset: number;
  sizeBytes: number;
}

function alignUp(x: number, align: number): number {
  return Math.ceil(x / align) * align;
}

/**
 * The address space. Allocation is first-fit over an offset-sorted free list with coalescing,
 * falling back to a bump pointer that grows the memory. Lookups binary-search an offset-sorted
 * table of live regions behind a last-hit cache.
 */
export class AddressSpace {
  readonly memory: WasmMemory;
  readonly maxBytes: number;
  private u8cache: Uint8Array;
  private dv: DataView;
  /** Live regions sorted by offset. */
  private readonly regions: Region[] = [];
  /** Free blocks below `top`, sorted by offset, never adjacent (coalesced). */
  private readonly freeList: FreeBlock[] = [];
  /** First byte never handed out. */
  private top = WASM_PAGE_BYTES;
  private lastHit: Region | undefined;

  /** @throws {BpfError} EINVAL for sizes that are not whole numbers or exceed 4 GiB. */
  constructor(options: AddressSpaceOptions = {}) {
    const maxBytes = alignUp(options.maxBytes ?? DEFAULT_MAX_BYTES, WASM_PAGE_BYTES);
    const initialBytes = alignUp(options.initialBytes ?? 2 * WASM_PAGE_BYTES, WASM_PAGE_BYTES);
    if (!Number.isInteger(maxBytes) || maxBytes < 2 * WASM_PAGE_BYTES || maxBytes > 0xffff_0000) {
      throw new BpfError(EINVAL, `address space maximum ${options.maxBytes} must be 128 KiB .. 4 GiB - 64 KiB`);
    }
    if (!Number.isInteger(initialBytes) || initialBytes < WASM_PAGE_BYTES || initialBytes > maxBytes) {
      throw new BpfError(EINVAL, `address space initial size ${options.initialBytes} must be 64 KiB .. maximum`);
    }
    const Memory = (globalThis as unknown as { WebAssembly: { Memory: WasmMemoryCtor } }).WebAssembly.Memory;
    this.memory = new Memory({ initial: initialBytes / WASM_PAGE_BYTES, maximum: maxBytes / WASM_PAGE_BYTES });
    this.maxBytes = maxBytes;
    this.u8cache = new Uint8Array(this.memory.buffer);
    this.dv = new DataView(this.memory.buffer);
  }

  /**
   * The whole linear memory as bytes, always over the current buffer (growth detaches old
   * ArrayBuffers; a detached Uint8Array has length 0, which is how a stale cache is noticed).
   */
  u8(): Uint8Array {
    if (this.u8cache.byteLength === 0) this.refresh();
    return this.u8cache;
  }

  /** A DataView over the whole linear memory (same freshness rule as {@link u8}). */
  dataView(): DataView {
    if (this.u8cache.byteLength === 0) this.refresh();
    return this.dv;
  }

  private refresh(): void {
    this.u8cache = new Uint8Array(this.memory.buffer);
    this.dv = new DataView(this.memory.buffer);
  }

  /** Number of live regions. */
  get regionCount(): number {
    return this.regions.length;
  }

  /** Bytes currently reserved by live regions (guards and padding included). */
  get usedBytes(): number {
    let n = 0;
    for (const r of this.regions) n += r.blockBytes;
    return n;
  }

  /**
   * Allocate a zero-filled region. A zero-sized region still reserves 8 bytes, so its pointer is
   * unique. May grow the memory: views taken earlier must be re-fetched.
   * @throws {BpfError} ENOMEM when the maximum size would be exceeded; EINVAL for a bad size or
   * alignment.
   */
  alloc(sizeBytes: number, opts: AllocOptions): Region {
    const r = this.tryAlloc(sizeBytes, opts);
    if (r === undefined) {
      throw new BpfError(ENOMEM, `cannot allocate ${sizeBytes} bytes for ${opts.kind} '${opts.name}': address space limit of ${this.maxBytes} bytes reached`);
    }
    return r;
  }

  /**
   * Like {@link alloc} but returns undefined when memory is exhausted (for hot paths that report
   * `-ENOMEM` themselves). @throws {BpfError} EINVAL for a bad size or alignment.
   */
  tryAlloc(sizeBytes: number, opts: AllocOptions): Region | undefined {
    const align = opts.align ?? 8;
    const guard = opts.guardBytes ?? 0;
    if (!Number.isInteger(sizeBytes) || sizeBytes < 0 || sizeBytes > this.maxBytes) {
      throw new BpfError(EINVAL, `invalid region size ${sizeBytes} for ${opts.kind} '${opts.name}'`);
    }
    if (!Number.isInteger(align) || align < 1 || align > WASM_PAGE_BYTES || (align & (align - 1)) !== 0) {
      throw new BpfError(EINVAL, `invalid alignment ${align} for ${opts.kind} '${opts.name}'`);
    }
    if (!Number.isInteger(guard) || guard < 0 || guard > this.maxBytes) {
      throw new BpfError(EINVAL, `invalid guard size ${guard} for ${opts.kind} '${opts.name}'`);
    }
    // Blocks are kept in multiples of 8 so free space never fragments below the default alignment.
    const payload = alignUp(Math.max(sizeBytes, 1), 8);
    for (let i = 0; i < this.freeList.length; i++) {
      const fb = this.freeList[i]!;
      const blockStart = fb.offset;
      const start = alignUp(blockStart + guard, align);
      const blockEnd = alignUp(start + payload + guard, 8);
      const freeEnd = fb.offset + fb.sizeBytes;
      if (blockEnd > freeEnd) continue;
      // Take [blockStart, blockEnd) and keep the tail free; the alignment padding before `start`
      // belongs to the block, so alignment never strands small free fragments.
      if (blockEnd === freeEnd) this.freeList.splice(i, 1);
      else {
        fb.offset = blockEnd;
        fb.sizeBytes = freeEnd - blockEnd;
      }
      return this.insert(new Region(this, start, sizeBytes, opts, blockStart, blockEnd - blockStart));
    }
    return this.bump(sizeBytes, payload, guard, align, opts);
  }

  private bump(sizeBytes: number, payload: number, guard: number, align: number, opts: AllocOptions): Region | undefined {
    const blockStart = this.top;
    const start = alignUp(blockStart + guard, align);
    const blockEnd = alignUp(start + payload + guard, 8);
    if (blockEnd > this.maxBytes) return undefined;
    const have = this.memory.buffer.byteLength;
    if (blockEnd > have) {
      // Grow geometrically (at least doubling) to keep the number of detaching grows small.
      const want = Math.min(this.maxBytes, Math.max(alignUp(blockEnd, WASM_PAGE_BYTES), have * 2));
      try {
        this.memory.grow((want - have) / WASM_PAGE_BYTES);
      } catch (e) {
        // The host could not commit the memory: the same outcome as reaching the limit.
        if (e instanceof RangeError) return undefined;
        throw e;
      }
      this.refresh();
    }
    this.top = blockEnd;
    return this.insert(new Region(this, start, sizeBytes, opts, blockStart, blockEnd - blockStart));
  }

  private insert(region: Region): Region {
    this.u8().fill(0, region.offset, region.end);
    let lo = 0;
    let hi = this.regions.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.regions[mid]!.offset < region.offset) lo = mid + 1;
      else hi = mid;
    }
    this.regions.splice(lo, 0, region);
    return region;
  }

  /**
   * Release a region; its bytes fault from now on and its space is reused.
   * @throws {InternalError} for a double free or a region of another address space (our bug).
   */
  free(region: Region): void {
    if (region.space !== this || !region.live) {
      throw new InternalError(`free of ${region.live ? 'foreign' : 'already freed'} region ${region.kind} '${region.name}'`);
    }
    const i = this.indexOfRegion(region);
    if (i < 0) throw new InternalError(`region ${region.name} missing from the region table`);
    this.regions.splice(i, 1);
    region.live = false;
    if (this.lastHit === region) this.lastHit = undefined;
    this.release(region.blockOffset, region.blockBytes);
  }

  /**
   * Replace `region` by a fresh zero-filled region of `sizeBytes` at the same address in the same
   * reserved block, with the same kind, name, access and guards (no field hooks): for a buffer reused from run to
   * run, cheaper than free + alloc. The old Region object is dead from now on, exactly as if it had
   * been freed (so caches holding it notice); bytes of the block beyond the new end fault.
   * Returns undefined, leaving `region` alone, when `sizeBytes` does not fit the block.
   * @throws {InternalError} for a dead or foreign region; {BpfError} EINVAL for a bad size.
   */
  reshape(region: Region, sizeBytes: number): Region | undefined {
    if (region.space !== this || !region.live) throw new InternalError(`reshape of ${region.live ? 'foreign' : 'freed'} region ${region.kind} '${region.name}'`);
    if (!Number.isInteger(sizeBytes) || sizeBytes < 0) throw new BpfError(EINVAL, `invalid region size ${sizeBytes} for ${region.kind} '${region.name}'`);
    if (region.offset + alignUp(Math.max(sizeBytes, 1), 8) + region.guardBytes > region.blockOffset + region.blockBytes) return undefined;
    const i = this.indexOfRegion(region);
    if (i < 0) throw new InternalError(`region ${region.name} missing from the region table`);
    const opts: AllocOptions = { kind: region.kind, name: region.name, writable: region.writable, guardBytes: region.guardBytes };
    const next = new Region(this, region.offset, sizeBytes, opts, region.blockOffset, region.blockBytes);
    region.live = false;
    if (this.lastHit === region) this.lastHit = undefined;
    this.regions[i] = next;
    this.u8().fill(0, next.offset, next.end);
    return next;
  }

  /** Return a block to the free list, coalescing with neighbours and lowering `top` when possible. */
  private release(offset: number, sizeBytes: number): void {
    const fl = this.freeList;
    let lo = 0;
    let hi = fl.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (fl[mid]!.offset < offset) lo = mid + 1;
      else hi = mid;
    }
    let block: FreeBlock = { offset, sizeBytes };
    const prev = lo > 0 ? fl[lo - 1] : undefined;
    if (prev !== undefined && prev.offset + prev.sizeBytes === offset) {
      prev.sizeBytes += sizeBytes;
      block = prev;
      lo -= 1;
    } else {
      fl.splice(lo, 0, block);
    }
    const next = fl[lo + 1];
    if (next !== undefined && block.offset + block.sizeBytes === next.offset) {
      block.sizeBytes += next.sizeBytes;
      fl.splice(lo + 1, 1);
    }
    if (block.offset + block.sizeBytes === this.top) {
      this.top = block.offset;
      fl.splice(lo, 1);
    }
  }

  private indexOfRegion(region: Region): number {
    const i = this.lastRegionAtOrBelow(region.offset);
    return i >= 0 && this.regions[i] === region ? i : -1;
  }

  /** Index of the last region whose offset is <= `offset`, or -1. */
  private lastRegionAtOrBelow(offset: number): number {
    const rs = this.regions;
    let lo = 0;
    let hi = rs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (rs[mid]!.offset <= offset) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  /**
   * The live region containing all of [ptr, ptr + size), or undefined. A size of 0 asks for the
   * region containing `ptr` (its end counts as inside).
   */
  find(ptr: bigint, size: number): Region | undefined {
    if (ptr < ADDR_BASE || ptr >= ADDR_LIMIT) return undefined;
    return this.regionAt(Number(ptr - ADDR_BASE), size); // exact: below 2^32 after the range check
  }

  private regionAt(off: number, size: number): Region | undefined {
    const hit = this.lastHit;
    if (hit !== undefined && off >= hit.offset && off + size <= hit.end) return hit;
    const i = this.lastRegionAtOrBelow(off);
    if (i < 0) return undefined;
    const r = this.regions[i]!;
    if (off + size > r.end) return undefined;
    this.lastHit = r;
    return r;
  }

  /**
   * Check an access and return its linear-memory offset.
   * @throws {RunError} EFAULT `invalid memory access: read of 8 bytes at 0x... (insn N)` when the
   * range is not inside one live region, or is a write into a read-only region.
   */
  check(ptr: bigint, size: number, access: AccessKind, insnIdx: number): number {
    if (ptr >= ADDR_BASE && ptr < ADDR_LIMIT) {
      const off = Number(ptr - ADDR_BASE); // exact: below 2^32
      const r = this.regionAt(off, size);
      if (r !== undefined) {
        if (access === 'write' && !r.writable) throw this.fault(ptr, size, access, insnIdx, r);
        return off;
      }
    }
    throw this.fault(ptr, size, access, insnIdx);
  }

  /** The fault error for an access (exported shape used by the interpreter and helpers). */
  fault(ptr: bigint, size: number, access: AccessKind, insnIdx: number, readOnly?: Region): RunError {
    const what = `${access} of ${size} byte${size === 1 ? '' : 's'} at ${hex64(ptr)}`;
    const why = readOnly !== undefined ? ` (read-only ${readOnly.kind} '${readOnly.name}')` : '';
    return new RunError(`invalid memory access: ${what}${why} (insn ${insnIdx})`, insnIdx);
  }

  /**
   * Checked little-endian load, zero-extended to u64.
   * @throws {RunError} on a fault (see {@link check}).
   */
  load(ptr: bigint, size: 1 | 2 | 4 | 8, insnIdx: number): bigint {
    const off = this.check(ptr, size, 'read', insnIdx);
    // check() leaves the region it found in lastHit.
    const fields = this.lastHit?.fields;
    if (fields !== undefined) {
      const v = fields.load(off - this.lastHit!.offset, size);
      if (v !== undefined) return v;
    }
    const dv = this.dataView();
    switch (size) {
      case 1: return BigInt(dv.getUint8(off));
      case 2: return BigInt(dv.getUint16(off, true));
      case 4: return BigInt(dv.getUint32(off, true));
      case 8: return dv.getBigUint64(off, true);
    }
  }

  /**
   * Checked little-endian store of the low `size` bytes of `value`.
   * @throws {RunError} on a fault (see {@link check}).
   */
  store(ptr: bigint, size: 1 | 2 | 4 | 8, value: bigint, insnIdx: number): void {
    const off = this.check(ptr, size, 'write', insnIdx);
    const hit = this.lastHit;
    if (hit?.fields?.store !== undefined) {
      if (hit.fields.store(off - hit.offset, size, value)) return;
      throw new RunError(`invalid access to context field: write of ${size} byte${size === 1 ? '' : 's'} at offset ${off - hit.offset} of ${hit.kind} '${hit.name}' (insn ${insnIdx})`, insnIdx, EACCES);
    }
    const dv = this.dataView();
    switch (size) {
      case 1: dv.setUint8(off, Number(value & 0xffn)); return;
      case 2: dv.setUint16(off, Number(value & 0xffffn), true); return;
      case 4: dv.setUint32(off, Number(value & 0xffff_ffffn), true); return;
      case 8: dv.setBigUint64(off, BigInt.asUintN(64, value), true); return;
    }
  }

  /**
   * A checked view of `len` bytes at `ptr` (for helpers copying buffers). Same validity rule as
   * {@link Region.bytes}. @throws {RunError} on a fault.
   */
  slice(ptr: bigint, len: number, access: AccessKind, insnIdx: number): Uint8Array {
    const off = this.check(ptr, len, access, insnIdx);
    return this.u8().subarray(off, off + len);
  }
}

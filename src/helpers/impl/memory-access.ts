/**
 * Helper-side reads and writes of BPF memory. The verifier guarantees helper arguments point
 * into readable memory; for unverified runs a bad pointer stops the program with the address
 * space's fault (a RunError naming the call instruction), never a host crash.
 */
import type { AddressSpace } from '../../vm/memory.ts';
import type { FormatMemory } from './printk-format.ts';

/** Bytes at `ptr` (a view into the address space: copy before the memory may grow). */
export function readMem(memory: AddressSpace, ptr: bigint, len: number, insnIdx: number): Uint8Array {
  return memory.slice(ptr, len, 'read', insnIdx);
}

/** Writable view of `len` bytes at `ptr`. */
export function writeMem(memory: AddressSpace, ptr: bigint, len: number, insnIdx: number): Uint8Array {
  return memory.slice(ptr, len, 'write', insnIdx);
}

/**
 * Memory access that never faults, for what the kernel reads with its nofault copies (strings
 * and addresses for printk): unreadable memory reads as undefined.
 */
export function nofaultMemory(memory: AddressSpace): FormatMemory {
  return {
    readBytes(ptr, size) {
      const region = memory.find(ptr, size);
      if (region === undefined) return undefined;
      const off = Number(ptr - region.ptr) + region.offset;
      return memory.u8().slice(off, off + size);
    },
    readString(ptr, maxBytes) {
      const region = memory.find(ptr, 1);
      if (region === undefined) return undefined;
      const start = Number(ptr - region.ptr);
      const bytes = region.bytes().subarray(start, Math.min(region.sizeBytes, start + maxBytes));
      const end = bytes.indexOf(0);
      // The kernel copies at most maxBytes - 1 characters and always terminates the string.
      const text = end < 0 ? bytes.subarray(0, maxBytes - 1) : bytes.subarray(0, end);
      return String.fromCharCode(...text);
    },
  };
}

/**
 * The C string of at most `size` bytes at `ptr` (default: up to the end of its region), without
 * its NUL; undefined when no NUL ends it within those bytes.
 */
export function readCString(memory: AddressSpace, ptr: bigint, size: number | undefined, insnIdx: number): Uint8Array | undefined {
  let len = size;
  if (len === undefined) {
    const region = memory.find(ptr, 1);
    len = region === undefined ? 1 : region.sizeBytes - Number(ptr - region.ptr);
  }
  const bytes = readMem(memory, ptr, len, insnIdx);
  const end = bytes.indexOf(0);
  return end < 0 ? undefined : bytes.slice(0, end);
}

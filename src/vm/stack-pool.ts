/**
 * Program stacks: one 512-byte 'stack' region per active frame, taken from the shared address
 * space and pooled so that calls and runs do not allocate. Each region has unmapped guard bytes
 * on both sides, so running off a frame (below R10 - 512 or above R10) faults instead of landing
 * in a neighbouring region. Works in node / browser.
 */
import { MAX_BPF_STACK } from '../isa/opcodes.ts';
import type { AddressSpace, Region } from './memory.ts';

/** Unmapped bytes on each side of a frame's stack. */
export const STACK_GUARD_BYTES = 1024;

/** A pool of frame stacks in one address space. */
export class StackPool {
  readonly memory: AddressSpace;
  private readonly idle: Region[] = [];
  private readonly all: Region[] = [];

  constructor(memory: AddressSpace) {
    this.memory = memory;
  }

  /**
   * A zeroed 512-byte stack (zeroed so runs are deterministic whatever ran before; the verifier,
   * not the interpreter, rejects reads of uninitialised stack).
   * @throws {BpfError} ENOMEM when the address space is full.
   */
  acquire(): Region {
    const r = this.idle.pop();
    if (r !== undefined) {
      this.memory.u8().fill(0, r.offset, r.end);
      return r;
    }
    const fresh = this.memory.alloc(MAX_BPF_STACK, { kind: 'stack', name: 'stack', align: 16, guardBytes: STACK_GUARD_BYTES });
    this.all.push(fresh);
    return fresh;
  }

  /** Give a stack back to the pool. */
  release(r: Region): void {
    this.idle.push(r);
  }

  /** Number of stacks allocated so far (in use or idle). */
  get allocated(): number {
    return this.all.length;
  }

  /** Free every stack of the pool (none may be in use). */
  dispose(): void {
    for (const r of this.all) if (r.live) this.memory.free(r);
    this.all.length = 0;
    this.idle.length = 0;
  }
}

/**
 * Lowering of loads, stores, atomics and the legacy packet loads, with the interpreter's
 * semantics (src/vm/interpreter.ts, src/vm/atomic.ts, src/vm/ld-abs.ts). Loads zero- or
 * sign-extend into the 64-bit register; atomics are read-modify-write sequences (one JS thread
 * runs the program, so nothing can interleave) with the exact fetch / cmpxchg results and 32-bit
 * zero extension. Works in node / browser.
 */
import type { Insn } from '../isa/insn.ts';
import {
  BPF_ADD, BPF_AND, BPF_ATOMIC, BPF_CMPXCHG, BPF_DW, BPF_FETCH, BPF_IND, BPF_LOAD_ACQ, BPF_MEM,
  BPF_MEMSX, BPF_OR, BPF_STORE_REL, BPF_W, BPF_XCHG, BPF_XOR, insnMode, insnSize, sizeBytes,
} from '../isa/opcodes.ts';
import { invalidInsn } from '../vm/alu.ts';
import { F_LDABS, F_LOAD, LOAD_U, STORE, type FuncEmitter } from './emit.ts';
import type { InlineCtxLoad } from './inline.ts';
import { I64, type Op } from './wasm/opcodes.ts';

/** BPF_LDX. */
export function lowerLdx(e: FuncEmitter, insn: Insn): void {
  const size = sizeBytes(insnSize(insn.code));
  const mode = insnMode(insn.code);
  if (mode !== BPF_MEM && (mode !== BPF_MEMSX || size === 8)) {
    e.trap(invalidInsn(insn, `unsupported load mode 0x${mode.toString(16)}`));
    return;
  }
  e.load(insn, insn.src, insn.off, size, mode === BPF_MEMSX);
  e.set(insn.dst);
}

/**
 * A verified context field load (BPF_MEM) done in WebAssembly when the context is the one the
 * runtime laid out (inline.ts InlineCtxLoad), else through the load import as any other context
 * access. `entryValue` pushes an entry value.
 */
export function lowerCtxLoad(e: FuncEmitter, insn: Insn, cl: InlineCtxLoad, entryValue: (index: number) => void): void {
  const w = e.w;
  const size = sizeBytes(insnSize(insn.code));
  e.get(insn.src);
  if (insn.off !== 0) w.i64(BigInt(insn.off)).op('i64.add');
  w.tee(e.tmp64c);
  if (cl.fieldOff !== 0) w.i64(BigInt(cl.fieldOff)).op('i64.sub');
  entryValue(cl.ctxPtr);
  w.op('i64.eq').open('if', I64);
  entryValue(cl.valuesAt);
  w.mem(LOAD_U[cl.size], cl.offset);
  w.op('else').get(e.tmp64c).i32(size).i32(insn.idx).call(F_LOAD).op('end');
  e.set(insn.dst);
}

/** BPF_ST (isStx = false) and BPF_STX. */
export function lowerStore(e: FuncEmitter, insn: Insn, isStx: boolean): void {
  const size = sizeBytes(insnSize(insn.code));
  const mode = insnMode(insn.code);
  if (mode === BPF_ATOMIC && isStx) {
    lowerAtomic(e, insn, size);
    return;
  }
  if (mode !== BPF_MEM) {
    e.trap(invalidInsn(insn, `unsupported store mode 0x${mode.toString(16)}`));
    return;
  }
  e.store(insn, insn.dst, insn.off, size, () => {
    if (isStx) e.get(insn.src);
    else e.w.i64(BigInt(insn.imm | 0));
  });
}

function lowerAtomic(e: FuncEmitter, insn: Insn, size: 1 | 2 | 4 | 8): void {
  const w = e.w;
  const op = insn.imm;
  // Load-acquire and store-release are plain accesses here (execAtomic uses load / store).
  if (op === BPF_LOAD_ACQ) {
    e.load(insn, insn.src, insn.off, size, false);
    e.set(insn.dst);
    return;
  }
  if (op === BPF_STORE_REL) {
    e.store(insn, insn.dst, insn.off, size, () => { e.get(insn.src); });
    return;
  }
  const sz = insnSize(insn.code);
  if (sz !== BPF_W && sz !== BPF_DW) {
    e.trap(invalidInsn(insn, 'atomic read-modify-write needs size W or DW'));
    return;
  }
  // The address is checked (for writing) before the operation is decoded, as in execAtomic.
  const offset = e.rmwAddress(insn, insn.dst, insn.off, size);
  const addr = e.tmp32;
  w.set(addr);
  const load = LOAD_U[size];
  const store = STORE[size];
  const old = e.tmp64a;
  const base = op & ~BPF_FETCH;
  const rmw: Op | undefined = base === BPF_ADD ? 'i64.add' : base === BPF_OR ? 'i64.or'
    : base === BPF_AND ? 'i64.and' : base === BPF_XOR ? 'i64.xor' : undefined;
  if (rmw !== undefined) {
    w.get(addr).get(addr);
    e.mem(load, offset);
    w.tee(old);
    e.get(insn.src);
    w.op(rmw);
    e.mem(store, offset);
    if ((op & BPF_FETCH) !== 0) w.get(old).set(e.reg[insn.src]!);
    return;
  }
  if (op === BPF_XCHG) {
    w.get(addr);
    e.mem(load, offset);
    w.set(old);
    w.get(addr);
    e.get(insn.src);
    e.mem(store, offset);
    w.get(old).set(e.reg[insn.src]!);
    return;
  }
  if (op === BPF_CMPXCHG) {
    w.get(addr);
    e.mem(load, offset);
    w.set(old);
    w.get(addr);
    e.get(insn.src);
    w.get(old).get(old);
    e.get(0);
    if (size === 4) w.i64(0xffff_ffffn).op('i64.and');
    w.op('i64.eq').op('select');
    e.mem(store, offset);
    w.get(old).set(e.reg[0]!);
    return;
  }
  e.trap(invalidInsn(insn, `unknown atomic operation 0x${op.toString(16)}`));
}

/**
 * BPF_LD | BPF_ABS / BPF_IND through the runtime's ldAbs (the import returns -1 when the load
 * fails); a failed load sets R0 = 0 and returns from the current function, as the kernel's
 * rewrite does. `ret` emits the function's return sequence with R0 on the stack.
 */
export function lowerLdAbs(e: FuncEmitter, insn: Insn, site: number, ret: () => void): void {
  const w = e.w;
  w.i32(site);
  e.get(6);
  if (insnMode(insn.code) === BPF_IND) e.get(insn.src);
  else w.i64(0n);
  w.call(F_LDABS).tee(e.reg[0]!).i64(-1n).op('i64.eq');
  w.open('if').i64(0n).set(e.reg[0]!);
  ret();
  w.op('end');
}


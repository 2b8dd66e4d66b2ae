/**
 * BPF_STX | BPF_ATOMIC instructions, after ___bpf_prog_run() in kernel/bpf/core.c. The interpreter
 * is single-threaded, so "atomic" means read-modify-write in one step. Works in node / browser.
 *
 *   imm                   effect (addr = dst + off; 32-bit forms use the low halves)
 *   ADD/OR/AND/XOR        *addr op= src
 *   ... | BPF_FETCH       src = old *addr (32-bit: zero-extended)
 *   BPF_XCHG              src = old *addr, *addr = src
 *   BPF_CMPXCHG           R0 = old *addr; if old == R0 then *addr = src (32-bit: compares (u32)R0,
 *                         R0 zero-extended)
 *   BPF_LOAD_ACQ          dst = *(src + off), zero-extended; any size
 *   BPF_STORE_REL         *(dst + off) = src; any size
 */
import {
  BPF_ADD, BPF_AND, BPF_CMPXCHG, BPF_DW, BPF_FETCH, BPF_LOAD_ACQ, BPF_OR, BPF_STORE_REL, BPF_W,
  BPF_XCHG, BPF_XOR, R0, insnSize, sizeBytes,
} from '../isa/opcodes.ts';
import type { Insn } from '../isa/insn.ts';
import type { AddressSpace } from './memory.ts';
import { invalidInsn } from './alu.ts';

/** Effective address dst/src + off, wrapped to u64 as the hardware would. */
function effAddr(base: bigint, off: number): bigint {
  return BigInt.asUintN(64, base + BigInt(off));
}

/**
 * Execute one atomic instruction, updating `regs` in place.
 * @throws {RunError} on a memory fault, EINVAL for an unknown atomic operation or size.
 */
export function execAtomic(memory: AddressSpace, insn: Insn, regs: bigint[]): void {
  const size = sizeBytes(insnSize(insn.code));
  const op = insn.imm;
  if (op === BPF_LOAD_ACQ) {
    regs[insn.dst] = memory.load(effAddr(regs[insn.src]!, insn.off), size, insn.idx);
    return;
  }
  if (op === BPF_STORE_REL) {
    memory.store(effAddr(regs[insn.dst]!, insn.off), size, regs[insn.src]!, insn.idx);
    return;
  }
  const sz = insnSize(insn.code);
  if (sz !== BPF_W && sz !== BPF_DW) throw invalidInsn(insn, 'atomic read-modify-write needs size W or DW');
  const is64 = sz === BPF_DW;
  const mask = is64 ? 0xffff_ffff_ffff_ffffn : 0xffff_ffffn;
  const off = memory.check(effAddr(regs[insn.dst]!, insn.off), size, 'write', insn.idx);
  const dv = memory.dataView();
  const old = is64 ? dv.getBigUint64(off, true) : BigInt(dv.getUint32(off, true));
  const src = regs[insn.src]! & mask;
  let next: bigint;
  switch (op & ~BPF_FETCH) {
    case BPF_ADD: next = (old + src) & mask; break;
    case BPF_OR: next = old | src; break;
    case BPF_AND: next = old & src; break;
    case BPF_XOR: next = old ^ src; break;
    default:
      if (op === BPF_XCHG) next = src;
      else if (op === BPF_CMPXCHG) {
        next = old === (regs[R0]! & mask) ? src : old;
        regs[R0] = old;
        write(dv, off, is64, next);
        return;
      } else throw invalidInsn(insn, `unknown atomic operation 0x${op.toString(16)}`);
  }
  write(dv, off, is64, next);
  if ((op & BPF_FETCH) !== 0) regs[insn.src] = old;
}

function write(dv: DataView, off: number, is64: boolean, value: bigint): void {
  if (is64) dv.setBigUint64(off, value, true);
  else dv.setUint32(off, Number(value), true);
}

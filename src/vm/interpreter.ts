/**
 * The reference interpreter: executes decoded instructions with the kernel's semantics
 * (___bpf_prog_run() in kernel/bpf/core.c, Documentation/bpf/standardization/instruction-set.rst)
 * over the shared address space. Clear code over clever code: registers are u64 bigints; the JIT
 * is the fast path and is tested against this.
 *
 * What is checked here and what is not:
 * - every memory access goes through the region table; a fault is a RunError with the address,
 *   size, kind of access and instruction index;
 * - jump targets, call targets, the frame depth, the instruction budget and may_goto budgets are
 *   checked at run time, since conformance code runs unverified;
 * - reading a register that holds no value stops the run with `R%d !read_ok`, the verifier's
 *   rule applied at run time: at entry only the arguments and R10 are readable; after a helper
 *   call R1..R5 are not; a callee starts with R1..R5 and R10 only; after a bpf-to-bpf call the
 *   caller has R0 and its own R6..R9 back. Uninitialised stack is not checked (stacks are zeroed).
 * Works in node / browser.
 */
import type { Insn } from '../isa/insn.ts';
import { slotIndex } from '../isa/insn.ts';
import {
  BPF_ABS, BPF_ALU, BPF_ALU64, BPF_ATOMIC, BPF_CALL, BPF_DW, BPF_EXIT, BPF_HELPER_CALL, BPF_IMM,
  BPF_IND, BPF_JA, BPF_JCOND, BPF_JMP, BPF_JMP32, BPF_K, BPF_LD, BPF_LDX, BPF_MAY_GOTO, BPF_MEM,
  BPF_MEMSX, BPF_NEG, BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC, BPF_PSEUDO_KFUNC_CALL, BPF_ST, BPF_STX,
  BPF_END, BPF_X, MAX_BPF_REG, MAX_BPF_STACK, MAX_CALL_FRAMES, R0, R10, insnClass, insnMode, insnOp,
  insnSize, insnSrcBit, sizeBytes,
} from '../isa/opcodes.ts';
import { InsnError, InternalError, RunError } from '../util/errors.ts';
import { E2BIG, EACCES, EINVAL, ELOOP, EOPNOTSUPP } from '../uapi/errno.ts';
import { helperName } from '../uapi/helpers.ts';
import { hex64 } from '../util/u64.ts';
import { alu32, alu64, byteSwap, invalidInsn, neg } from './alu.ts';
import { cond32, cond64 } from './jmp.ts';
import { execAtomic } from './atomic.ts';
import { ldAbs, type PacketLookup } from './ld-abs.ts';
import { StackPool } from './stack-pool.ts';
import { CALLER_SAVED_MASK, CALLEE_SAVED_MASK, FP_MASK, firstReg, regUsage } from './reg-usage.ts';
import type { AddressSpace, Region } from './memory.ts';
import {
  BPF_MAX_LOOPS, DEFAULT_MAX_INSNS, MAX_NESTED_RUNS, decodeFuncPtr, encodeFuncPtr,
  type HelperEnv, type HelperLookup,
} from './abi.ts';

/** Options of the {@link Interpreter}. */
export interface InterpreterOptions {
  readonly memory: AddressSpace;
  /** Helper implementations by id; without it every helper call is a RunError. */
  readonly helpers?: HelperLookup;
  /**
   * Resolves ld_imm64 with a pseudo source (map fd/idx, map value, BTF id) to its 64-bit value.
   * Called at most once per instruction, on first execution. Without it such loads are a RunError.
   */
  readonly resolveLdImm64?: (insn: Insn) => bigint;
  /** Packet of the context in R6, for LD_ABS/LD_IND. */
  readonly packetOf?: PacketLookup;
  /** Instructions one run may execute (nested runs included) before it is stopped; default 100M. */
  readonly maxInsns?: number;
}

/** Arguments of a run: R1..R5 as an array, or by name. Missing ones are 0. */
export type RunArgs = readonly bigint[] | { readonly r1?: bigint; readonly r2?: bigint; readonly r3?: bigint; readonly r4?: bigint; readonly r5?: bigint };

function isArgList(args: RunArgs): args is readonly bigint[] {
  return Array.isArray(args);
}

/** One active call frame. */
interface Frame {
  readonly stack: Region;
  /** Array index to continue at in the caller (-1 for the entry frame). */
  readonly retPc: number;
  /** Caller's R6..R9 and R10, restored on exit. */
  readonly saved: readonly bigint[];
  /** Remaining may_goto iterations of this subprogram invocation. */
  mayGoto: number;
  /** Caller's readable-register mask, restored (R6..R9 part) on exit. */
  readonly savedInit: number;
}

const NOT_A_JUMP = -2;
const BAD_TARGET = -1;
const U64 = 0xffff_ffff_ffff_ffffn;

/** The reference BPF interpreter over one program. Re-entrant: helpers may call back into it. */
export class Interpreter {
  readonly insns: readonly Insn[];
  readonly memory: AddressSpace;
  private readonly helpers: HelperLookup | undefined;
  private readonly resolveLdImm64: ((insn: Insn) => bigint) | undefined;
  private readonly packetOf: PacketLookup | undefined;
  private readonly maxInsns: number;
  /** Slot index -> array index (-1 inside an ld_imm64). */
  private readonly slots: Int32Array;
  /** Array index -> array index of the jump or call target; NOT_A_JUMP / BAD_TARGET. */
  private readonly targets: Int32Array;
  /**
   * Per instruction: off as a signed bigint, and imm sign-extended to u64. Addresses are computed
   * as reg + off without wrapping: a sum outside [0, 2^64) can never fall inside the address space
   * (pointers are in [2^32, 2^33)), so it faults exactly as the wrapped sum would, and the fault
   * message prints it modulo 2^64.
   */
  private readonly offs: bigint[];
  private readonly imms: bigint[];
  private readonly ldImmCache: (bigint | undefined)[];
  /** Per instruction: registers it reads and writes (bit n = Rn). */
  private readonly regReads: Uint16Array;
  private readonly regWrites: Uint16Array;
  private readonly stacks: StackPool;
  private budget = 0;
  private depth = 0;
  private executed = 0;

  /** @throws {InsnError} EINVAL for a register number above 10. */
  constructor(insns: readonly Insn[], options: InterpreterOptions) {
    this.insns = insns;
    this.memory = options.memory;
    this.helpers = options.helpers;
    this.resolveLdImm64 = options.resolveLdImm64;
    this.packetOf = options.packetOf;
    this.maxInsns = options.maxInsns ?? DEFAULT_MAX_INSNS;
    this.slots = slotIndex(insns);
    this.targets = new Int32Array(insns.length);
    this.offs = insns.map((i) => BigInt(i.off));
    this.imms = insns.map((i) => BigInt.asUintN(64, BigInt(i.imm | 0)));
    this.ldImmCache = new Array<bigint | undefined>(insns.length).fill(undefined);
    this.stacks = new StackPool(options.memory);
    this.regReads = new Uint16Array(insns.length);
    this.regWrites = new Uint16Array(insns.length);
    insns.forEach((insn, i) => {
      const usage = regUsage(insn);
      this.regReads[i] = usage.reads;
      this.regWrites[i] = usage.writes;
      const pseudoSrc = insn.code === (BPF_LD | BPF_IMM | BPF_DW) || insn.code === (BPF_JMP | BPF_CALL);
      if (insn.dst >= MAX_BPF_REG || (!pseudoSrc && insn.src >= MAX_BPF_REG)) {
        throw new InsnError(`invalid register r${Math.max(insn.dst, insn.src)} at insn ${insn.idx}`, insn.idx);
      }
      this.targets[i] = this.targetOf(insn);
    });
  }

  private targetOf(insn: Insn): number {
    const cls = insnClass(insn.code);
    if (cls !== BPF_JMP && cls !== BPF_JMP32) return NOT_A_JUMP;
    const op = insnOp(insn.code);
    let slot: number;
    if (op === BPF_EXIT) return NOT_A_JUMP;
    if (op === BPF_CALL) {
      if (insn.src !== BPF_PSEUDO_CALL) return NOT_A_JUMP;
      slot = insn.idx + 1 + insn.imm;
    } else if (op === BPF_JA && cls === BPF_JMP32) slot = insn.idx + 1 + insn.imm; // gotol
    else slot = insn.idx + 1 + insn.off;
    return slot >= 0 && slot < this.slots.length ? (this.slots[slot] ?? BAD_TARGET) : BAD_TARGET;
  }

  /** Instructions executed by the last outermost run (nested runs included). */
  get insnsExecuted(): number {
    return this.executed;
  }

  /**
   * Run from `entrySlot` (default 0) with R1..R5 = args; returns R0.
   * @throws {RunError} when the program faults, calls something unavailable, exceeds the frame,
   * nesting or instruction budgets, or runs off its end.
   */
  run(args: RunArgs = [], entrySlot = 0): bigint {
    const entry = entrySlot >= 0 && entrySlot < this.slots.length ? this.slots[entrySlot]! : -1;
    if (entry < 0) throw new RunError(`entry slot ${entrySlot} is not the start of an instruction`, entrySlot, EINVAL);
    const list = isArgList(args) ? args : [args.r1, args.r2, args.r3, args.r4, args.r5].map((v) => v ?? 0n);
    return this.enter(entry, list, entrySlot);
  }

  /**
   * Call the subprogram a BPF_PSEUDO_FUNC value points to (what HelperEnv.callFunction does).
   * @throws {RunError} if `funcPtr` is not a function pointer into this program.
   */
  callFunction(funcPtr: bigint, args: readonly bigint[], insnIdx = 0): bigint {
    const slot = decodeFuncPtr(funcPtr);
    const idx = slot !== undefined && slot < this.slots.length ? this.slots[slot]! : -1;
    if (idx < 0) throw new RunError(`${hex64(funcPtr)} is not a function of this program (insn ${insnIdx})`, insnIdx, EINVAL);
    return this.enter(idx, args, insnIdx);
  }

  /** Free the pooled stacks (call when the program is unloaded). */
  dispose(): void {
    if (this.depth !== 0) throw new InternalError('Interpreter.dispose() during a run');
    this.stacks.dispose();
  }

  private enter(entry: number, args: readonly bigint[], insnIdx: number): bigint {
    if (args.length > 5) throw new InternalError(`a BPF function takes at most 5 arguments, got ${args.length}`);
    if (this.depth >= MAX_NESTED_RUNS) {
      throw new RunError(`too many nested BPF runs (more than ${MAX_NESTED_RUNS}) at insn ${insnIdx}`, insnIdx, ELOOP);
    }
    if (this.depth === 0) {
      this.budget = this.maxInsns;
      this.executed = 0;
    }
    this.depth++;
    try {
      return this.execute(entry, args);
    } finally {
      this.depth--;
      if (this.depth === 0) this.executed = this.maxInsns - this.budget;
    }
  }

  private pushFrame(frames: Frame[], regs: bigint[], retPc: number, savedInit: number): void {
    const stack = this.stacks.acquire();
    frames.push({ stack, retPc, saved: [regs[6]!, regs[7]!, regs[8]!, regs[9]!, regs[R10]!], mayGoto: BPF_MAX_LOOPS, savedInit });
    regs[R10] = stack.ptr + BigInt(MAX_BPF_STACK);
  }

  private execute(entry: number, args: readonly bigint[]): bigint {
    const { insns, memory, targets, offs, imms, regReads, regWrites } = this;
    const regs: bigint[] = new Array<bigint>(MAX_BPF_REG).fill(0n);
    args.forEach((a, i) => { regs[i + 1] = a & U64; });
    // Readable registers: the arguments given and the frame pointer.
    let init = FP_MASK | (((1 << args.length) - 1) << 1);
    const frames: Frame[] = [];
    let pc = entry;
    try {
      this.pushFrame(frames, regs, -1, 0);
      for (;;) {
        const insn = insns[pc];
        if (insn === undefined) {
          const last = insns[insns.length - 1];
          const at = last === undefined ? 0 : last.idx;
          throw new RunError(`execution ran off the end of the program after insn ${at}`, at);
        }
        if (this.budget <= 0) {
          throw new RunError(`instruction budget of ${this.maxInsns} exhausted at insn ${insn.idx}`, insn.idx, E2BIG);
        }
        this.budget--;
        const unreadable = regReads[pc]! & ~init;
        if (unreadable !== 0) {
          throw new RunError(`R${firstReg(unreadable)} !read_ok (insn ${insn.idx})`, insn.idx, EACCES);
        }
        init |= regWrites[pc]!;
        const code = insn.code;
        switch (insnClass(code)) {
          case BPF_ALU64: {
            const op = insnOp(code);
            if (op === BPF_NEG || op === BPF_END) regs[insn.dst] = this.unary(insn, true, regs[insn.dst]!);
            else regs[insn.dst] = alu64(insn, op, regs[insn.dst]!, insnSrcBit(code) === BPF_X ? regs[insn.src]! : imms[pc]!);
            pc++;
            break;
          }
          case BPF_ALU: {
            const op = insnOp(code);
            if (op === BPF_NEG || op === BPF_END) regs[insn.dst] = this.unary(insn, false, regs[insn.dst]!);
            else {
              const b = insnSrcBit(code) === BPF_X ? Number(regs[insn.src]! & 0xffff_ffffn) : insn.imm >>> 0;
              regs[insn.dst] = BigInt(alu32(insn, op, Number(regs[insn.dst]! & 0xffff_ffffn), b));
            }
            pc++;
            break;
          }
          case BPF_JMP:
          case BPF_JMP32: {
            const op = insnOp(code);
            if (op === BPF_EXIT || op === BPF_CALL) {
              if (insnClass(code) === BPF_JMP32) throw invalidInsn(insn, 'call and exit exist only in class JMP');
              if (op === BPF_CALL) {
                if (insn.src === BPF_PSEUDO_CALL && insnSrcBit(code) !== BPF_X) {
                  if (frames.length >= MAX_CALL_FRAMES) {
                    throw new RunError(`call stack too deep: more than ${MAX_CALL_FRAMES} frames at insn ${insn.idx}`, insn.idx, E2BIG);
                  }
                  const target = this.jumpTarget(targets, pc, insn);
                  this.pushFrame(frames, regs, pc + 1, init);
                  // The callee sees its arguments and its own frame pointer only.
                  init = FP_MASK | (init & CALLER_SAVED_MASK);
                  pc = target;
                } else {
                  // callx (uBPF's register call, tested by the conformance suite; the kernel's
                  // verifier refuses it) calls the helper whose id is in the dst register.
                  const id = insnSrcBit(code) === BPF_X ? Number(regs[insn.dst]! & 0xffff_ffffn) | 0 : insn.imm;
                  regs[R0] = this.callHelper(insn, id, regs);
                  init = (init & ~CALLER_SAVED_MASK) | 1;
                  pc++;
                }
                break;
              }
              // exit
              const frame = frames.pop()!;
              this.stacks.release(frame.stack);
              if (frames.length === 0) return regs[R0]!;
              this.restore(regs, frame);
              init = (frame.savedInit & (CALLEE_SAVED_MASK | FP_MASK)) | 1;
              pc = frame.retPc;
              break;
            }
            if (op === BPF_JA) {
              if (insnSrcBit(code) !== BPF_K) throw invalidInsn(insn, 'ja with source bit set');
              pc = this.jumpTarget(targets, pc, insn);
              break;
            }
            if (op === BPF_JCOND) {
              if (insnClass(code) !== BPF_JMP || insn.src !== BPF_MAY_GOTO) throw invalidInsn(insn, `unknown conditional pseudo-jump src ${insn.src}`);
              const frame = frames[frames.length - 1]!;
              if (frame.mayGoto === 0) pc = this.jumpTarget(targets, pc, insn);
              else {
                frame.mayGoto--;
                pc++;
              }
              break;
            }
            let taken: boolean | undefined;
            if (insnClass(code) === BPF_JMP) {
              taken = cond64(op, regs[insn.dst]!, insnSrcBit(code) === BPF_X ? regs[insn.src]! : imms[pc]!);
            } else {
              const b = insnSrcBit(code) === BPF_X ? Number(regs[insn.src]! & 0xffff_ffffn) : insn.imm >>> 0;
              taken = cond32(op, Number(regs[insn.dst]! & 0xffff_ffffn), b);
            }
            if (taken === undefined) throw invalidInsn(insn, `unknown jump operation 0x${op.toString(16)}`);
            pc = taken ? this.jumpTarget(targets, pc, insn) : pc + 1;
            break;
          }
          case BPF_LDX: {
            const size = sizeBytes(insnSize(code));
            const addr = regs[insn.src]! + offs[pc]!;
            const mode = insnMode(code);
            if (mode === BPF_MEM) regs[insn.dst] = memory.load(addr, size, insn.idx);
            else if (mode === BPF_MEMSX && size !== 8) {
              regs[insn.dst] = BigInt.asUintN(64, BigInt.asIntN(size * 8, memory.load(addr, size, insn.idx)));
            } else throw invalidInsn(insn, `unsupported load mode 0x${mode.toString(16)}`);
            pc++;
            break;
          }
          case BPF_ST:
          case BPF_STX: {
            const size = sizeBytes(insnSize(code));
            const mode = insnMode(code);
            const isStx = insnClass(code) === BPF_STX;
            if (mode === BPF_ATOMIC && isStx) execAtomic(memory, insn, regs);
            else if (mode === BPF_MEM) {
              memory.store(regs[insn.dst]! + offs[pc]!, size, isStx ? regs[insn.src]! : imms[pc]!, insn.idx);
            } else throw invalidInsn(insn, `unsupported store mode 0x${mode.toString(16)}`);
            pc++;
            break;
          }
          case BPF_LD: {
            const mode = insnMode(code);
            if (code === (BPF_LD | BPF_IMM | BPF_DW)) {
              regs[insn.dst] = this.ldImm64(insn, pc);
              pc++;
              break;
            }
            if ((mode !== BPF_ABS && mode !== BPF_IND) || insnSize(code) === BPF_DW) {
              throw invalidInsn(insn, 'unsupported BPF_LD instruction');
            }
            const v = ldAbs(memory, insn, regs, this.packetOf);
            init &= ~CALLER_SAVED_MASK;
            if (v !== undefined) {
              regs[R0] = v;
              pc++;
              break;
            }
            // Failed packet load: the rewritten code sets R0 = 0 and exits the current function.
            regs[R0] = 0n;
            const frame = frames.pop()!;
            this.stacks.release(frame.stack);
            if (frames.length === 0) return 0n;
            this.restore(regs, frame);
            init = (frame.savedInit & (CALLEE_SAVED_MASK | FP_MASK)) | 1;
            pc = frame.retPc;
            break;
          }
          default:
            throw new InternalError(`instruction class ${insnClass(code)} not handled`);
        }
      }
    } finally {
      for (const f of frames) this.stacks.release(f.stack);
    }
  }

  private restore(regs: bigint[], frame: Frame): void {
    const s = frame.saved;
    regs[6] = s[0]!;
    regs[7] = s[1]!;
    regs[8] = s[2]!;
    regs[9] = s[3]!;
    regs[R10] = s[4]!;
  }

  private jumpTarget(targets: Int32Array, pc: number, insn: Insn): number {
    const t = targets[pc]!;
    if (t < 0) throw new RunError(`jump out of range or into the middle of ld_imm64 at insn ${insn.idx}`, insn.idx, EINVAL);
    return t;
  }

  private unary(insn: Insn, is64: boolean, dst: bigint): bigint {
    if (insnOp(insn.code) === BPF_NEG) {
      if (insnSrcBit(insn.code) !== BPF_K) throw invalidInsn(insn, 'neg must use source bit 0');
      return neg(dst, is64);
    }
    return byteSwap(insn, is64, insnSrcBit(insn.code), dst);
  }

  private ldImm64(insn: Insn, pc: number): bigint {
    if (insn.src === 0) return insn.imm64 ?? BigInt(insn.imm >>> 0);
    if (insn.src === BPF_PSEUDO_FUNC) {
      if (this.targetSlotValid(insn.idx + 1 + insn.imm)) return encodeFuncPtr(insn.idx + 1 + insn.imm);
      throw new RunError(`ld_imm64 function pointer to slot ${insn.idx + 1 + insn.imm} outside the program (insn ${insn.idx})`, insn.idx, EINVAL);
    }
    const cached = this.ldImmCache[pc];
    if (cached !== undefined) return cached;
    if (this.resolveLdImm64 === undefined) {
      throw new RunError(`ld_imm64 with pseudo source ${insn.src} at insn ${insn.idx} needs the runtime to resolve it`, insn.idx, EOPNOTSUPP);
    }
    const v = BigInt.asUintN(64, this.resolveLdImm64(insn));
    this.ldImmCache[pc] = v;
    return v;
  }

  private targetSlotValid(slot: number): boolean {
    return slot >= 0 && slot < this.slots.length && this.slots[slot]! >= 0;
  }

  private callHelper(insn: Insn, id: number, regs: bigint[]): bigint {
    if (insn.src === BPF_PSEUDO_KFUNC_CALL) {
      throw new RunError(`kfunc calls are not supported at run time (btf id ${insn.imm}, insn ${insn.idx})`, insn.idx, EOPNOTSUPP);
    }
    if (insn.src !== BPF_HELPER_CALL) throw invalidInsn(insn, `unknown call kind src ${insn.src}`);
    const fn = this.helpers?.(id);
    if (fn === undefined) {
      const name = helperName(id);
      const what = name === undefined ? `#${id}` : `bpf_${name}#${id}`;
      throw new RunError(`helper ${what} is not available here (insn ${insn.idx})`, insn.idx, EINVAL);
    }
    const env: HelperEnv = {
      memory: this.memory,
      insnIdx: insn.idx,
      callFunction: (funcPtr, args) => this.callFunction(funcPtr, args, insn.idx),
    };
    const r0: unknown = fn(env, regs[1]!, regs[2]!, regs[3]!, regs[4]!, regs[5]!);
    if (typeof r0 !== 'bigint') throw new InternalError(`helper #${id} returned ${typeof r0}, not a bigint`);
    return r0 & U64;
  }
}

/**
 * Fuzzing the verifier: random XDP programs built from snippets that usually verify (map lookups,
 * packet bounds checks, stack spills, bounded loops, helper calls, bpf_loop callbacks) with a few
 * unsafe ones mixed in, and mutants of them and of the corpus (testdata/verifier) with fields
 * flipped. The properties checked:
 *   - verify() returns or throws a VerifierError, never anything else, within a time bound;
 *   - a program it accepts runs in the interpreter (src/vm through the runtime's test run)
 *     without a fault.
 * Used by test/verifier-fuzz.test.ts (a bounded batch) and scripts/fuzz-verifier.ts (long runs).
 * Test-only (Node).
 */
import { Rng } from '../src/jit/fuzz.ts';
import {
  BPF_ADD, BPF_ALU, BPF_ALU64, BPF_AND, BPF_ARSH, BPF_B, BPF_CALL, BPF_DIV, BPF_DW, BPF_EXIT, BPF_H, BPF_JA, BPF_JEQ,
  BPF_JGE, BPF_JGT, BPF_JLE, BPF_JLT, BPF_JMP, BPF_JMP32, BPF_JNE, BPF_JSET, BPF_JSGE, BPF_JSGT, BPF_JSLE, BPF_JSLT,
  BPF_K, BPF_LD_IMM64, BPF_LDX, BPF_LSH, BPF_MEM, BPF_MOD, BPF_MOV, BPF_MUL, BPF_NEG, BPF_OR, BPF_PSEUDO_FUNC,
  BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_IDX, BPF_RSH, BPF_ST, BPF_STX, BPF_SUB, BPF_W, BPF_X, BPF_XOR, type Insn,
} from '../src/isa/index.ts';
import { createEngine, verifiedProgram } from '../src/runtime/engine.ts';
import { checkHelpers, helperTable } from '../src/runtime/helpers.ts';
import { LoadedProgram } from '../src/runtime/program.ts';
import { Runtime } from '../src/runtime/runtime.ts';
import { VirtualClock } from '../src/timers/virtual-clock.ts';
import * as B from '../src/uapi/bpf.ts';
import { E2BIG, EINVAL } from '../src/uapi/errno.ts';
import { isBpfError, RunError } from '../src/util/errors.ts';
import { verify, VerifierError, type VerifierMap, type VerifierProgram, type VerifierResult } from '../src/verifier/index.ts';

export { Rng };

/** The maps every fuzz program may use: map 0 an array, map 1 a hash. */
export const FUZZ_MAPS: readonly VerifierMap[] = [
  { name: 'arr', type: B.BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 32, maxEntries: 4, flags: 0, hasBtf: false },
  { name: 'hash', type: B.BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 16, maxEntries: 8, flags: 0, hasBtf: false },
];

type Item = { kind: 'insn'; code: number; dst: number; src: number; off: number | string; imm: number | string; imm64?: bigint }
  | { kind: 'label'; name: string };

/** A program under construction: instructions with symbolic jump targets. */
class Builder {
  readonly items: Item[] = [];
  private labels = 0;
  /** A bpf_loop snippet refers to the callback `cb`, emitted after the main program. */
  usesCallback = false;
  label(): string { return `L${this.labels++}`; }
  at(name: string): void { this.items.push({ kind: 'label', name }); }
  i(code: number, dst: number, src: number, off: number | string, imm: number | string): void {
    this.items.push({ kind: 'insn', code, dst, src, off, imm });
  }
  ld64(dst: number, src: number, imm: number | string, imm64: bigint): void {
    this.items.push({ kind: 'insn', code: BPF_LD_IMM64, dst, src, off: 0, imm, imm64 });
  }
  build(): Insn[] {
    const at = new Map<string, number>();
    let slot = 0;
    for (const it of this.items) {
      if (it.kind === 'label') at.set(it.name, slot);
      else slot += it.code === BPF_LD_IMM64 ? 2 : 1;
    }
    const out: Insn[] = [];
    slot = 0;
    for (const it of this.items) {
      if (it.kind === 'label') continue;
      const rel = (v: number | string): number => (typeof v === 'number' ? v : (at.get(v) ?? slot + 1) - slot - 1);
      const insn: Insn = it.code === BPF_LD_IMM64
        ? { code: it.code, dst: it.dst, src: it.src, off: 0, imm: rel(it.imm), imm64: it.src === BPF_PSEUDO_FUNC ? BigInt.asUintN(32, BigInt(rel(it.imm))) : it.imm64 ?? 0n, imm2: 0, idx: slot }
        : { code: it.code, dst: it.dst, src: it.src, off: rel(it.off), imm: rel(it.imm), idx: slot };
      out.push(insn);
      slot += it.code === BPF_LD_IMM64 ? 2 : 1;
    }
    return out;
  }
}

const ALU_OPS = [BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR, BPF_AND, BPF_LSH, BPF_RSH, BPF_MOD, BPF_XOR, BPF_ARSH, BPF_MOV];
const JMP_OPS = [BPF_JEQ, BPF_JNE, BPF_JGT, BPF_JGE, BPF_JLT, BPF_JLE, BPF_JSGT, BPF_JSGE, BPF_JSLT, BPF_JSLE, BPF_JSET];
const SIZES = [BPF_B, BPF_H, BPF_W, BPF_DW];
const SIZE_BYTES = new Map([[BPF_B, 1], [BPF_H, 2], [BPF_W, 4], [BPF_DW, 8]]);
/** Scalar registers the snippets use freely (R6 = ctx, R7/R8 = packet data and end). */
const WORK = [0, 2, 3, 4, 5, 9];

/** After a call clobbered R0-R5: fresh scalars in them, most of the time. */
function refill(rng: Rng, b: Builder): void {
  for (const reg of [0, 2, 3, 4, 5]) if (rng.chance(0.95)) b.i(BPF_ALU64 | BPF_MOV | BPF_K, reg, 0, 0, rng.imm());
}

/** One snippet at the current position; `depth` limits nesting of loops and skipped blocks. */
function snippet(rng: Rng, b: Builder, depth: number): void {
  const r = (): number => rng.pick(WORK);
  switch (rng.int(depth > 1 ? 9 : 11)) {
    case 0: case 1: { // ALU, with a valid shift amount or non-zero divisor most of the time
      const op = rng.pick(ALU_OPS);
      const cls = rng.chance(0.7) ? BPF_ALU64 : BPF_ALU;
      if (rng.chance(0.5)) {
        let imm = rng.imm();
        if ((op === BPF_LSH || op === BPF_RSH || op === BPF_ARSH) && rng.chance(0.9)) imm = rng.int(cls === BPF_ALU64 ? 64 : 32);
        if ((op === BPF_DIV || op === BPF_MOD) && imm === 0 && rng.chance(0.9)) imm = 3;
        b.i(cls | op | BPF_K, r(), 0, 0, imm);
      } else {
        b.i(cls | op | BPF_X, r(), r(), 0, 0);
      }
      return;
    }
    case 2: { // stack store then load
      const off = -8 * (1 + rng.int(8)) + (rng.chance(0.1) ? rng.int(8) : 0);
      const size = rng.pick(SIZES);
      if (rng.chance(0.5)) b.i(BPF_STX | BPF_MEM | size, 10, r(), off, 0);
      else b.i(BPF_ST | BPF_MEM | size, 10, 0, off, rng.imm());
      b.i(BPF_LDX | BPF_MEM | rng.pick(SIZES), r(), 10, off, 0);
      return;
    }
    case 3: { // map lookup, null check, load and store in the value
      const map = rng.int(FUZZ_MAPS.length);
      const skip = b.label();
      b.i(BPF_ST | BPF_MEM | BPF_W, 10, 0, -4, rng.chance(0.7) ? rng.int(5) : rng.imm());
      b.i(BPF_ALU64 | BPF_MOV | BPF_X, 2, 10, 0, 0);
      b.i(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -4);
      b.ld64(1, BPF_PSEUDO_MAP_FD, map, BigInt(map));
      b.i(BPF_JMP | BPF_CALL, 0, 0, 0, 1);
      if (rng.chance(0.9)) b.i(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, skip, 0);
      const vs = (FUZZ_MAPS[map] as VerifierMap).valueSize;
      const size = rng.pick(SIZES);
      const off = rng.chance(0.9) ? rng.int(vs - (SIZE_BYTES.get(size) ?? 1) + 1) : rng.int(vs + 8);
      b.i(BPF_LDX | BPF_MEM | size, 9, 0, off, 0);
      b.i(BPF_STX | BPF_MEM | size, 0, 9, off, 0);
      b.at(skip);
      refill(rng, b);
      return;
    }
    case 4: { // packet access behind a bounds check
      const n = 1 + rng.int(16);
      const skip = b.label();
      b.i(BPF_ALU64 | BPF_MOV | BPF_X, 1, 7, 0, 0);
      b.i(BPF_ALU64 | BPF_ADD | BPF_K, 1, 0, 0, n);
      b.i(BPF_JMP | (rng.chance(0.9) ? BPF_JGT : BPF_JLT) | BPF_X, 1, 8, skip, 0);
      b.i(BPF_LDX | BPF_MEM | BPF_B, r(), 7, rng.chance(0.9) ? rng.int(n) : n, 0);
      b.at(skip);
      return;
    }
    case 5: { // a conditional block
      const skip = b.label();
      const cls = rng.chance(0.7) ? BPF_JMP : BPF_JMP32;
      if (rng.chance(0.5)) b.i(cls | rng.pick(JMP_OPS) | BPF_K, r(), 0, skip, rng.imm());
      else b.i(cls | rng.pick(JMP_OPS) | BPF_X, r(), r(), skip, 0);
      for (let k = rng.int(3); k >= 0; k--) snippet(rng, b, depth + 1);
      b.at(skip);
      return;
    }
    case 6: // helpers: prandom, ktime, smp_processor_id
      b.i(BPF_JMP | BPF_CALL, 0, 0, 0, rng.pick([7, 5, 8]));
      refill(rng, b);
      return;
    case 7: // a narrowed index into a map value
      b.i(BPF_ALU64 | BPF_AND | BPF_K, r(), 0, 0, rng.pick([7, 15, 31, 63]));
      return;
    case 8: // a dead exit path
      if (rng.chance(0.5)) {
        const skip = b.label();
        b.i(BPF_JMP | BPF_JNE | BPF_K, 9, 0, skip, rng.imm());
        b.i(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, rng.int(5));
        b.i(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
        b.at(skip);
      } else {
        b.i(BPF_ALU64 | BPF_NEG, r(), 0, 0, 0);
      }
      return;
    case 9: { // a bounded loop with a counter in R9
      const top = b.label();
      b.i(BPF_ALU64 | BPF_MOV | BPF_K, 9, 0, 0, 0);
      b.at(top);
      for (let k = rng.int(2); k >= 0; k--) snippet(rng, b, depth + 1);
      b.i(BPF_ALU64 | BPF_ADD | BPF_K, 9, 0, 0, 1);
      b.i(BPF_JMP | BPF_JLT | BPF_K, 9, 0, top, 1 + rng.int(6));
      return;
    }
    default: { // bpf_loop with a callback summing into a stack slot
      b.i(BPF_ST | BPF_MEM | BPF_DW, 10, 0, -16, 0);
      b.i(BPF_ALU64 | BPF_MOV | BPF_K, 1, 0, 0, rng.int(10));
      b.ld64(2, BPF_PSEUDO_FUNC, 'cb', 0n);
      b.i(BPF_ALU64 | BPF_MOV | BPF_X, 3, 10, 0, 0);
      b.i(BPF_ALU64 | BPF_ADD | BPF_K, 3, 0, 0, -16);
      b.i(BPF_ALU64 | BPF_MOV | BPF_K, 4, 0, 0, 0);
      b.i(BPF_JMP | BPF_CALL, 0, 0, 0, 181);
      refill(rng, b);
      b.usesCallback = true;
    }
  }
}

/** A random XDP program: ctx in R6, packet data and end in R7/R8, a body of snippets, an exit. */
export function generateVerifierProgram(rng: Rng, snippets = 12): Insn[] {
  const b = new Builder();
  b.i(BPF_ALU64 | BPF_MOV | BPF_X, 6, 1, 0, 0);
  b.i(BPF_LDX | BPF_MEM | BPF_W, 7, 6, 0, 0);
  b.i(BPF_LDX | BPF_MEM | BPF_W, 8, 6, 4, 0);
  for (const reg of WORK) b.i(BPF_ALU64 | BPF_MOV | BPF_K, reg, 0, 0, rng.imm());
  for (let k = 1 + rng.int(snippets); k > 0; k--) snippet(rng, b, 0);
  b.i(BPF_ALU64 | BPF_AND | BPF_K, 0, 0, 0, 3);
  b.i(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
  if (!b.usesCallback) return b.build();
  b.at('cb');
  b.i(BPF_LDX | BPF_MEM | BPF_DW, 3, 2, 0, 0);
  b.i(BPF_ALU64 | BPF_ADD | BPF_X, 3, 1, 0, 0);
  b.i(BPF_STX | BPF_MEM | BPF_DW, 2, 3, 0, 0);
  b.i(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0);
  b.i(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
  return b.build();
}

/** Flips 1-3 fields of random instructions (opcode, registers, offset, immediate); slots are renumbered. */
export function mutateVerifierProgram(rng: Rng, insns: readonly Insn[]): Insn[] {
  const out = insns.map((i) => ({ ...i }));
  for (let k = 1 + rng.int(3); k > 0; k--) {
    const at = rng.int(out.length);
    const i = out[at] as Insn;
    let m: Insn;
    switch (rng.int(5)) {
      case 0: m = { ...i, code: rng.chance(0.5) ? rng.int(256) : (i.code & ~0x0f) | rng.pick([0, 1, 2, 3, 4, 5, 6, 7]) }; break;
      case 1: m = { ...i, dst: rng.int(rng.chance(0.9) ? 11 : 16) }; break;
      case 2: m = { ...i, src: rng.int(rng.chance(0.9) ? 11 : 16) }; break;
      case 3: m = { ...i, off: rng.chance(0.5) ? i.off + rng.pick([-8, -1, 1, 8]) : (rng.u32() << 16) >> 16 }; break;
      default: m = { ...i, imm: rng.chance(0.5) ? rng.imm() : i.imm + rng.pick([-1, 1, 8]) };
    }
    if (m.code === BPF_LD_IMM64 && m.imm64 === undefined) m = { ...m, imm64: BigInt(m.imm) };
    out[at] = m;
  }
  let slot = 0;
  return out.map((i) => { const r = { ...i, idx: slot }; slot += i.code === BPF_LD_IMM64 ? 2 : 1; return r; });
}

/** The program record for verify(): XDP, GPL, the fuzz maps, func_info for every subprogram start. */
export function fuzzProgram(name: string, insns: readonly Insn[], maps: readonly VerifierMap[] = FUZZ_MAPS): VerifierProgram {
  const starts = new Set([0]);
  for (const i of insns) {
    if ((i.code === (BPF_JMP | BPF_CALL) && i.src === 1) || (i.code === BPF_LD_IMM64 && i.src === BPF_PSEUDO_FUNC)) starts.add(i.idx + i.imm + 1);
  }
  const funcInfo = [...starts].sort((a, b) => a - b).map((insnIdx, k) => ({ insnIdx, typeId: k + 1, linkage: 'static' as const }));
  return { name, insns, progType: B.BPF_PROG_TYPE_XDP, license: 'GPL', maps, funcInfo };
}

/** What verifying one program did. */
export type VerifyOutcome =
  | { readonly kind: 'accepted'; readonly result: VerifierResult; readonly ms: number }
  | { readonly kind: 'rejected'; readonly error: VerifierError; readonly ms: number }
  | { readonly kind: 'crashed'; readonly error: unknown; readonly ms: number };

/** verify() with the complexity limit lowered, timed; any throw but a VerifierError is a crash. */
export function verifyOutcome(prog: VerifierProgram, logLevel: 0 | 1 | 2 = 0, insnLimit = 50_000): VerifyOutcome {
  const t0 = performance.now();
  try {
    const result = verify(prog, { logLevel, insnLimit });
    return { kind: 'accepted', result, ms: performance.now() - t0 };
  } catch (e) {
    const ms = performance.now() - t0;
    return e instanceof VerifierError ? { kind: 'rejected', error: e, ms } : { kind: 'crashed', error: e, ms };
  }
}

/** How an accepted program's run ended. */
export type RunOutcome =
  | { readonly kind: 'ok' }
  /**
   * The instruction budget ran out. Not a fault: 6.18 itself accepts some loops that never end
   * (a loop whose body calls bpf_loop is pruned at the call, whose states converge), as tsbpf does.
   */
  | { readonly kind: 'budget' }
  | { readonly kind: 'fault'; readonly message: string };

/**
 * Runs an accepted program in the interpreter, as BPF_PROG_TEST_RUN would on `packet`, with the
 * fuzz maps created in a fresh runtime.
 */
export function runAccepted(prog: VerifierProgram, result: VerifierResult, packet: Uint8Array): RunOutcome {
  const rt = new Runtime({ clock: new VirtualClock() });
  try {
    const handles = prog.maps.map((m) => rt.createMap({ type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags, name: m.name }));
    let self: LoadedProgram | undefined;
    const table = helperTable(rt, prog.progType, () => self as LoadedProgram);
    checkHelpers(prog.name, prog.insns.filter((i) => !result.deadSlots.includes(i.idx)), table);
    const refs = handles.map((h) => rt.mapRefsOf(h.map));
    // Dead code is never checked: the kernel replaces it with `goto -1` (sanitize_dead_code()).
    const dead = new Set(result.deadSlots);
    const trap = (idx: number): Insn => ({ code: BPF_JMP | BPF_JA, dst: 0, src: 0, off: -1, imm: 0, idx });
    const insns = prog.insns.flatMap((i): Insn[] => {
      if (!dead.has(i.idx)) return [i];
      return i.code === BPF_LD_IMM64 ? [trap(i.idx), trap(i.idx + 1)] : [trap(i.idx)];
    });
    const engine = createEngine('interpreter', insns, {
      memory: rt.memory,
      helpers: (id) => table.get(id),
      resolveLdImm64: (insn) => {
        const ref = refs[insn.imm];
        const byIndex = insn.src === BPF_PSEUDO_MAP_FD || insn.src === BPF_PSEUDO_MAP_IDX;
        if (!byIndex || ref === undefined) throw new RunError(`no map ${insn.imm}`, insn.idx, EINVAL);
        return ref.map.ptr;
      },
      packetOf: (ctx) => rt.packets.get(ctx),
      maxInsns: 2_000_000,
      verified: verifiedProgram(result),
    });
    self = new LoadedProgram(rt, { name: prog.name, type: prog.progType, expectedAttachType: 0, sectionName: 'xdp' }, engine,
      refs.filter((r) => r !== undefined));
    const handle = self.newHandle();
    handle.run({ data: packet });
    return { kind: 'ok' };
  } catch (e) {
    if (isBpfError(e, E2BIG) && /instruction budget/.test(e.message)) return { kind: 'budget' };
    return { kind: 'fault', message: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
  } finally {
    rt.close();
  }
}

/**
 * An assembler for the bpf_conformance (uBPF) text dialect:
 *
 *   mov32 %r0, 0            add %r1, %r2           lddw %r0, 0x123456789
 *   ldxdw %r0, [%r1+8]      stxw [%r10-4], %r1     stb [%r1+2], 0x11
 *   be16 %r0 / le64 / bswap32 (alias swap32)       neg %r0 / neg32
 *   jeq %r1, 0, label / +3  ja label / ja32 label  call 5 / call local f / call %r2
 *   lock add [%r10-8], %r1  lock fetch xor32 ...   lock xchg / lock cmpxchg32
 *   sdiv / smod, movsx864 / movsx1632 (movsx<from><to>), ldxsb / ldxsh / ldxsw, exit
 *   label:                  # comment
 *
 * Extensions beyond the suite, for forms it has no syntax for: `call runtime N` / `call kfunc N`
 * (kfunc), `may_goto target`, `ldabsw imm`, `ldindw %r1, imm`, `ldacqdw %r0, [%r1+0]`,
 * `streldw [%r1+0], %r2`, `addr_space_cast %r0, %r1, dst_as, src_as`.
 * The first `exit` also defines the label `exit` unless the program defines one, as in the suite.
 * Mnemonics come from the opcode table (table.ts); this file only parses operands.
 */
import { InsnError } from '../util/errors.ts';
import type { Insn } from './insn.ts';
import { BPF_LD_IMM64, MAX_BPF_REG } from './opcodes.ts';
import { VARIANTS_BY_MNEMONIC, type OpShape, type OpVariant } from './table.ts';

/** A line the assembler could not read; `line` is 1-based, `text` the line as written. */
export class AsmError extends InsnError {
  readonly line: number;
  readonly text: string;
  constructor(message: string, line: number, text: string) {
    super(`line ${line}: ${message} (in "${text.trim()}")`);
    this.name = 'AsmError';
    this.line = line;
    this.text = text;
  }
}

/** Thrown inside one line; assemble() adds the line number and text. */
class LineError extends Error {}

const NUMBER = /^([+-]?)(0x[0-9a-f]+|\d+)$/i;
const LABEL = /^[A-Za-z_.$][\w.$]*$/;

function parseBig(text: string): { value: bigint; hex: boolean } | undefined {
  const m = NUMBER.exec(text.trim());
  if (!m) return undefined;
  const mag = BigInt(m[2] ?? '0');
  return { value: m[1] === '-' ? -mag : mag, hex: /^0x/i.test(m[2] ?? '') };
}

/** An s32 immediate; hex may also be written as its u32 bit pattern (0xffffffff is -1). */
function parseImm32(text: string): number {
  const n = parseBig(text);
  if (!n) throw new LineError(`Invalid immediate: ${text}`);
  const max = n.hex && n.value >= 0n ? 0xffff_ffffn : 0x7fff_ffffn;
  if (n.value < -0x8000_0000n || n.value > max) throw new LineError(`Immediate out of range: ${text}`);
  return Number(BigInt.asIntN(32, n.value));
}

function parseImm64(text: string): bigint {
  const n = parseBig(text);
  if (!n) throw new LineError(`Invalid immediate: ${text}`);
  if (n.value < -(1n << 63n) || n.value >= 1n << 64n) throw new LineError(`Immediate out of range: ${text}`);
  return BigInt.asUintN(64, n.value);
}

function parseReg(text: string): number {
  const m = /^%r(\d+)$/.exec(text.trim());
  const reg = m ? Number(m[1]) : NaN;
  if (!(reg < MAX_BPF_REG)) throw new LineError(`Invalid register: ${text.trim()}`);
  return reg;
}

function isReg(text: string | undefined): boolean {
  return text !== undefined && text.trim().startsWith('%');
}

/** `[%rN]`, `[%rN+off]` or `[%rN-off]`, off an s16. */
function parseMem(text: string): { reg: number; off: number } {
  const m = /^\[\s*(%r\d+)\s*(?:([+-])\s*(0x[0-9a-f]+|\d+)\s*)?\]$/i.exec(text.trim());
  if (!m) throw new LineError(`Invalid memory operand: ${text.trim()}`);
  const reg = parseReg(m[1] ?? '');
  if (m[2] === undefined) return { reg, off: 0 };
  const off = BigInt(m[3] ?? '0') * (m[2] === '-' ? -1n : 1n);
  if (off < -0x8000n || off > 0x7fffn) throw new LineError(`Offset out of range: ${text.trim()}`);
  return { reg, off: Number(off) };
}

interface Fixup { readonly insnIndex: number; readonly label: string; readonly inImm: boolean; readonly line: number; readonly text: string }

/** A jump target: `+N`/`-N` (a number) or a label to resolve later (a string). */
function parseTarget(text: string): number | string {
  const t = text.trim();
  if (NUMBER.test(t)) {
    const n = parseBig(t);
    if (!n || n.value < -0x8000_0000n || n.value > 0x7fff_ffffn) throw new LineError(`Jump offset out of range: ${t}`);
    return Number(n.value);
  }
  if (!LABEL.test(t)) throw new LineError(`Invalid jump target: ${t}`);
  return t;
}

interface Fields { dst: number; src: number; off: number; imm: number; imm64?: bigint; target?: number | string; targetInImm?: boolean }

function expectCount(mnemonic: string, ops: readonly string[], n: number): void {
  if (ops.length !== n) throw new LineError(`Invalid number of operands for ${mnemonic}`);
}

function op(ops: readonly string[], i: number): string {
  return ops[i] ?? '';
}

/** Parses the operands of one variant into instruction fields. */
function encodeOperands(v: OpVariant, name: string, ops: readonly string[]): Fields {
  const f: Fields = { dst: 0, src: v.src ?? 0, off: v.off ?? 0, imm: v.imm ?? 0 };
  const shape: OpShape = v.shape;
  switch (shape) {
    case 'alu-k': expectCount(name, ops, 2); f.dst = parseReg(op(ops, 0)); f.imm = parseImm32(op(ops, 1)); break;
    case 'alu-x': expectCount(name, ops, 2); f.dst = parseReg(op(ops, 0)); f.src = parseReg(op(ops, 1)); break;
    case 'neg': case 'end': case 'bswap': expectCount(name, ops, 1); f.dst = parseReg(op(ops, 0)); break;
    case 'addr-space-cast': {
      expectCount(name, ops, 4);
      f.dst = parseReg(op(ops, 0)); f.src = parseReg(op(ops, 1));
      f.imm = ((parseImm32(op(ops, 2)) & 0xffff) << 16) | (parseImm32(op(ops, 3)) & 0xffff);
      break;
    }
    case 'ja': case 'may-goto': expectCount(name, ops, 1); f.target = parseTarget(op(ops, 0)); break;
    case 'ja32': expectCount(name, ops, 1); f.target = parseTarget(op(ops, 0)); f.targetInImm = true; break;
    case 'jcc-k': case 'jcc-x':
      expectCount(name, ops, 3);
      f.dst = parseReg(op(ops, 0));
      if (shape === 'jcc-x') f.src = parseReg(op(ops, 1));
      else f.imm = parseImm32(op(ops, 1));
      f.target = parseTarget(op(ops, 2));
      break;
    case 'call-helper': case 'call-kfunc': expectCount(name, ops, 1); f.imm = parseImm32(op(ops, 0)); break;
    case 'call-local': expectCount(name, ops, 1); f.target = parseTarget(op(ops, 0)); f.targetInImm = true; break;
    case 'callx': expectCount(name, ops, 1); f.dst = parseReg(op(ops, 0)); break;
    case 'exit': expectCount(name, ops, 0); break;
    case 'lddw': {
      expectCount(name, ops, 2);
      f.dst = parseReg(op(ops, 0));
      f.imm64 = parseImm64(op(ops, 1));
      f.imm = Number(BigInt.asIntN(32, f.imm64));
      break;
    }
    case 'ld-abs': expectCount(name, ops, 1); f.imm = parseImm32(op(ops, 0)); break;
    case 'ld-ind': expectCount(name, ops, 2); f.src = parseReg(op(ops, 0)); f.imm = parseImm32(op(ops, 1)); break;
    case 'ldx': case 'ldxs': case 'load-acq': {
      expectCount(name, ops, 2);
      f.dst = parseReg(op(ops, 0));
      const m = parseMem(op(ops, 1));
      f.src = m.reg; f.off = m.off;
      break;
    }
    case 'st': {
      expectCount(name, ops, 2);
      const m = parseMem(op(ops, 0));
      f.dst = m.reg; f.off = m.off; f.imm = parseImm32(op(ops, 1));
      break;
    }
    case 'stx': case 'atomic-rmw': case 'atomic-fetch': case 'atomic-xchg': case 'atomic-cmpxchg': case 'store-rel': {
      expectCount(name, ops, 2);
      const m = parseMem(op(ops, 0));
      f.dst = m.reg; f.off = m.off; f.src = parseReg(op(ops, 1));
      break;
    }
    default: {
      const never: never = shape;
      return never;
    }
  }
  return f;
}

/** Picks the variant a mnemonic means, from the form of its operands. */
function pickVariant(variants: readonly OpVariant[], ops: readonly string[]): OpVariant {
  const has = (shape: OpShape): OpVariant | undefined => variants.find((v) => v.shape === shape);
  const first = variants[0];
  if (!first) throw new LineError('Invalid mnemonic');
  switch (first.shape) {
    case 'alu-k': case 'alu-x':
      return (isReg(ops[1]) ? has('alu-x') : has('alu-k')) ?? first;
    case 'jcc-k': case 'jcc-x':
      return (isReg(ops[1]) ? has('jcc-x') : has('jcc-k')) ?? first;
    default:
      return first;
  }
}

/** `call` takes a mode word before its target: helper (default), local, runtime/kfunc, or a register. */
function pickCall(variants: readonly OpVariant[], rest: string): { v: OpVariant; ops: string[] } {
  const words = rest.split(/[\s,]+/).filter((w) => w !== '');
  const mode = words.length === 2 ? words[0] : words.length === 1 && isReg(words[0]) ? 'register' : 'helper';
  const shape: OpShape | undefined = {
    helper: 'call-helper', local: 'call-local', runtime: 'call-kfunc', kfunc: 'call-kfunc', register: 'callx',
  }[mode ?? ''] as OpShape | undefined;
  const v = variants.find((x) => x.shape === shape);
  if (!v) throw new LineError(`Invalid call mode: ${mode ?? ''}`);
  return { v, ops: words.length === 2 ? words.slice(1) : words };
}

function splitOperands(rest: string): string[] {
  return rest.trim() === '' ? [] : rest.split(',').map((s) => s.trim());
}

/**
 * Assembles a program. Jump offsets and `call local` targets count 8-byte slots, so an `lddw`
 * between a jump and its label counts twice, as on the wire.
 *
 * @throws {AsmError} (an InsnError, EINVAL) with the 1-based line and its text: unknown mnemonic,
 *   wrong operand count, invalid register, immediate or offset out of range, unknown or duplicate
 *   label, or an empty program. Works in node / browser.
 */
export function assemble(text: string): Insn[] {
  const out: Insn[] = [];
  const fixups: Fixup[] = [];
  const labels = new Map<string, number>();
  let firstExit: number | undefined;
  let slot = 0;
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const lineNo = i + 1;
    try {
      let line = raw.replace(/#.*$/, '').trim();
      let m: RegExpExecArray | null;
      while ((m = /^([A-Za-z_.$][\w.$]*):\s*/.exec(line))) {
        const name = m[1] ?? '';
        if (labels.has(name)) throw new LineError(`Duplicate label: ${name}`);
        labels.set(name, slot);
        line = line.slice(m[0].length);
      }
      if (line === '') return;
      const mm = /^(\S+)\s*(.*)$/.exec(line);
      let mnemonic = mm?.[1] ?? '';
      let rest = mm?.[2] ?? '';
      if (mnemonic === 'lock') {
        const words = /^(fetch\s+)?([A-Za-z0-9_]+)\s*(.*)$/.exec(rest);
        if (!words) throw new LineError('Invalid number of operands for lock');
        mnemonic = `lock ${words[1] ? 'fetch ' : ''}${words[2] ?? ''}`;
        rest = words[3] ?? '';
        if (splitOperands(rest).length !== 2) throw new LineError('Invalid number of operands for lock');
      }
      const variants = VARIANTS_BY_MNEMONIC.get(mnemonic);
      if (!variants) throw new LineError(`Invalid mnemonic: ${mnemonic}`);
      let v: OpVariant;
      let ops: string[];
      if (variants.some((x) => x.shape === 'call-helper' || x.shape === 'callx')) {
        ({ v, ops } = mnemonic === 'callx' ? { v: variants[0] as OpVariant, ops: splitOperands(rest) } : pickCall(variants, rest));
      } else {
        ops = splitOperands(rest);
        v = pickVariant(variants, ops);
      }
      const f = encodeOperands(v, mnemonic, ops);
      if (v.shape === 'exit' && firstExit === undefined) firstExit = slot;
      if (typeof f.target === 'string') {
        fixups.push({ insnIndex: out.length, label: f.target, inImm: f.targetInImm === true, line: lineNo, text: raw });
      }
      const target = typeof f.target === 'number' ? f.target : 0;
      const off = f.target !== undefined && !f.targetInImm ? target : f.off;
      const imm = f.target !== undefined && f.targetInImm ? target : f.imm;
      if (off < -0x8000 || off > 0x7fff) throw new LineError(`Jump offset out of range: ${off}`);
      const insn: Insn = v.code === BPF_LD_IMM64
        ? { code: v.code, dst: f.dst, src: f.src, off, imm, imm64: f.imm64 ?? 0n, imm2: Number(BigInt.asIntN(32, (f.imm64 ?? 0n) >> 32n)), idx: slot }
        : { code: v.code, dst: f.dst, src: f.src, off, imm, idx: slot };
      out.push(insn);
      slot += v.code === BPF_LD_IMM64 ? 2 : 1;
    } catch (e) {
      if (e instanceof LineError) throw new AsmError(e.message, lineNo, raw);
      throw e;
    }
  });
  if (firstExit !== undefined && !labels.has('exit')) labels.set('exit', firstExit);
  for (const fx of fixups) {
    const at = labels.get(fx.label);
    if (at === undefined) throw new AsmError(`Invalid label: ${fx.label}`, fx.line, fx.text);
    const insn = out[fx.insnIndex] as Insn;
    const rel = at - insn.idx - 1;
    if (!fx.inImm && (rel < -0x8000 || rel > 0x7fff)) throw new AsmError(`Jump offset out of range: ${rel}`, fx.line, fx.text);
    out[fx.insnIndex] = fx.inImm ? { ...insn, imm: rel } : { ...insn, off: rel };
  }
  if (out.length === 0) throw new AsmError('program has no instructions', Math.max(lines.length, 1), '');
  return out;
}

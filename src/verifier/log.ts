/**
 * The verifier log in the kernel's format (kernel/bpf/log.c, v6.18): register states
 * (`R1=ctx() R10=fp0`, `R0=scalar(smin=smin32=0,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff))`),
 * instruction lines with the registers they touched after `;`, source lines from BTF line info.
 *
 * The log is a text buffer with the kernel's positions: at level 1 the log of a path that ended
 * is cut back to where its branch was pushed (pop_stack), and an instruction's state is appended
 * to its line by removing the line's newline (print_insn_state). Both are reproduced byte for
 * byte, quirks included, so our logs read like the kernel's.
 * Also `Reject`, the internal signal that ends verification with an errno and a last message.
 */
import {
  BPF_ATOMIC, BPF_B, BPF_H, BPF_LD, BPF_LD_IMM64, BPF_LDX, BPF_PSEUDO_FUNC, BPF_ST, BPF_STX, BPF_W, disasmInsn, insnClass, insnMode,
  insnSize, type Insn,
} from '../isa/index.ts';
import { S32_MAX, S32_MIN, S64_MAX, S64_MIN, U32_MAX, U64_MAX, hasAddConst, linkId, regTypeStr, type RegState } from './reg.ts';
import { SLOT_TYPE_CHAR, STACK_INVALID, STACK_SPILL, type VerifierState } from './state.ts';
import { tnumIsConst, tnumIsUnknown, tnumStr } from './tnum.ts';
import type { VerifierLineInfo } from './types.ts';

/** Verification stops: errno (positive) and the message that is the log's last line. */
export class Reject extends Error {
  readonly errno: number;
  /** Whether the kernel ends the message with a newline (almost always). */
  readonly newline: boolean;
  constructor(errno: number, message: string, newline = true) {
    super(message);
    this.name = 'Reject';
    this.errno = errno;
    this.newline = newline;
  }
}

/** verbose_unum / verbose_snum: decimal when small, hex otherwise. */
const unum = (n: bigint): string => (n <= 0xffffn ? n.toString() : `0x${n.toString(16)}`);
const snum = (n: bigint): string => {
  const s = BigInt.asIntN(64, n);
  return s >= -0x8000n && s <= 0x7fffn ? s.toString() : `0x${BigInt.asUintN(64, n).toString(16)}`;
};

/** print_scalar_ranges(): equal bounds share one value (`smin=smin32=0`). */
function scalarRanges(r: RegState): string[] {
  // 32-bit signed bounds outside the decimal range are printed as u32 (no sign extension in hex).
  const s32 = (v: bigint): bigint => (v >= -0x8000n && v <= 0x7fffn ? v : BigInt.asUintN(32, v));
  const m = [
    { name: 'smin', val: BigInt.asUintN(64, r.smin), omit: r.smin === S64_MIN },
    { name: 'smax', val: BigInt.asUintN(64, r.smax), omit: r.smax === S64_MAX },
    { name: 'umin', val: r.umin, omit: r.umin === 0n },
    { name: 'umax', val: r.umax, omit: r.umax === U64_MAX },
    { name: 'smin32', val: BigInt.asUintN(64, s32(r.s32min)), omit: r.s32min === S32_MIN },
    { name: 'smax32', val: BigInt.asUintN(64, s32(r.s32max)), omit: r.s32max === S32_MAX },
    { name: 'umin32', val: r.u32min, omit: r.u32min === 0n },
    { name: 'umax32', val: r.u32max, omit: r.u32max === U32_MAX },
  ];
  const out: string[] = [];
  m.forEach((m1, i) => {
    if (m1.omit) return;
    const neg1 = m1.name.startsWith('s') && BigInt.asIntN(64, m1.val) < 0n;
    let names = `${m1.name}=`;
    for (let j = i + 2; j < m.length; j += 2) {
      const m2 = m[j] as (typeof m)[number];
      if (m2.omit || m2.val !== m1.val) continue;
      const neg2 = m2.name.startsWith('s') && BigInt.asIntN(64, m2.val) < 0n;
      if (neg1 !== neg2) continue;
      names += `${m2.name}=`;
      m2.omit = true;
    }
    out.push(names + (m1.name.startsWith('s') ? snum(m1.val) : unum(m1.val)));
  });
  return out;
}

/** print_reg_state(), `P` first for a precise scalar. `frameno` is the frame the register is printed in. */
export function regStr(r: RegState, frameno: number): string {
  if (r.type === 'scalar' && r.precise) return `P${regStrNoMark(r, frameno)}`;
  return regStrNoMark(r, frameno);
}

function regStrNoMark(r: RegState, frameno: number): string {
  if (r.type === 'scalar' && tnumIsConst(r.varOff)) return snum(r.varOff.value);
  let s = regTypeStr(r);
  if (r.type === 'fp') {
    if (r.frameno !== frameno) s += `[${r.frameno}]`;
    if (tnumIsConst(r.varOff)) return s + snum(r.varOff.value + BigInt(r.off));
  }
  if (r.type === 'btf_id') s += r.btfName;
  const parts: string[] = [];
  // A scalar linked with a delta prints it after the id: `id=3+4`.
  if (r.id) parts.push(`id=${linkId(r.id)}${hasAddConst(r.id) ? (r.off < 0 ? String(r.off) : `+${r.off}`) : ''}`);
  if (r.refObjId) parts.push(`ref_obj_id=${r.refObjId}`);
  if ((r.type === 'map_ptr' || r.type === 'map_value' || r.type === 'map_key') && r.map) {
    if (r.map.name) parts.push(`map=${r.map.name}`);
    parts.push(`ks=${r.map.keySize},vs=${r.map.valueSize}`);
  }
  if (r.type !== 'scalar' && r.off) parts.push(`off=${snum(BigInt(r.off))}`);
  if (r.type === 'pkt' || r.type === 'pkt_meta') parts.push(`r=${unum(BigInt.asUintN(64, BigInt(r.range)))}`);
  if (r.type === 'mem') parts.push(`sz=${unum(BigInt(r.range))}`);
  if (r.type === 'dynptr') parts.push(`type=${r.btfName}`);
  if (tnumIsConst(r.varOff)) {
    if (r.varOff.value) parts.push(`imm=${snum(r.varOff.value)}`);
  } else {
    parts.push(...scalarRanges(r));
    if (!tnumIsUnknown(r.varOff)) parts.push(`var_off=${tnumStr(r.varOff)}`);
  }
  return `${s}(${parts.join(',')})`;
}

/** Which registers and stack slots were touched since the last state print (the kernel's scratch marks). */
export interface Scratch {
  regs: number;
  /** Stack slots 0-31 and 32-63 (spi), one bit each. */
  slotsLo: number;
  slotsHi: number;
  /** mark_verifier_state_scratched(): every slot. */
  allSlots: boolean;
}

/** mark_stack_slot_scratched(). */
export function scratchSlot(s: Scratch, spi: number): void {
  if (spi < 32) s.slotsLo |= 1 << spi;
  else s.slotsHi |= 1 << (spi - 32);
}

function slotScratched(s: Scratch, spi: number): boolean {
  return s.allSlots || (spi < 32 ? (s.slotsLo & (1 << spi)) !== 0 : (s.slotsHi & (1 << (spi - 32))) !== 0);
}

/** print_verifier_state(): ` frame1: R1=ctx() R10=fp0 fp-8=mmmmmmmm refs=2 cb` for frame `frameno`. */
export function frameStr(st: VerifierState, frameno: number, scratch?: Scratch): string {
  const f = st.frames[frameno];
  if (!f) return '';
  let s = f.frameno ? ` frame${f.frameno}:` : '';
  f.regs.forEach((r, i) => {
    if (r.type === 'not_init') return;
    if (scratch && !(scratch.regs & (1 << i))) return;
    s += ` R${i}=${regStr(r, f.frameno)}`;
  });
  f.stack.forEach((slot, spi) => {
    if (scratch && !slotScratched(scratch, spi)) return;
    if (slot.slotType.every((t) => t === STACK_INVALID)) return;
    const off = (-spi - 1) * 8;
    if (slot.slotType[7] === STACK_SPILL) {
      // The bytes above a narrow spill print before the spilled register.
      let j = 0;
      while (j < 8 && slot.slotType[j] !== STACK_SPILL) j++;
      const above = slot.slotType.slice(0, j).map((t) => SLOT_TYPE_CHAR[t]).join('');
      s += ` fp${off}=${above}${regStr(slot.spilled, f.frameno)}`;
      return;
    }
    s += ` fp${off}=${slot.slotType.map((t) => SLOT_TYPE_CHAR[t]).join('')}`;
  });
  const refs = st.refs.filter((r) => r.id);
  if (refs.length > 0 && st.refs[0]?.id) s += ` refs=${refs.map((r) => r.id).join(',')}`;
  if (f.callback === 'sync') s += ' cb';
  if (f.callback === 'async') s += ' async_cb';
  return s;
}

/** vlog_alignment(): the padding before the `;` that starts an instruction's state. */
function vlogAlignment(pos: number): number {
  return Math.ceil(Math.max(pos + 4, 40) / 8) * 8 - pos - 1;
}

/**
 * print_bpf_insn() as root sees it: a callback's address prints as the ld_imm64's immediate
 * (`r2 = 0x9`). A map's address cannot be reproduced; it prints as `map[id:N]`.
 */
export function insnText(insn: Insn): string {
  if (insn.code === BPF_LD_IMM64 && insn.src === BPF_PSEUDO_FUNC) {
    const v = (BigInt.asUintN(32, BigInt(insn.imm2 ?? 0)) << 32n) | BigInt.asUintN(32, BigInt(insn.imm));
    return `r${insn.dst} = 0x${v.toString(16)}`;
  }
  return disasmInsn(insn);
}

/** The opcode's hex, as print_bpf_insn() prints it in parentheses. */
const hex2 = (code: number): string => code.toString(16).padStart(2, '0');

/** print_bpf_insn()'s names of a load or store its disassembler does not know, by class. */
const BUG_LDST: ReadonlyMap<number, string> = new Map([[BPF_STX, 'BUG_'], [BPF_ST, 'BUG_st_'], [BPF_LDX, 'BUG_ldx_'], [BPF_LD, 'BUG_ld_']]);

/**
 * An instruction's log text after `idx: `: `(code) text`, except that print_bpf_insn() prints an
 * unknown load or store (an atomic with an invalid imm reaches check_atomic()) as a bare `BUG_db`,
 * without the opcode in parentheses.
 */
export function insnCodeText(insn: Insn): string {
  const text = insnText(insn);
  const bug = BUG_LDST.get(insnClass(insn.code));
  if (bug === undefined || !text.startsWith('BUG_')) return `(${hex2(insn.code)}) ${text}`;
  if (insnClass(insn.code) === BPF_STX && insnMode(insn.code) === BPF_ATOMIC) {
    // print_bpf_insn() names an atomic by its imm alone: a read-modify-write of a byte or a half
    // word (refused later for its size) prints as the 32-bit form does, with its own size.
    const size = insnSize(insn.code);
    const sized = size === BPF_B ? 'u8' : size === BPF_H ? 'u16' : undefined;
    const asW = sized !== undefined ? disasmInsn({ ...insn, code: (insn.code & ~0x18) | BPF_W }) : text;
    if (sized !== undefined && !asW.startsWith('BUG_')) return `(${hex2(insn.code)}) ${asW.replace('(u32 *)', `(${sized} *)`)}`;
  }
  return `${bug}${hex2(insn.code)}`;
}

/** A rope made flat (one allocation) so its pieces can be freed. */
function flatten(s: string): string {
  void s.charCodeAt(0);
  return s;
}

/** Bytes of log kept; older text is dropped like the kernel's rotating log. */
const DEFAULT_LOG_CAP = 16 << 20;

/** The log text with the kernel's positions, resets and print_insn_state() behaviour. */
export class VerifierLog {
  readonly level: number;
  /** The text, as appended pieces (cheap to append and to cut back at the end). */
  private readonly parts: string[] = [];
  /** Absolute position of parts[0]'s first character, and of the end. */
  private start = 0;
  private end = 0;
  private readonly cap: number;
  /** env->prev_log_pos and env->prev_insn_print_pos. */
  private prevLogPos = 0;
  private prevInsnPrintPos = 0;
  private prevLinfo = -1;
  private readonly lineInfo: readonly VerifierLineInfo[];
  /** Each instruction's line, disassembled once (loops print the same instructions many times). */
  private readonly insnText: string[] = [];
  /** The instruction line just printed, kept apart (with its newline implied) until more text comes. */
  private pending: string | undefined;

  constructor(level: number, lineInfo: readonly VerifierLineInfo[] = [], cap = DEFAULT_LOG_CAP) {
    this.level = level;
    this.lineInfo = [...lineInfo].sort((a, b) => a.insnIdx - b.insnIdx);
    this.cap = cap;
  }

  get enabled(): boolean {
    return this.level > 0;
  }

  /** The absolute end position (log->end_pos). */
  get pos(): number {
    return this.pending === undefined ? this.end : this.end + this.pending.length + 1;
  }

  /** The log as lines (the text split at newlines, without the empty tail). */
  get lines(): string[] {
    this.flush();
    const out = this.parts.join('').split('\n');
    if (out[out.length - 1] === '') out.pop();
    return out;
  }

  /** verbose(): raw text. */
  write(text: string): void {
    if (this.level === 0 || text === '') return;
    this.flush();
    // Small pieces are joined into chunks of about 64 KiB, flattened, so a long log is a few
    // large strings rather than millions of small ones.
    const last = this.parts.length - 1;
    if (last >= 0 && (this.parts[last] as string).length < 65536) {
      const joined = (this.parts[last] as string) + text;
      this.parts[last] = joined.length >= 65536 ? flatten(joined) : joined;
    } else {
      this.parts.push(text);
    }
    this.end += text.length;
    // Like the kernel's rotating log, keep only the most recent text once it grows past the cap.
    if (this.end - this.start > 2 * this.cap) {
      let k = 0;
      while (this.end - this.start > this.cap && k < this.parts.length - 1) this.start += (this.parts[k++] as string).length;
      this.parts.splice(0, k);
    }
  }

  /** One full line. */
  print(line: string): void {
    this.write(`${line}\n`);
  }

  /** bpf_vlog_reset(): cut the log back to an earlier position. */
  reset(pos: number): void {
    this.flush();
    if (this.level === 0 || pos >= this.end) return;
    if (pos <= this.start) { this.parts.length = 0; this.start = this.end = pos; return; }
    while (this.end > pos) {
      const last = this.parts.pop() as string;
      this.end -= last.length;
      if (this.end < pos) { this.parts.push(last.slice(0, pos - this.end)); this.end = pos; }
    }
  }

  /** verbose_linfo(): `; <source line>` when the instruction starts a new line record. */
  private linfo(insnIdx: number): void {
    if (this.lineInfo.length === 0) return;
    let k = -1;
    for (let i = 0; i < this.lineInfo.length && (this.lineInfo[i] as VerifierLineInfo).insnIdx <= insnIdx; i++) k = i;
    if (k < 0 || k === this.prevLinfo) return;
    this.prevLinfo = k;
    const li = this.lineInfo[k] as VerifierLineInfo;
    const file = li.fileName.split('/').pop() ?? li.fileName;
    this.print(`; ${li.line.trimStart()} @ ${file}:${li.lineNum}`);
  }

  /** `5: (bf) r1 = r6`, preceded by its source line. */
  insn(insn: Insn, text?: string): void {
    if (this.level === 0) return;
    this.linfo(insn.idx);
    this.flush();
    const start = this.pos;
    let line = text === undefined ? this.insnText[insn.idx] : undefined;
    if (line === undefined) {
      line = `${insn.idx}: ${text !== undefined ? `(${hex2(insn.code)}) ${text}` : insnCodeText(insn)}`;
      if (text === undefined) this.insnText[insn.idx] = line;
    }
    this.pending = line;
    this.prevInsnPrintPos = this.pos - start;
    this.prevLogPos = this.pos;
  }

  private flush(): void {
    if (this.pending === undefined) return;
    const line = this.pending;
    this.pending = undefined;
    this.write(`${line}\n`);
  }

  /**
   * print_insn_state(): appended to the instruction line just printed (` ; R0=1`), or on its own
   * line (`9: R0=...`) when something was printed since.
   */
  insnState(insnIdx: number, state: string): void {
    if (this.level === 0) return;
    if (this.prevLogPos && this.prevLogPos === this.pos) {
      // Appended to the instruction line in place of its newline.
      if (this.pending !== undefined) {
        this.pending += `${' '.repeat(vlogAlignment(this.prevInsnPrintPos))};${state}`;
        this.flush();
        return;
      }
      this.reset(this.prevLogPos - 1);
      this.write(`${' '.repeat(vlogAlignment(this.prevInsnPrintPos))};`);
    } else {
      this.write(`${insnIdx}:`);
    }
    this.print(state);
  }
}

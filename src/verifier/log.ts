/**
 * The verifier log in the kernel's format (kernel/bpf/log.c, v6.18): register states
 * (`R1=ctx() R10=fp0`, `R0=scalar(smin=smin32=0,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff))`),
 * instruction lines with the registers they touched after `;`, source lines from BTF line info.
 * Also `Reject`, the internal signal that ends verification with an errno and a last message.
 */
import { disasmInsn, type Insn } from '../isa/index.ts';
import { S32_MAX, S32_MIN, S64_MAX, S64_MIN, U32_MAX, U64_MAX, regTypeStr, type RegState } from './reg.ts';
import { SLOT_TYPE_CHAR, STACK_SPILL, type FuncState } from './state.ts';
import { tnumIsConst, tnumIsUnknown, tnumStr } from './tnum.ts';
import type { VerifierLineInfo } from './types.ts';

/** Verification stops: errno (positive) and the message that is the log's last line. */
export class Reject extends Error {
  readonly errno: number;
  constructor(errno: number, message: string) {
    super(message);
    this.name = 'Reject';
    this.errno = errno;
  }
}

const unum = (n: bigint): string => (n <= 0xffffn ? n.toString() : `0x${n.toString(16)}`);
const snum = (n: bigint): string => {
  const s = BigInt.asIntN(64, n);
  return s >= -0x8000n && s <= 0x7fffn ? s.toString() : `0x${BigInt.asUintN(64, n).toString(16)}`;
};

function scalarRanges(r: RegState): string[] {
  const m = [
    { name: 'smin', val: r.smin, omit: r.smin === S64_MIN },
    { name: 'smax', val: r.smax, omit: r.smax === S64_MAX },
    { name: 'umin', val: r.umin, omit: r.umin === 0n },
    { name: 'umax', val: r.umax, omit: r.umax === U64_MAX },
    { name: 'smin32', val: r.s32min, omit: r.s32min === S32_MIN },
    { name: 'smax32', val: r.s32max, omit: r.s32max === S32_MAX },
    { name: 'umin32', val: r.u32min, omit: r.u32min === 0n },
    { name: 'umax32', val: r.u32max, omit: r.u32max === U32_MAX },
  ];
  const out: string[] = [];
  m.forEach((m1, i) => {
    if (m1.omit) return;
    const neg1 = m1.name.startsWith('s') && m1.val < 0n;
    let names = `${m1.name}=`;
    for (let j = i + 2; j < m.length; j += 2) {
      const m2 = m[j] as (typeof m)[number];
      if (m2.omit) continue;
      const neg2 = m2.name.startsWith('s') && m2.val < 0n;
      if (neg1 !== neg2 || BigInt.asUintN(64, m1.val) !== BigInt.asUintN(64, m2.val)) continue;
      names += `${m2.name}=`;
      m2.omit = true;
    }
    out.push(names + (m1.name.startsWith('s') ? snum(m1.val) : unum(m1.val)));
  });
  return out;
}

/** print_reg_state(). */
export function regStr(r: RegState, frameno: number): string {
  if (r.type === 'scalar' && tnumIsConst(r.varOff)) return snum(r.varOff.value);
  let s = regTypeStr(r);
  if (r.type === 'fp') {
    if (r.frameno !== frameno) s += `[${r.frameno}]`;
    if (tnumIsConst(r.varOff)) return s + snum(r.varOff.value + BigInt(r.off));
  }
  const parts: string[] = [];
  if (r.id) parts.push(`id=${r.id}`);
  if (r.refObjId) parts.push(`ref_obj_id=${r.refObjId}`);
  if ((r.type === 'map_ptr' || r.type === 'map_value' || r.type === 'map_key') && r.map) {
    if (r.map.name) parts.push(`map=${r.map.name}`);
    parts.push(`ks=${r.map.keySize},vs=${r.map.valueSize}`);
  }
  if (r.type !== 'scalar' && r.off) parts.push(`off=${snum(BigInt(r.off))}`);
  if (r.type === 'pkt' || r.type === 'pkt_meta' || r.type === 'pkt_end') parts.push(`r=${unum(BigInt(r.range))}`);
  if (r.type === 'mem') parts.push(`sz=${unum(BigInt(r.range))}`);
  if (tnumIsConst(r.varOff)) {
    if (r.varOff.value) parts.push(`imm=${snum(r.varOff.value)}`);
  } else {
    parts.push(...scalarRanges(r));
    if (!tnumIsUnknown(r.varOff)) parts.push(`var_off=${tnumStr(r.varOff)}`);
  }
  return `${s}(${parts.join(',')})`;
}

/** Which registers and stack slots an instruction touched (the kernel's scratch marks). */
export interface Scratch {
  regs: number;
  slots: Set<number>;
}

/** print_verifier_state(): ` frame1: R1=ctx() R10=fp0 fp-8=mmmmmmmm`. */
export function frameStr(f: FuncState, scratch?: Scratch): string {
  let s = f.frameno ? ` frame${f.frameno}:` : '';
  f.regs.forEach((r, i) => {
    if (r.type === 'not_init') return;
    if (scratch && !(scratch.regs & (1 << i))) return;
    s += ` R${i}=${regStr(r, f.frameno)}`;
  });
  f.stack.forEach((slot, spi) => {
    if (scratch && !scratch.slots.has(spi)) return;
    const off = (-spi - 1) * 8;
    if (slot.slotType[7] === STACK_SPILL) {
      s += ` fp${off}=${regStr(slot.spilled, f.frameno)}`;
      return;
    }
    const types = slot.slotType.map((t) => SLOT_TYPE_CHAR[t]).join('');
    if (types !== '????????') s += ` fp${off}=${types}`;
  });
  if (f.callback === 'sync') s += ' cb';
  if (f.callback === 'async') s += ' async_cb';
  return s;
}

/** The column the kernel aligns `;` to after an instruction (vlog_alignment). */
function alignTo(pos: number): number {
  const want = Math.max(pos + 4, 40);
  return Math.ceil(want / 8) * 8 - pos - 1;
}

export class VerifierLog {
  readonly level: number;
  readonly lines: string[] = [];
  private lastLine = -1;
  private readonly lineInfo: readonly VerifierLineInfo[];

  constructor(level: number, lineInfo: readonly VerifierLineInfo[] = []) {
    this.level = level;
    this.lineInfo = [...lineInfo].sort((a, b) => a.insnIdx - b.insnIdx);
  }

  get enabled(): boolean {
    return this.level > 0;
  }

  print(line: string): void {
    if (this.level > 0) this.lines.push(line);
  }

  /** verbose_linfo(): `; source @ file:line` when the instruction starts a new line record. */
  linfo(insnIdx: number): void {
    if (this.level === 0 || this.lineInfo.length === 0) return;
    let k = -1;
    for (let i = 0; i < this.lineInfo.length && (this.lineInfo[i] as VerifierLineInfo).insnIdx <= insnIdx; i++) k = i;
    if (k < 0 || k === this.lastLine) return;
    const li = this.lineInfo[k] as VerifierLineInfo;
    if (li.insnIdx !== insnIdx) return;
    this.lastLine = k;
    const file = li.fileName.split('/').pop() ?? li.fileName;
    this.print(`; ${li.line.trimStart()} @ ${file}:${li.lineNum}`);
  }

  /** `5: (bf) r1 = r6`. */
  insn(insn: Insn, text?: string): void {
    if (this.level === 0) return;
    this.linfo(insn.idx);
    this.print(`${insn.idx}: (${insn.code.toString(16).padStart(2, '0')}) ${text ?? disasmInsn(insn)}`);
  }

  /** Appends ` ; R0=1` to the last instruction line (print_insn_state). */
  insnState(text: string): void {
    if (this.level === 0 || text === '' || this.lines.length === 0) return;
    const last = this.lines[this.lines.length - 1] as string;
    this.lines[this.lines.length - 1] = `${last}${' '.repeat(alignTo(last.length))};${text}`;
  }
}

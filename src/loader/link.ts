/**
 * Linking a program: the main function, then every subprogram it reaches (calls and callback
 * addresses, recursively, depth first), each appended once per program with its calls re-aimed,
 * as libbpf's bpf_object__reloc_code() / bpf_object__append_subprog_code() do. Each program gets
 * its own copy of a shared subprogram. The other relocations become typed references and the
 * ld_imm64 / call instructions get the pseudo source kinds libbpf gives them; the runtime fills
 * in map indices at load. func_info and line_info follow the code (adjust_prog_btf_ext_info()).
 * Works in node / browser.
 */
import type { BtfExt } from '../btf/index.ts';
import {
  BPF_CALL, BPF_JMP, BPF_LD_IMM64, BPF_PSEUDO_BTF_ID, BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC, BPF_PSEUDO_KFUNC_CALL,
  BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_VALUE, INSN_SIZE, type Insn,
} from '../isa/index.ts';
import { LoaderError } from './errors.ts';
import { funcAt, type Func, type FuncTable } from './programs.ts';
import type { ExternSpec, ProgramSpec, Reference } from './spec.ts';

/** The linked form of one program. */
export type LinkedCode = Pick<ProgramSpec, 'insns' | 'references' | 'functions' | 'funcInfo' | 'lineInfo'>;

/** Where each placed function starts, in slots and in array positions of the linked program. */
interface Placed {
  readonly slot: number;
  readonly pos: number;
}

/**
 * Links `main` with the subprograms it reaches.
 * @throws {LoaderError} for a call or callback address that leads to no function, or to the middle
 * of one, naming the program, the instruction and the symbol.
 */
export function linkProgram(main: Func, funcs: FuncTable, textIndex: number | undefined, externs: ReadonlyMap<string, ExternSpec>, ext: BtfExt | undefined): LinkedCode {
  const insns: Insn[] = [];
  const references = new Map<number, Reference>();
  const placed = new Map<Func, Placed>();
  const order: Func[] = [];
  let slots = 0;

  const append = (fn: Func): Placed => {
    const at: Placed = { slot: slots, pos: insns.length };
    placed.set(fn, at);
    order.push(fn);
    for (const insn of fn.insns) insns.push({ ...insn, idx: insn.idx + at.slot });
    slots += fn.slots;
    relocCode(fn, at);
    return at;
  };

  const relocCode = (fn: Func, at: Placed): void => {
    fn.insns.forEach((insn, i) => {
      const relo = fn.relos.get(insn.idx);
      const isCall = insn.code === (BPF_JMP | BPF_CALL) && insn.src === BPF_PSEUDO_CALL;
      const isFuncAddr = insn.code === BPF_LD_IMM64 && relo?.type === 'subprogAddr';
      if ((!isCall && !isFuncAddr) || relo?.type === 'externCall') return;
      const where = { prog: main.name, insnIdx: at.slot + insn.idx, symbol: relo?.symbol ?? '' };
      if (relo !== undefined && relo.type !== 'call' && relo.type !== 'subprogAddr') {
        throw new LoaderError(`prog '${main.name}': unexpected relo for insn #${at.slot + insn.idx} (in '${fn.name}'), against '${relo.symbol}'`, where);
      }
      let secIdx: number, target: number;
      if (relo?.type === 'call') {
        secIdx = textIndex ?? -1;
        target = relo.symOff / INSN_SIZE + insn.imm + 1;
      } else if (relo?.type === 'subprogAddr') {
        secIdx = textIndex ?? -1;
        target = (relo.symOff + insn.imm) / INSN_SIZE;
      } else {
        // A call without relocation stays inside its own section: imm is relative to the call.
        secIdx = fn.section.index;
        target = fn.secInsnOff + insn.idx + insn.imm + 1;
      }
      const callee = funcAt(funcs, secIdx, target);
      const label = relo?.symbol ?? `${fn.section.name}+${target * INSN_SIZE}`;
      if (callee === undefined) {
        throw new LoaderError(`prog '${main.name}': insn #${at.slot + insn.idx} (in '${fn.name}') ${isCall ? 'calls' : 'takes the address of'} '${label}', which is no function of '.text' (insn ${target})`, where);
      }
      if (callee.secInsnOff !== target) {
        throw new LoaderError(`prog '${main.name}': insn #${at.slot + insn.idx} (in '${fn.name}') targets insn ${target - callee.secInsnOff} inside '${callee.name}', not its start`, { ...where, symbol: callee.name });
      }
      if (!callee.isSubprog) {
        throw new LoaderError(`prog '${main.name}': insn #${at.slot + insn.idx} (in '${fn.name}') targets '${callee.name}', a program, not a subprogram`, { ...where, symbol: callee.name });
      }
      const dest = placed.get(callee) ?? append(callee);
      const pos = at.pos + i;
      const imm = dest.slot - (at.slot + insn.idx) - 1;
      const cur = insns[pos]!;
      insns[pos] = isFuncAddr ? { ...cur, src: BPF_PSEUDO_FUNC, imm, imm2: 0, imm64: BigInt.asUintN(32, BigInt(imm)) } : { ...cur, imm };
      references.set(pos, { kind: 'func', name: callee.name, callback: isFuncAddr, targetIdx: dest.slot });
    });
  };

  append(main);

  // Data references, once the code is in place (libbpf's bpf_object__relocate_data()).
  for (const fn of order) {
    const at = placed.get(fn)!;
    fn.insns.forEach((orig, i) => {
      const pos = at.pos + i;
      const cur = insns[pos]!;
      const failure = fn.coreFailures.get(orig.idx);
      if (failure !== undefined) references.set(pos, { kind: 'coreFailure', relo: failure.relo, reason: failure.reason });
      const relo = fn.relos.get(orig.idx);
      if (relo === undefined) return;
      switch (relo.type) {
        case 'call': case 'subprogAddr': return;
        case 'map':
          insns[pos] = ldImm(cur, BPF_PSEUDO_MAP_FD, 0);
          references.set(pos, { kind: 'map', map: relo.map });
          return;
        case 'data': {
          const offset = relo.symOff + orig.imm;
          insns[pos] = ldImm(cur, BPF_PSEUDO_MAP_VALUE, offset);
          references.set(pos, { kind: 'mapValue', map: relo.map, offset });
          return;
        }
        case 'externCall': case 'externLd': {
          const e = externs.get(relo.extern);
          if (e === undefined) throw new LoaderError(`prog '${main.name}': extern '${relo.extern}' is not declared`, { prog: main.name, insnIdx: cur.idx, symbol: relo.extern });
          if (relo.type === 'externCall') {
            if (e.kind !== 'kfunc') throw new LoaderError(`prog '${main.name}': insn #${cur.idx} calls extern '${e.name}', which is not a kfunc`, { prog: main.name, insnIdx: cur.idx, symbol: e.name });
            insns[pos] = { ...cur, src: BPF_PSEUDO_KFUNC_CALL, imm: 0 };
            references.set(pos, { kind: 'kfunc', name: e.name, weak: e.weak });
          } else if (e.kind === 'kconfig' && e.kconfig !== undefined) {
            insns[pos] = ldImm(cur, BPF_PSEUDO_MAP_VALUE, e.kconfig.offset);
            references.set(pos, { kind: 'kconfig', name: e.name, map: '.kconfig', offset: e.kconfig.offset });
          } else if (e.kind === 'ksym') {
            insns[pos] = ldImm(cur, BPF_PSEUDO_BTF_ID, 0);
            references.set(pos, { kind: 'ksym', name: e.name, weak: e.weak });
          } else {
            throw new LoaderError(`prog '${main.name}': insn #${cur.idx} loads the address of kfunc '${e.name}'`, { prog: main.name, insnIdx: cur.idx, symbol: e.name });
          }
          return;
        }
      }
    });
  }

  const functions = new Map<number, string>();
  for (const fn of order) functions.set(placed.get(fn)!.slot, fn.name);
  return { insns, references, functions, ...btfExtFor(order, placed, ext) };
}

/** An ld_imm64 with a pseudo source, imm 0 (filled at load) and the second imm. */
function ldImm(insn: Insn, src: number, imm2: number): Insn {
  return { ...insn, src, imm: 0, imm2, imm64: BigInt.asUintN(64, BigInt(imm2) << 32n) };
}

/** func_info and line_info of each placed function, moved to its place in the linked program. */
function btfExtFor(order: readonly Func[], placed: ReadonlyMap<Func, Placed>, ext: BtfExt | undefined): Pick<ProgramSpec, 'funcInfo' | 'lineInfo'> {
  const funcInfo: ProgramSpec['funcInfo'] = [];
  const lineInfo: ProgramSpec['lineInfo'] = [];
  if (ext === undefined) return { funcInfo, lineInfo };
  for (const fn of order) {
    const base = placed.get(fn)!.slot;
    const inFn = (idx: number): boolean => idx >= fn.secInsnOff && idx < fn.secInsnOff + fn.slots;
    for (const r of ext.funcInfo.find((s) => s.section === fn.section.name)?.records ?? []) {
      if (inFn(r.insnIdx)) funcInfo.push({ insnIdx: r.insnIdx - fn.secInsnOff + base, typeId: r.typeId });
    }
    for (const r of ext.lineInfo.find((s) => s.section === fn.section.name)?.records ?? []) {
      if (inFn(r.insnIdx)) lineInfo.push({ insnIdx: r.insnIdx - fn.secInsnOff + base, fileName: r.fileName, line: r.line, lineNum: r.lineNum, lineCol: r.lineCol });
    }
  }
  return { funcInfo, lineInfo };
}

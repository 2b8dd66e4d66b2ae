/**
 * CO-RE relocations applied against the object's own BTF (the only BTF a userspace runtime has):
 * libbpf's bpf_object__relocate_core() with local == target. The value is computed by btf/'s
 * coreReloValue() and patched into the instruction as bpf_core_patch_insn() does (the imm of an
 * ALU op, the off of a load or store, the 64-bit constant of ld_imm64). A relocation that cannot
 * be computed poisons its instruction like libbpf (a call to helper 0xbad2310), so the program
 * fails verification only if that instruction is reachable. Works in node / browser.
 */
import type { Btf, BtfExt } from '../btf/index.ts';
import { coreReloValue } from '../btf/index.ts';
import type { ElfFile } from '../elf/index.ts';
import type { Insn } from '../isa/index.ts';
import { BPF_ALU, BPF_ALU64, BPF_CALL, BPF_JMP, BPF_K, BPF_LD_IMM64, BPF_LDX, BPF_ST, BPF_STX, insnClass, insnSrcBit } from '../isa/index.ts';
import { isBpfError } from '../util/errors.ts';
import { LoaderError } from './errors.ts';
import { funcAt, type FuncTable } from './programs.ts';

/** The helper id libbpf writes into a poisoned instruction (0xbad2310). */
export const POISON_CALL_IMM = 0xbad2310;

/** bpf_core_patch_insn(): `value` into the field the instruction class uses, or why it cannot be. */
function patch(insn: Insn, value: bigint): Insn | string {
  const cls = insnClass(insn.code);
  if (insn.code === BPF_LD_IMM64) {
    const v = BigInt.asUintN(64, value);
    return { ...insn, imm: Number(BigInt.asIntN(32, v)), imm2: Number(BigInt.asIntN(32, v >> 32n)), imm64: v };
  }
  if (cls === BPF_ALU || cls === BPF_ALU64) {
    if (insnSrcBit(insn.code) !== BPF_K) return 'ALU instruction does not use an immediate';
    if (value > 0xffffffffn || value < -0x80000000n) return `value ${value} does not fit the 32-bit imm`;
    return { ...insn, imm: Number(BigInt.asIntN(32, value)) };
  }
  if (cls === BPF_LDX || cls === BPF_ST || cls === BPF_STX) {
    if (value > 0x7fffn || value < -0x8000n) return `offset ${value} does not fit the 16-bit off`;
    return { ...insn, off: Number(value) };
  }
  return `instruction class 0x${cls.toString(16)} cannot be relocated`;
}

/**
 * Applies every CO-RE relocation of `.BTF.ext` to the decoded functions in place.
 * @throws {LoaderError} EINVAL for a relocation of a section without code or of the second slot
 * of an ld_imm64.
 */
export function applyCoreRelos(elf: ElfFile, btf: Btf, ext: BtfExt, funcs: FuncTable): void {
  for (const block of ext.coreRelos) {
    const section = elf.sectionByName(block.section);
    if (section === undefined || !funcs.has(section.index)) {
      throw new LoaderError(`CO-RE relocations for section '${block.section}', which has no programs`, { section: block.section });
    }
    block.records.forEach((relo, i) => {
      const fn = funcAt(funcs, section.index, relo.insnIdx);
      if (fn === undefined) return; // libbpf: belongs to an eliminated weak subprogram
      const slot = relo.insnIdx - fn.secInsnOff;
      const at = fn.insns.findIndex((x) => x.idx === slot);
      const where = { prog: fn.name, section: block.section, insnIdx: slot };
      if (at === -1) throw new LoaderError(`prog '${fn.name}': relo #${i}: insn #${slot} is the second half of an ld_imm64`, where);
      const insn = fn.insns[at]!;
      let result: Insn | string;
      try {
        result = patch(insn, coreReloValue(btf, relo));
      } catch (e) {
        // coreReloValue throws BtfError for what local BTF cannot answer; anything else is our bug.
        if (!isBpfError(e)) throw e;
        result = e.message;
      }
      if (typeof result !== 'string') {
        fn.insns[at] = result;
        return;
      }
      fn.coreFailures.set(slot, { relo, reason: `prog '${fn.name}': relo #${i}: insn #${slot}: ${result}` });
      if (insn.code !== BPF_LD_IMM64) fn.insns[at] = { code: BPF_JMP | BPF_CALL, dst: 0, src: 0, off: 0, imm: POISON_CALL_IMM, idx: insn.idx };
    });
  }
}

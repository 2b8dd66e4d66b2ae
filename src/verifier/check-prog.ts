/**
 * Whole-program checks before the path walk, kernel/bpf/verifier.c (v6.18): func_info against
 * the subprogram layout (check_btf_func()), and the maps ld_imm64 instructions name
 * (resolve_pseudo_ldimm64(), check_map_prog_compatibility()).
 */
import {
  BPF_CALL, BPF_JMP, BPF_LD_IMM64, BPF_LDX, BPF_MEM, BPF_MEMSX, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE,
  BPF_PSEUDO_MAP_VALUE, BPF_X, insnClass, insnMode, opcodeInfo,
} from '../isa/index.ts';
import {
  BPF_MAP_TYPE_ARRAY, BPF_PROG_TYPE_KPROBE, BPF_PROG_TYPE_PERF_EVENT, BPF_PROG_TYPE_RAW_TRACEPOINT,
  BPF_PROG_TYPE_SOCKET_FILTER, BPF_PROG_TYPE_TRACEPOINT,
} from '../uapi/bpf.ts';
import { EINVAL, ENOTSUPP, EPROTO } from '../uapi/errno.ts';
import type { Env } from './env.ts';
import * as msg from './messages.ts';

/** check_btf_func(): one func_info record per subprogram, at its first instruction. */
export function checkFuncInfo(env: Env): void {
  const info = env.prog.funcInfo;
  if (!info || info.length === 0) return;
  const starts = env.cfg.subprogStarts;
  if (info.length !== starts.length) env.reject(EINVAL, msg.funcInfoCount());
  info.forEach((r, k) => { if (r.insnIdx !== starts[k]) env.reject(EINVAL, msg.funcInfoLayout()); });
}

const TRACING = new Set([BPF_PROG_TYPE_KPROBE, BPF_PROG_TYPE_TRACEPOINT, BPF_PROG_TYPE_PERF_EVENT, BPF_PROG_TYPE_RAW_TRACEPOINT]);

/**
 * resolve_pseudo_ldimm64(): every opcode is one of the ISA's and LDX has no reserved bits set;
 * every map an ld_imm64 names exists, may be used by this program type
 * (spin locks are not for socket filters and tracing programs), and a direct value address is
 * inside an array map's only value.
 */
export function resolveLdImm64(env: Env): void {
  for (const insn of env.prog.insns) {
    env.insnIdx = insn.idx;
    if (insnClass(insn.code) === BPF_LDX && ((insnMode(insn.code) !== BPF_MEM && insnMode(insn.code) !== BPF_MEMSX) || insn.imm !== 0)) {
      env.reject(EINVAL, msg.reservedFieldsOf('BPF_LDX'));
    }
    if (insn.code !== BPF_LD_IMM64) {
      // bpf_opcode_in_insntable(): the basic sanity check.
      // (callx, JMP|CALL|X, is in tsbpf's opcode table for the assembler only.)
      if (opcodeInfo(insn.code) === undefined || insn.code === (BPF_JMP | BPF_CALL | BPF_X)) env.reject(EINVAL, msg.unknownOpcode(insn.code));
      continue;
    }
    if (insn.src > BPF_PSEUDO_MAP_IDX_VALUE) env.reject(EINVAL, msg.unrecognizedLdImm64());
    const direct = insn.src === BPF_PSEUDO_MAP_VALUE || insn.src === BPF_PSEUDO_MAP_IDX_VALUE;
    if (!direct && insn.src !== BPF_PSEUDO_MAP_FD && insn.src !== BPF_PSEUDO_MAP_IDX) continue;
    env.insnIdx = insn.idx;
    // The index forms read their fd from the fd_array before any map is looked at.
    const byIndex = insn.src === BPF_PSEUDO_MAP_IDX || insn.src === BPF_PSEUDO_MAP_IDX_VALUE;
    if (byIndex && env.prog.fdArray !== true) env.reject(EPROTO, msg.fdIdxWithoutFdArray());
    const ref = env.mapRef(insn);
    if (!ref) env.reject(EINVAL, msg.fdNotMap(insn.imm));
    const map = ref.map;
    if (direct) {
      const off = ref.valueOffset ?? 0;
      if (map.type !== BPF_MAP_TYPE_ARRAY) env.reject(EINVAL, msg.noDirectValueAccess());
      if (map.maxEntries !== 1) env.reject(ENOTSUPP, msg.directValueUnsupported(map.valueSize, off));
      if (off >= map.valueSize) env.reject(EINVAL, msg.directValueUnsupported(map.valueSize, off));
    }
    if ((map.record?.spinLockOff ?? -1) >= 0) {
      if (env.prog.progType === BPF_PROG_TYPE_SOCKET_FILTER) env.reject(EINVAL, msg.socketSpinLock());
      if (TRACING.has(env.prog.progType)) env.reject(EINVAL, msg.tracingSpinLock());
    }
    // B66: naming a map whose value holds a timer is enough to refuse a tracing program.
    if ((map.record?.timerOff ?? -1) >= 0 && TRACING.has(env.prog.progType)) env.reject(EINVAL, msg.tracingTimer());
  }
  env.insnIdx = 0;
}

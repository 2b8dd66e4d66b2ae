/**
 * `tsbpf disasm OBJ [--prog NAME]`: each program of an object with its section, type and linked
 * instructions in the kernel's syntax, BTF source lines interleaved the way
 * `bpftool prog dump xlated linum` shows them (`; text @ file:line`), maps and externs by name,
 * and a `name:` label where each function (main program or subprogram) starts.
 * Exit 0 on success, 1 when --prog names no program, 2 for an unreadable or malformed object.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { BPF_CALL, BPF_JMP, BPF_PSEUDO_CALL, disasmLine, type Insn } from '../../isa/index.ts';
import { loadCollectionSpec, type CollectionSpec, type ProgramSpec } from '../../loader/index.ts';
import { attachTypeName, progTypeName } from '../../uapi/bpf.ts';
import { isBpfError } from '../../util/errors.ts';
import type { Command } from '../io.ts';

const USAGE = 'usage: tsbpf disasm OBJ [--prog NAME]\n';

function signed(n: number): string {
  return n < 0 ? String(n) : `+${n}`;
}

/** The header line of one program. */
function header(p: ProgramSpec): string {
  const type = progTypeName(p.type) ?? `type ${p.type}`;
  const attach = p.expectedAttachType !== 0 ? `, attach ${attachTypeName(p.expectedAttachType) ?? p.expectedAttachType}` : '';
  const flags = [p.sleepable ? 'sleepable' : '', p.xdpFrags ? 'xdp frags' : ''].filter((s) => s !== '').join(', ');
  let slots = 0;
  for (const i of p.insns) slots += i.code === 0x18 ? 2 : 1;
  return `${p.name}: section '${p.sectionName}', ${type}${attach}${flags ? `, ${flags}` : ''}, ${slots} insns`;
}

/** The text of one program: labels, source lines and instructions. */
export function disasmSpecProgram(p: ProgramSpec): string[] {
  const refs = new Map<number, number>();
  p.insns.forEach((insn, pos) => refs.set(insn.idx, pos));
  const refAt = (insn: Insn) => p.references.get(refs.get(insn.idx) ?? -1);
  const options = {
    callName: (insn: Insn): string | undefined => {
      const r = refAt(insn);
      if (insn.code === (BPF_JMP | BPF_CALL) && insn.src === BPF_PSEUDO_CALL && r?.kind === 'func') return `${signed(insn.imm)} <${r.name}>`;
      if (r?.kind === 'kfunc') return r.name;
      if (r?.kind === 'coreFailure') return `<CO-RE failure: ${r.reason}>`;
      return undefined;
    },
    immName: (insn: Insn): string | undefined => {
      const r = refAt(insn);
      switch (r?.kind) {
        case 'map': return `map[${r.map}]`;
        case 'mapValue': return `map[${r.map}][0]+${r.offset}`;
        case 'kconfig': return `map[${r.map}][0]+${r.offset} <${r.name}>`;
        case 'ksym': return `ksym[${r.name}]`;
        case 'func': return `subprog[${signed(insn.imm)}] <${r.name}>`;
        default: return undefined;
      }
    },
  };
  const lines = new Map<number, string>();
  for (const li of p.lineInfo) {
    const file = li.fileName.slice(li.fileName.lastIndexOf('/') + 1);
    lines.set(li.insnIdx, `; ${li.line.trim()} @ ${file}:${li.lineNum}`);
  }
  const out = [header(p)];
  let lastLine: string | undefined;
  for (const insn of p.insns) {
    const fn = p.functions.get(insn.idx);
    if (fn !== undefined) out.push(`${fn}:`);
    const src = lines.get(insn.idx);
    if (src !== undefined && src !== lastLine) out.push(src);
    if (src !== undefined) lastLine = src;
    out.push(`  ${disasmLine(insn, options)}`);
  }
  return out;
}

/** Every program (or the one named), separated by blank lines. */
export function disasmSpec(spec: CollectionSpec, prog?: string): string[] | undefined {
  const progs = [...spec.programs.values()].filter((p) => prog === undefined || p.name === prog);
  if (progs.length === 0) return undefined;
  return progs.flatMap((p, i) => [...(i > 0 ? [''] : []), ...disasmSpecProgram(p)]);
}

/** The `disasm` command. */
export const disasmCommand: Command = async (argv, io) => {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: { prog: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true });
  } catch (e) {
    io.stderr(`tsbpf disasm: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (parsed.values.help === true) {
    io.stdout(USAGE);
    return 0;
  }
  const [path, ...extra] = parsed.positionals;
  if (path === undefined || extra.length > 0) {
    io.stderr(USAGE);
    return 2;
  }
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch (e) {
    io.stderr(`tsbpf disasm: cannot read ${path}: ${(e as Error).message}\n`);
    return 2;
  }
  let spec: CollectionSpec;
  try {
    spec = loadCollectionSpec(bytes);
  } catch (e) {
    if (!isBpfError(e)) throw e;
    io.stderr(`tsbpf disasm: ${path}: ${e.message} (${e.code})\n`);
    return 2;
  }
  const text = disasmSpec(spec, parsed.values.prog);
  if (text === undefined) {
    const names = [...spec.programs.keys()].join(', ') || 'none';
    io.stderr(`tsbpf disasm: ${path}: no program named '${parsed.values.prog ?? ''}' (programs: ${names})\n`);
    return 1;
  }
  io.stdout(text.join('\n') + '\n');
  return 0;
};

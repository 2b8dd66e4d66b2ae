/**
 * `tsbpf run OBJ PROG [--data HEX] [--ctx HEX] [--repeat N] [--engine interpreter|jit] [--cpu N]`:
 * loads the object (on the JIT unless `--engine interpreter`) and test-runs one program
 * (BPF_PROG_TEST_RUN). Prints `retval`, `duration`, and `data_out` / `ctx_out` (hex) / `redirect`
 * when there are; with --json one JSON line.
 * Exit 0 when the run happened, 1 when it or the load was refused, 2 for usage errors.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { objectNameOf } from '../../loader/data.ts';
import { BpfObject } from '../../runtime/object.ts';
import { fromHex, toHex } from '../../runtime/scenario.ts';
import { DEFAULT_ENGINE, isEngineName } from '../../runtime/engine.ts';
import { isBpfError } from '../../util/errors.ts';
import type { Command } from '../io.ts';

const USAGE = 'usage: tsbpf run OBJ PROG [--data HEX] [--ctx HEX] [--repeat N] [--engine interpreter|jit] [--cpu N] [--json]\n';

export const runCommand: Command = async (argv, io) => {
  let values: { data?: string; ctx?: string; repeat?: string; engine?: string; cpu?: string; json?: boolean; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv], allowPositionals: true,
      options: {
        data: { type: 'string' }, ctx: { type: 'string' }, repeat: { type: 'string' }, engine: { type: 'string' },
        cpu: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    io.stderr(`tsbpf run: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    io.stdout(USAGE);
    return 0;
  }
  const [objPath, progName] = positionals;
  if (objPath === undefined || progName === undefined || positionals.length !== 2) {
    io.stderr(USAGE);
    return 2;
  }
  const hexArg = (name: string, v: string | undefined): Uint8Array | undefined | null => {
    if (v === undefined) return undefined;
    const h = v.toLowerCase().replace(/^0x/, '');
    if (!/^(?:[0-9a-f]{2})*$/.test(h)) {
      io.stderr(`tsbpf run: --${name} must be hex bytes\n`);
      return null;
    }
    return fromHex(h);
  };
  const data = hexArg('data', values.data);
  const ctx = hexArg('ctx', values.ctx);
  if (data === null || ctx === null) return 2;
  const intArg = (name: string, v: string | undefined): number | undefined | null => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(n)) {
      io.stderr(`tsbpf run: --${name} must be a non-negative integer\n`);
      return null;
    }
    return n;
  };
  const repeat = intArg('repeat', values.repeat);
  const cpu = intArg('cpu', values.cpu);
  if (repeat === null || cpu === null) return 2;
  const engine = values.engine ?? DEFAULT_ENGINE;
  if (!isEngineName(engine)) {
    io.stderr(`tsbpf run: --engine must be interpreter or jit, got '${engine}'\n`);
    return 2;
  }
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(objPath);
  } catch (e) {
    io.stderr(`tsbpf run: cannot read ${objPath}: ${(e as Error).message}\n`);
    return 1;
  }
  const obj = (() => {
    try {
      return BpfObject.open(bytes, { name: objectNameOf(objPath) });
    } catch (e) {
      if (!isBpfError(e)) throw e;
      io.stderr(`tsbpf run: cannot open ${objPath}: ${e.message}\n`);
      return undefined;
    }
  })();
  if (obj === undefined) return 1;
  try {
    await obj.load({ engine, ...(cpu !== undefined ? { cpu, nCpus: Math.max(2, cpu + 1) } : {}) });
    const r = obj.program(progName).run({
      ...(data !== undefined ? { data } : {}), ...(ctx !== undefined ? { ctx } : {}), ...(repeat !== undefined ? { repeat } : {}),
    });
    const out: Record<string, unknown> = { retval: r.retval, duration_ns: r.durationNs };
    if (r.dataOut !== undefined) out.data_out = toHex(r.dataOut);
    if (r.ctxOut !== undefined) out.ctx_out = toHex(r.ctxOut);
    if (r.redirect !== undefined) out.redirect = { ...r.redirect, flags: Number(r.redirect.flags) };
    if (values.json) io.stdout(`${JSON.stringify(out)}\n`);
    else for (const [k, v] of Object.entries(out)) io.stdout(`${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}\n`);
    for (const line of obj.runtime.traceLines) io.stderr(`trace: ${line}\n`);
    return 0;
  } catch (e) {
    if (!isBpfError(e)) throw e;
    io.stderr(`tsbpf run: ${e.code}: ${e.message}\n`);
    return 1;
  } finally {
    obj.close();
  }
};

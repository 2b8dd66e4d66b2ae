/**
 * The verifier corpus: testdata/verifier/*.s, each annotated with its program type, maps and the
 * expected outcome (format: test/verifier-corpus.ts). Every program runs through tsbpf's verifier
 * and, where bpf() works, through the kernel's (load only): both must match the annotation, so
 * the kernel keeps the annotations honest. Where the kernel runs, tsbpf's level-1 log must be the
 * kernel's, line for line, and so must its level-2 log for a selection of programs.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { kernelAvailable, runOnKernel } from '../tools/kernel/runner.ts';
import { encodeProgram } from '../src/isa/index.ts';
import { mapCreateErrno } from '../src/maps/create.ts';
import { verify, VerifierError } from '../src/verifier/index.ts';
import { kernelSpec, parseCorpusCase, verifierProgram } from './verifier-corpus.ts';

const DIR = join(import.meta.dirname, '..', 'testdata', 'verifier');
const files = readdirSync(DIR).filter((f) => f.endsWith('.s')).sort();
const kernel = kernelAvailable();

test('the corpus is large enough', () => assert.ok(files.length >= 150, `${files.length} programs`));

/**
 * What may differ between the two logs: the kernel prints a map's kernel address where tsbpf
 * prints `map[id:N]` (so the `;` column moves too). Precision backtracking (`mark_precise: ...`,
 * `frame 0: propagating r1`), loop visits (`SCC enter (1)`) and the stack liveness solver's
 * lines (`(0) frame 0 insn 5 +live -8`, `(0) live stack update done in 2 iterations`) must match.
 */
function comparable(lines: readonly string[]): string[] {
  const mapLoad = /= (0xffff[0-9a-f]{12}|map\[id:\d+\])(?= |$)/;
  return lines
    .filter((l) => l.trim() !== '')
    .map((l) => (mapLoad.test(l) ? l.replace(mapLoad, '= <map>').replace(/ +;/, ' ;') : l));
}

/** Programs whose level-2 log (every instruction and state) must match the kernel's. */
const LEVEL2_LOGS = [
  'timer_cb_rearm_self.s', 'timer_cb_mutual.s', 'timer_init_ok.s', 'timer_arg_unchecked.s', 'timer_cb_ret_one.s',
  'timer_cb_stack_direct_call.s', 'timer_inner_map_other_instance.s', 'lock_ok.s', 'lock_static_call_inside.s',
  'call_subprog_ok.s', 'call_callee_reads_caller_stack.s', 'call_nine_frames.s', 'stack_depth_calls_too_deep.s',
  'foreach_ok.s', 'user_ringbuf_drain_ok.s', 'find_vma_ok.s', 'pkt_checked.s', 'map_lookup_checked.s',
  'global_calls_global.s', 'global_ptr_null_checked.s', 'global_uninit_stack.s', 'global_lock_bad_args.s',
  // Precision backtracking: through spills and fills, decided branches, callbacks, loops.
  'prec_prune_unused_scalar.s', 'prec_prune_offset_spill.s', 'prec_prune_branch_precise.s', 'loop_cb_counter.s',
  'helper_size_bounded.s', 'cfg_back_edge_bounded.s', 'loop_cb_stack_combined.s',
  // Stack slot liveness: dead slots cleared from saved states, facts carried across a call.
  'liveness_dead_slot_prune.s', 'liveness_callee_writes_first.s', 'liveness_loop_cb_dead_regs.s',
  // Scalars linked with a constant delta (`id=1+8`, `id=1-4`): set, synced across a branch, dropped.
  'linked_add_const.s', 'linked_neg_delta.s', 'linked_alu32.s', 'linked_mixed_width.s', 'linked_spill_delta.s',
  // A scalar id held by one register is kept in a saved state (this kernel has no clear_singular_ids()).
  'ids_singular_kept.s',
];

/** testdata/verifier/logs/<name>.level<N>.log: a log the kernel printed, recorded. */
function recordedLog(file: string, level: 1 | 2): string {
  return join(DIR, 'logs', `${file.replace(/\.s$/, '')}.level${level}.log`);
}

/** The lines after the last instruction line: where the verifier says why it stopped. */
function errorTail(lines: readonly string[]): string {
  let i = lines.length - 1;
  while (i >= 0 && !/^\d+: \([0-9a-f]{2}\)/.test(lines[i] ?? '')) i--;
  return lines.slice(i + 1).join('\n');
}

for (const file of files) {
  const c = parseCorpusCase(file, readFileSync(join(DIR, file), 'utf8'));
  const expect = c.expect;
  test(`tsbpf: ${file}`, () => {
    const prog = verifierProgram(c);
    if ('mapCreate' in expect) {
      const errs = prog.maps.map((m) => mapCreateErrno({ ...m, ...(m.record ? { record: m.record } : {}) }));
      assert.equal(errs.find((e) => e !== 0), expect.mapCreate, `map creation errnos: ${errs.join(', ')}`);
      return;
    }
    const run = () => verify(prog, { logLevel: 1 });
    if (expect.ok) {
      run();
      return;
    }
    assert.throws(run, (e: unknown) => {
      assert.ok(e instanceof VerifierError, String(e));
      assert.ok(errorTail(e.log).includes(expect.msg), `expected "${expect.msg}", got:\n${e.log.join('\n')}`);
      if (expect.errno !== undefined) assert.equal(e.errno, expect.errno, 'errno');
      return true;
    });
  });
  test(`kernel: ${file}`, { skip: kernel.ok ? false : kernel.reason }, () => {
    const r = runOnKernel(kernelSpec(c, encodeProgram(c.insns)));
    if ('mapCreate' in expect) {
      assert.ok(!r.ok && r.stage === 'map_create', `kernel: ${r.ok ? 'loaded' : `${r.stage}: ${r.message}`}`);
      assert.equal(r.errno, expect.mapCreate);
      return;
    }
    if (expect.ok) {
      assert.ok(r.ok, r.ok ? '' : `${r.stage}: ${r.log ?? r.message}`);
      return;
    }
    assert.ok(!r.ok, 'kernel accepted');
    assert.equal(r.stage, 'load', r.message);
    assert.ok(errorTail((r.log ?? '').split('\n')).includes(expect.msg), `kernel said:\n${r.log ?? r.message}`);
    if (expect.errno !== undefined) assert.equal(r.errno, expect.errno, 'errno');
  });
  // The long loop's level-1 log overflows the kernel's buffer (its head is lost); every other log is compared.
  if ('mapCreate' in expect || file === 'bounds_complexity.s') continue;
  const myLog = (level: 1 | 2): readonly string[] => {
    try {
      return verify(verifierProgram(c), { logLevel: level }).log;
    } catch (e) {
      if (!(e instanceof VerifierError)) throw e;
      return e.log;
    }
  };
  for (const level of LEVEL2_LOGS.includes(file) ? [1, 2] as const : [1] as const) {
    test(`kernel log, level ${level}: ${file}`, { skip: kernel.ok ? false : kernel.reason }, () => {
      const r = runOnKernel(kernelSpec(c, encodeProgram(c.insns), level));
      const theirs = (r.log ?? '').split('\n');
      // UPDATE_KERNEL_LOGS=1 records the kernel's logs for the machines without bpf().
      // (Kernel addresses are scrubbed: they print as map loads and mean nothing here.)
      if (process.env['UPDATE_KERNEL_LOGS'] === '1' && LEVEL2_LOGS.includes(file)) {
        writeFileSync(recordedLog(file, level), (r.log ?? '').replace(/(\(18\) r\d+ = )0xffff[0-9a-f]{12}/g, '$10xffff000000000000'));
      }
      assert.deepEqual(comparable(myLog(level)), comparable(theirs));
    });
  }
  if (LEVEL2_LOGS.includes(file)) {
    for (const level of [1, 2] as const) {
      test(`recorded kernel log, level ${level}: ${file}`, () => {
        const theirs = readFileSync(recordedLog(file, level), 'utf8').split('\n');
        assert.deepEqual(comparable(myLog(level)), comparable(theirs));
      });
    }
  }
}

/**
 * @module tools/scenario/catalog
 * Every scenario of testdata/scenarios/, with what it covers. generate.ts writes the JSON files and
 * the README from this list; catalog.test.ts checks that the files match it.
 */
import type { ScenarioDef } from './define.ts';
import { run } from './define.ts';
import { timerOpsScenarios } from './catalog-timer-ops.ts';
import { timerObjectScenarios } from './catalog-timer-objects.ts';
import { mapScenarios } from './catalog-maps.ts';
import { programScenarios } from './catalog-programs.ts';

const probe: ScenarioDef = {
  name: 'probe',
  object: 'probe.bpf.o',
  covers: [],
  description: 'Probe used by kernelScenarioAvailable(): an XDP program that returns XDP_PASS (2).',
  steps: [run('pass', undefined, { data: 'ffffffffffff0000000000000800' })],
};

export const scenarios: readonly ScenarioDef[] = [probe, ...timerOpsScenarios, ...timerObjectScenarios, ...mapScenarios, ...programScenarios];

/**
 * Behaviours of bpf-timer.md §10 no scenario expresses, and why; listed in the README next to the
 * covered ones so that the gap is visible.
 */
export const notCovered: Readonly<Record<string, string>> = {
  B25: 'CPU pinning: a scenario cannot choose or observe the CPU a callback runs on in a way a single-CPU runtime reproduces.',
  B27: 'needs a bpffs pin and closing the program fds; the format has neither.',
  B29: 'needs BPF_MAP_GET_FD_BY_ID after a release; the format has no such op (released maps are never named again).',
  B44: 'concurrency between CPUs (cancel while the callback runs on another CPU).',
  B45: 'concurrency between CPUs (update while the callback runs on another CPU).',
  B46: 'concurrency between CPUs (mutual cancel).',
  B55: 'verifier message; belongs to the verifier tests (testdata/verifier), not to scenarios.',
  B56: 'verifier message (see B55).',
  B57: 'verifier message (see B55).',
  B58: 'verifier message (see B55).',
  B59: 'verifier message (see B55).',
  B60: 'verifier message (see B55).',
  B61: 'verifier message (see B55).',
  B62: 'verifier message (see B55).',
  B63: 'verifier message (see B55).',
  B64: 'verifier message (see B55).',
  B65: 'verifier message (see B55).',
  B66: 'kprobe/tracepoint programs lack BPF_PROG_TEST_RUN; the refusal is a verifier message (testdata/verifier/timer_tracing_prog_map.s).',
  B68: 'verifier message (see B55).',
  B69: 'verifier message (see B55).',
  B70: 'verifier message (see B55).',
  B73: '-ENOMEM under init/free churn is an artefact of this kernel that tsbpf does not emulate.',
  B75: 'bpf_wq needs kfuncs from vmlinux BTF; out of the timer helpers\' scope here.',
  B76: 'bpf_timer_cancel_async does not exist on 6.18.',
};

/**
 * Loop (strongly connected component) visits, as far as the level-2 log shows them:
 * maybe_enter_scc() and maybe_exit_scc(), kernel/bpf/verifier.c v6.18. A checkpoint saved inside
 * a loop with no visit under way starts one (`SCC enter (7,1)`: the call sites leading to the
 * loop's frame, then the loop's id); the visit ends when every path below that checkpoint has
 * ended (`SCC exit (7,1)`). The kernel also gathers back edges of iterator and may_goto loops
 * on visits; tsbpf has neither, so visits only print.
 */
import type { Env } from './env.ts';
import { computeScc } from './liveness.ts';
import type { ExploredState } from './prune.ts';
import type { VerifierState } from './state.ts';

/** The loop ids and the visits under way, per verification (level 2 only). */
export class SccVisits {
  private scc: Int32Array | undefined;
  /** Entry checkpoint of each call chain's visit under way. */
  private readonly entries = new Map<string, ExploredState>();

  /** compute_scc_callchain() formatted as format_callchain() prints it, or undefined outside loops. */
  private callchain(env: Env, st: VerifierState): string | undefined {
    this.scc ??= computeScc(env.cfg.bySlot, env.cfg.slots);
    const sites: number[] = [];
    for (let i = 0; i < st.frames.length; i++) {
      const next = st.frames[i + 1];
      const at = next ? next.callsite : st.insnIdx;
      const id = this.scc[at] ?? 0;
      if (id) {
        let out = '(';
        for (const s of sites) { if (s === 0) break; out += `${s},`; }
        return `${out}${id})`;
      }
      if (!next) return undefined;
      sites.push(at);
    }
    return undefined;
  }

  /** maybe_enter_scc(): a checkpoint was saved. */
  enter(env: Env, saved: ExploredState): void {
    if (env.log.level < 2) return;
    const chain = this.callchain(env, saved.state);
    if (chain === undefined || this.entries.has(chain)) return;
    this.entries.set(chain, saved);
    env.log.print(`SCC enter ${chain}`);
  }

  /** maybe_exit_scc(): every path below `st` has ended. */
  exit(env: Env, st: ExploredState): void {
    if (env.log.level < 2) return;
    const chain = this.callchain(env, st.state);
    if (chain === undefined || this.entries.get(chain) !== st) return;
    this.entries.delete(chain);
    env.log.print(`SCC exit ${chain}`);
  }
}

/**
 * Fakes for the bpf_timer tests: maps with a user refcount, programs counting references, and an
 * invoker that records each firing and runs a JS stand-in for the BPF callback. Test-only.
 */
import { CLOCK_MONOTONIC } from '../uapi/bpf.ts';
import { BpfTimers } from './bpf-timer.ts';
import { VirtualClock, type VirtualClockOptions } from './virtual-clock.ts';

export class FakeMap {
  readonly name: string;
  urefs = 1;
  constructor(name: string) {
    this.name = name;
  }
}

export class FakeProg {
  readonly name: string;
  refs = 0;
  constructor(name: string) {
    this.name = name;
  }
  ref(): void {
    this.refs++;
  }
  unref(): void {
    if (this.refs <= 0) throw new Error(`${this.name}: unref below zero`);
    this.refs--;
  }
}

export interface Firing {
  readonly fn: bigint;
  readonly prog: FakeProg;
  readonly map: FakeMap;
  readonly valuePtr: bigint;
  readonly cpu: number;
  readonly atNs: bigint;
}

/** A VirtualClock, a BpfTimers over fakes, a log of firings and callback bodies keyed by fn. */
export function timerRig(clockOptions: VirtualClockOptions = {}): {
  clock: VirtualClock;
  timers: BpfTimers<FakeMap, FakeProg>;
  log: Firing[];
  bodies: Map<bigint, (f: Firing) => void>;
  now: () => bigint;
} {
  const clock = new VirtualClock(clockOptions);
  const log: Firing[] = [];
  const bodies = new Map<bigint, (f: Firing) => void>();
  const now = (): bigint => clock.nowNs(CLOCK_MONOTONIC);
  const timers = new BpfTimers<FakeMap, FakeProg>({
    clock,
    mapHasUserRefs: (m) => m.urefs > 0,
    invoke: (fn, prog, map, valuePtr, cpu) => {
      const f: Firing = { fn, prog, map, valuePtr, cpu, atNs: now() };
      log.push(f);
      bodies.get(fn)?.(f);
    },
  });
  return { clock, timers, log, bodies, now };
}

// Randomized sequences of init / set_callback / start / cancel / free / map release / advance, from
// outside and from inside callbacks, checked step by step against a small reference model of
// spec §2.6 and against the invariants: no callback for a freed slot or a released map, no pending
// timer for either, program references equal to the timers holding them, all back to zero at the end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EBUSY, EDEADLK, EINVAL, EPERM } from '../uapi/errno.ts';
import { FakeMap, FakeProg, timerRig, type Firing } from './test-helpers.ts';

interface ModelSlot {
  map: FakeMap;
  prog: FakeProg | undefined;
  fn: bigint | undefined;
  expiresNs: bigint | undefined;
}

const ELEMS = 4;
const FNS = [0x10n, 0x20n, 0x30n];
const TOP_OPS = [0, 0, 1, 1, 1, 2, 2, 2, 3, 4, 5, 6, 7, 7, 7];
const NESTED_OPS = [0, 1, 2, 2, 3, 4, 5, 6];

function runSeed(seed: number): { fired: number; ops: number; deadlocks: number } {
  let s = seed >>> 0 || 1;
  const rnd = (n: number): number => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) % n;
  };
  const { timers, clock, bodies, now } = timerRig({ startNs: 1_000_000n });
  const maps = [new FakeMap('a'), new FakeMap('b')];
  const progs = [new FakeProg('p'), new FakeProg('q'), new FakeProg('r')];
  const base = (m: number): bigint => 0x1000_0000n + BigInt(m) * 0x1000n;
  const keys: Array<{ key: bigint; map: FakeMap; valuePtr: bigint }> = [];
  maps.forEach((map, m) => {
    for (let i = 0; i < ELEMS; i++) keys.push({ key: base(m) + BigInt(i) * 32n + 8n, map, valuePtr: base(m) + BigInt(i) * 32n });
  });
  const model = new Map<bigint, ModelSlot>();
  let running: ModelSlot | undefined;
  let fired = 0;
  let ops = 0;
  let deadlocks = 0;

  const checkRefs = (): void => {
    for (const p of progs) {
      let held = 0;
      for (const m of model.values()) if (m.prog === p) held++;
      if (running?.prog === p) held++; // the running callback's own hold (RCU stand-in)
      assert.equal(p.refs, held, `refs of ${p.name}`);
    }
  };

  const step = (depth: number, own?: (typeof keys)[number]): void => {
    ops++;
    // Inside a callback, half the operations target the callback's own timer.
    const k = own !== undefined && rnd(2) === 0 ? own : keys[rnd(keys.length)]!;
    const m = model.get(k.key);
    // Weighted: arming is common, destruction rarer; advances (op 7) only outside callbacks.
    const table = depth > 0 ? NESTED_OPS : TOP_OPS;
    const op = table[rnd(table.length)]!;
    switch (op) {
      case 0: {
        const flags = [0n, 1n, 7n, 2n, 16n][rnd(5)]!;
        const want = flags === 2n || flags === 16n ? -EINVAL : m !== undefined ? -EBUSY : k.map.urefs === 0 ? -EPERM : 0;
        assert.equal(timers.timerInit(k.key, k.map, k.valuePtr, flags), want, 'init');
        if (want === 0) model.set(k.key, { map: k.map, prog: undefined, fn: undefined, expiresNs: undefined });
        break;
      }
      case 1: {
        const prog = progs[rnd(progs.length)]!;
        const fn = FNS[rnd(FNS.length)]!;
        const want = m === undefined ? -EINVAL : m.map.urefs === 0 ? -EPERM : 0;
        assert.equal(timers.timerSetCallback(k.key, prog, fn), want, 'set_callback');
        if (m !== undefined && want === 0) {
          m.prog = prog;
          m.fn = fn;
        }
        break;
      }
      case 2:
      case 3: {
        const ns = BigInt(rnd(5)) * 1000n;
        const flags = rnd(10) === 0 ? 4n : 0n;
        const want = flags !== 0n || m === undefined || m.prog === undefined ? -EINVAL : 0;
        assert.equal(timers.timerStart(k.key, ns, flags, rnd(2)), want, 'start');
        if (m !== undefined && want === 0) m.expiresNs = now() + ns;
        break;
      }
      case 4: {
        const want = m === undefined ? -EINVAL : m === running ? -EDEADLK : m.expiresNs !== undefined ? 1 : 0;
        assert.equal(timers.timerCancel(k.key), want, 'cancel');
        if (want === -EDEADLK) deadlocks++;
        if (m !== undefined && want >= 0) {
          m.prog = undefined;
          m.fn = undefined;
          m.expiresNs = undefined;
        }
        break;
      }
      case 5:
        // Element delete / replacing update / eviction: the map's free path.
        timers.freeTimer(k.key);
        model.delete(k.key);
        break;
      case 6: {
        const map = maps[rnd(maps.length)]!;
        if (map.urefs > 0 && rnd(10) === 0) {
          map.urefs = 0;
          timers.releaseMap(map);
          for (const [key, slot] of [...model]) if (slot.map === map) model.delete(key);
        } else if (map.urefs === 0) {
          map.urefs = 1; // re-acquired by id
        }
        break;
      }
      default:
        clock.advance(BigInt(rnd(4)) * 1000n);
        checkRefs();
    }
    // The implementation agrees with the model on every slot after every step.
    for (const kk of keys) {
      const info = timers.inspect(kk.key);
      const mm = model.get(kk.key);
      assert.equal(info === undefined, mm === undefined, 'initialised');
      if (info === undefined || mm === undefined) continue;
      assert.equal(info.prog, mm.prog);
      assert.equal(info.callbackFn, mm.fn);
      assert.equal(info.expiresNs, mm.expiresNs);
      if (mm.map.urefs === 0) assert.fail('initialised slot in a released map');
    }
    // No queued timer without a live, pending slot (freed timers leave nothing behind).
    assert.equal(clock.pendingCount, [...model.values()].filter((x) => x.expiresNs !== undefined).length, 'queued timers');
  };

  for (const fn of FNS) {
    bodies.set(fn, (f: Firing) => {
      fired++;
      const key = f.valuePtr + 8n;
      const m = model.get(key);
      // Never a callback for a freed slot or a released map; only the current callback, when due.
      assert.ok(m !== undefined, 'callback of a freed slot');
      assert.ok(f.map.urefs > 0, 'callback in a released map');
      assert.equal(m.fn, f.fn);
      assert.equal(m.prog, f.prog);
      assert.equal(m.expiresNs, f.atNs);
      m.expiresNs = undefined;
      const prev = running;
      running = m;
      const n = rnd(3);
      const own = keys.find((x) => x.key === key);
      for (let i = 0; i < n; i++) step(1, own);
      running = prev;
    });
  }

  for (let i = 0; i < 400; i++) step(0);
  clock.runUntilIdle({ maxFirings: 10_000 });
  checkRefs();
  for (const map of maps) {
    map.urefs = 0;
    timers.releaseMap(map);
  }
  assert.equal(timers.count, 0);
  assert.equal(clock.pendingCount, 0);
  for (const p of progs) assert.equal(p.refs, 0, `${p.name} leaked`);
  return { fired, ops, deadlocks };
}

test('random operation sequences match the model and keep the invariants', () => {
  let fired = 0;
  let ops = 0;
  let deadlocks = 0;
  for (let seed = 1; seed <= 300; seed++) {
    const r = runSeed(seed * 2654435761);
    fired += r.fired;
    ops += r.ops;
    deadlocks += r.deadlocks;
  }
  // The generator must actually exercise firing, nested operations and self-cancellation.
  assert.ok(fired > 3000, `only ${fired} firings`);
  assert.ok(ops > 300 * 400 + 3000, `only ${ops} operations`);
  assert.ok(deadlocks > 100, `only ${deadlocks} self-cancels`);
});

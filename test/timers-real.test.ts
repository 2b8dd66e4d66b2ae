// bpf_timer on the real clock: timers fire from Node's event loop in real time, releases and
// runtime close stop them (a subset of test/timers-runtime.test.ts, B26, B27, B30).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { BpfObject } from '../src/runtime/object.ts';
import { ENGINE_NAMES } from '../src/runtime/engine.ts';
import { Runtime } from '../src/runtime/runtime.ts';
import type { ProgramHandle } from '../src/runtime/program.ts';
import { RealClock } from '../src/timers/real-clock.ts';
import { EPERM } from '../src/uapi/errno.ts';
import { CB, OP, WHICH, runOp, seenOf } from './timers-rt-ops.ts';

const OBJ = readFileSync(new URL('../testdata/progs/timer_rt.bpf.o', import.meta.url));
const MS = 1_000_000n;

for (const engine of ENGINE_NAMES) {
  async function load(): Promise<{ obj: BpfObject; rt: Runtime; op: ProgramHandle; clock: RealClock }> {
    const clock = new RealClock();
    const rt = new Runtime({ clock });
    const obj = BpfObject.open(OBJ, { name: 'timer_rt' });
    await obj.load({ runtime: rt, engine });
    return { obj, rt, op: obj.program('op'), clock };
  }

  describe(`bpf_timer on the real clock (${engine})`, () => {
    it('a 20 ms timer fires after about 20 ms, from the event loop; a periodic one keeps firing', async () => {
      const { obj, rt, op, clock } = await load();
      try {
        const t0 = clock.monotonicNs();
        assert.equal(runOp(op, { op: OP.arm, which: WHICH.arr, key: 0, a: 20n * MS }), 0);
        assert.equal(runOp(op, { op: OP.arm, which: WHICH.arr, key: 1, cb: CB.periodic, a: 2n * MS }), 0);
        assert.equal(seenOf(obj.map('seen'), 0).fired, 0n, 'never synchronously');
        await sleep(80);
        const s = seenOf(obj.map('seen'), 0);
        assert.equal(s.fired, 1n);
        assert.ok(s.now - t0 >= 20n * MS, `fired at +${s.now - t0} ns`);
        assert.ok(seenOf(obj.map('seen'), 1).fired >= 3n);
      } finally {
        rt.close();
        clock.close();
      }
    });

    it('B26/B30: releasing the map\'s user references stops its timers and makes init -EPERM', async () => {
      const { obj, rt, op, clock } = await load();
      try {
        assert.equal(runOp(op, { op: OP.arm, which: WHICH.arr, key: 2, a: 10n * MS }), 0);
        rt.releaseAllUserRefs(obj.map('arr'));
        await sleep(40);
        assert.equal(seenOf(obj.map('seen'), 2).fired, 0n);
        assert.equal(runOp(op, { op: OP.arm, which: WHICH.arr, key: 2, a: 10n * MS }), -EPERM);
        assert.equal(clock.pendingCount, 0);
      } finally {
        rt.close();
        clock.close();
      }
    });

    it('B27 and close: a pinned map keeps a periodic timer running after every handle is gone; nothing fires after close', async () => {
      const { obj, rt, op, clock } = await load();
      try {
        rt.pin('/sys/fs/bpf/arr', obj.map('arr'));
        const seen = rt.mapById(obj.map('seen').id);
        assert.equal(runOp(op, { op: OP.arm, which: WHICH.arr, key: 3, cb: CB.periodic, a: 2n * MS }), 0);
        obj.close();
        await sleep(30);
        const n = seenOf(seen, 3).fired;
        assert.ok(n >= 2n, `fired ${n} times`);
        rt.close();
        assert.equal(clock.pendingCount, 0);
        assert.equal(clock.hostTimerArmed, false, 'the process may exit');
        await sleep(20);
        assert.equal(seenOf(seen, 3).fired, n);
      } finally {
        rt.close();
        clock.close();
      }
    });
  });
}

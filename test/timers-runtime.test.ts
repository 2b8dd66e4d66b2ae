// bpf_timer wired into the runtime: helpers on real maps, callbacks through the engine, user
// references and pins driving timer lifetime (spec shared/spec/bpf-timer.md B26-B43), on the
// virtual clock. testdata/progs/timer_rt.bpf.c: one syscall program `op` driven by its context.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { BpfObject } from '../src/runtime/object.ts';
import { ENGINE_NAMES } from '../src/runtime/engine.ts';
import { Runtime } from '../src/runtime/runtime.ts';
import type { ProgramHandle } from '../src/runtime/program.ts';
import type { MapHandle } from '../src/runtime/map-handle.ts';
import { VirtualClock } from '../src/timers/virtual-clock.ts';
import { isBpfError, RunError } from '../src/util/errors.ts';
import { assemble } from '../src/isa/asm.ts';
import type { ArrayMap } from '../src/maps/array.ts';
import type { HashMap } from '../src/maps/hash.ts';
import { offToPtr } from '../src/maps/map.ts';
import { timerSiteAt } from '../src/helpers/impl/timer.ts';
import { CB, OP, WHICH, cmdBytes, key32, runOp, seenOf, type Cmd } from './timers-rt-ops.ts';
import { EDEADLK, EINVAL, ENOENT, EPERM } from '../src/uapi/errno.ts';
import { BPF_F_LOCK, BPF_F_TIMER_CPU_PIN, CLOCK_MONOTONIC } from '../src/uapi/bpf.ts';

const OBJ = readFileSync(new URL('../testdata/progs/timer_rt.bpf.o', import.meta.url));
const MS = 1_000_000n;

/** A value of `struct elem` (data, then 16 timer bytes) or `struct lelem` (lock, pad, data, timer). */
function elemBytes(data: bigint, timerFill = 0, locked = false): Uint8Array {
  const out = new Uint8Array(locked ? 32 : 24);
  const dv = new DataView(out.buffer);
  const dataOff = locked ? 8 : 0;
  dv.setBigUint64(dataOff, data, true);
  out.fill(timerFill, dataOff + 8, dataOff + 24);
  return out;
}

for (const engine of ENGINE_NAMES) {
  async function load(clock = new VirtualClock()): Promise<{ obj: BpfObject; rt: Runtime; op: ProgramHandle; clock: VirtualClock }> {
    const rt = new Runtime({ clock });
    const obj = BpfObject.open(OBJ, { name: 'timer_rt' });
    await obj.load({ runtime: rt, engine });
    return { obj, rt, op: obj.program('op'), clock };
  }

  describe(`bpf_timer helpers on the runtime (virtual clock) (${engine})`, () => {
    it('init, set_callback, start: the callback runs with the key as the kernel computes it, on the timer CPU', async () => {
      const { obj, op, clock } = await load();
      assert.equal(runOp(op, { op: OP.arm, which: WHICH.arr, key: 2, a: 10n * MS }), 0);
      assert.equal(runOp(op, { op: OP.update, which: WHICH.hash, key: 5 }), 0);
      assert.equal(runOp(op, { op: OP.arm, which: WHICH.hash, key: 5, a: 10n * MS, b: BigInt(BPF_F_TIMER_CPU_PIN) }, 1), 0);
      const t0 = clock.nowNs(CLOCK_MONOTONIC);
      clock.advance(9n * MS);
      assert.equal(seenOf(obj.map('seen'), 2).fired, 0n);
      clock.advance(1n * MS);
      const a = seenOf(obj.map('seen'), 2);
      assert.deepEqual([a.fired, a.key, a.cpu, a.now], [1n, 2n, 0n, t0 + 10n * MS]);
      const h = seenOf(obj.map('seen'), 5);
      assert.deepEqual([h.fired, h.key, h.cpu], [1n, 5n, 1n]);
      clock.advance(100n * MS);
      assert.equal(seenOf(obj.map('seen'), 2).fired, 1n, 'one-shot');
    });

    it('0 ns timers fire right after the run that armed them, never inside it', async () => {
      const { obj, op } = await load();
      assert.equal(runOp(op, { op: OP.arm, which: WHICH.arr, key: 1, a: 0n }), 0);
      assert.equal(seenOf(obj.map('seen'), 1).fired, 1n);
    });

    it('return values by state: -EINVAL uninitialised, -EBUSY twice, 1/0 cancel, -EINVAL start after cancel', async () => {
      const { op } = await load();
      const r = (c: Cmd): number => runOp(op, { which: WHICH.arr, key: 0, ...c });
      assert.equal(r({ op: OP.start, a: MS }), -EINVAL);
      assert.equal(r({ op: OP.cancel }), -EINVAL);
      assert.equal(r({ op: OP.init, a: 16n }), -EINVAL);
      assert.equal(r({ op: OP.init, a: BigInt(CLOCK_MONOTONIC) }), 0);
      assert.equal(r({ op: OP.init, a: BigInt(CLOCK_MONOTONIC) }), -16);
      assert.equal(r({ op: OP.start, a: MS }), -EINVAL);
      assert.equal(r({ op: OP.setCb }), 0);
      assert.equal(r({ op: OP.start, a: MS, b: 4n }), -EINVAL);
      assert.equal(r({ op: OP.start, a: MS }), 0);
      assert.equal(r({ op: OP.cancel }), 1);
      assert.equal(r({ op: OP.cancel }), 0);
      assert.equal(r({ op: OP.start, a: MS }), -EINVAL);
    });

    it('timer pointers resolve only to the timer field of a map value', async () => {
      const { obj, rt } = await load();
      const arr = obj.map('arr').map as ArrayMap;
      const hash = obj.map('hash').map as HashMap;
      const maps = rt.timers.timerMaps();
      assert.deepEqual(timerSiteAt(maps, arr.values.ptr + 24n + 8n), { map: arr, valuePtr: arr.values.ptr + 24n });
      assert.equal(timerSiteAt(maps, arr.values.ptr + 24n), undefined, 'the data field');
      assert.equal(timerSiteAt(maps, arr.values.ptr + 24n + 12n), undefined, 'inside the timer');
      const v1 = offToPtr(hash.valueAt(1));
      assert.deepEqual(timerSiteAt(maps, v1 + 8n), { map: hash, valuePtr: v1 });
      assert.equal(timerSiteAt(maps, v1 - 8n), undefined, 'the stored key');
      assert.equal(timerSiteAt(maps, obj.map('seen').map.ptr), undefined, 'a map without timers');
      assert.equal(timerSiteAt(maps, 8n), undefined);
    });

    it('an unverified program passing a stack pointer as the timer stops with a RunError', async () => {
      const obj = BpfObject.open(OBJ, { name: 'timer_rt' });
      const p = obj.spec.programs.get('op')!;
      p.insns = assemble('mov %r1, %r10\nadd %r1, -16\nmov %r2, 0\nmov %r3, 1\ncall 169\nexit');
      p.references = new Map();
      await obj.load({ engine, verify: false });
      assert.throws(() => obj.program('op').run(), (e: unknown) => e instanceof RunError && e.errno === EINVAL && /does not point to the bpf_timer field of a map value \(insn 4\)/.test(e.message));
    });

    it('set_callback, start and cancel on a stack pointer stop with a RunError too (a bad R1 is reported before a bad R2)', async () => {
      for (const call of [170, 171, 172]) {
        const obj = BpfObject.open(OBJ, { name: 'timer_rt' });
        const p = obj.spec.programs.get('op')!;
        p.insns = assemble(`mov %r1, %r10\nadd %r1, -16\nmov %r2, 0\nmov %r3, 0\ncall ${call}\nexit`);
        p.references = new Map();
        await obj.load({ engine, verify: false });
        assert.throws(() => obj.program('op').run(), (e: unknown) => e instanceof RunError && e.errno === EINVAL && /does not point to the bpf_timer field of a map value \(insn 4\)/.test(e.message), `helper #${call}`);
        obj.close();
      }
    });

    it('B13, B47: a callback cancelling its own timer gets -EDEADLK and changes nothing; cancelling another pending timer gets 1', async () => {
      const { obj, op, clock } = await load();
      assert.equal(runOp(op, { op: OP.arm, which: WHICH.arr, key: 0, cb: CB.cancelSelf, a: MS }), 0);
      assert.equal(runOp(op, { op: OP.arm, which: WHICH.arr, key: 3, a: 100n * MS }), 0);
      assert.equal(runOp(op, { op: OP.arm, which: WHICH.arr, key: 1, cb: CB.cancelOther, a: 2n * MS }), 0);
      clock.advance(200n * MS);
      const seen = obj.map('seen');
      assert.deepEqual([seenOf(seen, 0).fired, seenOf(seen, 0).r], [1n, BigInt(-EDEADLK)]);
      assert.deepEqual([seenOf(seen, 1).fired, seenOf(seen, 1).r], [1n, 1n]);
      assert.equal(seenOf(seen, 3).fired, 0n);
      assert.equal(runOp(op, { op: OP.start, which: WHICH.arr, key: 0, a: MS }), 0, 'callback kept');
      assert.equal(runOp(op, { op: OP.start, which: WHICH.arr, key: 3, a: MS }), -EINVAL, 'callback dropped by the cancel');
    });
  });

  describe(`timers follow user references (B26-B30) (${engine})`, () => {
    it('B26: releasing the map\'s last user reference cancels its pending timers', async () => {
      const { obj, rt, op, clock } = await load();
      assert.equal(runOp(op, { op: OP.arm, which: WHICH.arr, key: 3, a: 10n * MS }), 0);
      assert.equal(rt.timers.timers.count, 1);
      rt.releaseAllUserRefs(obj.map('arr'));
      assert.equal(rt.timers.timers.count, 0);
      clock.advance(50n * MS);
      assert.equal(seenOf(obj.map('seen'), 3).fired, 0n);
      assert.equal(runOp(op, { op: OP.init, which: WHICH.arr, key: 3, a: 1n }), -EPERM);
      assert.equal(runOp(op, { op: OP.setCb, which: WHICH.arr, key: 3 }), -EINVAL);
    });

    it('B27: a pinned map keeps its timers running after every handle, programs included, is gone', async () => {
      const { obj, rt, op, clock } = await load();
      rt.pin('/sys/fs/bpf/arr', obj.map('arr'));
      const seen = rt.mapById(obj.map('seen').id);
      const progId = op.id;
      assert.equal(runOp(op, { op: OP.arm, which: WHICH.arr, key: 0, cb: CB.periodic, a: MS }), 0);
      obj.close();
      clock.advance(10n * MS);
      assert.equal(seenOf(seen, 0).fired, 10n);
      assert.ok(rt.programIds().includes(progId), 'the timer keeps the program alive');
      rt.unpin('/sys/fs/bpf/arr');
      assert.ok(!rt.programIds().includes(progId), 'freed with the last map uref');
      clock.advance(10n * MS);
      assert.equal(seenOf(seen, 0).fired, 10n);
      assert.equal(rt.timers.timers.count, 0);
    });

    it('B28: an armed timer keeps its program alive after all program handles are released', async () => {
      const { obj, rt, op, clock } = await load();
      const progId = op.id;
      assert.equal(runOp(op, { op: OP.update, which: WHICH.hash, key: 1 }), 0);
      assert.equal(runOp(op, { op: OP.arm, which: WHICH.hash, key: 1, a: 20n * MS }), 0);
      op.release();
      assert.ok(rt.programIds().includes(progId));
      clock.advance(20n * MS);
      assert.equal(seenOf(obj.map('seen'), 1).fired, 1n, 'the callback ran');
      assert.ok(rt.programIds().includes(progId), 'firing keeps the reference (B32)');
      rt.releaseAllUserRefs(obj.map('hash'));
      assert.ok(!rt.programIds().includes(progId));
    });

    it('B29: re-acquiring the map by id makes bpf_timer_init succeed again', async () => {
      const { obj, rt, op } = await load();
      const id = obj.map('arr').id;
      rt.releaseAllUserRefs(obj.map('arr'));
      assert.equal(runOp(op, { op: OP.init, which: WHICH.arr, key: 0, a: 1n }), -EPERM);
      const h = rt.mapById(id);
      assert.equal(runOp(op, { op: OP.init, which: WHICH.arr, key: 0, a: 1n }), 0);
      h.release();
      assert.equal(runOp(op, { op: OP.start, which: WHICH.arr, key: 0, a: MS }), -EINVAL, 'freed again');
    });

    it('B30 (the cover letter): only the program pinned, every other handle gone: init is -EPERM, nothing stays armed', async () => {
      const { obj, rt, op } = await load();
      rt.pin('/sys/fs/bpf/op', op);
      obj.close();
      const pinned = rt.getPinned('/sys/fs/bpf/op') as ProgramHandle;
      for (const which of [WHICH.arr, WHICH.hash]) {
        if (which === WHICH.hash) assert.equal(runOp(pinned, { op: OP.update, which, key: 1 }), 0);
        assert.equal(runOp(pinned, { op: OP.arm, which, key: 1, a: MS }), -EPERM);
        assert.equal(runOp(pinned, { op: OP.setCb, which, key: 1 }), -EINVAL);
        assert.equal(runOp(pinned, { op: OP.start, which, key: 1, a: MS }), -EINVAL);
      }
      assert.equal(rt.timers.timers.count, 0);
      pinned.release();
      rt.unpin('/sys/fs/bpf/op');
      assert.deepEqual(rt.programIds(), []);
      assert.deepEqual(rt.mapIds(), [], 'every map freed');
    });
  });

  describe(`element events free timers (B33-B43) (${engine})`, () => {
    const armed = async (which: number, key: number): Promise<Awaited<ReturnType<typeof load>>> => {
      const l = await load();
      if (which === WHICH.hash || which === WHICH.lru || which === WHICH.hashl) assert.equal(runOp(l.op, { op: OP.update, which, key, a: 7n }), 0);
      assert.equal(runOp(l.op, { op: OP.arm, which, key, a: 10n * MS }), 0);
      return l;
    };

    it('B33: a user-space array update uninitialises the timer', async () => {
      const { obj, op, clock } = await armed(WHICH.arr, 1);
      obj.map('arr').update(key32(1), elemBytes(9n));
      clock.advance(20n * MS);
      assert.equal(seenOf(obj.map('seen'), 1).fired, 0n);
      assert.equal(runOp(op, { op: OP.start, which: WHICH.arr, key: 1, a: MS }), -EINVAL);
      assert.equal(runOp(op, { op: OP.cancel, which: WHICH.arr, key: 1 }), -EINVAL);
    });

    it('B34: a BPF-side array update uninitialises the timer; data takes the new value', async () => {
      const { obj, op, clock } = await armed(WHICH.arr, 2);
      assert.equal(runOp(op, { op: OP.update, which: WHICH.arr, key: 2, a: 77n }), 0);
      clock.advance(20n * MS);
      assert.equal(seenOf(obj.map('seen'), 2).fired, 0n);
      assert.equal(runOp(op, { op: OP.start, which: WHICH.arr, key: 2, a: MS }), -EINVAL);
      assert.deepEqual(obj.map('arr').lookup(key32(2)), elemBytes(77n));
    });

    it('B35: an array update with BPF_F_LOCK still uninitialises the timer', async () => {
      const { obj, op, clock } = await armed(WHICH.arrl, 0);
      obj.map('arrl').update(key32(0), elemBytes(5n, 0, true), BPF_F_LOCK);
      clock.advance(20n * MS);
      assert.equal(seenOf(obj.map('seen'), 0).fired, 0n);
      assert.equal(runOp(op, { op: OP.cancel, which: WHICH.arrl, key: 0 }), -EINVAL);
    });

    it('B36: a hash update with BPF_F_LOCK updates in place and leaves the timer running', async () => {
      const { obj, clock } = await armed(WHICH.hashl, 3);
      obj.map('hashl').update(key32(3), elemBytes(5n, 0, true), BPF_F_LOCK);
      clock.advance(20n * MS);
      assert.equal(seenOf(obj.map('seen'), 3).fired, 1n);
      assert.deepEqual(obj.map('hashl').lookup(key32(3)), elemBytes(5n, 0, true));
    });

    it('B37: replacing a hash element cancels the old timer; the new element starts uninitialised', async () => {
      const { obj, op, clock } = await armed(WHICH.hash, 2);
      obj.map('hash').update(key32(2), elemBytes(8n));
      assert.equal(runOp(op, { op: OP.start, which: WHICH.hash, key: 2, a: MS }), -EINVAL);
      clock.advance(20n * MS);
      assert.equal(seenOf(obj.map('seen'), 2).fired, 0n);
      assert.equal(runOp(op, { op: OP.init, which: WHICH.hash, key: 2, a: 1n }), 0);
    });

    it('B38: deleting a hash element (user or BPF) cancels its timer', async () => {
      const { obj, op, clock } = await armed(WHICH.hash, 1);
      assert.equal(runOp(op, { op: OP.update, which: WHICH.hash, key: 2 }), 0);
      assert.equal(runOp(op, { op: OP.arm, which: WHICH.hash, key: 2, a: 10n * MS }), 0);
      obj.map('hash').delete(key32(1));
      assert.equal(runOp(op, { op: OP.delete, which: WHICH.hash, key: 2 }), 0);
      clock.advance(20n * MS);
      assert.equal(seenOf(obj.map('seen'), 1).fired + seenOf(obj.map('seen'), 2).fired, 0n);
    });

    it('B39: LRU eviction cancels the evicted element\'s timer; cancel through the stale pointer is -EINVAL', async () => {
      const { obj, rt, op, clock } = await armed(WHICH.lru, 4);
      assert.equal(runOp(op, { op: OP.evict, key: 4 }), -EINVAL);
      assert.equal(obj.map('lru').lookup(key32(4)), undefined);
      assert.equal(rt.timers.timers.count, 0);
      clock.advance(20n * MS);
      assert.equal(seenOf(obj.map('seen'), 4).fired, 0n);
    });

    it('B41: a callback deletes its own element, then start through the stale value is -EINVAL', async () => {
      const { obj, op, clock } = await load();
      assert.equal(runOp(op, { op: OP.update, which: WHICH.hash, key: 6 }), 0);
      assert.equal(runOp(op, { op: OP.arm, which: WHICH.hash, key: 6, cb: CB.deleteSelf, a: MS }), 0);
      clock.advance(5n * MS);
      const s = seenOf(obj.map('seen'), 6);
      assert.deepEqual([s.fired, s.r], [1n, BigInt(-EINVAL)]);
      assert.equal(obj.map('hash').lookup(key32(6)), undefined);
    });

    it('B42, B43: user lookups read the timer as zeros; garbage timer bytes written by user space are ignored', async () => {
      const { obj, op } = await armed(WHICH.arr, 0);
      assert.deepEqual(obj.map('arr').lookup(key32(0)), elemBytes(0n));
      obj.map('arr').update(key32(3), elemBytes(4n, 0xa5));
      assert.deepEqual(obj.map('arr').lookup(key32(3)), elemBytes(4n));
      assert.equal(runOp(op, { op: OP.init, which: WHICH.arr, key: 3, a: 1n }), 0);
      obj.map('hash').update(key32(3), elemBytes(4n, 0xff));
      assert.equal(runOp(op, { op: OP.init, which: WHICH.hash, key: 3, a: 1n }), 0);
      assert.deepEqual(obj.map('hash').lookup(key32(3)), elemBytes(4n));
    });

  });

  describe(`runtime close (${engine})`, () => {
    it('nothing fires after close(); program references held by timers are dropped', async () => {
      const { obj, rt, op, clock } = await load();
      const seen = rt.mapById(obj.map('seen').id);
      assert.equal(runOp(op, { op: OP.arm, which: WHICH.arr, key: 0, cb: CB.periodic, a: MS }), 0);
      const progId = op.id;
      op.release();
      rt.close();
      assert.ok(!rt.programIds().includes(progId));
      clock.advance(10n * MS);
      assert.equal(seenOf(seen, 0).fired, 0n);
      assert.throws(() => rt.mapById(9999), (e: unknown) => isBpfError(e, ENOENT));
    });
  });

  describe(`inner maps (B72) (${engine})`, () => {
    const MIM = readFileSync(new URL('../testdata/progs/timer_rt_mim.bpf.o', import.meta.url));
    const ticksOf = (obj: BpfObject): bigint => new DataView(obj.map('.bss').lookup(key32(0))!.buffer).getBigUint64(0, true);

    it('an inner map\'s timers run after its removal from the outer map while user space holds it, and stop with its last uref', async () => {
      const clock = new VirtualClock();
      const rt = new Runtime({ clock });
      const obj = BpfObject.open(MIM, { name: 'timer_rt_mim' });
      await obj.load({ runtime: rt, engine });
      assert.equal(obj.program('arm').run().retval, 0);
      clock.advance(5n * MS);
      assert.equal(ticksOf(obj), 5n);
      obj.map('outer').delete(key32(0));
      clock.advance(5n * MS);
      assert.equal(ticksOf(obj), 10n, 'the outer map holds no uref: removal changes nothing');
      const innerId = obj.map('inner').id;
      rt.releaseAllUserRefs(obj.map('inner'));
      assert.ok(!rt.mapIds().includes(innerId), 'nothing references the inner map any more');
      clock.advance(5n * MS);
      assert.equal(ticksOf(obj), 10n);
      assert.equal(rt.timers.timers.count, 0);
    });

    it('the outer map does not keep the inner map\'s timers alive: they stop at the inner map\'s last uref', async () => {
      const clock = new VirtualClock();
      const rt = new Runtime({ clock });
      const obj = BpfObject.open(MIM, { name: 'timer_rt_mim' });
      await obj.load({ runtime: rt, engine });
      assert.equal(obj.program('arm').run().retval, 0);
      rt.releaseAllUserRefs(obj.map('inner'));
      clock.advance(5n * MS);
      assert.equal(ticksOf(obj), 0n);
      assert.equal(obj.program('arm').run().retval, -EPERM, 'still in the outer map, but without user references');
    });
  });
}

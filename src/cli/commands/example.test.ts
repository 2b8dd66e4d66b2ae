import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { memoryIo } from '../io.ts';
import { main } from '../main.ts';
import { parseDuration } from '../examples/driver.ts';

interface Row { timeNs: number; live: number; newFlows: number; expired: number; evicted: number; pass: number; timerErrors: number }

async function conntrack(args: string[]): Promise<Row[]> {
  const io = memoryIo();
  assert.equal(await main(['example', 'conntrack', '--json', ...args], io), 0, io.err);
  return io.out.trim().split('\n').map((l) => JSON.parse(l) as Row);
}

describe('tsbpf example conntrack', () => {
  it('expires every flow by its idle timer once traffic stops (virtual clock, deterministic)', async () => {
    const rows = await conntrack(['--flows', '20', '--duration', '10s', '--idle-timeout', '2s', '--close-timeout', '1s', '--every', '1s']);
    const last = rows[rows.length - 1]!;
    assert.equal(last.newFlows, 20);
    assert.equal(last.live, 0);
    assert.equal(last.expired, 20, 'every flow ends by its timer callback');
    assert.equal(last.evicted, 0);
    assert.equal(last.timerErrors, 0);
    // Flows are created while traffic runs and expire no earlier than the close timeout.
    assert.ok(rows.some((r) => r.live > 0 && r.expired < r.newFlows));
    assert.deepEqual(await conntrack(['--flows', '20', '--duration', '10s', '--idle-timeout', '2s', '--close-timeout', '1s', '--every', '1s']), rows, 'same seed, same report');
  });

  it('evicts from a full LRU table, and the evicted flows never fire their timers', async () => {
    const rows = await conntrack(['--flows', '40', '--duration', '5s', '--max-flows', '8', '--idle-timeout', '1s', '--every', '1s']);
    const last = rows[rows.length - 1]!;
    assert.ok(last.evicted > 0);
    assert.equal(last.live, 0);
    assert.equal(last.expired + last.evicted, last.newFlows, 'each flow either expired or was evicted');
  });

  it('refuses unknown examples and bad options', async () => {
    const io = memoryIo();
    assert.equal(await main(['example', 'nope'], io), 2);
    assert.match(io.err, /unknown example 'nope'/);
    assert.equal(await main(['example', 'conntrack', '--clock', 'sundial'], memoryIo()), 2);
    assert.throws(() => parseDuration('10 parsecs'), /bad duration/);
    assert.equal(parseDuration('1.5s'), 1_500_000_000n);
    assert.equal(parseDuration('250us'), 250_000n);
  });
});

interface Sample { seq: number; timeNs: number; deltaNs: number; packets: number; packetsPerSec: number }

describe('tsbpf example sampler', () => {
  it('samples the counters on a fixed grid into the ring buffer (virtual clock: exact)', async () => {
    const io = memoryIo();
    assert.equal(await main(['example', 'sampler', '--json', '--duration', '1s', '--interval', '100ms', '--rate', '1000'], io), 0, io.err);
    const samples = io.out.trim().split('\n').map((l) => JSON.parse(l) as Sample);
    assert.equal(samples.length, 10);
    samples.forEach((s, i) => {
      assert.equal(s.seq, i);
      assert.equal(s.timeNs, (i + 1) * 100_000_000, 'the absolute grid: no drift');
      assert.equal(s.deltaNs, 100_000_000);
      assert.equal(s.packetsPerSec, 1000);
      assert.equal(s.packets, (i + 1) * 100);
    });
  });

  it('refuses bad flags with the usage', async () => {
    const io = memoryIo();
    assert.equal(await main(['example', 'sampler', '--flows', '3'], io), 2);
    assert.match(io.err, /usage: tsbpf example/);
  });
});

interface Probe { timeNs: number; probes: number; healthy: number; flipsUp: number; flipsDown: number; up: boolean[]; picks: number[] }

describe('tsbpf example healthcheck', () => {
  it('flips a silent backend DOWN after dead-after, back UP when heartbeats return, and stops picking it', async () => {
    const io = memoryIo();
    assert.equal(await main(['example', 'healthcheck', '--json', '--duration', '16s', '--outage', '2:5s-12s'], io), 0, io.err);
    const rows = io.out.trim().split('\n').map((l) => JSON.parse(l) as Probe);
    const at = (s: number) => rows.find((r) => r.timeNs === s * 1e9)!;
    assert.deepEqual(at(7).up, [true, true, true], 'last heartbeat at 4.5 s: still fresh at 7 s');
    assert.deepEqual(at(8).up, [true, false, true], 'older than 3 s at the 8 s probe');
    assert.deepEqual(at(12).up, [true, false, true]);
    assert.deepEqual(at(13).up, [true, true, true], 'heartbeats resumed at 12 s');
    assert.equal(at(12).picks[1], at(8).picks[1], 'no packet goes to a DOWN backend');
    const last = rows[rows.length - 1]!;
    assert.equal(last.flipsDown, 1);
    assert.equal(last.flipsUp, 4, 'three at the first probe, one on return');
    assert.equal(last.probes, 15);
  });
});

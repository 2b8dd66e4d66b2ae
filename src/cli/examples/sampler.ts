/**
 * `tsbpf example sampler`: examples/sampler.bpf.c. An XDP program counts packets; a
 * self-re-arming timer (absolute grid, BPF_F_TIMER_ABS) samples the counters into a ring buffer,
 * which this driver drains after every interval and prints.
 */
import { buildFrame, ipv4, IPPROTO_UDP } from '../../examples/frame.ts';
import { SAMPLE, SAMPLER } from '../../examples/layouts.ts';
import { RingBufMap } from '../../maps/ringbuf.ts';
import { BpfError, InternalError } from '../../util/errors.ts';
import { EINVAL } from '../../uapi/errno.ts';
import { formatSeconds, openExample, type ClockKind } from './driver.ts';

export interface SamplerOptions {
  readonly durationNs: bigint;
  readonly intervalNs: bigint;
  /** Packets per second fed to xdp_count. */
  readonly ratePps: number;
  readonly clock: ClockKind;
  readonly json: boolean;
}

export async function runSampler(o: SamplerOptions, out: (text: string) => void): Promise<void> {
  if (o.intervalNs <= 0n || o.ratePps <= 0) throw new BpfError(EINVAL, '--interval and --rate must be positive');
  const session = await openExample('sampler', { sample_interval_ns: o.intervalNs }, o.clock);
  try {
    const { obj } = session;
    const ring = obj.map('samples').map;
    if (!(ring instanceof RingBufMap)) throw new InternalError("sampler: 'samples' is not a ring buffer");
    const started = obj.program('sampler_start').run({ ctx: new Uint8Array(8) }).retval;
    if (started !== 0) throw new BpfError(-started, `sampler_start returned ${started}`);
    if (!o.json) {
      out(`sampler: ${o.ratePps} packets/s, a sample every ${formatSeconds(o.intervalNs)} into a ring buffer, ${o.clock} clock\n`);
      out('     seq       time     delta   packets  packets/s    bytes/s\n');
    }
    const xdp = obj.program('xdp_count');
    const frame = buildFrame({ src: ipv4('10.0.0.1'), dst: ipv4('10.0.0.2'), proto: IPPROTO_UDP, sport: 1234, dport: 80, payloadBytes: 86 });
    const gapNs = BigInt(Math.round(1e9 / o.ratePps));
    let samples = 0;
    const drain = () => {
      for (const rec of ring.consume()) {
        const s = SAMPLE.decode(rec);
        samples++;
        const atNs = s.timestampNs - session.startNs;
        if (o.json) out(`${JSON.stringify({ seq: Number(s.seq), timeNs: Number(atNs), deltaNs: Number(s.deltaNs), packets: Number(s.packets), packetsPerSec: Number(s.packetsPerSec), bytesPerSec: Number(s.bytesPerSec) })}\n`);
        else out(`${String(s.seq).padStart(8)} ${formatSeconds(atNs).padStart(10)} ${`${Number(s.deltaNs) / 1e6}ms`.padStart(9)} ${String(s.packets).padStart(9)} ${String(s.packetsPerSec).padStart(10)} ${String(s.bytesPerSec).padStart(10)}\n`);
      }
    };
    let nextDrain = o.intervalNs;
    for (let t = 0n; t < o.durationNs; t += gapNs) {
      if (t >= nextDrain) {
        await session.waitUntil(nextDrain);
        drain();
        nextDrain += o.intervalNs;
      }
      await session.waitUntil(t);
      xdp.run({ data: frame });
    }
    await session.waitUntil(o.durationNs);
    drain();
    const pending = obj.program('sampler_stop').run({ ctx: new Uint8Array(8) }).retval;
    if (!o.json) {
      const state = obj.map('sampler').lookup(new Uint8Array(4));
      const s = state === undefined ? undefined : SAMPLER.decode(state);
      out(`summary: ${samples} samples read, ${s?.written ?? 0n} written, ${s?.dropped ?? 0n} dropped (ring full), ${s?.skippedTicks ?? 0n} ticks skipped; sampler_stop: ${pending === 1 ? 'a sample was pending (cancelled)' : `returned ${pending}`}\n`);
    }
  } finally {
    session.close();
  }
}

/**
 * What the `tsbpf example` programs share: opening an example object with its `.rodata` set
 * from flags, loading it on a virtual or a real clock, and letting time pass between packets
 * (the virtual clock advances and fires every timer due; the real clock waits while Node's event
 * loop fires them).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BpfObject } from '../../runtime/object.ts';
import { VirtualClock } from '../../timers/virtual-clock.ts';
import { RealClock } from '../../timers/real-clock.ts';
import { CLOCK_MONOTONIC } from '../../uapi/bpf.ts';
import { BpfError } from '../../util/errors.ts';
import { EINVAL } from '../../uapi/errno.ts';

/** Where the example objects are (examples/ at the package root). */
export const EXAMPLES_DIR = fileURLToPath(new URL('../../../examples/', import.meta.url));

export type ClockKind = 'virtual' | 'real';

export interface ExampleSession {
  readonly obj: BpfObject;
  readonly clock: VirtualClock | RealClock;
  /** Monotonic time at the start of the run; packet times are relative to it. */
  readonly startNs: bigint;
  /** Let time pass until `startNs + offsetNs`. */
  waitUntil(offsetNs: bigint): Promise<void>;
  close(): void;
}

/**
 * Opens `examples/<name>.bpf.o`, lets `configure` edit its spec (map sizes), writes each
 * `.rodata` variable of `rodata` (little endian, the variable's own size), and loads it.
 * @throws {BpfError} EINVAL for an unknown variable.
 */
export async function openExample(
  name: string,
  rodata: Readonly<Record<string, bigint>>,
  clockKind: ClockKind,
  configure: (obj: BpfObject) => void = () => {},
): Promise<ExampleSession> {
  const obj = BpfObject.open(readFileSync(`${EXAMPLES_DIR}${name}.bpf.o`), { name });
  configure(obj);
  for (const [variable, value] of Object.entries(rodata)) {
    const v = obj.spec.variables.get(variable);
    const contents = v === undefined ? undefined : obj.spec.maps.get(v.map)?.contents;
    if (v === undefined || contents === undefined) throw new BpfError(EINVAL, `${name}: no variable '${variable}' to configure`);
    const view = new DataView(contents.buffer, contents.byteOffset, contents.byteLength);
    if (v.size === 8) view.setBigUint64(v.offset, value, true);
    else if (v.size === 4) view.setUint32(v.offset, Number(value), true);
    else throw new BpfError(EINVAL, `${name}: variable '${variable}' has size ${v.size}`);
  }
  const clock = clockKind === 'real' ? new RealClock() : new VirtualClock();
  await obj.load({ clock });
  const startNs = clock.nowNs(CLOCK_MONOTONIC);
  return {
    obj,
    clock,
    startNs,
    async waitUntil(offsetNs: bigint): Promise<void> {
      const target = startNs + offsetNs;
      if (clock instanceof VirtualClock) {
        if (target > clock.nowNs(CLOCK_MONOTONIC)) clock.advanceTo(target);
        return;
      }
      const waitNs = target - clock.nowNs(CLOCK_MONOTONIC);
      if (waitNs > 0n) await new Promise((resolve) => setTimeout(resolve, Number(waitNs / 1_000_000n)));
    },
    close(): void {
      obj.close();
      clock.close();
    },
  };
}

/** Parses `60s`, `100ms`, `250us`, `5ns`, `2m`, `1.5s` into nanoseconds. */
export function parseDuration(text: string): bigint {
  const m = /^(\d+(?:\.\d+)?)(ns|us|ms|s|m)$/.exec(text.trim());
  if (m === null) throw new BpfError(EINVAL, `bad duration '${text}' (use e.g. 60s, 100ms, 250us)`);
  const scale = { ns: 1, us: 1e3, ms: 1e6, s: 1e9, m: 60e9 }[m[2] as 'ns' | 'us' | 'ms' | 's' | 'm'];
  return BigInt(Math.round(Number(m[1]) * scale));
}

/** `12.5s`-style display of a nanosecond offset. */
export function formatSeconds(ns: bigint): string {
  return `${(Number(ns) / 1e9).toFixed(1)}s`;
}

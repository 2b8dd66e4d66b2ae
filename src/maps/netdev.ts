/**
 * The network devices a runtime pretends to have: what the kernel's dev_get_by_index() finds in
 * the caller's network namespace when a devmap entry names an ifindex. Nothing is ever sent to
 * them (test runs record redirects, they do not perform them); they exist so that devmap updates
 * accept and refuse ifindexes as the kernel does. `lo` (ifindex 1) is always there, as in every
 * network namespace. Works in node / browser.
 */
import { BpfError } from '../util/errors.ts';
import { EINVAL } from '../uapi/errno.ts';

/** A network device: its ifindex (> 0) and its name (at most 15 characters, IFNAMSIZ - 1). */
export interface Netdev {
  readonly ifindex: number;
  readonly name: string;
}

/** The loopback device every network namespace has. */
export const LOOPBACK: Netdev = { ifindex: 1, name: 'lo' };

/** IFNAMSIZ - 1: the longest interface name. */
const MAX_NAME = 15;

/** A fixed set of network devices, by ifindex. */
export class NetdevTable {
  readonly #byIndex = new Map<number, Netdev>();

  /**
   * `lo` plus `devices`. An entry for `lo` itself is allowed only as exactly { ifindex: 1, name: 'lo' }.
   * @throws {BpfError} EINVAL for an ifindex outside 1..2^31-1, an empty, too long or reused
   * name, or a reused ifindex.
   */
  constructor(devices: readonly Netdev[] = []) {
    this.#byIndex.set(LOOPBACK.ifindex, LOOPBACK);
    const names = new Set([LOOPBACK.name]);
    for (const d of devices) {
      if (d.ifindex === LOOPBACK.ifindex && d.name === LOOPBACK.name) continue;
      if (!Number.isInteger(d.ifindex) || d.ifindex < 1 || d.ifindex > 0x7fff_ffff) {
        throw new BpfError(EINVAL, `netdev '${d.name}': ifindex ${d.ifindex} is not in 1..2147483647`);
      }
      if (d.name.length === 0 || d.name.length > MAX_NAME || /[\s/:]/.test(d.name)) {
        throw new BpfError(EINVAL, `netdev ${d.ifindex}: '${d.name}' is not a valid interface name (1 to ${MAX_NAME} characters, no spaces, '/' or ':')`);
      }
      if (this.#byIndex.has(d.ifindex)) throw new BpfError(EINVAL, `netdev '${d.name}': ifindex ${d.ifindex} is already '${this.#byIndex.get(d.ifindex)!.name}'`);
      if (names.has(d.name)) throw new BpfError(EINVAL, `netdev ${d.ifindex}: the name '${d.name}' is already taken`);
      names.add(d.name);
      this.#byIndex.set(d.ifindex, { ifindex: d.ifindex, name: d.name });
    }
  }

  /** The device with this ifindex, or undefined (dev_get_by_index). */
  byIndex(ifindex: number): Netdev | undefined {
    return this.#byIndex.get(ifindex);
  }

  /** Every device, by ascending ifindex. */
  list(): Netdev[] {
    return [...this.#byIndex.values()].sort((a, b) => a.ifindex - b.ifindex);
  }
}

/** The table of a runtime configured with no devices: `lo` only. */
export const DEFAULT_NETDEVS = new NetdevTable();

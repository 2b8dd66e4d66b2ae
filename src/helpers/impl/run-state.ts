/**
 * What the runtime-bound helpers (maps, callbacks, tail calls, XDP, redirect) need from the
 * runtime: its map registry and the state of the program run in progress. The runtime implements
 * {@link RunBinding}; helper implementations never import runtime/. Works in node / browser.
 */
import type { BpfMap, ProgRef } from '../../maps/map.ts';

/** The XDP buffer of a run (struct xdp_buff): offsets into the frame region, as the kernel's pointers. */
export interface XdpBuff {
  /** The frame: headroom, packet and tailroom (frame_sz bytes); data_hard_start is its first byte. */
  readonly framePtr: bigint;
  /** frame_sz: headroom + room for the packet + SKB_DATA_ALIGN(sizeof(struct skb_shared_info)). */
  readonly frameSz: number;
  /** Offsets from data_hard_start. */
  dataMeta: number;
  data: number;
  dataEnd: number;
}

/** A redirect the program asked for (bpf_redirect, bpf_redirect_map): recorded, never performed. */
export interface RedirectRecord {
  /** 'ifindex' for bpf_redirect, 'map' for bpf_redirect_map. */
  readonly kind: 'ifindex' | 'map';
  /** The target ifindex (bpf_redirect) or the map key (bpf_redirect_map). */
  readonly target: number;
  readonly flags: bigint;
  /** bpf_redirect_map: the map's name. */
  readonly map?: string;
  /** bpf_redirect_map on a devmap whose key holds a device: that device's ifindex. */
  readonly ifindex?: number;
  /**
   * bpf_redirect_map on a devmap with BPF_F_BROADCAST: the ifindex of every entry, in the order
   * the kernel walks them (devmap: by key; devmap hash: by bucket), without the ingress device
   * when BPF_F_EXCLUDE_INGRESS is set. The kernel also skips devices that cannot transmit XDP
   * frames, which tsbpf does not model: every entry counts.
   */
  readonly ifindexes?: readonly number[];
}

/** The mutable state of one program run (BPF_PROG_TEST_RUN, or a callback the runtime fires). */
export interface RunState {
  /** The virtual CPU the run is on. */
  readonly cpu: number;
  /** XDP runs: the buffer bpf_xdp_adjust_* move. */
  readonly xdp: XdpBuff | undefined;
  /** The device the packet arrived on (xdp_md.ingress_ifindex); default 1 (`lo`, the test run's). */
  readonly ingressIfindex?: number;
  /** The last redirect requested in this run. */
  redirect: RedirectRecord | undefined;
  /** Tail calls taken so far (the kernel allows MAX_TAIL_CALL_CNT = 33). */
  tailCalls: number;
}

/** A program as tail calls see it: a ProgRef the runtime can run. */
export interface TailCallTarget extends ProgRef {
  readonly name: string;
}

/** The runtime side the bound helpers call. */
export interface RunBinding {
  /** The map whose `struct bpf_map *` is `ptr`, or undefined. */
  mapAt(ptr: bigint): BpfMap | undefined;
  /** The run in progress. @throws {InternalError} outside a run. */
  run(): RunState;
  /** The program in slot `index` of a prog array, or undefined for an empty slot. */
  progArraySlot(map: BpfMap, index: number): TailCallTarget | undefined;
}

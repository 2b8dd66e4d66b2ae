/**
 * The contexts of the test runs in progress on a runtime whose fields the JIT may read in line
 * (wasm-helpers/index.ts): per run, the context's pointer and where the values of its fields are
 * in linear memory. xdp-run.ts and skb-run.ts push one around each run; the program's entry values
 * read the innermost one of their kind at each entry into the module, and the code compares the
 * context register with its pointer before reading (any other context takes the load import).
 * Works in node / browser.
 */
import {
  BPF_PROG_TYPE_CGROUP_SKB, BPF_PROG_TYPE_LWT_IN, BPF_PROG_TYPE_LWT_OUT, BPF_PROG_TYPE_LWT_XMIT, BPF_PROG_TYPE_SCHED_ACT,
  BPF_PROG_TYPE_SCHED_CLS, BPF_PROG_TYPE_SOCKET_FILTER, BPF_PROG_TYPE_XDP,
} from '../uapi/bpf.ts';

/** The context layouts, by program family. */
export type CtxKind = 'xdp' | 'skb';

/** The context layout of a program type: `xdp_md`, `__sk_buff` (test_run builds an skb), or none. */
export function ctxKindOf(progType: number | undefined): CtxKind | undefined {
  switch (progType) {
    case BPF_PROG_TYPE_XDP:
      return 'xdp';
    case BPF_PROG_TYPE_SCHED_CLS:
    case BPF_PROG_TYPE_SCHED_ACT:
    case BPF_PROG_TYPE_SOCKET_FILTER:
    case BPF_PROG_TYPE_CGROUP_SKB:
    case BPF_PROG_TYPE_LWT_IN:
    case BPF_PROG_TYPE_LWT_OUT:
    case BPF_PROG_TYPE_LWT_XMIT:
      return 'skb';
    default:
      return undefined;
  }
}

/** A context laid out in linear memory for one test run. */
export interface CtxLayout {
  readonly kind: CtxKind;
  /** The context region's pointer. */
  readonly ctx: bigint;
  /**
   * Linear address of the converted values: XDP, a u64 per xdp_md field in xdp_md's order; skb,
   * the u64 packet pointers data and data_end.
   */
  readonly values: number;
  /** Linear address of the context's own bytes (skb: the fields kept as plain bytes). */
  readonly bytes: number;
}

/** The layouts of the runs in progress on one runtime (`Runtime.ctxLayouts`), innermost last. */
export class CtxLayouts {
  readonly #stack: CtxLayout[] = [];

  push(layout: CtxLayout): void {
    this.#stack.push(layout);
  }

  pop(): void {
    this.#stack.pop();
  }

  /** The innermost run's layout when it is of `kind`, else undefined. */
  current(kind: CtxKind): CtxLayout | undefined {
    const top = this.#stack[this.#stack.length - 1];
    return top !== undefined && top.kind === kind ? top : undefined;
  }
}

/**
 * From a function's control-flow graph to Wasm's structured control flow.
 *
 * Reducible graphs (everything clang emits, bounded loops included) use the algorithm of Norman
 * Ramsey, "Beyond Relooper" (ICFP 2022): walk the dominator tree in reverse postorder; a node
 * reached by a back edge is a loop header and opens a `loop`; the dominator-tree children of a
 * node that have two or more forward in-edges (merge nodes) are placed after it, each behind a
 * `block` whose end they follow, latest first; every other child is emitted inline at the branch
 * that reaches it. Backward branches become `br` to the loop, branches to merge nodes `br` out of
 * their block, so no code is duplicated.
 *
 * Irreducible graphs (a cycle with two entries; only hand-written or unverified code) fall back
 * to a dispatcher: a `loop` around a `br_table` over all blocks, with the next block in a label
 * variable. Correct for any graph, slower. Works in node / browser.
 *
 * The result is a plan (a flat list of structured operations over local block numbers) that the
 * compiler turns into code, so this file knows nothing of BPF or of Wasm encoding.
 */

/** One node of the graph as the structurizer sees it: its successors, in order. */
export interface FlowNode {
  /** 'goto': one successor; 'cond': [taken, fall]; 'exit' / 'trap': none. */
  readonly kind: 'goto' | 'cond' | 'exit' | 'trap';
  readonly succ: readonly number[];
}

/** A structured operation; `node` is a local node number (0 = entry). */
export type StructOp =
  | { readonly op: 'block' | 'loop' | 'if' | 'else' | 'end' }
  | { readonly op: 'br'; readonly depth: number }
  /** Straight-line code of the node, then (for 'cond') its condition as an i32 on the stack. */
  | { readonly op: 'body'; readonly node: number }
  /** Top of a loop iteration (where the compiler may count iterations). */
  | { readonly op: 'loophead'; readonly node: number }
  /** The node's terminator: exit (return) or trap (unreachable). */
  | { readonly op: 'exit' | 'trap'; readonly node: number }
  /** Dispatcher only: label := value (a dense node number); and the br_table over `count` nodes. */
  | { readonly op: 'setlabel'; readonly value: number }
  | { readonly op: 'dispatch'; readonly count: number };

export interface StructurePlan {
  readonly ops: StructOp[];
  /** True when the dispatcher fallback was used (the graph is irreducible). */
  readonly dispatcher: boolean;
}

type Ctx = { readonly kind: 'loop' | 'block' | 'if'; readonly node: number };

/** Reverse postorder of the nodes reachable from 0: `order` and each node's position `rpo`. */
function reversePostorder(nodes: readonly FlowNode[]): { order: number[]; rpo: Int32Array } {
  const n = nodes.length;
  const rpo = new Int32Array(n).fill(-1);
  const state = new Uint8Array(n);
  const post: number[] = [];
  const stack: [number, number][] = [[0, 0]];
  state[0] = 1;
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const succ = nodes[top[0]]!.succ;
    if (top[1] < succ.length) {
      const s = succ[top[1]++]!;
      if (state[s] === 0) {
        state[s] = 1;
        stack.push([s, 0]);
      }
    } else {
      post.push(top[0]);
      stack.pop();
    }
  }
  const order = post.reverse();
  order.forEach((v, i) => { rpo[v] = i; });
  return { order, rpo };
}

/** Immediate dominators (Cooper, Harvey, Kennedy: "A Simple, Fast Dominance Algorithm"). */
function dominators(nodes: readonly FlowNode[], order: readonly number[], rpo: Int32Array): Int32Array {
  const n = nodes.length;
  const preds: number[][] = Array.from({ length: n }, () => []);
  for (const v of order) for (const s of nodes[v]!.succ) preds[s]!.push(v);
  const idom = new Int32Array(n).fill(-1);
  idom[0] = 0;
  const intersect = (a: number, b: number): number => {
    let x = a;
    let y = b;
    while (x !== y) {
      while (rpo[x]! > rpo[y]!) x = idom[x]!;
      while (rpo[y]! > rpo[x]!) y = idom[y]!;
    }
    return x;
  };
  for (let changed = true; changed;) {
    changed = false;
    for (const v of order) {
      if (v === 0) continue;
      let d = -1;
      for (const p of preds[v]!) if (idom[p] !== -1) d = d === -1 ? p : intersect(p, d);
      if (d !== idom[v]) {
        idom[v] = d;
        changed = true;
      }
    }
  }
  return idom;
}

function dominates(idom: Int32Array, a: number, b: number): boolean {
  let x = b;
  for (;;) {
    if (x === a) return true;
    if (x === 0) return false;
    x = idom[x]!;
  }
}

/**
 * Plan the structured form of a graph whose entry is node 0. Every node must be reachable from
 * node 0 (the CFG builder guarantees it).
 */
export function structurize(nodes: readonly FlowNode[]): StructurePlan {
  const { order, rpo } = reversePostorder(nodes);
  const idom = dominators(nodes, order, rpo);
  const loopHeader = new Uint8Array(nodes.length);
  const forwardIn = new Int32Array(nodes.length);
  for (const v of order) {
    for (const s of nodes[v]!.succ) {
      if (rpo[s]! <= rpo[v]!) {
        if (!dominates(idom, s, v)) return dispatcherPlan(nodes, order);
        loopHeader[s] = 1;
      } else forwardIn[s]!++;
    }
  }
  const children: number[][] = Array.from({ length: nodes.length }, () => []);
  for (const v of order) if (v !== 0) children[idom[v]!]!.push(v);
  const ops: StructOp[] = [];
  try {
    new Ramsey(nodes, rpo, loopHeader, forwardIn, children, ops).doTree(0, []);
  } catch (e) {
    // A dominator tree too deep for the host's stack: the dispatcher needs no recursion.
    if (e instanceof RangeError) return dispatcherPlan(nodes, order);
    throw e;
  }
  return { ops, dispatcher: false };
}

class Ramsey {
  private readonly nodes: readonly FlowNode[];
  private readonly rpo: Int32Array;
  private readonly loopHeader: Uint8Array;
  private readonly forwardIn: Int32Array;
  private readonly children: readonly number[][];
  private readonly ops: StructOp[];

  constructor(nodes: readonly FlowNode[], rpo: Int32Array, loopHeader: Uint8Array, forwardIn: Int32Array, children: number[][], ops: StructOp[]) {
    this.nodes = nodes;
    this.rpo = rpo;
    this.loopHeader = loopHeader;
    this.forwardIn = forwardIn;
    this.children = children;
    this.ops = ops;
  }

  private isMerge(v: number): boolean {
    return this.forwardIn[v]! >= 2;
  }

  doTree(x: number, ctx: readonly Ctx[]): void {
    const merges = this.children[x]!.filter((c) => this.isMerge(c)).sort((a, b) => this.rpo[b]! - this.rpo[a]!);
    if (this.loopHeader[x] === 1) {
      this.ops.push({ op: 'loop' }, { op: 'loophead', node: x });
      this.nodeWithin(x, merges, [{ kind: 'loop', node: x }, ...ctx]);
      this.ops.push({ op: 'end' });
    } else this.nodeWithin(x, merges, ctx);
  }

  private nodeWithin(x: number, merges: readonly number[], ctx: readonly Ctx[]): void {
    const y = merges[0];
    if (y !== undefined) {
      this.ops.push({ op: 'block' });
      this.nodeWithin(x, merges.slice(1), [{ kind: 'block', node: y }, ...ctx]);
      this.ops.push({ op: 'end' });
      this.doTree(y, ctx);
      return;
    }
    const node = this.nodes[x]!;
    this.ops.push({ op: 'body', node: x });
    switch (node.kind) {
      case 'goto':
        this.doBranch(x, node.succ[0]!, ctx);
        break;
      case 'cond': {
        const inner: Ctx[] = [{ kind: 'if', node: -1 }, ...ctx];
        this.ops.push({ op: 'if' });
        this.doBranch(x, node.succ[0]!, inner);
        this.ops.push({ op: 'else' });
        this.doBranch(x, node.succ[1]!, inner);
        this.ops.push({ op: 'end' });
        break;
      }
      case 'exit':
      case 'trap':
        this.ops.push({ op: node.kind, node: x });
        break;
    }
  }

  private doBranch(src: number, tgt: number, ctx: readonly Ctx[]): void {
    const backward = this.rpo[tgt]! <= this.rpo[src]!;
    if (backward || this.isMerge(tgt)) {
      const kind = backward ? 'loop' : 'block';
      const depth = ctx.findIndex((c) => c.kind === kind && c.node === tgt);
      if (depth < 0) throw new RangeError(`structurize: no enclosing ${kind} for node ${tgt}`);
      this.ops.push({ op: 'br', depth });
    } else this.doTree(tgt, ctx);
  }
}

/**
 * The fallback: `loop { block^n { br_table label } node0; ... }`, where each node sets the
 * label of its successor and branches back to the loop.
 */
function dispatcherPlan(nodes: readonly FlowNode[], order: readonly number[]): StructurePlan {
  // Number the reachable nodes densely; the entry (node 0) is first, so the zeroed label starts it.
  const dense = new Int32Array(nodes.length).fill(-1);
  order.forEach((v, i) => { dense[v] = i; });
  const n = order.length;
  const ops: StructOp[] = [{ op: 'loop' }, { op: 'loophead', node: 0 }];
  for (let i = 0; i < n; i++) ops.push({ op: 'block' });
  ops.push({ op: 'dispatch', count: n });
  order.forEach((v, i) => {
    ops.push({ op: 'end' });
    const node = nodes[v]!;
    const toLoop = n - 1 - i;
    ops.push({ op: 'body', node: v });
    const jump = (s: number, extra: number): void => {
      ops.push({ op: 'setlabel', value: dense[s]! }, { op: 'br', depth: toLoop + extra });
    };
    switch (node.kind) {
      case 'goto': jump(node.succ[0]!, 0); break;
      case 'cond':
        ops.push({ op: 'if' });
        jump(node.succ[0]!, 1);
        ops.push({ op: 'else' });
        jump(node.succ[1]!, 1);
        ops.push({ op: 'end' });
        break;
      case 'exit':
      case 'trap':
        ops.push({ op: node.kind, node: v });
        break;
    }
  });
  ops.push({ op: 'end' });
  return { ops, dispatcher: true };
}

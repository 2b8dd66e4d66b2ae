/**
 * The clocks' timer queue: entries ordered by (expiry, arming sequence), with O(log n) arm, cancel
 * and pop, and O(1) for the common case of many timers armed one after another for one expiry.
 *
 * Ordering mirrors the kernel's hrtimer timerqueue (an rbtree by expiry in which an entry equal to
 * existing ones is inserted after them): timers due at the same instant fire in the order they
 * were armed, and re-arming a timer counts as arming it anew.
 *
 * Structure: consecutive armings for the same expiry form a *run*, a linked list in arming order;
 * a binary min-heap orders the runs by (expiry, sequence number of their first entry). An arming
 * joins the run of the previous arming when it is for the same expiry and that run is still
 * queued, and starts a run otherwise. Runs therefore hold disjoint intervals of sequence numbers,
 * so removing entries from a run (pop, cancel) never changes its order relative to the other runs:
 * only a run that empties leaves the heap. Works in node / browser.
 */
/**
 * The largest kernel time (KTIME_MAX, include/linux/ktime.h): about 292 years. Expiries that
 * saturate to it never fire, yet the timer is queued (the kernel reports it as pending).
 */
export const KTIME_MAX = (1n << 63n) - 1n;

/**
 * One queueable timer. The owner creates it once and arms it as often as it likes; the queue sets
 * `expiresNs` and `seq` and links it into its runs. `fire` runs when the clock pops it (already
 * dequeued, so it may re-arm itself): the callback given to the constructor, or, in a subclass
 * that overrides it, the subclass's own method (bpf-timer.ts's control blocks are entries
 * themselves, so arming a timer allocates nothing but, at times, a run).
 */
export class TimerEntry {
  /** Expiry on the clock's monotonic timeline, in ns; `KTIME_MAX` means never. */
  expiresNs = 0n;
  /** Arming sequence number: breaks ties between equal expiries. */
  seq = 0;
  /** The run holding the entry while it is queued. Owned by TimerQueue. */
  run: Run | undefined = undefined;
  /** Neighbours in the run. Owned by TimerQueue. */
  prev: TimerEntry | undefined = undefined;
  next: TimerEntry | undefined = undefined;
  readonly #callback: (() => void) | undefined;

  constructor(fire?: () => void) {
    this.#callback = fire;
  }

  /** Runs the callback given to the constructor (subclasses override this instead). */
  fire(): void {
    this.#callback?.();
  }

  /** True while the entry is in a queue (armed and not yet fired or cancelled). */
  get queued(): boolean {
    return this.run !== undefined;
  }
}

/** Entries armed one after another for one expiry, in arming order: one node of the heap. */
class Run {
  readonly expiresNs: bigint;
  /**
   * The expiry as a double: the heap compares these numbers, since bigint comparisons made pops
   * several times slower. `exact` when the double is the expiry itself (magnitude below 2^53 ns,
   * about 104 days); otherwise equal keys are told apart by expiresNs.
   */
  readonly sortKey: number;
  readonly exact: boolean;
  first: TimerEntry;
  last: TimerEntry;
  /** Position in the heap, or -1 once the run has emptied. */
  index = -1;

  constructor(expiresNs: bigint, sortKey: number, entry: TimerEntry) {
    this.expiresNs = expiresNs;
    this.sortKey = sortKey;
    this.exact = sortKey < 2 ** 53 && sortKey > -(2 ** 53);
    this.first = entry;
    this.last = entry;
  }
}

export type { Run };

/** Number() rounds monotonically: a smaller sortKey is an earlier expiry; equal ones may differ. */
function before(a: Run, b: Run): boolean {
  if (a.sortKey !== b.sortKey) return a.sortKey < b.sortKey;
  if (!(a.exact && b.exact) && a.expiresNs !== b.expiresNs) return a.expiresNs < b.expiresNs;
  return a.first.seq < b.first.seq;
}

const S64_MIN = -(1n << 63n);

/** Timer entries by (expiresNs, seq). Works in node / browser. */
export class TimerQueue {
  private readonly heap: Run[] = [];
  private nextSeq = 0;
  private count = 0;
  /** The run of the latest arming: the next arming for its expiry joins it while it is queued. */
  private tail: Run | undefined = undefined;

  /** Number of queued entries, including those that never fire. */
  get size(): number {
    return this.count;
  }

  /**
   * Queue `entry` to expire at `expiresNs` (a signed 64-bit time; values outside s64 wrap). An
   * entry already queued is moved (its previous expiry is forgotten: it fires once, at the new
   * time) and takes a new arming sequence number.
   */
  arm(entry: TimerEntry, expiresNs: bigint): void {
    if (entry.run !== undefined) this.unlink(entry);
    const exp = expiresNs >= S64_MIN && expiresNs <= KTIME_MAX ? expiresNs : BigInt.asIntN(64, expiresNs);
    entry.expiresNs = exp;
    entry.seq = this.nextSeq++;
    this.count++;
    const tail = this.tail;
    if (tail !== undefined && tail.index >= 0 && tail.expiresNs === exp) {
      // The latest seq: it goes last in the run, and the run keeps its place among the others.
      entry.run = tail;
      entry.prev = tail.last;
      tail.last.next = entry;
      tail.last = entry;
      return;
    }
    const run = new Run(exp, Number(exp), entry);
    entry.run = run;
    this.tail = run;
    run.index = this.heap.length;
    this.heap.push(run);
    this.siftUp(run.index);
  }

  /** Dequeue `entry`; returns whether it was queued (the kernel's hrtimer_try_to_cancel 1/0). */
  cancel(entry: TimerEntry): boolean {
    if (entry.run === undefined) return false;
    this.unlink(entry);
    return true;
  }

  /** The earliest entry, or undefined when the queue is empty. */
  peek(): TimerEntry | undefined {
    return this.heap[0]?.first;
  }

  /** Remove and return the earliest entry. */
  pop(): TimerEntry | undefined {
    const top = this.heap[0]?.first;
    if (top !== undefined) this.unlink(top);
    return top;
  }

  /** Dequeue everything (close paths). */
  clear(): void {
    for (const run of this.heap) {
      run.index = -1;
      for (let e: TimerEntry | undefined = run.first; e !== undefined; ) {
        const next: TimerEntry | undefined = e.next;
        e.run = e.prev = e.next = undefined;
        e = next;
      }
    }
    this.heap.length = 0;
    this.count = 0;
    this.tail = undefined;
  }

  /** Takes a queued entry out of its run, and the run out of the heap if that empties it. */
  private unlink(entry: TimerEntry): void {
    const run = entry.run!;
    const { prev, next } = entry;
    entry.run = entry.prev = entry.next = undefined;
    this.count--;
    if (prev === undefined && next === undefined) {
      this.removeRun(run.index);
      if (this.tail === run) this.tail = undefined; // holds on to no dequeued entry
      return;
    }
    if (prev === undefined) run.first = next!;
    else prev.next = next;
    if (next === undefined) run.last = prev!;
    else next.prev = prev;
  }

  private removeRun(i: number): void {
    const heap = this.heap;
    const removed = heap[i]!;
    removed.index = -1;
    const last = heap.pop()!;
    if (i === heap.length) return; // it was the last slot
    heap[i] = last;
    last.index = i;
    // The moved run may belong above or below its new position.
    if (i > 0 && before(last, heap[(i - 1) >> 1]!)) this.siftUp(i);
    else this.siftDown(i);
  }

  private siftUp(i: number): void {
    const heap = this.heap;
    const r = heap[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = heap[p]!;
      if (!before(r, parent)) break;
      heap[i] = parent;
      parent.index = i;
      i = p;
    }
    heap[i] = r;
    r.index = i;
  }

  private siftDown(i: number): void {
    const heap = this.heap;
    const n = heap.length;
    const r = heap[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const rt = l + 1;
      let c = l;
      if (rt < n && before(heap[rt]!, heap[l]!)) c = rt;
      const child = heap[c]!;
      if (!before(child, r)) break;
      heap[i] = child;
      child.index = i;
      i = c;
    }
    heap[i] = r;
    r.index = i;
  }
}

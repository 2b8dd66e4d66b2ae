/**
 * The clocks' timer queue: a binary min-heap ordered by (expiry, arming sequence), with each entry
 * knowing its own heap index so cancel and re-arm are O(log n) without a search.
 *
 * Ordering mirrors the kernel's hrtimer timerqueue (an rbtree by expiry in which an entry equal to
 * existing ones is inserted after them): timers due at the same instant fire in the order they
 * were armed, and re-arming a timer counts as arming it anew. Works in node / browser.
 */
import { lo32 } from '../util/u64.ts';

/**
 * The largest kernel time (KTIME_MAX, include/linux/ktime.h): about 292 years. Expiries that
 * saturate to it never fire, yet the timer is queued (the kernel reports it as pending).
 */
export const KTIME_MAX = (1n << 63n) - 1n;

/**
 * One queueable timer. The owner creates it once and arms it as often as it likes; the queue
 * sets `expiresNs`, `seq` and `index`. `fire` runs when the clock pops it (already dequeued, so
 * it may re-arm itself).
 */
export class TimerEntry {
  /** Expiry on the clock's monotonic timeline, in ns; `KTIME_MAX` means never. */
  expiresNs = 0n;
  /** Arming sequence number: breaks ties between equal expiries. */
  seq = 0;
  /**
   * expiresNs split into signed high and unsigned low 32-bit halves, set by the queue: the heap
   * compares these numbers, since bigint comparisons made pops several times slower.
   */
  hi = 0;
  lo = 0;
  /** Position in the heap, or -1 when not queued. Owned by TimerQueue. */
  index = -1;
  readonly fire: () => void;

  constructor(fire: () => void) {
    this.fire = fire;
  }

  /** True while the entry is in a queue (armed and not yet fired or cancelled). */
  get queued(): boolean {
    return this.index >= 0;
  }
}

function before(a: TimerEntry, b: TimerEntry): boolean {
  if (a.hi !== b.hi) return a.hi < b.hi;
  if (a.lo !== b.lo) return a.lo < b.lo;
  return a.seq < b.seq;
}

/** Min-heap of TimerEntry by (expiresNs, seq). Works in node / browser. */
export class TimerQueue {
  private readonly heap: TimerEntry[] = [];
  private nextSeq = 0;

  /** Number of queued entries, including those that never fire. */
  get size(): number {
    return this.heap.length;
  }

  /**
   * Queue `entry` to expire at `expiresNs` (a signed 64-bit time; values outside s64 wrap). An entry already queued is moved (its previous expiry
   * is forgotten: it fires once, at the new time) and takes a new arming sequence number.
   */
  arm(entry: TimerEntry, expiresNs: bigint): void {
    if (entry.index >= 0) this.removeAt(entry.index);
    const exp = BigInt.asIntN(64, expiresNs);
    entry.expiresNs = exp;
    entry.hi = lo32(exp >> 32n) | 0; // the signed high half: exp is an s64
    entry.lo = lo32(exp);
    entry.seq = this.nextSeq++;
    entry.index = this.heap.length;
    this.heap.push(entry);
    this.siftUp(entry.index);
  }

  /** Dequeue `entry`; returns whether it was queued (the kernel's hrtimer_try_to_cancel 1/0). */
  cancel(entry: TimerEntry): boolean {
    if (entry.index < 0) return false;
    this.removeAt(entry.index);
    return true;
  }

  /** The earliest entry, or undefined when the queue is empty. */
  peek(): TimerEntry | undefined {
    return this.heap[0];
  }

  /** Remove and return the earliest entry. */
  pop(): TimerEntry | undefined {
    const top = this.heap[0];
    if (top !== undefined) this.removeAt(0);
    return top;
  }

  /** Dequeue everything (close paths). */
  clear(): void {
    for (const e of this.heap) e.index = -1;
    this.heap.length = 0;
  }

  private removeAt(i: number): void {
    const heap = this.heap;
    const removed = heap[i]!;
    const last = heap.pop()!;
    removed.index = -1;
    if (i === heap.length) return; // it was the last slot
    heap[i] = last;
    last.index = i;
    // The moved entry may belong above or below its new position.
    if (i > 0 && before(last, heap[(i - 1) >> 1]!)) this.siftUp(i);
    else this.siftDown(i);
  }

  private siftUp(i: number): void {
    const heap = this.heap;
    const e = heap[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = heap[p]!;
      if (!before(e, parent)) break;
      heap[i] = parent;
      parent.index = i;
      i = p;
    }
    heap[i] = e;
    e.index = i;
  }

  private siftDown(i: number): void {
    const heap = this.heap;
    const n = heap.length;
    const e = heap[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && before(heap[r]!, heap[l]!)) c = r;
      const child = heap[c]!;
      if (!before(child, e)) break;
      heap[i] = child;
      child.index = i;
      i = c;
    }
    heap[i] = e;
    e.index = i;
  }
}

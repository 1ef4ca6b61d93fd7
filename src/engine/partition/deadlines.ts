/**
 * A partition worker's one schedule of time-based work (DESIGN.md rule 2): for each partition the
 * next wall-clock ms at which its log has something to do (flush.ms, segment.ms, retention,
 * cleaning, checkpoint; PartitionLog.nextDeadlineMs), kept in a binary min-heap so the worker can
 * sleep until the earliest one. An idle partition has no deadline (Infinity) and costs nothing:
 * no timer, no tick. Owned by one worker thread; not thread-safe.
 *
 * Updates are lazy: set() records the key's current deadline and pushes a heap entry; entries
 * whose deadline no longer matches the key's current one are dropped when they surface. The heap
 * is rebuilt when stale entries outnumber live keys, so it stays within twice the partitions.
 */
interface Entry {
  deadlineMs: number;
  key: number;
}

export class DeadlineSchedule {
  private heap: Entry[] = [];
  private readonly current = new Map<number, number>();

  /** Sets `key`'s next deadline; Infinity (or NaN) removes it. */
  set(key: number, deadlineMs: number): void {
    if (!(deadlineMs < Infinity)) {
      this.current.delete(key);
      return;
    }
    if (this.current.get(key) === deadlineMs) return;
    this.current.set(key, deadlineMs);
    this.push({ deadlineMs, key });
    if (this.heap.length > 2 * this.current.size + 64) this.rebuild();
  }

  delete(key: number): void {
    this.current.delete(key);
  }

  /** The earliest live deadline, or Infinity. */
  nextMs(): number {
    this.dropStale();
    return this.heap.length === 0 ? Infinity : this.heap[0]!.deadlineMs;
  }

  /** Removes and returns the keys due at `nowMs` (deadline <= now), earliest first. */
  takeDue(nowMs: number): number[] {
    const due: number[] = [];
    for (;;) {
      this.dropStale();
      const top = this.heap[0];
      if (top === undefined || top.deadlineMs > nowMs) return due;
      this.pop();
      this.current.delete(top.key);
      due.push(top.key);
    }
  }

  get size(): number {
    return this.current.size;
  }

  private dropStale(): void {
    while (this.heap.length > 0) {
      const top = this.heap[0]!;
      if (this.current.get(top.key) === top.deadlineMs) return;
      this.pop();
    }
  }

  private rebuild(): void {
    this.heap = [];
    for (const [key, deadlineMs] of this.current) this.push({ deadlineMs, key });
  }

  private push(entry: Entry): void {
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.deadlineMs <= entry.deadlineMs) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = entry;
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && heap[right]!.deadlineMs < heap[left]!.deadlineMs ? right : left;
      if (heap[child]!.deadlineMs >= last.deadlineMs) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
  }
}

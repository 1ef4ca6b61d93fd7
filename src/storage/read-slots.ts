/**
 * Threadpool reads in flight (LogReader.readAt): at most `max` at once; the rest wait
 * in FIFO order, and a read takes its buffer only once it holds a slot.
 *
 * Why: libuv runs UV_THREADPOOL_SIZE (default 4) reads at a time and queues the others, and a read
 * queued there already holds its buffer. With 16 partitions fetched at 1 MiB each, 16 MiB of
 * buffers were in flight and the threadpool spent 5-20% more CPU per fetch copying into them than
 * with 8 (measured on 2 vCPUs: the copy's destination no longer stayed in cache). Waiting for a
 * slot first keeps the buffers in use near the threadpool's width, whatever the partition count.
 * Two slots more than the threadpool has threads, so a thread never idles while the next read's
 * completion travels through the event loop.
 */
import { assert } from '../common/assert.js';

/**
 * libuv's threadpool size from UV_THREADPOOL_SIZE (4 by default, 1024 at most). A setting that is
 * not a positive integer counts as the default here; libuv may read it otherwise (e.g. "0" as 1),
 * which only makes the slots a little wider than the pool.
 */
export function threadpoolSize(value = process.env.UV_THREADPOOL_SIZE): number {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? Math.min(n, 1024) : 4;
}

export class ReadSlots {
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly max: number) {
    assert(Number.isInteger(max) && max >= 1, `read slots must be a positive integer, got ${max}`);
  }

  /** Resolves once the caller holds a slot; give it back with release() exactly once. */
  acquire(): Promise<void> {
    if (this.inFlight < this.max) {
      this.inFlight++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Takes a slot if one is free now (then no one waits either); release() it exactly once. */
  tryAcquire(): boolean {
    if (this.inFlight >= this.max) return false;
    this.inFlight++;
    return true;
  }

  /** Hands the slot to the longest waiter, if any. */
  release(): void {
    assert(this.inFlight > 0, 'read slot released more often than acquired');
    const next = this.waiting.shift();
    if (next === undefined) this.inFlight--;
    else next();
  }

  /** Reads holding a slot / waiting for one (stats and tests). */
  get activeCount(): number {
    return this.inFlight;
  }

  get waitingCount(): number {
    return this.waiting.length;
  }
}

/**
 * The slots of this thread's LogReaders. libuv's threadpool is one per process; the slots are one
 * per thread that imports this module, which is the main thread alone: it serves every fetch.
 */
export const threadpoolReadSlots = new ReadSlots(threadpoolSize() + 2);

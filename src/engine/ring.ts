/**
 * A single-producer single-consumer ring of variable-size frames in one SharedArrayBuffer: the
 * produce data plane between the main thread and a partition worker (DESIGN.md rule 2), and the
 * completion channel back.
 *
 * Thread-safety: one RingProducer on exactly one thread and one RingConsumer on exactly one other
 * thread may share a ring. Neither class is safe to share between two threads of the same side.
 *
 * Buffer layout (byte offsets into the SharedArrayBuffer):
 *
 *   0    128  control words, Int32 indexes: HEAD (0) and PRODUCER_WAITING (8), written by the
 *              consumer / producer waiting for space; TAIL (16) and CONSUMER_SLEEPING (24).
 *              HEAD and TAIL sit 64 bytes apart so the two sides do not share a cache line
 *   128  ...  data region of `capacityBytes` (a multiple of 8)
 *
 * Frame layout inside the data region (8-byte aligned, never split at the wrap point):
 *
 *   0   4   payloadBytes   int32; WRAP_MARKER (-1) = "nothing more here, continue at 0"
 *   4   4   frameId        int32, chosen by the producer (a produce slot id)
 *   8   ... payload        padded with junk to the next multiple of 8
 *
 * HEAD is where the consumer reads next (written only by the consumer); TAIL is where the producer
 * writes next (written only by the producer). Both stay in [0, capacityBytes).
 *
 *   empty: HEAD == TAIL                full (no frame of `need` bytes fits):
 *   +--------------------------+       +--------------------------+
 *   |                          |       |#########|  gap<need |####|
 *   +--------------------------+       +--------------------------+
 *    ^HEAD=TAIL                                  ^TAIL      ^HEAD
 *
 *   used region wrapped (TAIL < HEAD):  used region contiguous (HEAD <= TAIL):
 *   +--------------------------+       +--------------------------+
 *   |#####|          |#####|W| |       |      |###########|       |
 *   +--------------------------+       +--------------------------+
 *         ^TAIL      ^HEAD   ^wrap marker        ^HEAD      ^TAIL
 *
 * The producer never lets TAIL catch up with HEAD from behind (it needs a strictly larger gap), so
 * HEAD == TAIL always means empty. A frame takes at most half the data region; then a frame always
 * fits an empty ring wherever HEAD rests (either the space before the end or the space before
 * HEAD is at least half), so a waiting producer always makes progress once the consumer drains.
 *
 * Memory ordering: the producer writes the frame header and payload with plain stores, then
 * publishes with Atomics.store(TAIL). The consumer reads TAIL with Atomics.load before it reads
 * any frame byte. Atomics operations are sequentially consistent and order the plain accesses
 * before (producer) and after (consumer) them, so a consumer that sees the new TAIL sees the whole
 * frame. Symmetrically the consumer finishes with a frame (its bytes may be views handed to
 * fs.write) before Atomics.store(HEAD), and the producer loads HEAD before it overwrites that space.
 * Wake-ups: the consumer stores CONSUMER_SLEEPING = 1, re-reads TAIL, then Atomics.wait(TAIL, seen);
 * the producer stores TAIL, then loads CONSUMER_SLEEPING and notifies if it is set. With
 * sequentially consistent atomics one of the two always sees the other's store (Dekker), and
 * Atomics.wait itself returns at once if TAIL moved, so no wake-up is lost. The producer waits for
 * space with Atomics.waitAsync on HEAD (never blocking the main thread) after storing
 * PRODUCER_WAITING = 1; the consumer stores HEAD, then notifies if the flag is set (same argument).
 * Each side has at most one waiter at a time (asserted), and only the waiter clears its own flag.
 *
 * Batching: commit(id, false) stages a frame (header and payload written, the producer's private
 * tail advanced, TAIL untouched); publish() stores TAIL once for all staged frames and notifies at
 * most once. The argument above is unchanged: the consumer sees every staged frame, whole, when it
 * sees the new TAIL. A wake-up costs ~50 µs (DESIGN.md), so a burst pays for one, not one each.
 */
import { assert } from '../common/assert.js';
import { RING_FRAME_HEADER_BYTES } from '../common/limits.js';

const HEAD = 0;
const TAIL = 16;
const CONSUMER_SLEEPING = 24;
const PRODUCER_WAITING = 8;
const CONTROL_BYTES = 128;
const WRAP_MARKER = -1;
const ALIGN_BYTES = 8;

/** Atomics.waitAsync (Node 16+) is missing from TypeScript's ES2023 lib, so it is typed here. */
type WaitAsyncResult = { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
export const waitAsync = (Atomics as unknown as {
  waitAsync(array: Int32Array, index: number, value: number, timeoutMs?: number): WaitAsyncResult;
}).waitAsync;

const align = (bytes: number): number => (bytes + ALIGN_BYTES - 1) & ~(ALIGN_BYTES - 1);

/** Allocates a ring whose data region holds `capacityBytes` (rounded up to a multiple of 16). */
export function createRingBuffer(capacityBytes: number): SharedArrayBuffer {
  assert(Number.isInteger(capacityBytes) && capacityBytes >= 64, `ring capacity ${capacityBytes} too small`);
  const rounded = (capacityBytes + 15) & ~15;
  return new SharedArrayBuffer(CONTROL_BYTES + rounded);
}

/** The largest payload one frame of a ring of this capacity can carry. */
export function maxFramePayloadBytes(sab: SharedArrayBuffer): number {
  return framePayloadLimit(sab.byteLength - CONTROL_BYTES);
}

/** The largest payload one frame can carry in a ring created with `capacityBytes` (createRingBuffer). */
export function framePayloadLimit(capacityBytes: number): number {
  const rounded = (capacityBytes + 15) & ~15;
  return rounded / 2 - RING_FRAME_HEADER_BYTES;
}

class RingBase {
  protected readonly control: Int32Array;
  protected readonly data: Uint8Array;
  protected readonly frameHeader: Int32Array;
  readonly capacityBytes: number;
  readonly maxPayloadBytes: number;

  constructor(readonly sab: SharedArrayBuffer) {
    assert(sab.byteLength > CONTROL_BYTES && (sab.byteLength - CONTROL_BYTES) % 16 === 0, 'not a ring buffer');
    this.control = new Int32Array(sab, 0, CONTROL_BYTES / 4);
    this.capacityBytes = sab.byteLength - CONTROL_BYTES;
    this.data = new Uint8Array(sab, CONTROL_BYTES, this.capacityBytes);
    this.frameHeader = new Int32Array(sab, CONTROL_BYTES, this.capacityBytes / 4);
    this.maxPayloadBytes = maxFramePayloadBytes(sab);
  }

  /** Bytes in use, for stats and tests (a racy snapshot when read from the other side). */
  usedBytes(): number {
    const head = Atomics.load(this.control, HEAD);
    const tail = Atomics.load(this.control, TAIL);
    return tail >= head ? tail - head : this.capacityBytes - head + tail;
  }
}

/** The writing side. Owned by one thread (the main thread for produce rings). */
export class RingProducer extends RingBase {
  private tail: number;
  /** TAIL as last stored: frames between it and `tail` are committed but not yet visible. */
  private publishedTail: number;
  private reservedPos = -1;
  private reservedBytes = 0;
  private waiting = false;
  /** HEAD as the last tryReserve saw it: waitForSpace sleeps only while HEAD still equals it. */
  private seenHead: number;

  constructor(sab: SharedArrayBuffer) {
    super(sab);
    this.seenHead = Atomics.load(this.control, HEAD);
    this.tail = Atomics.load(this.control, TAIL);
    this.publishedTail = this.tail;
  }

  /**
   * Reserves room for a frame of `payloadBytes` and returns a writable view of exactly that size
   * in shared memory, or null when the ring has no room now. Nothing is visible to the consumer
   * until commit(). A second tryReserve before commit() replaces the first reservation.
   */
  tryReserve(payloadBytes: number): Uint8Array | null {
    assert(payloadBytes >= 0 && payloadBytes <= this.maxPayloadBytes, `frame of ${payloadBytes} bytes exceeds ring limit ${this.maxPayloadBytes}`);
    const need = align(RING_FRAME_HEADER_BYTES + payloadBytes);
    const head = Atomics.load(this.control, HEAD);
    this.seenHead = head;
    const tail = this.tail;
    let pos: number;
    if (tail >= head) {
      if (tail + need < this.capacityBytes || (tail + need === this.capacityBytes && head !== 0)) pos = tail;
      else if (need < head) pos = 0;
      else return null;
    } else if (tail + need < head) {
      pos = tail;
    } else {
      return null;
    }
    this.reservedPos = pos;
    this.reservedBytes = payloadBytes;
    const start = pos + RING_FRAME_HEADER_BYTES;
    return this.data.subarray(start, start + payloadBytes);
  }

  /**
   * Finishes the reserved frame with `frameId`. With `publishNow` (the default) it is published at
   * once; with false it stays invisible to the consumer until publish(), so a burst of frames costs
   * one TAIL store and at most one wake-up (~50 µs each) instead of one per frame.
   */
  commit(frameId: number, publishNow = true): void {
    const pos = this.reservedPos;
    assert(pos >= 0, 'commit without a reservation');
    // Beyond the published TAIL, so the consumer cannot see the marker before the frame exists.
    if (pos !== this.tail) this.frameHeader[this.tail / 4] = WRAP_MARKER;
    this.frameHeader[pos / 4] = this.reservedBytes;
    this.frameHeader[pos / 4 + 1] = frameId;
    let next = pos + align(RING_FRAME_HEADER_BYTES + this.reservedBytes);
    if (next === this.capacityBytes) next = 0;
    this.tail = next;
    this.reservedPos = -1;
    if (publishNow) this.publish();
  }

  /**
   * Makes every committed frame visible (one TAIL store) and wakes the consumer if it sleeps.
   * Nothing to do when nothing was committed since the last publish. A producer that stages frames
   * must publish before it waits for space: the consumer can only free what it can see.
   */
  publish(): void {
    if (this.publishedTail === this.tail) return;
    this.publishedTail = this.tail;
    Atomics.store(this.control, TAIL, this.tail);
    if (Atomics.load(this.control, CONSUMER_SLEEPING) !== 0) Atomics.notify(this.control, TAIL);
  }

  /** True when committed frames are waiting for publish(). */
  get hasUnpublished(): boolean {
    return this.publishedTail !== this.tail;
  }

  /** Copies `payload` into a frame if it fits now; returns false when the ring has no room. */
  tryWrite(payload: Uint8Array, frameId: number): boolean {
    const view = this.tryReserve(payload.byteLength);
    if (view === null) return false;
    view.set(payload);
    this.commit(frameId);
    return true;
  }

  /**
   * Resolves when the consumer has released space since the last tryReserve (or after
   * `timeoutMs`); call it after tryReserve returned null. Never blocks: uses
   * Atomics.waitAsync, which does not keep an event loop alive by itself.
   */
  async waitForSpace(timeoutMs = Infinity): Promise<void> {
    assert(!this.waiting, 'one waitForSpace at a time per ring');
    this.publish(); // staged frames the consumer cannot see would never be freed
    this.waiting = true;
    try {
      Atomics.store(this.control, PRODUCER_WAITING, 1);
      // Compare with the HEAD the failed tryReserve saw, not a fresh load: a release between the
      // two would otherwise go unnoticed (its notify may have found the flag still clear).
      const result = waitAsync(this.control, HEAD, this.seenHead, timeoutMs);
      if (result.async) await result.value;
    } finally {
      Atomics.store(this.control, PRODUCER_WAITING, 0);
      this.waiting = false;
    }
  }

  /**
   * Blocks until the consumer releases space since the last tryReserve, or `timeoutMs` passes.
   * Workers only (a worker publishing completions); the main thread uses waitForSpace.
   */
  waitForSpaceSync(timeoutMs: number): void {
    this.publish();
    Atomics.store(this.control, PRODUCER_WAITING, 1);
    Atomics.wait(this.control, HEAD, this.seenHead, timeoutMs);
    Atomics.store(this.control, PRODUCER_WAITING, 0);
  }

  /** Wakes a consumer blocked in waitForFrames without publishing a frame (e.g. to read a control message). */
  wakeConsumer(): void {
    Atomics.notify(this.control, TAIL);
  }
}

/** One frame as the consumer sees it: a view into shared memory, valid until release(). */
export interface RingFrame {
  frameId: number;
  payload: Uint8Array;
}

/** The reading side. Owned by one thread (a partition worker for produce rings). */
export class RingConsumer extends RingBase {
  /** Next frame to read; published as HEAD only by release(). */
  private readPos: number;
  private waiting = false;

  constructor(sab: SharedArrayBuffer) {
    super(sab);
    this.readPos = Atomics.load(this.control, HEAD);
  }

  /** The next unread frame, or null when none is published. Space stays held until release(). */
  next(): RingFrame | null {
    const tail = Atomics.load(this.control, TAIL);
    if (this.readPos === tail) return null;
    let pos = this.readPos;
    let payloadBytes = this.frameHeader[pos / 4]!;
    if (payloadBytes === WRAP_MARKER) {
      pos = 0;
      payloadBytes = this.frameHeader[0]!;
    }
    assert(payloadBytes >= 0 && payloadBytes <= this.maxPayloadBytes, `corrupt ring frame length ${payloadBytes}`);
    const frameId = this.frameHeader[pos / 4 + 1]!;
    const start = pos + RING_FRAME_HEADER_BYTES;
    let next = pos + align(RING_FRAME_HEADER_BYTES + payloadBytes);
    if (next === this.capacityBytes) next = 0;
    this.readPos = next;
    return { frameId, payload: this.data.subarray(start, start + payloadBytes) };
  }

  /** Gives back the space of every frame returned by next() so far; views into it become invalid. */
  release(): void {
    if (Atomics.load(this.control, HEAD) === this.readPos) return;
    Atomics.store(this.control, HEAD, this.readPos);
    // Only the producer clears PRODUCER_WAITING (after it wakes): clearing it here could race a
    // new wait that registers after this notify and would then sleep with nobody to wake it.
    if (Atomics.load(this.control, PRODUCER_WAITING) !== 0) Atomics.notify(this.control, HEAD);
  }

  /** True when a published frame is waiting to be read. */
  hasFrames(): boolean {
    return this.readPos !== Atomics.load(this.control, TAIL);
  }

  /**
   * Blocks this thread until a frame is published, wakeConsumer() is called, or `timeoutMs`
   * passes. Workers only: the main thread must never call this.
   */
  waitForFrames(timeoutMs: number): void {
    Atomics.store(this.control, CONSUMER_SLEEPING, 1);
    const tail = Atomics.load(this.control, TAIL);
    if (tail === this.readPos) Atomics.wait(this.control, TAIL, tail, timeoutMs);
    Atomics.store(this.control, CONSUMER_SLEEPING, 0);
  }

  /** Async variant of waitForFrames for a consumer on the main thread (completion rings). */
  async waitForFramesAsync(timeoutMs = Infinity): Promise<void> {
    assert(!this.waiting, 'one waitForFramesAsync at a time per ring');
    this.waiting = true;
    try {
      await this.sleepUntilTailMoves(timeoutMs);
    } finally {
      this.waiting = false;
    }
  }

  private async sleepUntilTailMoves(timeoutMs: number): Promise<void> {
    Atomics.store(this.control, CONSUMER_SLEEPING, 1);
    const tail = Atomics.load(this.control, TAIL);
    if (tail === this.readPos) {
      const result = waitAsync(this.control, TAIL, tail, timeoutMs);
      if (result.async) await result.value;
    }
    Atomics.store(this.control, CONSUMER_SLEEPING, 0);
  }
}

/**
 * Wakes every waiter on both control words of a ring, whatever it waits for. Used when the other
 * side is gone (a crashed worker) so an awaiting producer or consumer can notice and move on.
 */
export function wakeAllWaiters(sab: SharedArrayBuffer): void {
  const control = new Int32Array(sab, 0, CONTROL_BYTES / 4);
  Atomics.notify(control, HEAD);
  Atomics.notify(control, TAIL);
}

/**
 * Shared memory between a partition worker and the main thread, besides the produce ring:
 * the published partition state and the completion frame codec.
 *
 * State buffer (written by the worker, read by the main thread without a round trip):
 *
 *   byte  type    field
 *   0     int32   controlSeq      bumped by the MAIN thread per control message posted, so a worker
 *                                 blocked on its ring knows to return to its event loop
 *   8     int64   logStartOffset
 *   16    int64   logEndOffset
 *   24    int64   highWatermark   readers never go past it (DESIGN.md rule 4)
 *   32    int64   sizeBytes
 *   40    int64   segmentCount
 *   48    int64   recoveryPoint
 *
 * Each int64 is stored with Atomics.store, so no reader sees a torn value. The fields are not one
 * atomic snapshot: the worker stores highWatermark after the bytes below it are written to the log
 * file, which is all a reader needs (it reads files up to the watermark it loaded).
 *
 * Completion frame payload (one per produce frame, frameId = the produce slot id):
 *
 *   0   int32    errorCode
 *   4   int32    (padding)
 *   8   float64  baseOffset
 *   16  float64  logAppendTimeMs
 *   24  float64  logStartOffset
 */
import type { PartitionState } from './broker-types.js';

const CONTROL_SEQ_INDEX = 0;
const STATE_BYTES = 64;
const FIELDS = ['logStartOffset', 'logEndOffset', 'highWatermark', 'sizeBytes', 'segmentCount', 'recoveryPoint'] as const;
type Field = (typeof FIELDS)[number];

export const COMPLETION_PAYLOAD_BYTES = 32;

export function createStateBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(STATE_BYTES);
}

/** One side's view of a state buffer. Either thread may hold one; each writes only its own fields. */
export class SharedPartitionState {
  private readonly words: Int32Array;
  private readonly fields: BigInt64Array;

  constructor(readonly sab: SharedArrayBuffer) {
    this.words = new Int32Array(sab, 0, 2);
    this.fields = new BigInt64Array(sab, 8, FIELDS.length);
  }

  /** Worker side. */
  publish(state: Record<Field, number>): void {
    // highWatermark last among the offsets: a reader that sees it also sees logEndOffset >= it.
    const order: Field[] = ['logStartOffset', 'logEndOffset', 'sizeBytes', 'segmentCount', 'recoveryPoint', 'highWatermark'];
    for (const field of order) Atomics.store(this.fields, FIELDS.indexOf(field), BigInt(state[field]));
  }

  get(field: Field): number {
    return Number(Atomics.load(this.fields, FIELDS.indexOf(field)));
  }

  snapshot(): PartitionState {
    return {
      logStartOffset: this.get('logStartOffset'),
      logEndOffset: this.get('logEndOffset'),
      highWatermark: this.get('highWatermark'),
      sizeBytes: this.get('sizeBytes'),
      segmentCount: this.get('segmentCount'),
    };
  }

  /** Main side: announce a control message. */
  bumpControlSeq(): void {
    Atomics.add(this.words, CONTROL_SEQ_INDEX, 1);
    Atomics.notify(this.words, CONTROL_SEQ_INDEX);
  }

  /** Worker side: blocks until controlSeq moves past `seen` or `timeoutMs` passes. */
  waitForControl(seen: number, timeoutMs: number): void {
    Atomics.wait(this.words, CONTROL_SEQ_INDEX, seen, timeoutMs);
  }

  controlSeq(): number {
    return Atomics.load(this.words, CONTROL_SEQ_INDEX);
  }
}

export interface Completion {
  errorCode: number;
  baseOffset: number;
  logAppendTimeMs: number;
  logStartOffset: number;
}

export function encodeCompletion(view: Uint8Array, completion: Completion): void {
  const data = new DataView(view.buffer, view.byteOffset, COMPLETION_PAYLOAD_BYTES);
  data.setInt32(0, completion.errorCode, true);
  data.setFloat64(8, completion.baseOffset, true);
  data.setFloat64(16, completion.logAppendTimeMs, true);
  data.setFloat64(24, completion.logStartOffset, true);
}

export function decodeCompletion(view: Uint8Array): Completion {
  const data = new DataView(view.buffer, view.byteOffset, COMPLETION_PAYLOAD_BYTES);
  return {
    errorCode: data.getInt32(0, true),
    baseOffset: data.getFloat64(8, true),
    logAppendTimeMs: data.getFloat64(16, true),
    logStartOffset: data.getFloat64(24, true),
  };
}

/**
 * Permission to spin, shared by every partition worker of a process (one Int32 word counting
 * spinning workers). A worker whose ring ran dry may poll it for SPIN_MS before it blocks in
 * Atomics.wait, but only while it holds a token: at most (cores - 1) workers spin at once, so the
 * main thread keeps a core and 16 workers on 2 cores do not burn the CPU the appends need.
 * Spinning as long as a wake-up costs (~50 µs) at most doubles the cost of a miss, and a hit saves
 * both the producer's notify and the consumer's wake-up.
 */
export class SpinBudget {
  private readonly word: Int32Array;

  constructor(readonly sab: SharedArrayBuffer, private readonly maxSpinners: number) {
    this.word = new Int32Array(sab, 0, 1);
  }

  static create(maxSpinners: number): SpinBudget {
    return new SpinBudget(new SharedArrayBuffer(4), maxSpinners);
  }

  tryAcquire(): boolean {
    if (this.maxSpinners <= 0) return false;
    if (Atomics.add(this.word, 0, 1) < this.maxSpinners) return true;
    Atomics.sub(this.word, 0, 1);
    return false;
  }

  release(): void {
    Atomics.sub(this.word, 0, 1);
  }
}

/**
 * Whether a worker whose ring ran dry should spin at all, from how its recent spins went. After
 * `missesBeforeSkipping` spins in a row that found nothing, it skips the next `skip` dry rings,
 * `skip` doubling with each further miss up to maxSkip; a spin that finds a frame starts over.
 * Spinning pays only while the main thread refills the ring within the spin. Measured on 2 vCPUs:
 * with one partition 84% of spins found a frame and spinning is worth ~5-8% of its throughput (a
 * single miss is noise there: skipping after each one cost ~5%); with 16 partitions under 1% did,
 * every core is busy, and a spin only takes CPU from the workers that have appends to do (~10% of
 * the 16-partition throughput). Only a probe that hits ends a backoff, so after an idle spell a
 * worker may go up to maxSkip dry rings without spinning (each a notify and a wake-up): cheap next
 * to the spins it saves. One per worker; not shared.
 */
export class SpinBackoff {
  private missesInARow = 0;
  private skip = 0;
  private dryRingsToSkip = 0;

  constructor(private readonly maxSkip: number, private readonly missesBeforeSkipping: number) {}

  /** Asked once per dry ring; false means go straight to Atomics.wait. */
  shouldSpin(): boolean {
    if (this.dryRingsToSkip === 0) return true;
    this.dryRingsToSkip--;
    return false;
  }

  /** The spin found a frame (or a control message). */
  hit(): void {
    this.missesInARow = 0;
    this.skip = 0;
  }

  /** The spin ran its full time and found nothing. */
  miss(): void {
    if (++this.missesInARow < this.missesBeforeSkipping) return;
    this.skip = Math.min(this.maxSkip, this.skip * 2 || 1);
    this.dryRingsToSkip = this.skip;
  }
}

/** What a partition worker gets besides PartitionWorkerData (messages.ts): the process's spin budget. */
export interface WorkerSpinData {
  spinSab: SharedArrayBuffer;
  maxSpinners: number;
}

/**
 * Who hears about a batch's outcome. A batch is a run of "parts": consecutive records from one
 * caller request (one `send()` record, or many lines of one `sendLines()` call). When the broker
 * answers, each part's target is told once, so a million lines cost one callback per batch and
 * call, not one promise per record.
 *
 * Owned by the producer on the main thread; not thread-safe.
 */
import type { RecordMetadata } from './producer.js';

export interface BatchPart {
  target: AckTarget;
  /** Index of the part's first record within its batch (its offsetDelta). */
  firstIndex: number;
  recordCount: number;
  /** Key plus value bytes of the part's records (what the CLI reports). */
  byteCount: number;
}

export interface AckTarget {
  /** baseOffset is -1 with acks=0; logAppendTimeMs is -1 unless the topic uses LogAppendTime. */
  acknowledged(topic: string, partition: number, baseOffset: number, part: BatchPart, logAppendTimeMs: number): void;
  failed(part: BatchPart, error: Error): void;
}

/** One `send()`: one record, one promise. */
export class RecordTarget implements AckTarget {
  constructor(
    private readonly timestampMs: number,
    private readonly resolve: (metadata: RecordMetadata) => void,
    private readonly reject: (error: Error) => void,
    private readonly done: () => void,
  ) {}

  acknowledged(topic: string, partition: number, baseOffset: number, part: BatchPart, logAppendTimeMs: number): void {
    this.done();
    this.resolve({
      topic,
      partition,
      offset: baseOffset < 0 ? -1 : baseOffset + part.firstIndex,
      timestamp: logAppendTimeMs >= 0 ? logAppendTimeMs : this.timestampMs,
    });
  }

  failed(_part: BatchPart, error: Error): void {
    this.done();
    this.reject(error);
  }
}

/** What a `sendLines()` call resolves with once each of its lines is acknowledged or failed. */
export interface SendLinesResult {
  /** Records (lines) the broker acknowledged. */
  recordCount: number;
  /** Key plus value bytes of the acknowledged records. */
  byteCount: number;
  /** Records that were refused or lost in flight; `error` is the first reason. */
  failedCount: number;
  error: Error | null;
}

/** One `sendLines()` call: many records, one promise that never rejects (failures are data). */
export class LinesTarget implements AckTarget {
  private placedCount = 0;
  private settledCount = 0;
  private allPlaced = false;
  private readonly result: SendLinesResult = { recordCount: 0, byteCount: 0, failedCount: 0, error: null };

  constructor(
    private readonly resolve: (result: SendLinesResult) => void,
    private readonly done: () => void,
  ) {}

  /** Called as lines go into batches. */
  placed(recordCount: number): void {
    this.placedCount += recordCount;
  }

  /** Called once every line of the call is in a batch (or failed before). */
  finishPlacing(): void {
    this.allPlaced = true;
    this.check();
  }

  /**
   * Records that never reached a batch (an unknown topic, a partition out of range); `last`: none
   * of the call's records remain to be placed.
   */
  failUnplaced(recordCount: number, error: Error, last = true): void {
    this.result.failedCount += recordCount;
    this.result.error ??= error;
    if (last) this.finishPlacing();
  }

  acknowledged(_topic: string, _partition: number, _baseOffset: number, part: BatchPart): void {
    this.result.recordCount += part.recordCount;
    this.result.byteCount += part.byteCount;
    this.settledCount += part.recordCount;
    this.check();
  }

  failed(part: BatchPart, error: Error): void {
    this.result.failedCount += part.recordCount;
    this.result.error ??= error;
    this.settledCount += part.recordCount;
    this.check();
  }

  private check(): void {
    if (!this.allPlaced || this.settledCount < this.placedCount) return;
    this.allPlaced = false; // settle once
    this.done();
    this.resolve(this.result);
  }
}

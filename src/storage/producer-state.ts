/**
 * Idempotent-producer state of one partition, after Kafka's ProducerStateManager: per producerId
 * the current epoch and the sequences and offsets of its last 5 batches (the most a producer has
 * in flight), so a retry of any of them is recognised and answered with the original offsets.
 * Rebuilt from batch headers at recovery, or loaded from a snapshot written at clean close.
 * Owned by the PartitionLog's thread; not thread-safe.
 */
import { ErrorCode } from '../protocol/error-codes.js';

export const BATCHES_RETAINED_PER_PRODUCER = 5;
const INT32_MAX = 2 ** 31 - 1;

interface RetainedBatch {
  baseSequence: number;
  lastSequence: number;
  baseOffset: number;
  lastOffset: number;
}

interface ProducerEntry {
  producerEpoch: number;
  batches: RetainedBatch[];
}

export type SequenceCheck =
  | { kind: 'append' }
  | { kind: 'duplicate'; baseOffset: number; lastOffset: number }
  | { kind: 'error'; errorCode: number };

/** Sequence numbers wrap at int32 max back to 0 (DefaultRecordBatch.incrementSequence). */
export function addSequence(sequence: number, delta: number): number {
  return sequence > INT32_MAX - delta ? delta - (INT32_MAX - sequence) - 1 : sequence + delta;
}

export class ProducerStateManager {
  private readonly producers = new Map<number, ProducerEntry>();

  get producerCount(): number {
    return this.producers.size;
  }

  /** Base offsets of each producer's newest batch: the cleaner keeps these (maybe emptied). */
  lastBatchBaseOffsets(): Set<number> {
    const out = new Set<number>();
    for (const entry of this.producers.values()) {
      const last = entry.batches[entry.batches.length - 1];
      if (last !== undefined) out.add(last.baseOffset);
    }
    return out;
  }

  /**
   * Checks a batch from `producerId` against the state, changing nothing. A batch's last sequence
   * is baseSequence + lastOffsetDelta, as in Kafka (RecordBatch.lastSequence), not one per record:
   * the cleaner thins batches but keeps their offset span, so a record count read back from a
   * compacted log would end the batch early and refuse the producer's next sequence.
   */
  check(producerId: number, producerEpoch: number, baseSequence: number, lastOffsetDelta: number): SequenceCheck {
    const entry = this.producers.get(producerId);
    if (entry === undefined) return { kind: 'append' }; // unknown producer: any sequence (KIP-360)
    if (producerEpoch < entry.producerEpoch) return { kind: 'error', errorCode: ErrorCode.INVALID_PRODUCER_EPOCH };
    if (producerEpoch > entry.producerEpoch) {
      return baseSequence === 0 ? { kind: 'append' } : { kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER };
    }
    const lastSequence = addSequence(baseSequence, lastOffsetDelta);
    for (const batch of entry.batches) {
      if (batch.baseSequence === baseSequence && batch.lastSequence === lastSequence) {
        return { kind: 'duplicate', baseOffset: batch.baseOffset, lastOffset: batch.lastOffset };
      }
    }
    const latest = entry.batches[entry.batches.length - 1];
    if (latest === undefined || baseSequence === addSequence(latest.lastSequence, 1)) return { kind: 'append' };
    return { kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER };
  }

  /** Records an appended batch (or one found by a recovery scan). */
  update(producerId: number, producerEpoch: number, baseSequence: number, lastOffsetDelta: number, baseOffset: number, lastOffset: number): void {
    let entry = this.producers.get(producerId);
    if (entry === undefined || producerEpoch !== entry.producerEpoch) {
      entry = { producerEpoch, batches: [] };
      this.producers.set(producerId, entry);
    }
    entry.batches.push({ baseSequence, lastSequence: addSequence(baseSequence, lastOffsetDelta), baseOffset, lastOffset });
    if (entry.batches.length > BATCHES_RETAINED_PER_PRODUCER) entry.batches.shift();
  }

  /** Every producer with a batch still remembered: its epoch and last sequence (DescribeProducers). */
  describe(): { producerId: number; producerEpoch: number; lastSequence: number }[] {
    return [...this.producers.entries()]
      .filter(([, entry]) => entry.batches.length > 0)
      .map(([producerId, entry]) => ({ producerId, producerEpoch: entry.producerEpoch, lastSequence: entry.batches.at(-1)!.lastSequence }));
  }

  /** Forgets batches below `logStartOffset` (their producer stays known by its epoch). */
  retainFrom(logStartOffset: number): void {
    for (const entry of this.producers.values()) {
      entry.batches = entry.batches.filter((b) => b.lastOffset >= logStartOffset);
    }
  }

  /** Snapshot bytes: JSON of {lastOffset covered, producers}. Small: five batches per producer. */
  snapshot(nextOffset: number): Buffer {
    return Buffer.from(JSON.stringify({ version: 1, nextOffset, producers: [...this.producers.entries()] }));
  }

  /** Loads a snapshot; returns the offset it covers up to (exclusive), or null if unusable. */
  static fromSnapshot(bytes: Buffer): { state: ProducerStateManager; nextOffset: number } | null {
    try {
      const parsed = JSON.parse(bytes.toString('utf8')) as { version: number; nextOffset: number; producers: [number, ProducerEntry][] };
      if (parsed.version !== 1 || !Number.isSafeInteger(parsed.nextOffset) || !Array.isArray(parsed.producers)) return null;
      const state = new ProducerStateManager();
      for (const [producerId, entry] of parsed.producers) state.producers.set(producerId, entry);
      return { state, nextOffset: parsed.nextOffset };
    } catch {
      return null;
    }
  }
}

/**
 * The producer's bulk path for binary records: many keyed records for one partition, encoded
 * straight into that partition's open batches with no object, promise or ack target per record
 * (the per-record path costs several allocations each, which dominates when a streams task writes
 * a changelog of hundreds of thousands of entries at a commit). One call settles once, like
 * sendLines(), with counts, the first error, and the offset of the last record acknowledged.
 *
 * Main thread only, called by the Producer that owns the entry.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { LinesTarget, type BatchPart, type SendLinesResult } from './bulk-acks.js';
import { KafkaError } from './kafka-error.js';
import type { Producer } from './producer.js';
import { RECORD_OVERHEAD_BYTES_MAX } from './record-input.js';

export interface BulkRecord {
  key: Buffer | null;
  value: Buffer | null;
  timestamp: number;
}

export interface SendRecordsResult extends SendLinesResult {
  /** Offset of the last record acknowledged (-1: none). */
  lastOffset: number;
}

/** A sendRecords() call waiting in the producer's queue; `pos` is where placing resumes. */
export interface QueuedRecords {
  kind: 'records';
  topic: string;
  partition: number;
  records: readonly BulkRecord[];
  pos: number;
  target: RecordsTarget;
}

/** LinesTarget's accounting plus the highest acknowledged offset. */
export class RecordsTarget extends LinesTarget {
  lastOffset = -1;

  override acknowledged(topic: string, partition: number, baseOffset: number, part: BatchPart): void {
    if (baseOffset >= 0) this.lastOffset = Math.max(this.lastOffset, baseOffset + part.firstIndex + part.recordCount - 1);
    super.acknowledged(topic, partition, baseOffset, part);
  }
}

/**
 * Places records from entry.pos on while the producer's memory bound allows. Returns true once all
 * are placed, false if it stopped for room (entry.pos records where).
 */
export function placeRecords(producer: Producer, entry: QueuedRecords, partitionCount: number): boolean {
  const { topic, partition, records, target } = entry;
  if (!(Number.isInteger(partition) && partition >= 0 && partition < partitionCount)) {
    target.failUnplaced(records.length - entry.pos, new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      `partition ${partition} is outside topic '${topic}' (${partitionCount} partitions)`));
    return true;
  }
  const queue = producer.partitionQueue(producer.topicState(topic, partitionCount), topic, partition);
  let pos = entry.pos;
  while (pos < records.length) {
    if (producer.bufferedBytes > 0 && producer.bufferedBytes >= producer.bufferBytes) break;
    const { key, value, timestamp } = records[pos]!;
    const payloadBytes = (key?.length ?? 0) + (value?.length ?? 0);
    const batch = producer.openBatch(queue, payloadBytes + RECORD_OVERHEAD_BYTES_MAX);
    const recordBytes = batch.builder.appendRange(timestamp, key, 0, key?.length ?? 0, value, 0, value?.length ?? 0);
    target.placed(1); // before addToBatch, which may seal and dispatch the batch
    producer.addToBatch(queue, batch, target, recordBytes, payloadBytes);
    pos++;
  }
  entry.pos = pos;
  if (pos < records.length) return false;
  target.finishPlacing();
  return true;
}

/**
 * The producer's bulk path for records that are not lines of one text: a caller (the log inputs
 * of src/inputs/) hands over an array of records for one topic and gets one promise for all of
 * them, settled when each is acknowledged or failed. Like sendLines() there is no promise and no
 * target object per record, which is what keeps a syslog or HTTP input from paying a promise
 * per line.
 *
 * Placement per record: an explicit partition wins; otherwise, with `roundRobin`, each record goes
 * to the next partition in turn; otherwise a keyed record hashes (murmur2, as the Java client) and
 * a keyless one sticks to the current sticky partition.
 *
 * Main thread only, called by the Producer that owns the entry.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { partitionForKey } from '../protocol/partitioner.js';
import type { RecordHeader } from '../protocol/record-batch.js';
import { LinesTarget, type BatchPart, type SendLinesResult } from './bulk-acks.js';
import { KafkaError } from './kafka-error.js';
import type { ProducerBatches } from './producer-batches.js';
import { recordBytesMax } from './record-input.js';

export interface BulkRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers: readonly RecordHeader[];
  /** Create time in ms. */
  timestamp: number;
  /** Pins the record to this partition. */
  partition?: number;
}

/** A sendRecords() call waiting in the producer's queue; `index` is where placing resumes. */
export interface QueuedRecords {
  kind: 'records';
  topic: string;
  records: readonly BulkRecord[];
  index: number;
  roundRobin: boolean;
  /** The next partition (before modulo) with roundRobin. */
  roundRobinNext: number;
  target: RecordsTarget;
}

export interface SendRecordsResult extends SendLinesResult {
  /** Offset of the last record acknowledged (-1: none); streams' changelog checkpoints use it. */
  lastOffset: number;
}

/** A LinesTarget that also keeps the highest acknowledged offset (meaningful for one partition). */
export class RecordsTarget extends LinesTarget {
  lastOffset = -1;

  override acknowledged(topic: string, partition: number, baseOffset: number, part: BatchPart): void {
    if (baseOffset >= 0) this.lastOffset = Math.max(this.lastOffset, baseOffset + part.firstIndex + part.recordCount - 1);
    super.acknowledged(topic, partition, baseOffset, part);
  }
}

/**
 * Places records from entry.index on while the producer's memory bound allows. Returns true once
 * every record is placed (or failed), false if it stopped for room (entry.index records where).
 */
export function placeRecords(batches: ProducerBatches, bufferBytes: number, entry: QueuedRecords, partitionCount: number): boolean {
  const { records, topic, target } = entry;
  const state = batches.topicState(topic, partitionCount);
  let index = entry.index;
  while (index < records.length) {
    const record = records[index]!;
    const recordBytes = recordBytesMax(record);
    if (batches.bufferedBytes > 0 && batches.bufferedBytes + recordBytes > bufferBytes) break;
    index++;
    let partition = record.partition;
    if (partition !== undefined) {
      if (!(Number.isInteger(partition) && partition >= 0 && partition < partitionCount)) {
        target.failOne(new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          `partition ${partition} is outside topic '${topic}' (${partitionCount} partitions)`));
        continue;
      }
    } else if (entry.roundRobin) {
      partition = entry.roundRobinNext++ % partitionCount;
    } else {
      partition = record.key !== null ? partitionForKey(record.key, partitionCount) : state.sticky % partitionCount;
    }
    const queue = batches.partitionQueue(state, topic, partition);
    const poison = batches.poisonFor(queue, target.callIndex);
    if (poison !== null) {
      target.failOne(poison);
      continue;
    }
    const batch = batches.openBatch(queue, recordBytes);
    const encodedBytes = batch.builder.appendRecord(record.timestamp, record.key, record.value, record.headers);
    const firstLine = target.placedLineCount;
    target.placed(1); // before addRun, which may seal and dispatch the batch
    batches.addRun(queue, batch, target, 1, encodedBytes, (record.key?.length ?? 0) + (record.value?.length ?? 0), firstLine);
  }
  entry.index = index;
  if (index < records.length) return false;
  target.finishPlacing();
  return true;
}

/**
 * Input records of one task partition waiting to be processed (Kafka's RecordQueue), already
 * deserialized, with the event time the timestamp extractor gave them. A task takes the record
 * with the smallest timestamp across its queues next (Kafka's PartitionGroup), so co-partitioned
 * inputs interleave by event time as far as they are buffered.
 */
import type { RecordHeader } from '../../protocol/record-batch.js';
import type { StreamRecord } from '../processors/api.js';

export interface QueuedRecord extends StreamRecord {
  offset: number;
  headers: RecordHeader[];
  /** A record the deserialization handler skipped: it only moves the committable offset. */
  skip?: boolean;
}

export class RecordQueue {
  private records: QueuedRecord[] = [];
  private head = 0;
  /** The next offset to commit: one past the last record processed (or skipped). */
  committableOffset = -1;
  /** The largest timestamp processed from this partition (Kafka's partition time). */
  partitionTime = -1;

  constructor(
    readonly topic: string,
    readonly partition: number,
    /** Index of the source node (in the task's list) that reads this topic. */
    readonly sourceIndex: number,
  ) {}

  get size(): number {
    return this.records.length - this.head;
  }

  push(record: QueuedRecord): void {
    this.records.push(record);
  }

  peekTimestamp(): number {
    return this.records[this.head]!.timestamp;
  }

  shift(): QueuedRecord {
    const record = this.records[this.head++]!;
    if (this.head === this.records.length) {
      this.records = [];
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.records.length) {
      this.records = this.records.slice(this.head);
      this.head = 0;
    }
    return record;
  }

  clear(): void {
    this.records = [];
    this.head = 0;
  }
}

/**
 * A stream thread's consumer side: one fetch for the input partitions of all its running tasks,
 * decoded straight into the tasks' record queues (no intermediate record objects). Positions
 * start at the group's committed offsets, or the earliest offset without one (Kafka Streams'
 * auto.offset.reset=earliest). Partitions whose queue is still full are left out of the fetch,
 * which bounds what a thread buffers.
 *
 * Owned by one stream thread.
 */
import { EARLIEST_TIMESTAMP, offsetAt, type BrookBackend } from '../../embedded/backend.js';
import { forEachDataBatch, nextFetchOffset, type FetchedBatches } from '../../embedded/record-delivery.js';
import { KafkaError, unknownTopicError } from '../../embedded/kafka-error.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { RecordWalker } from '../../protocol/record-walker.js';
import type { RecordHeader } from '../../protocol/record-batch.js';
import type { RecordQueue } from './record-queue.js';
import type { Task } from './task.js';

/**
 * Kafka's buffered.records.per.partition (1000 there): a partition with more queued records is
 * left out of the next fetch. Higher here because the thread fetches the next records while it
 * processes the last ones (one fetch in flight), and a 1 MiB partition fetch holds ~10,000
 * small records: the bound keeps about two fetches' worth queued per partition.
 */
const BUFFERED_RECORDS_PER_PARTITION_MAX = 20_000;
const PARTITION_FETCH_BYTES = 1_048_576;
const FETCH_BYTES_MAX = 16 * 1_048_576;
/** Shared by every record without headers (nothing appends to a record's headers). */
const NO_HEADERS: RecordHeader[] = Object.freeze([]) as unknown as RecordHeader[];

export interface InputPosition {
  task: Task;
  queue: RecordQueue;
  fetchOffset: number;
  highWatermark: number;
}

export class ThreadFetcher {
  readonly positions = new Map<string, InputPosition>();
  private readonly walker = new RecordWalker();
  /** The fetch started ahead (prefetch), resolving with the records it queued. */
  private inFlight: Promise<number> | null = null;

  constructor(private readonly backend: BrookBackend) {}

  /** Starts reading a task's inputs at the given offsets (-1: the earliest). */
  async add(task: Task, committed: Map<string, number>): Promise<void> {
    for (const queue of task.queues) {
      let fetchOffset = committed.get(queue.topic) ?? -1;
      if (fetchOffset < 0) fetchOffset = await offsetAt(this.backend, queue.topic, queue.partition, EARLIEST_TIMESTAMP, 'to start a stream task');
      queue.committableOffset = -1;
      this.positions.set(slot(queue.topic, queue.partition), { task, queue, fetchOffset, highWatermark: -1 });
    }
  }

  remove(task: Task): void {
    for (const queue of task.queues) this.positions.delete(slot(queue.topic, queue.partition));
  }

  /**
   * Waits for the fetch already out (or makes one), then starts the next one before returning,
   * so the next records arrive while these are processed. Returns how many records were queued.
   */
  async fetchAhead(maxWaitMs: number): Promise<number> {
    const queued = await (this.inFlight ?? this.fetch(maxWaitMs));
    this.inFlight = null;
    if (queued > 0) {
      const next = this.fetch(maxWaitMs);
      next.catch(() => undefined); // rethrown to whoever awaits it next
      this.inFlight = next;
    }
    return queued;
  }

  /** Lets a fetch still out finish (before positions change: assignment, close). */
  async settle(): Promise<void> {
    const pending = this.inFlight;
    this.inFlight = null;
    await pending?.catch(() => undefined);
  }

  /** One fetch; returns how many records were queued. */
  async fetch(maxWaitMs: number): Promise<number> {
    const wanted = [...this.positions.values()].filter((p) => p.queue.size < BUFFERED_RECORDS_PER_PARTITION_MAX);
    if (wanted.length === 0) return 0;
    const results = await this.backend.fetch(
      wanted.map((p) => ({ topic: p.queue.topic, partition: p.queue.partition, fetchOffset: p.fetchOffset, partitionMaxBytes: PARTITION_FETCH_BYTES })),
      { maxWaitMs, minBytes: 1, maxBytes: FETCH_BYTES_MAX },
    );
    let queued = 0;
    for (const result of results) {
      const position = this.positions.get(slot(result.topic, result.partition));
      if (position === undefined) continue; // the task went away while the fetch was out
      if (result.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) throw unknownTopicError(result.topic);
      if (result.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
        position.fetchOffset = await offsetAt(this.backend, result.topic, result.partition, EARLIEST_TIMESTAMP);
        continue;
      }
      if (result.errorCode !== ErrorCode.NONE) throw new KafkaError(result.errorCode, `fetching ${result.topic}-${result.partition}`);
      position.highWatermark = result.highWatermark;
      if (result.records === null || result.records.length === 0) continue;
      queued += this.enqueue(position, result.records);
    }
    return queued;
  }

  private enqueue(position: InputPosition, records: Buffer): number {
    const fetched: FetchedBatches = { topic: position.queue.topic, partition: position.queue.partition, records, fromOffset: position.fetchOffset, stopOffset: Infinity };
    const { task, queue } = position;
    let queued = 0;
    const walker = this.walker;
    // Reused for every record: deserializeInto reads them at once and keeps nothing of them.
    const keyAt = { section: walker.section, start: 0, length: -1 };
    const valueAt = { section: walker.section, start: 0, length: -1 };
    forEachDataBatch(fetched, (batch) => {
      walker.reset(batch);
      keyAt.section = valueAt.section = walker.section;
      while (walker.next()) {
        if (walker.offset < fetched.fromOffset) continue;
        keyAt.start = walker.keyStart;
        keyAt.length = walker.keyLength;
        valueAt.start = walker.valueStart;
        valueAt.length = walker.valueLength;
        task.enqueueAt(queue, walker.offset, walker.timestamp, keyAt, valueAt, walker.headerCount === 0 ? NO_HEADERS : walker.headers());
        queued++;
      }
      return true;
    });
    position.fetchOffset = nextFetchOffset(fetched);
    return queued;
  }
}

function slot(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

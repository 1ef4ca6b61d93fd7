/**
 * The embedded consumer: reads one topic's partitions by offset and yields records as an async
 * iterator. Within a partition records come in offset order; partitions interleave per fetch.
 *
 * Without a group it tracks positions itself (Kafka's manual `assign()` consumer). With `groupId`
 * it is a member of a consumer group (Kafka's subscribe()): the group shares the topic's
 * partitions and the consumer resumes from, and commits, the group's offsets (group-consumer.ts).
 *
 * Owned by its creator on the main thread; not thread-safe.
 */
import type { RecordHeader } from '../protocol/record-batch.js';
import { RecordWalker } from '../protocol/record-walker.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { FETCH_MAX_BYTES } from '../common/limits.js';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, offsetAt, type BackendFetchRequest, type BrookBackend } from './backend.js';
import { KafkaError, unknownTopicError } from './kafka-error.js';
import { GroupConsumer, type GroupConsumerOptions } from './group-consumer.js';
import { collectRecords, type FetchedBatches } from './record-delivery.js';
import { checkFetched, CorruptDataError, type CorruptData } from './fetch-checks.js';

export type { FetchedBatches } from './record-delivery.js';
export { CorruptDataError, type CorruptData } from './fetch-checks.js';

export type StartPosition = 'beginning' | 'end' | { offset: number } | { timestamp: number };

export interface ConsumerOptions {
  topic: string;
  /** Partitions to read; all of the topic's by default. */
  partitions?: number[];
  /**
   * Where to start in each partition. Default 'end' (Kafka's auto.offset.reset=latest). With a
   * group only 'beginning' or 'end', and only for partitions the group has no offset for.
   */
  from?: StartPosition;
  /**
   * true (default): wait for new records forever, like `tail -f`. false: stop at the high
   * watermarks seen when the consumer starts.
   */
  follow?: boolean;
  /** Longest a fetch waits for new records (Kafka's fetch.max.wait.ms). Default 500. */
  maxWaitMs?: number;
  /** Per-partition fetch size (Kafka's max.partition.fetch.bytes). Default 1 MiB. */
  partitionMaxBytes?: number;
  /**
   * Join this consumer group: the group's members share the topic's partitions, and each starts
   * at the group's committed offset. Incompatible with `partitions` and with follow=false.
   */
  groupId?: string;
  /** Group options (Kafka's names): session.timeout.ms etc. Only with groupId. */
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  rebalanceTimeoutMs?: number;
  autoCommit?: boolean;
  autoCommitIntervalMs?: number;
  assignor?: GroupConsumerOptions['assignor'];
  /**
   * Damaged data (a batch failing its CRC-32C, offsets the broker could not read): by default a
   * poll after the records before it throws CorruptDataError naming topic, partition and offsets.
   * Given this, the damage is reported to it and skipped, and reading goes on.
   */
  onCorrupt?: (corrupt: CorruptData) => void;
}

export interface ConsumerRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

interface Position {
  partition: number;
  fetchOffset: number;
  /** Exclusive end when not following; Infinity when following. */
  stopOffset: number;
  /** Fetches in a row that returned nothing at all although this partition was below its high watermark. */
  emptyBelowHighWatermark: number;
}

export class Consumer implements AsyncIterable<ConsumerRecord> {
  private readonly maxWaitMs: number;
  private readonly partitionMaxBytes: number;
  private positions: Position[] | null = null;
  private closed = false;
  private inFlight: Promise<unknown> | null = null;
  /**
   * Ends the current fetch's wait early (close()). One promise per fetch, dropped after it: a
   * race against one long-lived promise would leave a reaction on it per fetch, each holding that
   * fetch's result (and its record bytes) until close.
   */
  private interruptFetch: (() => void) | null = null;
  /** Set when the consumer is a group member; every call is then delegated to it. */
  private readonly group: GroupConsumer | null = null;
  private readonly walker = new RecordWalker();
  /** A compacted topic has offset gaps on purpose (fetch-checks.ts). */
  private gapsAllowed = false;
  /** Damage found by the last fetch, raised by the next poll (after what preceded it was delivered). */
  private pendingError: CorruptDataError | null = null;

  constructor(
    private readonly backend: BrookBackend,
    private readonly options: ConsumerOptions,
  ) {
    if (options.groupId !== undefined) this.group = groupConsumer(backend, options);
    this.maxWaitMs = options.maxWaitMs ?? 500;
    this.partitionMaxBytes = options.partitionMaxBytes ?? 1_048_576;
  }

  /** The next offset to read per partition (after start-up). */
  position(partition: number): number | undefined {
    if (this.group !== null) return this.group.position(partition);
    return this.positions?.find((p) => p.partition === partition)?.fetchOffset;
  }

  /**
   * Records one by one. Hand-written rather than an async generator: a record already fetched is
   * answered with one resolved promise, without the generator's queue and state machine, which
   * cost about a third of the per-record time (measured at 3M records). Breaking out of a
   * `for await` ends this iteration only; close() ends the consumer.
   */
  [Symbol.asyncIterator](): AsyncIterator<ConsumerRecord> {
    let records: ConsumerRecord[] = [];
    let index = 0;
    let finished = false;
    const refill = async (): Promise<IteratorResult<ConsumerRecord>> => {
      while (!finished) {
        const polled = await this.poll();
        if (polled === null) break;
        if (polled.length === 0) continue;
        records = polled;
        index = 1;
        return { value: polled[0]!, done: false };
      }
      finished = true;
      return { value: undefined, done: true };
    };
    return {
      next: () => (index < records.length && !finished ? Promise.resolve({ value: records[index++]!, done: false }) : refill()),
      return: async () => {
        finished = true;
        return { value: undefined, done: true };
      },
    };
  }

  /**
   * Records from one fetch (an empty array when none arrived within maxWaitMs), or null once the
   * consumer is closed or, without follow, has reached its stop offsets. The batch form of the
   * iterator, for callers that write records out in bulk. maxRecords (Kafka's max.poll.records)
   * bounds a group member's answer, whose commits must not pass records it has not handed out;
   * without a group it is ignored.
   */
  async poll(maxRecords?: number): Promise<ConsumerRecord[] | null> {
    if (this.group !== null) return this.group.poll(maxRecords);
    const fetched = await this.pollBatches();
    if (fetched === null) return null;
    const records: ConsumerRecord[] = [];
    for (const partitionBatches of fetched) collectRecords(this.walker, partitionBatches, records);
    return records;
  }

  /**
   * The raw form of poll(), for callers that format records straight from the stored bytes
   * (`brook consume`): per partition, the whole batches one fetch returned, with the offset
   * bounds to apply (record-delivery.ts walks them: forEachDataBatch, RecordWalker). The
   * consumer's positions move past everything returned, as if every record in bounds had been
   * delivered. An empty array when nothing arrived within maxWaitMs; null once closed or, without
   * follow, at the stop offsets. Not for group members: their commits count delivered records.
   */
  async pollBatches(): Promise<FetchedBatches[] | null> {
    if (this.group !== null) throw new Error('pollBatches() is for consumers without a group; a group member uses poll()');
    if (this.pendingError !== null) throw this.pendingError;
    const positions = await this.start();
    if (this.closed) return null;
    const active = positions.filter((p) => p.fetchOffset < p.stopOffset);
    if (active.length === 0) return null;
    return this.fetchOnce(active);
  }

  /** Stops the iteration (a pending fetch is abandoned) and waits for in-flight work to end. */
  async close(): Promise<void> {
    if (this.group !== null) return this.group.close();
    this.closed = true;
    this.interruptFetch?.();
    await this.inFlight?.catch(() => undefined);
  }

  /** The group member behind this consumer (assignment, memberId, commit); null without groupId. */
  get groupMember(): GroupConsumer | null {
    return this.group;
  }

  /** Commits the group's offsets for every record delivered so far (groupId only). */
  async commit(): Promise<void> {
    if (this.group === null) throw new Error('commit() needs a groupId: a consumer without a group has no committed offsets');
    await this.group.commit();
  }

  private async start(): Promise<Position[]> {
    if (this.positions !== null) return this.positions;
    const { topic } = this.options;
    const details = await this.backend.describeTopic(topic);
    if (details === undefined) throw unknownTopicError(topic);
    this.gapsAllowed = (details.configs['cleanup.policy'] ?? 'delete').includes('compact');
    const partitions = this.options.partitions ?? [...Array(details.partitionCount).keys()];
    const positions: Position[] = [];
    for (const partition of partitions) {
      if (!Number.isInteger(partition) || partition < 0 || partition >= details.partitionCount) {
        throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          `partition ${partition} is outside topic '${topic}' (${details.partitionCount} partitions)`);
      }
      const stopOffset = this.options.follow === false ? await offsetAt(this.backend, this.options.topic, partition, LATEST_TIMESTAMP) : Infinity;
      positions.push({ partition, fetchOffset: await this.startOffset(partition), stopOffset, emptyBelowHighWatermark: 0 });
    }
    this.positions = positions;
    return positions;
  }

  private async startOffset(partition: number): Promise<number> {
    const from = this.options.from ?? 'end';
    if (from === 'beginning') return offsetAt(this.backend, this.options.topic, partition, EARLIEST_TIMESTAMP);
    if (from === 'end') return offsetAt(this.backend, this.options.topic, partition, LATEST_TIMESTAMP);
    if ('timestamp' in from) {
      const offset = await offsetAt(this.backend, this.options.topic, partition, from.timestamp);
      // No record at or after the time: start at the end, as Kafka's offsetsForTimes + seek does.
      return offset >= 0 ? offset : offsetAt(this.backend, this.options.topic, partition, LATEST_TIMESTAMP);
    }
    return this.clampOffset(partition, from.offset);
  }

  /** An explicit offset outside the log moves to its nearest end instead of failing. */
  private async clampOffset(partition: number, offset: number): Promise<number> {
    if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`offset must be a non-negative integer, got ${offset}`);
    const earliest = await offsetAt(this.backend, this.options.topic, partition, EARLIEST_TIMESTAMP);
    const latest = await offsetAt(this.backend, this.options.topic, partition, LATEST_TIMESTAMP);
    return Math.min(Math.max(offset, earliest), latest);
  }

  /** One fetch over the active partitions; null if the consumer was closed meanwhile. */
  private async fetchOnce(active: Position[]): Promise<FetchedBatches[] | null> {
    const { topic } = this.options;
    const requests: BackendFetchRequest[] = active.map((p) => ({
      topic,
      partition: p.partition,
      fetchOffset: p.fetchOffset,
      partitionMaxBytes: this.partitionMaxBytes,
    }));
    const fetching = this.backend.fetch(requests, { maxWaitMs: this.maxWaitMs, minBytes: 1, maxBytes: FETCH_MAX_BYTES });
    this.inFlight = fetching;
    const interrupted = new Promise<null>((resolve) => (this.interruptFetch = () => resolve(null)));
    let results: Awaited<typeof fetching> | null;
    try {
      results = await Promise.race([fetching, interrupted]);
    } finally {
      this.interruptFetch = null;
    }
    if (results === null || this.closed) return null;
    this.inFlight = null;
    // Fail before moving any position: records of the partitions that did answer are fetched again
    // by the next poll instead of being skipped.
    const failed = results.find((r) => r.errorCode !== ErrorCode.NONE && r.errorCode !== ErrorCode.OFFSET_OUT_OF_RANGE);
    if (failed !== undefined) throw new KafkaError(failed.errorCode, `fetching ${topic}-${failed.partition}`);
    const fetched: FetchedBatches[] = [];
    const nothingAtAll = results.every((r) => r.records === null || r.records.length === 0);
    for (const result of results) {
      const position = active.find((p) => p.partition === result.partition);
      if (position === undefined) continue;
      if (result.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
        // Retention removed what we were about to read: continue from the new log start.
        position.fetchOffset = await offsetAt(this.backend, this.options.topic, position.partition, EARLIEST_TIMESTAMP);
        continue;
      }
      if (result.records === null || result.records.length === 0) {
        if (nothingAtAll) this.checkUnreadable(position, result.highWatermark);
        continue;
      }
      position.emptyBelowHighWatermark = 0;
      const checked = checkFetched({
        topic,
        partition: position.partition,
        records: result.records,
        fromOffset: position.fetchOffset,
        stopOffset: position.stopOffset,
      }, { gapsAllowed: this.gapsAllowed, skip: this.options.onCorrupt !== undefined });
      position.fetchOffset = checked.nextOffset;
      if (checked.fetched !== null) fetched.push(checked.fetched);
      this.corrupt(checked.problems);
    }
    return fetched;
  }

  /**
   * A whole fetch returned nothing although this partition is below its high watermark: the
   * broker has records it cannot read (a damaged tail). Twice in a row, so that a high watermark
   * that moved on between the read and the answer is not taken for damage.
   */
  private checkUnreadable(position: Position, highWatermark: number): void {
    if (highWatermark <= position.fetchOffset || ++position.emptyBelowHighWatermark < 2) return;
    position.emptyBelowHighWatermark = 0;
    const { fetchOffset } = position;
    this.corrupt([{
      topic: this.options.topic, partition: position.partition, firstOffset: fetchOffset, lastOffset: highWatermark - 1,
      reason: 'unreadable: the broker returns nothing below its high watermark (damaged data)',
    }]);
    if (this.options.onCorrupt !== undefined) position.fetchOffset = Math.min(highWatermark, position.stopOffset);
  }

  /** Reports damage (skipping it) or keeps the first for the next poll to raise. */
  private corrupt(problems: CorruptData[]): void {
    const report = this.options.onCorrupt;
    for (const problem of problems) {
      if (report !== undefined) report(problem);
      else this.pendingError ??= new CorruptDataError(problem);
    }
  }
}

function groupConsumer(backend: BrookBackend, options: ConsumerOptions): GroupConsumer {
  const { topic, groupId, from } = options;
  if (options.partitions !== undefined) throw new Error('partitions and groupId exclude each other: the group assigns the partitions');
  if (options.follow === false) throw new Error('follow=false and groupId exclude each other: a group member reads until closed');
  if (from !== undefined && from !== 'beginning' && from !== 'end') {
    throw new Error("with groupId, from is 'beginning' or 'end' (where a partition without a committed offset starts)");
  }
  return new GroupConsumer(backend, { ...options, topic, groupId: groupId!, from });
}

/**
 * The embedded producer: Kafka's record accumulator in miniature.
 *
 *   send() / sendLines() ──▶ queue (call order) ──pump──▶ open batch per partition ──seal──▶ sealed
 *                                                  (BatchBuilder: records      (header+CRC) │ one produce
 *                                                   encoded as they arrive)                 ▼ in flight/partition
 *                                                                              bulk-delivery.ts: seal
 *                                                                              (idempotent header), produce,
 *                                                                              retry the same bytes
 *
 * - Encoding: records are encoded into their partition's open RecordBatch v2 as they are placed
 *   (bulk-batch-builder.ts); sealing writes the header and CRC once. No object or promise per
 *   record on the sendLines() path; send() keeps its per-record promise for library users.
 * - Placement: an explicit partition wins; keyed records go to partitionForKey (the Java client's
 *   murmur2, so keys land where Apache Kafka puts them); keyless records stick to one partition
 *   until its batch is sealed, then move to the next (Kafka's sticky partitioner, round-robin
 *   instead of random so runs are reproducible).
 * - Order: requests are placed strictly in call order, and each partition has at most one produce
 *   in flight, so records of a partition are appended in call order even when the broker's ring
 *   is full and appends wait.
 * - Delivery (bulk-delivery.ts): idempotent by default, as Kafka's producer since 3.0: each batch
 *   carries producerId, producerEpoch and baseSequence, so a resent batch is recognised by the log
 *   and written once. Retriable errors (a restarted partition worker, a storage error, a lost
 *   request) resend the same bytes with growing backoff until deliveryTimeoutMs.
 * - Memory bound: at most about `bufferBytes` (default 32 MiB) of records sit in open, sealed or
 *   in-flight batches. Past it the queue stops moving (mid-call for sendLines) until a batch is
 *   acknowledged, and `ready()` tells a streaming caller when to hand over more. The queue holds
 *   only what the caller has already handed over without awaiting.
 *
 * Owned by its creator on the main thread; not thread-safe.
 */
import { RECORDS_PER_BATCH_MAX } from '../common/limits.js';
import { Compression, type CompressionName } from '../protocol/compression.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { partitionForKey } from '../protocol/partitioner.js';
import type { ProducerRecord } from '../protocol/record-batch.js';
import type { Acks, BrookBackend } from './backend.js';
import { LinesTarget, RecordTarget, type AckTarget, type BatchPart, type SendLinesResult } from './bulk-acks.js';
import { BatchBuilder } from './bulk-batch-builder.js';
import { BatchDelivery, type PartitionSequence } from './bulk-delivery.js';
import { countLines, placeLines, type QueuedLines } from './bulk-lines.js';
import { placeRecords, RecordsTarget, type BulkRecord, type QueuedRecords, type SendRecordsResult } from './bulk-records.js';
import { KafkaError } from './kafka-error.js';
import { recordBytesMax, toProducerRecord, type SendRecord } from './record-input.js';
import { TopicMetadata } from './topic-metadata.js';

export type { SendLinesResult } from './bulk-acks.js';

export interface ProducerOptions {
  /** How long a batch waits for more records before it is sent (Kafka's linger.ms). Default 5. */
  lingerMs?: number;
  /** A batch is sent once it would exceed this many bytes (Kafka's batch.size). Default 1 MiB. */
  batchBytes?: number;
  /** Records held before send() waits for acknowledgements (Kafka's buffer.memory). Default 32 MiB. */
  bufferBytes?: number;
  compression?: CompressionName;
  /** 0, 1 or 'all' (Kafka's default). With acks 0 a send resolves with offset -1. */
  acks?: Acks | -1;
  /**
   * Kafka's enable.idempotence: batches carry producerId and sequence numbers, so a retried batch
   * is written once. Default true (false with acks 0, which cannot be idempotent).
   */
  idempotent?: boolean;
  /**
   * Resends of a batch after a retriable error (Kafka's retries). Default Infinity, bounded by
   * deliveryTimeoutMs; without idempotence 0 unless set (a resend may then duplicate records).
   */
  retries?: number;
  /** Upper bound on the time from a record's batch opening to its outcome (delivery.timeout.ms). Default 120000. */
  deliveryTimeoutMs?: number;
  /** First wait before a resend, doubling per attempt (retry.backoff.ms). Default 100. */
  retryBackoffMs?: number;
  /** Longest wait between resends (retry.backoff.max.ms). Default 1000. */
  retryBackoffMaxMs?: number;
}

export interface RecordMetadata {
  topic: string;
  partition: number;
  /** The record's offset; -1 with acks=0. */
  offset: number;
  timestamp: number;
}

export interface SendLinesOptions {
  /** Lines are key<separator>value; a line without it is keyless (value = whole line). */
  keySeparator?: Buffer | null;
  /** Every line goes to this partition; otherwise keyed lines hash, keyless ones stick. */
  partition?: number;
}

interface QueuedRecord {
  kind: 'record';
  topic: string;
  partition: number | undefined;
  record: ProducerRecord;
  sizeBytes: number;
  target: RecordTarget;
}

type Queued = QueuedRecord | QueuedLines | QueuedRecords;

/** A batch being filled, or sealed and waiting for (or in) its produce. */
export interface Batch {
  builder: BatchBuilder;
  parts: BatchPart[];
  /** Uncompressed record bytes, counted against bufferBytes until acknowledged. */
  accountedBytes: number;
  /** The sealed bytes: null until its first send writes the header (bulk-delivery.ts). */
  bytes: Buffer | null;
  createdMs: number;
}

export interface PartitionQueue {
  topic: string;
  partition: number;
  open: Batch | null;
  lingerTimer: NodeJS.Timeout | null;
  sealed: Batch[];
  inFlight: boolean;
  /** Size of the last sealed batch: the next builder's starting capacity. */
  lastBatchBytes: number;
  sequence: PartitionSequence;
}

export interface TopicState {
  queues: Array<PartitionQueue | undefined>;
  /** The keyless records' current partition (before modulo). */
  sticky: number;
  /** The next partition (before modulo) of sendRecords() with roundRobin. */
  roundRobin: number;
}

const DEFAULTS = {
  lingerMs: 5, batchBytes: 1_048_576, bufferBytes: 32 * 1_048_576,
  deliveryTimeoutMs: 120_000, retryBackoffMs: 100, retryBackoffMaxMs: 1000,
};

export class Producer {
  readonly batchBytes: number;
  readonly bufferBytes: number;
  /** Bytes in open, sealed and in-flight batches. */
  bufferedBytes = 0;
  private readonly lingerMs: number;
  private readonly delivery: BatchDelivery;
  private readonly metadata: TopicMetadata;
  private readonly queue: Queued[] = [];
  private queueHead = 0;
  private readonly topics = new Map<string, TopicState>();
  private outstandingCount = 0;
  private flushWaiters: Array<() => void> = [];
  private readyWaiters: Array<() => void> = [];
  private flushing = 0;
  private closed = false;
  private readonly settled = (): void => this.settle();

  constructor(
    private readonly backend: BrookBackend,
    options: ProducerOptions = {},
  ) {
    this.lingerMs = options.lingerMs ?? DEFAULTS.lingerMs;
    this.batchBytes = options.batchBytes ?? DEFAULTS.batchBytes;
    this.bufferBytes = options.bufferBytes ?? DEFAULTS.bufferBytes;
    const compression = options.compression ?? 'none';
    if (!(compression in Compression)) throw new TypeError(`unknown compression '${compression}'`);
    const acks = options.acks === -1 ? 'all' : (options.acks ?? 'all');
    if (![0, 1, 'all'].includes(acks)) throw new TypeError(`acks must be 0, 1 or 'all'`);
    // Kafka refuses enable.idempotence=true with acks=0 (nothing would report a duplicate).
    if (options.idempotent === true && acks === 0) throw new TypeError('an idempotent producer needs acks 1 or all');
    const idempotent = options.idempotent ?? acks !== 0;
    const retries = options.retries ?? (idempotent ? Infinity : 0);
    if (!(retries >= 0)) throw new TypeError('retries must be 0 or more');
    this.delivery = new BatchDelivery(backend, {
      idempotent, acks, codec: Compression[compression], retries,
      deliveryTimeoutMs: options.deliveryTimeoutMs ?? DEFAULTS.deliveryTimeoutMs,
      retryBackoffMs: options.retryBackoffMs ?? DEFAULTS.retryBackoffMs,
      retryBackoffMaxMs: options.retryBackoffMaxMs ?? DEFAULTS.retryBackoffMaxMs,
    });
    this.metadata = new TopicMetadata(backend);
  }

  /** Resolves when the record is acknowledged, with its partition and offset. */
  send(record: SendRecord): Promise<RecordMetadata> {
    if (this.closed) return Promise.reject(new Error('producer is closed'));
    let normalized: ProducerRecord;
    try {
      normalized = toProducerRecord(record, Date.now());
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<RecordMetadata>((resolve, reject) => this.enqueueRecord(record, normalized, resolve, reject));
  }

  /**
   * send() without a promise per record: one of the callbacks runs once with the outcome. For
   * callers that send millions and track outcomes in bulk (the streams record collector), with the
   * same two functions for every record; throws at once on a closed producer or a record it cannot
   * take.
   */
  sendWithCallback(record: SendRecord, onAcknowledged: (metadata: RecordMetadata) => void, onFailed: (error: Error) => void): void {
    if (this.closed) throw new Error('producer is closed');
    this.enqueueRecord(record, toProducerRecord(record, Date.now()), onAcknowledged, onFailed);
  }

  private enqueueRecord(record: SendRecord, normalized: ProducerRecord, resolve: (m: RecordMetadata) => void, reject: (e: Error) => void): void {
    this.outstandingCount++;
    const target = new RecordTarget(normalized.timestamp!, resolve, reject, this.settled);
    const sizeBytes = recordBytesMax(normalized);
    this.queue.push({ kind: 'record', topic: record.topic, partition: record.partition, record: normalized, sizeBytes, target });
    this.pump();
  }

  /** Sends several records; resolves when all are acknowledged (rejects with the first failure). */
  sendBatch(records: readonly SendRecord[]): Promise<RecordMetadata[]> {
    return Promise.all(records.map((r) => this.send(r)));
  }

  /**
   * The bulk path: every line of `text` becomes one record (value = the line; with keySeparator,
   * key<sep>value), encoded straight into batches with no object or promise per line. A line ends
   * at '\n' (a '\r' before it is dropped); bytes after the last '\n' are a last line. All lines
   * get the time of this call as their timestamp. `text` must not change until the promise
   * settles. The promise never rejects once accepted: it resolves, when every line is
   * acknowledged or failed, with the counts and the first error. Pair it with ready() to bound
   * memory.
   */
  sendLines(topic: string, text: Buffer, options: SendLinesOptions = {}): Promise<SendLinesResult> {
    if (this.closed) return Promise.reject(new Error('producer is closed'));
    return new Promise<SendLinesResult>((resolve) => {
      this.outstandingCount++;
      this.queue.push({
        kind: 'lines', topic, text, pos: 0, timestampMs: Date.now(),
        keySeparator: options.keySeparator != null && options.keySeparator.length > 0 ? options.keySeparator : null,
        partition: options.partition, target: new LinesTarget(resolve, this.settled),
      });
      this.pump();
    });
  }

  /**
   * The bulk path for prepared records of one topic (the log inputs use it): one promise for the
   * whole array, resolved (never rejected once accepted) when every record is acknowledged or
   * failed, with the counts and the first error. `roundRobin`: records without an explicit
   * partition go to each partition in turn instead of by key. The records must not change until
   * the promise settles. Pair it with ready() to bound memory.
   */
  sendRecords(topic: string, records: readonly BulkRecord[], options: { roundRobin?: boolean } = {}): Promise<SendRecordsResult> {
    if (this.closed) return Promise.reject(new Error('producer is closed'));
    return new Promise<SendRecordsResult>((resolve) => {
      this.outstandingCount++;
      // lastOffset: the highest acknowledged offset, for callers that send to one partition (streams' changelogs).
      const target: RecordsTarget = new RecordsTarget((result) => resolve({ ...result, lastOffset: target.lastOffset }), this.settled);
      this.queue.push({ kind: 'records', topic, records, index: 0, roundRobin: options.roundRobin ?? false, target });
      this.pump();
    });
  }

  /** True while the producer holds less than bufferBytes and nothing waits in its queue. */
  hasCapacity(): boolean {
    return this.queue.length === this.queueHead && this.bufferedBytes < this.bufferBytes;
  }

  /** Resolves once hasCapacity() is true: a streaming caller awaits this between sends. */
  ready(): Promise<void> {
    if (this.hasCapacity()) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  /** Sends every batch now (ignoring lingerMs) and resolves when all records are acknowledged. */
  async flush(): Promise<void> {
    this.flushing++;
    try {
      this.sealAll();
      while (this.outstandingCount > 0) {
        await new Promise<void>((resolve) => this.flushWaiters.push(resolve));
        this.sealAll();
      }
    } finally {
      this.flushing--;
    }
  }

  /** Flushes, then refuses further sends. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
  }

  /** The open batch of `queue` with room for `recordBytes` more (sealing a full one first). */
  openBatch(queue: PartitionQueue, recordBytes: number): Batch {
    let open = queue.open;
    if (open !== null && (open.builder.sizeBytes + recordBytes > this.batchBytes || open.builder.recordCount >= RECORDS_PER_BATCH_MAX)) {
      this.seal(queue);
      open = null;
    }
    if (open === null) {
      const capacityBytes = Math.min(this.batchBytes, Math.max(queue.lastBatchBytes, recordBytes)) + 64;
      open = { builder: new BatchBuilder(capacityBytes), parts: [], accountedBytes: 0, bytes: null, createdMs: Date.now() };
      queue.open = open;
      queue.lingerTimer = setTimeout(() => this.seal(queue), this.lingerMs);
    }
    return open;
  }

  /** Counts a just-appended record against its batch, its caller and the memory bound. */
  addToBatch(queue: PartitionQueue, batch: Batch, target: AckTarget, recordBytes: number, payloadBytes: number): void {
    const parts = batch.parts;
    const last = parts.length === 0 ? undefined : parts[parts.length - 1]!;
    if (last !== undefined && last.target === target) {
      last.recordCount++;
      last.byteCount += payloadBytes;
    } else {
      parts.push({ target, firstIndex: batch.builder.recordCount - 1, recordCount: 1, byteCount: payloadBytes });
    }
    batch.accountedBytes += recordBytes;
    this.bufferedBytes += recordBytes;
    if (batch.builder.sizeBytes >= this.batchBytes) this.seal(queue);
  }

  topicState(topic: string, partitionCount: number): TopicState {
    let state = this.topics.get(topic);
    if (state === undefined) {
      state = { queues: [], sticky: 0, roundRobin: 0 };
      this.topics.set(topic, state);
    }
    if (state.queues.length < partitionCount) state.queues.length = partitionCount;
    return state;
  }

  partitionQueue(state: TopicState, topic: string, partition: number): PartitionQueue {
    let queue = state.queues[partition];
    if (queue === undefined) {
      queue = {
        topic, partition, open: null, lingerTimer: null, sealed: [], inFlight: false, lastBatchBytes: 0,
        sequence: { producerId: -1, nextSequence: 0 },
      };
      state.queues[partition] = queue;
    }
    return queue;
  }

  private settle(): void {
    this.outstandingCount--;
    if (this.outstandingCount === 0) {
      const waiters = this.flushWaiters;
      this.flushWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  /** Moves queued requests into batches, in call order, while the memory bound allows. */
  private pump(): void {
    while (this.queueHead < this.queue.length) {
      const entry = this.queue[this.queueHead]!;
      const partitionCount = this.metadata.partitionCountNow(entry.topic);
      if (partitionCount === undefined) {
        this.metadata.partitionCount(entry.topic).then(
          () => this.pump(),
          (err: unknown) => this.failQueuedForTopic(entry.topic, err as Error),
        );
        return;
      }
      if (entry.kind === 'lines') {
        if (!placeLines(this, entry, partitionCount)) return this.compactQueue();
      } else if (entry.kind === 'records') {
        if (!placeRecords(this, entry, partitionCount)) return this.compactQueue();
      } else {
        if (this.bufferedBytes > 0 && this.bufferedBytes + entry.sizeBytes > this.bufferBytes) return this.compactQueue();
        this.placeRecord(entry, partitionCount);
      }
      this.queueHead++;
    }
    this.queue.length = 0;
    this.queueHead = 0;
    if (this.flushing > 0) this.sealAll();
    this.wakeReady();
  }

  /** Drops placed entries while the rest wait, so a long wait does not pin them. */
  private compactQueue(): void {
    if (this.queueHead > 4096) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
  }

  private wakeReady(): void {
    if (this.readyWaiters.length === 0 || !this.hasCapacity()) return;
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    for (const wake of waiters) wake();
  }

  private failQueuedForTopic(topic: string, err: Error): void {
    const kept: Queued[] = [];
    for (let i = this.queueHead; i < this.queue.length; i++) {
      const entry = this.queue[i]!;
      if (entry.topic !== topic) kept.push(entry);
      else if (entry.kind === 'record') entry.target.failed(onlyPart(entry.target), err);
      else if (entry.kind === 'records') entry.target.failUnplaced(entry.records.length - entry.index, err);
      else entry.target.failUnplaced(countLines(entry.text, entry.pos), err);
    }
    this.queue.length = 0;
    this.queue.push(...kept);
    this.queueHead = 0;
    this.pump();
  }

  private placeRecord(entry: QueuedRecord, partitionCount: number): void {
    const { record, topic } = entry;
    const state = this.topicState(topic, partitionCount);
    let partition = entry.partition;
    if (partition === undefined) {
      partition = record.key != null ? partitionForKey(record.key, partitionCount) : state.sticky % partitionCount;
    } else if (!(Number.isInteger(partition) && partition >= 0 && partition < partitionCount)) {
      entry.target.failed(onlyPart(entry.target), new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        `partition ${partition} is outside topic '${topic}' (${partitionCount} partitions)`));
      return;
    }
    const queue = this.partitionQueue(state, topic, partition);
    const batch = this.openBatch(queue, entry.sizeBytes);
    const key = record.key ?? null;
    const recordBytes = batch.builder.appendRecord(record.timestamp!, key, record.value, record.headers ?? []);
    this.addToBatch(queue, batch, entry.target, recordBytes, (key?.length ?? 0) + (record.value?.length ?? 0));
  }

  private sealAll(): void {
    for (const state of this.topics.values()) {
      for (const queue of state.queues) if (queue !== undefined) this.seal(queue);
    }
  }

  private seal(queue: PartitionQueue): void {
    if (queue.lingerTimer !== null) clearTimeout(queue.lingerTimer);
    queue.lingerTimer = null;
    const batch = queue.open;
    if (batch === null) return;
    queue.open = null;
    // The header is written when the batch is first sent: its baseSequence is known only then.
    queue.lastBatchBytes = batch.builder.sizeBytes;
    queue.sealed.push(batch);
    // A sealed batch ends the sticky partition's turn: keyless records move on.
    const state = this.topics.get(queue.topic)!;
    if (state.sticky % state.queues.length === queue.partition) state.sticky = queue.partition + 1;
    this.dispatch(queue);
  }

  private dispatch(queue: PartitionQueue): void {
    if (queue.inFlight) return;
    const batch = queue.sealed.shift();
    if (batch === undefined) return;
    queue.inFlight = true;
    void this.produce(queue, batch).finally(() => {
      queue.inFlight = false;
      this.bufferedBytes -= batch.accountedBytes;
      this.dispatch(queue);
      this.pump();
    });
  }

  private async produce(queue: PartitionQueue, batch: Batch): Promise<void> {
    const outcome = await this.delivery.deliver(queue.topic, queue.partition, queue.sequence, batch);
    batch.bytes = null;
    if (outcome.kind === 'failed') {
      const { error } = outcome;
      if (error instanceof KafkaError && error.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) this.metadata.invalidate(queue.topic);
      for (const part of batch.parts) part.target.failed(part, error);
      return;
    }
    for (const part of batch.parts) part.target.acknowledged(queue.topic, queue.partition, outcome.baseOffset, part, outcome.logAppendTimeMs);
  }
}

function onlyPart(target: AckTarget): BatchPart {
  return { target, firstIndex: 0, recordCount: 1, byteCount: 0 };
}

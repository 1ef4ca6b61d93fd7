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
 *   is full and appends wait. With maxInFlight 1 (Kafka's max.in.flight.requests.per.connection)
 *   batches of all partitions go out one at a time in the order they were sealed, so records
 *   handed over in one order are stored in that order across partitions too, as long as a batch
 *   holds a run of consecutive records (keyless or single-partition input; keyed input spread
 *   over several partitions interleaves its batches).
 * - Failure: when a batch fails for good, an idempotent producer also fails every record of the
 *   same partition (of every partition with maxInFlight 1) that was handed over before the
 *   failure and not yet sent, instead of sending it after the gap: what is stored stays a prefix
 *   of what was handed over. Records handed over after the failure is reported start afresh.
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
import { Compression, type CompressionName } from '../protocol/compression.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { partitionForKey } from '../protocol/partitioner.js';
import type { ProducerRecord } from '../protocol/record-batch.js';
import type { Acks, BrookBackend } from './backend.js';
import { LinesTarget, RecordTarget, type AckTarget, type BatchPart, type SendLinesResult } from './bulk-acks.js';
import { BatchDelivery } from './bulk-delivery.js';
import { ProducerBatches } from './producer-batches.js';
import { countLines, placeLines, type QueuedLines } from './bulk-lines.js';
import { placeEncoded, type EncodedBatch, type QueuedEncoded } from './bulk-encoded.js';
import { placeRecords, RecordsTarget, type BulkRecord, type QueuedRecords, type SendRecordsResult } from './bulk-records.js';
import { KafkaError } from './kafka-error.js';
import { recordBytesMax, toProducerRecord, type SendRecord } from './record-input.js';
import { TopicMetadata, type TopicLimits } from './topic-metadata.js';

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
  /**
   * Produce requests in flight at once over all partitions (Kafka's
   * max.in.flight.requests.per.connection; one host is one connection). Default unbounded (one
   * per partition); 1 keeps the order of records across partitions (see "Order" above).
   */
  maxInFlight?: number;
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
  /** Drop a '\r' at the end of each line (CRLF input). Default false: values keep every byte. */
  stripCarriageReturn?: boolean;
}

interface QueuedRecord {
  kind: 'record';
  topic: string;
  partition: number | undefined;
  record: ProducerRecord;
  sizeBytes: number;
  target: RecordTarget;
}

type Queued = QueuedRecord | QueuedLines | QueuedRecords | QueuedEncoded;

const DEFAULTS = {
  lingerMs: 5, batchBytes: 1_048_576, bufferBytes: 32 * 1_048_576,
  deliveryTimeoutMs: 120_000, retryBackoffMs: 100, retryBackoffMaxMs: 1000,
};

export class Producer {
  readonly bufferBytes: number;
  /** Open, sealed and in-flight batches per partition (producer-batches.ts). */
  readonly batches: ProducerBatches;
  private readonly metadata: TopicMetadata;
  private readonly queue: Queued[] = [];
  private queueHead = 0;
  private outstandingCount = 0;
  private flushWaiters: Array<() => void> = [];
  private readyWaiters: Array<() => void> = [];
  private flushing = 0;
  private closed = false;
  private readonly settled = (callIndex: number): void => this.settle(callIndex);

  constructor(backend: BrookBackend, options: ProducerOptions = {}) {
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
    const maxInFlight = options.maxInFlight ?? Infinity;
    if (!(maxInFlight >= 1)) throw new TypeError('maxInFlight must be 1 or more');
    const delivery = new BatchDelivery(backend, {
      idempotent, acks, codec: Compression[compression], retries,
      deliveryTimeoutMs: options.deliveryTimeoutMs ?? DEFAULTS.deliveryTimeoutMs,
      retryBackoffMs: options.retryBackoffMs ?? DEFAULTS.retryBackoffMs,
      retryBackoffMaxMs: options.retryBackoffMaxMs ?? DEFAULTS.retryBackoffMaxMs,
    });
    this.metadata = new TopicMetadata(backend);
    this.batches = new ProducerBatches(
      { lingerMs: options.lingerMs ?? DEFAULTS.lingerMs, batchBytes: options.batchBytes ?? DEFAULTS.batchBytes, maxInFlight, idempotent },
      delivery, this.metadata, () => this.outstandingCount, () => this.pump(),
    );
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
    const target = new RecordTarget(this.batches.callCount++, normalized.timestamp!, resolve, reject, this.settled);
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
   * at '\n' (a '\r' before it stays part of the value unless stripCarriageReturn); bytes after the
   * last '\n' are a last line. All lines
   * get the time of this call as their timestamp. `text` must not change until the promise
   * settles. The promise never rejects once accepted: it resolves, when every line is
   * acknowledged or failed, with the counts and the first error. Pair it with ready() to bound
   * memory. (The text is copied into batches as it is placed: once allPlaced, it may be reused.)
   */
  sendLines(topic: string, text: Buffer, options: SendLinesOptions = {}): Promise<SendLinesResult> {
    if (this.closed) return Promise.reject(new Error('producer is closed'));
    return new Promise<SendLinesResult>((resolve) => {
      this.outstandingCount++;
      this.queue.push({
        kind: 'lines', topic, text, pos: 0, timestampMs: Date.now(),
        keySeparator: options.keySeparator != null && options.keySeparator.length > 0 ? options.keySeparator : null,
        partition: options.partition, stripCarriageReturn: options.stripCarriageReturn === true,
        target: new LinesTarget(this.batches.callCount++, resolve, this.settled),
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
      const roundRobinNext = this.roundRobinNext.get(topic) ?? 0;
      this.roundRobinNext.set(topic, roundRobinNext + records.length);
      // lastOffset: the highest acknowledged offset, for callers that send to one partition (streams' changelogs).
      const target: RecordsTarget = new RecordsTarget(this.batches.callCount++, (result) => resolve({ ...result, lastOffset: target.lastOffset }), this.settled);
      this.queue.push({ kind: 'records', topic, records, index: 0, roundRobin: options.roundRobin ?? false, roundRobinNext, target });
      this.pump();
    });
  }

  /**
   * The bulk path for records the caller encoded itself, one partition's batch at a time
   * (bulk-encoded.ts; the syslog input uses it). Sent as a batch of its own, after every record
   * handed over before; one promise, resolved (never rejected once accepted) like sendRecords().
   * The caller picks the partition and keeps the batch within the topic's limits (limitsNow()).
   * `batch.buffer` must not change until the promise settles.
   */
  sendEncoded(topic: string, batch: EncodedBatch): Promise<SendRecordsResult> {
    if (this.closed) return Promise.reject(new Error('producer is closed'));
    return new Promise<SendRecordsResult>((resolve) => {
      this.outstandingCount++;
      const target: RecordsTarget = new RecordsTarget(this.batches.callCount++, (result) => resolve({ ...result, lastOffset: target.lastOffset }), this.settled);
      this.queue.push({ kind: 'encoded', topic, batch, target });
      this.pump();
    });
  }

  /**
   * The topic's partition count and largest batch if already known (undefined until a send to
   * the topic looked it up): what a caller of sendEncoded() encodes for.
   */
  limitsNow(topic: string): TopicLimits | undefined {
    return this.metadata.limitsNow(topic);
  }

  /** The topic's limits, looked up (creating the topic as a send would) if not known yet. */
  topicLimits(topic: string): Promise<TopicLimits> {
    return this.metadata.limits(topic);
  }

  /** Per topic, where the next roundRobin sendRecords() call starts (before modulo). */
  private readonly roundRobinNext = new Map<string, number>();

  /**
   * The error the first batch that failed for good failed with, or null. Set the moment it
   * fails, before any promise settles: a caller that must keep what is stored a prefix of what it
   * sent checks it before each send.
   */
  get failure(): Error | null {
    return this.batches.failure;
  }

  /**
   * True when every call so far has been placed into batches: the producer then holds no
   * reference to any sendLines() text (its bytes were copied), so the caller may reuse it.
   */
  get allPlaced(): boolean {
    return this.queue.length === this.queueHead;
  }

  /** True while the producer holds less than bufferBytes and nothing waits in its queue. */
  hasCapacity(): boolean {
    return this.queue.length === this.queueHead && this.batches.bufferedBytes < this.bufferBytes;
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
      this.batches.sealAll();
      while (this.outstandingCount > 0) {
        await new Promise<void>((resolve) => this.flushWaiters.push(resolve));
        this.batches.sealAll();
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

  private settle(callIndex: number): void {
    this.outstandingCount--;
    this.batches.callSettled(callIndex);
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
      const partitionCount = this.metadata.limitsNow(entry.topic)?.partitionCount;
      if (partitionCount === undefined) {
        this.metadata.limits(entry.topic).then(
          () => this.pump(),
          (err: unknown) => this.failQueuedForTopic(entry.topic, err as Error),
        );
        return;
      }
      if (entry.kind === 'lines') {
        if (!placeLines(this.batches, this.bufferBytes, entry, partitionCount)) return this.compactQueue();
      } else if (entry.kind === 'records') {
        if (!placeRecords(this.batches, this.bufferBytes, entry, partitionCount)) return this.compactQueue();
      } else if (entry.kind === 'encoded') {
        if (!placeEncoded(this.batches, this.bufferBytes, entry, partitionCount)) return this.compactQueue();
      } else {
        const bufferedBytes = this.batches.bufferedBytes;
        if (bufferedBytes > 0 && bufferedBytes + entry.sizeBytes > this.bufferBytes) return this.compactQueue();
        this.placeRecord(entry, partitionCount);
      }
      this.queueHead++;
    }
    this.queue.length = 0;
    this.queueHead = 0;
    if (this.flushing > 0) this.batches.sealAll();
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
      else if (entry.kind === 'encoded') entry.target.failUnplaced(entry.batch.recordCount, err);
      else entry.target.failUnplaced(countLines(entry.text, entry.pos), err);
    }
    this.queue.length = 0;
    this.queue.push(...kept);
    this.queueHead = 0;
    this.pump();
  }

  private placeRecord(entry: QueuedRecord, partitionCount: number): void {
    const { record, topic } = entry;
    const batches = this.batches;
    const state = batches.topicState(topic, partitionCount);
    let partition = entry.partition;
    if (partition === undefined) {
      partition = record.key != null ? partitionForKey(record.key, partitionCount) : state.sticky % partitionCount;
    } else if (!(Number.isInteger(partition) && partition >= 0 && partition < partitionCount)) {
      entry.target.failed(onlyPart(entry.target), new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        `partition ${partition} is outside topic '${topic}' (${partitionCount} partitions)`));
      return;
    }
    const queue = batches.partitionQueue(state, topic, partition);
    const poison = batches.poisonFor(queue, entry.target.callIndex);
    if (poison !== null) {
      entry.target.failed(onlyPart(entry.target), poison);
      return;
    }
    const batch = batches.openBatch(queue, entry.sizeBytes);
    const key = record.key ?? null;
    const recordBytes = batch.builder.appendRecord(record.timestamp!, key, record.value, record.headers ?? []);
    batches.addRun(queue, batch, entry.target, 1, recordBytes, (key?.length ?? 0) + (record.value?.length ?? 0), 0);
  }
}

function onlyPart(target: AckTarget): BatchPart {
  return { target, firstIndex: 0, firstLine: 0, recordCount: 1, byteCount: 0 };
}

/**
 * The embedded producer: Kafka's record accumulator in miniature.
 *
 *   send() ──▶ queue (call order) ──pump──▶ open batch per partition ──seal──▶ sealed batches
 *                                                (lingerMs / batchBytes)        │ one produce in
 *                                                                               ▼ flight/partition
 *                                                                         backend.produce()
 *
 * - Placement: an explicit partition wins; keyed records go to partitionForKey (the Java client's
 *   murmur2, so keys land where Apache Kafka puts them); keyless records stick to one partition
 *   until its batch is sealed, then move to the next (Kafka's sticky partitioner, round-robin
 *   instead of random so runs are reproducible).
 * - Order: sends are placed strictly in call order, and each partition has at most one produce in
 *   flight, so records of a partition are appended in send order even when the broker's ring is
 *   full and appends wait.
 * - Memory bound: at most `bufferBytes` (default 32 MiB) of records sit in open, sealed or
 *   in-flight batches. Past it the queue stops moving until a batch is acknowledged: send()
 *   promises stay pending, and `ready()` tells a streaming caller when to hand over more. The
 *   queue holds only records the caller has already handed over without awaiting.
 *
 * Owned by its creator on the main thread; not thread-safe.
 */
import { Compression, type CompressionName } from '../protocol/compression.js';
import { encodeRecordBatch, type ProducerRecord, BATCH_HEADER_BYTES } from '../protocol/record-batch.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { partitionForKey } from '../protocol/partitioner.js';
import type { Acks, BrookBackend } from './backend.js';
import { KafkaError } from './kafka-error.js';
import { recordBytesMax, toProducerRecord, type SendRecord } from './record-input.js';
import { TopicMetadata } from './topic-metadata.js';

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
}

export interface RecordMetadata {
  topic: string;
  partition: number;
  /** The record's offset; -1 with acks=0. */
  offset: number;
  timestamp: number;
}

interface PendingSend {
  topic: string;
  partition: number | undefined;
  record: ProducerRecord;
  sizeBytes: number;
  resolve: (metadata: RecordMetadata) => void;
  reject: (err: Error) => void;
}

interface Batch {
  sends: PendingSend[];
  sizeBytes: number;
}

interface PartitionQueue {
  topic: string;
  partition: number;
  open: Batch | null;
  lingerTimer: NodeJS.Timeout | null;
  sealed: Batch[];
  inFlight: boolean;
}

const DEFAULTS = { lingerMs: 5, batchBytes: 1_048_576, bufferBytes: 32 * 1_048_576 };

export class Producer {
  private readonly lingerMs: number;
  private readonly batchBytes: number;
  private readonly bufferBytes: number;
  private readonly codec: number;
  private readonly acks: Acks;
  private readonly metadata: TopicMetadata;
  private readonly queue: PendingSend[] = [];
  private queueHead = 0;
  private readonly partitions = new Map<string, PartitionQueue>();
  private readonly stickyPartition = new Map<string, number>();
  private bufferedBytes = 0;
  private outstandingCount = 0;
  private flushWaiters: Array<() => void> = [];
  private readyWaiters: Array<() => void> = [];
  private flushing = 0;
  private closed = false;

  constructor(
    private readonly backend: BrookBackend,
    options: ProducerOptions = {},
  ) {
    this.lingerMs = options.lingerMs ?? DEFAULTS.lingerMs;
    this.batchBytes = options.batchBytes ?? DEFAULTS.batchBytes;
    this.bufferBytes = options.bufferBytes ?? DEFAULTS.bufferBytes;
    const compression = options.compression ?? 'none';
    if (!(compression in Compression)) throw new TypeError(`unknown compression '${compression}'`);
    this.codec = Compression[compression];
    this.acks = options.acks === -1 ? 'all' : (options.acks ?? 'all');
    if (![0, 1, 'all'].includes(this.acks)) throw new TypeError(`acks must be 0, 1 or 'all'`);
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
    return new Promise<RecordMetadata>((resolve, reject) => {
      this.outstandingCount++;
      this.queue.push({
        topic: record.topic,
        partition: record.partition,
        record: normalized,
        sizeBytes: recordBytesMax(normalized),
        resolve: (m) => this.settle(() => resolve(m)),
        reject: (e) => this.settle(() => reject(e)),
      });
      this.pump();
    });
  }

  /** Sends several records; resolves when all are acknowledged (rejects with the first failure). */
  sendBatch(records: readonly SendRecord[]): Promise<RecordMetadata[]> {
    return Promise.all(records.map((r) => this.send(r)));
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

  private settle(callback: () => void): void {
    this.outstandingCount--;
    callback();
    if (this.outstandingCount === 0) {
      const waiters = this.flushWaiters;
      this.flushWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  /** Moves queued sends into batches, in call order, while the memory bound allows. */
  private pump(): void {
    while (this.queueHead < this.queue.length) {
      const send = this.queue[this.queueHead]!;
      const partitionCount = this.metadata.partitionCountNow(send.topic);
      if (partitionCount === undefined) {
        this.metadata.partitionCount(send.topic).then(
          () => this.pump(),
          (err: unknown) => this.failQueuedForTopic(send.topic, err as Error),
        );
        return;
      }
      if (this.bufferedBytes > 0 && this.bufferedBytes + send.sizeBytes > this.bufferBytes) {
        if (this.queueHead > 4096) {
          this.queue.splice(0, this.queueHead); // drop placed sends while the rest wait
          this.queueHead = 0;
        }
        return;
      }
      this.queueHead++;
      this.place(send, partitionCount);
    }
    this.queue.length = 0;
    this.queueHead = 0;
    if (this.flushing > 0) this.sealAll();
    this.wakeReady();
  }

  private wakeReady(): void {
    if (this.readyWaiters.length === 0 || !this.hasCapacity()) return;
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    for (const wake of waiters) wake();
  }

  private failQueuedForTopic(topic: string, err: Error): void {
    const kept: PendingSend[] = [];
    for (let i = this.queueHead; i < this.queue.length; i++) {
      const send = this.queue[i]!;
      if (send.topic === topic) send.reject(err);
      else kept.push(send);
    }
    this.queue.length = 0;
    this.queue.push(...kept);
    this.queueHead = 0;
    this.pump();
  }

  private place(send: PendingSend, partitionCount: number): void {
    const partition = this.choosePartition(send, partitionCount);
    if (partition === undefined) return;
    const queue = this.partitionQueue(send.topic, partition);
    if (queue.open !== null && queue.open.sizeBytes + send.sizeBytes > this.batchBytes) this.seal(queue);
    if (queue.open === null) {
      queue.open = { sends: [], sizeBytes: BATCH_HEADER_BYTES };
      queue.lingerTimer = setTimeout(() => this.seal(queue), this.lingerMs);
    }
    queue.open.sends.push(send);
    queue.open.sizeBytes += send.sizeBytes;
    this.bufferedBytes += send.sizeBytes;
    if (queue.open.sizeBytes >= this.batchBytes) this.seal(queue);
  }

  /** The record's partition, or undefined after rejecting a send whose partition is out of range. */
  private choosePartition(send: PendingSend, partitionCount: number): number | undefined {
    const partition = send.partition;
    if (partition === undefined) {
      if (send.record.key != null) return partitionForKey(send.record.key, partitionCount);
      return (this.stickyPartition.get(send.topic) ?? 0) % partitionCount;
    }
    if (Number.isInteger(partition) && partition >= 0 && partition < partitionCount) return partition;
    send.reject(new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      `partition ${partition} is outside topic '${send.topic}' (${partitionCount} partitions)`));
    return undefined;
  }

  private partitionQueue(topic: string, partition: number): PartitionQueue {
    const id = `${partition}:${topic}`;
    let queue = this.partitions.get(id);
    if (queue === undefined) {
      queue = { topic, partition, open: null, lingerTimer: null, sealed: [], inFlight: false };
      this.partitions.set(id, queue);
    }
    return queue;
  }

  private sealAll(): void {
    for (const queue of this.partitions.values()) this.seal(queue);
  }

  private seal(queue: PartitionQueue): void {
    if (queue.lingerTimer !== null) clearTimeout(queue.lingerTimer);
    queue.lingerTimer = null;
    if (queue.open === null) return;
    queue.sealed.push(queue.open);
    queue.open = null;
    // A sealed batch ends the sticky partition's turn: keyless records move on.
    const sticky = this.stickyPartition.get(queue.topic) ?? 0;
    if (sticky === queue.partition) this.stickyPartition.set(queue.topic, sticky + 1);
    this.dispatch(queue);
  }

  private dispatch(queue: PartitionQueue): void {
    if (queue.inFlight) return;
    const batch = queue.sealed.shift();
    if (batch === undefined) return;
    queue.inFlight = true;
    void this.produce(queue, batch).finally(() => {
      queue.inFlight = false;
      this.bufferedBytes -= batch.sizeBytes;
      this.dispatch(queue);
      this.pump();
    });
  }

  private async produce(queue: PartitionQueue, batch: Batch): Promise<void> {
    const sends = batch.sends;
    try {
      const records = sends.map((s) => s.record);
      const bytes = encodeRecordBatch(records, { compression: this.codec });
      const result = await this.backend.produce(queue.topic, queue.partition, bytes, this.acks);
      if (result.errorCode !== ErrorCode.NONE) {
        if (result.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) this.metadata.invalidate(queue.topic);
        const error = new KafkaError(result.errorCode, result.errorMessage);
        for (const send of sends) send.reject(error);
        return;
      }
      const known = this.acks !== 0;
      for (let i = 0; i < sends.length; i++) {
        const send = sends[i]!;
        send.resolve({
          topic: queue.topic,
          partition: queue.partition,
          offset: known ? result.baseOffset + i : -1,
          timestamp: result.logAppendTimeMs >= 0 ? result.logAppendTimeMs : send.record.timestamp!,
        });
      }
    } catch (err) {
      for (const send of sends) send.reject(err as Error);
    }
  }
}

/**
 * The producer's batch side: per partition an open batch (filled by the Producer's placing code),
 * sealed batches waiting for their produce, at most one produce in flight per partition, and the
 * rules for order and failure (see Producer: "Order", "Failure").
 *
 *   open batch ──seal (full, lingerMs, flush)──▶ sealed ──dispatch──▶ in flight ──▶ acknowledged
 *                                                 │  maxInFlight unbounded: per partition, FIFO
 *                                                 │  maxInFlight n: all partitions, seal order
 *                                                 └─ failed for good ─▶ poison: what waits behind
 *                                                    it fails too (not sent after the gap)
 *
 * Poison: a batch failed for good at a moment when calls up to `lastCall` had been accepted.
 * Every one of those calls may have records behind the failed ones, so records of calls before
 * `beforeCall` fail on the poisoned partition(s). While any of those calls is still unsettled
 * the caller may not have heard of the failure, so `beforeCall` is Infinity (everything fails);
 * once they have all settled it becomes the call count of that moment, and later calls are sent
 * (under a fresh producerId). A caller that must stop at the first failure checks `failure`
 * before each call: it is set the moment a batch fails, before any promise settles.
 *
 * Owned by one Producer on the main thread; not thread-safe.
 */
import { assert } from '../common/assert.js';
import { RECORDS_PER_BATCH_MAX } from '../common/limits.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { AckTarget, BatchPart } from './bulk-acks.js';
import { BatchBuilder } from './bulk-batch-builder.js';
import type { BatchDelivery, PartitionSequence } from './bulk-delivery.js';
import { KafkaError } from './kafka-error.js';
import type { TopicMetadata } from './topic-metadata.js';

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
  /** Largest batch: the producer's batchBytes, lowered to what the topic accepts. */
  batchBytes: number;
  sequence: PartitionSequence;
  poison: Poison | null;
}

export interface TopicState {
  queues: Array<PartitionQueue | undefined>;
  /** The keyless records' current partition (before modulo). */
  sticky: number;
  batchBytes: number;
}

interface Poison {
  error: Error;
  /** Calls accepted when the batch failed. */
  lastCall: number;
  /** Of those, how many have not settled yet. */
  unsettledCount: number;
  /** Records of calls before this fail; Infinity until the caller has heard (see above). */
  beforeCall: number;
}

const SPARE_BUFFERS_MAX = 4;

export interface BatchesOptions {
  lingerMs: number;
  batchBytes: number;
  maxInFlight: number;
  idempotent: boolean;
}

export class ProducerBatches {
  /** Bytes in open, sealed and in-flight batches. */
  bufferedBytes = 0;
  /** Calls accepted so far (send and sendLines), numbering each call's records. */
  callCount = 0;
  private readonly topics = new Map<string, TopicState>();
  private inFlightCount = 0;
  /** With a bounded maxInFlight: sealed batches in seal order, waiting for their turn. */
  private readonly sealOrder: Array<{ queue: PartitionQueue; batch: Batch }> = [];
  /** The error of the first batch that failed for good, if any. */
  failure: Error | null = null;
  /** With maxInFlight 1 a failure poisons every partition. */
  private globalPoison: Poison | null = null;
  private readonly pendingPoisons = new Set<Poison>();
  /**
   * Buffers of batches sent for the last time, for the next batches: a new 1 MiB buffer per batch
   * costs fresh pages from the kernel (page faults, zeroing) and garbage to collect.
   */
  private readonly spareBuffers: Buffer[] = [];

  constructor(
    private readonly options: BatchesOptions,
    private readonly delivery: BatchDelivery,
    private readonly metadata: TopicMetadata,
    /** Calls not settled yet (the Producer counts them). */
    private readonly unsettledCalls: () => number,
    /** A produce finished: memory was freed, queued work may move. */
    private readonly onBatchDone: () => void,
  ) {}

  topicState(topic: string, partitionCount: number): TopicState {
    let state = this.topics.get(topic);
    if (state === undefined) {
      const batchBytesMax = this.metadata.limitsNow(topic)?.batchBytesMax ?? Infinity;
      state = { queues: [], sticky: 0, batchBytes: Math.min(this.options.batchBytes, batchBytesMax) };
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
        batchBytes: state.batchBytes, sequence: { producerId: -1, nextSequence: 0 }, poison: null,
      };
      state.queues[partition] = queue;
    }
    return queue;
  }

  /** The open batch of `queue` with room for `recordBytes` more (sealing a full one first). */
  openBatch(queue: PartitionQueue, recordBytes: number): Batch {
    let open = queue.open;
    if (open !== null && (open.builder.sizeBytes + recordBytes > queue.batchBytes || open.builder.recordCount >= RECORDS_PER_BATCH_MAX)) {
      this.seal(queue);
      open = null;
    }
    if (open === null) {
      const capacityBytes = Math.min(queue.batchBytes, Math.max(queue.lastBatchBytes, recordBytes)) + 64;
      open = { builder: new BatchBuilder(capacityBytes, this.spareBuffers.pop() ?? null), parts: [], accountedBytes: 0, bytes: null, createdMs: Date.now() };
      queue.open = open;
      queue.lingerTimer = setTimeout(() => this.seal(queue), this.options.lingerMs);
    }
    return open;
  }

  /**
   * Makes `builder` (records encoded by the caller, bulk-encoded.ts) the open batch of `queue`,
   * which must have none; the caller seals it once its records are counted.
   */
  openEncoded(queue: PartitionQueue, builder: BatchBuilder): Batch {
    assert(queue.open === null, 'an encoded batch opens on a sealed partition');
    const batch: Batch = { builder, parts: [], accountedBytes: 0, bytes: null, createdMs: Date.now() };
    queue.open = batch;
    return batch;
  }

  /**
   * Counts `recordCount` just-appended records of one call (the first of them its record number
   * `firstLine`) against their batch, their caller and the memory bound.
   */
  addRun(queue: PartitionQueue, batch: Batch, target: AckTarget, recordCount: number, encodedBytes: number, payloadBytes: number, firstLine: number): void {
    if (recordCount === 0) return;
    const parts = batch.parts;
    const last = parts.length === 0 ? undefined : parts[parts.length - 1]!;
    if (last !== undefined && last.target === target) {
      last.recordCount += recordCount;
      last.byteCount += payloadBytes;
    } else {
      parts.push({ target, firstIndex: batch.builder.recordCount - recordCount, firstLine, recordCount, byteCount: payloadBytes });
    }
    batch.accountedBytes += encodedBytes;
    this.bufferedBytes += encodedBytes;
    if (batch.builder.sizeBytes >= queue.batchBytes) this.seal(queue);
  }

  /** The error records of call `callIndex` fail with on `queue`, or null when they may go. */
  poisonFor(queue: PartitionQueue, callIndex: number): Error | null {
    const poison = this.globalPoison ?? queue.poison;
    return poison !== null && callIndex < poison.beforeCall ? poison.error : null;
  }

  /** A call settled: poisons waiting for it may learn their bound. */
  callSettled(callIndex: number): void {
    for (const poison of this.pendingPoisons) {
      if (callIndex >= poison.lastCall || --poison.unsettledCount > 0) continue;
      this.pendingPoisons.delete(poison);
      poison.beforeCall = this.callCount;
    }
  }

  sealAll(): void {
    for (const state of this.topics.values()) {
      for (const queue of state.queues) if (queue !== undefined) this.seal(queue);
    }
  }

  seal(queue: PartitionQueue): void {
    if (queue.lingerTimer !== null) clearTimeout(queue.lingerTimer);
    queue.lingerTimer = null;
    const batch = queue.open;
    if (batch === null) return;
    queue.open = null;
    // The header is written when the batch is first sent: its baseSequence is known only then.
    queue.lastBatchBytes = batch.builder.sizeBytes;
    if (this.options.maxInFlight === Infinity) queue.sealed.push(batch);
    else this.sealOrder.push({ queue, batch });
    // A sealed batch ends the sticky partition's turn: keyless records move on.
    const state = this.topics.get(queue.topic)!;
    if (state.sticky % state.queues.length === queue.partition) state.sticky = queue.partition + 1;
    this.dispatch(queue);
  }

  private dispatch(queue: PartitionQueue): void {
    if (this.options.maxInFlight !== Infinity) {
      this.dispatchInSealOrder();
      return;
    }
    if (queue.inFlight) return;
    const batch = queue.sealed.shift();
    if (batch !== undefined) this.startProduce(queue, batch);
  }

  /** With a bounded maxInFlight: the oldest sealed batches whose partition is free go out. */
  private dispatchInSealOrder(): void {
    for (let i = 0; i < this.sealOrder.length && this.inFlightCount < this.options.maxInFlight;) {
      const { queue, batch } = this.sealOrder[i]!;
      if (queue.inFlight) {
        i++;
        continue;
      }
      this.sealOrder.splice(i, 1);
      this.startProduce(queue, batch);
    }
  }

  private startProduce(queue: PartitionQueue, batch: Batch): void {
    queue.inFlight = true;
    this.inFlightCount++;
    void this.produce(queue, batch).finally(() => {
      queue.inFlight = false;
      this.inFlightCount--;
      this.bufferedBytes -= batch.accountedBytes;
      this.recycle(batch);
      this.dispatch(queue);
      this.onBatchDone();
    });
  }

  private async produce(queue: PartitionQueue, batch: Batch): Promise<void> {
    const outcome = await this.delivery.deliver(queue.topic, queue.partition, queue.sequence, batch);
    batch.bytes = null;
    if (outcome.kind === 'failed') {
      const { error } = outcome;
      if (error instanceof KafkaError && error.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) this.metadata.invalidate(queue.topic);
      this.failure ??= error;
      // Poisoned first: failing the parts may settle calls, which the poison must count.
      const doomed = this.options.idempotent || this.options.maxInFlight === 1 ? this.poison(queue, error) : [];
      for (const part of batch.parts) part.target.failed(part, error);
      for (const waiting of doomed) {
        this.bufferedBytes -= waiting.accountedBytes;
        for (const part of waiting.parts) part.target.failed(part, error);
      }
      return;
    }
    for (const part of batch.parts) part.target.acknowledged(queue.topic, queue.partition, outcome.baseOffset, part, outcome.logAppendTimeMs);
  }

  /** Keeps a finished batch's buffer for a later batch (a few: enough for the batches in flight). */
  private recycle(batch: Batch): void {
    if (this.spareBuffers.length >= SPARE_BUFFERS_MAX) return;
    const buffer = batch.builder.takeBuffer();
    if (buffer !== null && buffer.length >= Math.min(this.options.batchBytes, 1024 * 1024) / 2) this.spareBuffers.push(buffer);
  }

  /**
   * A batch of `failed` failed for good: poisons its partition (every partition with maxInFlight
   * 1) and returns the batches waiting there, which the caller fails with the same error.
   */
  private poison(failed: PartitionQueue, error: Error): Batch[] {
    const poison: Poison = { error, lastCall: this.callCount, unsettledCount: this.unsettledCalls(), beforeCall: Infinity };
    this.pendingPoisons.add(poison);
    const queues: PartitionQueue[] = [];
    if (this.options.maxInFlight === 1) {
      this.globalPoison = poison;
      for (const state of this.topics.values()) for (const queue of state.queues) if (queue !== undefined) queues.push(queue);
    } else {
      failed.poison = poison;
      queues.push(failed);
    }
    const doomed: Batch[] = [];
    for (const queue of queues) {
      if (queue.lingerTimer !== null) clearTimeout(queue.lingerTimer);
      queue.lingerTimer = null;
      doomed.push(...queue.sealed.splice(0));
      if (queue.open !== null) doomed.push(queue.open);
      queue.open = null;
    }
    for (let i = this.sealOrder.length - 1; i >= 0; i--) {
      if (queues.includes(this.sealOrder[i]!.queue)) doomed.push(this.sealOrder.splice(i, 1)[0]!.batch);
    }
    return doomed;
  }
}

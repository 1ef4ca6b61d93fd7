/**
 * Delivery of one sealed batch: the producer's idempotence and retries (Kafka's Sender and
 * TransactionManager, for a non-transactional producer on one host).
 *
 *   first attempt: seal the batch ──▶ produce ──▶ NONE / DUPLICATE_SEQUENCE_NUMBER ─▶ acknowledged
 *     (idempotent: producerId,            │
 *      producerEpoch, baseSequence        ├─ retriable code or network error ─▶ wait backoff,
 *      in the header, under the CRC)      │    resend the SAME bytes (while retries and
 *                                         │    deliveryTimeoutMs allow)
 *                                         └─ anything else ─────────────────▶ failed
 *
 * Idempotence: the producer asks the backend for a producerId on its first batch. Each partition
 * numbers its records from 0 (baseSequence of a batch = records sent before it to that partition
 * under this producerId), and the producer keeps one batch in flight per partition, so sequences
 * reach the log in order. A resent batch carries the same sequence, and the partition log answers
 * an exact retry of any of a producer's last 5 batches with the original offsets instead of
 * appending it again (src/storage/producer-state.ts): retries never duplicate records.
 *
 * When a sealed idempotent batch fails for good (retries exhausted, a fatal sequence error such as
 * OUT_OF_ORDER_SEQUENCE_NUMBER, or any non-retriable code), the log may or may not hold it, so the
 * partition's sequence can no longer be trusted. The producer then drops its producerId: later
 * batches get a fresh one and start at sequence 0 (Kafka's producer resets its id likewise after
 * fatal sequence errors; a fresh id is simpler than its epoch bump and equally safe here).
 *
 * Owned by one Producer on the main thread; not thread-safe.
 */
import { isRetriableTransportFailure } from '../common/error-table.js';
import { KafkaCodeError } from '../common/errors.js';
import { addSequence } from '../storage/producer-state.js';
import { ErrorCode, RETRIABLE_ERROR_CODES } from '../protocol/error-codes.js';
import type { Acks, BrookBackend } from './backend.js';
import type { BatchBuilder } from './bulk-batch-builder.js';
import { KafkaError } from './kafka-error.js';

export interface DeliveryOptions {
  idempotent: boolean;
  acks: Acks;
  codec: number;
  /** Resends after the first attempt (Infinity: bounded by deliveryTimeoutMs alone). */
  retries: number;
  deliveryTimeoutMs: number;
  retryBackoffMs: number;
  retryBackoffMaxMs: number;
}

/** A partition's sequence numbering under one producerId. */
export interface PartitionSequence {
  /** The producerId the numbering belongs to; -1 before the first idempotent batch. */
  producerId: number;
  nextSequence: number;
}

/** What delivery needs of a batch; `bytes` stays null until the first attempt seals it. */
export interface DeliveredBatch {
  builder: BatchBuilder;
  bytes: Buffer | null;
  /** When its first record arrived: deliveryTimeoutMs counts from here, as in Kafka. */
  createdMs: number;
}

export type DeliveryOutcome =
  | { kind: 'acknowledged'; baseOffset: number; logAppendTimeMs: number }
  | { kind: 'failed'; error: Error };

interface ProducerIdentity {
  producerId: number;
  producerEpoch: number;
}

/** Codes after which the broker's view of this producer's sequences differs from ours. */
const FATAL_SEQUENCE_CODES: ReadonlySet<number> = new Set([
  ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, ErrorCode.INVALID_PRODUCER_EPOCH, ErrorCode.UNKNOWN_PRODUCER_ID,
]);

/** Whether a produce error code is worth resending the same batch for. */
export function isRetriableCode(errorCode: number): boolean {
  // Kafka retries UNKNOWN_TOPIC_OR_PARTITION while metadata catches up; on one host the answer is
  // final (the topic was deleted or shrank), so the batch fails at once as it always did.
  return errorCode !== ErrorCode.UNKNOWN_TOPIC_OR_PARTITION && RETRIABLE_ERROR_CODES.has(errorCode);
}

/** Whether a thrown error (network, or a KafkaCodeError from initProducerId) is worth a retry. */
export function isRetriableFailure(error: unknown): boolean {
  if (error instanceof KafkaError || error instanceof KafkaCodeError) return isRetriableCode(error.errorCode);
  // Client-side failures worth a resend: the request may not have reached the broker.
  return isRetriableTransportFailure(error);
}

export class BatchDelivery {
  private identity: ProducerIdentity | null = null;
  private asking: Promise<ProducerIdentity> | null = null;

  constructor(
    private readonly backend: BrookBackend,
    private readonly options: DeliveryOptions,
  ) {}

  /** Sends `batch` until it is acknowledged or fails for good. Never rejects. */
  async deliver(topic: string, partition: number, sequence: PartitionSequence, batch: DeliveredBatch): Promise<DeliveryOutcome> {
    const { retries, deliveryTimeoutMs, retryBackoffMs, retryBackoffMaxMs } = this.options;
    const deadlineMs = batch.createdMs + deliveryTimeoutMs;
    let sealedBy: ProducerIdentity | null = null;
    for (let attempt = 0; ; attempt++) {
      let error: Error;
      try {
        if (batch.bytes === null) sealedBy = await this.seal(sequence, batch);
        const result = await this.backend.produce(topic, partition, batch.bytes!, this.options.acks);
        if (result.errorCode === ErrorCode.NONE) {
          return { kind: 'acknowledged', baseOffset: this.options.acks === 0 ? -1 : result.baseOffset, logAppendTimeMs: result.logAppendTimeMs };
        }
        // The broker holds this batch already but no longer knows where: success, offset unknown.
        if (sealedBy !== null && result.errorCode === ErrorCode.DUPLICATE_SEQUENCE_NUMBER) {
          return { kind: 'acknowledged', baseOffset: -1, logAppendTimeMs: -1 };
        }
        error = new KafkaError(result.errorCode, result.errorMessage);
      } catch (err) {
        error = err as Error;
      }
      const retriable = isRetriableFailure(error) && !(error instanceof KafkaError && FATAL_SEQUENCE_CODES.has(error.errorCode));
      const backoffMs = Math.min(retryBackoffMs * 2 ** Math.min(attempt, 30), retryBackoffMaxMs);
      if (!retriable || attempt >= retries || Date.now() + backoffMs >= deadlineMs) {
        if (sealedBy !== null) this.resetIdentity(sealedBy);
        return { kind: 'failed', error };
      }
      await new Promise((resolve) => setTimeout(resolve, backoffMs));
    }
  }

  /**
   * Writes the header (with this producer's id and the partition's next sequence when idempotent)
   * and the CRC. Returns the identity the batch was sealed under, null when not idempotent.
   */
  private async seal(sequence: PartitionSequence, batch: DeliveredBatch): Promise<ProducerIdentity | null> {
    if (!this.options.idempotent) {
      batch.bytes = batch.builder.seal(this.options.codec);
      return null;
    }
    const identity = await this.producerIdentity();
    if (sequence.producerId !== identity.producerId) {
      sequence.producerId = identity.producerId;
      sequence.nextSequence = 0;
    }
    const baseSequence = sequence.nextSequence;
    batch.bytes = batch.builder.seal(this.options.codec, { ...identity, baseSequence });
    sequence.nextSequence = addSequence(baseSequence, batch.builder.recordCount);
    return identity;
  }

  /** The producer's id, asked for once (again after a reset); a failed request is forgotten. */
  private producerIdentity(): Promise<ProducerIdentity> {
    if (this.identity !== null) return Promise.resolve(this.identity);
    this.asking ??= this.backend.initProducerId().then(
      (identity) => {
        this.asking = null;
        this.identity = identity;
        return identity;
      },
      (err: unknown) => {
        this.asking = null;
        throw err;
      },
    );
    return this.asking;
  }

  /** Drops the id a failed batch was sealed under, unless another failure already replaced it. */
  private resetIdentity(failed: ProducerIdentity): void {
    if (this.identity?.producerId === failed.producerId) this.identity = null;
  }
}

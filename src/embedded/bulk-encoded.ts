/**
 * The producer's bulk path for an input that encodes its own records (the syslog input over TCP):
 * the caller hands over the records of one partition already encoded as a RecordBatch v2 body,
 * and the producer only writes the header (with its producerId and sequence) and sends it as a
 * batch of its own. It exists because copying an input's bytes into a record costs more than
 * parsing them in JavaScript, so the syslog input writes each record once, in place, and nothing
 * per record happens here.
 *
 *   buffer: [ BATCH_HEADER_BYTES of room | record | record | ... ]   offset deltas 0..n-1,
 *                                                                      timestamp deltas from
 *                                                                      baseTimestampMs
 *
 * Order: placing seals the partition's open batch first, so the encoded batch follows every
 * record handed over before it, as for any other call (Producer, "Order").
 * Main thread only, called by the Producer that owns the entry.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { RecordsTarget } from './bulk-records.js';
import { BatchBuilder } from './bulk-batch-builder.js';
import { KafkaError } from './kafka-error.js';
import type { ProducerBatches } from './producer-batches.js';

/** One partition's records, encoded by the caller (see the header). */
export interface EncodedBatch {
  partition: number;
  /** The room for the header, then the records; its length is the batch's size. */
  buffer: Buffer;
  recordCount: number;
  baseTimestampMs: number;
  maxTimestampMs: number;
  /** Key plus value bytes of the records (what acknowledgements count). */
  payloadBytes: number;
  /**
   * Bytes the batch keeps alive until acknowledged (at least buffer.length: more when it is a view
   * of a bigger allocation): what counts against the producer's bufferBytes.
   */
  heldBytes: number;
}

/** A sendEncoded() call waiting in the producer's queue. */
export interface QueuedEncoded {
  kind: 'encoded';
  topic: string;
  batch: EncodedBatch;
  target: RecordsTarget;
}

/**
 * Places the batch unless the memory bound says wait (returns false then). A partition out of
 * range or poisoned fails all its records.
 */
export function placeEncoded(batches: ProducerBatches, bufferBytes: number, entry: QueuedEncoded, partitionCount: number): boolean {
  const { batch, topic, target } = entry;
  const heldBytes = Math.max(batch.heldBytes, batch.buffer.length);
  if (batches.bufferedBytes > 0 && batches.bufferedBytes + heldBytes > bufferBytes) return false;
  const { partition } = batch;
  if (!(Number.isInteger(partition) && partition >= 0 && partition < partitionCount)) {
    target.failUnplaced(batch.recordCount, new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      `partition ${partition} is outside topic '${topic}' (${partitionCount} partitions)`));
    return true;
  }
  const state = batches.topicState(topic, partitionCount);
  const queue = batches.partitionQueue(state, topic, partition);
  const poison = batches.poisonFor(queue, target.callIndex);
  if (poison !== null) {
    target.failUnplaced(batch.recordCount, poison);
    return true;
  }
  batches.seal(queue); // what was handed over before goes first
  const builder = BatchBuilder.encoded(batch.buffer, batch.recordCount, batch.baseTimestampMs, batch.maxTimestampMs);
  const encoded = batches.openEncoded(queue, builder);
  target.placed(batch.recordCount); // before addRun, which may seal and dispatch the batch
  batches.addRun(queue, encoded, target, batch.recordCount, heldBytes, batch.payloadBytes, 0);
  batches.seal(queue);
  target.finishPlacing();
  return true;
}

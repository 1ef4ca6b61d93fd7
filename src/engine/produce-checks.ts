/**
 * What Broker.produce checks on the main thread before a produce reaches its partition worker's
 * ring: framing, sizes and Kafka's batch header rules. The CRCs and the record-level checks run in
 * the worker (PartitionLog.append), where they spread over the cores, except for compressed
 * batches and recompression (produce-validation.ts).
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { batchCrcMatches, checkBatchFraming } from '../protocol/record-batch.js';
import { checkBatchHeader } from '../storage/log-validator.js';
import type { ProduceResult } from './broker-types.js';
import { produceError } from './partition/worker-handle.js';

/**
 * Checks what a produce request carries for one partition before it reaches the ring: whole v2
 * batches end to end, each within max.message.bytes, all of them in one frame. The CRCs are
 * checked by the partition worker (PartitionLog.append, before it writes anything): a pass over
 * every byte, which would otherwise serialize every partition's produce on this thread.
 */
export function validateBatches(batches: Buffer, maxMessageBytes: number, maxFrameBytes: number): ProduceResult | null {
  if (batches.length === 0) return produceError(ErrorCode.CORRUPT_MESSAGE, 'no record batch');
  if (batches.length > maxFrameBytes) return produceError(ErrorCode.RECORD_LIST_TOO_LARGE, `${batches.length} bytes exceed the partition ring's frame limit ${maxFrameBytes}`);
  let pos = 0;
  while (pos < batches.length) {
    const checked = checkBatchFraming(batches, pos);
    if ('reason' in checked) {
      const batchLength = batches.length - pos >= 12 ? batches.readInt32BE(pos + 8) + 12 : 0;
      if (batchLength > maxMessageBytes) return produceError(ErrorCode.MESSAGE_TOO_LARGE, `batch of ${batchLength} bytes exceeds max.message.bytes ${maxMessageBytes}`);
      return produceError(checked.errorCode, `record batch at byte ${pos}: ${checked.reason}`);
    }
    if (checked.sizeBytes > maxMessageBytes) return produceError(ErrorCode.MESSAGE_TOO_LARGE, `batch of ${checked.sizeBytes} bytes exceeds max.message.bytes ${maxMessageBytes}`);
    // Kafka's header checks (recordsCount = lastOffsetDelta + 1, ...) are a few reads, so here, with
    // a message. Kafka checks the CRC first: a batch that fails both is CORRUPT_MESSAGE.
    const header = checkBatchHeader(batches, pos);
    if (header !== null) {
      if (!batchCrcMatches(batches, pos, checked.sizeBytes)) return produceError(ErrorCode.CORRUPT_MESSAGE, `record batch at byte ${pos}: CRC mismatch`);
      return produceError(header.errorCode, `record batch at byte ${pos}: ${header.errorMessage}`);
    }
    pos += checked.sizeBytes;
  }
  return null;
}

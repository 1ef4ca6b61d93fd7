/**
 * What Broker.produce checks on the main thread before a produce reaches its partition worker's
 * ring. The CRCs and the record-level checks run in the worker (PartitionLog.append), where they
 * spread over the cores.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { ATTR_CONTROL, batchCrcMatches, checkBatchFraming, iterateBatches } from '../protocol/record-batch.js';
import { RecordWalker } from '../protocol/record-walker.js';
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
    pos += checked.sizeBytes;
  }
  return null;
}

/**
 * Kafka's LogValidator refuses a record without a key in a compacted topic (INVALID_RECORD): the
 * cleaner keeps the latest record per key, so a keyless one would be dropped at the first pass.
 * This walks the records (decompressing if needed), so it runs for compacted topics only; the
 * bytes stored are still the ones received. Each batch's CRC is checked before its records are
 * read, so a corrupt batch gets CORRUPT_MESSAGE for its CRC as in Kafka, not whatever its garbage
 * would decode to (the worker checks CRCs again on append, for every topic).
 */
export function refuseKeylessRecords(batches: Buffer): ProduceResult | null {
  const walker = new RecordWalker();
  for (const { pos, sizeBytes, header } of iterateBatches(batches)) {
    if (!batchCrcMatches(batches, pos, sizeBytes)) return produceError(ErrorCode.CORRUPT_MESSAGE, `record batch at byte ${pos}: CRC mismatch`);
    if ((header.attributes & ATTR_CONTROL) !== 0) continue;
    try {
      walker.reset(batches.subarray(pos, pos + sizeBytes));
      while (walker.next()) {
        if (walker.keyLength < 0) {
          return produceError(ErrorCode.INVALID_RECORD, `compacted topic cannot accept a record without a key (offset delta ${walker.offset - header.baseOffset})`);
        }
      }
    } catch (err) {
      return produceError(ErrorCode.CORRUPT_MESSAGE, `record batch at byte ${pos}: ${(err as Error).message}`);
    }
  }
  return null;
}

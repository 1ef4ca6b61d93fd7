/**
 * How a coordinator worker writes group records into its `__consumer_offsets` partition: batches
 * within max.message.bytes (a batch ends where the next record would not fit), appended together
 * with one write while they fit segment.bytes, so a commit or a group deletion is stored all or
 * nothing (PartitionLog.append cuts a failed write back). A write larger than segment.bytes (only
 * the tombstones of a group with a vast number of offsets: commits are refused well before, see
 * GroupCoordinator's maxWriteBytes) is appended in several such pieces, each whole; a failure
 * after the first leaves the earlier pieces in the log. A process crash or power loss mid-write can
 * also keep a prefix of whole batches; nothing was acknowledged then.
 */
import { StorageError } from '../../common/errors.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { encodeRecordBatches, iterateBatches } from '../../protocol/record-batch.js';
import type { LogConfig } from '../../storage/log-config.js';
import type { PartitionLog } from '../../storage/partition-log.js';
import { encodeGroupRecord, type GroupRecord } from '../../groups/index.js';

export function appendGroupRecords(log: PartitionLog, config: LogConfig, records: readonly GroupRecord[]): void {
  if (records.length === 0) return;
  const batches = encodeRecordBatches(records.map((r) => encodeGroupRecord(r)), config.maxMessageBytes);
  for (const piece of piecesWithin(batches, config.segmentBytes)) {
    const result = log.append(piece);
    if (result.errorCode !== ErrorCode.NONE) throw new StorageError(`offsets append failed with error code ${result.errorCode}`);
  }
}

/** `batches` cut at batch boundaries into runs of at most `maxBytes` (a larger batch alone). */
function piecesWithin(batches: Buffer, maxBytes: number): Buffer[] {
  if (batches.length <= maxBytes) return [batches];
  const pieces: Buffer[] = [];
  let start = 0;
  for (const { pos, sizeBytes } of iterateBatches(batches)) {
    if (pos > start && pos + sizeBytes - start > maxBytes) {
      pieces.push(batches.subarray(start, pos));
      start = pos;
    }
  }
  pieces.push(batches.subarray(start));
  return pieces;
}

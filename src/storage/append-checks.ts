/**
 * Checks an append makes before writing anything: framing of the batches laid end to end, each
 * batch's CRC-32C, size limits, Kafka's LogValidator header and record checks (log-validator.ts),
 * and the idempotent-producer sequence check. Client mistakes become Kafka error codes (data, not
 * exceptions), so a bad produce changes nothing (DESIGN.md rule 6). Then, for a batch that passed,
 * the offsets (and LogAppendTime) stamped into it in place.
 *
 * The records of an uncompressed batch are walked here, in the partition worker (record-scan.ts
 * for the common case, checkRecords when in doubt). A compressed
 * batch's records were walked before the batch reached the ring (engine/produce-validation.ts:
 * decompressing is CPU work that runs off this thread), so only its header is checked here.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import {
  ATTR_COMPRESSION_MASK,
  ATTRIBUTES_OFFSET,
  BASE_SEQUENCE_OFFSET,
  LAST_OFFSET_DELTA_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  RECORDS_COUNT_OFFSET,
  ATTR_TIMESTAMP_TYPE_LOG_APPEND,
  CRC_OFFSET,
  batchCrcMatches,
  checkBatchFraming,
  writeBaseOffset,
  readInt64,
  writeInt64,
} from '../protocol/record-batch.js';
import { RecordWalker } from '../protocol/record-walker.js';
import type { LogConfig } from './log-config.js';
import { checkBatchHeader, checkRecords, recordPolicyOf } from './log-validator.js';
import { recordsPlainlyValid } from './record-scan.js';
import { addSequence, type ProducerStateManager, type SequenceCheck } from './producer-state.js';
import type { AppendedBatch } from './segment.js';
import { crc32c } from '../protocol/crc32c.js';

export interface FramedBatch {
  /** Position within the appended buffer. */
  position: number;
  sizeBytes: number;
  lastOffsetDelta: number;
  recordsCount: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
}

export function appendError(errorCode: number) {
  return { errorCode, baseOffset: -1, lastOffset: -1, logAppendTimeMs: -1, duplicate: false };
}

const walker = new RecordWalker();

/**
 * Splits `buf` into batches; an error code when framing is broken, a CRC fails, a batch is too
 * large, or its header or records break the rules for a client batch under `config`.
 */
export function frameBatches(buf: Buffer, config: LogConfig, nowMs: number): FramedBatch[] | { errorCode: number } {
  const { maxMessageBytes } = config;
  const policy = recordPolicyOf(config);
  const out: FramedBatch[] = [];
  let position = 0;
  while (position < buf.length) {
    const framed = checkBatchFraming(buf, position);
    if ('reason' in framed) return { errorCode: framed.errorCode };
    const { sizeBytes } = framed;
    if (sizeBytes > maxMessageBytes) return { errorCode: ErrorCode.MESSAGE_TOO_LARGE };
    // Kafka checks every client batch's CRC on append (LogValidator); so does the log, before writing.
    if (!batchCrcMatches(buf, position, sizeBytes)) return { errorCode: ErrorCode.CORRUPT_MESSAGE };
    const batch = buf.subarray(position, position + sizeBytes);
    const problem = checkBatchHeader(buf, position)
      ?? ((buf.readInt16BE(position + ATTRIBUTES_OFFSET) & ATTR_COMPRESSION_MASK) === 0 && !recordsPlainlyValid(batch, policy)
        ? checkRecords(walker, batch, policy, nowMs)
        : null);
    if (problem !== null) return { errorCode: problem.errorCode };
    out.push({
      position,
      sizeBytes,
      lastOffsetDelta: buf.readInt32BE(position + LAST_OFFSET_DELTA_OFFSET),
      recordsCount: buf.readInt32BE(position + RECORDS_COUNT_OFFSET),
      maxTimestamp: readInt64(buf, position + MAX_TIMESTAMP_OFFSET),
      producerId: readInt64(buf, position + PRODUCER_ID_OFFSET),
      producerEpoch: buf.readInt16BE(position + PRODUCER_EPOCH_OFFSET),
      baseSequence: buf.readInt32BE(position + BASE_SEQUENCE_OFFSET),
    });
    position += sizeBytes;
  }
  if (out.length === 0) return { errorCode: ErrorCode.CORRUPT_MESSAGE };
  return out;
}

/**
 * Sequence checks for every idempotent batch. A retry is recognised only when every batch of the
 * append is a retry (a producer resends a whole partition's batch); a later batch of the same
 * producer within one append must follow the earlier one.
 */
export function checkProducers(state: ProducerStateManager, batches: readonly FramedBatch[]): SequenceCheck {
  let duplicate: { baseOffset: number; lastOffset: number } | null = null;
  let appendCount = 0;
  const seen = new Map<number, { producerEpoch: number; lastSequence: number }>();
  for (const batch of batches) {
    if (batch.producerId < 0) {
      appendCount++;
      continue;
    }
    const lastSequence = addSequence(batch.baseSequence, batch.lastOffsetDelta);
    const earlier = seen.get(batch.producerId);
    seen.set(batch.producerId, { producerEpoch: batch.producerEpoch, lastSequence });
    if (earlier !== undefined) {
      if (batch.producerEpoch !== earlier.producerEpoch || batch.baseSequence !== addSequence(earlier.lastSequence, 1)) {
        return { kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER };
      }
      appendCount++;
      continue;
    }
    const check = state.check(batch.producerId, batch.producerEpoch, batch.baseSequence, batch.lastOffsetDelta);
    if (check.kind === 'error') return check;
    if (check.kind === 'duplicate') {
      duplicate = duplicate === null ? { baseOffset: check.baseOffset, lastOffset: check.lastOffset } : { baseOffset: duplicate.baseOffset, lastOffset: check.lastOffset };
    } else {
      appendCount++;
    }
  }
  if (duplicate !== null && appendCount > 0) return { kind: 'error', errorCode: ErrorCode.DUPLICATE_SEQUENCE_NUMBER };
  return duplicate !== null ? { kind: 'duplicate', ...duplicate } : { kind: 'append' };
}

/**
 * Writes each batch's baseOffset from `nextOffset` on (and with `logAppendTimeMs`, LogAppendTime);
 * returns what the segment indexes: positions from `segmentPosition`, where the bytes will go.
 */
export function assignOffsets(buf: Buffer, framed: readonly FramedBatch[], segmentPosition: number, nextOffset: number, logAppendTimeMs: number | null): { appended: AppendedBatch[]; recordCount: number } {
  const appended: AppendedBatch[] = [];
  let recordCount = 0;
  let baseOffset = nextOffset;
  for (const batch of framed) {
    writeBaseOffset(buf, batch.position, baseOffset);
    if (logAppendTimeMs !== null) stampLogAppendTime(buf, batch, logAppendTimeMs);
    const lastOffset = baseOffset + batch.lastOffsetDelta;
    appended.push({ position: segmentPosition + batch.position, sizeBytes: batch.sizeBytes, baseOffset, lastOffset, maxTimestamp: logAppendTimeMs ?? batch.maxTimestamp });
    recordCount += batch.recordsCount;
    baseOffset = lastOffset + 1;
  }
  return { appended, recordCount };
}

/** LogAppendTime: the broker's clock becomes maxTimestamp, the type bit is set, the CRC redone. */
function stampLogAppendTime(buf: Buffer, batch: FramedBatch, nowMs: number): void {
  const pos = batch.position;
  writeInt64(buf, pos + MAX_TIMESTAMP_OFFSET, nowMs);
  buf.writeInt16BE(buf.readInt16BE(pos + ATTRIBUTES_OFFSET) | ATTR_TIMESTAMP_TYPE_LOG_APPEND, pos + ATTRIBUTES_OFFSET);
  buf.writeUInt32BE(crc32c(buf.subarray(pos + ATTRIBUTES_OFFSET, pos + batch.sizeBytes)), pos + CRC_OFFSET);
}


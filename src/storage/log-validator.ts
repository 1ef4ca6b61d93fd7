/**
 * What Kafka's LogValidator checks in a producer's batches before they are appended, and the
 * recompression it does when a topic's compression.type is not `producer`:
 *
 * - header (validateBatch): recordsCount > 0 and = lastOffsetDelta + 1; no control batch (only
 *   the broker writes those); an idempotent batch carries a sequence.
 * - records (validateRecord), walking the records section (decompressed for a compressed batch):
 *   exactly recordsCount records that fill the section, offset deltas 0..n-1 in order, a key on
 *   every record of a compacted topic, and for CreateTime topics each timestamp within
 *   message.timestamp.before.max.ms / after.max.ms of the broker clock (INVALID_TIMESTAMP).
 * - recompression: a batch whose codec differs from the topic's compression.type is rebuilt with
 *   the same header (producer id, epoch, sequence, timestamps, attributes but the codec bits) and
 *   the same records section, compressed anew. Offset deltas were checked to be 0..n-1, so the
 *   records section needs no re-encoding and offsets, sequences and timestamps keep their meaning.
 *
 * Pure and synchronous: the partition worker runs the checks on uncompressed batches
 * (append-checks.ts), and engine/produce-validation.ts runs validateProduce (decompression,
 * recompression) on the main thread or in a piscina pool before the batches reach the ring.
 */
import { gzipSync, constants as zlibConstants } from 'node:zlib';
import { compress, Compression, zstdCompress } from '../protocol/compression.js';
import { crc32c } from '../protocol/crc32c.js';
import { ErrorCode } from '../protocol/error-codes.js';
import {
  ATTR_COMPRESSION_MASK, ATTR_CONTROL, ATTR_TIMESTAMP_TYPE_LOG_APPEND, ATTRIBUTES_OFFSET, BASE_OFFSET_OFFSET,
  BASE_SEQUENCE_OFFSET, BATCH_HEADER_BYTES, BATCH_LENGTH_OFFSET, CRC_OFFSET, LAST_OFFSET_DELTA_OFFSET, LOG_OVERHEAD_BYTES,
  PRODUCER_ID_OFFSET, RECORDS_COUNT_OFFSET, batchCrcMatches, checkBatchFraming, readInt64,
} from '../protocol/record-batch.js';
import { RecordWalker } from '../protocol/record-walker.js';
import type { LogConfig, TimestampType } from './log-config.js';

/** What the record checks need from a topic's config. Plain data: it crosses to pool threads. */
export interface RecordPolicy {
  /** Compacted topics refuse keyless records. */
  requireKeys: boolean;
  timestampType: TimestampType;
  /** Infinity = no limit. */
  timestampBeforeMaxMs: number;
  timestampAfterMaxMs: number;
}

/** The codec batches are stored with, or null to keep the producer's (compression.type=producer). */
export interface TargetCompression {
  codec: number;
  /** gzip 1..9 or -1 (zlib's default), zstd -131072..22; ignored for snappy and lz4. */
  level: number;
}

export interface Refusal {
  errorCode: number;
  errorMessage: string;
}

export function recordPolicyOf(config: LogConfig): RecordPolicy {
  return {
    requireKeys: config.cleanupPolicy.includes('compact'),
    timestampType: config.messageTimestampType,
    timestampBeforeMaxMs: config.messageTimestampBeforeMaxMs,
    timestampAfterMaxMs: config.messageTimestampAfterMaxMs,
  };
}

export function targetCompressionOf(config: LogConfig): TargetCompression | null {
  switch (config.compressionType) {
    case 'producer':
      return null;
    case 'uncompressed':
      return { codec: Compression.none, level: 0 };
    case 'gzip':
      return { codec: Compression.gzip, level: config.compressionGzipLevel };
    case 'zstd':
      return { codec: Compression.zstd, level: config.compressionZstdLevel };
    default:
      return { codec: Compression[config.compressionType], level: 0 };
  }
}

const invalidRecord = (errorMessage: string): Refusal => ({ errorCode: ErrorCode.INVALID_RECORD, errorMessage });

/** Kafka's validateBatch for a batch a client sent: header fields only, no record is read. */
export function checkBatchHeader(buf: Buffer, pos: number): Refusal | null {
  const recordsCount = buf.readInt32BE(pos + RECORDS_COUNT_OFFSET);
  const lastOffsetDelta = buf.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET);
  if (recordsCount <= 0) return invalidRecord(`Invalid reported count for record batch: ${recordsCount}`);
  if (lastOffsetDelta + 1 !== recordsCount) {
    return invalidRecord(`Inconsistent batch offset range [0, ${lastOffsetDelta}] and count of records ${recordsCount}`);
  }
  if ((buf.readInt16BE(pos + ATTRIBUTES_OFFSET) & ATTR_CONTROL) !== 0) return invalidRecord('Clients are not allowed to write control records');
  const producerId = readInt64(buf, pos + PRODUCER_ID_OFFSET);
  const baseSequence = buf.readInt32BE(pos + BASE_SEQUENCE_OFFSET);
  if (producerId >= 0 && baseSequence < 0) return invalidRecord(`Invalid sequence number ${baseSequence} in record batch with producerId ${producerId}`);
  return null;
}

/**
 * Walks every record of `batch` (one whole batch; `walker` is reset on it here, decompressing at
 * most `maxRecordsBytes`). Returns the problem, or null when the records match the header. A
 * records section that does not decode (count larger than the records, garbage) is INVALID_RECORD
 * too: its CRC held, so the producer wrote it that way.
 */
export function checkRecords(walker: RecordWalker, batch: Buffer, policy: RecordPolicy, nowMs: number, maxRecordsBytes?: number): Refusal | null {
  const recordsCount = batch.readInt32BE(RECORDS_COUNT_OFFSET);
  const baseOffset = Number(batch.readBigInt64BE(BASE_OFFSET_OFFSET));
  const producerSetLogAppendTime = (batch.readInt16BE(ATTRIBUTES_OFFSET) & ATTR_TIMESTAMP_TYPE_LOG_APPEND) !== 0;
  const checkTimestamps = policy.timestampType === 'CreateTime' && (policy.timestampBeforeMaxMs !== Infinity || policy.timestampAfterMaxMs !== Infinity);
  if (policy.timestampType === 'LogAppendTime' && producerSetLogAppendTime) {
    return { errorCode: ErrorCode.INVALID_TIMESTAMP, errorMessage: 'Invalid timestamp type in a record batch: producers should not set the timestamp type to LogAppendTime' };
  }
  try {
    walker.reset(batch, maxRecordsBytes);
    let index = 0;
    while (walker.next()) {
      if (walker.offset - baseOffset !== index) {
        return invalidRecord(`Record ${index} of a batch has offset delta ${walker.offset - baseOffset}; offset deltas must be 0..${recordsCount - 1} in order`);
      }
      if (policy.requireKeys && walker.keyLength < 0) {
        return invalidRecord(`Compacted topic cannot accept message without key (record ${index} of a batch)`);
      }
      if (checkTimestamps && walker.timestamp !== -1) {
        const difference = nowMs - walker.timestamp;
        if (difference > policy.timestampBeforeMaxMs || -difference > policy.timestampAfterMaxMs) {
          return {
            errorCode: ErrorCode.INVALID_TIMESTAMP,
            errorMessage: `Timestamp ${walker.timestamp} of record ${index} is out of range. The timestamp should be within [${nowMs - policy.timestampBeforeMaxMs}, ${nowMs + policy.timestampAfterMaxMs}]`,
          };
        }
      }
      index++;
    }
    if (walker.recordEnd !== walker.section.length || index !== recordsCount) {
      return invalidRecord(`Incorrect declared batch size: ${recordsCount} records declared, records still remaining after them`);
    }
  } catch (err) {
    return invalidRecord(`Incorrect declared batch size or malformed records: ${(err as Error).message} (${recordsCount} records declared)`);
  }
  return null;
}

/** The batch with its records section compressed with `target` instead (header otherwise kept). */
export function recompressBatch(batch: Buffer, section: Buffer, target: TargetCompression): Buffer {
  const records = compressWithLevel(target, section);
  const out = Buffer.allocUnsafe(BATCH_HEADER_BYTES + records.length);
  batch.copy(out, 0, 0, BATCH_HEADER_BYTES);
  out.writeInt32BE(out.length - LOG_OVERHEAD_BYTES, BATCH_LENGTH_OFFSET);
  out.writeInt16BE((batch.readInt16BE(ATTRIBUTES_OFFSET) & ~ATTR_COMPRESSION_MASK) | target.codec, ATTRIBUTES_OFFSET);
  records.copy(out, BATCH_HEADER_BYTES);
  out.writeUInt32BE(crc32c(out.subarray(ATTRIBUTES_OFFSET)), CRC_OFFSET);
  return out;
}

function compressWithLevel(target: TargetCompression, section: Buffer): Buffer {
  switch (target.codec) {
    case Compression.gzip:
      return gzipSync(section, { level: target.level === -1 ? zlibConstants.Z_DEFAULT_COMPRESSION : target.level });
    case Compression.zstd:
      return zstdCompress(section, target.level);
    default:
      return compress(target.codec, section);
  }
}

/** True when validateProduce has work for these batches: a compressed batch, or a codec to change. */
export function needsRecordPass(batches: Buffer, target: TargetCompression | null): boolean {
  let pos = 0;
  while (batches.length - pos >= BATCH_HEADER_BYTES) {
    const codec = batches.readInt16BE(pos + ATTRIBUTES_OFFSET) & ATTR_COMPRESSION_MASK;
    if (codec !== Compression.none || (target !== null && target.codec !== codec)) return true;
    pos += batches.readInt32BE(pos + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD_BYTES;
  }
  return false;
}

/**
 * The record pass for one produce (batches laid end to end, framing already checked): for each
 * compressed batch, or each batch whose codec differs from `target`, checks its CRC (before reading
 * records from it: garbage is CORRUPT_MESSAGE, as in Kafka), its header and its records, and
 * rebuilds it with the target codec. Returns the batches to append (the same buffer when nothing
 * was rebuilt) or the refusal; nothing is half-done.
 */
export function validateProduce(batches: Buffer, policy: RecordPolicy, nowMs: number, target: TargetCompression | null, maxRecordsBytes?: number): Buffer | Refusal {
  const walker = new RecordWalker();
  const out: Buffer[] = [];
  let rebuilt = false;
  let pos = 0;
  while (pos < batches.length) {
    const framed = checkBatchFraming(batches, pos);
    if ('reason' in framed) return { errorCode: framed.errorCode, errorMessage: `record batch at byte ${pos}: ${framed.reason}` };
    const batch = batches.subarray(pos, pos + framed.sizeBytes);
    pos += framed.sizeBytes;
    const codec = batch.readInt16BE(ATTRIBUTES_OFFSET) & ATTR_COMPRESSION_MASK;
    const recompress = target !== null && target.codec !== codec;
    if (codec === Compression.none && !recompress) {
      out.push(batch); // the partition worker walks uncompressed batches
      continue;
    }
    if (!batchCrcMatches(batch, 0, batch.length)) return { errorCode: ErrorCode.CORRUPT_MESSAGE, errorMessage: 'a record batch failed its CRC-32C check' };
    const problem = checkBatchHeader(batch, 0) ?? checkRecords(walker, batch, policy, nowMs, maxRecordsBytes);
    if (problem !== null) return problem;
    if (recompress) {
      out.push(recompressBatch(batch, walker.section, target));
      rebuilt = true;
    } else {
      out.push(batch);
    }
  }
  return rebuilt ? Buffer.concat(out) : batches;
}

/**
 * Kafka RecordBatch v2 (magic 2): the same bytes on the wire and on disk.
 *
 *   offset size field
 *   0      8    baseOffset            int64, rewritten by the broker (outside the CRC)
 *   8      4    batchLength           bytes after this field; batch size = batchLength + 12
 *   12     4    partitionLeaderEpoch  set by the broker (outside the CRC)
 *   16     1    magic                 2
 *   17     4    crc                   CRC-32C of bytes 21 .. end
 *   21     2    attributes            bits 0-2 codec, 3 timestamp type, 4 transactional, 5 control
 *   23     4    lastOffsetDelta
 *   27     8    baseTimestamp
 *   35     8    maxTimestamp
 *   43     8    producerId
 *   51     2    producerEpoch
 *   53     4    baseSequence
 *   57     4    recordsCount          never compressed
 *   61     ...  records               one compressed blob when the codec is not none
 *
 * Each record: length varint, attributes int8, timestampDelta varlong, offsetDelta varint,
 * keyLength varint (-1 = null), key, valueLength varint (-1 = null), value, headerCount varint,
 * headers (keyLength varint, key utf-8, valueLength varint, value). All varints zigzag.
 */
import { crc32c } from './crc32c.js';
import { compress, decompress, Compression } from './compression.js';
import { DecodeError } from './decode-error.js';
import { ErrorCode } from './error-codes.js';
import {
  readZigzagVarint,
  readZigzagVarlong,
  writeZigzagVarint,
  writeZigzagVarlong,
  zigzagVarintBytes,
  zigzagVarlongBytes,
  type VarintCursor,
} from './varint.js';
import { RECORDS_PER_BATCH_MAX } from '../common/limits.js';

export const BATCH_HEADER_BYTES = 61;
/** baseOffset (8) + batchLength (4): the part of the header outside batchLength's count. */
export const LOG_OVERHEAD_BYTES = 12;
export const BASE_OFFSET_OFFSET = 0;
export const BATCH_LENGTH_OFFSET = 8;
export const PARTITION_LEADER_EPOCH_OFFSET = 12;
export const MAGIC_OFFSET = 16;
export const CRC_OFFSET = 17;
export const ATTRIBUTES_OFFSET = 21;
export const LAST_OFFSET_DELTA_OFFSET = 23;
export const BASE_TIMESTAMP_OFFSET = 27;
export const MAX_TIMESTAMP_OFFSET = 35;
export const PRODUCER_ID_OFFSET = 43;
export const PRODUCER_EPOCH_OFFSET = 51;
export const BASE_SEQUENCE_OFFSET = 53;
export const RECORDS_COUNT_OFFSET = 57;
export const RECORDS_OFFSET = 61;
export const CURRENT_MAGIC = 2;

export const ATTR_COMPRESSION_MASK = 0x07;
export const ATTR_TIMESTAMP_TYPE_LOG_APPEND = 0x08;
export const ATTR_TRANSACTIONAL = 0x10;
export const ATTR_CONTROL = 0x20;

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

/** A record as a producer hands it over. */
export interface ProducerRecord {
  key?: Buffer | null;
  value: Buffer | null;
  headers?: RecordHeader[];
  /** Create time in ms; defaults to the batch's base timestamp. */
  timestamp?: number;
}

/** A record as read back, with its absolute offset and timestamp. */
export interface StoredRecord {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

export interface BatchHeader {
  baseOffset: number;
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordsCount: number;
}

export interface EncodeOptions {
  baseOffset?: number;
  compression?: number;
  /** Base timestamp; defaults to the first record's timestamp or now. */
  baseTimestamp?: number;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  transactional?: boolean;
  partitionLeaderEpoch?: number;
}

/** Reads the fixed 61-byte header at `pos`. The caller checks that 61 bytes are there. */
export function readBatchHeader(buf: Buffer, pos = 0): BatchHeader {
  return {
    baseOffset: Number(buf.readBigInt64BE(pos + BASE_OFFSET_OFFSET)),
    batchLength: buf.readInt32BE(pos + BATCH_LENGTH_OFFSET),
    partitionLeaderEpoch: buf.readInt32BE(pos + PARTITION_LEADER_EPOCH_OFFSET),
    magic: buf.readInt8(pos + MAGIC_OFFSET),
    crc: buf.readUInt32BE(pos + CRC_OFFSET),
    attributes: buf.readInt16BE(pos + ATTRIBUTES_OFFSET),
    lastOffsetDelta: buf.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET),
    baseTimestamp: Number(buf.readBigInt64BE(pos + BASE_TIMESTAMP_OFFSET)),
    maxTimestamp: Number(buf.readBigInt64BE(pos + MAX_TIMESTAMP_OFFSET)),
    producerId: Number(buf.readBigInt64BE(pos + PRODUCER_ID_OFFSET)),
    producerEpoch: buf.readInt16BE(pos + PRODUCER_EPOCH_OFFSET),
    baseSequence: buf.readInt32BE(pos + BASE_SEQUENCE_OFFSET),
    recordsCount: buf.readInt32BE(pos + RECORDS_COUNT_OFFSET),
  };
}

/** Rewrites baseOffset in place: outside the CRC, so the batch stays valid. */
export function writeBaseOffset(buf: Buffer, pos: number, baseOffset: number): void {
  writeInt64(buf, pos + BASE_OFFSET_OFFSET, baseOffset);
}

const TWO_32 = 4294967296;

/**
 * An int64 field as a number, exact within ±2^53 (offsets, timestamps, producer ids). Two 32-bit
 * reads instead of readBigInt64BE: the append path reads a few per batch, and a BigInt each was
 * ~5% of appending single-record batches.
 */
export function readInt64(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos) * TWO_32 + buf.readUInt32BE(pos + 4);
}

/** Writes `value` (a safe integer) as an int64 field; see readInt64. */
export function writeInt64(buf: Buffer, pos: number, value: number): void {
  const high = Math.floor(value / TWO_32);
  buf.writeInt32BE(high, pos);
  buf.writeUInt32BE(value - high * TWO_32, pos + 4);
}

/** Why a batch was refused, and the Kafka error code a produce of it gets. */
export interface BatchProblem {
  reason: string;
  errorCode: number;
}

/**
 * Checks one batch at `pos` without decoding records: enough bytes, magic 2, a plausible
 * lastOffsetDelta, and the CRC. Returns the batch's total size, or the problem.
 */
export function checkBatch(buf: Buffer, pos: number, end = buf.length): { sizeBytes: number } | BatchProblem {
  const framed = checkBatchFraming(buf, pos, end);
  if ('reason' in framed) return framed;
  return batchCrcMatches(buf, pos, framed.sizeBytes) ? framed : { reason: 'CRC mismatch', errorCode: ErrorCode.CORRUPT_MESSAGE };
}

/** True when the stored CRC-32C of the batch at `pos` matches its bytes (attributes to the end). */
export function batchCrcMatches(buf: Buffer, pos: number, sizeBytes: number): boolean {
  return crc32c(buf.subarray(pos + ATTRIBUTES_OFFSET, pos + sizeBytes)) === buf.readUInt32BE(pos + CRC_OFFSET);
}

/**
 * checkBatch without the CRC: the cheap header checks. The broker makes these on the main thread
 * before a produce reaches a ring, and leaves the CRC (a pass over every byte) to the partition
 * worker's PartitionLog.append, so that cost is spread over the workers.
 */
export function checkBatchFraming(buf: Buffer, pos: number, end = buf.length): { sizeBytes: number } | BatchProblem {
  const corrupt = (reason: string): BatchProblem => ({ reason, errorCode: ErrorCode.CORRUPT_MESSAGE });
  // The magic byte first (it is at 16 in every message format): an old message is usually shorter
  // than a v2 header, and is refused as old rather than as truncated.
  if (end - pos > MAGIC_OFFSET) {
    const magic = buf.readInt8(pos + MAGIC_OFFSET);
    if (magic !== CURRENT_MAGIC) return { reason: `unsupported magic ${magic}`, errorCode: ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT };
  }
  if (end - pos < BATCH_HEADER_BYTES) return corrupt('truncated batch header');
  const batchLength = buf.readInt32BE(pos + BATCH_LENGTH_OFFSET);
  const sizeBytes = batchLength + LOG_OVERHEAD_BYTES;
  if (batchLength < BATCH_HEADER_BYTES - LOG_OVERHEAD_BYTES) return corrupt(`batch length ${batchLength} too small`);
  if (sizeBytes > end - pos) return corrupt('truncated batch');
  const recordsCount = buf.readInt32BE(pos + RECORDS_COUNT_OFFSET);
  const lastOffsetDelta = buf.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET);
  if (recordsCount < 0 || lastOffsetDelta < 0 || recordsCount > RECORDS_PER_BATCH_MAX) {
    return corrupt(`bad record count ${recordsCount} / lastOffsetDelta ${lastOffsetDelta}`);
  }
  return { sizeBytes };
}

/** Encodes records into one batch. Timestamps are ms; offsets deltas are 0..n-1. */
export function encodeRecordBatch(records: readonly ProducerRecord[], options: EncodeOptions = {}): Buffer {
  const codec = options.compression ?? Compression.none;
  const baseTimestamp = options.baseTimestamp ?? records[0]?.timestamp ?? Date.now();
  let maxTimestamp = baseTimestamp;
  let recordsBytes = 0;
  const sizes = new Array<number>(records.length);
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    const ts = record.timestamp ?? baseTimestamp;
    if (ts > maxTimestamp) maxTimestamp = ts;
    const bodyBytes = recordBodyBytes(record, ts - baseTimestamp, i);
    sizes[i] = bodyBytes;
    recordsBytes += zigzagVarintBytes(bodyBytes) + bodyBytes;
  }
  let recordSection: Buffer = Buffer.allocUnsafe(recordsBytes);
  let pos = 0;
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    pos = writeRecord(recordSection, pos, record, (record.timestamp ?? baseTimestamp) - baseTimestamp, i, sizes[i]!);
  }
  if (codec !== Compression.none) recordSection = compress(codec, recordSection);

  const batch = Buffer.allocUnsafe(BATCH_HEADER_BYTES + recordSection.length);
  batch.writeBigInt64BE(BigInt(options.baseOffset ?? 0), BASE_OFFSET_OFFSET);
  batch.writeInt32BE(batch.length - LOG_OVERHEAD_BYTES, BATCH_LENGTH_OFFSET);
  batch.writeInt32BE(options.partitionLeaderEpoch ?? -1, PARTITION_LEADER_EPOCH_OFFSET);
  batch.writeInt8(CURRENT_MAGIC, MAGIC_OFFSET);
  const attributes = codec | (options.transactional ? ATTR_TRANSACTIONAL : 0);
  batch.writeInt16BE(attributes, ATTRIBUTES_OFFSET);
  batch.writeInt32BE(Math.max(records.length - 1, 0), LAST_OFFSET_DELTA_OFFSET);
  batch.writeBigInt64BE(BigInt(baseTimestamp), BASE_TIMESTAMP_OFFSET);
  batch.writeBigInt64BE(BigInt(maxTimestamp), MAX_TIMESTAMP_OFFSET);
  batch.writeBigInt64BE(BigInt(options.producerId ?? -1), PRODUCER_ID_OFFSET);
  batch.writeInt16BE(options.producerEpoch ?? -1, PRODUCER_EPOCH_OFFSET);
  batch.writeInt32BE(options.baseSequence ?? -1, BASE_SEQUENCE_OFFSET);
  batch.writeInt32BE(records.length, RECORDS_COUNT_OFFSET);
  recordSection.copy(batch, RECORDS_OFFSET);
  batch.writeUInt32BE(crc32c(batch.subarray(ATTRIBUTES_OFFSET)), CRC_OFFSET);
  return batch;
}

/**
 * Encodes `records` (uncompressed) as consecutive batches laid end to end, in order, each at most
 * `maxBatchBytes` long: a batch ends where the next record would not fit. One append of the result
 * stores all of them or none (PartitionLog.append writes batches end to end with one write), so a
 * write too large for one batch under max.message.bytes still lands whole. A single record larger
 * than `maxBatchBytes` gets a batch of its own, which the log refuses (MESSAGE_TOO_LARGE).
 */
export function encodeRecordBatches(records: readonly ProducerRecord[], maxBatchBytes: number): Buffer {
  const batches: Buffer[] = [];
  let start = 0;
  while (start < records.length) {
    const baseTimestamp = records[start]!.timestamp ?? Date.now();
    let batchBytes = BATCH_HEADER_BYTES;
    let end = start;
    for (; end < records.length; end++) {
      const record = records[end]!;
      const bodyBytes = recordBodyBytes(record, (record.timestamp ?? baseTimestamp) - baseTimestamp, end - start);
      const recordBytes = zigzagVarintBytes(bodyBytes) + bodyBytes;
      if (end > start && batchBytes + recordBytes > maxBatchBytes) break;
      batchBytes += recordBytes;
    }
    batches.push(encodeRecordBatch(records.slice(start, end), { baseTimestamp }));
    start = end;
  }
  return batches.length === 1 ? batches[0]! : Buffer.concat(batches);
}

function recordBodyBytes(record: ProducerRecord, timestampDelta: number, offsetDelta: number): number {
  let bytes = 1 + zigzagVarlongBytes(timestampDelta) + zigzagVarintBytes(offsetDelta);
  bytes += nullableBytesSize(record.key ?? null) + nullableBytesSize(record.value);
  const headers = record.headers ?? [];
  bytes += zigzagVarintBytes(headers.length);
  for (const header of headers) {
    const keyBytes = Buffer.byteLength(header.key);
    bytes += zigzagVarintBytes(keyBytes) + keyBytes + nullableBytesSize(header.value);
  }
  return bytes;
}

function nullableBytesSize(bytes: Buffer | null): number {
  return bytes === null ? 1 : zigzagVarintBytes(bytes.length) + bytes.length;
}

function writeNullableBytes(buf: Buffer, pos: number, bytes: Buffer | null): number {
  if (bytes === null) return writeZigzagVarint(buf, pos, -1);
  pos = writeZigzagVarint(buf, pos, bytes.length);
  bytes.copy(buf, pos);
  return pos + bytes.length;
}

function writeRecord(buf: Buffer, pos: number, record: ProducerRecord, timestampDelta: number, offsetDelta: number, bodyBytes: number): number {
  pos = writeZigzagVarint(buf, pos, bodyBytes);
  buf[pos++] = 0; // record attributes: unused
  pos = writeZigzagVarlong(buf, pos, timestampDelta);
  pos = writeZigzagVarint(buf, pos, offsetDelta);
  pos = writeNullableBytes(buf, pos, record.key ?? null);
  pos = writeNullableBytes(buf, pos, record.value);
  const headers = record.headers ?? [];
  pos = writeZigzagVarint(buf, pos, headers.length);
  for (const header of headers) {
    const keyBytes = Buffer.byteLength(header.key);
    pos = writeZigzagVarint(buf, pos, keyBytes);
    pos += buf.write(header.key, pos);
    pos = writeNullableBytes(buf, pos, header.value);
  }
  return pos;
}

/**
 * Decodes the records of one whole batch (the buffer holds exactly that batch), decompressing as
 * needed. `maxRecordsBytes` bounds decompressed size. Throws DecodeError on any malformed byte.
 */
export function decodeRecords(batch: Buffer, maxRecordsBytes = 64 * 1024 * 1024): StoredRecord[] {
  if (batch.length < BATCH_HEADER_BYTES) throw new DecodeError('truncated batch header');
  const header = readBatchHeader(batch, 0);
  if (header.magic !== CURRENT_MAGIC) throw new DecodeError(`unsupported magic ${header.magic}`);
  const end = header.batchLength + LOG_OVERHEAD_BYTES;
  if (end > batch.length || end < BATCH_HEADER_BYTES) throw new DecodeError('batch length out of range');
  if (header.recordsCount < 0 || header.recordsCount > RECORDS_PER_BATCH_MAX) {
    throw new DecodeError(`bad record count ${header.recordsCount}`);
  }
  const section = decompress(header.attributes & ATTR_COMPRESSION_MASK, batch.subarray(RECORDS_OFFSET, end), maxRecordsBytes);
  const records: StoredRecord[] = [];
  const cursor: VarintCursor = { pos: 0 };
  for (let i = 0; i < header.recordsCount; i++) {
    records.push(readRecord(section, cursor, header));
  }
  return records;
}

function readRecord(buf: Buffer, cursor: VarintCursor, header: BatchHeader): StoredRecord {
  const bodyBytes = readZigzagVarint(buf, cursor);
  const end = cursor.pos + bodyBytes;
  if (bodyBytes < 0 || end > buf.length) throw new DecodeError('record length out of range');
  cursor.pos += 1; // attributes
  const timestampDelta = readZigzagVarlong(buf, cursor);
  const offsetDelta = readZigzagVarint(buf, cursor);
  const key = readNullableBytes(buf, cursor, end);
  const value = readNullableBytes(buf, cursor, end);
  const headerCount = readZigzagVarint(buf, cursor);
  if (headerCount < 0 || headerCount > bodyBytes) throw new DecodeError('header count out of range');
  const headers: RecordHeader[] = [];
  for (let i = 0; i < headerCount; i++) {
    const keyBytes = readNullableBytes(buf, cursor, end);
    if (keyBytes === null) throw new DecodeError('null header key');
    headers.push({ key: keyBytes.toString('utf8'), value: readNullableBytes(buf, cursor, end) });
  }
  if (cursor.pos !== end) throw new DecodeError('record length does not match its fields');
  const logAppendTime = (header.attributes & ATTR_TIMESTAMP_TYPE_LOG_APPEND) !== 0;
  return {
    offset: header.baseOffset + offsetDelta,
    timestamp: logAppendTime ? header.maxTimestamp : header.baseTimestamp + timestampDelta,
    key,
    value,
    headers,
  };
}

function readNullableBytes(buf: Buffer, cursor: VarintCursor, end: number): Buffer | null {
  const length = readZigzagVarint(buf, cursor);
  if (length === -1) return null;
  if (length < -1 || cursor.pos + length > end) throw new DecodeError('byte length out of range');
  const bytes = buf.subarray(cursor.pos, cursor.pos + length);
  cursor.pos += length;
  return bytes;
}

/** Iterates whole batches in a buffer of concatenated batches (a fetch response, a segment read). */
export function* iterateBatches(buf: Buffer): Generator<{ pos: number; sizeBytes: number; header: BatchHeader }> {
  let pos = 0;
  while (buf.length - pos >= BATCH_HEADER_BYTES) {
    const sizeBytes = buf.readInt32BE(pos + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD_BYTES;
    if (sizeBytes < BATCH_HEADER_BYTES || sizeBytes > buf.length - pos) return; // partial trailing batch
    yield { pos, sizeBytes, header: readBatchHeader(buf, pos) };
    pos += sizeBytes;
  }
}

/**
 * Kafka's old message formats (magic 0 and 1, "message sets"), which Produce v0-2 and Fetch v0-3
 * still carry. Brook stores only RecordBatch v2, so, as Kafka 3.9 does, it up-converts what an old
 * producer sends and down-converts what an old consumer fetches.
 *
 * A message set is entries laid end to end:
 *
 *   offset int64 | messageSize int32 | crc uint32 | magic int8 | attributes int8 |
 *   [timestamp int64, magic 1 only] | key bytes (int32 length, -1 null) | value bytes (same)
 *
 * crc is CRC-32 (IEEE) of magic .. end. attributes: bits 0-2 codec (0 none, 1 gzip, 2 snappy,
 * 3 lz4), bit 3 timestamp type (magic 1: 1 = LogAppendTime). A compressed entry is a "wrapper":
 * its value is a compressed message set of the real messages. Magic 1 inner offsets are relative
 * (0..n-1, the wrapper carrying the last one's absolute offset); magic 0 inner offsets are absolute.
 */
import { crc32 as crc32Ieee } from '@node-rs/crc32';
import { DecodeError } from './decode-error.js';
import { Compression, decompress } from './compression.js';
import { ErrorCode } from './error-codes.js';
import {
  ATTR_COMPRESSION_MASK, ATTR_CONTROL, ATTR_TIMESTAMP_TYPE_LOG_APPEND, decodeRecords, encodeRecordBatch, iterateBatches,
  MAGIC_OFFSET, type ProducerRecord,
} from './record-batch.js';
import { xxhash32 } from './xxhash32.js';

/** offset (8) + messageSize (4). */
const ENTRY_OVERHEAD_BYTES = 12;
/** crc (4) + magic (1) + attributes (1) + key length (4) + value length (4). */
const MESSAGE_V0_MIN_BYTES = 14;
const TIMESTAMP_BYTES = 8;
const LEGACY_TIMESTAMP_LOG_APPEND = 0x08;
const LZ4_FRAME_MAGIC = 0x184d2204;

export interface LegacyMessage {
  /** Absolute for magic 0 and for wrappers; relative inside a magic 1 wrapper. */
  offset: number;
  magic: number;
  /** -1 for magic 0. */
  timestamp: number;
  logAppendTime: boolean;
  key: Buffer | null;
  value: Buffer | null;
}

/** A message as read, with the codec of its attributes (non-zero: a wrapper). */
interface Entry extends LegacyMessage {
  codec: number;
}

/** A produce the up-conversion refuses, with the Kafka error Kafka gives it. */
export class LegacyRecordsError extends Error {
  override name = 'LegacyRecordsError';
  constructor(readonly errorCode: number, message: string) {
    super(message);
  }
}

/** The magic byte of the first entry (16 in every format), or -1 when the records are too short. */
export function firstMagic(records: Buffer): number {
  return records.length > MAGIC_OFFSET ? records.readInt8(MAGIC_OFFSET) : -1;
}

/**
 * Reads a message set's entries as they are (wrappers not opened), checking each CRC. A partial
 * entry at the end is refused: a producer sends whole messages.
 */
function readEntries(buf: Buffer): Entry[] {
  const out: Entry[] = [];
  let pos = 0;
  while (pos < buf.length) {
    if (buf.length - pos < ENTRY_OVERHEAD_BYTES + MESSAGE_V0_MIN_BYTES) throw new DecodeError('truncated message');
    const offset = Number(buf.readBigInt64BE(pos));
    const size = buf.readInt32BE(pos + 8);
    const start = pos + ENTRY_OVERHEAD_BYTES;
    const end = start + size;
    if (size < MESSAGE_V0_MIN_BYTES || end > buf.length) throw new DecodeError(`message size ${size} out of range`);
    if ((crc32Ieee(buf.subarray(start + 4, end)) >>> 0) !== buf.readUInt32BE(start)) throw new DecodeError('message CRC mismatch');
    const magic = buf.readInt8(start + 4);
    if (magic !== 0 && magic !== 1) throw new DecodeError(`unexpected magic ${magic} in a message set`);
    const attributes = buf.readInt8(start + 5);
    let cursor = start + 6;
    let timestamp = -1;
    if (magic === 1) {
      if (end - cursor < TIMESTAMP_BYTES + 8) throw new DecodeError('truncated message');
      timestamp = Number(buf.readBigInt64BE(cursor));
      cursor += TIMESTAMP_BYTES;
    }
    const key = readBytes(buf, cursor, end);
    cursor = key.next;
    const value = readBytes(buf, cursor, end);
    if (value.next !== end) throw new DecodeError('message size does not match its fields');
    const logAppendTime = magic === 1 && (attributes & LEGACY_TIMESTAMP_LOG_APPEND) !== 0;
    out.push({ offset, magic, timestamp, logAppendTime, key: key.bytes, value: value.bytes, codec: attributes & ATTR_COMPRESSION_MASK });
    pos = end;
  }
  return out;
}

function readBytes(buf: Buffer, pos: number, end: number): { bytes: Buffer | null; next: number } {
  if (end - pos < 4) throw new DecodeError('truncated message');
  const length = buf.readInt32BE(pos);
  if (length === -1) return { bytes: null, next: pos + 4 };
  if (length < 0 || pos + 4 + length > end) throw new DecodeError(`byte length ${length} out of range`);
  return { bytes: buf.subarray(pos + 4, pos + 4 + length), next: pos + 4 + length };
}

/**
 * The messages of a message set with every wrapper opened, in order. `maxBytes` bounds each
 * decompressed wrapper. Nested compression, a null wrapper value or zstd (magic 2 only) is refused.
 */
export function readMessageSet(buf: Buffer, maxBytes: number): LegacyMessage[] {
  const out: LegacyMessage[] = [];
  for (const entry of readEntries(buf)) {
    const codec = entry.codec;
    if (codec === Compression.none) {
      out.push(entry);
      continue;
    }
    if (codec === Compression.zstd || codec > Compression.zstd) {
      throw new LegacyRecordsError(ErrorCode.INVALID_RECORD, `compression codec ${codec} is not valid for message format v${entry.magic}`);
    }
    if (entry.value === null) throw new DecodeError('compressed message without a value');
    const compressed = codec === Compression.lz4 && entry.magic === 0 ? repairLz4HeaderChecksum(entry.value) : entry.value;
    const inner = readEntries(decompress(codec, compressed, maxBytes));
    for (const message of inner) {
      if (message.codec !== Compression.none) throw new DecodeError('nested compressed message');
      if (entry.logAppendTime) message.timestamp = entry.timestamp;
      out.push(message);
    }
  }
  return out;
}

/**
 * Kafka's first LZ4 writer (message format v0) hashed the frame header checksum over the frame
 * magic as well; returns a copy with the checksum a standard LZ4 reader expects.
 */
function repairLz4HeaderChecksum(frame: Buffer): Buffer {
  if (frame.length < 7 || frame.readUInt32LE(0) !== LZ4_FRAME_MAGIC) return frame;
  const flags = frame[4]!;
  const descriptorEnd = 6 + ((flags & 0x08) !== 0 ? 8 : 0) + ((flags & 0x01) !== 0 ? 4 : 0);
  if (frame.length <= descriptorEnd) return frame;
  const repaired = Buffer.from(frame);
  repaired[descriptorEnd] = (xxhash32(frame.subarray(4, descriptorEnd)) >>> 8) & 0xff;
  return repaired;
}

/**
 * Up-conversion for Produce v0-2: one RecordBatch v2 holding every message of `records`, in order,
 * compressed with the codec the producer used (what Kafka does when compression.type is
 * `producer`). Message format v0 has no timestamps; they get the arrival time `nowMs` (Kafka stores
 * -1, which no timestamp lookup or time-based retention can use).
 */
export function upConvert(records: Buffer, nowMs: number, maxBytes: number): Buffer {
  const messages = readMessageSet(records, maxBytes);
  if (messages.length === 0) throw new DecodeError('empty message set');
  const codec = readEntries(records).map((e) => e.codec).find((c) => c !== Compression.none) ?? Compression.none;
  const converted: ProducerRecord[] = messages.map((m) => ({ key: m.key, value: m.value, timestamp: m.magic === 0 ? nowMs : m.timestamp }));
  return encodeRecordBatch(converted, { compression: codec });
}

/**
 * Down-conversion for Fetch v0-3: the records of the v2 batches in `records` (whole batches; a
 * partial one at the end is left out) as uncompressed messages of format `magic`, with absolute
 * offsets, skipping control batches and records below `fetchOffset`. Record headers have no place
 * in the old formats and are dropped. Old consumers read uncompressed messages fine, and this
 * avoids Kafka's magic-0 LZ4 quirk and zstd, which the old formats cannot carry.
 */
export function downConvert(records: Buffer, magic: 0 | 1, fetchOffset: number): Buffer {
  const parts: Buffer[] = [];
  for (const { pos, sizeBytes, header } of iterateBatches(records)) {
    if ((header.attributes & ATTR_CONTROL) !== 0) continue;
    const logAppendTime = (header.attributes & ATTR_TIMESTAMP_TYPE_LOG_APPEND) !== 0;
    for (const record of decodeRecords(records.subarray(pos, pos + sizeBytes))) {
      if (record.offset < fetchOffset) continue;
      parts.push(encodeMessage({ offset: record.offset, magic, timestamp: record.timestamp, logAppendTime, key: record.key, value: record.value }));
    }
  }
  return Buffer.concat(parts);
}

/** One uncompressed message-set entry. */
export function encodeMessage(message: LegacyMessage, codec = 0): Buffer {
  const keyBytes = message.key?.length ?? 0;
  const valueBytes = message.value?.length ?? 0;
  const size = MESSAGE_V0_MIN_BYTES + (message.magic === 1 ? TIMESTAMP_BYTES : 0) + keyBytes + valueBytes;
  const out = Buffer.alloc(ENTRY_OVERHEAD_BYTES + size);
  out.writeBigInt64BE(BigInt(message.offset), 0);
  out.writeInt32BE(size, 8);
  let pos = ENTRY_OVERHEAD_BYTES + 4;
  out.writeInt8(message.magic, pos++);
  out.writeInt8(codec | (message.magic === 1 && message.logAppendTime ? LEGACY_TIMESTAMP_LOG_APPEND : 0), pos++);
  if (message.magic === 1) {
    out.writeBigInt64BE(BigInt(message.timestamp), pos);
    pos += TIMESTAMP_BYTES;
  }
  pos = writeBytes(out, pos, message.key);
  writeBytes(out, pos, message.value);
  out.writeUInt32BE(crc32Ieee(out.subarray(ENTRY_OVERHEAD_BYTES + 4)) >>> 0, ENTRY_OVERHEAD_BYTES);
  return out;
}

function writeBytes(out: Buffer, pos: number, bytes: Buffer | null): number {
  if (bytes === null) {
    out.writeInt32BE(-1, pos);
    return pos + 4;
  }
  out.writeInt32BE(bytes.length, pos);
  bytes.copy(out, pos + 4);
  return pos + 4 + bytes.length;
}

/**
 * Reads the records of a RecordBatch v2 in place, without an object or a Buffer view per record:
 * the consumer's hot path. After `next()` the current record's fields are plain numbers (offset,
 * timestamp) and positions into `section` (the records section: a view of the batch, or the
 * decompressed blob for a compressed batch). Callers copy key and value bytes straight from there,
 * or ask for views (`key()`, `value()`, `headers()`) only when they need objects.
 *
 * It accepts and rejects exactly what decodeRecords (record-batch.ts) does, with the same
 * DecodeError messages; a property test holds the two together. Record layout (all varints zigzag):
 *
 *   length varint | attributes int8 | timestampDelta varlong | offsetDelta varint |
 *   keyLength varint (-1 = null) | key | valueLength varint (-1 = null) | value |
 *   headerCount varint | headers: (keyLength varint, key utf-8, valueLength varint, value)*
 *
 * One walker is reused for batch after batch; not thread-safe, owned by its caller.
 */
import { decompress } from './compression.js';
import { DecodeError } from './decode-error.js';
import {
  ATTR_COMPRESSION_MASK,
  ATTR_TIMESTAMP_TYPE_LOG_APPEND,
  ATTRIBUTES_OFFSET,
  BASE_OFFSET_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  BATCH_HEADER_BYTES,
  BATCH_LENGTH_OFFSET,
  CURRENT_MAGIC,
  LOG_OVERHEAD_BYTES,
  MAGIC_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  RECORDS_COUNT_OFFSET,
  RECORDS_OFFSET,
  type RecordHeader,
} from './record-batch.js';
import { readUnsignedVarint, type VarintCursor } from './varint.js';
import { RECORDS_PER_BATCH_MAX } from '../common/limits.js';

const EMPTY = Buffer.alloc(0);
const MAX_RECORDS_BYTES_DEFAULT = 64 * 1024 * 1024;

export class RecordWalker {
  /** The records section of the batch last passed to reset(). */
  section: Buffer = EMPTY;
  /** Current record (valid after next() returned true). */
  offset = 0;
  timestamp = 0;
  /** Start in `section` and length of the key; keyLength -1 = null key. */
  keyStart = 0;
  keyLength = -1;
  valueStart = 0;
  valueLength = -1;
  headersStart = 0;
  headerCount = 0;
  /** The whole current record's bytes in `section`, its length varint included. */
  recordStart = 0;
  recordEnd = 0;

  private baseOffset = 0;
  private baseTimestamp = 0;
  private maxTimestamp = 0;
  private logAppendTime = false;
  private remainingCount = 0;
  /** Read position in `section`; a cursor object so the slow varint path can share it. */
  private readonly cursor: VarintCursor = { pos: 0 };

  /**
   * Starts on one whole batch (the buffer holds exactly that batch, as decodeRecords takes it):
   * checks the header, decompresses the records section if needed (at most maxRecordsBytes).
   */
  reset(batch: Buffer, maxRecordsBytes = MAX_RECORDS_BYTES_DEFAULT): void {
    if (batch.length < BATCH_HEADER_BYTES) throw new DecodeError('truncated batch header');
    const magic = batch.readInt8(MAGIC_OFFSET);
    if (magic !== CURRENT_MAGIC) throw new DecodeError(`unsupported magic ${magic}`);
    const end = batch.readInt32BE(BATCH_LENGTH_OFFSET) + LOG_OVERHEAD_BYTES;
    if (end > batch.length || end < BATCH_HEADER_BYTES) throw new DecodeError('batch length out of range');
    const recordsCount = batch.readInt32BE(RECORDS_COUNT_OFFSET);
    if (recordsCount < 0 || recordsCount > RECORDS_PER_BATCH_MAX) throw new DecodeError(`bad record count ${recordsCount}`);
    const attributes = batch.readInt16BE(ATTRIBUTES_OFFSET);
    this.baseOffset = Number(batch.readBigInt64BE(BASE_OFFSET_OFFSET));
    this.baseTimestamp = Number(batch.readBigInt64BE(BASE_TIMESTAMP_OFFSET));
    this.maxTimestamp = Number(batch.readBigInt64BE(MAX_TIMESTAMP_OFFSET));
    this.logAppendTime = (attributes & ATTR_TIMESTAMP_TYPE_LOG_APPEND) !== 0;
    this.section = decompress(attributes & ATTR_COMPRESSION_MASK, batch.subarray(RECORDS_OFFSET, end), maxRecordsBytes);
    this.remainingCount = recordsCount;
    this.cursor.pos = 0;
  }

  /** Moves to the next record; false after the batch's last one. Throws DecodeError on bad bytes. */
  next(): boolean {
    if (this.remainingCount === 0) return false;
    this.remainingCount--;
    this.recordStart = this.cursor.pos;
    const bodyBytes = this.zigzagVarint();
    const end = this.cursor.pos + bodyBytes;
    if (bodyBytes < 0 || end > this.section.length) throw new DecodeError('record length out of range');
    this.cursor.pos += 1; // attributes: unused in v2
    const timestampDelta = this.zigzagVarlong();
    const offsetDelta = this.zigzagVarint();
    this.keyLength = this.nullableLength(end);
    this.keyStart = this.cursor.pos;
    if (this.keyLength > 0) this.cursor.pos += this.keyLength;
    this.valueLength = this.nullableLength(end);
    this.valueStart = this.cursor.pos;
    if (this.valueLength > 0) this.cursor.pos += this.valueLength;
    const headerCount = this.zigzagVarint();
    if (headerCount < 0 || headerCount > bodyBytes) throw new DecodeError('header count out of range');
    this.headerCount = headerCount;
    this.headersStart = this.cursor.pos;
    for (let i = 0; i < headerCount; i++) {
      const keyLength = this.nullableLength(end);
      if (keyLength === -1) throw new DecodeError('null header key');
      this.cursor.pos += keyLength;
      const valueLength = this.nullableLength(end);
      if (valueLength > 0) this.cursor.pos += valueLength;
    }
    if (this.cursor.pos !== end) throw new DecodeError('record length does not match its fields');
    this.recordEnd = end;
    this.offset = this.baseOffset + offsetDelta;
    this.timestamp = this.logAppendTime ? this.maxTimestamp : this.baseTimestamp + timestampDelta;
    return true;
  }

  /** A view of the current record's key (shares memory with the batch), or null. */
  key(): Buffer | null {
    return this.keyLength < 0 ? null : this.section.subarray(this.keyStart, this.keyStart + this.keyLength);
  }

  value(): Buffer | null {
    return this.valueLength < 0 ? null : this.section.subarray(this.valueStart, this.valueStart + this.valueLength);
  }

  /** The current record's headers as objects (values are views); next() already checked them. */
  headers(): RecordHeader[] {
    const headers: RecordHeader[] = [];
    if (this.headerCount === 0) return headers;
    const saved = this.cursor.pos;
    this.cursor.pos = this.headersStart;
    const end = saved;
    for (let i = 0; i < this.headerCount; i++) {
      const keyLength = this.nullableLength(end);
      const key = this.section.toString('utf8', this.cursor.pos, this.cursor.pos + keyLength);
      this.cursor.pos += keyLength;
      const valueLength = this.nullableLength(end);
      const value = valueLength < 0 ? null : this.section.subarray(this.cursor.pos, this.cursor.pos + valueLength);
      if (valueLength > 0) this.cursor.pos += valueLength;
      headers.push({ key, value });
    }
    this.cursor.pos = saved;
    return headers;
  }

  /** A nullable bytes length (-1 = null) whose bytes must end by `end`. */
  private nullableLength(end: number): number {
    const length = this.zigzagVarint();
    if (length === -1) return -1;
    if (length < -1 || this.cursor.pos + length > end) throw new DecodeError('byte length out of range');
    return length;
  }

  /**
   * Zigzag int32. One- and two-byte varints (deltas, and lengths below 8 KiB) skip the general
   * reader: they are nearly all of them.
   */
  private zigzagVarint(): number {
    const pos = this.cursor.pos;
    const section = this.section;
    if (pos + 1 < section.length) {
      const first = section[pos]!;
      if (first < 0x80) {
        this.cursor.pos = pos + 1;
        return (first >>> 1) ^ -(first & 1);
      }
      const second = section[pos + 1]!;
      if (second < 0x80) {
        const raw = (first & 0x7f) | (second << 7);
        this.cursor.pos = pos + 2;
        return (raw >>> 1) ^ -(raw & 1);
      }
    }
    const raw = readUnsignedVarint(section, this.cursor, 5);
    if (raw > 0xffffffff) throw new DecodeError('varint overflows int32');
    return (raw >>> 1) ^ -(raw & 1);
  }

  private zigzagVarlong(): number {
    const pos = this.cursor.pos;
    if (pos < this.section.length && this.section[pos]! < 0x80) {
      const raw = this.section[pos]!;
      this.cursor.pos = pos + 1;
      return (raw >>> 1) ^ -(raw & 1);
    }
    const raw = readUnsignedVarint(this.section, this.cursor, 10);
    return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
  }
}

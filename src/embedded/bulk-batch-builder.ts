/**
 * An incremental RecordBatch v2 encoder: records are appended straight into one growing buffer,
 * with no object per record, and the header and CRC are written once, at seal time.
 *
 *   buffer: [ 61-byte header, left blank until seal ][ record ][ record ] ... [ free capacity ]
 *                                                                       ^ pos
 *
 * Header fields as in record-batch.ts (baseOffset 0 and partitionLeaderEpoch -1: the broker sets
 * them; producerId/producerEpoch/baseSequence come from the idempotent producer, all -1 without
 * one; they sit inside the CRC, so they are written at seal, never patched later). Each record,
 * all varints zigzag:
 *
 *   length varint | attributes int8 (0) | timestampDelta varlong | offsetDelta varint |
 *   keyLength varint (-1 = null) | key | valueLength varint (-1 = null) | value |
 *   headerCount varint | headers (keyLength varint, key utf-8, valueLength varint, value)
 *
 * The first record's timestamp is the batch's baseTimestamp (deltas may be negative: a caller
 * may give any create time). The sealed batch is a view of the builder's buffer, handed over
 * without a copy unless it is compressed; the builder must not be used after seal().
 *
 * Owned by the producer that created it; not thread-safe.
 */
import { assert } from '../common/assert.js';
import { RECORDS_PER_BATCH_MAX } from '../common/limits.js';
import { compress, Compression } from '../protocol/compression.js';
import { crc32c } from '../protocol/crc32c.js';
import {
  ATTRIBUTES_OFFSET, BASE_OFFSET_OFFSET, BASE_SEQUENCE_OFFSET, BASE_TIMESTAMP_OFFSET, BATCH_HEADER_BYTES,
  BATCH_LENGTH_OFFSET, CRC_OFFSET, CURRENT_MAGIC, LAST_OFFSET_DELTA_OFFSET, LOG_OVERHEAD_BYTES, MAGIC_OFFSET,
  MAX_TIMESTAMP_OFFSET, PARTITION_LEADER_EPOCH_OFFSET, PRODUCER_EPOCH_OFFSET, PRODUCER_ID_OFFSET,
  RECORDS_COUNT_OFFSET, RECORDS_OFFSET, type RecordHeader,
} from '../protocol/record-batch.js';
import { writeZigzagVarint, writeZigzagVarlong, zigzagVarintBytes, zigzagVarlongBytes } from '../protocol/varint.js';

/** An idempotent producer's header fields (Kafka's producerId, producerEpoch, baseSequence). */
export interface BatchProducerFields {
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
}

/** Smallest buffer a builder starts with; it doubles as records arrive. */
const CAPACITY_BYTES_MIN = 4096;
const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

export class BatchBuilder {
  private buffer: Buffer;
  private pos = RECORDS_OFFSET;
  private count = 0;
  private baseTimestampMs = 0;
  private maxTimestampMs = 0;
  private sealed = false;

  /** `capacityBytes` is a hint (e.g. the size of this partition's previous batch). */
  constructor(capacityBytes: number) {
    this.buffer = Buffer.allocUnsafe(Math.max(capacityBytes, CAPACITY_BYTES_MIN));
  }

  get recordCount(): number {
    return this.count;
  }

  /** The uncompressed size of the batch if sealed now, header included. */
  get sizeBytes(): number {
    return this.pos;
  }

  /**
   * Appends one header-less record whose key and value are byte ranges of existing buffers
   * (a null source means a null key or value), so a caller splitting input lines allocates
   * nothing per record. Returns the bytes the record added.
   */
  appendRange(
    timestampMs: number,
    keySource: Uint8Array | null, keyStart: number, keyEnd: number,
    valueSource: Uint8Array | null, valueStart: number, valueEnd: number,
  ): number {
    const keyLength = keySource === null ? -1 : keyEnd - keyStart;
    const valueLength = valueSource === null ? -1 : valueEnd - valueStart;
    const timestampDelta = this.timestampDelta(timestampMs);
    const bodyBytes = 1 + zigzagVarlongBytes(timestampDelta) + zigzagVarintBytes(this.count) +
      lengthFieldBytes(keyLength) + Math.max(keyLength, 0) + lengthFieldBytes(valueLength) + Math.max(valueLength, 0) + 1;
    const recordBytes = zigzagVarintBytes(bodyBytes) + bodyBytes;
    this.reserve(recordBytes);
    const buf = this.buffer;
    let pos = writeZigzagVarint(buf, this.pos, bodyBytes);
    buf[pos++] = 0; // record attributes: unused
    pos = writeZigzagVarlong(buf, pos, timestampDelta);
    pos = writeZigzagVarint(buf, pos, this.count);
    pos = writeZigzagVarint(buf, pos, keyLength);
    if (keyLength > 0) pos = copyRange(keySource!, keyStart, keyEnd, buf, pos);
    pos = writeZigzagVarint(buf, pos, valueLength);
    if (valueLength > 0) pos = copyRange(valueSource!, valueStart, valueEnd, buf, pos);
    buf[pos++] = 0; // headerCount 0
    assert(pos === this.pos + recordBytes, 'record size matches its encoding');
    this.pos = pos;
    this.count++;
    return recordBytes;
  }

  /**
   * The bulk path's inner loop: appends the lines of text[pos..end) as keyless, header-less
   * records (one per line, the value without its '\n', and without a '\r' before it when
   * `stripCarriageReturn`), all with `timestampMs`, while the batch stays within `sizeBytesMax`
   * (a first record is always taken) and `recordCountMax`. Returns where it stopped; `counts`
   * receives the records and value bytes added. One tight loop instead of a call per line.
   */
  appendLines(
    timestampMs: number, text: Buffer, pos: number, end: number, sizeBytesMax: number, recordCountMax: number,
    stripCarriageReturn: boolean, counts: { recordCount: number; payloadBytes: number; encodedBytes: number },
  ): number {
    const timestampDelta = this.timestampDelta(timestampMs);
    const timestampDeltaBytes = zigzagVarlongBytes(timestampDelta);
    const startPos = this.pos;
    const startCount = this.count;
    let payloadBytes = 0;
    while (pos < end && this.count < recordCountMax) {
      const newline = text.indexOf(NEWLINE, pos);
      const lastLine = newline === -1 || newline >= end; // a last line without '\n'
      const next = lastLine ? end : newline + 1;
      let lineEnd = lastLine ? end : newline;
      if (stripCarriageReturn && lineEnd > pos && text[lineEnd - 1] === CARRIAGE_RETURN) lineEnd--;
      const valueLength = lineEnd - pos;
      const bodyBytes = 1 + timestampDeltaBytes + zigzagVarintBytes(this.count) + 1 + zigzagVarintBytes(valueLength) + valueLength + 1;
      const recordBytes = zigzagVarintBytes(bodyBytes) + bodyBytes;
      if (this.count > 0 && this.pos + recordBytes > sizeBytesMax) break;
      this.reserve(recordBytes);
      const buf = this.buffer;
      let at = writeZigzagVarint(buf, this.pos, bodyBytes);
      buf[at++] = 0; // record attributes: unused
      at = writeZigzagVarlong(buf, at, timestampDelta);
      at = writeZigzagVarint(buf, at, this.count);
      buf[at++] = 1; // keyLength -1 (zigzag): a null key
      at = writeZigzagVarint(buf, at, valueLength);
      if (valueLength > 0) at = copyRange(text, pos, lineEnd, buf, at);
      buf[at++] = 0; // headerCount 0
      this.pos = at;
      this.count++;
      payloadBytes += valueLength;
      pos = next;
    }
    counts.recordCount = this.count - startCount;
    counts.payloadBytes = payloadBytes;
    counts.encodedBytes = this.pos - startPos;
    return pos;
  }

  /** Appends a record with headers (the general path, for `producer.send`). Returns the bytes added. */
  appendRecord(timestampMs: number, key: Buffer | null, value: Buffer | null, headers: readonly RecordHeader[]): number {
    if (headers.length === 0) {
      return this.appendRange(timestampMs, key, 0, key?.length ?? 0, value, 0, value?.length ?? 0);
    }
    const headerKeys = headers.map((h) => Buffer.from(h.key, 'utf8'));
    let headersBytes = zigzagVarintBytes(headers.length);
    for (let i = 0; i < headers.length; i++) {
      headersBytes += lengthFieldBytes(headerKeys[i]!.length) + headerKeys[i]!.length;
      const value = headers[i]!.value;
      headersBytes += lengthFieldBytes(value === null ? -1 : value.length) + (value?.length ?? 0);
    }
    const timestampDelta = this.timestampDelta(timestampMs);
    const bodyBytes = 1 + zigzagVarlongBytes(timestampDelta) + zigzagVarintBytes(this.count) +
      lengthFieldBytes(key === null ? -1 : key.length) + (key?.length ?? 0) +
      lengthFieldBytes(value === null ? -1 : value.length) + (value?.length ?? 0) + headersBytes;
    const recordBytes = zigzagVarintBytes(bodyBytes) + bodyBytes;
    this.reserve(recordBytes);
    const buf = this.buffer;
    let pos = writeZigzagVarint(buf, this.pos, bodyBytes);
    buf[pos++] = 0;
    pos = writeZigzagVarlong(buf, pos, timestampDelta);
    pos = writeZigzagVarint(buf, pos, this.count);
    pos = writeNullable(buf, pos, key);
    pos = writeNullable(buf, pos, value);
    pos = writeZigzagVarint(buf, pos, headers.length);
    for (let i = 0; i < headers.length; i++) {
      pos = writeNullable(buf, pos, headerKeys[i]!);
      pos = writeNullable(buf, pos, headers[i]!.value);
    }
    assert(pos === this.pos + recordBytes, 'record size matches its encoding');
    this.pos = pos;
    this.count++;
    return recordBytes;
  }

  /**
   * Writes the header and CRC and returns the batch. Uncompressed, it is a view of this builder's
   * buffer (no copy); compressed, a new buffer holding the header and the compressed records.
   * `producer` null: a non-idempotent batch (producerId, producerEpoch and baseSequence -1).
   */
  seal(codec: number = Compression.none, producer: BatchProducerFields | null = null): Buffer {
    assert(!this.sealed, 'a batch is sealed once');
    assert(this.count > 0, 'a sealed batch holds records');
    this.sealed = true;
    let batch: Buffer;
    if (codec === Compression.none) {
      batch = this.buffer.subarray(0, this.pos);
    } else {
      const compressed = compress(codec, this.buffer.subarray(RECORDS_OFFSET, this.pos));
      batch = Buffer.allocUnsafe(BATCH_HEADER_BYTES + compressed.length);
      compressed.copy(batch, RECORDS_OFFSET);
    }
    batch.writeBigInt64BE(0n, BASE_OFFSET_OFFSET);
    batch.writeInt32BE(batch.length - LOG_OVERHEAD_BYTES, BATCH_LENGTH_OFFSET);
    batch.writeInt32BE(-1, PARTITION_LEADER_EPOCH_OFFSET);
    batch.writeInt8(CURRENT_MAGIC, MAGIC_OFFSET);
    batch.writeInt16BE(codec, ATTRIBUTES_OFFSET);
    batch.writeInt32BE(this.count - 1, LAST_OFFSET_DELTA_OFFSET);
    batch.writeBigInt64BE(BigInt(this.baseTimestampMs), BASE_TIMESTAMP_OFFSET);
    batch.writeBigInt64BE(BigInt(this.maxTimestampMs), MAX_TIMESTAMP_OFFSET);
    batch.writeBigInt64BE(BigInt(producer?.producerId ?? -1), PRODUCER_ID_OFFSET);
    batch.writeInt16BE(producer?.producerEpoch ?? -1, PRODUCER_EPOCH_OFFSET);
    batch.writeInt32BE(producer?.baseSequence ?? -1, BASE_SEQUENCE_OFFSET);
    batch.writeInt32BE(this.count, RECORDS_COUNT_OFFSET);
    batch.writeUInt32BE(crc32c(batch.subarray(ATTRIBUTES_OFFSET)), CRC_OFFSET);
    return batch;
  }

  private timestampDelta(timestampMs: number): number {
    if (this.count === 0) {
      this.baseTimestampMs = timestampMs;
      this.maxTimestampMs = timestampMs;
      return 0;
    }
    if (timestampMs > this.maxTimestampMs) this.maxTimestampMs = timestampMs;
    return timestampMs - this.baseTimestampMs;
  }

  /** Grows the buffer (doubling, so copies stay linear in the batch size) to fit `bytes` more. */
  private reserve(bytes: number): void {
    assert(!this.sealed, 'no appends after seal');
    assert(this.count < RECORDS_PER_BATCH_MAX, 'the producer seals before a batch holds too many records');
    const needed = this.pos + bytes;
    if (needed <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(needed, this.buffer.length * 2));
    this.buffer.copy(grown, 0, 0, this.pos);
    this.buffer = grown;
  }
}

function lengthFieldBytes(length: number): number {
  return length < 0 ? 1 : zigzagVarintBytes(length);
}

function writeNullable(buf: Buffer, pos: number, bytes: Buffer | null): number {
  if (bytes === null) return writeZigzagVarint(buf, pos, -1);
  pos = writeZigzagVarint(buf, pos, bytes.length);
  return copyRange(bytes, 0, bytes.length, buf, pos);
}

/** Short ranges by hand: below ~64 bytes a loop beats the native copy's call overhead. */
function copyRange(source: Uint8Array, start: number, end: number, target: Buffer, pos: number): number {
  const length = end - start;
  if (length < 64) {
    for (let i = start; i < end; i++) target[pos++] = source[i]!;
    return pos;
  }
  target.set(source.subarray(start, end), pos);
  return pos + length;
}

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
/** A timestampDelta's varlong, encoded once per appendLines call. */
const TIMESTAMP_SCRATCH = Buffer.alloc(10);
/** appendLines' first pass: per line, where its value ends and the next line starts (grows as needed). */
let lineEnds = new Int32Array(2 * 16384);

function growLineEnds(): void {
  const grown = new Int32Array(2 * lineEnds.length);
  grown.set(lineEnds);
  lineEnds = grown;
}

export class BatchBuilder {
  private buffer: Buffer;
  private pos = RECORDS_OFFSET;
  private count = 0;
  private baseTimestampMs = 0;
  private maxTimestampMs = 0;
  private sealed = false;
  /** The buffer belongs to the caller (encoded()): never handed to the producer's pool. */
  private borrowed = false;

  /**
   * `capacityBytes` is a hint (e.g. the size of this partition's previous batch). `spare`, when
   * given and big enough, is used instead of a new buffer (a pool's, see takeBuffer()).
   */
  constructor(capacityBytes: number, spare: Buffer | null = null) {
    this.buffer = spare !== null && spare.length >= capacityBytes ? spare : Buffer.allocUnsafe(Math.max(capacityBytes, CAPACITY_BYTES_MIN));
  }

  /**
   * A builder around records someone else encoded (bulk-encoded.ts): `buffer` is the room for the
   * header, then `recordCount` records; nothing more is appended, seal() writes the header.
   */
  static encoded(buffer: Buffer, recordCount: number, baseTimestampMs: number, maxTimestampMs: number): BatchBuilder {
    assert(recordCount > 0 && recordCount <= RECORDS_PER_BATCH_MAX && buffer.length > RECORDS_OFFSET, 'an encoded batch holds records');
    const builder = new BatchBuilder(buffer.length, buffer);
    builder.pos = buffer.length;
    builder.count = recordCount;
    builder.baseTimestampMs = baseTimestampMs;
    builder.maxTimestampMs = maxTimestampMs;
    builder.borrowed = true;
    return builder;
  }

  /**
   * The builder's buffer, for a pool to hand to a later builder, or null if it was never sealed
   * (or is the caller's, see encoded()).
   * Only once nothing refers to the sealed batch any more (it was sent for the last time):
   * uncompressed, the batch is a view of this buffer.
   */
  takeBuffer(): Buffer | null {
    return this.sealed && !this.borrowed ? this.buffer : null;
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
   * receives the records and value bytes added.
   *
   * Two passes and no per-line allocation: the first finds the lines that fit and sizes their
   * records; the second copies all their text with one native copy to the end of the room they
   * will fill, then, line by line from the first, moves each value left into place (copyWithin,
   * a memmove) and writes its record framing into the bytes before it:
   *
   *   after the copy:  [ room for framing ........ | v0 \n v1 \n v2 \n ]
   *   after line 0:    [ h0 v0 0 | ............... v1 \n v2 \n ]      0 = headerCount
   *   after line 2:    [ h0 v0 0 | h1 v1 0 | h2 v2 0 ]
   *
   * A value's place is never right of its copy by more than a byte (a stripped '\r\n' on the
   * last line), and never reaches the copy of a later line: every record is at least 6 bytes longer
   * than its line, so the copies of later lines lie right of everything written for earlier ones.
   */
  appendLines(
    timestampMs: number, text: Buffer, pos: number, end: number, sizeBytesMax: number, recordCountMax: number,
    stripCarriageReturn: boolean, counts: { recordCount: number; payloadBytes: number; encodedBytes: number },
  ): number {
    // The timestampDelta is the same for every line of the call: encode it once (the batch's
    // timestamps are updated only if a line goes in).
    const timestampDelta = this.count === 0 ? 0 : timestampMs - this.baseTimestampMs;
    const timestampLength = writeZigzagVarlong(TIMESTAMP_SCRATCH, 0, timestampDelta);
    const fixedBytes = 3 + timestampLength; // attributes, keyLength (-1), headerCount: a byte each
    // Pass 1: which lines fit, and where each value ends (and the next line starts).
    let scan = pos;
    let lineCount = 0;
    let addedBytes = 0;
    let count = this.count;
    while (scan < end && count < recordCountMax) {
      const newline = text.indexOf(NEWLINE, scan);
      const lastLine = newline === -1 || newline >= end; // a last line without '\n'
      const next = lastLine ? end : newline + 1;
      let valueEnd = lastLine ? end : newline;
      if (stripCarriageReturn && valueEnd > scan && text[valueEnd - 1] === CARRIAGE_RETURN) valueEnd--;
      const valueLength = valueEnd - scan;
      const bodyBytes = fixedBytes + positiveVarintBytes(count) + positiveVarintBytes(valueLength) + valueLength;
      const recordBytes = positiveVarintBytes(bodyBytes) + bodyBytes;
      if (count > 0 && this.pos + addedBytes + recordBytes > sizeBytesMax) break; // a batch's first record always goes in
      if (2 * lineCount + 2 > lineEnds.length) growLineEnds();
      lineEnds[2 * lineCount] = valueEnd;
      lineEnds[2 * lineCount + 1] = next;
      lineCount++;
      count++;
      addedBytes += recordBytes;
      scan = next;
    }
    counts.recordCount = lineCount;
    counts.encodedBytes = addedBytes;
    counts.payloadBytes = 0;
    if (lineCount === 0) return pos;
    this.timestampDelta(timestampMs);
    // Pass 2: one copy of the text, right-aligned in the room; then each value into place.
    this.reserve(addedBytes);
    const buf = this.buffer;
    const textBytes = scan - pos;
    const copyAt = this.pos + addedBytes - textBytes;
    buf.set(new Uint8Array(text.buffer, text.byteOffset + pos, textBytes), copyAt);
    const shift = copyAt - pos; // text position + shift = where its copy is
    const ends = lineEnds;
    const timestamp0 = TIMESTAMP_SCRATCH[0]!;
    let at = this.pos;
    let lineStart = pos;
    let payloadBytes = 0;
    count = this.count;
    for (let i = 0; i < lineCount; i++) {
      const valueEnd = ends[2 * i]!;
      const valueLength = valueEnd - lineStart;
      const countBytes = positiveVarintBytes(count);
      const lengthBytes = positiveVarintBytes(valueLength);
      const bodyBytes = fixedBytes + countBytes + lengthBytes + valueLength;
      // length, attributes, timestampDelta, offsetDelta, keyLength, valueLength, then the value
      const valueAt = at + positiveVarintBytes(bodyBytes) + 1 + timestampLength + countBytes + 1 + lengthBytes;
      if (valueLength > 0) buf.copyWithin(valueAt, lineStart + shift, valueEnd + shift);
      at = writePositiveVarint(buf, at, bodyBytes);
      buf[at++] = 0; // record attributes: unused
      if (timestampLength === 1) buf[at++] = timestamp0;
      else for (let k = 0; k < timestampLength; k++) buf[at++] = TIMESTAMP_SCRATCH[k]!;
      at = writePositiveVarint(buf, at, count);
      buf[at++] = 1; // keyLength -1 (zigzag): a null key
      at = writePositiveVarint(buf, at, valueLength);
      at += valueLength;
      buf[at++] = 0; // headerCount 0
      count++;
      payloadBytes += valueLength;
      lineStart = ends[2 * i + 1]!;
    }
    assert(at === this.pos + addedBytes, 'records fill exactly the room sized for them');
    this.pos = at;
    this.count = count;
    counts.payloadBytes = payloadBytes;
    return scan;
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

/** Bytes of the zigzag varint of a non-negative int32 (zigzag doubles it; 7 bits a byte). */
function positiveVarintBytes(n: number): number {
  return n < 0x40 ? 1 : n < 0x2000 ? 2 : n < 0x100000 ? 3 : n < 0x8000000 ? 4 : 5;
}

/** Writes the zigzag varint of a non-negative int32; returns the new position. */
function writePositiveVarint(buf: Uint8Array, pos: number, n: number): number {
  let zigzag = n * 2;
  while (zigzag >= 0x80) {
    buf[pos++] = (zigzag & 0x7f) | 0x80;
    zigzag = Math.floor(zigzag / 128);
  }
  buf[pos++] = zigzag;
  return pos;
}

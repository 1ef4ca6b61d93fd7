/**
 * Record-level work of the log cleaner on one RecordBatch v2: listing the keyed records of a batch
 * (for the offset map) and rebuilding a batch that keeps only some of its records. Records are
 * copied byte for byte from the (decompressed) records section: their offsetDelta and
 * timestampDelta stay relative to the unchanged baseOffset / baseTimestamp, so every surviving
 * record keeps its offset and timestamp (Kafka's LogCleaner does the same). Pure functions.
 *
 *   record (inside the records section):
 *   length varint | attributes int8 | timestampDelta varlong | offsetDelta varint |
 *   keyLength varint (-1 = null) | key | valueLength varint (-1 = null) | value | headers...
 */
import { compress } from '../protocol/compression.js';
import { crc32c } from '../protocol/crc32c.js';
import {
  ATTRIBUTES_OFFSET,
  ATTR_COMPRESSION_MASK,
  ATTR_CONTROL,
  BATCH_HEADER_BYTES,
  BATCH_LENGTH_OFFSET,
  CRC_OFFSET,
  LOG_OVERHEAD_BYTES,
  RECORDS_COUNT_OFFSET,
  RECORDS_OFFSET,
} from '../protocol/record-batch.js';
import { RecordWalker } from '../protocol/record-walker.js';

/** Decompressed records are bounded like any fetch: a batch is at most message.max.bytes. */
const RECORDS_BYTES_MAX = 256 * 1024 * 1024;

/** One record of a batch, located in its records section. */
export interface CleanerRecord {
  offset: number;
  /** The key as a map key (latin1 keeps every byte), or null for a keyless record. */
  key: string | null;
  tombstone: boolean;
  /** Byte range of the whole record (length varint included) in the records section. */
  start: number;
  end: number;
}

export function isControlBatch(batch: Buffer): boolean {
  return (batch.readInt16BE(ATTRIBUTES_OFFSET) & ATTR_CONTROL) !== 0;
}

/**
 * The records of a whole batch (`batch` holds exactly that batch) with their keys, and the
 * decompressed records section they lie in; throws DecodeError on a malformed record.
 */
export function listRecords(batch: Buffer): { section: Buffer; records: CleanerRecord[] } {
  const walker = new RecordWalker();
  walker.reset(batch, RECORDS_BYTES_MAX);
  const records: CleanerRecord[] = [];
  while (walker.next()) {
    const key = walker.keyLength < 0 ? null : walker.section.toString('latin1', walker.keyStart, walker.keyStart + walker.keyLength);
    records.push({ offset: walker.offset, key, tombstone: walker.valueLength === -1, start: walker.recordStart, end: walker.recordEnd });
  }
  return { section: walker.section, records };
}

/**
 * A copy of `batch` holding only `kept` records (in order), compressed with the batch's own codec,
 * with baseOffset, lastOffsetDelta, timestamps and producer fields unchanged and a new CRC. With
 * no records left it is an empty batch (recordsCount 0, no codec): Kafka keeps such batches for
 * producer state and so that a cleaned segment still ends at its old last offset.
 */
export function rebuildBatch(batch: Buffer, section: Buffer, kept: readonly CleanerRecord[]): Buffer {
  let attributes = batch.readInt16BE(ATTRIBUTES_OFFSET);
  const codec = attributes & ATTR_COMPRESSION_MASK;
  let records: Buffer;
  if (kept.length === 0) {
    records = Buffer.alloc(0);
    attributes &= ~ATTR_COMPRESSION_MASK;
  } else {
    let bytes = 0;
    for (const r of kept) bytes += r.end - r.start;
    const plain = Buffer.allocUnsafe(bytes);
    let pos = 0;
    for (const r of kept) pos += section.copy(plain, pos, r.start, r.end);
    records = codec === 0 ? plain : compress(codec, plain);
  }
  const out = Buffer.allocUnsafe(BATCH_HEADER_BYTES + records.length);
  batch.copy(out, 0, 0, BATCH_HEADER_BYTES);
  records.copy(out, RECORDS_OFFSET);
  out.writeInt32BE(out.length - LOG_OVERHEAD_BYTES, BATCH_LENGTH_OFFSET);
  out.writeInt16BE(attributes, ATTRIBUTES_OFFSET);
  out.writeInt32BE(kept.length, RECORDS_COUNT_OFFSET);
  out.writeUInt32BE(crc32c(out.subarray(ATTRIBUTES_OFFSET)), CRC_OFFSET);
  return out;
}

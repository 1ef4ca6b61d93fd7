/**
 * From fetched bytes to what a consumer hands out, shared by the plain and the group consumer.
 * A fetch answers with whole batches as stored, which may begin before the fetch offset (a batch
 * is never split) and, without follow, run past the stop offset; these helpers apply both bounds,
 * skip control batches (transaction markers, never shown to applications, as in Kafka), and
 * decode each record straight into the object the consumer yields: one object per record.
 *
 * Pure functions over their arguments; main thread, not thread-safe (the walker is reused).
 */
import { ATTR_CONTROL, ATTRIBUTES_OFFSET, BASE_OFFSET_OFFSET, BATCH_HEADER_BYTES, BATCH_LENGTH_OFFSET,
  LAST_OFFSET_DELTA_OFFSET, LOG_OVERHEAD_BYTES } from '../protocol/record-batch.js';
import type { RecordWalker } from '../protocol/record-walker.js';
import type { ConsumerRecord } from './consumer.js';

/** One partition's share of a fetch, as Consumer.pollBatches() returns it. */
export interface FetchedBatches {
  topic: string;
  partition: number;
  /** Whole RecordBatch v2 batches, byte for byte as stored (compressed ones still compressed). */
  records: Buffer;
  /** Records below this offset were delivered before: skip them. */
  fromOffset: number;
  /** Exclusive: records at or past it are not part of this read (Infinity when following). */
  stopOffset: number;
}

/**
 * Calls `visit` with each whole data batch of `fetched` that holds a record in [fromOffset,
 * stopOffset), in order; stops early when `visit` returns false. A partial trailing batch (the
 * fetch size cut it) is left for the next fetch.
 */
export function forEachDataBatch(fetched: FetchedBatches, visit: (batch: Buffer) => boolean): void {
  const { records: bytes, fromOffset, stopOffset } = fetched;
  let pos = 0;
  while (bytes.length - pos >= BATCH_HEADER_BYTES) {
    const sizeBytes = bytes.readInt32BE(pos + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD_BYTES;
    if (sizeBytes < BATCH_HEADER_BYTES || sizeBytes > bytes.length - pos) return;
    const baseOffset = Number(bytes.readBigInt64BE(pos + BASE_OFFSET_OFFSET));
    if (baseOffset >= stopOffset) return;
    const nextOffset = baseOffset + bytes.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET) + 1;
    const control = (bytes.readInt16BE(pos + ATTRIBUTES_OFFSET) & ATTR_CONTROL) !== 0;
    if (nextOffset > fromOffset && !control && !visit(bytes.subarray(pos, pos + sizeBytes))) return;
    pos += sizeBytes;
  }
}

/**
 * Where the next fetch starts once `fetched` is delivered: past the last whole batch, but never
 * past stopOffset. Reads batch headers only.
 */
export function nextFetchOffset(fetched: FetchedBatches): number {
  const { records: bytes, stopOffset } = fetched;
  let next = fetched.fromOffset;
  let pos = 0;
  while (bytes.length - pos >= BATCH_HEADER_BYTES) {
    const sizeBytes = bytes.readInt32BE(pos + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD_BYTES;
    if (sizeBytes < BATCH_HEADER_BYTES || sizeBytes > bytes.length - pos) break;
    const nextOffset = Number(bytes.readBigInt64BE(pos + BASE_OFFSET_OFFSET)) + bytes.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET) + 1;
    if (nextOffset > next) next = Math.min(nextOffset, stopOffset);
    pos += sizeBytes;
  }
  return next;
}

/**
 * Decodes the records of `fetched` within its bounds into `out`, at most maxRecords of them.
 * Returns how many were added. Throws DecodeError on a malformed batch.
 */
export function collectRecords(walker: RecordWalker, fetched: FetchedBatches, out: ConsumerRecord[], maxRecords = Infinity): number {
  const { topic, partition, fromOffset, stopOffset } = fetched;
  let addedCount = 0;
  forEachDataBatch(fetched, (batch) => {
    walker.reset(batch);
    while (walker.next()) {
      const offset = walker.offset;
      if (offset < fromOffset) continue;
      if (offset >= stopOffset || addedCount >= maxRecords) return false;
      out.push({
        topic,
        partition,
        offset,
        timestamp: walker.timestamp,
        key: walker.key(),
        value: walker.value(),
        headers: walker.headers(),
      });
      addedCount++;
    }
    return true;
  });
  return addedCount;
}

/**
 * Record batches whose headers disagree with their records, as a buggy or hostile producer could
 * send them (CRC recomputed, so only Kafka's LogValidator rules catch them). Not a test file.
 */
import { crc32c } from '../../src/protocol/crc32c.js';
import { ATTRIBUTES_OFFSET, CRC_OFFSET, LAST_OFFSET_DELTA_OFFSET, RECORDS_COUNT_OFFSET, RECORDS_OFFSET } from '../../src/protocol/record-batch.js';
import { RecordWalker } from '../../src/protocol/record-walker.js';

function resealed(batch: Buffer): Buffer {
  batch.writeUInt32BE(crc32c(batch.subarray(ATTRIBUTES_OFFSET)), CRC_OFFSET);
  return batch;
}

/** A copy of `batch` whose header claims `recordsCount` / `lastOffsetDelta`, with a valid CRC. */
export function withHeader(batch: Buffer, fields: { recordsCount?: number; lastOffsetDelta?: number }): Buffer {
  const copy = Buffer.from(batch);
  if (fields.recordsCount !== undefined) copy.writeInt32BE(fields.recordsCount, RECORDS_COUNT_OFFSET);
  if (fields.lastOffsetDelta !== undefined) copy.writeInt32BE(fields.lastOffsetDelta, LAST_OFFSET_DELTA_OFFSET);
  return resealed(copy);
}

/**
 * A copy of an uncompressed `batch` whose record `index` carries offset delta `delta` (0..63, one
 * varint byte, like the original's; records under 64 bytes with timestamp delta 0).
 */
export function withOffsetDelta(batch: Buffer, index: number, delta: number): Buffer {
  const walker = new RecordWalker();
  walker.reset(batch);
  for (let i = 0; i <= index; i++) walker.next();
  const copy = Buffer.from(batch);
  // length varint (1 byte) + attributes (1) + timestampDelta varlong (1): then the offset delta.
  copy[RECORDS_OFFSET + walker.recordStart + 3] = delta * 2;
  return resealed(copy);
}

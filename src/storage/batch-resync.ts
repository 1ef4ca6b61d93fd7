/**
 * Finding the next intact batch after damage in a segment. A header hop stops at a damaged
 * length or magic byte, and everything after it would be unreachable; this search looks at each
 * following position for a batch that proves itself — magic 2, a length that fits, a base offset
 * in the range the caller expects and a matching CRC-32C (a false match has odds of 2^-32 per
 * candidate that passed the cheaper checks) — so reads go on at the next intact batch.
 *
 * Only the read path uses it, only after damage; it reads the segment in chunks through FileIo.
 */
import { crc32c } from '../protocol/crc32c.js';
import {
  ATTRIBUTES_OFFSET, BASE_OFFSET_OFFSET, BATCH_HEADER_BYTES, BATCH_LENGTH_OFFSET, CRC_OFFSET, CURRENT_MAGIC,
  LOG_OVERHEAD_BYTES, MAGIC_OFFSET,
} from '../protocol/record-batch.js';
import { readFully, type FileIo } from './io.js';

const CHUNK_BYTES = 64 * 1024;

/**
 * Position of the first intact batch at or after `from` (and before `end`) whose base offset lies
 * in [minBaseOffset, maxBaseOffset); null when there is none.
 */
export function nextIntactBatch(io: FileIo, fd: number, from: number, end: number, minBaseOffset: number, maxBaseOffset: number): number | null {
  const chunk = Buffer.allocUnsafe(CHUNK_BYTES + BATCH_HEADER_BYTES);
  for (let chunkStart = from; chunkStart + BATCH_HEADER_BYTES <= end; chunkStart += CHUNK_BYTES) {
    const length = readFully(io, fd, chunk, 0, Math.min(chunk.length, end - chunkStart), chunkStart);
    // Candidates start in the first CHUNK_BYTES; the overlap lets their headers be read whole.
    for (let rel = 0; rel < Math.min(CHUNK_BYTES, length - BATCH_HEADER_BYTES + 1); rel++) {
      if (chunk[rel + MAGIC_OFFSET] !== CURRENT_MAGIC) continue;
      const position = chunkStart + rel;
      const sizeBytes = chunk.readInt32BE(rel + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD_BYTES;
      if (sizeBytes < BATCH_HEADER_BYTES || sizeBytes > end - position) continue;
      const baseOffset = Number(chunk.readBigInt64BE(rel + BASE_OFFSET_OFFSET));
      if (baseOffset < minBaseOffset || baseOffset >= maxBaseOffset) continue;
      if (crcMatches(io, fd, position, sizeBytes)) return position;
    }
  }
  return null;
}

function crcMatches(io: FileIo, fd: number, position: number, sizeBytes: number): boolean {
  const batch = Buffer.allocUnsafe(sizeBytes);
  if (readFully(io, fd, batch, 0, sizeBytes, position) < sizeBytes) return false;
  return crc32c(batch.subarray(ATTRIBUTES_OFFSET)) === batch.readUInt32BE(CRC_OFFSET);
}

/**
 * Sequential scans over a segment's batches, shared by recovery (which CRC-checks every batch),
 * index rebuilds, producer-state rebuilds and the read path (which only hops over headers).
 * Reads go through FileIo in large chunks; a batch larger than the chunk grows it only when its
 * body is needed.
 */
import {
  BASE_OFFSET_OFFSET,
  BASE_SEQUENCE_OFFSET,
  BATCH_HEADER_BYTES,
  BATCH_LENGTH_OFFSET,
  CURRENT_MAGIC,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD_BYTES,
  MAGIC_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  RECORDS_COUNT_OFFSET,
  checkBatch,
} from '../protocol/record-batch.js';
import { readFully, type FileIo } from './io.js';

export const SCAN_CHUNK_BYTES = 4 * 1024 * 1024;

/** What a scan learns from a batch header. */
export interface ScannedBatch {
  position: number;
  sizeBytes: number;
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordsCount: number;
}

/** Byte range [start, end) of a segment whose batches were CRC-checked already (crc-pool.ts). */
export interface VerifiedRange {
  start: number;
  end: number;
}

export interface ScanOptions {
  /** CRC-check each batch (recovery); otherwise only lengths and magic are checked. */
  verify: boolean;
  chunkBytes?: number;
  /**
   * With verify: ranges, ascending, whose batches another thread CRC-checked; the scan skips the
   * CRC (and the body read) of a batch inside one. Only if this scan reached the range's start
   * exactly: then both walks, one rule over the same bytes, saw the same batch boundaries.
   */
  verifiedRanges?: readonly VerifiedRange[];
  /**
   * A buffer to read into instead of a new one of chunkBytes (a batch larger than it still gets
   * its own): a thread that scans again and again (the recovery CRC pool) spares itself the page
   * faults of fresh memory on every scan.
   */
  scratch?: Buffer;
}

export interface ScanResult {
  /** Position just past the last good batch the scan reached. */
  validEndPosition: number;
  /** Why the scan stopped before `endPosition`, or null. */
  reason: string | null;
}

/**
 * Scans batches in [startPosition, endPosition). `onBatch` returns false to stop early. With
 * verify and no verifiedRanges, `body` holds the whole batch at `bodyPosition`; otherwise only the
 * header is certain.
 */
export function scanBatches(
  io: FileIo,
  fd: number,
  startPosition: number,
  endPosition: number,
  options: ScanOptions,
  onBatch: (batch: ScannedBatch, body: Buffer, bodyPosition: number) => boolean,
): ScanResult {
  let buf = options.scratch ?? Buffer.allocUnsafe(Math.min(options.chunkBytes ?? SCAN_CHUNK_BYTES, Math.max(endPosition - startPosition, BATCH_HEADER_BYTES)));
  let bufStart = startPosition;
  let bufLength = 0;
  let position = startPosition;
  const trusted = trustedBatches(options.verifiedRanges ?? []);
  while (position < endPosition) {
    let rel = position - bufStart;
    if (rel + BATCH_HEADER_BYTES > bufLength) {
      bufStart = position;
      bufLength = readFully(io, fd, buf, 0, Math.min(buf.length, endPosition - position), position);
      rel = 0;
      if (bufLength < BATCH_HEADER_BYTES) return { validEndPosition: position, reason: 'truncated batch header' };
    }
    const batchLength = buf.readInt32BE(rel + BATCH_LENGTH_OFFSET);
    const sizeBytes = batchLength + LOG_OVERHEAD_BYTES;
    if (batchLength < BATCH_HEADER_BYTES - LOG_OVERHEAD_BYTES) {
      return { validEndPosition: position, reason: `batch length ${batchLength} too small` };
    }
    if (sizeBytes > endPosition - position) return { validEndPosition: position, reason: 'truncated batch' };
    if (buf.readInt8(rel + MAGIC_OFFSET) !== CURRENT_MAGIC) return { validEndPosition: position, reason: 'bad magic' };
    const verify = options.verify && !trusted(position, sizeBytes);
    if (verify && rel + sizeBytes > bufLength) {
      if (sizeBytes > buf.length) buf = Buffer.allocUnsafe(sizeBytes);
      bufStart = position;
      bufLength = readFully(io, fd, buf, 0, Math.min(buf.length, endPosition - position), position);
      rel = 0;
      if (bufLength < sizeBytes) return { validEndPosition: position, reason: 'truncated batch' };
    }
    if (verify) {
      const check = checkBatch(buf, rel, rel + sizeBytes);
      if ('reason' in check) return { validEndPosition: position, reason: check.reason };
    }
    const batch = headerAt(buf, rel, position, sizeBytes);
    if (batch.lastOffset < batch.baseOffset) return { validEndPosition: position, reason: 'bad lastOffsetDelta' };
    if (!onBatch(batch, buf, rel)) return { validEndPosition: position + sizeBytes, reason: null };
    position += sizeBytes;
  }
  return { validEndPosition: position, reason: null };
}

/** (position, sizeBytes) -> whether the batch there lies in a verified range the walk entered at its start. */
function trustedBatches(ranges: readonly VerifiedRange[]): (position: number, sizeBytes: number) => boolean {
  let index = 0;
  let entered = false;
  return (position, sizeBytes) => {
    while (index < ranges.length && position >= ranges[index]!.end) {
      index++;
      entered = false;
    }
    if (index === ranges.length) return false;
    if (position === ranges[index]!.start) entered = true;
    return entered && position + sizeBytes <= ranges[index]!.end;
  };
}

function headerAt(buf: Buffer, rel: number, position: number, sizeBytes: number): ScannedBatch {
  const baseOffset = Number(buf.readBigInt64BE(rel + BASE_OFFSET_OFFSET));
  return {
    position,
    sizeBytes,
    baseOffset,
    lastOffset: baseOffset + buf.readInt32BE(rel + LAST_OFFSET_DELTA_OFFSET),
    maxTimestamp: Number(buf.readBigInt64BE(rel + MAX_TIMESTAMP_OFFSET)),
    producerId: Number(buf.readBigInt64BE(rel + PRODUCER_ID_OFFSET)),
    producerEpoch: buf.readInt16BE(rel + PRODUCER_EPOCH_OFFSET),
    baseSequence: buf.readInt32BE(rel + BASE_SEQUENCE_OFFSET),
    recordsCount: buf.readInt32BE(rel + RECORDS_COUNT_OFFSET),
  };
}

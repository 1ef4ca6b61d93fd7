/**
 * The read path, shared by PartitionLog (writer thread) and LogReader (other threads). It only
 * needs, per segment, the .log descriptor and the two sparse indexes; it never returns a batch
 * whose lastOffset is at or above `maxOffset` (the high watermark), so bytes still being written
 * past it are never exposed (DESIGN.md rule 4).
 */
import { BATCH_HEADER_BYTES, BATCH_LENGTH_OFFSET, LAST_OFFSET_DELTA_OFFSET, LOG_OVERHEAD_BYTES, decodeRecords } from '../protocol/record-batch.js';
import { readFully, type FileIo } from './io.js';
import { scanBatches, type ScannedBatch } from './batch-scan.js';
import { freshReadBuffers, type ReadBuffers } from './read-buffers.js';

/**
 * Header hops between the index entry and the wanted batch read this much at a time: two index
 * intervals (index.interval.bytes, 4 KiB) is what a hop usually spans. Bigger chunks cost every
 * fetch a longer read that it throws away (64 KiB measured ~50 µs a fetch).
 */
const LOOKUP_CHUNK_BYTES = 8 * 1024;

export interface SegmentView {
  readonly baseOffset: number;
  /**
   * Descriptor of the .log, opened if needed. Valid until the next use of another file on this
   * thread (fd-cache.ts): take it right before the read or scan that uses it.
   */
  logFd(): number;
  /** Bytes of the .log that may be read (the writer's size, or the file size for a reader). */
  readableBytes(): number;
  /**
   * Position of a batch starting at or before `offset` (from the offset index); `readableBytes` is
   * what the caller just got from readableBytes(), so a reader need not look the size up again.
   */
  floorPosition(offset: number, readableBytes: number): number;
  /** First offset that may hold a timestamp >= `timestampMs` (from the time index). */
  startOffsetForTimestamp(timestampMs: number): number;
}

/** Index of the last segment with baseOffset <= offset, or -1. */
export function segmentIndexFor(segments: readonly { baseOffset: number }[], offset: number): number {
  let lo = 0;
  let hi = segments.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (segments[mid]!.baseOffset <= offset) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

/** The first batch in [position, endPosition) whose lastOffset >= `offset`, or null. */
function findBatch(io: FileIo, segment: SegmentView, offset: number, position: number, endPosition: number): ScannedBatch | null {
  let found: ScannedBatch | null = null;
  scanBatches(io, segment.logFd(), position, endPosition, { verify: false, chunkBytes: LOOKUP_CHUNK_BYTES }, (batch) => {
    if (batch.lastOffset < offset) return true;
    found = batch;
    return false;
  });
  return found;
}

/** Where the whole batches a read returns start: the batch holding the wanted offset. */
export interface BatchLocation<S extends SegmentView = SegmentView> {
  readonly segment: S;
  readonly first: ScannedBatch;
  /** The segment's readable bytes when it was located (one size lookup serves the whole read). */
  readonly endPosition: number;
}

/**
 * The batch holding `offset` (or the first after it), if it lies wholly below `maxOffset`.
 * Returns null when no known segment holds `offset` (a reader then refreshes its segment list);
 * 'empty' when the next batch is at or above `maxOffset`.
 */
export function locateBatches<S extends SegmentView>(io: FileIo, segments: readonly S[], offset: number, maxOffset: number): BatchLocation<S> | 'empty' | null {
  if (offset >= maxOffset) return 'empty';
  let index = segmentIndexFor(segments, offset);
  if (index < 0) return null;
  for (let first = true; index < segments.length; index++, first = false) {
    const segment = segments[index]!;
    const endPosition = segment.readableBytes();
    const position = first ? segment.floorPosition(offset, endPosition) : 0;
    const batch = findBatch(io, segment, offset, position, endPosition);
    if (batch === null) continue;
    if (batch.baseOffset >= maxOffset || batch.lastOffset >= maxOffset) return 'empty';
    return { segment, first: batch, endPosition };
  }
  return null;
}

/** Bytes to read from a location for `maxBytes`: the first batch whole even if larger (KIP-74), never past the segment's end. */
export function readBytesFor(location: BatchLocation, maxBytes: number): number {
  return Math.min(Math.max(maxBytes, location.first.sizeBytes), location.endPosition - location.first.position);
}

/**
 * Whole batches from `offset`, up to `maxBytes` (the first one whole even if larger, as KIP-74),
 * all below `maxOffset`. Returns null when no known segment holds `offset` (a reader then
 * refreshes its segment list); an empty buffer when the next batch is at or above `maxOffset`.
 */
export function readFromSegments(
  io: FileIo,
  segments: readonly SegmentView[],
  offset: number,
  maxBytes: number,
  maxOffset: number,
  buffers: ReadBuffers = freshReadBuffers,
): Buffer | null {
  const location = locateBatches(io, segments, offset, maxOffset);
  if (location === null) return null;
  if (location === 'empty') return Buffer.alloc(0);
  return readLocated(io, location.segment.logFd(), location, maxBytes, maxOffset, buffers);
}

/** Reads a location's bytes for `maxBytes` on this thread and keeps the whole batches below `maxOffset`; the buffer goes back if the read throws. */
export function readLocated(io: FileIo, fd: number, location: BatchLocation, maxBytes: number, maxOffset: number, buffers: ReadBuffers): Buffer {
  const wantBytes = readBytesFor(location, maxBytes);
  const buf = buffers.acquire(wantBytes);
  let readBytes: number;
  try {
    readBytes = readFully(io, fd, buf, 0, wantBytes, location.first.position);
  } catch (err) {
    buffers.release(buf);
    throw err;
  }
  return wholeBatches(buf, readBytes, maxBytes, maxOffset);
}

/**
 * The leading whole batches of `buf` (of which `readBytes` were read) that fit `maxBytes` (the
 * first one always) and end below `maxOffset`; a view of `buf`, not a copy.
 */
export function wholeBatches(buf: Buffer, readBytes: number, maxBytes: number, maxOffset: number): Buffer {
  let end = 0;
  while (readBytes - end >= BATCH_HEADER_BYTES) {
    const sizeBytes = buf.readInt32BE(end + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD_BYTES;
    if (sizeBytes < BATCH_HEADER_BYTES || end + sizeBytes > readBytes) break;
    if (end > 0 && end + sizeBytes > maxBytes) break;
    const lastOffset = Number(buf.readBigInt64BE(end)) + buf.readInt32BE(end + LAST_OFFSET_DELTA_OFFSET);
    if (lastOffset >= maxOffset) break;
    end += sizeBytes;
  }
  return buf.subarray(0, end);
}

/** ListOffsets by timestamp: the first offset below `maxOffset` whose timestamp >= `timestampMs`. */
export function offsetForTimestampIn(
  io: FileIo,
  segments: readonly SegmentView[],
  timestampMs: number,
  maxOffset: number,
  minOffset = 0,
): { offset: number; timestamp: number } | null {
  for (const segment of segments) {
    const startOffset = Math.max(segment.startOffsetForTimestamp(timestampMs), minOffset);
    let hit: ScannedBatch | null = null;
    let passedMax = false;
    const endPosition = segment.readableBytes();
    const position = segment.floorPosition(startOffset, endPosition); // before logFd(): it may use other files
    scanBatches(io, segment.logFd(), position, endPosition, { verify: false, chunkBytes: LOOKUP_CHUNK_BYTES }, (batch) => {
      if (batch.lastOffset >= maxOffset) {
        passedMax = true;
        return false;
      }
      if (batch.lastOffset < startOffset || batch.maxTimestamp < timestampMs) return true;
      hit = batch;
      return false;
    });
    if (hit !== null) {
      const found = firstRecordAtOrAfter(io, segment, hit, timestampMs, startOffset);
      if (found !== null) return found;
    }
    if (passedMax) return null;
  }
  return null;
}

function firstRecordAtOrAfter(io: FileIo, segment: SegmentView, batch: ScannedBatch, timestampMs: number, minOffset: number): { offset: number; timestamp: number } | null {
  const body = Buffer.allocUnsafe(batch.sizeBytes);
  readFully(io, segment.logFd(), body, 0, batch.sizeBytes, batch.position);
  for (const record of decodeRecords(body)) {
    if (record.offset >= minOffset && record.timestamp >= timestampMs) return { offset: record.offset, timestamp: record.timestamp };
  }
  return null;
}

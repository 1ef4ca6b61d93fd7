/**
 * A read-only view of a partition directory for threads other than its writer (the main thread
 * serves fetches from it while the partition worker appends). Committed bytes are immutable
 * (DESIGN.md rule 4), so it opens the segment files itself and finds positions through the .index
 * files the writer appends to, plus a header scan. Its segment list is refreshed when a file has
 * gone (retention) or an offset lies past what it knows (a roll). It never returns bytes at or
 * above the high watermark it is given. Not thread-safe: one LogReader per thread.
 *
 * Its files are LazyFiles in the thread's FdCache (fd-cache.ts): opened on first use, closed by
 * the cache past its cap and reopened when needed. A .log reopened after the cleaner replaced it
 * is noticed by its identity (ESTALE), and the reader refreshes its segment list as it does for a
 * deleted file (ENOENT).
 */
import { OffsetIndex, OFFSET_INDEX_ENTRY_BYTES } from './offset-index.js';
import { BASE_OFFSET_OFFSET, BATCH_HEADER_BYTES, CURRENT_MAGIC, MAGIC_OFFSET } from '../protocol/record-batch.js';
import { TimeIndex, TIME_INDEX_ENTRY_BYTES } from './time-index.js';
import { segmentBaseOffsets, segmentPaths } from './file-names.js';
import { nodeIo, readFully, readFullyAsync, type FileIo } from './io.js';
import { OffsetOutOfRangeError } from './errors.js';
import { locateBatches, offsetForTimestampIn, readBytesFor, readFromSegments, readLocated, wholeBatches, type BatchLocation, type SegmentView } from './segment-read.js';
import { freshReadBuffers, type ReadBuffers } from './read-buffers.js';
import { ReadSlots, threadpoolReadSlots } from './read-slots.js';
import { defaultFdCache, type FdCache, type LazyFile } from './fd-cache.js';

/**
 * Reads this big or bigger go to libuv's threadpool (readAt); smaller ones, such as a tailing
 * consumer's few new records, stay on the calling thread, where they cost less than the hand-off.
 */
export const READ_ASYNC_MIN_BYTES = 64 * 1024;

export class ReaderSegment implements SegmentView {
  private readonly log: LazyFile;
  private readonly index: LazyFile;
  private readonly timeIndexFile: LazyFile;
  private offsetIndex: OffsetIndex;
  private timeIndex: TimeIndex;
  private indexBytesLoaded = 0;
  private timeBytesLoaded = 0;

  constructor(
    private readonly io: FileIo,
    files: FdCache,
    dir: string,
    readonly baseOffset: number,
  ) {
    const paths = segmentPaths(dir, baseOffset);
    // The .log's identity tells a reopen after eviction from a reopen of a file the cleaner swapped in.
    this.log = files.file(io, paths.log, 'r', { trackIdentity: true });
    this.index = files.file(io, paths.index, 'r');
    this.timeIndexFile = files.file(io, paths.timeIndex, 'r');
    this.offsetIndex = new OffsetIndex(baseOffset);
    this.timeIndex = new TimeIndex(baseOffset);
  }

  logFd(): number {
    return this.log.fd();
  }

  /** False once the .log at our path is another file than the one we read (a cleaner swap). */
  isCurrent(): boolean {
    const id = this.log.openedId;
    return id === null || this.io.pathIdSync(this.log.path) === id;
  }

  readableBytes(): number {
    return this.io.fstatSizeSync(this.logFd());
  }

  /**
   * The index's position, checked against the batch header there: while the cleaner swaps a
   * segment, the .index we read may belong to another version of the .log than our descriptor.
   * A mismatch falls back to the segment start (always a batch boundary) and drops the index.
   */
  floorPosition(offset: number, readableBytes: number): number {
    this.loadNewOffsetEntries(readableBytes);
    const entry = this.offsetIndex.floorEntry(offset);
    if (entry.position === 0) return 0;
    const header = Buffer.allocUnsafe(BATCH_HEADER_BYTES);
    const n = readFully(this.io, this.logFd(), header, 0, BATCH_HEADER_BYTES, entry.position);
    if (n === BATCH_HEADER_BYTES && header.readInt8(MAGIC_OFFSET) === CURRENT_MAGIC && Number(header.readBigInt64BE(BASE_OFFSET_OFFSET)) === entry.offset) {
      return entry.position;
    }
    this.staleIndex = true;
    return 0;
  }

  /** Set when the index disagreed with the log; the next refresh reopens this segment. */
  staleIndex = false;

  startOffsetForTimestamp(timestampMs: number): number {
    this.loadNewOffsetEntries();
    this.loadNewTimeEntries();
    return this.timeIndex.startOffsetFor(timestampMs);
  }

  /**
   * Reads offset index entries the writer appended since the last look (whole entries only). The
   * time index is loaded only by timestamp lookups (loadNewTimeEntries): fetches never need it.
   */
  private loadNewOffsetEntries(logBytes = this.readableBytes()): void {
    const indexFd = this.index.fd();
    const indexBytes = this.io.fstatSizeSync(indexFd);
    if (indexBytes < this.indexBytesLoaded) this.resetIndexes(); // rebuilt or cut back by the writer
    const newIndex = readWhole(this.io, indexFd, this.indexBytesLoaded, indexBytes, OFFSET_INDEX_ENTRY_BYTES);
    this.offsetIndex.decodeAppend(newIndex, logBytes); // stops at the first entry the log does not bear out yet
    this.indexBytesLoaded = this.offsetIndex.entryCount * OFFSET_INDEX_ENTRY_BYTES;
  }

  private loadNewTimeEntries(): void {
    const timeIndexFd = this.timeIndexFile.fd();
    const timeBytes = this.io.fstatSizeSync(timeIndexFd);
    if (timeBytes < this.timeBytesLoaded) this.resetIndexes();
    const newTime = readWhole(this.io, timeIndexFd, this.timeBytesLoaded, timeBytes, TIME_INDEX_ENTRY_BYTES);
    this.timeIndex.decodeAppend(newTime, Number.MAX_SAFE_INTEGER);
    this.timeBytesLoaded = this.timeIndex.entryCount * TIME_INDEX_ENTRY_BYTES;
  }

  private resetIndexes(): void {
    this.offsetIndex = new OffsetIndex(this.baseOffset);
    this.timeIndex = new TimeIndex(this.baseOffset);
    this.indexBytesLoaded = 0;
    this.timeBytesLoaded = 0;
  }

  /** Reads in flight on this segment's descriptor (readAt): close() waits for them. */
  private pins = 0;
  private closed = false;

  /**
   * Keeps the .log descriptor open until unpin(), whatever close() or the cache does meanwhile
   * (reopening it if the cache had closed it: ENOENT / ESTALE if the file is gone or replaced).
   */
  pin(): number {
    const fd = this.log.pin();
    this.pins++;
    return fd;
  }

  unpin(): void {
    this.log.unpin();
    this.pins--;
    if (this.pins === 0 && this.closed) this.close();
  }

  /** Closes the descriptors; a pinned .log closes at its last unpin. */
  close(): void {
    this.closed = true;
    if (this.pins > 0) return;
    this.log.close();
    this.index.close();
    this.timeIndexFile.close();
  }
}

function readWhole(io: FileIo, fd: number, from: number, to: number, entryBytes: number): Buffer {
  const length = Math.max(0, to - from) - (Math.max(0, to - from) % entryBytes);
  const buf = Buffer.allocUnsafe(length);
  const n = readFully(io, fd, buf, 0, length, from);
  return buf.subarray(0, n - (n % entryBytes));
}

/** readLocated (segment-read.ts) in libuv's threadpool. */
async function readLocatedAsync(io: FileIo, fd: number, location: BatchLocation, wantBytes: number, maxBytes: number, highWatermark: number, buffers: ReadBuffers): Promise<Buffer> {
  const buf = buffers.acquire(wantBytes);
  try {
    return wholeBatches(buf, await readFullyAsync(io, fd, buf, 0, wantBytes, location.first.position), maxBytes, highWatermark);
  } catch (err) {
    buffers.release(buf);
    throw err;
  }
}

export class LogReader {
  private readonly io: FileIo;
  private readonly readSlots: ReadSlots;
  private readonly files: FdCache;
  private segments: ReaderSegment[] = [];
  private closed = false;

  constructor(
    readonly dir: string,
    options: { io?: FileIo; readSlots?: ReadSlots; files?: FdCache } = {},
  ) {
    this.io = options.io ?? nodeIo;
    this.readSlots = options.readSlots ?? threadpoolReadSlots;
    this.files = options.files ?? defaultFdCache();
    this.refresh();
  }

  /** Re-lists the directory: keeps known segments, drops deleted ones, adds new ones. */
  refresh(): void {
    const baseOffsets = segmentBaseOffsets(this.io.readdirSync(this.dir));
    const known = new Map(this.segments.map((s) => [s.baseOffset, s]));
    this.segments = baseOffsets.map((baseOffset) => {
      const old = known.get(baseOffset);
      // A segment the cleaner replaced (new file at the same name) is reopened.
      const keep = old !== undefined && !old.staleIndex && old.isCurrent();
      if (keep) known.delete(baseOffset);
      return keep ? old : new ReaderSegment(this.io, this.files, this.dir, baseOffset);
    });
    for (const gone of known.values()) gone.close();
  }

  /** Whole batches from `offset`, read into a buffer from `buffers` (see read-buffers.ts for who may release it). */
  read(offset: number, maxBytes: number, highWatermark: number): Buffer {
    return this.withRetry(offset, highWatermark, () => readFromSegments(this.io, this.segments, offset, maxBytes, highWatermark), Buffer.alloc(0));
  }

  /**
   * The first step of readAt: finds, on this thread, the batch holding `offset` below the high
   * watermark. Null when there is none yet (the fetch answers empty). Throws OffsetOutOfRangeError
   * like read(). Call readAt in the same synchronous step: the segment list may change after it.
   */
  locate(offset: number, highWatermark: number): BatchLocation<ReaderSegment> | null {
    const found = this.withRetry<BatchLocation<ReaderSegment> | 'empty'>(offset, highWatermark, () => locateBatches(this.io, this.segments, offset, highWatermark), 'empty');
    return found === 'empty' ? null : found;
  }

  /**
   * Whole batches from a location (locate), up to `maxBytes` (the first one whole even if larger),
   * below `highWatermark`. A read of READ_ASYNC_MIN_BYTES or more runs in libuv's threadpool, so
   * the main thread serves other connections meanwhile and reads of several partitions use several
   * cores; at most the reader's ReadSlots of them run at once (read-slots.ts), each taking its
   * buffer only when it starts. A read pins its segment's .log only once it holds a slot, so the
   * descriptors held by reads stay within the slots however many wait: the descriptor stays open
   * until the read is done, even if the segment is deleted or the reader closed meanwhile. A read
   * that waited and finds its file gone or replaced (its descriptor closed by the cache meanwhile)
   * locates its batch again: out of range if retention deleted it, else the current bytes.
   */
  async readAt(location: BatchLocation<ReaderSegment>, maxBytes: number, highWatermark: number, buffers: ReadBuffers = freshReadBuffers): Promise<Buffer> {
    const wantBytes = readBytesFor(location, maxBytes);
    if (wantBytes < READ_ASYNC_MIN_BYTES) {
      const fd = location.segment.pin(); // pin/unpin: a closed reader's segment closes again after
      try {
        return readLocated(this.io, fd, location, maxBytes, highWatermark, buffers);
      } finally {
        location.segment.unpin();
      }
    }
    const waited = !this.readSlots.tryAcquire();
    if (waited) await this.readSlots.acquire();
    let pinned: BatchLocation<ReaderSegment> | null = null;
    try {
      // Without a wait this is the same synchronous step as locate(): the descriptor it used.
      pinned = waited ? this.pinAfterWait(location, highWatermark) : (location.segment.pin(), location);
      if (pinned === null) return Buffer.alloc(0);
      return await readLocatedAsync(this.io, pinned.segment.logFd(), pinned, readBytesFor(pinned, maxBytes), maxBytes, highWatermark, buffers);
    } finally {
      pinned?.segment.unpin();
      this.readSlots.release();
    }
  }

  /** Pins a location's .log after waiting for a slot; locates again if the file went meanwhile. */
  private pinAfterWait(location: BatchLocation<ReaderSegment>, highWatermark: number): BatchLocation<ReaderSegment> | null {
    try {
      location.segment.pin();
      return location;
    } catch (err) {
      const code = (err as { code?: string }).code;
      if ((code !== 'ENOENT' && code !== 'ESTALE') || this.closed) throw err;
    }
    const again = this.locate(location.first.baseOffset, highWatermark);
    again?.segment.pin(); // just opened by locate, in this same step
    return again;
  }

  offsetForTimestamp(timestampMs: number, highWatermark: number): { offset: number; timestamp: number } | null {
    const result = this.withRetry(0, highWatermark, () => ({ value: offsetForTimestampIn(this.io, this.segments, timestampMs, highWatermark) }), { value: null });
    return result.value;
  }

  /** Runs `attempt`; on a missing file or an offset no known segment holds, refreshes once and retries. */
  private withRetry<T>(offset: number, highWatermark: number, attempt: () => T | null, empty: T): T {
    if (offset > highWatermark) throw new OffsetOutOfRangeError(offset, this.segments[0]?.baseOffset ?? 0, highWatermark);
    for (let round = 0; round < 2; round++) {
      try {
        const result = attempt();
        if (result !== null) return result;
      } catch (err) {
        const code = (err as { code?: string }).code;
        if ((code !== 'ENOENT' && code !== 'ESTALE') || round > 0) throw err;
      }
      this.refresh();
    }
    const first = this.segments[0]?.baseOffset ?? 0;
    if (offset < first) throw new OffsetOutOfRangeError(offset, first, highWatermark);
    return empty;
  }

  close(): void {
    this.closed = true;
    for (const segment of this.segments) segment.close();
    this.segments = [];
  }
}

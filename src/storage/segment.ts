/**
 * One segment as its writer sees it: the .log with its .index and .timeindex (Kafka's LogSegment).
 * Owned by the PartitionLog of one partition worker; not thread-safe. Index entries are written
 * to their files right after the log bytes they point at, so a concurrent reader that finds an
 * entry also finds its batch.
 *
 * The three files are LazyFiles (fd-cache.ts): a segment holds no descriptor until it reads,
 * writes or fsyncs, and its thread's FdCache may close one between two uses.
 */
import { assert } from '../common/assert.js';
import { fileSizeAt, readFully, writeFully, type FileIo } from './io.js';
import type { FdCache, LazyFile } from './fd-cache.js';
import { segmentPaths } from './file-names.js';
import { OFFSET_INDEX_ENTRY_BYTES, OffsetIndex } from './offset-index.js';
import { TIME_INDEX_ENTRY_BYTES, TimeIndex } from './time-index.js';
import type { SegmentView } from './segment-read.js';

/** What a batch being appended contributes to the segment's indexes and statistics. */
export interface AppendedBatch {
  position: number;
  sizeBytes: number;
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
}

export class Segment implements SegmentView {
  readonly paths: { log: string; index: string; timeIndex: string };
  readonly offsetIndex: OffsetIndex;
  readonly timeIndex: TimeIndex;
  sizeBytes = 0;
  /** Offset after the last batch; baseOffset while empty. */
  nextOffset: number;
  maxTimestamp = -1;
  offsetOfMaxTimestamp = -1;
  /**
   * When the segment got its first batch, by the broker's clock: segment.ms counts from it. Kafka
   * counts from the first batch's own timestamp, which makes a producer with old CreateTime
   * timestamps roll a segment per batch; the broker clock does not (after reopen: the open time).
   */
  rollingBasedTimestamp: number | null = null;
  private bytesSinceLastIndexEntry = 0;
  private indexEntriesOnDisk = 0;
  private timeEntriesOnDisk = 0;
  private closed = false;
  private pendingTruncate = false;
  private readonly log: LazyFile;
  private readonly index: LazyFile;
  private readonly timeIndexFile: LazyFile;

  private constructor(
    private readonly io: FileIo,
    files: FdCache,
    dir: string,
    readonly baseOffset: number,
  ) {
    this.paths = segmentPaths(dir, baseOffset);
    this.log = files.file(io, this.paths.log, 'r+');
    this.index = files.file(io, this.paths.index, 'r+');
    this.timeIndexFile = files.file(io, this.paths.timeIndex, 'r+');
    this.offsetIndex = new OffsetIndex(baseOffset);
    this.timeIndex = new TimeIndex(baseOffset);
    this.nextOffset = baseOffset;
  }

  /**
   * The segment of `baseOffset` in `dir`, creating its files if missing (a roll, or an index lost
   * since the last run); `existingNames` (a listing of `dir`) spares the existence checks. Opens
   * no descriptor: the size comes from a stat of the .log.
   */
  static open(io: FileIo, files: FdCache, dir: string, baseOffset: number, existingNames?: ReadonlySet<string>): Segment {
    const segment = new Segment(io, files, dir, baseOffset);
    try {
      for (const file of [segment.log, segment.index, segment.timeIndexFile]) {
        const exists = existingNames === undefined ? io.existsSync(file.path) : existingNames.has(file.path.slice(dir.length + 1));
        if (!exists) {
          // Created empty now (a roll fsyncs the directory right after); reopened with r+ later.
          io.closeSync(io.openSync(file.path, 'w+'));
        }
      }
      segment.sizeBytes = fileSizeAt(io, segment.log.path);
    } catch (err) {
      segment.close();
      throw err;
    }
    return segment;
  }

  logFd(): number {
    return this.log.fd();
  }

  /** Closes the three descriptors (they reopen on the next use): an idle segment holds none. */
  closeDescriptors(): void {
    this.log.close();
    this.index.close();
    this.timeIndexFile.close();
  }

  readableBytes(): number {
    return this.sizeBytes;
  }

  floorPosition(offset: number): number {
    return this.offsetIndex.floorPosition(offset);
  }

  startOffsetForTimestamp(timestampMs: number): number {
    return this.timeIndex.startOffsetFor(timestampMs);
  }

  /** Loads index files written earlier; false if either is damaged or stale (rebuild then). */
  loadIndexes(): boolean {
    const indexBytes = this.readAll(this.index);
    const timeBytes = this.readAll(this.timeIndexFile);
    const ok = this.offsetIndex.decodeAppend(indexBytes, this.sizeBytes) && this.timeIndex.decodeAppend(timeBytes, Number.MAX_SAFE_INTEGER);
    this.indexEntriesOnDisk = this.offsetIndex.entryCount;
    this.timeEntriesOnDisk = this.timeIndex.entryCount;
    if (this.timeIndex.entryCount > 0) this.maxTimestamp = this.timeIndex.lastTimestamp();
    return ok;
  }

  /**
   * For a segment the cleaner just wrote: takes its index entries (already in the files being
   * swapped in) and its statistics, instead of reading files that may still be the old ones.
   */
  adoptCleaned(indexBytes: Buffer, timeBytes: Buffer, nextOffset: number, maxTimestamp: number, offsetOfMaxTimestamp: number): void {
    this.offsetIndex.decodeAppend(indexBytes, this.sizeBytes);
    this.timeIndex.decodeAppend(timeBytes, Number.MAX_SAFE_INTEGER);
    this.indexEntriesOnDisk = this.offsetIndex.entryCount;
    this.timeEntriesOnDisk = this.timeIndex.entryCount;
    this.nextOffset = nextOffset;
    this.maxTimestamp = maxTimestamp;
    this.offsetOfMaxTimestamp = offsetOfMaxTimestamp;
  }

  /** After the cleaner renamed new index files over the old: the next use opens the new ones. */
  reopenIndexFiles(): void {
    this.index.close();
    this.timeIndexFile.close();
  }

  /** Forgets all index entries, in memory and on disk, before a rebuild by `observe`. */
  resetIndexes(): void {
    this.offsetIndex.truncateEntries(0);
    this.timeIndex.truncateEntries(0);
    this.io.ftruncateSync(this.index.fd(), 0);
    this.io.ftruncateSync(this.timeIndexFile.fd(), 0);
    this.indexEntriesOnDisk = 0;
    this.timeEntriesOnDisk = 0;
    this.bytesSinceLastIndexEntry = 0;
    this.maxTimestamp = -1;
    this.offsetOfMaxTimestamp = -1;
  }

  /** Accounts for a batch now at `position` (appended or found by a scan): indexes and stats. */
  observe(batch: AppendedBatch): void {
    assert(batch.baseOffset >= this.nextOffset, `offsets increase: ${batch.baseOffset} after ${this.nextOffset}`);
    if (batch.maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = batch.maxTimestamp;
      this.offsetOfMaxTimestamp = batch.lastOffset;
    }
    if (this.bytesSinceLastIndexEntry > this.indexIntervalBytes) {
      this.offsetIndex.add(batch.baseOffset, batch.position);
      this.timeIndex.maybeAdd(this.maxTimestamp, this.offsetOfMaxTimestamp);
      this.bytesSinceLastIndexEntry = 0;
    }
    this.bytesSinceLastIndexEntry += batch.sizeBytes;
    this.nextOffset = batch.lastOffset + 1;
    this.sizeBytes = Math.max(this.sizeBytes, batch.position + batch.sizeBytes);
  }

  indexIntervalBytes = 4096;

  /**
   * Writes `length` bytes of `buf` at the end of the .log with one write, then the index entries
   * the batches produced, then (with `fsync`) fsyncs the three files. On failure, a failed fsync
   * included, everything is cut back to where it was and the error rethrown: the caller answers
   * the produce with a retriable error, so bytes left behind would be appended twice on retry.
   */
  append(buf: Uint8Array, offset: number, length: number, batches: readonly AppendedBatch[], fsync = false): void {
    assert(!this.closed, 'append to a closed segment');
    this.truncateFilesToState();
    const saved = this.saveState();
    try {
      writeFully(this.io, this.log.fd(), buf, offset, length, saved.sizeBytes);
      for (const batch of batches) this.observe(batch);
      this.writePendingIndexEntries();
      if (fsync) this.flush();
    } catch (err) {
      this.restoreState(saved);
      throw err;
    }
  }

  /** Whether writePendingIndexEntries() would write anything. */
  hasPendingIndexEntries(): boolean {
    return this.offsetIndex.entryCount > this.indexEntriesOnDisk || this.timeIndex.entryCount > this.timeEntriesOnDisk;
  }

  /** Appends index entries held in memory but not yet in the files. */
  writePendingIndexEntries(): void {
    if (this.offsetIndex.entryCount > this.indexEntriesOnDisk) {
      const bytes = this.offsetIndex.encode(this.indexEntriesOnDisk);
      writeFully(this.io, this.index.fd(), bytes, 0, bytes.length, this.indexEntriesOnDisk * OFFSET_INDEX_ENTRY_BYTES);
      this.indexEntriesOnDisk = this.offsetIndex.entryCount;
    }
    if (this.timeIndex.entryCount > this.timeEntriesOnDisk) {
      const bytes = this.timeIndex.encode(this.timeEntriesOnDisk);
      writeFully(this.io, this.timeIndexFile.fd(), bytes, 0, bytes.length, this.timeEntriesOnDisk * TIME_INDEX_ENTRY_BYTES);
      this.timeEntriesOnDisk = this.timeIndex.entryCount;
    }
  }

  /** Before a roll: record the segment's largest timestamp in the time index (as Kafka does). */
  seal(): void {
    if (this.maxTimestamp >= 0) this.timeIndex.maybeAdd(this.maxTimestamp, this.offsetOfMaxTimestamp);
    this.writePendingIndexEntries();
  }

  flush(): void {
    this.io.fsyncSync(this.log.fd());
    this.io.fsyncSync(this.index.fd());
    this.io.fsyncSync(this.timeIndexFile.fd());
  }

  /** Cuts the .log at `position` (recovery of a damaged tail); indexes must be rebuilt after. */
  truncateLog(position: number): void {
    this.io.ftruncateSync(this.log.fd(), position);
    this.sizeBytes = position;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.closeDescriptors(); // best effort: a descriptor may be dead after a simulated crash
  }

  deleteFiles(): void {
    this.close();
    for (const path of [this.paths.log, this.paths.index, this.paths.timeIndex]) {
      if (this.io.existsSync(path)) this.io.unlinkSync(path);
    }
  }

  /** A whole index file; an empty one (most of them in an idle partition) without opening it. */
  private readAll(file: LazyFile): Buffer {
    if (!file.isOpen && fileSizeAt(this.io, file.path) === 0) return Buffer.alloc(0);
    return file.use((fd) => {
      const size = this.io.fstatSizeSync(fd);
      const buf = Buffer.allocUnsafe(size);
      readFully(this.io, fd, buf, 0, size, 0);
      return buf;
    });
  }

  private saveState() {
    return {
      sizeBytes: this.sizeBytes,
      nextOffset: this.nextOffset,
      maxTimestamp: this.maxTimestamp,
      offsetOfMaxTimestamp: this.offsetOfMaxTimestamp,
      rollingBasedTimestamp: this.rollingBasedTimestamp,
      bytesSinceLastIndexEntry: this.bytesSinceLastIndexEntry,
      indexEntries: this.offsetIndex.entryCount,
      timeEntries: this.timeIndex.entryCount,
      indexEntriesOnDisk: this.indexEntriesOnDisk,
      timeEntriesOnDisk: this.timeEntriesOnDisk,
    };
  }

  /** Undoes a failed append. If the truncation itself fails, the error propagates (log offline). */
  private restoreState(saved: ReturnType<Segment['saveState']>): void {
    this.sizeBytes = saved.sizeBytes;
    this.nextOffset = saved.nextOffset;
    this.maxTimestamp = saved.maxTimestamp;
    this.offsetOfMaxTimestamp = saved.offsetOfMaxTimestamp;
    this.rollingBasedTimestamp = saved.rollingBasedTimestamp;
    this.bytesSinceLastIndexEntry = saved.bytesSinceLastIndexEntry;
    this.offsetIndex.truncateEntries(saved.indexEntries);
    this.timeIndex.truncateEntries(saved.timeEntries);
    this.indexEntriesOnDisk = saved.indexEntriesOnDisk;
    this.timeEntriesOnDisk = saved.timeEntriesOnDisk;
    this.pendingTruncate = true;
    try {
      this.truncateFilesToState();
    } catch {
      // retried before the next append; the caller reports the original error
    }
  }

  /** Cuts the three files to the in-memory sizes, after a failed append left bytes past them. */
  private truncateFilesToState(): void {
    if (!this.pendingTruncate) return;
    this.io.ftruncateSync(this.log.fd(), this.sizeBytes);
    this.io.ftruncateSync(this.index.fd(), this.indexEntriesOnDisk * OFFSET_INDEX_ENTRY_BYTES);
    this.io.ftruncateSync(this.timeIndexFile.fd(), this.timeEntriesOnDisk * TIME_INDEX_ENTRY_BYTES);
    this.pendingTruncate = false;
  }
}

/**
 * The log of one partition: ordered segments, offset assignment, roll, flush, retention and the
 * idempotent-producer check (Kafka's UnifiedLog, single replica). Owned by exactly one thread, the
 * partition's worker (DESIGN.md rule 1); not thread-safe. Other threads read through LogReader.
 *
 * The high watermark equals the log end offset: on a single host an appended batch is committed
 * once written (flush.messages decides when it is also fsynced).
 */
import { assert } from '../common/assert.js';
import { CorruptRecordError, StorageError } from '../common/errors.js';
import { systemClock, type Clock } from '../common/clock.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { crc32c } from '../protocol/crc32c.js';
import { ATTRIBUTES_OFFSET, ATTR_TIMESTAMP_TYPE_LOG_APPEND, CRC_OFFSET, MAX_TIMESTAMP_OFFSET, writeBaseOffset } from '../protocol/record-batch.js';
import { CLEAN_SHUTDOWN_FILE, PRODUCER_SNAPSHOT_FILE } from './file-names.js';
import { nodeIo, writeFileAtomic, type FileIo } from './io.js';
import type { LogConfig } from './log-config.js';
import { loadLog, writeCheckpoint } from './log-loader.js';
import { OffsetOutOfRangeError } from './errors.js';
import { ProducerStateManager } from './producer-state.js';
import { Segment, type AppendedBatch } from './segment.js';
import { offsetForTimestampIn, readFromSegments } from './segment-read.js';
import { freshReadBuffers, type ReadBuffers } from './read-buffers.js';
import { appendError, checkProducers, frameBatches, type FramedBatch } from './append-checks.js';
import { cleanableSegments, cleanLog, compactionDueMs, readCleanerCheckpoint, type CleanerCheckpoint, type CleanerStats, type CleanerStep } from './log-cleaner.js';
import { indexesWouldOverflow, SegmentRollPolicy } from './segment-roll.js';
import { DelayedDeletes } from './delayed-deletes.js';

/** Test hooks: called after each step of a roll or a cleaner swap; a throw there simulates a crash. */
export interface LogTestHooks {
  afterRollStep?: (step: 'sealed' | 'opened' | 'dir-synced') => void;
  afterCleanerStep?: (step: CleanerStep) => void;
}

export interface AppendResult {
  errorCode: number;
  baseOffset: number;
  lastOffset: number;
  logAppendTimeMs: number;
  duplicate: boolean;
}

/** Relative offsets in the index are int32: roll before a segment spans more. */
const RELATIVE_OFFSET_MAX = 2 ** 31 - 1;
/** How often tick() rewrites the recovery-point checkpoint (Kafka: 60 s). */
const CHECKPOINT_INTERVAL_MS = 60_000;
/** Dirty bytes one cleaning pass maps (bounds the offset map and the time tick() blocks appends). */
export const CLEAN_BYTES_PER_PASS_DEFAULT = 64 * 1024 * 1024;

export class PartitionLog {
  private readonly io: FileIo;
  private readonly clock: Clock;
  private segments: Segment[];
  private producerState: ProducerStateManager;
  private logStartOffsetValue: number;
  private recoveryPointValue: number;
  private unflushedRecordCount = 0;
  /** Rolled segments not yet fsynced: a roll does not wait for the disk; the next flush() does. */
  private unflushedSegments: Segment[] = [];
  private lastFlushMs: number;
  private lastCheckpointMs: number;
  private closed = false;
  private cleanerCheckpoint: CleanerCheckpoint;
  /** segment.jitter.ms and max.compaction.lag.ms in roll decisions (segment-roll.ts). */
  private readonly rollPolicy: SegmentRollPolicy;
  /** file.delete.delay.ms (delayed-deletes.ts). */
  private readonly delayedDeletes: DelayedDeletes;

  private constructor(
    readonly dir: string,
    private config: LogConfig,
    io: FileIo,
    clock: Clock,
    private readonly hooks: LogTestHooks = {},
    random?: () => number,
  ) {
    this.io = io;
    this.clock = clock;
    this.rollPolicy = new SegmentRollPolicy(random);
    this.delayedDeletes = new DelayedDeletes(io);
    const loaded = loadLog(io, dir, config.indexIntervalBytes);
    this.segments = loaded.segments;
    this.producerState = loaded.producerState;
    this.logStartOffsetValue = loaded.logStartOffset;
    this.recoveryPointValue = loaded.recoveryPoint;
    this.lastFlushMs = clock.nowMs();
    if (this.active.sizeBytes > 0) this.active.rollingBasedTimestamp = this.lastFlushMs;
    this.lastCheckpointMs = this.lastFlushMs;
    this.cleanerCheckpoint = readCleanerCheckpoint(io, dir);
  }

  /** Opens (creating if missing) and recovers the log in `dir`. Never throws on a damaged tail. */
  static open(dir: string, config: LogConfig, options: { io?: FileIo; clock?: Clock; hooks?: LogTestHooks; random?: () => number } = {}): PartitionLog {
    try {
      return new PartitionLog(dir, config, options.io ?? nodeIo, options.clock ?? systemClock, options.hooks, options.random);
    } catch (err) {
      if (err instanceof Error && 'code' in err && typeof (err as { errno?: unknown }).errno === 'number') {
        throw new StorageError(`cannot open log ${dir}: ${err.message}`, err);
      }
      throw err;
    }
  }

  get logStartOffset(): number {
    return this.logStartOffsetValue;
  }
  get logEndOffset(): number {
    return this.active.nextOffset;
  }
  get highWatermark(): number {
    return this.active.nextOffset;
  }
  get recoveryPoint(): number {
    return this.recoveryPointValue;
  }
  get sizeBytes(): number {
    let total = 0;
    for (const segment of this.segments) total += segment.sizeBytes;
    return total;
  }
  get segmentCount(): number {
    return this.segments.length;
  }
  /** Base offsets of the segments, oldest first (for tests and stats). */
  /** The idempotent producers this log remembers (DescribeProducers). */
  activeProducers(): ReturnType<ProducerStateManager['describe']> {
    return this.producerState.describe();
  }

  segmentBaseOffsets(): number[] {
    return this.segments.map((s) => s.baseOffset);
  }

  private get active(): Segment {
    return this.segments[this.segments.length - 1]!;
  }

  /**
   * Appends whole batches laid end to end in `batches` with one write, assigning offsets in place.
   * Client mistakes come back as an errorCode with nothing written; I/O failure throws StorageError
   * after cutting the files back, so the log stays as it was.
   */
  append(batches: Uint8Array): AppendResult {
    assert(!this.closed, 'append to a closed log');
    const buf = Buffer.from(batches.buffer, batches.byteOffset, batches.byteLength);
    const nowMs = this.clock.nowMs();
    const framed = frameBatches(buf, this.config, nowMs);
    if (!Array.isArray(framed)) return appendError(framed.errorCode);
    const producerCheck = checkProducers(this.producerState, framed);
    if (producerCheck.kind === 'error') return appendError(producerCheck.errorCode);
    if (producerCheck.kind === 'duplicate') {
      return { errorCode: ErrorCode.NONE, baseOffset: producerCheck.baseOffset, lastOffset: producerCheck.lastOffset, logAppendTimeMs: -1, duplicate: true };
    }
    if (buf.length > this.config.segmentBytes) return appendError(ErrorCode.RECORD_LIST_TOO_LARGE);

    const lastOffsetDeltaTotal = framed.reduce((sum, b) => sum + b.lastOffsetDelta + 1, 0);
    if (this.shouldRoll(buf.length, lastOffsetDeltaTotal, nowMs) || this.indexesFull(framed.length)) this.roll();

    const logAppendTime = this.config.messageTimestampType === 'LogAppendTime';
    const segmentPosition = this.active.sizeBytes;
    let nextOffset = this.logEndOffset;
    const appended: AppendedBatch[] = [];
    let recordCount = 0;
    for (const batch of framed) {
      writeBaseOffset(buf, batch.position, nextOffset);
      if (logAppendTime) stampLogAppendTime(buf, batch, nowMs);
      const lastOffset = nextOffset + batch.lastOffsetDelta;
      appended.push({ position: segmentPosition + batch.position, sizeBytes: batch.sizeBytes, baseOffset: nextOffset, lastOffset, maxTimestamp: logAppendTime ? nowMs : batch.maxTimestamp });
      recordCount += batch.recordsCount;
      nextOffset = lastOffset + 1;
    }
    // flush.messages reached: the fsync is part of the append, so a failed fsync cuts the batch
    // back like a failed write (the produce fails and its retry must not find it already there).
    const flushNow = this.unflushedRecordCount + recordCount >= this.config.flushMessages;
    try {
      if (flushNow) for (const segment of this.unflushedSegments) segment.flush(); // sealed: nothing to undo
      this.active.append(buf, 0, buf.length, appended, flushNow);
    } catch (err) {
      throw new StorageError(`append to ${this.dir} failed: ${(err as Error).message}`, err);
    }
    this.active.rollingBasedTimestamp ??= nowMs;
    for (let i = 0; i < framed.length; i++) {
      const batch = framed[i]!;
      if (batch.producerId >= 0) {
        this.producerState.update(batch.producerId, batch.producerEpoch, batch.baseSequence, batch.lastOffsetDelta, appended[i]!.baseOffset, appended[i]!.lastOffset);
      }
    }
    if (flushNow) {
      this.unflushedSegments = [];
      this.markFlushed();
    } else {
      this.unflushedRecordCount += recordCount;
    }
    return {
      errorCode: ErrorCode.NONE,
      baseOffset: appended[0]!.baseOffset,
      lastOffset: appended[appended.length - 1]!.lastOffset,
      logAppendTimeMs: logAppendTime ? nowMs : -1,
      duplicate: false,
    };
  }

  private shouldRoll(bytes: number, offsetCount: number, nowMs: number): boolean {
    const active = this.active;
    if (active.sizeBytes === 0) return false;
    if (active.sizeBytes + bytes > this.config.segmentBytes) return true;
    if (active.nextOffset + offsetCount - 1 - active.baseOffset > RELATIVE_OFFSET_MAX) return true;
    return this.rollPolicy.rollDueMs(active, this.config) <= nowMs;
  }

  /** segment.index.bytes: roll before `batchCount` more batches could overfill an index. */
  private indexesFull(batchCount: number): boolean {
    const active = this.active;
    return active.sizeBytes > 0 && indexesWouldOverflow(active.offsetIndex.entryCount, active.timeIndex.entryCount, batchCount, this.config);
  }

  /**
   * Seals and fsyncs the active segment and starts a new one at the log end offset, so what
   * survives a power loss is always a prefix of the log. The recovery point still moves only on
   * flush(), so a crash rescans the sealed segment.
   */
  roll(): void {
    const old = this.active;
    if (old.sizeBytes === 0) return;
    let opened: Segment | null = null;
    try {
      old.seal();
      // fsync the sealed segment before any byte goes to the next one: otherwise a power loss can
      // keep the new segment and cut the old one, leaving an offset gap with later records present
      // (test/sim/power-loss.test.ts). One fsync per segment.bytes costs nothing measurable.
      old.flush();
      this.hooks.afterRollStep?.('sealed');
      opened = Segment.open(this.io, this.dir, old.nextOffset);
      opened.indexIntervalBytes = this.config.indexIntervalBytes;
      this.hooks.afterRollStep?.('opened');
      this.io.fsyncDirSync(this.dir);
      this.hooks.afterRollStep?.('dir-synced');
      this.segments.push(opened);
      this.unflushedSegments.push(old);
    } catch (err) {
      // Not in this.segments: nobody else would close it. Its empty files stay and are reopened
      // by the next roll (or loaded as the active segment after a restart).
      opened?.close();
      throw new StorageError(`roll of ${this.dir} failed: ${(err as Error).message}`, err);
    }
  }

  /** Whole batches from `offset`, read into a buffer from `buffers` (see read-buffers.ts for who may release it). */
  read(offset: number, maxBytes: number, maxOffset: number = this.highWatermark, buffers: ReadBuffers = freshReadBuffers): Buffer {
    if (offset < this.logStartOffsetValue || offset > this.logEndOffset) {
      throw new OffsetOutOfRangeError(offset, this.logStartOffsetValue, this.logEndOffset);
    }
    return readFromSegments(this.io, this.segments, offset, maxBytes, Math.min(maxOffset, this.highWatermark), buffers) ?? Buffer.alloc(0);
  }

  offsetForTimestamp(timestampMs: number): { offset: number; timestamp: number } | null {
    return offsetForTimestampIn(this.io, this.segments, timestampMs, this.highWatermark, this.logStartOffsetValue);
  }

  flush(): void {
    try {
      for (const segment of this.unflushedSegments) segment.flush();
      this.unflushedSegments = [];
      this.active.flush();
    } catch (err) {
      throw new StorageError(`fsync of ${this.dir} failed: ${(err as Error).message}`, err);
    }
    this.markFlushed();
  }

  private markFlushed(): void {
    this.recoveryPointValue = this.logEndOffset;
    this.unflushedRecordCount = 0;
    this.lastFlushMs = this.clock.nowMs();
  }

  /**
   * Clock-driven work: flush.ms, segment.ms roll (jitter, max.compaction.lag.ms), retention,
   * compaction (dirty ratio, min/max.compaction.lag.ms: compactionDueMs), delayed file deletes,
   * periodic checkpoint.
   */
  tick(): void {
    const nowMs = this.clock.nowMs();
    if (this.unflushedRecordCount > 0 && nowMs - this.lastFlushMs >= this.config.flushMs) this.flush();
    if (this.rollPolicy.rollDueMs(this.active, this.config) <= nowMs) this.roll();
    if (this.config.cleanupPolicy.includes('delete')) this.applyRetention(nowMs);
    if (this.config.cleanupPolicy.includes('compact') && this.uncleanableReason === null
      && compactionDueMs(this.io, this.segments.slice(0, -1), this.cleanerCheckpoint.firstDirtyOffset, this.config, nowMs) <= nowMs) this.cleanOrMarkUncleanable();
    if (this.delayedDeletes.nextDueMs() <= nowMs) this.delayedDeletes.tick(nowMs);
    if (nowMs - this.lastCheckpointMs >= CHECKPOINT_INTERVAL_MS) this.checkpoint();
  }

  /**
   * Why the cleaner gave up on this log (a corrupt batch in a closed segment), or null. Like
   * Kafka's "uncleanable partitions": the log keeps serving appends and reads, tick() stops
   * trying to compact it (each attempt would fail the same way), and an explicit clean() still
   * throws. Reset by reopening the log.
   */
  uncleanableReason: string | null = null;

  private cleanOrMarkUncleanable(): void {
    try {
      this.clean();
    } catch (err) {
      if (!(err instanceof CorruptRecordError)) throw err;
      this.uncleanableReason = err.message;
    }
  }

  /**
   * One compaction pass over the closed segments (log-cleaner.ts), whatever the dirty ratio:
   * maps at most `maxBytes` of dirty segments (at least one) and rewrites the segments up to
   * there. tick() calls it when min.cleanable.dirty.ratio is reached on a compacted topic.
   */
  clean(maxBytes: number = CLEAN_BYTES_PER_PASS_DEFAULT): CleanerStats {
    assert(!this.closed, 'clean of a closed log');
    try {
      return cleanLog({
        io: this.io,
        dir: this.dir,
        config: this.config,
        nowMs: this.clock.nowMs(),
        segments: cleanableSegments(this.segments.slice(0, -1), this.cleanerCheckpoint.firstDirtyOffset, this.config, this.clock.nowMs()),
        checkpoint: this.cleanerCheckpoint,
        producerLastBatches: this.producerState.lastBatchBaseOffsets(),
        maxBytes,
        replace: (replaced, cleaned) => {
          const at = this.segments.indexOf(replaced[0]!);
          assert(at >= 0 && this.segments[at + replaced.length - 1] === replaced[replaced.length - 1], 'cleaned group is contiguous');
          this.segments.splice(at, replaced.length, cleaned);
          this.unflushedSegments = this.unflushedSegments.filter((s) => !replaced.includes(s));
        },
        afterStep: this.hooks.afterCleanerStep,
        deleteLater: (paths) => this.delayedDeletes.later(paths, this.clock.nowMs(), this.config.fileDeleteDelayMs),
      });
    } catch (err) {
      if (err instanceof Error && 'errno' in err) throw new StorageError(`cleaning of ${this.dir} failed: ${err.message}`, err);
      throw err;
    }
  }

  /** Deletes whole segments (never the active one) past retention.ms or retention.bytes. */
  private applyRetention(nowMs: number): void {
    let totalBytes = this.sizeBytes;
    let deleteCount = 0;
    for (let i = 0; i < this.segments.length - 1; i++) {
      const segment = this.segments[i]!;
      const expired = this.config.retentionMs >= 0 && segment.maxTimestamp >= 0 && nowMs - segment.maxTimestamp > this.config.retentionMs;
      const oversize = this.config.retentionBytes >= 0 && totalBytes - segment.sizeBytes >= this.config.retentionBytes;
      if (!expired && !oversize) break;
      totalBytes -= segment.sizeBytes;
      deleteCount++;
    }
    if (deleteCount > 0) this.deleteOldestSegments(deleteCount);
  }

  /**
   * DeleteRecords: moves logStartOffset to `offset` (persisted) and drops segments wholly below it.
   * Nothing moves in memory before the checkpoint is written: a failed call must leave a retry
   * something to persist, not an early "already there" answer that a restart would undo.
   */
  deleteRecordsBefore(offset: number): number {
    if (offset < 0 || offset > this.highWatermark) throw new OffsetOutOfRangeError(offset, this.logStartOffsetValue, this.highWatermark);
    if (offset <= this.logStartOffsetValue) return this.logStartOffsetValue;
    let deleteCount = 0;
    while (deleteCount < this.segments.length - 1 && this.segments[deleteCount + 1]!.baseOffset <= offset) deleteCount++;
    this.deleteOldestSegments(deleteCount, offset);
    return this.logStartOffsetValue;
  }

  /**
   * Checkpoint the new logStartOffset first, then forget and delete the segments: a failed
   * checkpoint changes nothing, and a crash between the two only leaves garbage.
   */
  private deleteOldestSegments(count: number, logStartOffset = this.segments[count]!.baseOffset): void {
    const newLogStartOffset = Math.max(this.logStartOffsetValue, logStartOffset, this.segments[count]!.baseOffset);
    try {
      this.checkpoint(newLogStartOffset);
    } catch (err) {
      throw new StorageError(`moving the log start of ${this.dir} failed: ${(err as Error).message}`, err);
    }
    const doomed = this.segments.slice(0, count);
    this.segments = this.segments.slice(count);
    this.unflushedSegments = this.unflushedSegments.filter((s) => !doomed.includes(s));
    this.logStartOffsetValue = newLogStartOffset;
    this.producerState.retainFrom(newLogStartOffset);
    try {
      for (const segment of doomed) {
        segment.close();
        this.delayedDeletes.delete(Object.values(segment.paths), this.clock.nowMs(), this.config.fileDeleteDelayMs);
      }
    } catch (err) {
      throw new StorageError(`retention in ${this.dir} failed: ${(err as Error).message}`, err);
    }
  }

  private checkpoint(logStartOffset = this.logStartOffsetValue): void {
    writeCheckpoint(this.io, this.dir, { recoveryPoint: this.recoveryPointValue, logStartOffset });
    this.lastCheckpointMs = this.clock.nowMs();
  }

  updateConfig(config: LogConfig): void {
    this.config = config;
    for (const segment of this.segments) segment.indexIntervalBytes = config.indexIntervalBytes;
  }

  /** Flushes, writes the producer snapshot, checkpoint and clean-shutdown marker, closes files. */
  close(): void {
    if (this.closed) return;
    try {
      this.flush();
      writeFileAtomic(this.io, this.dir, PRODUCER_SNAPSHOT_FILE, this.producerState.snapshot(this.logEndOffset));
      this.checkpoint();
      writeFileAtomic(this.io, this.dir, CLEAN_SHUTDOWN_FILE, Buffer.alloc(0));
    } finally {
      this.closed = true;
      for (const segment of this.segments) segment.close();
      try {
        this.delayedDeletes.flushAll();
      } catch {
        // best effort: the loader removes leftover .deleted files at the next open
      }
    }
  }

  /** Closes without the marker and removes the directory (topic deletion). */
  delete(): void {
    this.closed = true;
    for (const segment of this.segments) segment.close();
    this.io.rmSync(this.dir);
  }
}

/** LogAppendTime: the broker's clock becomes maxTimestamp, the type bit is set, the CRC redone. */
function stampLogAppendTime(buf: Buffer, batch: FramedBatch, nowMs: number): void {
  const pos = batch.position;
  buf.writeBigInt64BE(BigInt(nowMs), pos + MAX_TIMESTAMP_OFFSET);
  buf.writeInt16BE(buf.readInt16BE(pos + ATTRIBUTES_OFFSET) | ATTR_TIMESTAMP_TYPE_LOG_APPEND, pos + ATTRIBUTES_OFFSET);
  buf.writeUInt32BE(crc32c(buf.subarray(pos + ATTRIBUTES_OFFSET, pos + batch.sizeBytes)), pos + CRC_OFFSET);
}


/**
 * The log of one partition: ordered segments, offset assignment, roll, flush, retention and the
 * idempotent-producer check (Kafka's UnifiedLog, single replica). Owned by exactly one thread, the
 * partition's worker (DESIGN.md rule 1); not thread-safe. Other threads read through LogReader.
 *
 * The high watermark equals the log end offset: on a single host an appended batch is committed
 * once written (flush.messages decides when it is also fsynced).
 *
 * Scale: an idle log costs no descriptor (its segments' files are LazyFiles in the thread's
 * FdCache), no timer (a scheduler calls tick() at nextDeadlineMs()) and, when it was closed
 * cleanly and is only read, no write or fsync at open or close (clean-shutdown.ts).
 */
import { assert } from '../common/assert.js';
import { CorruptRecordError, StorageError } from '../common/errors.js';
import type { Clock } from '../common/clock.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { PRODUCER_SNAPSHOT_FILE } from './file-names.js';
import { writeFileAtomic, type FileIo } from './io.js';
import type { LogConfig } from './log-config.js';
import { loadLog, loadLogAsync, writeCheckpoint, type LoadedLog } from './log-loader.js';
import type { CleanShutdownMarker } from './clean-shutdown.js';
import type { FdCache } from './fd-cache.js';
import type { CrcPool } from './crc-pool.js';
import { checkpointDueMs, flushDueMs, retentionDeleteCount, retentionDueMs } from './log-deadlines.js';
import { resolveOptions, wrapOpenError, type AppendResult, type LogTestHooks, type PartitionLogOptions, type RecoveryInfo } from './log-options.js';
import { OffsetOutOfRangeError } from './errors.js';
import { ProducerStateManager } from './producer-state.js';
import { Segment } from './segment.js';
import { offsetForTimestampIn, readFromSegments } from './segment-read.js';
import { freshReadBuffers, type ReadBuffers } from './read-buffers.js';
import { appendError, assignOffsets, checkProducers, frameBatches } from './append-checks.js';
import { cleanableSegments, cleanLog, compactionDueMs, readCleanerCheckpoint, type CleanerCheckpoint, type CleanerStats } from './log-cleaner.js';
import { indexesWouldOverflow, SegmentRollPolicy } from './segment-roll.js';
import { DelayedDeletes } from './delayed-deletes.js';

export type { AppendResult, LogTestHooks, PartitionLogOptions, RecoveryInfo } from './log-options.js';

/** Relative offsets in the index are int32: roll before a segment spans more. */
const RELATIVE_OFFSET_MAX = 2 ** 31 - 1;
/** How often tick() rewrites the recovery-point checkpoint (Kafka: 60 s). */
const CHECKPOINT_INTERVAL_MS = 60_000;
/** Dirty bytes one cleaning pass maps (bounds the offset map and the time tick() blocks appends). */
export const CLEAN_BYTES_PER_PASS_DEFAULT = 64 * 1024 * 1024;

/** The time-based work tick() does, in the order it does it. */
const DEADLINE_KINDS = ['flush', 'roll', 'retention', 'cleaning', 'deletes', 'checkpoint'] as const;
type DeadlineKind = (typeof DEADLINE_KINDS)[number];

export class PartitionLog {
  private readonly io: FileIo;
  private readonly clock: Clock;
  private segments: Segment[];
  private producerState: ProducerStateManager;
  private logStartOffsetValue: number;
  private recoveryPointValue: number;
  private unflushedRecordCount = 0;
  /** When the oldest append not yet fsynced happened (flush.ms counts from it), or null. */
  private firstUnflushedAppendMs: number | null = null;
  /** Rolled segments not yet fsynced: a roll does not wait for the disk; the next flush() does. */
  private unflushedSegments: Segment[] = [];
  private lastCheckpointMs: number;
  /** What the checkpoint file holds: the periodic checkpoint is rewritten only when this changed. */
  private checkpointed: { recoveryPoint: number; logStartOffset: number };
  private closed = false;
  private cleanerCheckpoint: CleanerCheckpoint;
  private readonly marker: CleanShutdownMarker;
  private readonly files: FdCache;
  readonly recovery: RecoveryInfo;
  /** segment.jitter.ms and max.compaction.lag.ms in roll decisions (segment-roll.ts). */
  private readonly rollPolicy: SegmentRollPolicy;
  /** file.delete.delay.ms (delayed-deletes.ts). */
  private readonly delayedDeletes: DelayedDeletes;

  private constructor(
    readonly dir: string,
    private config: LogConfig,
    loaded: LoadedLog,
    options: Required<Omit<PartitionLogOptions, 'hooks'>>,
    private readonly hooks: LogTestHooks = {},
  ) {
    this.io = options.io;
    this.clock = options.clock;
    this.files = options.files;
    this.rollPolicy = new SegmentRollPolicy(options.random);
    this.delayedDeletes = new DelayedDeletes(options.io);
    this.segments = loaded.segments;
    this.producerState = loaded.producerState;
    this.logStartOffsetValue = loaded.logStartOffset;
    this.recoveryPointValue = loaded.recoveryPoint;
    this.marker = loaded.marker;
    this.recovery = { cleanShutdown: loaded.cleanShutdown, fullyScannedSegmentCount: loaded.fullyScannedSegmentCount, truncatedBytes: loaded.truncatedBytes };
    const nowMs = this.clock.nowMs();
    if (this.active.sizeBytes > 0) this.active.rollingBasedTimestamp = nowMs;
    this.lastCheckpointMs = nowMs;
    this.checkpointed = { recoveryPoint: loaded.recoveryPoint, logStartOffset: loaded.logStartOffset };
    this.cleanerCheckpoint = readCleanerCheckpoint(this.io, dir, loaded.names);
  }

  /** Opens (creating if missing) and recovers the log in `dir`. Never throws on a damaged tail. */
  static open(dir: string, config: LogConfig, options: PartitionLogOptions = {}): PartitionLog {
    const resolved = resolveOptions(options);
    return wrapOpenError(dir, () => new PartitionLog(dir, config, loadLog(resolved.io, dir, { files: resolved.files, indexIntervalBytes: config.indexIntervalBytes }), resolved, options.hooks));
  }

  /**
   * open() with the CRC-32C checks of large segments' recovery scans run in `crcPool`
   * (crc-pool.ts): the same result, sooner on several cores. Async because the pool answers
   * through this thread's event loop; without a pool it is open().
   */
  static async openAsync(dir: string, config: LogConfig, options: PartitionLogOptions & { crcPool?: CrcPool; crcRangeBytes?: number } = {}): Promise<PartitionLog> {
    const { crcPool, crcRangeBytes } = options;
    if (crcPool === undefined) return PartitionLog.open(dir, config, options);
    const resolved = resolveOptions(options);
    const loading = loadLogAsync(resolved.io, dir, { files: resolved.files, indexIntervalBytes: config.indexIntervalBytes, crcPool, crcRangeBytes });
    const loaded = await loading.catch((err: unknown) => wrapOpenError<never>(dir, () => { throw err; }));
    return new PartitionLog(dir, config, loaded, resolved, options.hooks);
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

    this.beforeMutation();
    const lastOffsetDeltaTotal = framed.reduce((sum, b) => sum + b.lastOffsetDelta + 1, 0);
    if (this.shouldRoll(buf.length, lastOffsetDeltaTotal, nowMs) || this.indexesFull(framed.length)) this.roll();

    const logAppendTime = this.config.messageTimestampType === 'LogAppendTime';
    const { appended, recordCount } = assignOffsets(buf, framed, this.active.sizeBytes, this.logEndOffset, logAppendTime ? nowMs : null);
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
      this.firstUnflushedAppendMs ??= nowMs;
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
    this.beforeMutation();
    let opened: Segment | null = null;
    try {
      old.seal();
      // fsync the sealed segment before any byte goes to the next one: otherwise a power loss can
      // keep the new segment and cut the old one, leaving an offset gap with later records present
      // (test/sim/power-loss.test.ts). One fsync per segment.bytes costs nothing measurable.
      old.flush();
      this.hooks.afterRollStep?.('sealed');
      opened = Segment.open(this.io, this.files, this.dir, old.nextOffset);
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
    if (this.marker.present) return; // nothing written since a clean open: all of it is on disk
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
    this.firstUnflushedAppendMs = null;
  }

  /**
   * Clock-driven work: flush.ms, segment.ms roll (jitter, max.compaction.lag.ms), retention,
   * compaction (dirty ratio, min/max.compaction.lag.ms), file.delete.delay.ms deletes, periodic
   * checkpoint. Each runs only once due (dueMs), so a call before nextDeadlineMs() does nothing.
   */
  tick(): void {
    const nowMs = this.clock.nowMs();
    // One at a time: each may change what the next finds due (a roll closes a segment to expire).
    if (this.dueMs('flush', nowMs) <= nowMs) this.flush();
    if (this.dueMs('roll', nowMs) <= nowMs) this.roll();
    if (this.dueMs('retention', nowMs) <= nowMs) this.applyRetention(nowMs);
    if (this.dueMs('cleaning', nowMs) <= nowMs) this.cleanOrMarkUncleanable();
    if (this.dueMs('deletes', nowMs) <= nowMs) this.delayedDeletes.tick(nowMs);
    if (this.dueMs('checkpoint', nowMs) <= nowMs) this.checkpoint();
  }

  /**
   * The earliest wall-clock ms at which tick() has work; Infinity when nothing will ever fall due
   * without an append or a config change (an idle log with nothing to flush, roll or expire).
   * Work due already answers the clock's now. A scheduler keeps one timer for many logs with it.
   */
  nextDeadlineMs(): number {
    // Called by the partition worker after every drain that appended here: no array per call.
    const nowMs = this.clock.nowMs();
    let earliest = Infinity;
    for (const kind of DEADLINE_KINDS) earliest = Math.min(earliest, this.dueMs(kind, nowMs));
    return earliest;
  }

  private dueMs(kind: DeadlineKind, nowMs: number): number {
    switch (kind) {
      case 'flush':
        return flushDueMs(this.config, this.firstUnflushedAppendMs);
      case 'roll':
        return this.rollPolicy.rollDueMs(this.active, this.config);
      case 'retention':
        return retentionDueMs(this.config, this.segments, this.sizeBytes, nowMs);
      case 'cleaning':
        if (!this.config.cleanupPolicy.includes('compact') || this.uncleanableReason !== null) return Infinity;
        return compactionDueMs(this.io, this.segments.slice(0, -1), this.cleanerCheckpoint.firstDirtyOffset, this.config, nowMs);
      case 'deletes':
        return this.delayedDeletes.nextDueMs();
      case 'checkpoint': {
        const changed = this.checkpointed.recoveryPoint !== this.recoveryPointValue || this.checkpointed.logStartOffset !== this.logStartOffsetValue;
        return checkpointDueMs(this.lastCheckpointMs, CHECKPOINT_INTERVAL_MS, changed);
      }
    }
  }

  /** Before the first change to the log's files since a clean open: the marker goes (durably). */
  private beforeMutation(): void {
    if (!this.marker.present) return;
    try {
      this.marker.removeBeforeMutation();
    } catch (err) {
      throw new StorageError(`removing the clean-shutdown marker of ${this.dir} failed: ${(err as Error).message}`, err);
    }
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
    this.beforeMutation();
    try {
      return cleanLog({
        io: this.io,
        files: this.files,
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
    const deleteCount = retentionDeleteCount(this.config, this.segments, this.sizeBytes, nowMs);
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
    this.beforeMutation();
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
    const checkpoint = { recoveryPoint: this.recoveryPointValue, logStartOffset };
    writeCheckpoint(this.io, this.dir, checkpoint);
    this.checkpointed = checkpoint;
    this.lastCheckpointMs = this.clock.nowMs();
  }

  updateConfig(config: LogConfig): void {
    this.config = config;
    for (const segment of this.segments) segment.indexIntervalBytes = config.indexIntervalBytes;
  }

  /**
   * Flushes, writes the producer snapshot, checkpoint and clean-shutdown marker, closes files. A
   * log not changed since a clean open writes nothing: its marker and files are still as they were.
   * Neither does a log that never held a record (a partition just created): without a marker its
   * next open scans zero bytes, so making its empty files durable would only cost fsyncs (nine a
   * partition, a minute for 10,000 new partitions on a slow disk).
   */
  close(): void {
    if (this.closed) return;
    try {
      if (!this.marker.present && !this.neverHeldRecords()) {
        this.flush();
        writeFileAtomic(this.io, this.dir, PRODUCER_SNAPSHOT_FILE, this.producerState.snapshot(this.logEndOffset));
        this.checkpoint();
        this.marker.write();
      }
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

  private neverHeldRecords(): boolean {
    return this.logEndOffset === 0 && this.logStartOffsetValue === 0 && this.sizeBytes === 0 && this.producerState.describe().length === 0;
  }

  /** Closes without the marker and removes the directory (topic deletion). */
  delete(): void {
    this.closed = true;
    for (const segment of this.segments) segment.close();
    this.io.rmSync(this.dir);
  }
}


/**
 * Log compaction for cleanup.policy=compact (Kafka's LogCleaner, one pass in the writer's thread).
 * Run by the partition's PartitionLog only (DESIGN.md rule 1); not thread-safe. The log passes only
 * the segments min.compaction.lag.ms allows (cleanableSegments), and cleans when the dirty ratio
 * reaches min.cleanable.dirty.ratio or a record waited past max.compaction.lag.ms
 * (compactionDueMs).
 *
 * A pass: (1) build an offset map, key -> latest offset, over the dirty segments from
 * firstDirtyOffset (at most `maxBytes` of them, at least one); (2) rewrite every closed segment up
 * to the end of that mapped part, grouped so a cleaned group stays under segment.bytes, keeping a
 * record only if it is the latest of its key. Tombstones (null value) survive until
 * delete.retention.ms has passed since their segment was first cleaned. Keyless records are
 * dropped. The active segment is never touched. Offsets never change: batches keep baseOffset and
 * offset deltas; a batch left empty vanishes unless it is a producer's last batch or the group's
 * last batch (kept empty so the cleaned segment still ends where the group did).
 *
 * Swap of one group with base offset B (crash-safe; log-loader.ts finishes or undoes it):
 *   1 write B.log.cleaned, B.index.cleaned, B.timeindex.cleaned; fsync      ('cleaned')
 *   2 rename indexes .cleaned -> .swap, then the log; fsync dir               ('swap')
 *   3 rename B.log.swap -> B.log, atomically replacing the old first segment  ('log-replaced')
 *   4 rename the group's other segments to .deleted                          ('members-deleted')
 *   5 rename B.index.swap, B.timeindex.swap to their final names              ('indexes-replaced')
 *   6 unlink the .deleted files (after file.delete.delay.ms: deleteLater)     ('deleted-removed')
 * Kafka renames old segments to .deleted before the swap; we replace the first segment first so a
 * LogReader in another thread never lists a hole in the offsets (it sees old or new segments, and
 * re-checks index positions against batch headers while log and index are of different ages).
 */
import { assert } from '../common/assert.js';
import { CorruptRecordError } from '../common/errors.js';
import { BASE_OFFSET_OFFSET, BATCH_HEADER_BYTES, LAST_OFFSET_DELTA_OFFSET, MAX_TIMESTAMP_OFFSET } from '../protocol/record-batch.js';
import { scanBatches } from './batch-scan.js';
import { isControlBatch, listRecords, rebuildBatch } from './cleaner-batch.js';
import { CLEANED_SUFFIX, CLEANER_CHECKPOINT_FILE, DELETED_SUFFIX, SWAP_SUFFIX, segmentPaths } from './file-names.js';
import { readFully, readSmallFile, writeFileAtomic, writeFully, type FileIo } from './io.js';
import type { LogConfig } from './log-config.js';
import { OFFSET_INDEX_ENTRY_BYTES, OffsetIndex } from './offset-index.js';
import { Segment } from './segment.js';
import type { FdCache } from './fd-cache.js';
import { TIME_INDEX_ENTRY_BYTES, TimeIndex } from './time-index.js';

export type CleanerStep = 'cleaned' | 'swap' | 'log-replaced' | 'members-deleted' | 'indexes-replaced' | 'deleted-removed';

export interface CleanerCheckpoint {
  /** Offsets below this were cleaned by an earlier pass. */
  firstDirtyOffset: number;
  /** Segment base offset -> when its contents were first cleaned (the tombstone clock). */
  cleanedAtMs: Map<number, number>;
}

export interface CleanerInput {
  io: FileIo;
  /** The log's descriptor cache: the cleaned segment's files join it. */
  files: FdCache;
  dir: string;
  config: LogConfig;
  nowMs: number;
  /** Closed segments, oldest first (never the active one). */
  segments: readonly Segment[];
  checkpoint: CleanerCheckpoint;
  /** Base offsets of each producer's newest batch: kept even when emptied. */
  producerLastBatches: ReadonlySet<number>;
  maxBytes: number;
  /** Installs `cleaned` in place of `replaced` in the log's segment list (after step 3). */
  replace(replaced: readonly Segment[], cleaned: Segment): void;
  /** Test hook: called after each swap step; a throw simulates a crash there. */
  afterStep?: (step: CleanerStep) => void;
  /**
   * Removes the replaced segments' files, already renamed to .deleted (step 6): file.delete.delay.ms
   * later, through the log's DelayedDeletes. Default: at once.
   */
  deleteLater?: (deletedPaths: string[]) => void;
}

export interface CleanerStats {
  groupCount: number;
  bytesBefore: number;
  bytesAfter: number;
  recordsRemoved: number;
  firstDirtyOffset: number;
}

/** `names`, a listing of `dir`, spares the existence check. */
export function readCleanerCheckpoint(io: FileIo, dir: string, names?: ReadonlySet<string>): CleanerCheckpoint {
  const path = `${dir}/${CLEANER_CHECKPOINT_FILE}`;
  const bytes = readSmallFile(io, path, names === undefined ? io.existsSync(path) : names.has(CLEANER_CHECKPOINT_FILE));
  try {
    if (bytes !== null) {
      const parsed = JSON.parse(bytes.toString('utf8')) as { firstDirtyOffset: number; cleanedAtMs: [number, number][] };
      if (Number.isSafeInteger(parsed.firstDirtyOffset) && Array.isArray(parsed.cleanedAtMs)) {
        return { firstDirtyOffset: parsed.firstDirtyOffset, cleanedAtMs: new Map(parsed.cleanedAtMs) };
      }
    }
  } catch {
    // a damaged cleaner checkpoint only means the whole log counts as dirty again
  }
  return { firstDirtyOffset: 0, cleanedAtMs: new Map() };
}

function writeCleanerCheckpoint(io: FileIo, dir: string, checkpoint: CleanerCheckpoint): void {
  const json = JSON.stringify({ firstDirtyOffset: checkpoint.firstDirtyOffset, cleanedAtMs: [...checkpoint.cleanedAtMs] });
  writeFileAtomic(io, dir, CLEANER_CHECKPOINT_FILE, Buffer.from(json));
}

/** Bytes of closed segments below / at-or-above firstDirtyOffset (for min.cleanable.dirty.ratio). */
export function dirtyRatio(segments: readonly Segment[], firstDirtyOffset: number): { dirtyBytes: number; ratio: number } {
  let cleanBytes = 0;
  let dirtyBytes = 0;
  for (const s of segments) {
    if (s.baseOffset < firstDirtyOffset) cleanBytes += s.sizeBytes;
    else dirtyBytes += s.sizeBytes;
  }
  const total = cleanBytes + dirtyBytes;
  return { dirtyBytes, ratio: total === 0 ? 0 : dirtyBytes / total };
}

/**
 * min.compaction.lag.ms (Kafka's firstUncleanableDirtyOffset): the closed segments the cleaner may
 * touch, up to the first dirty one whose newest record is younger than the lag.
 */
export function cleanableSegments(segments: readonly Segment[], firstDirtyOffset: number, config: LogConfig, nowMs: number): Segment[] {
  if (config.minCompactionLagMs <= 0) return [...segments];
  const end = segments.findIndex((s) => s.baseOffset >= firstDirtyOffset && s.maxTimestamp > nowMs - config.minCompactionLagMs);
  return end < 0 ? [...segments] : segments.slice(0, end);
}

const firstBatchTimestamps = new WeakMap<Segment, number>();

/** maxTimestamp of a segment's first batch (Kafka's getFirstBatchTimestamp), read once per segment. */
function firstBatchTimestamp(io: FileIo, segment: Segment): number {
  let timestamp = firstBatchTimestamps.get(segment);
  if (timestamp === undefined) {
    const header = Buffer.alloc(BATCH_HEADER_BYTES);
    const read = readFully(io, segment.logFd(), header, 0, BATCH_HEADER_BYTES, 0);
    timestamp = read === BATCH_HEADER_BYTES ? Number(header.readBigInt64BE(MAX_TIMESTAMP_OFFSET)) : -1;
    firstBatchTimestamps.set(segment, timestamp);
  }
  return timestamp;
}

/**
 * When a compaction pass falls due, from the closed segments (oldest first): `nowMs` when it is
 * due now — the cleanable dirty share has reached min.cleanable.dirty.ratio, or a dirty record has
 * waited past max.compaction.lag.ms (Kafka's "needCompactionNow") — else the earliest ms at which
 * time alone could make it due (a segment held back by min.compaction.lag.ms becoming cleanable,
 * a record reaching max.compaction.lag.ms), or Infinity. Shaped like the other log deadlines so a
 * scheduler can wait for it; tick() cleans when it is not in the future.
 */
export function compactionDueMs(io: FileIo, closed: readonly Segment[], firstDirtyOffset: number, config: LogConfig, nowMs: number): number {
  const cleanable = cleanableSegments(closed, firstDirtyOffset, config, nowMs);
  const { dirtyBytes, ratio } = dirtyRatio(cleanable, firstDirtyOffset);
  if (dirtyBytes > 0 && ratio >= config.minCleanableDirtyRatio) return nowMs;
  let dueMs = Infinity;
  if (config.maxCompactionLagMs !== Infinity) {
    for (const segment of cleanable) {
      if (segment.baseOffset < firstDirtyOffset || segment.sizeBytes === 0) continue;
      const timestamp = firstBatchTimestamp(io, segment);
      if (timestamp >= 0) dueMs = Math.min(dueMs, timestamp + config.maxCompactionLagMs + 1); // overdue once now - timestamp > lag
    }
  }
  const heldBack = closed[cleanable.length];
  if (heldBack !== undefined) dueMs = Math.min(dueMs, heldBack.maxTimestamp + config.minCompactionLagMs);
  return Math.max(dueMs, nowMs);
}

/** One cleaning pass; returns what it did. The caller persists nothing else. */
export function cleanLog(input: CleanerInput): CleanerStats {
  const { segments, checkpoint } = input;
  const stats: CleanerStats = { groupCount: 0, bytesBefore: 0, bytesAfter: 0, recordsRemoved: 0, firstDirtyOffset: checkpoint.firstDirtyOffset };
  if (segments.length === 0) return stats;
  let dirtyIndex = segments.findIndex((s) => s.baseOffset >= checkpoint.firstDirtyOffset);
  if (dirtyIndex < 0) dirtyIndex = segments.length;
  const offsetMap = new Map<string, number>();
  let endIndex = dirtyIndex;
  let mappedBytes = 0;
  while (endIndex < segments.length && (endIndex === dirtyIndex || mappedBytes + segments[endIndex]!.sizeBytes <= input.maxBytes)) {
    mapSegment(input.io, segments[endIndex]!, offsetMap);
    mappedBytes += segments[endIndex]!.sizeBytes;
    endIndex++;
  }
  const nextDirtyOffset = endIndex < segments.length ? segments[endIndex]!.baseOffset : segments[segments.length - 1]!.nextOffset;
  const groups = groupSegments(segments.slice(0, endIndex), input.config.segmentBytes, input.config.segmentIndexBytes);
  // Stamp the tombstone clock before swapping: a crash then only keeps tombstones longer.
  const cleanedAtMs = new Map(checkpoint.cleanedAtMs);
  for (const group of groups) {
    const stamps = group.map((s) => (s.baseOffset < checkpoint.firstDirtyOffset ? cleanedAtMs.get(s.baseOffset) : undefined) ?? input.nowMs);
    for (const s of group) cleanedAtMs.delete(s.baseOffset);
    cleanedAtMs.set(group[0]!.baseOffset, Math.max(...stamps));
  }
  writeCleanerCheckpoint(input.io, input.dir, { firstDirtyOffset: checkpoint.firstDirtyOffset, cleanedAtMs: mergeMax(checkpoint.cleanedAtMs, cleanedAtMs) });
  for (const group of groups) {
    const tombstonesExpire = (s: Segment) => {
      const at = s.baseOffset < checkpoint.firstDirtyOffset ? checkpoint.cleanedAtMs.get(s.baseOffset) : undefined;
      return at !== undefined && input.nowMs - at > input.config.deleteRetentionMs;
    };
    const result = cleanGroup(input, group, offsetMap, tombstonesExpire);
    stats.groupCount++;
    stats.bytesBefore += group.reduce((sum, s) => sum + s.sizeBytes, 0);
    stats.bytesAfter += result.sizeBytes;
    stats.recordsRemoved += result.recordsRemoved;
  }
  checkpoint.firstDirtyOffset = nextDirtyOffset;
  checkpoint.cleanedAtMs = cleanedAtMs;
  writeCleanerCheckpoint(input.io, input.dir, checkpoint);
  stats.firstDirtyOffset = nextDirtyOffset;
  return stats;
}

function mergeMax(a: ReadonlyMap<number, number>, b: ReadonlyMap<number, number>): Map<number, number> {
  const out = new Map(a);
  for (const [k, v] of b) out.set(k, Math.max(v, out.get(k) ?? v));
  return out;
}

function mapSegment(io: FileIo, segment: Segment, offsetMap: Map<string, number>): void {
  const scanned = scanBatches(io, segment.logFd(), 0, segment.sizeBytes, { verify: true }, (_header, buf, rel) => {
    const batch = buf.subarray(rel, rel + _header.sizeBytes);
    if (isControlBatch(batch)) return true;
    for (const record of listRecords(batch).records) {
      if (record.key !== null) offsetMap.set(record.key, record.offset);
    }
    return true;
  });
  checkScanned(segment, scanned.reason);
}

/**
 * scanBatches stops at a damaged batch and only reports why; the cleaner must not: skipping the
 * rest of a segment would drop its later batches from the cleaned copy.
 */
function checkScanned(segment: Segment, reason: string | null): void {
  if (reason !== null) throw new CorruptRecordError(`cannot clean segment ${segment.baseOffset}: corrupt batch (${reason})`);
}

/**
 * Consecutive segments whose total size fits segment.bytes, whose indexes together fit
 * segment.index.bytes (as Kafka's groupSegmentsBySize), and whose offsets fit an int32 span.
 */
function groupSegments(segments: readonly Segment[], segmentBytes: number, segmentIndexBytes: number): Segment[][] {
  const groups: Segment[][] = [];
  let current: Segment[] = [];
  let bytes = 0;
  let indexBytes = 0;
  let timeIndexBytes = 0;
  for (const s of segments) {
    const span = s.nextOffset - (current[0]?.baseOffset ?? s.baseOffset);
    const sIndexBytes = s.offsetIndex.entryCount * OFFSET_INDEX_ENTRY_BYTES;
    const sTimeIndexBytes = s.timeIndex.entryCount * TIME_INDEX_ENTRY_BYTES;
    const full = bytes + s.sizeBytes > segmentBytes || indexBytes + sIndexBytes > segmentIndexBytes || timeIndexBytes + sTimeIndexBytes > segmentIndexBytes;
    if (current.length > 0 && (full || span > 2 ** 31 - 1)) {
      groups.push(current);
      current = [];
      bytes = 0;
      indexBytes = 0;
      timeIndexBytes = 0;
    }
    current.push(s);
    bytes += s.sizeBytes;
    indexBytes += sIndexBytes;
    timeIndexBytes += sTimeIndexBytes;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

/** Writes the cleaned copy of a group and swaps it in. */
function cleanGroup(input: CleanerInput, group: readonly Segment[], offsetMap: ReadonlyMap<string, number>, tombstonesExpire: (s: Segment) => boolean): { sizeBytes: number; recordsRemoved: number } {
  const { io, dir } = input;
  const baseOffset = group[0]!.baseOffset;
  const final = segmentPaths(dir, baseOffset);
  const cleaned = { log: final.log + CLEANED_SUFFIX, index: final.index + CLEANED_SUFFIX, timeIndex: final.timeIndex + CLEANED_SUFFIX };
  const swap = { log: final.log + SWAP_SUFFIX, index: final.index + SWAP_SUFFIX, timeIndex: final.timeIndex + SWAP_SUFFIX };
  const writer = new CleanedWriter(io, cleaned.log, baseOffset, input.config.indexIntervalBytes);
  let recordsRemoved = 0;
  const lastSegment = group[group.length - 1]!;
  let sizeBytes: number;
  try {
    for (const segment of group) {
      const dropTombstones = tombstonesExpire(segment);
      const scanned = scanBatches(io, segment.logFd(), 0, segment.sizeBytes, { verify: true }, (header, buf, rel) => {
        const batch = buf.subarray(rel, rel + header.sizeBytes);
        if (isControlBatch(batch)) {
          writer.add(batch);
          return true;
        }
        const { section, records } = listRecords(batch);
        const kept = records.filter((r) => r.key !== null && (offsetMap.get(r.key) ?? r.offset) <= r.offset && !(r.tombstone && dropTombstones));
        recordsRemoved += records.length - kept.length;
        const isGroupEnd = segment === lastSegment && header.position + header.sizeBytes === segment.sizeBytes;
        if (kept.length === records.length) writer.add(batch);
        else if (kept.length > 0 || isGroupEnd || input.producerLastBatches.has(header.baseOffset)) writer.add(rebuildBatch(batch, section, kept));
        return true;
      });
      checkScanned(segment, scanned.reason);
    }
    sizeBytes = writer.finish(cleaned.index, cleaned.timeIndex);
    assert(writer.nextOffset === lastSegment.nextOffset, `cleaned group ends at ${writer.nextOffset}, not ${lastSegment.nextOffset}`);
  } catch (err) {
    // Nothing was swapped yet: drop the partial copy so a failed pass leaves no fd and no file.
    writer.abandon();
    for (const path of Object.values(cleaned)) if (io.existsSync(path)) io.unlinkSync(path);
    throw err;
  }
  step(input, 'cleaned');

  io.renameSync(cleaned.index, swap.index);
  io.renameSync(cleaned.timeIndex, swap.timeIndex);
  io.renameSync(cleaned.log, swap.log);
  io.fsyncDirSync(dir);
  step(input, 'swap');

  io.renameSync(swap.log, final.log);
  io.fsyncDirSync(dir);
  const segment = Segment.open(io, input.files, dir, baseOffset);
  segment.indexIntervalBytes = input.config.indexIntervalBytes;
  writer.installIndexes(segment);
  input.replace(group, segment);
  step(input, 'log-replaced');

  const members = group.slice(1);
  for (const member of members) {
    member.close();
    for (const path of Object.values(member.paths)) if (io.existsSync(path)) io.renameSync(path, path + DELETED_SUFFIX);
  }
  io.fsyncDirSync(dir);
  step(input, 'members-deleted');

  group[0]!.close();
  io.renameSync(swap.index, final.index);
  io.renameSync(swap.timeIndex, final.timeIndex);
  io.fsyncDirSync(dir);
  segment.reopenIndexFiles();
  step(input, 'indexes-replaced');

  const deleted = members.flatMap((member) => Object.values(member.paths).map((path) => path + DELETED_SUFFIX));
  if (input.deleteLater !== undefined) input.deleteLater(deleted);
  else for (const path of deleted) if (io.existsSync(path)) io.unlinkSync(path);
  step(input, 'deleted-removed');
  return { sizeBytes, recordsRemoved };
}

function step(input: CleanerInput, name: CleanerStep): void {
  input.afterStep?.(name);
}

/** Streams cleaned batches to a .cleaned log, building its indexes as Segment.observe does. */
class CleanedWriter {
  private readonly fd: number;
  private readonly offsetIndex: OffsetIndex;
  private readonly timeIndex: TimeIndex;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private position = 0;
  private bytesSinceLastIndexEntry = 0;
  private maxTimestamp = -1;
  private offsetOfMaxTimestamp = -1;
  private closed = false;
  nextOffset: number;

  constructor(
    private readonly io: FileIo,
    path: string,
    readonly baseOffset: number,
    private readonly indexIntervalBytes: number,
  ) {
    this.fd = io.openSync(path, 'w');
    this.offsetIndex = new OffsetIndex(baseOffset);
    this.timeIndex = new TimeIndex(baseOffset);
    this.nextOffset = baseOffset;
  }

  /** Appends one batch; `batch` may be a view of a scan buffer, so it is copied when buffered. */
  add(batch: Buffer): void {
    const batchBaseOffset = Number(batch.readBigInt64BE(BASE_OFFSET_OFFSET));
    const lastOffset = batchBaseOffset + batch.readInt32BE(LAST_OFFSET_DELTA_OFFSET);
    const maxTimestamp = Number(batch.readBigInt64BE(MAX_TIMESTAMP_OFFSET));
    assert(batchBaseOffset >= this.nextOffset, 'cleaned offsets increase');
    if (maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = maxTimestamp;
      this.offsetOfMaxTimestamp = lastOffset;
    }
    if (this.bytesSinceLastIndexEntry > this.indexIntervalBytes) {
      this.offsetIndex.add(batchBaseOffset, this.position);
      this.timeIndex.maybeAdd(this.maxTimestamp, this.offsetOfMaxTimestamp);
      this.bytesSinceLastIndexEntry = 0;
    }
    this.bytesSinceLastIndexEntry += batch.length;
    this.pending.push(Buffer.from(batch));
    this.pendingBytes += batch.length;
    this.position += batch.length;
    this.nextOffset = lastOffset + 1;
    if (this.pendingBytes >= 1024 * 1024) this.writePending();
  }

  private writePending(): void {
    const chunk = Buffer.concat(this.pending, this.pendingBytes);
    writeFully(this.io, this.fd, chunk, 0, chunk.length, this.position - this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
  }

  /** Closes the log file if finish() did not (a failed pass); idempotent. */
  abandon(): void {
    if (this.closed) return;
    this.closed = true;
    this.io.closeSync(this.fd);
  }

  /** Flushes and fsyncs the log, writes and fsyncs both indexes; returns the log's size. */
  finish(indexPath: string, timeIndexPath: string): number {
    this.writePending();
    this.io.fsyncSync(this.fd);
    this.closed = true;
    this.io.closeSync(this.fd);
    if (this.maxTimestamp >= 0) this.timeIndex.maybeAdd(this.maxTimestamp, this.offsetOfMaxTimestamp);
    for (const [path, bytes] of [[indexPath, this.offsetIndex.encode(0)], [timeIndexPath, this.timeIndex.encode(0)]] as const) {
      const fd = this.io.openSync(path, 'w');
      try {
        writeFully(this.io, fd, bytes, 0, bytes.length, 0);
        this.io.fsyncSync(fd);
      } finally {
        this.io.closeSync(fd);
      }
    }
    return this.position;
  }

  /** Gives the new Segment object the indexes and statistics of what was written. */
  installIndexes(segment: Segment): void {
    segment.adoptCleaned(this.offsetIndex.encode(0), this.timeIndex.encode(0), this.nextOffset, this.maxTimestamp, this.offsetOfMaxTimestamp);
  }
}

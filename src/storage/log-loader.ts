/**
 * Recovery of a partition directory at open (Kafka's LogLoader). After a clean shutdown (marker
 * present) indexes are trusted and only the active segment's tail past its last index entry is
 * read. After an unclean one, every segment from the one holding the recovery point on is scanned
 * and CRC-checked; the log is cut at the first torn or corrupt batch and later segments are
 * deleted. Indexes that are damaged or point past their segment are rebuilt. Never throws on a
 * damaged tail; I/O errors propagate.
 *
 * Opening a cleanly shut down, intact partition writes and fsyncs nothing and leaves no descriptor
 * open: the marker stays until the log's first change (clean-shutdown.ts), which is also the first
 * write the loader itself would make (an index rebuild, a cut tail).
 *
 * loadLogAsync is the same recovery with the CRC-32C of large segments checked in a piscina pool
 * first (crc-pool.ts); the scan here then skips the CRC of every batch the pool vouched for.
 */
import { CHECKPOINT_FILE, CLEAN_SHUTDOWN_FILE, INDEX_SUFFIX, LOG_SUFFIX, PRODUCER_SNAPSHOT_FILE, TIME_INDEX_SUFFIX, offsetFileStem, segmentBaseOffsets, segmentPaths } from './file-names.js';
import { readSmallFile, writeFileAtomic, type FileIo } from './io.js';
import { Segment } from './segment.js';
import { scanBatches, type ScannedBatch, type VerifiedRange } from './batch-scan.js';
import { ProducerStateManager } from './producer-state.js';
import { segmentIndexFor } from './segment-read.js';
import { hasCleanerSwapFiles, recoverCleanerSwaps } from './swap-recovery.js';
import { CleanShutdownMarker } from './clean-shutdown.js';
import type { FdCache } from './fd-cache.js';
import { verifySegmentCrcs, type CrcPool } from './crc-pool.js';

export interface Checkpoint {
  recoveryPoint: number;
  logStartOffset: number;
}

export interface LoadedLog {
  segments: Segment[];
  logStartOffset: number;
  recoveryPoint: number;
  producerState: ProducerStateManager;
  /** Bytes cut from damaged tails, for logs and tests. */
  truncatedBytes: number;
  cleanShutdown: boolean;
  /** The marker, still on disk if nothing was written at load. */
  marker: CleanShutdownMarker;
  /** Segments scanned in full with CRC checks (recovery after an unclean shutdown, index rebuilds). */
  fullyScannedSegmentCount: number;
  /** The directory listing the load started from (after swap recovery). */
  names: ReadonlySet<string>;
}

export interface LoadOptions {
  files: FdCache;
  indexIntervalBytes: number;
}

/** What the directory holds before any segment is opened. */
interface LoadPlan {
  dir: string;
  names: ReadonlySet<string>;
  checkpoint: Checkpoint;
  marker: CleanShutdownMarker;
  cleanShutdown: boolean;
  /** Base offsets of the segments; fresh: none existed, the first one is about to be created. */
  baseOffsets: number[];
  fresh: boolean;
  /** Index of the first segment to scan in full (Infinity after a clean shutdown). */
  scanFrom: number;
}

/** Segment base offset -> byte ranges whose CRCs the pool checked. */
type VerifiedSegments = ReadonlyMap<number, readonly VerifiedRange[]>;

export function readCheckpoint(io: FileIo, dir: string, names?: ReadonlySet<string>): Checkpoint {
  const path = `${dir}/${CHECKPOINT_FILE}`;
  const bytes = readSmallFile(io, path, names === undefined ? io.existsSync(path) : names.has(CHECKPOINT_FILE));
  if (bytes === null) return { recoveryPoint: 0, logStartOffset: 0 };
  try {
    const parsed = JSON.parse(bytes.toString('utf8')) as Checkpoint;
    if (Number.isSafeInteger(parsed.recoveryPoint) && Number.isSafeInteger(parsed.logStartOffset)) return parsed;
  } catch {
    // a damaged checkpoint only costs a longer scan
  }
  return { recoveryPoint: 0, logStartOffset: 0 };
}

export function writeCheckpoint(io: FileIo, dir: string, checkpoint: Checkpoint): void {
  writeFileAtomic(io, dir, CHECKPOINT_FILE, Buffer.from(JSON.stringify(checkpoint)));
}

export function loadLog(io: FileIo, dir: string, options: LoadOptions): LoadedLog {
  return finishLoad(io, planLoad(io, dir), options, new Map());
}

/** loadLog with the CRCs of the segments it will scan in full checked in `crcPool` first. */
export async function loadLogAsync(io: FileIo, dir: string, options: LoadOptions & { crcPool: CrcPool; crcRangeBytes?: number }): Promise<LoadedLog> {
  const plan = planLoad(io, dir);
  const verified = new Map<number, readonly VerifiedRange[]>();
  const toScan = plan.fresh ? [] : plan.baseOffsets.slice(Number.isFinite(plan.scanFrom) ? plan.scanFrom : plan.baseOffsets.length);
  const results = await Promise.all(toScan.map((baseOffset) => verifySegmentCrcs(options.crcPool, io, segmentPaths(dir, baseOffset).log, options.crcRangeBytes)));
  toScan.forEach((baseOffset, i) => verified.set(baseOffset, results[i]!));
  return finishLoad(io, plan, options, verified);
}

/** Lists the directory and finishes interrupted cleaner swaps; reads only small files. */
function planLoad(io: FileIo, dir: string): LoadPlan {
  let names = listOrCreate(io, dir);
  const cleanShutdown = names.includes(CLEAN_SHUTDOWN_FILE);
  const marker = new CleanShutdownMarker(io, dir, cleanShutdown);
  const leftovers = leftoverNames(names);
  if (leftovers.length > 0 || hasCleanerSwapFiles(names)) {
    marker.removeBeforeMutation(); // not after a clean close; if so anyway, trust nothing
    recoverCleanerSwaps(io, dir, names);
    names = io.readdirSync(dir);
    for (const name of leftoverNames(names)) io.unlinkSync(`${dir}/${name}`);
  }
  const nameSet = new Set(names);
  const checkpoint = readCheckpoint(io, dir, nameSet);
  let baseOffsets = segmentBaseOffsets(names);
  const fresh = baseOffsets.length === 0;
  if (fresh) baseOffsets = [checkpoint.logStartOffset];
  const rpIndex = segmentIndexFor(baseOffsets.map((baseOffset) => ({ baseOffset })), checkpoint.recoveryPoint);
  const scanFrom = marker.present ? Infinity : Math.max(rpIndex, 0);
  return { dir, names: nameSet, checkpoint, marker, cleanShutdown: marker.present, baseOffsets, fresh, scanFrom };
}

function finishLoad(io: FileIo, plan: LoadPlan, options: LoadOptions, verified: VerifiedSegments): LoadedLog {
  const { dir, baseOffsets, marker, cleanShutdown } = plan;
  const beforeWrite = () => marker.removeBeforeMutation();
  const snapshotBytes = cleanShutdown ? readSmallFile(io, `${dir}/${PRODUCER_SNAPSHOT_FILE}`, plan.names.has(PRODUCER_SNAPSHOT_FILE)) : null;
  const snapshot = snapshotBytes === null ? null : ProducerStateManager.fromSnapshot(snapshotBytes);
  let producerState = snapshot?.state ?? new ProducerStateManager();
  const producerFromOffset = snapshot?.nextOffset ?? 0;

  const segments: Segment[] = [];
  let truncatedBytes = 0;
  let fullyScannedSegmentCount = 0;
  try {
    for (let i = 0; i < baseOffsets.length; i++) {
      const stem = offsetFileStem(baseOffsets[i]!);
      if (![LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX].every((suffix) => plan.names.has(stem + suffix))) beforeWrite(); // creates what is missing
      const segment = Segment.open(io, options.files, dir, baseOffsets[i]!, plan.names);
      segment.indexIntervalBytes = options.indexIntervalBytes;
      segments.push(segment);
      const isLast = i === baseOffsets.length - 1;
      const fullScan = i >= plan.scanFrom || !segment.loadIndexes();
      const trackProducers = (batch: ScannedBatch) => {
        if (batch.producerId >= 0 && batch.baseOffset >= producerFromOffset) {
          producerState.update(batch.producerId, batch.producerEpoch, batch.baseSequence, batch.lastOffset - batch.baseOffset, batch.baseOffset, batch.lastOffset);
        }
      };
      if (fullScan) {
        beforeWrite();
        fullyScannedSegmentCount++;
        const cut = recoverSegment(io, segment, trackProducers, verified.get(segment.baseOffset));
        truncatedBytes += cut;
        if (!isLast) segment.seal();
        if (cut > 0) {
          // Everything after a damaged batch is unreachable: delete later segments (Kafka does too).
          for (const later of baseOffsets.slice(i + 1)) deleteSegmentFiles(io, dir, later);
          break;
        }
      } else if (isLast) {
        truncatedBytes += recoverTail(io, segment, trackProducers, producerFromOffset, beforeWrite);
      } else {
        segment.nextOffset = baseOffsets[i + 1]!;
        if (baseOffsets[i + 1]! > producerFromOffset) hopHeaders(io, segment, producerFromOffset, trackProducers);
      }
    }

    const active = segments[segments.length - 1]!;
    const logEndOffset = active.nextOffset;
    if (snapshot !== null && snapshot.nextOffset > logEndOffset) {
      // The snapshot covers offsets the log no longer has: rebuild from headers alone.
      producerState = new ProducerStateManager();
      for (const segment of segments) {
        hopHeaders(io, segment, 0, (b) => b.producerId >= 0 && producerState.update(b.producerId, b.producerEpoch, b.baseSequence, b.lastOffset - b.baseOffset, b.baseOffset, b.lastOffset));
      }
    }
    const logStartOffset = Math.min(Math.max(plan.checkpoint.logStartOffset, segments[0]!.baseOffset), logEndOffset);
    producerState.retainFrom(logStartOffset);
    // A recovered log must be fsynced before its log end offset becomes the recovery point; a fresh
    // directory, or one empty segment (a partition that never held a record, which close() leaves
    // without a marker), holds nothing to make durable.
    const empty = segments.length === 1 && active.sizeBytes === 0;
    if (!marker.present && !plan.fresh && !empty) active.flush();
    // After a clean shutdown close() has just written this same checkpoint: no temp file, fsync and
    // rename per partition at every start.
    if (plan.checkpoint.recoveryPoint !== logEndOffset || plan.checkpoint.logStartOffset !== logStartOffset) {
      beforeWrite();
      writeCheckpoint(io, dir, { recoveryPoint: logEndOffset, logStartOffset });
    }
    return { segments, logStartOffset, recoveryPoint: logEndOffset, producerState, truncatedBytes, cleanShutdown, marker, fullyScannedSegmentCount, names: plan.names };
  } finally {
    // An idle partition holds no descriptor: each segment reopens its files on first use.
    for (const segment of segments) segment.closeDescriptors();
  }
}

/** Full CRC-checked scan; rebuilds indexes; cuts at the first bad batch. Returns bytes cut. */
function recoverSegment(io: FileIo, segment: Segment, onBatch: (b: ScannedBatch) => void, verifiedRanges: readonly VerifiedRange[] | undefined): number {
  segment.resetIndexes();
  const fileBytes = segment.sizeBytes;
  segment.sizeBytes = 0;
  return scanAndCut(io, segment, 0, fileBytes, onBatch, () => {}, verifiedRanges);
}

/** After a clean shutdown: trust the indexes, check only the active segment's last indexed stretch. */
function recoverTail(io: FileIo, segment: Segment, onBatch: (b: ScannedBatch) => void, producerFromOffset: number, beforeWrite: () => void): number {
  const fileBytes = segment.sizeBytes;
  const tailStart = segment.offsetIndex.lastPosition();
  if (producerFromOffset < segment.offsetIndex.lastOffset()) hopHeaders(io, segment, producerFromOffset, onBatch, tailStart);
  segment.sizeBytes = tailStart;
  segment.nextOffset = segment.offsetIndex.lastOffset();
  return scanAndCut(io, segment, tailStart, fileBytes, onBatch, beforeWrite);
}

/**
 * Where a pool checked the CRCs, the scan reads headers only: a smaller chunk then reads less of
 * big batches' bodies; batches it must still check are read whole whatever the chunk.
 */
const TRUSTED_SCAN_CHUNK_BYTES = 64 * 1024;

/** CRC-checks batches in [from, fileBytes), observing each; cuts the file after the last good one. */
function scanAndCut(io: FileIo, segment: Segment, from: number, fileBytes: number, onBatch: (b: ScannedBatch) => void, beforeWrite: () => void, verifiedRanges?: readonly VerifiedRange[]): number {
  let end = from;
  const chunkBytes = verifiedRanges !== undefined && verifiedRanges.length > 0 ? TRUSTED_SCAN_CHUNK_BYTES : undefined;
  scanBatches(io, segment.logFd(), from, fileBytes, { verify: true, verifiedRanges, chunkBytes }, (batch) => {
    if (batch.baseOffset < segment.nextOffset) return false; // offsets must increase
    segment.observe(batch);
    onBatch(batch);
    end = batch.position + batch.sizeBytes;
    return true;
  });
  if (end < fileBytes || segment.hasPendingIndexEntries()) beforeWrite();
  if (end < fileBytes) segment.truncateLog(end);
  segment.sizeBytes = end;
  segment.writePendingIndexEntries();
  return fileBytes - end;
}

/** Header-only pass for producer state over batches with baseOffset >= fromOffset. */
function hopHeaders(io: FileIo, segment: Segment, fromOffset: number, onBatch: (b: ScannedBatch) => void, endPosition = segment.sizeBytes): void {
  if (endPosition <= 0) return;
  const position = segment.floorPosition(fromOffset);
  scanBatches(io, segment.logFd(), position, endPosition, { verify: false, chunkBytes: 1024 * 1024 }, (batch) => {
    if (batch.baseOffset >= fromOffset) onBatch(batch);
    return true;
  });
}

/** The directory's listing, creating the directory (empty) if it is missing. */
function listOrCreate(io: FileIo, dir: string): string[] {
  try {
    return io.readdirSync(dir);
  } catch (err) {
    if ((err as { code?: string }).code !== 'ENOENT') throw err;
  }
  io.mkdirSync(dir);
  return [];
}

/** Temp files, .deleted files and indexes without their .log. */
function leftoverNames(names: readonly string[]): string[] {
  const logs = new Set(names.filter((n) => n.endsWith(LOG_SUFFIX)).map((n) => n.slice(0, -LOG_SUFFIX.length)));
  return names.filter((name) => {
    const orphanIndex = (name.endsWith(INDEX_SUFFIX) && !logs.has(name.slice(0, -INDEX_SUFFIX.length))) ||
      (name.endsWith(TIME_INDEX_SUFFIX) && !logs.has(name.slice(0, -TIME_INDEX_SUFFIX.length)));
    return name.endsWith('.tmp') || name.endsWith('.deleted') || orphanIndex;
  });
}

function deleteSegmentFiles(io: FileIo, dir: string, baseOffset: number): void {
  for (const path of Object.values(segmentPaths(dir, baseOffset))) if (io.existsSync(path)) io.unlinkSync(path);
}

/**
 * Recovery of a partition directory at open (Kafka's LogLoader). After a clean shutdown (marker
 * present) indexes are trusted and only the active segment's tail past its last index entry is
 * read. After an unclean one, every segment from the one holding the recovery point on is scanned
 * and CRC-checked; the log is cut at the first torn or corrupt batch and later segments are
 * deleted. Indexes that are damaged or point past their segment are rebuilt. Never throws on a
 * damaged tail; I/O errors propagate.
 */
import { CHECKPOINT_FILE, CLEAN_SHUTDOWN_FILE, INDEX_SUFFIX, LOG_SUFFIX, PRODUCER_SNAPSHOT_FILE, TIME_INDEX_SUFFIX, segmentBaseOffsets } from './file-names.js';
import { readSmallFile, writeFileAtomic, writeFully, type FileIo } from './io.js';
import { Segment } from './segment.js';
import { scanBatches, type ScannedBatch } from './batch-scan.js';
import { ProducerStateManager } from './producer-state.js';
import { segmentIndexFor } from './segment-read.js';
import { recoverCleanerSwaps } from './swap-recovery.js';

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
}

export function readCheckpoint(io: FileIo, dir: string): Checkpoint {
  const bytes = readSmallFile(io, `${dir}/${CHECKPOINT_FILE}`);
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
  const bytes = Buffer.from(JSON.stringify(checkpoint));
  try {
    writeFileAtomic(io, dir, CHECKPOINT_FILE, bytes);
  } catch (err) {
    // A full disk has no block for the temp file, but the checkpoint's own block can be rewritten
    // in place: DeleteRecords and retention, which free space, must work on a full disk. A torn
    // in-place write only costs a longer recovery scan (readCheckpoint tolerates it).
    if ((err as { code?: string }).code !== 'ENOSPC' || !io.existsSync(`${dir}/${CHECKPOINT_FILE}`)) throw err;
    io.rmSync(`${dir}/${CHECKPOINT_FILE}.tmp`);
    const fd = io.openSync(`${dir}/${CHECKPOINT_FILE}`, 'r+');
    try {
      writeFully(io, fd, bytes, 0, bytes.length, 0);
      io.ftruncateSync(fd, bytes.length);
      io.fsyncSync(fd);
    } finally {
      io.closeSync(fd);
    }
  }
}

export function loadLog(io: FileIo, dir: string, indexIntervalBytes: number): LoadedLog {
  io.mkdirSync(dir);
  recoverCleanerSwaps(io, dir);
  const names = io.readdirSync(dir);
  removeLeftovers(io, dir, names);
  const checkpoint = readCheckpoint(io, dir);
  const cleanShutdown = names.includes(CLEAN_SHUTDOWN_FILE);
  let baseOffsets = segmentBaseOffsets(names);
  if (baseOffsets.length === 0) baseOffsets = [checkpoint.logStartOffset];

  const snapshotBytes = cleanShutdown ? readSmallFile(io, `${dir}/${PRODUCER_SNAPSHOT_FILE}`) : null;
  const snapshot = snapshotBytes === null ? null : ProducerStateManager.fromSnapshot(snapshotBytes);
  let producerState = snapshot?.state ?? new ProducerStateManager();
  const producerFromOffset = snapshot?.nextOffset ?? 0;

  const rpIndex = segmentIndexFor(baseOffsets.map((baseOffset) => ({ baseOffset })), checkpoint.recoveryPoint);
  const scanFrom = cleanShutdown ? Infinity : Math.max(rpIndex, 0);
  const segments: Segment[] = [];
  let truncatedBytes = 0;
  for (let i = 0; i < baseOffsets.length; i++) {
    const segment = Segment.open(io, dir, baseOffsets[i]!);
    segment.indexIntervalBytes = indexIntervalBytes;
    segments.push(segment);
    const isLast = i === baseOffsets.length - 1;
    const fullScan = i >= scanFrom || !segment.loadIndexes();
    const trackProducers = (batch: ScannedBatch) => {
      if (batch.producerId >= 0 && batch.baseOffset >= producerFromOffset) {
        producerState.update(batch.producerId, batch.producerEpoch, batch.baseSequence, batch.lastOffset - batch.baseOffset, batch.baseOffset, batch.lastOffset);
      }
    };
    if (fullScan) {
      const cut = recoverSegment(io, segment, trackProducers);
      truncatedBytes += cut;
      if (!isLast) segment.seal();
      if (cut > 0) {
        // Everything after a damaged batch is unreachable: delete later segments (Kafka does too).
        for (const later of baseOffsets.slice(i + 1)) deleteSegmentFiles(io, dir, later);
        break;
      }
    } else {
      if (isLast) {
        truncatedBytes += recoverTail(io, segment, trackProducers, producerFromOffset);
      } else {
        segment.nextOffset = baseOffsets[i + 1]!;
        if (baseOffsets[i + 1]! > producerFromOffset) hopHeaders(io, segment, producerFromOffset, trackProducers);
      }
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
  const logStartOffset = Math.min(Math.max(checkpoint.logStartOffset, segments[0]!.baseOffset), logEndOffset);
  producerState.retainFrom(logStartOffset);
  if (!cleanShutdown) active.flush();
  // After a clean shutdown close() has just written this same checkpoint: no temp file, fsync and
  // rename per partition at every start.
  if (checkpoint.recoveryPoint !== logEndOffset || checkpoint.logStartOffset !== logStartOffset) {
    try {
      writeCheckpoint(io, dir, { recoveryPoint: logEndOffset, logStartOffset });
    } catch (err) {
      // On a full disk the log still opens (to be read, or deleted): the checkpoint only saves
      // the next start a rescan, and the old one still holds a logStartOffset that is right.
      if ((err as { code?: string }).code !== 'ENOSPC') throw err;
    }
  }
  if (cleanShutdown) {
    io.unlinkSync(`${dir}/${CLEAN_SHUTDOWN_FILE}`);
    io.fsyncDirSync(dir);
  }
  return { segments, logStartOffset, recoveryPoint: logEndOffset, producerState, truncatedBytes, cleanShutdown };
}

/** Full CRC-checked scan; rebuilds indexes; cuts at the first bad batch. Returns bytes cut. */
function recoverSegment(io: FileIo, segment: Segment, onBatch: (b: ScannedBatch) => void): number {
  segment.resetIndexes();
  const fileBytes = segment.sizeBytes;
  segment.sizeBytes = 0;
  return scanAndCut(io, segment, 0, fileBytes, onBatch);
}

/** After a clean shutdown: trust the indexes, check only the active segment's last indexed stretch. */
function recoverTail(io: FileIo, segment: Segment, onBatch: (b: ScannedBatch) => void, producerFromOffset: number): number {
  const fileBytes = segment.sizeBytes;
  const tailStart = segment.offsetIndex.lastPosition();
  if (producerFromOffset < segment.offsetIndex.lastOffset()) hopHeaders(io, segment, producerFromOffset, onBatch, tailStart);
  segment.sizeBytes = tailStart;
  segment.nextOffset = segment.offsetIndex.lastOffset();
  return scanAndCut(io, segment, tailStart, fileBytes, onBatch);
}

/** CRC-checks batches in [from, fileBytes), observing each; cuts the file after the last good one. */
function scanAndCut(io: FileIo, segment: Segment, from: number, fileBytes: number, onBatch: (b: ScannedBatch) => void): number {
  let end = from;
  scanBatches(io, segment.logFd(), from, fileBytes, { verify: true }, (batch) => {
    if (batch.baseOffset < segment.nextOffset) return false; // offsets must increase
    segment.observe(batch);
    onBatch(batch);
    end = batch.position + batch.sizeBytes;
    return true;
  });
  if (end < fileBytes) segment.truncateLog(end);
  segment.sizeBytes = end;
  segment.writePendingIndexEntries();
  return fileBytes - end;
}

/** Header-only pass for producer state over batches with baseOffset >= fromOffset. */
function hopHeaders(io: FileIo, segment: Segment, fromOffset: number, onBatch: (b: ScannedBatch) => void, endPosition = segment.sizeBytes): void {
  if (endPosition <= 0) return;
  scanBatches(io, segment.logFd(), segment.floorPosition(fromOffset), endPosition, { verify: false, chunkBytes: 1024 * 1024 }, (batch) => {
    if (batch.baseOffset >= fromOffset) onBatch(batch);
    return true;
  });
}

function removeLeftovers(io: FileIo, dir: string, names: readonly string[]): void {
  const logs = new Set(names.filter((n) => n.endsWith(LOG_SUFFIX)).map((n) => n.slice(0, -LOG_SUFFIX.length)));
  for (const name of names) {
    const orphanIndex = (name.endsWith(INDEX_SUFFIX) && !logs.has(name.slice(0, -INDEX_SUFFIX.length))) ||
      (name.endsWith(TIME_INDEX_SUFFIX) && !logs.has(name.slice(0, -TIME_INDEX_SUFFIX.length)));
    if (name.endsWith('.tmp') || name.endsWith('.deleted') || orphanIndex) io.unlinkSync(`${dir}/${name}`);
  }
}

function deleteSegmentFiles(io: FileIo, dir: string, baseOffset: number): void {
  const segment = Segment.open(io, dir, baseOffset);
  segment.deleteFiles();
}

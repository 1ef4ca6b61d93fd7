/**
 * When the active segment rolls, beyond segment.bytes (Kafka's LogSegment.shouldRoll and
 * LogConfig.maxSegmentMs / randomSegmentJitter):
 *  - time: segment.ms minus this segment's jitter (a random amount below segment.jitter.ms,
 *    drawn once per segment, so partitions created together do not all roll together); for a
 *    compacted topic at most max.compaction.lag.ms, so records can become cleanable in time.
 *  - index: before its offset index would exceed segment.index.bytes (8-byte entries) or its
 *    time index would (12-byte entries, one kept free for the entry a roll adds). Brook keeps
 *    both indexes in memory as well, so this also bounds their memory per segment.
 * Owned by the PartitionLog that uses it; not thread-safe.
 */
import { OFFSET_INDEX_ENTRY_BYTES } from './offset-index.js';
import { TIME_INDEX_ENTRY_BYTES } from './time-index.js';
import type { LogConfig } from './log-config.js';

export class SegmentRollPolicy {
  private readonly jitterMs = new WeakMap<object, number>();

  /** `random` returns [0, 1) like Math.random (tests pass a fixed one). */
  constructor(private readonly random: () => number = Math.random) {}

  /** When `segment` (the active one) rolls by time under `config`; Infinity while it is empty. */
  rollDueMs(segment: { sizeBytes: number; rollingBasedTimestamp: number | null }, config: LogConfig): number {
    if (segment.sizeBytes === 0 || segment.rollingBasedTimestamp === null) return Infinity;
    return segment.rollingBasedTimestamp + maxSegmentMs(config) - this.jitterFor(segment, config);
  }

  private jitterFor(segment: object, config: LogConfig): number {
    let jitter = this.jitterMs.get(segment);
    if (jitter === undefined) {
      const bound = Math.min(config.segmentJitterMs, config.segmentMs);
      jitter = bound > 0 && bound !== Infinity ? Math.floor(this.random() * bound) : 0;
      this.jitterMs.set(segment, jitter);
    }
    return jitter;
  }
}

/** LogConfig.maxSegmentMs: a compacted topic rolls at least every max.compaction.lag.ms. */
export function maxSegmentMs(config: LogConfig): number {
  return config.cleanupPolicy.includes('compact') ? Math.min(config.maxCompactionLagMs, config.segmentMs) : config.segmentMs;
}

/**
 * True when appending `batchCount` batches could take either index of a segment past
 * segment.index.bytes (each batch adds at most one entry to each).
 */
export function indexesWouldOverflow(offsetIndexEntries: number, timeIndexEntries: number, batchCount: number, config: LogConfig): boolean {
  const maxOffsetEntries = Math.floor(config.segmentIndexBytes / OFFSET_INDEX_ENTRY_BYTES);
  const maxTimeEntries = Math.floor(config.segmentIndexBytes / TIME_INDEX_ENTRY_BYTES);
  return offsetIndexEntries + batchCount > maxOffsetEntries || timeIndexEntries + batchCount > maxTimeEntries - 1;
}

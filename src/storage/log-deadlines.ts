/**
 * When a log's clock-driven work falls due: flush.ms, retention.ms, retention.bytes and the
 * periodic recovery-point checkpoint (segment.ms with its jitter: segment-roll.ts rollDueMs;
 * compaction with min/max.compaction.lag.ms: log-cleaner.ts compactionDueMs). PartitionLog
 * uses the same functions in tick() (run what is due) and nextDeadlineMs() (the earliest time
 * anything will be), so the two never disagree: a scheduler that calls tick() at that time finds
 * work, and a tick() before it does nothing.
 *
 * Each returns an absolute wall-clock ms, Infinity for never, and for work due at once the
 * `nowMs` it was given (retention.bytes and compaction change only with an append, a roll, a
 * deletion or a config change, never with time).
 */
import type { LogConfig } from './log-config.js';
import type { Segment } from './segment.js';

/** flush.ms counts from the first append not yet fsynced (Kafka: "how long a message may sit unflushed"). */
export function flushDueMs(config: LogConfig, firstUnflushedAppendMs: number | null): number {
  return firstUnflushedAppendMs === null ? Infinity : firstUnflushedAppendMs + config.flushMs;
}

/**
 * Retention deletes closed segments oldest first and stops at the first one it keeps, so only the
 * oldest closed segment decides: by size at once, by time when its newest record is older than
 * retention.ms. Never the active segment (a segment.ms roll closes it first).
 */
export function retentionDueMs(config: LogConfig, segments: readonly Segment[], totalBytes: number, nowMs: number): number {
  if (!config.cleanupPolicy.includes('delete') || segments.length < 2) return Infinity;
  const oldest = segments[0]!;
  if (config.retentionBytes >= 0 && totalBytes - oldest.sizeBytes >= config.retentionBytes) return nowMs;
  if (config.retentionMs < 0 || oldest.maxTimestamp < 0) return Infinity;
  return oldest.maxTimestamp + config.retentionMs + 1; // expired once now - maxTimestamp > retention.ms
}

/** The checkpoint is rewritten every interval, but only when what it records has changed. */
export function checkpointDueMs(lastCheckpointMs: number, intervalMs: number, changed: boolean): number {
  return changed ? lastCheckpointMs + intervalMs : Infinity;
}

/** How many of the oldest closed segments retention deletes now (what retentionDueMs waits for). */
export function retentionDeleteCount(config: LogConfig, segments: readonly Segment[], totalBytes: number, nowMs: number): number {
  if (!config.cleanupPolicy.includes('delete')) return 0;
  let remainingBytes = totalBytes;
  let deleteCount = 0;
  for (let i = 0; i < segments.length - 1; i++) {
    const segment = segments[i]!;
    const expired = config.retentionMs >= 0 && segment.maxTimestamp >= 0 && nowMs - segment.maxTimestamp > config.retentionMs;
    const oversize = config.retentionBytes >= 0 && remainingBytes - segment.sizeBytes >= config.retentionBytes;
    if (!expired && !oversize) break;
    remainingBytes -= segment.sizeBytes;
    deleteCount++;
  }
  return deleteCount;
}

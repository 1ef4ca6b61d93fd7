/**
 * PartitionLog.nextDeadlineMs() and tick() on a ManualClock (src/storage/log-deadlines.ts): for
 * each kind of clock-driven work, the deadline is exact, a tick() a millisecond before it changes
 * nothing on disk, a tick() at it does the work, and the deadline then moves forward. An idle log
 * with nothing to flush, roll or expire has no deadline at all.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/common/clock.js';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { DEFAULT_LOG_CONFIG, type LogConfig } from '../../src/storage/log-config.js';
import { nodeIo, type FileIo } from '../../src/storage/io.js';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { batchOf, smallConfig, tempDir } from './helpers.js';

const T0 = 1_700_000_000_000;
const DAY_MS = 24 * 3600 * 1000;

/** A log on a ManualClock at T0 and an io counting every call that changes the disk. */
function openLog(overrides: Partial<LogConfig>) {
  const clock = new ManualClock(T0);
  const changes = { count: 0 };
  const io: FileIo = {
    ...nodeIo,
    writeSync: (...args) => (changes.count++, nodeIo.writeSync(...args)),
    fsyncSync: (fd) => (changes.count++, nodeIo.fsyncSync(fd)),
    fsyncDirSync: (path) => (changes.count++, nodeIo.fsyncDirSync(path)),
    renameSync: (from, to) => (changes.count++, nodeIo.renameSync(from, to)),
    unlinkSync: (path) => (changes.count++, nodeIo.unlinkSync(path)),
    ftruncateSync: (fd, length) => (changes.count++, nodeIo.ftruncateSync(fd, length)),
  };
  const log = PartitionLog.open(tempDir(), smallConfig({ flushMs: Infinity, retentionMs: -1, segmentMs: Infinity, ...overrides }), { clock, io });
  /** tick() at `ms - 1` must change nothing; returns with the clock at `ms`. */
  const tickEarlyAt = (ms: number) => {
    clock.set(ms - 1);
    const before = changes.count;
    log.tick();
    expect(changes.count, `tick at ${ms - 1 - T0} ms after T0 changed the disk`).toBe(before);
    clock.set(ms);
  };
  return { log, clock, changes, tickEarlyAt };
}

describe('PartitionLog.nextDeadlineMs', () => {
  it('is Infinity for an idle log with default configs, before and after a clean reopen', () => {
    const clock = new ManualClock(T0);
    const dir = tempDir();
    const log = PartitionLog.open(dir, DEFAULT_LOG_CONFIG, { clock });
    expect(log.nextDeadlineMs()).toBe(Infinity);
    clock.advance(365 * DAY_MS);
    log.tick();
    expect(log.nextDeadlineMs()).toBe(Infinity);
    log.close();
    const again = PartitionLog.open(dir, DEFAULT_LOG_CONFIG, { clock });
    expect(again.nextDeadlineMs()).toBe(Infinity);
    again.close();
  });

  it('flush.ms: due flush.ms after the first unflushed append; the flush moves it to the checkpoint', () => {
    const { log, clock, tickEarlyAt } = openLog({ flushMs: 1000, segmentMs: 10 * DAY_MS });
    clock.advance(200);
    log.append(batchOf('a', 2, T0));
    clock.advance(500);
    log.append(batchOf('b', 2, T0)); // not the first unflushed one: the deadline stays
    expect(log.nextDeadlineMs()).toBe(T0 + 1200);
    tickEarlyAt(T0 + 1200);
    expect(log.recoveryPoint).toBe(0);
    log.tick();
    expect(log.recoveryPoint).toBe(4);
    expect(log.nextDeadlineMs()).toBe(T0 + 60_000); // the checkpoint now differs from the file
    log.close();
  });

  it('segment.ms: due segment.ms after the active segment took its first batch; the roll moves it to retention', () => {
    const { log, clock, tickEarlyAt } = openLog({ segmentMs: 10_000, retentionMs: 3 * DAY_MS });
    clock.advance(300);
    log.append(batchOf('a', 1, T0 - 5000)); // the record's own timestamp does not count for segment.ms
    expect(log.nextDeadlineMs()).toBe(T0 + 10_300);
    tickEarlyAt(T0 + 10_300);
    expect(log.segmentCount).toBe(1);
    log.tick();
    expect(log.segmentCount).toBe(2);
    expect(log.nextDeadlineMs()).toBe(T0 - 5000 + 3 * DAY_MS + 1); // the closed segment's maxTimestamp + retention.ms
    log.close();
  });

  it('retention.ms: due once the oldest closed segment\'s newest record is older than retention.ms', () => {
    const { log, clock, tickEarlyAt } = openLog({ retentionMs: 60_000, segmentBytes: 1024 });
    for (let i = 0; i < 30; i++) log.append(batchOf(`r${i}`, 2, T0 + i * 10));
    expect(log.segmentCount).toBeGreaterThan(2);
    log.flush();
    clock.advance(60_000);
    log.tick(); // the checkpoint of the flush: not retention yet
    const oldestMax = T0 + 10 * (log.segmentBaseOffsets()[1]! / 2 - 1) + 1; // second record of the batch before the second segment
    expect(log.nextDeadlineMs()).toBe(oldestMax + 60_000 + 1);
    tickEarlyAt(oldestMax + 60_001);
    expect(log.logStartOffset).toBe(0);
    log.tick();
    expect(log.logStartOffset).toBe(log.segmentBaseOffsets()[0]);
    expect(log.logStartOffset).toBeGreaterThan(0);
    expect(log.nextDeadlineMs()).toBeGreaterThan(oldestMax + 60_001);
    log.close();
  });

  it('retention.bytes: due at once after the append that went over; the deletion moves it away', () => {
    const { log, clock } = openLog({ retentionBytes: 1500, segmentBytes: 1024 });
    let appended = 0;
    while (log.nextDeadlineMs() > clock.nowMs()) log.append(batchOf(`s${appended++}`, 2, T0));
    expect(log.sizeBytes - 1024).toBeGreaterThanOrEqual(1500 - 1024);
    expect(log.nextDeadlineMs()).toBe(clock.nowMs());
    clock.advance(1);
    log.tick();
    expect(log.logStartOffset).toBeGreaterThan(0);
    expect(log.nextDeadlineMs()).toBeGreaterThan(clock.nowMs());
    log.close();
  });

  it('compaction: due at once while the dirty ratio is at min.cleanable.dirty.ratio; a pass moves it away', () => {
    const { log, clock } = openLog({ cleanupPolicy: 'compact', minCleanableDirtyRatio: 0.5, segmentBytes: 1024 });
    const keyed = (i: number) => encodeRecordBatch([{ key: Buffer.from(`k${i % 3}`), value: Buffer.from(`value ${i}`) }], { baseTimestamp: T0 });
    log.append(keyed(0));
    expect(log.nextDeadlineMs()).toBe(Infinity); // no closed segment: nothing to clean
    let i = 1;
    while (log.segmentCount < 3) log.append(keyed(i++));
    expect(log.nextDeadlineMs()).toBe(clock.nowMs());
    const sizeBefore = log.sizeBytes;
    log.tick();
    expect(log.sizeBytes).toBeLessThan(sizeBefore);
    // The replaced segments' .deleted files wait file.delete.delay.ms (60 s by default), then go.
    expect(log.nextDeadlineMs()).toBe(clock.nowMs() + 60_000);
    clock.advance(60_000);
    log.tick();
    expect(log.nextDeadlineMs()).toBe(Infinity);
    log.close();
  });

  it('checkpoint: rewritten a minute after the last one only when the recovery point or log start moved', () => {
    const { log, clock, changes, tickEarlyAt } = openLog({});
    clock.advance(5 * 60_000);
    log.tick();
    expect(log.nextDeadlineMs()).toBe(Infinity); // nothing changed: no periodic rewrite
    log.append(batchOf('a', 1, T0));
    log.flush();
    expect(log.nextDeadlineMs()).toBe(T0 + 60_000); // overdue: the last checkpoint was at the open
    clock.set(T0 + 60_000);
    const before = changes.count;
    log.tick();
    expect(changes.count).toBeGreaterThan(before);
    expect(log.nextDeadlineMs()).toBe(Infinity);
    log.append(batchOf('b', 1, T0));
    log.flush();
    expect(log.nextDeadlineMs()).toBe(T0 + 120_000);
    tickEarlyAt(T0 + 120_000);
    log.close();
  });

  it('moves with updateConfig', () => {
    const { log, clock } = openLog({ segmentMs: 10 * DAY_MS });
    log.append(batchOf('a', 1, T0));
    expect(log.nextDeadlineMs()).toBe(T0 + 10 * DAY_MS);
    clock.advance(100);
    log.updateConfig(smallConfig({ flushMs: 500, segmentMs: 10 * DAY_MS, retentionMs: -1 }));
    expect(log.nextDeadlineMs()).toBe(T0 + 500); // flush.ms counts from the append, made at T0
    log.updateConfig(smallConfig({ flushMs: Infinity, segmentMs: 50, retentionMs: -1 }));
    expect(log.nextDeadlineMs()).toBe(T0 + 50);
    log.close();
  });
});

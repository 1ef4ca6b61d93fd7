/**
 * The topic configs a single PartitionLog enforces, on a ManualClock: the LogValidator checks of
 * append (lying batch headers, timestamps), segment.jitter.ms, segment.index.bytes,
 * file.delete.delay.ms and min/max.compaction.lag.ms.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/common/clock.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { encodeRecordBatch, iterateBatches } from '../../src/protocol/record-batch.js';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { compactionDueMs } from '../../src/storage/log-cleaner.js';
import { SegmentRollPolicy } from '../../src/storage/segment-roll.js';
import { DelayedDeletes } from '../../src/storage/delayed-deletes.js';
import { nodeIo } from '../../src/storage/io.js';
import { batchOf, smallConfig, tempDir, valuesIn } from './helpers.js';
import { withHeader, withOffsetDelta } from './lying-batches.js';

const T0 = 1_700_000_000_000;

function keyed(tag: string, count: number, timestamp: number, keyCount = count): Buffer {
  return encodeRecordBatch(Array.from({ length: count }, (_, i) => ({ key: Buffer.from(`k${i % keyCount}`), value: Buffer.from(`${tag}-${i}`), timestamp })), { baseTimestamp: timestamp });
}

describe('append refuses batches whose header lies about their records', () => {
  it.each([
    ['recordsCount 1 and lastOffsetDelta 0 over three records', { recordsCount: 1, lastOffsetDelta: 0 }],
    ['a count larger than the records', { recordsCount: 5, lastOffsetDelta: 4 }],
    ['recordsCount other than lastOffsetDelta + 1', { recordsCount: 3, lastOffsetDelta: 7 }],
  ])('%s: INVALID_RECORD and nothing written', (_name, fields) => {
    const dir = tempDir();
    const log = PartitionLog.open(dir, smallConfig());
    log.append(batchOf('first', 2, T0));
    const before = fs.readFileSync(`${dir}/00000000000000000000.log`);
    const result = log.append(withHeader(batchOf('lie', 3, T0), fields));
    expect(result.errorCode).toBe(ErrorCode.INVALID_RECORD);
    expect(log.logEndOffset).toBe(2);
    expect(fs.readFileSync(`${dir}/00000000000000000000.log`)).toEqual(before);
    expect(log.append(batchOf('next', 1, T0)).baseOffset).toBe(2);
    log.close();
  });

  it('refuses offset deltas with holes, and a lie in the second of two batches writes neither', () => {
    const log = PartitionLog.open(tempDir(), smallConfig());
    expect(log.append(withOffsetDelta(batchOf('holes', 3, T0), 2, 5)).errorCode).toBe(ErrorCode.INVALID_RECORD);
    const pair = Buffer.concat([batchOf('ok', 2, T0), withHeader(batchOf('lie', 3, T0), { recordsCount: 1, lastOffsetDelta: 0 })]);
    expect(log.append(pair).errorCode).toBe(ErrorCode.INVALID_RECORD);
    expect(log.logEndOffset).toBe(0);
    log.close();
  });
});

describe('message.timestamp.* limits', () => {
  it('refuses CreateTime records outside before/after.max.ms of the broker clock with INVALID_TIMESTAMP', () => {
    const clock = new ManualClock(T0);
    const log = PartitionLog.open(tempDir(), smallConfig({ messageTimestampBeforeMaxMs: 60_000, messageTimestampAfterMaxMs: 5_000 }), { clock });
    expect(log.append(batchOf('old', 2, T0 - 60_001)).errorCode).toBe(ErrorCode.INVALID_TIMESTAMP);
    expect(log.append(batchOf('future', 2, T0 + 5_001)).errorCode).toBe(ErrorCode.INVALID_TIMESTAMP);
    expect(log.append(batchOf('edge', 2, T0 - 60_000)).errorCode).toBe(ErrorCode.NONE);
    clock.advance(10_000); // the same timestamp is now too far in the past
    expect(log.append(batchOf('edge', 2, T0 - 60_000)).errorCode).toBe(ErrorCode.INVALID_TIMESTAMP);
    expect(log.logEndOffset).toBe(2);
    log.close();
  });
});

describe('segment rolls', () => {
  it('segment.jitter.ms rolls each segment a random amount below segment.ms earlier', () => {
    const clock = new ManualClock(T0);
    const log = PartitionLog.open(tempDir(), smallConfig({ segmentBytes: 1 << 20, segmentMs: 10_000, segmentJitterMs: 4_000 }), { clock, random: () => 0.5 });
    log.append(batchOf('a', 1, T0));
    clock.advance(7_999); // 10 000 - 0.5 * 4 000 = 8 000
    log.tick();
    expect(log.segmentCount).toBe(1);
    clock.advance(1);
    log.tick();
    expect(log.segmentCount).toBe(2);
    log.close();
  });

  it('without jitter a segment rolls at segment.ms exactly', () => {
    const clock = new ManualClock(T0);
    const log = PartitionLog.open(tempDir(), smallConfig({ segmentBytes: 1 << 20, segmentMs: 10_000 }), { clock, random: () => 0.5 });
    log.append(batchOf('a', 1, T0));
    clock.advance(9_999);
    log.tick();
    expect(log.segmentCount).toBe(1);
    clock.advance(1);
    log.tick();
    expect(log.segmentCount).toBe(2);
    log.close();
  });

  it('segment.index.bytes rolls before the offset index would grow past it', () => {
    // 40 bytes = 5 offset entries (3 time index entries: one kept for the roll).
    const dir = tempDir();
    const log = PartitionLog.open(dir, smallConfig({ segmentBytes: 1 << 20, indexIntervalBytes: 0, segmentIndexBytes: 40 }));
    for (let i = 0; i < 30; i++) log.append(batchOf(`b${i}`, 1, T0 + i));
    expect(log.segmentCount).toBeGreaterThan(5);
    for (const name of fs.readdirSync(dir).filter((n) => n.endsWith('.index'))) expect(fs.statSync(`${dir}/${name}`).size).toBeLessThanOrEqual(40);
    for (const name of fs.readdirSync(dir).filter((n) => n.endsWith('.timeindex'))) expect(fs.statSync(`${dir}/${name}`).size).toBeLessThanOrEqual(36);
    expect(valuesIn(log.read(0, 1 << 20)).length).toBeGreaterThan(0);
    log.close();
  });
});

describe('file.delete.delay.ms', () => {
  it('renames a segment deleted by retention to .deleted and removes it after the delay', () => {
    const clock = new ManualClock(T0);
    const dir = tempDir();
    const log = PartitionLog.open(dir, smallConfig({ segmentBytes: 1 << 20, retentionMs: 5_000, fileDeleteDelayMs: 30_000 }), { clock });
    log.append(batchOf('old', 3, T0 - 10_000)); // already past retention.ms
    log.roll();
    log.append(batchOf('new', 3, T0 + 3_600_000));
    log.tick(); // retention: the first segment goes
    expect(log.logStartOffset).toBe(3);
    const deleted = () => fs.readdirSync(dir).filter((n) => n.endsWith('.deleted')).sort();
    expect(deleted()).toEqual(['00000000000000000000.index.deleted', '00000000000000000000.log.deleted', '00000000000000000000.timeindex.deleted']);
    expect(fs.existsSync(`${dir}/00000000000000000000.log`)).toBe(false);
    expect(valuesIn(log.read(3, 1 << 20)).map((r) => r.value)).toEqual(['new-0', 'new-1', 'new-2']);
    clock.advance(29_999);
    log.tick();
    expect(deleted()).toHaveLength(3);
    clock.advance(1);
    log.tick();
    expect(deleted()).toEqual([]);
    log.close();
  });

  it('removes at once with file.delete.delay.ms=0, and reopening clears leftover .deleted files', () => {
    const dir = tempDir();
    const log = PartitionLog.open(dir, smallConfig({ segmentBytes: 200, fileDeleteDelayMs: 0 }));
    for (let i = 0; i < 5; i++) log.append(batchOf(`b${i}`, 2, T0));
    log.deleteRecordsBefore(6);
    expect(fs.readdirSync(dir).filter((n) => n.endsWith('.deleted'))).toEqual([]);
    log.close();
    fs.writeFileSync(`${dir}/00000000000000000000.log.deleted`, 'left by a crash');
    PartitionLog.open(dir, smallConfig({ segmentBytes: 200 })).close();
    expect(fs.existsSync(`${dir}/00000000000000000000.log.deleted`)).toBe(false);
  });
});

/** Records in the log, read batch by batch from the start (cleaned batches may be empty). */
function recordCount(log: PartitionLog): number {
  let count = 0;
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const buf = log.read(offset, 1 << 20);
    for (const { header } of iterateBatches(buf)) offset = header.baseOffset + header.lastOffsetDelta + 1;
    count += valuesIn(buf).length;
  }
  return count;
}

describe('compaction lag', () => {
  const compacted = { cleanupPolicy: 'compact' as const, segmentBytes: 1 << 20, segmentMs: 1_000, minCleanableDirtyRatio: 0.01, fileDeleteDelayMs: 0 };

  /** Two closed segments of 10 records over 2 keys, written at T0 and T0 + 1 000. */
  function twoSegments(clock: ManualClock, log: PartitionLog): void {
    log.append(keyed('a', 10, clock.nowMs(), 2));
    clock.advance(1_000);
    log.tick(); // roll
    log.append(keyed('b', 10, clock.nowMs(), 2));
    clock.advance(1_000);
    log.tick(); // roll; the cleaner may run now
  }

  it('min.compaction.lag.ms keeps records uncompacted until they are old enough', () => {
    const clock = new ManualClock(T0);
    const log = PartitionLog.open(tempDir(), smallConfig({ ...compacted, minCompactionLagMs: 10_000 }), { clock });
    twoSegments(clock, log);
    expect(valuesIn(log.read(0, 1 << 20)).length + valuesIn(log.read(10, 1 << 20)).length).toBe(20); // nothing cleaned yet
    clock.advance(8_000); // the first segment's newest record is now 10 s old, the second's 9 s
    log.tick();
    expect(valuesIn(log.read(0, 1 << 20)).map((r) => r.value)).toEqual(['a-8', 'a-9']);
    expect(valuesIn(log.read(10, 1 << 20)).length).toBe(10);
    log.close();
  });

  it('max.compaction.lag.ms cleans a log whose dirty ratio is below min.cleanable.dirty.ratio', () => {
    const clock = new ManualClock(T0);
    const log = PartitionLog.open(tempDir(), smallConfig({ ...compacted, minCleanableDirtyRatio: 0.9, segmentMs: 3_600_000, maxCompactionLagMs: 30_000 }), { clock });
    log.append(keyed('a', 10, clock.nowMs())); // ten keys: cleaning keeps all ten
    log.roll();
    log.clean();
    log.append(keyed('b', 4, clock.nowMs(), 2)); // k0, k1 twice each: a small dirty segment
    log.roll();
    log.append(keyed('c', 1, clock.nowMs(), 1)); // the active segment
    clock.advance(30_000);
    log.tick();
    expect(recordCount(log)).toBe(15); // about 30% dirty, and not overdue yet
    clock.advance(1);
    log.tick();
    // The active segment rolled too (a compacted topic rolls every max.compaction.lag.ms), so the
    // latest of k0 is c-0: a-0, a-1, b-0, b-1 and b-2 are gone.
    expect(recordCount(log)).toBe(10);
    log.close();
  });

  it('max.compaction.lag.ms rolls the active segment of a compacted topic so it can be cleaned', () => {
    const clock = new ManualClock(T0);
    const log = PartitionLog.open(tempDir(), smallConfig({ ...compacted, segmentMs: 3_600_000, maxCompactionLagMs: 5_000 }), { clock });
    log.append(keyed('a', 4, clock.nowMs(), 2));
    clock.advance(5_000);
    log.tick();
    expect(log.segmentCount).toBe(2);
    log.close();
  });
});

describe('deadlines a scheduler can wait for', () => {
  it('compactionDueMs names when min/max.compaction.lag.ms make a pass due, and nowMs once it is', () => {
    const clock = new ManualClock(T0);
    const dir = tempDir();
    const log = PartitionLog.open(dir, smallConfig({ cleanupPolicy: 'compact', segmentBytes: 1 << 20, segmentMs: 3_600_000, minCleanableDirtyRatio: 1,
      minCompactionLagMs: 10_000, maxCompactionLagMs: 60_000, fileDeleteDelayMs: 0 }), { clock });
    log.append(keyed('a', 4, T0, 2));
    log.roll();
    const closed = [...(log as unknown as { segments: unknown[] }).segments.slice(0, -1)] as Parameters<typeof compactionDueMs>[1];
    // Held back by min.compaction.lag.ms until T0 + 10 000; then the ratio (1: all dirty) is reached.
    expect(compactionDueMs(nodeIo, closed, 0, { ...smallConfig(), minCleanableDirtyRatio: 1, minCompactionLagMs: 10_000, maxCompactionLagMs: 60_000 }, T0)).toBe(T0 + 10_000);
    expect(compactionDueMs(nodeIo, closed, 0, { ...smallConfig(), minCleanableDirtyRatio: 1, minCompactionLagMs: 10_000, maxCompactionLagMs: 60_000 }, T0 + 10_000)).toBe(T0 + 10_000);
    // A ratio never reached: max.compaction.lag.ms decides (overdue once more than the lag passed).
    expect(compactionDueMs(nodeIo, closed, 0, { ...smallConfig(), minCleanableDirtyRatio: 2, maxCompactionLagMs: 60_000 }, T0)).toBe(T0 + 60_001);
    expect(compactionDueMs(nodeIo, closed, 0, { ...smallConfig(), minCleanableDirtyRatio: 2 }, T0)).toBe(Infinity);
    log.close();
  });

  it('rollDueMs subtracts the segment\'s jitter; DelayedDeletes names its next due time', () => {
    const policy = new SegmentRollPolicy(() => 0.25);
    const segment = { sizeBytes: 10, rollingBasedTimestamp: T0 };
    expect(policy.rollDueMs(segment, smallConfig({ segmentMs: 10_000, segmentJitterMs: 4_000 }))).toBe(T0 + 9_000);
    expect(policy.rollDueMs({ sizeBytes: 0, rollingBasedTimestamp: null }, smallConfig())).toBe(Infinity);
    const dir = tempDir();
    fs.writeFileSync(`${dir}/a`, 'x');
    const deletes = new DelayedDeletes(nodeIo);
    expect(deletes.nextDueMs()).toBe(Infinity);
    deletes.delete([`${dir}/a`], T0, 5_000);
    expect(deletes.nextDueMs()).toBe(T0 + 5_000);
  });
});

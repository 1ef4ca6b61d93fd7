import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { ManualClock } from '../../src/common/clock.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { OffsetOutOfRangeError } from '../../src/storage/errors.js';
import { LogReader } from '../../src/storage/log-reader.js';
import { readBatchHeader, ATTR_TIMESTAMP_TYPE_LOG_APPEND, checkBatch } from '../../src/protocol/record-batch.js';
import { batchOf, readAll, smallConfig, tempDir, valuesIn } from './helpers.js';

describe('PartitionLog', () => {
  it('assigns consecutive offsets and reads back whole batches from any offset', () => {
    const dir = tempDir();
    const log = PartitionLog.open(dir, smallConfig());
    const a = log.append(batchOf('a', 3, 1000));
    const b = log.append(batchOf('b', 2, 2000));
    expect([a.baseOffset, a.lastOffset, b.baseOffset, b.lastOffset]).toEqual([0, 2, 3, 4]);
    expect(log.logEndOffset).toBe(5);
    expect(valuesIn(log.read(0, 1 << 20)).map((v) => v.value)).toEqual(['a-0', 'a-1', 'a-2', 'b-0', 'b-1']);
    expect(valuesIn(log.read(4, 1)).map((v) => v.offset)).toEqual([3, 4]); // first batch whole (KIP-74)
    expect(log.read(5, 1000).length).toBe(0);
    log.close();
  });

  it('appends several batches laid end to end in one call', () => {
    const log = PartitionLog.open(tempDir(), smallConfig());
    const result = log.append(Buffer.concat([batchOf('x', 2, 1), batchOf('y', 3, 5)]));
    expect([result.baseOffset, result.lastOffset]).toEqual([0, 4]);
    expect(valuesIn(log.read(0, 1 << 20)).map((v) => `${v.offset}:${v.value}`)).toEqual(['0:x-0', '1:x-1', '2:y-0', '3:y-1', '4:y-2']);
    log.close();
  });

  it('rolls segments at segment.bytes and finds every offset through the indexes', () => {
    const dir = tempDir();
    const log = PartitionLog.open(dir, smallConfig({ segmentBytes: 2048, indexIntervalBytes: 100 }));
    for (let i = 0; i < 60; i++) log.append(batchOf(`r${i}`, 3, 1000 + i * 10));
    expect(log.segmentCount).toBeGreaterThanOrEqual(3);
    const all = readAll((o, m) => log.read(o, m), 0, log.logEndOffset);
    expect(all.map((v) => v.offset)).toEqual(Array.from({ length: 180 }, (_, i) => i));
    for (const offset of [0, 1, 77, 100, 179]) {
      const first = valuesIn(log.read(offset, 10)).find((v) => v.offset === offset);
      expect(first?.value).toBe(`r${Math.floor(offset / 3)}-${offset % 3}`);
    }
    log.close();
  });

  it('rolls by segment.ms and deletes segments past retention.ms, never the active one', () => {
    const clock = new ManualClock(1_000_000);
    const log = PartitionLog.open(tempDir(), smallConfig({ segmentMs: 1000, retentionMs: 5000 }), { clock });
    log.append(batchOf('old', 2, clock.nowMs()));
    clock.advance(1500);
    log.append(batchOf('mid', 2, clock.nowMs())); // segment.ms passed: rolls first
    expect(log.segmentCount).toBe(2);
    clock.advance(4000); // 'old' segment max timestamp is 5500 ms old
    log.tick();
    expect(log.logStartOffset).toBe(2);
    expect(() => log.read(0, 100)).toThrow(OffsetOutOfRangeError);
    clock.advance(100_000);
    log.tick(); // rolls the active segment by time, then retention deletes it
    expect(log.logStartOffset).toBe(4);
    expect(log.segmentCount).toBe(1);
    expect(log.logEndOffset).toBe(4);
    log.close();
  });

  it('deletes the oldest segments past retention.bytes', () => {
    const log = PartitionLog.open(tempDir(), smallConfig({ segmentBytes: 1024, retentionBytes: 2048 }));
    for (let i = 0; i < 40; i++) log.append(batchOf(`v${i}`, 2, 1000));
    log.tick();
    expect(log.sizeBytes - 1024).toBeLessThan(2048);
    expect(log.logStartOffset).toBeGreaterThan(0);
    expect(valuesIn(log.read(log.logStartOffset, 100))[0]!.offset).toBe(log.logStartOffset);
    log.close();
  });

  it('finds the first offset at or after a timestamp, across segments', () => {
    const log = PartitionLog.open(tempDir(), smallConfig({ segmentBytes: 1024, indexIntervalBytes: 64 }));
    for (let i = 0; i < 50; i++) log.append(batchOf(`t${i}`, 4, 10_000 + i * 100)); // record j of batch i at 10000+100i+j
    expect(log.offsetForTimestamp(0)).toEqual({ offset: 0, timestamp: 10_000 });
    expect(log.offsetForTimestamp(10_000 + 2500 + 2)).toEqual({ offset: 102, timestamp: 12_502 });
    expect(log.offsetForTimestamp(10_000 + 2500 + 50)).toEqual({ offset: 104, timestamp: 12_600 });
    expect(log.offsetForTimestamp(99_999)).toBeNull();
    log.close();
  });

  it('rejects reads outside [logStartOffset, logEndOffset] and changes nothing', () => {
    const log = PartitionLog.open(tempDir(), smallConfig());
    log.append(batchOf('a', 2, 1));
    expect(() => log.read(3, 100)).toThrow(OffsetOutOfRangeError);
    expect(() => log.read(-1, 100)).toThrow(OffsetOutOfRangeError);
    expect(log.deleteRecordsBefore(1)).toBe(1);
    expect(() => log.read(0, 100)).toThrow(OffsetOutOfRangeError);
    expect(() => log.deleteRecordsBefore(10)).toThrow(OffsetOutOfRangeError);
    expect(log.logEndOffset).toBe(2);
    log.close();
  });

  it('persists logStartOffset moved by deleteRecordsBefore across reopen', () => {
    const dir = tempDir();
    const log = PartitionLog.open(dir, smallConfig({ segmentBytes: 512 }));
    for (let i = 0; i < 20; i++) log.append(batchOf(`d${i}`, 2, 1));
    log.deleteRecordsBefore(15);
    log.close();
    const again = PartitionLog.open(dir, smallConfig({ segmentBytes: 512 }));
    expect(again.logStartOffset).toBe(15);
    expect(again.logEndOffset).toBe(40);
    again.close();
  });

  it('answers bad input with an error code and writes nothing', () => {
    const log = PartitionLog.open(tempDir(), smallConfig({ maxMessageBytes: 200 }));
    const big = batchOf('x'.repeat(300), 1, 1);
    expect(log.append(big).errorCode).toBe(ErrorCode.MESSAGE_TOO_LARGE);
    expect(log.append(batchOf('ok', 1, 1).subarray(0, 40)).errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    const oldMagic = batchOf('magic 1', 1, 1);
    oldMagic[16] = 1;
    expect(log.append(Buffer.concat([batchOf('v2', 1, 1), oldMagic])).errorCode).toBe(ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT);
    expect(log.logEndOffset).toBe(0);
    expect(log.sizeBytes).toBe(0);
    log.close();
  });

  it('refuses a batch whose CRC fails, and a whole append when any of its batches does', () => {
    const log = PartitionLog.open(tempDir(), smallConfig());
    const flipped = batchOf('crc', 2, 1);
    flipped[flipped.length - 1]! ^= 0x01; // a value byte: framing intact, CRC-32C wrong
    expect(log.append(flipped).errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    expect(log.append(Buffer.concat([batchOf('good', 2, 1), flipped])).errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    expect(log.logEndOffset).toBe(0);
    expect(log.sizeBytes).toBe(0);
    expect(log.append(batchOf('after', 1, 1)).baseOffset).toBe(0);
    log.close();
  });

  it('with LogAppendTime stamps maxTimestamp and the type bit and keeps the CRC valid', () => {
    const clock = new ManualClock(5_000_000);
    const log = PartitionLog.open(tempDir(), smallConfig({ messageTimestampType: 'LogAppendTime' }), { clock });
    const result = log.append(batchOf('lat', 2, 42));
    expect(result.logAppendTimeMs).toBe(5_000_000);
    const stored = log.read(0, 1000);
    const header = readBatchHeader(stored);
    expect(header.maxTimestamp).toBe(5_000_000);
    expect(header.attributes & ATTR_TIMESTAMP_TYPE_LOG_APPEND).not.toBe(0);
    expect('sizeBytes' in checkBatch(stored, 0)).toBe(true);
    log.close();
  });

  it('reopens after a clean close at the same offsets, and a LogReader sees the same bytes', () => {
    const dir = tempDir();
    const log = PartitionLog.open(dir, smallConfig({ segmentBytes: 1024 }));
    for (let i = 0; i < 30; i++) log.append(batchOf(`c${i}`, 2, 100 + i));
    const before = readAll((o, m) => log.read(o, m), 0, 60);
    log.close();
    expect(fs.readdirSync(dir)).toContain('.clean-shutdown');
    const again = PartitionLog.open(dir, smallConfig({ segmentBytes: 1024 }));
    expect(again.logEndOffset).toBe(60);
    expect(readAll((o, m) => again.read(o, m), 0, 60)).toEqual(before);
    const reader = new LogReader(dir);
    expect(readAll((o, m) => reader.read(o, m, 60), 0, 60)).toEqual(before);
    expect(reader.offsetForTimestamp(110, 60)).toEqual(again.offsetForTimestamp(110));
    expect(again.append(batchOf('next', 1, 1)).baseOffset).toBe(60);
    expect(reader.read(60, 1000, 60).length).toBe(0); // at the high watermark: nothing yet
    expect(valuesIn(reader.read(60, 1000, 61))[0]!.value).toBe('next-0'); // rolled or not, found after refresh
    reader.close();
    again.close();
  });
});

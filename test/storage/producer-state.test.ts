import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { encodeRecordBatch, readBatchHeader } from '../../src/protocol/record-batch.js';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { batchOf, smallConfig, tempDir } from './helpers.js';

const pid = (baseSequence: number, producerEpoch = 0, producerId = 42) => ({ producerId, producerEpoch, baseSequence });

describe('idempotent producer state', () => {
  it('answers an exact retry of one of the last 5 batches with its original offsets and writes nothing', () => {
    const log = PartitionLog.open(tempDir(), smallConfig());
    const first = log.append(batchOf('a', 2, 1, pid(0)));
    for (let s = 2; s < 12; s += 2) log.append(batchOf(`n${s}`, 2, 1, pid(s)));
    const size = log.sizeBytes;
    const end = log.logEndOffset;
    const retry = log.append(batchOf('x', 2, 1, pid(8)));
    expect(retry).toMatchObject({ duplicate: true, baseOffset: 8, lastOffset: 9, errorCode: 0 });
    expect([log.sizeBytes, log.logEndOffset]).toEqual([size, end]);
    // The first batch is now the 6th-newest: no longer recognised, and not in sequence either.
    expect(first.baseOffset).toBe(0);
    expect(log.append(batchOf('a', 2, 1, pid(0))).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    log.close();
  });

  it('rejects a sequence gap with OUT_OF_ORDER_SEQUENCE_NUMBER and an old epoch with INVALID_PRODUCER_EPOCH', () => {
    const log = PartitionLog.open(tempDir(), smallConfig());
    log.append(batchOf('a', 3, 1, pid(0, 1)));
    expect(log.append(batchOf('gap', 1, 1, pid(5, 1))).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect(log.append(batchOf('old', 1, 1, pid(3, 0))).errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect(log.append(batchOf('bump', 1, 1, pid(0, 2))).baseOffset).toBe(3); // a new epoch restarts at 0
    expect(log.logEndOffset).toBe(4);
    log.close();
  });

  for (const shutdown of ['clean', 'unclean'] as const) {
    it(`keeps producer state across a ${shutdown} reopen`, () => {
      const dir = tempDir();
      const config = smallConfig({ segmentBytes: 1024 });
      const log = PartitionLog.open(dir, config);
      for (let s = 0; s < 30; s += 3) log.append(batchOf(`p${s}`, 3, 1, pid(s)));
      log.append(batchOf('other', 1, 1, pid(0, 0, 7)));
      if (shutdown === 'clean') log.close();
      else expect(fs.readdirSync(dir)).not.toContain('.clean-shutdown');
      const again = PartitionLog.open(dir, config);
      expect(again.append(batchOf('retry', 3, 1, pid(27)))).toMatchObject({ duplicate: true, baseOffset: 27, lastOffset: 29 });
      expect(again.append(batchOf('gap', 1, 1, pid(31))).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
      expect(again.append(batchOf('next', 1, 1, pid(30))).baseOffset).toBe(31);
      expect(again.append(batchOf('o', 1, 1, pid(1, 0, 7))).baseOffset).toBe(32);
      again.close();
    });
  }
});

describe('idempotent producer state rebuilt after compaction', () => {
  it('after a crash, a batch the cleaner thinned still ends at its original last sequence (next sequence accepted, retry deduplicated)', () => {
    const dir = tempDir();
    const config = smallConfig({ cleanupPolicy: 'compact', minCleanableDirtyRatio: 0 });
    const keyed = (tag: string, count: number, baseSequence: number) =>
      encodeRecordBatch(Array.from({ length: count }, (_, i) => ({ key: Buffer.from('k'), value: Buffer.from(`${tag}-${i}`) })), { baseTimestamp: 1, ...pid(baseSequence) });
    const log = PartitionLog.open(dir, config);
    expect(log.append(keyed('a', 3, 0)).lastOffset).toBe(2); // sequences 0..2, one key
    log.roll();
    log.clean();
    const header = readBatchHeader(log.read(0, 1 << 20));
    expect([header.recordsCount, header.lastOffsetDelta]).toEqual([1, 2]); // thinned, offsets kept
    // A crash: no close, so the next open rebuilds producer state from batch headers.
    const reopened = PartitionLog.open(dir, config);
    expect(reopened.append(keyed('a', 3, 0))).toMatchObject({ errorCode: ErrorCode.NONE, duplicate: true, baseOffset: 0, lastOffset: 2 });
    expect(reopened.append(keyed('b', 1, 3))).toMatchObject({ errorCode: ErrorCode.NONE, duplicate: false, baseOffset: 3 });
    reopened.close();
    log.close();
  });
});

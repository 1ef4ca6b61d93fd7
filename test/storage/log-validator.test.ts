/**
 * Kafka's LogValidator rules on producer batches (header vs records, keys, timestamps) and the
 * broker-side recompression of compression.type, as pure functions.
 */
import { describe, expect, it } from 'vitest';
import { Compression } from '../../src/protocol/compression.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { ATTR_COMPRESSION_MASK, checkBatch, decodeRecords, encodeRecordBatch, readBatchHeader, type ProducerRecord } from '../../src/protocol/record-batch.js';
import { RecordWalker } from '../../src/protocol/record-walker.js';
import { checkBatchHeader, checkRecords, validateProduce, type RecordPolicy, type Refusal } from '../../src/storage/log-validator.js';
import { withHeader, withOffsetDelta } from './lying-batches.js';

const NOW = 1_700_000_000_000;
const OPEN: RecordPolicy = { requireKeys: false, timestampType: 'CreateTime', timestampBeforeMaxMs: Infinity, timestampAfterMaxMs: Infinity };

function records(count: number, timestamp = NOW): ProducerRecord[] {
  return Array.from({ length: count }, (_, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(`value ${i}`), timestamp }));
}

function walk(batch: Buffer, policy: RecordPolicy = OPEN): Refusal | null {
  return checkBatchHeader(batch, 0) ?? checkRecords(new RecordWalker(), batch, policy, NOW);
}

describe('batch header and records', () => {
  it('accepts an honest batch', () => {
    expect(walk(encodeRecordBatch(records(3)))).toBeNull();
  });

  it('refuses recordsCount 1 / lastOffsetDelta 0 over three records (the header is self-consistent, the records are not)', () => {
    const lying = withHeader(encodeRecordBatch(records(3)), { recordsCount: 1, lastOffsetDelta: 0 });
    expect(checkBatchHeader(lying, 0)).toBeNull();
    expect(walk(lying)).toMatchObject({ errorCode: ErrorCode.INVALID_RECORD });
  });

  it('refuses a count larger than the records present', () => {
    expect(walk(withHeader(encodeRecordBatch(records(3)), { recordsCount: 5, lastOffsetDelta: 4 }))).toMatchObject({ errorCode: ErrorCode.INVALID_RECORD });
  });

  it('refuses recordsCount other than lastOffsetDelta + 1, and a count of 0, from the header alone', () => {
    const honest = encodeRecordBatch(records(3));
    expect(checkBatchHeader(withHeader(honest, { lastOffsetDelta: 5 }), 0)).toMatchObject({ errorCode: ErrorCode.INVALID_RECORD, errorMessage: expect.stringContaining('count of records 3') });
    expect(checkBatchHeader(withHeader(honest, { recordsCount: 0 }), 0)).toMatchObject({ errorCode: ErrorCode.INVALID_RECORD });
  });

  it('refuses offset deltas that are not 0..n-1 in order', () => {
    const honest = encodeRecordBatch(records(3));
    expect(walk(withOffsetDelta(honest, 1, 1))).toBeNull(); // the helper itself changes nothing here
    expect(walk(withOffsetDelta(honest, 1, 2))).toMatchObject({ errorCode: ErrorCode.INVALID_RECORD, errorMessage: expect.stringContaining('offset delta 2') });
    expect(walk(withOffsetDelta(honest, 2, 1))).toMatchObject({ errorCode: ErrorCode.INVALID_RECORD });
  });

  it('refuses a keyless record on a compacted topic', () => {
    const mixed = encodeRecordBatch([{ key: Buffer.from('k'), value: Buffer.from('v') }, { value: Buffer.from('no key') }]);
    expect(walk(mixed)).toBeNull();
    expect(walk(mixed, { ...OPEN, requireKeys: true })).toMatchObject({ errorCode: ErrorCode.INVALID_RECORD, errorMessage: expect.stringContaining('without key') });
  });

  it('refuses CreateTime timestamps beyond message.timestamp.before/after.max.ms of the broker clock', () => {
    const policy = { ...OPEN, timestampBeforeMaxMs: 60_000, timestampAfterMaxMs: 1_000 };
    expect(walk(encodeRecordBatch(records(2, NOW - 60_000)), policy)).toBeNull();
    expect(walk(encodeRecordBatch(records(2, NOW - 60_001)), policy)).toMatchObject({ errorCode: ErrorCode.INVALID_TIMESTAMP });
    expect(walk(encodeRecordBatch(records(2, NOW + 1_000)), policy)).toBeNull();
    expect(walk(encodeRecordBatch(records(2, NOW + 1_001)), policy)).toMatchObject({ errorCode: ErrorCode.INVALID_TIMESTAMP });
    // LogAppendTime topics ignore the producer's timestamps.
    expect(walk(encodeRecordBatch(records(2, 0)), { ...policy, timestampType: 'LogAppendTime' })).toBeNull();
  });
});

describe('validateProduce', () => {
  it('decompresses compressed batches to check them, whatever the topic codec', () => {
    for (const codec of [Compression.gzip, Compression.snappy, Compression.lz4, Compression.zstd]) {
      const lying = withHeader(encodeRecordBatch(records(3), { compression: codec }), { recordsCount: 1, lastOffsetDelta: 0 });
      expect(validateProduce(lying, OPEN, NOW, null)).toMatchObject({ errorCode: ErrorCode.INVALID_RECORD });
      const honest = encodeRecordBatch(records(3), { compression: codec });
      expect(validateProduce(honest, OPEN, NOW, null)).toBe(honest); // kept byte for byte
    }
  });

  it('answers CORRUPT_MESSAGE, not a record error, for a compressed batch whose CRC fails', () => {
    const corrupt = Buffer.from(encodeRecordBatch(records(3), { compression: Compression.zstd }));
    corrupt[corrupt.length - 2]! ^= 0xff;
    expect(validateProduce(corrupt, OPEN, NOW, null)).toMatchObject({ errorCode: ErrorCode.CORRUPT_MESSAGE });
  });

  it('recompresses to the topic codec keeping header fields and records', () => {
    const source = encodeRecordBatch(records(50), { producerId: 7, producerEpoch: 2, baseSequence: 40, baseTimestamp: NOW - 5 });
    const two = Buffer.concat([source, encodeRecordBatch(records(4), { compression: Compression.gzip })]);
    for (const codec of [Compression.zstd, Compression.lz4, Compression.snappy, Compression.gzip, Compression.none]) {
      const out = validateProduce(two, OPEN, NOW, { codec, level: codec === Compression.zstd ? 3 : -1 }) as Buffer;
      expect(Buffer.isBuffer(out)).toBe(true);
      const first = readBatchHeader(out, 0);
      expect(first.attributes & ATTR_COMPRESSION_MASK).toBe(codec);
      expect(first).toMatchObject({ producerId: 7, producerEpoch: 2, baseSequence: 40, recordsCount: 50, lastOffsetDelta: 49, baseTimestamp: NOW - 5, maxTimestamp: NOW });
      expect(checkBatch(out, 0)).toEqual({ sizeBytes: first.batchLength + 12 }); // CRC valid
      expect(decodeRecords(out.subarray(0, first.batchLength + 12))).toEqual(decodeRecords(source));
      const second = out.subarray(first.batchLength + 12);
      expect(readBatchHeader(second, 0).attributes & ATTR_COMPRESSION_MASK).toBe(codec);
      expect(decodeRecords(second).map((r) => r.value!.toString())).toEqual(['value 0', 'value 1', 'value 2', 'value 3']);
    }
  });

  it('uses compression.gzip.level', () => {
    const words = Array.from({ length: 4000 }, (_, i) => `w${(i * 7919) % 613}`).join(' ');
    const batch = encodeRecordBatch([{ value: Buffer.from(words) }]);
    const fast = validateProduce(batch, OPEN, NOW, { codec: Compression.gzip, level: 1 }) as Buffer;
    const best = validateProduce(batch, OPEN, NOW, { codec: Compression.gzip, level: 9 }) as Buffer;
    expect(best.length).toBeLessThan(fast.length);
  });
});

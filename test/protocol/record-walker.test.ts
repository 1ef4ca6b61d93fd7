import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Compression } from '../../src/protocol/compression.js';
import { DecodeError } from '../../src/protocol/decode-error.js';
import { ATTRIBUTES_OFFSET, ATTR_TIMESTAMP_TYPE_LOG_APPEND, decodeRecords, encodeRecordBatch, type StoredRecord } from '../../src/protocol/record-batch.js';
import { RecordWalker } from '../../src/protocol/record-walker.js';
import { producerRecord } from '../helpers/records.js';

/** Everything the walker yields for one batch, as decodeRecords' objects. */
function walk(batch: Buffer, walker = new RecordWalker()): StoredRecord[] {
  walker.reset(batch);
  const records: StoredRecord[] = [];
  while (walker.next()) {
    records.push({ offset: walker.offset, timestamp: walker.timestamp, key: walker.key(), value: walker.value(), headers: walker.headers() });
  }
  return records;
}

/** Either the records or the DecodeError's message; anything else thrown fails the test. */
function outcome(read: () => StoredRecord[]): StoredRecord[] | string {
  try {
    return read();
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err;
    return `DecodeError: ${err.message}`;
  }
}

const codec = fc.constantFrom(Compression.none, Compression.gzip, Compression.snappy, Compression.lz4, Compression.zstd);

describe('RecordWalker', () => {
  it('reads the same records as decodeRecords for any batch, in every codec', () => {
    fc.assert(fc.property(fc.array(producerRecord, { maxLength: 20 }), codec, fc.integer({ min: 0, max: 2 ** 40 }), (records, compression, baseOffset) => {
      const batch = encodeRecordBatch(records, { compression, baseOffset });
      expect(walk(batch)).toEqual(decodeRecords(batch));
    }), { numRuns: 200 });
  });

  it('gives every record the batch max timestamp under LogAppendTime, as decodeRecords does', () => {
    const batch = encodeRecordBatch([{ value: Buffer.from('a'), timestamp: 10 }, { value: Buffer.from('b'), timestamp: 30 }]);
    batch.writeInt16BE(batch.readInt16BE(ATTRIBUTES_OFFSET) | ATTR_TIMESTAMP_TYPE_LOG_APPEND, ATTRIBUTES_OFFSET);
    expect(walk(batch).map((r) => r.timestamp)).toEqual([30, 30]);
    expect(walk(batch)).toEqual(decodeRecords(batch));
  });

  it('accepts and rejects exactly what decodeRecords does, with the same DecodeError, on corrupted batches', () => {
    const walker = new RecordWalker(); // reused across batches, as consumers do
    fc.assert(fc.property(
      fc.array(producerRecord, { minLength: 1, maxLength: 5 }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
      fc.nat(),
      (records, mutations, cut) => {
        const batch = encodeRecordBatch(records);
        for (const [at, byte] of mutations) batch[at % batch.length] = byte;
        const bytes = cut % 3 === 0 ? batch.subarray(0, cut % (batch.length + 1)) : batch;
        expect(outcome(() => walk(bytes, walker))).toEqual(outcome(() => decodeRecords(bytes)));
      },
    ), { numRuns: 500 });
  });

  it('throws DecodeError for a record whose length runs past the batch', () => {
    const batch = encodeRecordBatch([{ value: Buffer.from('hello') }]);
    batch[61] = 0x7e; // first record's length varint: 63, far past the end
    const walker = new RecordWalker();
    walker.reset(batch);
    expect(() => walker.next()).toThrow(DecodeError);
  });
});

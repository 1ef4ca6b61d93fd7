import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { crc32c } from '../../src/protocol/crc32c.js';
import { Compression } from '../../src/protocol/compression.js';
import { DecodeError } from '../../src/protocol/decode-error.js';
import { checkBatch, decodeRecords, encodeRecordBatch, encodeRecordBatches, iterateBatches, readBatchHeader, readInt64, writeInt64 } from '../../src/protocol/record-batch.js';
import { readZigzagVarint, readZigzagVarlong, writeZigzagVarint, writeZigzagVarlong } from '../../src/protocol/varint.js';

const require = createRequire(import.meta.url);
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js');
const kafkajsRecord = require('kafkajs/src/protocol/recordBatch/record/v0/index.js');
const kafkajsDecodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js');
const KafkajsDecoder = require('kafkajs/src/protocol/decoder.js');
const Long = require('kafkajs/src/utils/long.js');

const records = [
  { key: Buffer.from('k1'), value: Buffer.from('hello'), timestamp: 1_700_000_000_000, headers: [{ key: 'h', value: Buffer.from('v') }] },
  { key: null, value: Buffer.from('x'.repeat(500)), timestamp: 1_700_000_000_005 },
  { key: Buffer.from('k3'), value: null, timestamp: 1_700_000_000_002 },
];

describe('RecordBatch v2 codec', () => {
  for (const [name, codec] of Object.entries(Compression)) {
    it(`round-trips records through ${name}`, () => {
      const batch = encodeRecordBatch(records, { compression: codec, baseOffset: 10 });
      expect('sizeBytes' in checkBatch(batch, 0)).toBe(true);
      const header = readBatchHeader(batch);
      expect([header.baseOffset, header.lastOffsetDelta, header.maxTimestamp, header.attributes & 7]).toEqual([10, 2, 1_700_000_000_005, codec]);
      const decoded = decodeRecords(batch);
      expect(decoded.map((r) => [r.offset, r.timestamp, r.key?.toString() ?? null, r.value?.toString() ?? null])).toEqual(
        records.map((r, i) => [10 + i, r.timestamp, r.key?.toString() ?? null, r.value?.toString() ?? null]),
      );
      expect(decoded[0]!.headers).toEqual([{ key: 'h', value: Buffer.from('v') }]);
    });
  }

  it('computes CRC-32C check value and zigzag varints as the specs give them', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    const buf = Buffer.alloc(10);
    expect(writeZigzagVarint(buf, 0, -1)).toBe(1);
    expect(buf[0]).toBe(0x01);
    expect(writeZigzagVarint(buf, 0, 300)).toBe(2);
    expect([...buf.subarray(0, 2)]).toEqual([0xd8, 0x04]);
    for (const v of [0, -1, 1, 63, -64, 2 ** 31 - 1, -(2 ** 31)]) {
      writeZigzagVarint(buf, 0, v);
      expect(readZigzagVarint(buf, { pos: 0 })).toBe(v);
    }
    for (const v of [0, -1, 2 ** 40, -(2 ** 50)]) {
      writeZigzagVarlong(buf, 0, v);
      expect(readZigzagVarlong(buf, { pos: 0 })).toBe(v);
    }
  });

  for (const [name, codec] of [['none', 0], ['gzip', 1]] as const) {
    it(`decodes a batch kafkajs encoded (${name}) and kafkajs decodes ours`, async () => {
      const theirs: Buffer = (
        await RecordBatch({
          compression: codec,
          firstOffset: Long.fromNumber(5),
          firstTimestamp: 1000,
          maxTimestamp: 1002,
          lastOffsetDelta: 1,
          records: [
            kafkajsRecord({ offsetDelta: 0, timestampDelta: 0, key: Buffer.from('a'), value: Buffer.from('one') }),
            kafkajsRecord({ offsetDelta: 1, timestampDelta: 2, key: null, value: Buffer.from('two'), headers: { h: Buffer.from('x') } }),
          ],
        })
      ).buffer;
      expect('sizeBytes' in checkBatch(theirs, 0)).toBe(true);
      const ours = decodeRecords(theirs);
      expect(ours.map((r) => [r.offset, r.timestamp, r.value!.toString()])).toEqual([[5, 1000, 'one'], [6, 1002, 'two']]);
      expect(ours[1]!.headers).toEqual([{ key: 'h', value: Buffer.from('x') }]);

      const mine = encodeRecordBatch(records, { compression: codec, baseOffset: 7 });
      const decoded = await kafkajsDecodeBatch(new KafkajsDecoder(mine));
      expect(decoded.records.map((r: { offset: string; value: Buffer | null }) => [r.offset, r.value?.toString() ?? null])).toEqual([
        ['7', 'hello'], ['8', 'x'.repeat(500)], ['9', null],
      ]);
    });
  }

  it('on any byte string either decodes or throws DecodeError, nothing else', () => {
    const valid = encodeRecordBatch(records);
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 1, max: 255 })).map(([i, x]) => {
        const copy = Buffer.from(valid);
        copy[i] = copy[i]! ^ x;
        return copy;
      })), (bytes) => {
        try {
          decodeRecords(Buffer.from(bytes));
        } catch (err) {
          if (!(err instanceof DecodeError)) throw err;
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('encodeRecordBatches', () => {
  const record = (i: number, valueBytes: number) => ({ key: Buffer.from(`k${i}`), value: Buffer.alloc(valueBytes, i % 251) });
  const split = (buf: Buffer) => [...iterateBatches(buf)].map(({ pos, sizeBytes }) => buf.subarray(pos, pos + sizeBytes));

  it('splits records into batches of at most maxBatchBytes, in order, filling each batch', () => {
    const records = Array.from({ length: 500 }, (_, i) => record(i, 100 + (i % 37)));
    const buf = encodeRecordBatches(records, 4096);
    const batches = split(buf);
    expect(batches.length).toBeGreaterThan(10);
    expect(batches.reduce((n, b) => n + b.length, 0)).toBe(buf.length);
    for (const [i, batch] of batches.entries()) {
      expect(batch.length).toBeLessThanOrEqual(4096);
      expect(checkBatch(batch, 0)).toEqual({ sizeBytes: batch.length });
      // Full: the next batch's first record would not have fitted (same size as a fresh encode).
      const next = batches[i + 1];
      if (next !== undefined) {
        const first = decodeRecords(next)[0]!;
        const grown = encodeRecordBatch([...decodeRecords(batch).map((r) => ({ key: r.key, value: r.value })), { key: first.key, value: first.value }], { baseTimestamp: readBatchHeader(batch).baseTimestamp });
        expect(grown.length).toBeGreaterThan(4096);
      }
    }
    const decoded = batches.flatMap((b) => decodeRecords(b));
    expect(decoded.map((r) => r.key!.toString())).toEqual(records.map((r) => r.key.toString()));
    expect(decoded.every((r, i) => r.value!.equals(records[i]!.value))).toBe(true);
  });

  it('keeps everything in one batch when it fits, and gives a record larger than the limit a batch of its own', () => {
    const small = [record(1, 10), record(2, 10)];
    const one = encodeRecordBatches(small, 1 << 20);
    expect(split(one)).toHaveLength(1);
    expect(one.length).toBe(encodeRecordBatch(small, { baseTimestamp: readBatchHeader(one).baseTimestamp }).length);
    const batches = split(encodeRecordBatches([record(1, 10), record(2, 5000), record(3, 10)], 1000));
    expect(batches.map((b) => decodeRecords(b).length)).toEqual([1, 1, 1]);
    expect(batches[1]!.length).toBeGreaterThan(5000);
  });
});

describe('readInt64 / writeInt64', () => {
  it('agree with BigInt64 for every safe integer, negative ones (producer id -1) included', () => {
    fc.assert(fc.property(fc.oneof(fc.maxSafeInteger(), fc.constantFrom(-1, 0, 2 ** 32 - 1, 2 ** 32, -(2 ** 32), Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER)), (value) => {
      const buf = Buffer.alloc(10);
      writeInt64(buf, 1, value);
      expect(buf.readBigInt64BE(1)).toBe(BigInt(value));
      expect(readInt64(buf, 1)).toBe(value);
    }), { numRuns: 500 });
  });
});

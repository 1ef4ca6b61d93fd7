import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OutputBuffer } from '../../src/cli/bulk-output.js';
import type { ConsumerRecord } from '../../src/embedded/consumer.js';
import { collectRecords, nextFetchOffset, type FetchedBatches } from '../../src/embedded/record-delivery.js';
import { Compression } from '../../src/protocol/compression.js';
import { ATTR_CONTROL, ATTRIBUTES_OFFSET, CRC_OFFSET, encodeRecordBatch, type ProducerRecord } from '../../src/protocol/record-batch.js';
import { crc32c } from '../../src/protocol/crc32c.js';
import { RecordWalker } from '../../src/protocol/record-walker.js';

interface Batch {
  records: ProducerRecord[];
  compression: number;
  control: boolean;
}

/** Concatenated batches with consecutive offsets from 0, as a fetch returns them. */
function encodeLog(batches: Batch[]): Buffer {
  let baseOffset = 0;
  return Buffer.concat(batches.map(({ records, compression, control }) => {
    const bytes = encodeRecordBatch(records, { baseOffset, compression });
    if (control) {
      bytes.writeInt16BE(bytes.readInt16BE(ATTRIBUTES_OFFSET) | ATTR_CONTROL, ATTRIBUTES_OFFSET);
      bytes.writeUInt32BE(crc32c(bytes.subarray(ATTRIBUTES_OFFSET)), CRC_OFFSET);
    }
    baseOffset += records.length;
    return bytes;
  }));
}

/** What the record path prints: every data record in bounds, through OutputBuffer.add. */
function expected(batches: Batch[], fetched: FetchedBatches, separator: Buffer | null, maxRecords: number): { bytes: Buffer; count: number } {
  const output = new OutputBuffer('value', separator);
  let offset = 0;
  let count = 0;
  for (const batch of batches) {
    for (const record of batch.records) {
      if (!batch.control && offset >= fetched.fromOffset && offset < fetched.stopOffset && count < maxRecords) {
        output.add({ topic: 't', partition: 0, offset, timestamp: 0, key: record.key ?? null, value: record.value, headers: [] });
        count++;
      }
      offset++;
    }
  }
  return { bytes: output.take() ?? Buffer.alloc(0), count };
}

const bytesOrNull = fc.option(fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)), { nil: null });
const batchArb: fc.Arbitrary<Batch> = fc.record({
  records: fc.array(fc.record({
    key: bytesOrNull,
    value: bytesOrNull,
    headers: fc.array(fc.record({ key: fc.string({ maxLength: 4 }), value: bytesOrNull }), { maxLength: 2 }),
  }), { minLength: 1, maxLength: 12 }),
  compression: fc.constantFrom(Compression.none, Compression.none, Compression.lz4, Compression.zstd),
  control: fc.integer({ min: 0, max: 9 }).map((n) => n < 2),
});

describe('OutputBuffer.addBatches (brook consume formatting straight from fetched batches)', () => {
  it('prints the same bytes as formatting each decoded record, within offset bounds and maxRecords', () => {
    fc.assert(fc.property(
      fc.array(batchArb, { minLength: 1, maxLength: 5 }),
      fc.nat(60), fc.option(fc.nat(60), { nil: Infinity }), fc.option(fc.integer({ min: 1, max: 40 }), { nil: Infinity }),
      fc.constantFrom(null, Buffer.from('\t'), Buffer.from('<--a long separator, longer than any record framing-->')),
      (batches, fromOffset, stopOffset, maxRecords, separator) => {
        const fetched: FetchedBatches = { topic: 't', partition: 0, records: encodeLog(batches), fromOffset, stopOffset };
        const output = new OutputBuffer('value', separator);
        const written = output.addBatches(fetched, maxRecords);
        const want = expected(batches, fetched, separator, maxRecords);
        expect((output.take() ?? Buffer.alloc(0)).equals(want.bytes)).toBe(true);
        expect(written).toBe(want.count);
        const records: ConsumerRecord[] = [];
        expect(collectRecords(new RecordWalker(), fetched, records, maxRecords)).toBe(written);
      },
    ), { numRuns: 300 });
  });

  it('prints values of every size in order across a growing buffer, null values as empty lines', () => {
    const values = [null, Buffer.alloc(0), Buffer.from('x'), Buffer.alloc(15, 1), Buffer.alloc(16, 2), Buffer.alloc(99, 3), Buffer.alloc(200_000, 4)];
    const records = values.map((value) => ({ value }));
    const fetched: FetchedBatches = { topic: 't', partition: 0, records: encodeRecordBatch(records), fromOffset: 0, stopOffset: Infinity };
    const output = new OutputBuffer('value', null);
    expect(output.addBatches(fetched)).toBe(values.length);
    const want = Buffer.concat(values.flatMap((v) => [v ?? Buffer.alloc(0), Buffer.from('\n')]));
    expect(output.take()!.equals(want)).toBe(true);
  });

  it('formats --format json from batches like the record path', () => {
    const fetched: FetchedBatches = {
      topic: 't', partition: 3, fromOffset: 5, stopOffset: Infinity,
      records: encodeRecordBatch([{ key: Buffer.from('k'), value: Buffer.from('v'), headers: [{ key: 'h', value: null }], timestamp: 42 }], { baseOffset: 5 }),
    };
    const output = new OutputBuffer('json', null);
    expect(output.addBatches(fetched)).toBe(1);
    expect(JSON.parse(output.take()!.toString())).toEqual({ topic: 't', partition: 3, offset: 5, timestamp: 42, key: 'k', value: 'v', headers: [{ key: 'h', value: null }] });
  });
});

describe('OutputBuffer.release', () => {
  it('reuses a taken buffer only after release, leaving unreleased bytes untouched', () => {
    const output = new OutputBuffer('value', null);
    const fetched = (value: string): FetchedBatches => ({ topic: 't', partition: 0, fromOffset: 0, stopOffset: Infinity, records: encodeRecordBatch([{ value: Buffer.from(value) }]) });
    output.addBatches(fetched('first'));
    const first = output.take()!;
    output.addBatches(fetched('second'));
    const second = output.take()!;
    expect(second.buffer).not.toBe(first.buffer);
    output.release(); // the write of `first` completed: its buffer is next in line after the current one
    output.addBatches(fetched('third'));
    const third = output.take()!;
    output.addBatches(fetched('fourth'));
    const fourth = output.take()!;
    expect([third.buffer, fourth.buffer].filter((b) => b === second.buffer)).toHaveLength(0);
    expect(fourth.buffer).toBe(first.buffer);
    expect(second.toString()).toBe('second\n');
    expect(third.toString()).toBe('third\n');
    expect(fourth.toString()).toBe('fourth\n');
  });

  it('refuses a release without a take (a programmer error)', () => {
    expect(() => new OutputBuffer('value', null).release()).toThrow(/matches an earlier take/);
  });
});

describe('nextFetchOffset', () => {
  it('moves past the last whole batch, never past stopOffset, and leaves a partial trailing batch for the next fetch', () => {
    const log = encodeLog([{ records: [{ value: null }, { value: null }], compression: 0, control: false }, { records: [{ value: null }], compression: 0, control: true }]);
    const whole = (stopOffset: number, records = log): FetchedBatches => ({ topic: 't', partition: 0, records, fromOffset: 0, stopOffset });
    expect(nextFetchOffset(whole(Infinity))).toBe(3);
    expect(nextFetchOffset(whole(1))).toBe(1);
    expect(nextFetchOffset(whole(Infinity, log.subarray(0, log.length - 1)))).toBe(2);
  });
});

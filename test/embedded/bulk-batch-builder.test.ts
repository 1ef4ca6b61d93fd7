import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BatchBuilder } from '../../src/embedded/bulk-batch-builder.js';
import { Compression } from '../../src/protocol/compression.js';
import { checkBatch, decodeRecords, encodeRecordBatch, readBatchHeader } from '../../src/protocol/record-batch.js';

describe('BatchBuilder', () => {
  it('seals the same bytes as encodeRecordBatch for records with keys, nulls and headers', () => {
    const records = [
      { key: Buffer.from('k1'), value: Buffer.from('v1'), headers: [], timestamp: 1000 },
      { key: null, value: null, headers: [{ key: 'h', value: Buffer.from('x') }, { key: 'n', value: null }], timestamp: 1005 },
      { key: Buffer.alloc(0), value: Buffer.alloc(300, 7), headers: [], timestamp: 990 },
    ];
    const builder = new BatchBuilder(16);
    for (const r of records) builder.appendRecord(r.timestamp, r.key, r.value, r.headers);
    const sealed = builder.seal();
    expect(sealed.equals(encodeRecordBatch(records))).toBe(true);
    expect(checkBatch(sealed, 0)).toEqual({ sizeBytes: sealed.length });
  });

  it('appends byte ranges of a shared buffer as keys and values, and reports exact sizes', () => {
    const text = Buffer.from('key:value|other');
    const builder = new BatchBuilder(0);
    let added = builder.appendRange(5, text, 0, 3, text, 4, 9);
    added += builder.appendRange(7, null, 0, 0, text, 10, 15);
    expect(builder.recordCount).toBe(2);
    expect(builder.sizeBytes).toBe(61 + added);
    const batch = builder.seal();
    const header = readBatchHeader(batch);
    expect([header.baseTimestamp, header.maxTimestamp, header.recordsCount, header.lastOffsetDelta]).toEqual([5, 7, 2, 1]);
    const decoded = decodeRecords(batch);
    expect(decoded.map((r) => [r.offset, r.timestamp, r.key?.toString() ?? null, r.value?.toString()])).toEqual([
      [0, 5, 'key', 'value'],
      [1, 7, null, 'other'],
    ]);
  });

  it('compresses the record section at seal time and keeps a valid CRC', () => {
    const builder = new BatchBuilder(64);
    for (let i = 0; i < 500; i++) builder.appendRecord(1, null, Buffer.from(`line ${i} `.repeat(5)), []);
    const batch = builder.seal(Compression.zstd);
    expect(batch.length).toBeLessThan(builder.sizeBytes);
    expect(checkBatch(batch, 0)).toEqual({ sizeBytes: batch.length });
    expect(decodeRecords(batch).map((r) => r.value!.toString())[499]).toBe('line 499 '.repeat(5));
  });

  it('decodes back whatever records it was given, growing past its starting capacity', () => {
    const record = fc.record({
      key: fc.option(fc.uint8Array({ maxLength: 200 }), { nil: null }),
      value: fc.option(fc.uint8Array({ maxLength: 5000 }), { nil: null }),
      timestamp: fc.integer({ min: 0, max: 2 ** 45 }),
    });
    fc.assert(fc.property(fc.array(record, { minLength: 1, maxLength: 40 }), (records) => {
      const builder = new BatchBuilder(1);
      for (const r of records) {
        builder.appendRecord(r.timestamp, r.key && Buffer.from(r.key), r.value && Buffer.from(r.value), []);
      }
      const batch = builder.seal();
      expect(checkBatch(batch, 0)).toEqual({ sizeBytes: batch.length });
      const decoded = decodeRecords(batch);
      expect(decoded.map((d) => [d.timestamp, d.key && [...d.key], d.value && [...d.value]]))
        .toEqual(records.map((r) => [r.timestamp, r.key && [...r.key], r.value && [...r.value]]));
    }), { numRuns: 60 });
  });

  it('appendLines encodes exactly what appendRange does line by line, across varint sizes, CRs and batch limits', () => {
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 9000 }), fc.boolean()), { minLength: 1, maxLength: 120 }),
      fc.boolean(), fc.boolean(), fc.integer({ min: -5000, max: 5000 }), fc.integer({ min: 200, max: 40_000 }),
      (shapes, stripCarriageReturn, lastHasNewline, timestampDelta, sizeBytesMax) => {
        // Lines of 0-9000 bytes (lengths around the varint steps at 64 and 8192), some ending in \r.
        const lines = shapes.map(([length, cr], i) => Buffer.concat([Buffer.alloc(length, 97 + (i % 26)), cr ? Buffer.from('\r') : Buffer.alloc(0)]));
        const text = Buffer.concat(lines.flatMap((line, i) => (i < lines.length - 1 || lastHasNewline ? [line, Buffer.from('\n')] : [line])));
        const bulk = new BatchBuilder(64);
        const counts = { recordCount: 0, payloadBytes: 0, encodedBytes: 0 };
        const firstBytes = bulk.appendRange(1000, null, 0, 0, Buffer.from('first'), 0, 5); // a record before: offsetDelta and timestamps go on from it
        const stoppedAt = bulk.appendLines(1000 + timestampDelta, text, 0, text.length, sizeBytesMax, 1_000_000, stripCarriageReturn, counts);
        const byLine = new BatchBuilder(64);
        byLine.appendRange(1000, null, 0, 0, Buffer.from('first'), 0, 5);
        let pos = 0;
        let payloadBytes = 0;
        for (let i = 0; i < counts.recordCount; i++) {
          const newline = text.indexOf(0x0a, pos);
          let end = newline === -1 ? text.length : newline;
          if (stripCarriageReturn && end > pos && text[end - 1] === 0x0d) end--;
          byLine.appendRange(1000 + timestampDelta, null, 0, 0, text, pos, end);
          payloadBytes += end - pos;
          pos = newline === -1 ? text.length : newline + 1;
        }
        expect(stoppedAt).toBe(pos);
        expect(counts.payloadBytes).toBe(payloadBytes);
        expect(counts.encodedBytes).toBe(bulk.sizeBytes - 61 - firstBytes);
        if (stoppedAt < text.length) expect(bulk.sizeBytes).toBeLessThanOrEqual(sizeBytesMax);
        expect(bulk.seal().equals(byLine.seal())).toBe(true);
      },
    ), { numRuns: 200 });
  });
});

/**
 * The append path's fast record scan says "all fine" exactly when checkRecords accepts: never for
 * a batch checkRecords refuses (which would store a lying batch), and for every honest batch a
 * client sends (or the fast path would be no faster).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeRecordBatch, RECORDS_OFFSET } from '../../src/protocol/record-batch.js';
import { RecordWalker } from '../../src/protocol/record-walker.js';
import { checkRecords, type RecordPolicy } from '../../src/storage/log-validator.js';
import { recordsPlainlyValid } from '../../src/storage/record-scan.js';
import { withOffsetDelta } from './lying-batches.js';
import { producerRecord } from '../helpers/records.js';

const NOW = 1_700_000_000_000;
const OPEN: RecordPolicy = { requireKeys: false, timestampType: 'CreateTime', timestampBeforeMaxMs: Infinity, timestampAfterMaxMs: Infinity };
const COMPACTED: RecordPolicy = { ...OPEN, requireKeys: true };


const walker = new RecordWalker();
const accepted = (batch: Buffer, policy: RecordPolicy) => checkRecords(walker, batch, policy, NOW) === null;

describe('recordsPlainlyValid', () => {
  it('accepts every honest uncompressed batch, as checkRecords does', () => {
    fc.assert(fc.property(fc.array(producerRecord, { minLength: 1, maxLength: 20 }), fc.boolean(), (records, compacted) => {
      const batch = encodeRecordBatch(records);
      const policy = compacted ? COMPACTED : OPEN;
      expect(recordsPlainlyValid(batch, policy)).toBe(accepted(batch, policy));
      if (!compacted) expect(recordsPlainlyValid(batch, policy)).toBe(true);
    }), { numRuns: 300 });
  });

  it('never accepts a records section checkRecords refuses (random bytes overwritten, cut short)', () => {
    fc.assert(fc.property(
      fc.array(producerRecord, { minLength: 1, maxLength: 5 }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
      fc.nat(),
      fc.boolean(),
      (records, mutations, cut, compacted) => {
        const batch = encodeRecordBatch(records);
        const section = batch.length - RECORDS_OFFSET;
        for (const [at, byte] of mutations) batch[RECORDS_OFFSET + (at % section)] = byte;
        const bytes = cut % 3 === 0 ? batch.subarray(0, RECORDS_OFFSET + (cut % (section + 1))) : batch;
        const policy = compacted ? COMPACTED : OPEN;
        if (recordsPlainlyValid(bytes, policy)) expect(accepted(bytes, policy)).toBe(true);
      },
    ), { numRuns: 3000 });
  });

  it('reads long varints: records past 8 KiB and offset deltas past 8,191', () => {
    const big = encodeRecordBatch([{ key: Buffer.alloc(20_000, 1), value: Buffer.alloc(70_000, 2) }, { value: null }]);
    expect(recordsPlainlyValid(big, COMPACTED)).toBe(false); // the second record has no key
    expect(recordsPlainlyValid(big, OPEN)).toBe(true);
    const many = encodeRecordBatch(Array.from({ length: 10_000 }, (_, i) => ({ value: Buffer.from(String(i)) })));
    expect(recordsPlainlyValid(many, OPEN)).toBe(true);
  });

  it('refuses offset deltas out of order, and leaves timestamp limits to checkRecords', () => {
    const batch = encodeRecordBatch([{ value: Buffer.from('a') }, { value: Buffer.from('b') }, { value: Buffer.from('c') }]);
    expect(recordsPlainlyValid(withOffsetDelta(batch, 1, 2), OPEN)).toBe(false);
    expect(recordsPlainlyValid(batch, { ...OPEN, timestampBeforeMaxMs: 1000 })).toBe(false);
  });
});

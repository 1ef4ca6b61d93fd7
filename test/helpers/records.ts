/** fast-check arbitraries for records a producer sends (property tests of the batch readers). */
import fc from 'fast-check';
import type { ProducerRecord } from '../../src/protocol/record-batch.js';

const bytesOrNull = fc.option(fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)), { nil: null });

/** Any record: null or binary key and value, up to 3 headers, a timestamp in 2020-2027. */
export const producerRecord: fc.Arbitrary<ProducerRecord> = fc.record({
  key: bytesOrNull,
  value: bytesOrNull,
  headers: fc.array(fc.record({ key: fc.string({ maxLength: 8 }), value: bytesOrNull }), { maxLength: 3 }),
  timestamp: fc.integer({ min: 1_600_000_000_000, max: 1_800_000_000_000 }),
});

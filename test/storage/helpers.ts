import { encodeRecordBatch, iterateBatches, decodeRecords, type EncodeOptions } from '../../src/protocol/record-batch.js';
import { DEFAULT_LOG_CONFIG, type LogConfig } from '../../src/storage/log-config.js';

export { tempDir } from '../helpers/temp-dir.js';

export function smallConfig(overrides: Partial<LogConfig> = {}): LogConfig {
  return { ...DEFAULT_LOG_CONFIG, segmentBytes: 4096, indexIntervalBytes: 256, ...overrides };
}

/** A batch of `count` records whose values are "<tag>-<i>", timestamps `timestampMs` + i. */
export function batchOf(tag: string, count: number, timestampMs: number, options: EncodeOptions = {}): Buffer {
  const records = Array.from({ length: count }, (_, i) => ({ key: null, value: Buffer.from(`${tag}-${i}`), timestamp: timestampMs + i }));
  return encodeRecordBatch(records, { baseTimestamp: timestampMs, ...options });
}

/** All record values and offsets in a buffer of batches. */
export function valuesIn(buf: Buffer): { offset: number; value: string }[] {
  const out: { offset: number; value: string }[] = [];
  for (const { pos, sizeBytes } of iterateBatches(buf)) {
    for (const record of decodeRecords(buf.subarray(pos, pos + sizeBytes))) {
      out.push({ offset: record.offset, value: record.value!.toString() });
    }
  }
  return out;
}

/** Reads the whole log from `from` by repeated reads, as a consumer would. */
export function readAll(read: (offset: number, maxBytes: number) => Buffer, from: number, to: number): { offset: number; value: string }[] {
  const out: { offset: number; value: string }[] = [];
  let offset = from;
  while (offset < to) {
    const buf = read(offset, 64 * 1024);
    const values = valuesIn(buf).filter((v) => v.offset >= offset);
    if (values.length === 0) throw new Error(`no progress at offset ${offset}`);
    out.push(...values);
    offset = values[values.length - 1]!.offset + 1;
  }
  return out;
}

/**
 * appendGroupRecords: the coordinator worker's writes into __consumer_offsets, on a real
 * PartitionLog with small max.message.bytes and segment.bytes so that splitting shows.
 */
import { describe, expect, it } from 'vitest';
import { appendGroupRecords } from '../../src/engine/coordinator/offsets-store.js';
import { decodeGroupRecord, type GroupRecord } from '../../src/groups/group-record.js';
import { decodeRecords, iterateBatches } from '../../src/protocol/record-batch.js';
import { DEFAULT_LOG_CONFIG } from '../../src/storage/log-config.js';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { tempDir } from '../helpers/temp-dir.js';

const offsets = (count: number): GroupRecord[] => Array.from({ length: count }, (_, i) => ({
  type: 'offset', groupId: 'group-with-a-longish-name', topic: 'orders', partition: i,
  value: { offset: i * 10, leaderEpoch: -1, metadata: '', commitTimestampMs: 1_000 + i },
}));

/** Every batch of the log (a read stops at the end of a segment, so it reads on from there). */
function stored(log: PartitionLog): { batchSizes: number[]; records: GroupRecord[] } {
  const batchSizes: number[] = [];
  const records: GroupRecord[] = [];
  for (let offset = 0; offset < log.highWatermark; ) {
    const buf = log.read(offset, 1 << 24);
    for (const { pos, sizeBytes, header } of iterateBatches(buf)) {
      batchSizes.push(sizeBytes);
      for (const r of decodeRecords(buf.subarray(pos, pos + sizeBytes))) records.push(decodeGroupRecord(r.key!, r.value));
      offset = header.baseOffset + header.lastOffsetDelta + 1;
    }
  }
  return { batchSizes, records };
}

describe('appendGroupRecords', () => {
  it('stores a write larger than max.message.bytes as batches within it, in order, with one append', () => {
    const config = { ...DEFAULT_LOG_CONFIG, maxMessageBytes: 1024, segmentBytes: 1 << 20 };
    const log = PartitionLog.open(tempDir(), config);
    const records = offsets(200);
    appendGroupRecords(log, config, records);
    const { batchSizes, records: back } = stored(log);
    expect(batchSizes.length).toBeGreaterThan(10);
    expect(Math.max(...batchSizes)).toBeLessThanOrEqual(1024);
    expect(back).toEqual(records);
    expect(log.segmentCount).toBe(1); // one append: no roll in between
    log.close();
  });

  it('appends a write larger than segment.bytes in pieces of whole batches, each within it', () => {
    const config = { ...DEFAULT_LOG_CONFIG, maxMessageBytes: 1024, segmentBytes: 4096 };
    const log = PartitionLog.open(tempDir(), config);
    const records = offsets(300);
    appendGroupRecords(log, config, records);
    const { batchSizes, records: back } = stored(log);
    expect(back).toEqual(records);
    expect(batchSizes.reduce((a, b) => a + b, 0)).toBeGreaterThan(4 * 4096);
    expect(log.segmentCount).toBeGreaterThan(4); // each piece fits a segment; a larger append is refused (RECORD_LIST_TOO_LARGE)
    log.close();
  });
});

import { decodeRecords, encodeRecordBatch, iterateBatches, type StoredRecord } from '../../src/protocol/record-batch.js';
import type { Broker } from '../../src/engine/broker.js';
import { tempDir } from '../helpers/temp-dir.js';

// Partition workers load dist/src/engine/partition-worker.js: run `npx tsc -p tsconfig.json` first.

export const tempDataDir = (): string => tempDir('brook-engine-');

export function batchOf(values: string[], options: { timestamp?: number } = {}): Buffer {
  return encodeRecordBatch(values.map((v) => ({ value: Buffer.from(v) })), { baseTimestamp: options.timestamp ?? Date.now() });
}

/** Every record of a partition from its log start, read through Broker.fetch. */
export async function readAll(broker: Broker, topic: string, partition: number): Promise<StoredRecord[]> {
  const records: StoredRecord[] = [];
  let offset = broker.partitionState(topic, partition)!.logStartOffset;
  for (;;) {
    const [result] = await broker.fetch([{ topic, partition, fetchOffset: offset, partitionMaxBytes: 1 << 20 }], { maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20 });
    if (result!.errorCode !== 0) throw new Error(`fetch error ${result!.errorCode}`);
    if (result!.records!.length === 0) return records;
    for (const { pos, sizeBytes } of iterateBatches(result!.records!)) {
      for (const record of decodeRecords(result!.records!.subarray(pos, pos + sizeBytes))) {
        if (record.offset >= offset) records.push(record);
      }
    }
    offset = records[records.length - 1]!.offset + 1;
  }
}

export const values = (records: StoredRecord[]) => records.map((r) => r.value!.toString());

/** Lets queued events (worker messages, waitAsync wake-ups) run. */
export const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

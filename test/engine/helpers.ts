import { decodeRecords, encodeRecordBatch, iterateBatches, type StoredRecord } from '../../src/protocol/record-batch.js';
import type { Broker } from '../../src/engine/broker.js';
import { tempDir } from '../helpers/temp-dir.js';
import zlib from 'node:zlib';

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

/** One magic-1 message set entry (Kafka 0.10's format, refused by Brook): offset, size, CRC-32 (IEEE), magic 1, attributes, timestamp, key (null), value. */
export function legacyMessageV1(value: Buffer, timestampMs: number): Buffer {
  const body = Buffer.alloc(1 + 1 + 8 + 4 + 4 + value.length);
  body.writeInt8(1, 0); // magic
  body.writeBigInt64BE(BigInt(timestampMs), 2);
  body.writeInt32BE(-1, 10); // null key
  body.writeInt32BE(value.length, 14);
  value.copy(body, 18);
  const entry = Buffer.alloc(12 + 4 + body.length);
  entry.writeInt32BE(4 + body.length, 8); // message size: CRC + body
  entry.writeUInt32BE(zlib.crc32(body), 12);
  body.copy(entry, 16);
  return entry;
}

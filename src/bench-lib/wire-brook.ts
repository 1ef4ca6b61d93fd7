/**
 * The Brook side of the wire benchmark: kcat (librdkafka) and Brook's own client against a real
 * `brook serve` process, producing then consuming a one-partition topic.
 */
import fs from 'node:fs';
import { KafkaClient } from '../client/client.js';
import * as fetchApi from '../protocol/apis/fetch.js';
import { encodeRecordBatch, iterateBatches } from '../protocol/record-batch.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { runToExit } from './processes.js';
import { elapsedSec } from './stats.js';

export interface WireThroughput {
  recordCount: number;
  seconds: number;
  recordsPerSec: number;
  megabytesPerSec: number;
}

export const KCAT_PRODUCE_SETTINGS = ['-X', 'linger.ms=5', '-X', 'batch.num.messages=10000', '-X', 'queue.buffering.max.messages=1000000'];
export const CLIENT_RECORDS_PER_BATCH = 10_000;
/** Below message.max.bytes (1 MiB by default), as librdkafka's batch.size keeps its batches. */
export const CLIENT_BATCH_BYTES_MAX = 900_000;
export const CLIENT_IN_FLIGHT_BATCHES = 4;

function throughput(recordCount: number, recordBytes: number, seconds: number): WireThroughput {
  return { recordCount, seconds, recordsPerSec: recordCount / seconds, megabytesPerSec: (recordCount * recordBytes) / 1e6 / seconds };
}

/** Writes `recordCount` lines of `recordBytes` printable bytes (plus '\n') to `file`. */
export function writeLinesFile(file: string, recordBytes: number, recordCount: number): void {
  const line = Buffer.alloc(recordBytes + 1);
  for (let i = 0; i < recordBytes; i++) line[i] = 0x61 + ((i * 7) % 26);
  line[recordBytes] = 0x0a;
  const linesPerChunk = Math.max(1, Math.floor((4 * 1024 * 1024) / line.length));
  const chunk = Buffer.concat(Array.from({ length: linesPerChunk }, () => line));
  const fd = fs.openSync(file, 'w');
  try {
    for (let left = recordCount; left > 0; left -= linesPerChunk) fs.writeSync(fd, chunk, 0, Math.min(left, linesPerChunk) * line.length);
  } finally {
    fs.closeSync(fd);
  }
}

export async function createTopic(client: KafkaClient, name: string): Promise<void> {
  const response = await client.createTopics({ topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 10_000 });
  const code = response.topics[0]?.errorCode ?? -1;
  if (code !== ErrorCode.NONE) throw new Error(`CreateTopics ${name} failed: error ${code}`);
}

export async function kcatProduce(kcat: string, address: string, topic: string, linesFile: string, recordBytes: number, recordCount: number): Promise<WireThroughput> {
  const done = await runToExit(kcat, ['-P', '-b', address, '-t', topic, '-p', '0', ...KCAT_PRODUCE_SETTINGS], { stdinFile: linesFile });
  return throughput(recordCount, recordBytes, done.seconds);
}

export async function kcatConsume(kcat: string, address: string, topic: string, recordBytes: number, expectedCount: number): Promise<WireThroughput> {
  const done = await runToExit(kcat, ['-C', '-b', address, '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q']);
  if (done.stdoutLineCount !== expectedCount) throw new Error(`kcat -C read ${done.stdoutLineCount} lines of ${expectedCount} from ${topic}`);
  return throughput(done.stdoutLineCount, recordBytes, done.seconds);
}

/**
 * Brook's client: batches of CLIENT_RECORDS_PER_BATCH records or ~900 KB, whichever is smaller
 * (encoded once per batch, as a producer would), CLIENT_IN_FLIGHT_BATCHES Produce requests pipelined (acks=1) on one connection.
 */
export async function clientProduce(client: KafkaClient, topic: string, recordBytes: number, recordCount: number): Promise<WireThroughput> {
  const value = Buffer.alloc(recordBytes, 0x62);
  let next = 0;
  const start = process.hrtime.bigint();
  const lane = async (): Promise<void> => {
    while (next < recordCount) {
      const count = Math.min(CLIENT_RECORDS_PER_BATCH, Math.floor(CLIENT_BATCH_BYTES_MAX / (recordBytes + 16)), recordCount - next);
      next += count;
      const records = encodeRecordBatch(Array.from({ length: count }, () => ({ value })), { baseTimestamp: Date.now() });
      const response = await client.produce({ acks: 1, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
      const code = response?.responses[0]?.partitionResponses[0]?.errorCode ?? -1;
      if (code !== ErrorCode.NONE) throw new Error(`client produce to ${topic} failed: error ${code}`);
    }
  };
  await Promise.all(Array.from({ length: CLIENT_IN_FLIGHT_BATCHES }, lane));
  return throughput(recordCount, recordBytes, elapsedSec(start));
}

/** Fetches from offset 0 until `expectedCount` records arrived (maxBytes 16 MiB per request). */
export async function clientConsume(client: KafkaClient, topic: string, recordBytes: number, expectedCount: number): Promise<WireThroughput> {
  let fetchOffset = 0;
  let recordCount = 0;
  const start = process.hrtime.bigint();
  while (recordCount < expectedCount) {
    const response = await client.fetch({
      maxWaitMs: 500, minBytes: 1, maxBytes: 16 << 20,
      topics: [{ ...fetchApi.defaultFetchTopic(), topic, partitions: [{ ...fetchApi.defaultFetchPartition(), partition: 0, fetchOffset, partitionMaxBytes: 16 << 20 }] }],
    });
    const data = response.responses[0]?.partitions[0];
    if (data === undefined || data.errorCode !== ErrorCode.NONE) throw new Error(`client fetch ${topic}@${fetchOffset} failed: error ${data?.errorCode}`);
    const records = data.records ?? Buffer.alloc(0);
    if (records.length === 0 && fetchOffset >= data.highWatermark) throw new Error(`client fetch: only ${recordCount} of ${expectedCount} records in ${topic}`);
    for (const { header } of iterateBatches(records)) {
      recordCount += header.recordsCount;
      fetchOffset = header.baseOffset + header.lastOffsetDelta + 1;
    }
  }
  return throughput(recordCount, recordBytes, elapsedSec(start));
}

/**
 * End-to-end latency at a steady rate: the time from a produce call (the append's start) to the
 * moment a long-polling consumer has the batch in hand, per record.
 *
 * The producer acts like a Kafka producer with linger.ms=1: a 1 ms timer sends, as one batch,
 * every record that fell due since the last send (due times are spaced 1/rate apart), so at
 * 10,000 records/s a batch holds ~10 records and timer jitter turns into slightly bigger batches
 * rather than a lower rate. Latency counts from the produce call, not from the record's due time,
 * so linger itself is not part of the figure. The consumer long-polls (maxWaitMs 500, minBytes 1)
 * with a single fetch outstanding, as a Kafka consumer does.
 */
import { encodeRecordBatch, iterateBatches } from '../protocol/record-batch.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { Broker } from '../engine/broker.js';
import { percentileSorted } from './stats.js';

export interface LatencyResult {
  recordsPerSec: number;
  recordBytes: number;
  seconds: number;
  recordCount: number;
  batchCount: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  method: string;
}

export const LATENCY_METHOD =
  'one partition, 100 B records; producer like linger.ms=1: every 1 ms timer tick sends the records due since the last tick ' +
  '(~10 per batch at 10,000 records/s) as one batch; latency from the produce call to the batch arriving at a consumer long-polling ' +
  '(maxWaitMs 500, minBytes 1), per record';

export async function runLatency(broker: Broker, topic: string, options: { recordsPerSec: number; seconds: number; recordBytes?: number }): Promise<LatencyResult> {
  const recordBytes = options.recordBytes ?? 100;
  const value = Buffer.alloc(recordBytes, 0x6c);
  const totalRecords = Math.round(options.recordsPerSec * options.seconds);
  const recordIntervalNs = 1e9 / options.recordsPerSec;
  await broker.createTopic(topic, { partitions: 1 });
  // Send time per expected baseOffset: one producer on one partition gets consecutive offsets,
  // and the fetch may deliver a batch before its produce promise resolves.
  const sentNsByBaseOffset = new Map<number, bigint>();
  const latenciesMs = new Float64Array(totalRecords);
  let delivered = 0;
  let batchCount = 0;
  let failure: Error | null = null;
  try {
    const consumer = (async () => {
      let fetchOffset = 0;
      while (fetchOffset < totalRecords && failure === null) {
        const [result] = await broker.fetch([{ topic, partition: 0, fetchOffset, partitionMaxBytes: 1024 * 1024 }], { maxWaitMs: 500, minBytes: 1, maxBytes: 1024 * 1024 });
        const nowNs = process.hrtime.bigint();
        if (result === undefined || result.errorCode !== ErrorCode.NONE) throw new Error(`latency fetch failed: error ${result?.errorCode}`);
        for (const { header } of iterateBatches(result.records ?? Buffer.alloc(0))) {
          const sentNs = sentNsByBaseOffset.get(header.baseOffset);
          if (sentNs === undefined) throw new Error(`latency: batch at unexpected offset ${header.baseOffset}`);
          sentNsByBaseOffset.delete(header.baseOffset);
          const ms = Number(nowNs - sentNs) / 1e6;
          for (let i = 0; i < header.recordsCount && delivered < totalRecords; i++) latenciesMs[delivered++] = ms;
          fetchOffset = header.baseOffset + header.lastOffsetDelta + 1;
        }
      }
    })();
    const producer = new Promise<void>((resolve, reject) => {
      const startNs = process.hrtime.bigint();
      let sentRecords = 0;
      const pending: Promise<unknown>[] = [];
      const timer = setInterval(() => {
        const dueRecords = Math.min(totalRecords, Math.floor(Number(process.hrtime.bigint() - startNs) / recordIntervalNs) + 1);
        const count = dueRecords - sentRecords;
        if (count > 0) {
          const batch = encodeRecordBatch(Array.from({ length: count }, () => ({ value })), { baseTimestamp: Date.now() });
          sentNsByBaseOffset.set(sentRecords, process.hrtime.bigint());
          sentRecords += count;
          batchCount++;
          pending.push(broker.produce(topic, 0, batch).then((r) => {
            if (r.errorCode !== ErrorCode.NONE) throw new Error(`latency produce failed: error ${r.errorCode}`);
          }));
        }
        if (sentRecords >= totalRecords) {
          clearInterval(timer);
          Promise.all(pending).then(() => resolve(), reject);
        }
      }, 1);
    });
    await producer.catch((err: Error) => {
      failure = err;
      throw err;
    });
    await consumer;
  } finally {
    await broker.deleteTopic(topic);
  }
  const sorted = latenciesMs.subarray(0, delivered).sort();
  return {
    recordsPerSec: options.recordsPerSec,
    recordBytes,
    seconds: options.seconds,
    recordCount: delivered,
    batchCount,
    p50Ms: percentileSorted(sorted, 50),
    p99Ms: percentileSorted(sorted, 99),
    p999Ms: percentileSorted(sorted, 99.9),
    maxMs: sorted.length > 0 ? sorted[sorted.length - 1]! : NaN,
    method: LATENCY_METHOD,
  };
}

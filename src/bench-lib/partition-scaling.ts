/**
 * The partition-scaling scenario behind `brook bench` and bench/macro/partition-scaling.ts:
 * aggregate produce and consume throughput of the engine (Broker: partition workers fed through
 * SharedArrayBuffer rings) for each partition count and record size, beside the single-threaded
 * storage layer (PartitionLog.append / read on this thread, no workers) as the baseline measured
 * in the same run.
 *
 * Produce: every partition gets the same pre-encoded RecordBatch v2 (1000 records, ~100 KB for
 * 100 B records, ~1 MiB for 1 KiB), and a loop per partition keeps IN_FLIGHT_BATCHES produce
 * calls outstanding, as a pipelining Kafka producer would. The case ends when every partition's
 * share of the records is acknowledged and it ran at least minDurationMs, or when the duration is
 * up; an untimed warm-up of WARMUP_MS comes first, in the engine and in the baseline alike (fresh
 * workers parse and JIT-compile their code while it runs). Consume: one loop per partition
 * fetches from offset 0 to the high watermark (whole batches, counted by their header), reading
 * into a ReadBufferPool as the Kafka server does; the baseline reads with the same pool.
 */
import fs from 'node:fs';
import path from 'node:path';
import { checkBatchFraming, encodeRecordBatch, iterateBatches } from '../protocol/record-batch.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { PartitionLog } from '../storage/partition-log.js';
import { ReadBufferPool } from '../storage/read-buffers.js';
import { DEFAULT_LOG_CONFIG, type LogConfig } from '../storage/log-config.js';
import type { Broker } from '../engine/broker.js';
import { elapsedSec } from './stats.js';

export const RECORDS_PER_BATCH = 1000;
export const IN_FLIGHT_BATCHES = 4;
const FETCH_PARTITION_MAX_BYTES = 1024 * 1024;

export interface Throughput {
  recordCount: number;
  sizeBytes: number;
  seconds: number;
  recordsPerSec: number;
  megabytesPerSec: number;
}

export interface CaseSpec {
  recordBytes: number;
  /** Records to produce at least, in total (spread evenly over the partitions), before the duration cap. */
  recordCount: number;
  durationMs: number;
  /** A case keeps producing past recordCount until it ran this long (capped by durationMs). */
  minDurationMs?: number;
}

/** ~1 s per case: shorter ones mostly measure noise. */
export const MIN_CASE_MS_DEFAULT = 1000;
/** Untimed produce on each fresh topic before the timed one (see runEngineCase). */
export const WARMUP_MS = 500;

/** When the case may stop: [stop once the record target is met after this, hard deadline]. */
function caseClock(spec: CaseSpec): { minEndMs: number; deadlineMs: number } {
  const nowMs = Date.now();
  return { minEndMs: nowMs + Math.min(spec.minDurationMs ?? MIN_CASE_MS_DEFAULT, spec.durationMs), deadlineMs: nowMs + spec.durationMs };
}

/**
 * What Broker.produce checks on its thread before a batch reaches a ring (validateBatches): the
 * baseline pays it too. The CRC is checked by PartitionLog.append in both.
 */
function checkAsBrokerDoes(batch: Buffer): void {
  for (let pos = 0; pos < batch.length; ) {
    const checked = checkBatchFraming(batch, pos);
    if ('reason' in checked) throw new Error(`bench batch invalid: ${checked.reason}`);
    pos += checked.sizeBytes;
  }
}

function throughput(recordCount: number, sizeBytes: number, seconds: number): Throughput {
  return { recordCount, sizeBytes, seconds, recordsPerSec: recordCount / seconds, megabytesPerSec: sizeBytes / 1e6 / seconds };
}

/** One batch of `recordsPerBatch` records of `recordBytes` each (random-ish bytes, uncompressed). */
export function benchBatch(recordBytes: number, recordsPerBatch = RECORDS_PER_BATCH): Buffer {
  const value = Buffer.alloc(recordBytes);
  for (let i = 0; i < recordBytes; i++) value[i] = 0x61 + ((i * 7) % 26);
  return encodeRecordBatch(Array.from({ length: recordsPerBatch }, () => ({ value })), { baseTimestamp: Date.now() });
}

/** Batches needed for `recordCount` records, rounded up to one whole batch per partition at least. */
function batchesPerPartition(spec: CaseSpec, partitionCount: number): number {
  return Math.max(1, Math.ceil(spec.recordCount / RECORDS_PER_BATCH / partitionCount));
}

async function produceAll(broker: Broker, topic: string, partitionCount: number, batch: Buffer, batchCount: number, spec: CaseSpec): Promise<Throughput> {
  const { minEndMs, deadlineMs } = caseClock(spec);
  let batchesAcked = 0;
  const start = process.hrtime.bigint();
  const partitionLoop = async (partition: number): Promise<void> => {
    let sent = 0;
    const lane = async (): Promise<void> => {
      for (let nowMs = Date.now(); (sent < batchCount || nowMs < minEndMs) && nowMs < deadlineMs; nowMs = Date.now()) {
        sent++;
        const result = await broker.produce(topic, partition, batch);
        if (result.errorCode !== ErrorCode.NONE) {
          throw new Error(`produce to ${topic}-${partition} failed: error ${result.errorCode} ${result.errorMessage ?? ''}`);
        }
        batchesAcked++;
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT_BATCHES }, lane));
  };
  await Promise.all(Array.from({ length: partitionCount }, (_, p) => partitionLoop(p)));
  const seconds = elapsedSec(start);
  return throughput(batchesAcked * RECORDS_PER_BATCH, batchesAcked * batch.length, seconds);
}

/**
 * Read buffers for every consume of the run (engine and baseline), as the Kafka server keeps one
 * pool for all its fetches: each result is given back once its batches are counted.
 */
const readBuffers = new ReadBufferPool();

async function consumeAll(broker: Broker, topic: string, partitionCount: number): Promise<Throughput> {
  const buffers = readBuffers;
  let recordCount = 0;
  let sizeBytes = 0;
  const start = process.hrtime.bigint();
  const partitionLoop = async (partition: number): Promise<void> => {
    const endOffset = broker.partitionState(topic, partition)?.highWatermark ?? 0;
    let fetchOffset = 0;
    while (fetchOffset < endOffset) {
      const request = { topic, partition, fetchOffset, partitionMaxBytes: FETCH_PARTITION_MAX_BYTES };
      const [result] = await broker.fetch([request], { maxWaitMs: 0, minBytes: 1, maxBytes: FETCH_PARTITION_MAX_BYTES, buffers });
      if (result === undefined || result.errorCode !== ErrorCode.NONE) throw new Error(`fetch ${topic}-${partition}@${fetchOffset} failed: error ${result?.errorCode}`);
      const records = result.records ?? Buffer.alloc(0);
      for (const { sizeBytes: batchBytes, header } of iterateBatches(records)) {
        recordCount += header.recordsCount;
        sizeBytes += batchBytes;
        fetchOffset = header.baseOffset + header.lastOffsetDelta + 1;
      }
      if (records.length === 0) throw new Error(`fetch ${topic}-${partition}@${fetchOffset} returned nothing below the high watermark ${endOffset}`);
      buffers.release(records);
    }
  };
  await Promise.all(Array.from({ length: partitionCount }, (_, p) => partitionLoop(p)));
  return throughput(recordCount, sizeBytes, elapsedSec(start));
}

/** Produces then consumes one case on a fresh topic, which is deleted afterwards. */
export async function runEngineCase(broker: Broker, topic: string, partitionCount: number, spec: CaseSpec): Promise<{ produce: Throughput; consume: Throughput }> {
  await broker.createTopic(topic, { partitions: partitionCount, configs: { 'segment.bytes': String(256 * 1024 * 1024) } });
  try {
    const batch = benchBatch(spec.recordBytes);
    // Untimed: each fresh worker is a fresh V8 isolate that parses and JIT-compiles the append
    // path during its first few hundred ms; 16 of them warming up at once spent a fifth of the
    // CPU on compilation (perf), which a long-lived broker pays once, not per measurement.
    const warmup = await produceAll(broker, topic, partitionCount, batch, 1, { ...spec, minDurationMs: WARMUP_MS, durationMs: WARMUP_MS });
    const produce = await produceAll(broker, topic, partitionCount, batch, batchesPerPartition(spec, partitionCount), spec);
    const consume = await consumeAll(broker, topic, partitionCount);
    if (consume.recordCount !== warmup.recordCount + produce.recordCount) {
      throw new Error(`consumed ${consume.recordCount} records of ${warmup.recordCount + produce.recordCount} produced on ${topic}`);
    }
    return { produce, consume };
  } finally {
    await broker.deleteTopic(topic);
  }
}

/**
 * The baseline: what a single-threaded broker would do with the same batches, on this thread (no
 * ring, no worker): the checks Broker.produce makes (checkBatchFraming) and
 * PartitionLog.append, for as many records and as long as a one-partition engine case; then read
 * back with PartitionLog.read. The ratio engine/baseline is then the cost of the hand-off alone.
 */
export function runStorageBaseline(dir: string, spec: CaseSpec): { produce: Throughput; consume: Throughput } {
  const config: LogConfig = { ...DEFAULT_LOG_CONFIG, segmentBytes: 256 * 1024 * 1024 };
  const logDir = path.join(dir, `baseline-${spec.recordBytes}`);
  const log = PartitionLog.open(logDir, config);
  try {
    const batch = benchBatch(spec.recordBytes);
    for (const warmupEndMs = Date.now() + WARMUP_MS; Date.now() < warmupEndMs; ) {
      checkAsBrokerDoes(batch);
      log.append(batch); // untimed, as the engine's warm-up
    }
    const batchCount = batchesPerPartition(spec, 1);
    const { minEndMs, deadlineMs } = caseClock(spec);
    let appended = 0;
    let start = process.hrtime.bigint();
    for (let nowMs = Date.now(); (appended < batchCount || nowMs < minEndMs) && nowMs < deadlineMs; nowMs = Date.now()) {
      checkAsBrokerDoes(batch);
      log.append(batch);
      appended++;
    }
    const produce = throughput(appended * RECORDS_PER_BATCH, appended * batch.length, elapsedSec(start));
    start = process.hrtime.bigint();
    let recordCount = 0;
    let sizeBytes = 0;
    const buffers = readBuffers;
    for (let offset = 0; offset < log.highWatermark; ) {
      const records = log.read(offset, FETCH_PARTITION_MAX_BYTES, log.highWatermark, buffers);
      for (const { sizeBytes: batchBytes, header } of iterateBatches(records)) {
        recordCount += header.recordsCount;
        sizeBytes += batchBytes;
        offset = header.baseOffset + header.lastOffsetDelta + 1;
      }
      if (records.length === 0) throw new Error(`baseline read returned nothing at ${offset}`);
      buffers.release(records);
    }
    return { produce, consume: throughput(recordCount, sizeBytes, elapsedSec(start)) };
  } finally {
    log.close();
    fs.rmSync(logDir, { recursive: true, force: true });
  }
}

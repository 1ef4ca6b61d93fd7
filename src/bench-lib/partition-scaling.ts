/**
 * The partition-scaling scenario behind `brook bench` and bench/macro/partition-scaling.ts:
 * aggregate produce and consume throughput of the engine (Broker: partition workers fed through
 * SharedArrayBuffer rings) for each partition count and record size, beside the single-threaded
 * storage layer (PartitionLog.append / read on this thread, no workers) as the baseline measured
 * in the same run. Every figure is a steady state: each phase has an untimed warm-up first.
 *
 * Produce: every partition gets the same pre-encoded RecordBatch v2 (1000 records, ~100 KB for
 * 100 B records, ~1 MiB for 1 KiB), and a loop per partition keeps IN_FLIGHT_BATCHES produce
 * calls outstanding, as a pipelining Kafka producer would. The case ends when every partition's
 * share of the records is acknowledged and it ran at least minDurationMs, or when the duration is
 * up. Warm-up (warmupMsFor): each partition worker is a fresh V8 isolate that JIT-compiles its
 * append path only after running it often enough, and with more partitions than cores each worker
 * gets a smaller share of the CPU, so the warm-up lasts warmupMs per core's worth of partitions.
 * Meanwhile the topic rolls small segments and drops what it wrote every WARMUP_TRIM_MS
 * (DeleteRecords), so the warm-up neither fills memory nor leaves dirty pages for the timed run.
 *
 * Consume: one loop per partition fetches the timed run's records, from the log start offset to
 * the high watermark (whole batches, counted by their header), reading into a ReadBufferPool as
 * the Kafka server does; untimed passes for warmupMs, then passes until minDurationMs is up (a
 * single pass at 16 partitions lasts ~0.1 s, too short to measure). The baseline reads the same way.
 */
import fs from 'node:fs';
import path from 'node:path';
import { checkBatchFraming, encodeRecordBatch, iterateBatches } from '../protocol/record-batch.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { PartitionLog } from '../storage/partition-log.js';
import { ReadBufferPool } from '../storage/read-buffers.js';
import { DEFAULT_LOG_CONFIG, type LogConfig } from '../storage/log-config.js';
import type { Broker } from '../engine/broker.js';
import { PARTITIONS_MAX } from '../common/limits.js';
import { elapsedSec } from './stats.js';
import { MIN_CASE_MS_DEFAULT, WARMUP_MS_DEFAULT, warmupMsFor } from './case-timing.js';

export const RECORDS_PER_BATCH = 1000;
export const IN_FLIGHT_BATCHES = 4;
const FETCH_PARTITION_MAX_BYTES = 1024 * 1024;
/** Segments of the timed run, as before the warm-up existed (1-2 partitions still roll a few per case, as the baseline does). */
const SEGMENT_BYTES = 256 * 1024 * 1024;
/** Segments during warm-up: small, so dropping what the warm-up wrote frees nearly all of it. */
const WARMUP_SEGMENT_BYTES = 16 * 1024 * 1024;
/** How often the warm-up drops what it wrote (at most 16 MiB stays per partition). */
const WARMUP_TRIM_MS = 500;
/**
 * Bytes one round of batches (one per partition) may take: past 500 or so partitions a batch of
 * 1000 records each would make one round gigabytes, so batches get fewer records instead.
 */
const ROUND_BYTES_MAX = 512 * 1024 * 1024;

/** One partition a case produces to and consumes from. */
export interface Target {
  topic: string;
  partition: number;
}

/** Records per batch for `partitionCount` partitions: RECORDS_PER_BATCH unless a round of batches would pass ROUND_BYTES_MAX. */
export function recordsPerBatchFor(partitionCount: number, recordBytes: number): number {
  return Math.max(1, Math.min(RECORDS_PER_BATCH, Math.floor(ROUND_BYTES_MAX / partitionCount / recordBytes)));
}

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
  /** A case keeps producing past recordCount until it ran this long (capped by durationMs); consume reads for as long. */
  minDurationMs?: number;
  /** Untimed warm-up per core's worth of partitions (see warmupMsFor); default WARMUP_MS_DEFAULT. */
  warmupMs?: number;
}

/** How long a produce loop runs: at least minDurationMs (once its batches are sent), at most durationMs. */
type RunTime = Pick<CaseSpec, 'durationMs' | 'minDurationMs'>;

/** When the case may stop: [stop once the record target is met after this, hard deadline]. */
function caseClock(spec: RunTime): { minEndMs: number; deadlineMs: number } {
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
function batchesPerPartition(spec: CaseSpec, partitionCount: number, recordsPerBatch = RECORDS_PER_BATCH): number {
  return Math.max(1, Math.ceil(spec.recordCount / recordsPerBatch / partitionCount));
}

async function produceAll(broker: Broker, targets: readonly Target[], batch: Buffer, batchCount: number, spec: RunTime): Promise<Throughput> {
  const batchRecords = [...iterateBatches(batch)][0]!.header.recordsCount;
  const { minEndMs, deadlineMs } = caseClock(spec);
  let batchesAcked = 0;
  const start = process.hrtime.bigint();
  const partitionLoop = async ({ topic, partition }: Target): Promise<void> => {
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
  await Promise.all(targets.map(partitionLoop));
  const seconds = elapsedSec(start);
  return throughput(batchesAcked * batchRecords, batchesAcked * batch.length, seconds);
}

/**
 * Read buffers for every consume of the run (engine and baseline), as the Kafka server keeps one
 * pool for all its fetches: each result is given back once its batches are counted.
 */
const readBuffers = new ReadBufferPool();

/** Records and bytes of one read of every partition's [start, end) range (timedPasses checks the count). */
type PassReader = () => Promise<{ recordCount: number; sizeBytes: number }>;

/**
 * Untimed passes for `warmupMs` (at least one: it also grows the buffer pool to what this many
 * partitions hold), then timed passes until minDurationMs is up. Measured: the first passes over
 * 16 partitions ran at half the rate of the fifth and later.
 */
async function timedPasses(readPass: PassReader, expected: number, durations: { warmupMs: number; minDurationMs: number }, what: string): Promise<Throughput> {
  const check = (pass: { recordCount: number }): void => {
    if (pass.recordCount !== expected) throw new Error(`${what}: read ${pass.recordCount} records of ${expected} produced`);
  };
  const warmupEndMs = Date.now() + durations.warmupMs;
  do check(await readPass());
  while (Date.now() < warmupEndMs);
  let recordCount = 0;
  let sizeBytes = 0;
  const start = process.hrtime.bigint();
  const minEndMs = Date.now() + durations.minDurationMs;
  do {
    const pass = await readPass();
    check(pass);
    recordCount += pass.recordCount;
    sizeBytes += pass.sizeBytes;
  } while (Date.now() < minEndMs);
  return throughput(recordCount, sizeBytes, elapsedSec(start));
}

/** Adds up the batches of one fetch result; returns the offset after the last one. */
function countBatches(records: Buffer, totals: { recordCount: number; sizeBytes: number }, offset: number): number {
  for (const { sizeBytes: batchBytes, header } of iterateBatches(records)) {
    totals.recordCount += header.recordsCount;
    totals.sizeBytes += batchBytes;
    offset = header.baseOffset + header.lastOffsetDelta + 1;
  }
  return offset;
}

async function consumeAll(broker: Broker, targets: readonly Target[], expected: number, durations: { warmupMs: number; minDurationMs: number }): Promise<Throughput> {
  const buffers = readBuffers;
  const ranges = targets.map(({ topic, partition }) => {
    const state = broker.partitionState(topic, partition);
    return { topic, partition, start: state?.logStartOffset ?? 0, end: state?.highWatermark ?? 0 };
  });
  const readPass: PassReader = async () => {
    const totals = { recordCount: 0, sizeBytes: 0 };
    const partitionLoop = async ({ topic, partition, start, end }: (typeof ranges)[number]): Promise<void> => {
      for (let fetchOffset = start; fetchOffset < end; ) {
        const request = { topic, partition, fetchOffset, partitionMaxBytes: FETCH_PARTITION_MAX_BYTES };
        const [result] = await broker.fetch([request], { maxWaitMs: 0, minBytes: 1, maxBytes: FETCH_PARTITION_MAX_BYTES, buffers });
        if (result === undefined || result.errorCode !== ErrorCode.NONE) throw new Error(`fetch ${topic}-${partition}@${fetchOffset} failed: error ${result?.errorCode}`);
        const records = result.records ?? Buffer.alloc(0);
        if (records.length === 0) throw new Error(`fetch ${topic}-${partition}@${fetchOffset} returned nothing below the high watermark ${end}`);
        fetchOffset = countBatches(records, totals, fetchOffset);
        buffers.release(records);
      }
    };
    await Promise.all(ranges.map(partitionLoop));
    return totals;
  };
  return timedPasses(readPass, expected, durations, `consume ${targets.length} partitions`);
}

/** Consume runs on this thread and the threadpool, not in the workers: its warm-up does not grow with partitions. */
function consumeDurations(spec: CaseSpec): { warmupMs: number; minDurationMs: number } {
  return { warmupMs: spec.warmupMs ?? WARMUP_MS_DEFAULT, minDurationMs: spec.minDurationMs ?? MIN_CASE_MS_DEFAULT };
}

/** Drops every record of every partition written so far (DeleteRecords to the high watermark). */
async function dropWritten(broker: Broker, targets: readonly Target[]): Promise<void> {
  await Promise.all(targets.map(async ({ topic, partition }) => {
    const { errorCode } = await broker.deleteRecords(topic, partition, -1);
    if (errorCode !== ErrorCode.NONE) throw new Error(`delete records of ${topic}-${partition} failed: error ${errorCode}`);
  }));
}

/** The untimed warm-up of a case (see the module comment); ends with the log empty from the high watermark on. */
async function warmUp(broker: Broker, targets: readonly Target[], batch: Buffer, warmupMs: number): Promise<void> {
  for (const endMs = Date.now() + warmupMs; ; ) {
    const roundMs = Math.max(1, Math.min(WARMUP_TRIM_MS, endMs - Date.now()));
    await produceAll(broker, targets, batch, 1, { minDurationMs: roundMs, durationMs: roundMs });
    await dropWritten(broker, targets);
    if (Date.now() >= endMs) return;
  }
}

/** What a case cost the process: resident memory after its produce, and threads. */
export interface CaseFootprint {
  rssMiB: number;
  threads: number;
}

function footprint(): CaseFootprint {
  let threads = NaN;
  try {
    threads = fs.readdirSync('/proc/self/task').length;
  } catch {
    // not Linux
  }
  return { rssMiB: Math.round(process.memoryUsage().rss / (1024 * 1024)), threads };
}

/** The topics of a case: as many of at most PARTITIONS_MAX partitions as `partitionCount` needs. */
function caseTopics(prefix: string, partitionCount: number): { name: string; partitions: number }[] {
  const topics: { name: string; partitions: number }[] = [];
  for (let first = 0; first < partitionCount; first += PARTITIONS_MAX) {
    topics.push({ name: partitionCount <= PARTITIONS_MAX ? prefix : `${prefix}-${topics.length}`, partitions: Math.min(PARTITIONS_MAX, partitionCount - first) });
  }
  return topics;
}

/** Warms up, then produces and consumes one case on fresh topics, which are deleted afterwards. */
export async function runEngineCase(broker: Broker, topic: string, partitionCount: number, spec: CaseSpec): Promise<{ produce: Throughput; consume: Throughput; footprint: CaseFootprint }> {
  const topics = caseTopics(topic, partitionCount);
  const configs = { 'segment.bytes': String(WARMUP_SEGMENT_BYTES) };
  const refused = (await broker.createTopics(topics.map((t) => ({ ...t, configs })))).find((e) => e !== null);
  if (refused !== undefined && refused !== null) throw refused;
  try {
    const targets = topics.flatMap((t) => Array.from({ length: t.partitions }, (_, partition) => ({ topic: t.name, partition })));
    const recordsPerBatch = recordsPerBatchFor(partitionCount, spec.recordBytes);
    const batch = benchBatch(spec.recordBytes, recordsPerBatch);
    await warmUp(broker, targets, batch, warmupMsFor(partitionCount, spec.warmupMs ?? WARMUP_MS_DEFAULT, broker.partitionWorkerCount));
    for (const t of topics) await broker.alterTopicConfigs(t.name, { 'segment.bytes': String(SEGMENT_BYTES) }, 'incremental');
    const produce = await produceAll(broker, targets, batch, batchesPerPartition(spec, partitionCount, recordsPerBatch), spec);
    const used = footprint();
    const consume = await consumeAll(broker, targets, produce.recordCount, consumeDurations(spec));
    return { produce, consume, footprint: used };
  } finally {
    await broker.deleteTopics(topics.map((t) => t.name));
  }
}

/**
 * The baseline: what a single-threaded broker would do with the same batches, on this thread (no
 * ring, no worker): the checks Broker.produce makes (checkBatchFraming) and
 * PartitionLog.append, warmed up as a one-partition engine case and for as many records and as
 * long as one; then read back with PartitionLog.read, as the engine's consume is. The ratio
 * engine/baseline is then the cost of the hand-off alone.
 */
export async function runStorageBaseline(dir: string, spec: CaseSpec): Promise<{ produce: Throughput; consume: Throughput }> {
  const config: LogConfig = { ...DEFAULT_LOG_CONFIG, segmentBytes: WARMUP_SEGMENT_BYTES };
  const logDir = path.join(dir, `baseline-${spec.recordBytes}`);
  const log = PartitionLog.open(logDir, config);
  try {
    const batch = benchBatch(spec.recordBytes);
    const warmupEndMs = Date.now() + warmupMsFor(1, spec.warmupMs ?? WARMUP_MS_DEFAULT);
    for (let trimAtMs = Date.now() + WARMUP_TRIM_MS; Date.now() < warmupEndMs; ) {
      checkAsBrokerDoes(batch);
      log.append(batch); // untimed, as the engine's warm-up, and dropped the same way
      if (Date.now() >= trimAtMs) {
        log.deleteRecordsBefore(log.highWatermark);
        trimAtMs = Date.now() + WARMUP_TRIM_MS;
      }
    }
    log.deleteRecordsBefore(log.highWatermark);
    log.updateConfig({ ...config, segmentBytes: SEGMENT_BYTES });
    const batchCount = batchesPerPartition(spec, 1);
    const { minEndMs, deadlineMs } = caseClock(spec);
    let appended = 0;
    const start = process.hrtime.bigint();
    for (let nowMs = Date.now(); (appended < batchCount || nowMs < minEndMs) && nowMs < deadlineMs; nowMs = Date.now()) {
      checkAsBrokerDoes(batch);
      log.append(batch);
      appended++;
    }
    const produce = throughput(appended * RECORDS_PER_BATCH, appended * batch.length, elapsedSec(start));
    const buffers = readBuffers;
    const first = log.logStartOffset;
    const readPass: PassReader = async () => {
      const totals = { recordCount: 0, sizeBytes: 0 };
      for (let offset = first; offset < log.highWatermark; ) {
        const records = log.read(offset, FETCH_PARTITION_MAX_BYTES, log.highWatermark, buffers);
        if (records.length === 0) throw new Error(`baseline read returned nothing at ${offset}`);
        offset = countBatches(records, totals, offset);
        buffers.release(records);
      }
      return totals;
    };
    const consume = await timedPasses(readPass, produce.recordCount, consumeDurations(spec), 'baseline consume');
    return { produce, consume };
  } finally {
    log.close();
    fs.rmSync(logDir, { recursive: true, force: true });
  }
}

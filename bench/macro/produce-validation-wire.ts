/**
 * What the produce record pass and compression.type recompression cost end to end: Brook's client
 * produces the same log-like records to a real `brook serve` process, on a fresh one-partition
 * topic per run, in five ways:
 *   none -> producer      uncompressed batches, topic keeps the producer's codec: no record pass on
 *                         the main thread (the partition worker walks the records). The baseline.
 *   lz4 -> producer       decompress and check every record against the batch header
 *   zstd -> producer      the same with zstd
 *   none -> zstd topic    compression.type=zstd: the broker compresses every batch
 *   lz4 -> zstd topic     decompress, check, recompress with zstd
 * at two batch sizes (uncompressed record bytes): 16 KiB (the pass runs inline on the main thread)
 * and 256 KiB (it runs in the piscina pool, produce-validation.ts POOL_MIN_BYTES = 128 KiB).
 * Batches are encoded once before timing, so the figures are the broker's cost, not the client's.
 * Four Produce requests in flight on one connection, acks=1. Reported per case, medians of the
 * repetitions: MB/s of uncompressed record bytes, the broker process's CPU seconds (all threads,
 * from /proc) per 100 MB, and both as ratios to the baseline measured in the same run.
 * Run: `node dist/bench/macro/produce-validation-wire.js [--quick]`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { KafkaClient } from '../../src/client/client.js';
import { Compression, type CompressionCodec } from '../../src/protocol/compression.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { encodeRecordBatch, type ProducerRecord } from '../../src/protocol/record-batch.js';
import { startServer, stop } from '../../src/bench-lib/processes.js';
import { describeMachine, elapsedSec, machineInfo, median, round } from '../../src/bench-lib/stats.js';

interface Case {
  name: string;
  codec: CompressionCodec;
  topicConfigs: Record<string, string>;
}

const CASES: Case[] = [
  { name: 'none -> producer', codec: Compression.none, topicConfigs: {} },
  { name: 'lz4 -> producer', codec: Compression.lz4, topicConfigs: {} },
  { name: 'zstd -> producer', codec: Compression.zstd, topicConfigs: {} },
  { name: 'none -> zstd topic', codec: Compression.none, topicConfigs: { 'compression.type': 'zstd' } },
  { name: 'lz4 -> zstd topic', codec: Compression.lz4, topicConfigs: { 'compression.type': 'zstd' } },
];
const BATCH_KIB = [16, 256];
const IN_FLIGHT = 4;
const SERVER_MAIN = fileURLToPath(new URL('../../src/server/main.js', import.meta.url));
const CLOCK_TICKS_PER_SEC = 100; // Linux USER_HZ

export interface Row {
  name: string;
  batchKiB: number;
  megabytesPerSec: number;
  cpuSecPer100MB: number;
  /** Throughput over the baseline's, same batch size and run. */
  throughputRatio: number;
  /** CPU per byte over the baseline's. */
  cpuRatio: number;
}

/** About 200-byte log lines: compressible as real records are, not a run of one byte. */
function recordsOf(bytes: number): { records: ProducerRecord[]; recordBytes: number } {
  const records: ProducerRecord[] = [];
  let recordBytes = 0;
  for (let i = 0; recordBytes < bytes; i++) {
    const value = Buffer.from(`2026-12-07T12:00:${String(i % 60).padStart(2, '0')}Z host-${i % 17} GET /api/v1/items/${(i * 7919) % 10007} status=${200 + (i % 5)} took=${(i * 31) % 997}ms agent=bench-${i % 3}`);
    const key = Buffer.from(`k${i % 101}`);
    records.push({ key, value });
    recordBytes += key.length + value.length;
  }
  return { records, recordBytes };
}

/** User + system CPU seconds of process `pid` so far, all threads (/proc/<pid>/stat fields 14, 15). */
function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SEC;
}

async function createTopic(client: KafkaClient, name: string, configs: Record<string, string>): Promise<void> {
  const response = await client.createTopics({
    topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: Object.entries(configs).map(([n, value]) => ({ name: n, value })) }],
    timeoutMs: 10_000,
  });
  const code = response.topics[0]?.errorCode ?? -1;
  if (code !== ErrorCode.NONE) throw new Error(`CreateTopics ${name} failed: error ${code}`);
}

/** Sends `batch` `count` times, IN_FLIGHT requests pipelined; resolves with the seconds taken. */
async function produceAll(client: KafkaClient, topic: string, batch: Buffer, count: number): Promise<number> {
  let sent = 0;
  const start = process.hrtime.bigint();
  const lane = async (): Promise<void> => {
    while (sent < count) {
      sent++;
      const response = await client.produce({ acks: 1, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }] });
      const code = response?.responses[0]?.partitionResponses[0]?.errorCode ?? -1;
      if (code !== ErrorCode.NONE) throw new Error(`produce to ${topic} failed: error ${code}`);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  return elapsedSec(start);
}

export async function run(options: { quick?: boolean } = {}): Promise<Row[]> {
  const repetitions = options.quick ? 1 : 5;
  const megabytesPerRun = options.quick ? 8 : 64;
  const samples = new Map<string, { mbps: number[]; cpu: number[] }>();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'brook-validation-bench-'));
  try {
    for (let rep = 0; rep < repetitions; rep++) {
      const server = await startServer(process.execPath, [SERVER_MAIN, '--port', '0', '--data-dir', path.join(dir, `rep-${rep}`)], /^listening on /);
      try {
        const address = server.readyLine.replace(/^listening on /, '').trim();
        const client = await KafkaClient.connect(address, { clientId: 'brook-validation-bench' });
        try {
          for (const kib of BATCH_KIB) {
            const { records, recordBytes } = recordsOf(kib * 1024);
            const count = Math.ceil((megabytesPerRun * 1e6) / recordBytes);
            // Cases interleaved in each repetition, in an order rotated by one each time, so neither
            // a burst of load from elsewhere nor going first (a colder server) favours one case.
            const order = CASES.map((_, i) => CASES[(i + rep) % CASES.length]!);
            for (const c of order) {
              const topic = `bench-${rep}-${kib}-${CASES.indexOf(c)}`;
              await createTopic(client, topic, c.topicConfigs);
              const batch = encodeRecordBatch(records, { compression: c.codec });
              await produceAll(client, topic, batch, 3); // warm: partition opened, pool thread started
              const cpuBefore = cpuSeconds(server.child.pid!);
              const seconds = await produceAll(client, topic, batch, count);
              const cpu = cpuSeconds(server.child.pid!) - cpuBefore;
              const megabytes = (count * recordBytes) / 1e6;
              const key = `${c.name}|${kib}`;
              if (!samples.has(key)) samples.set(key, { mbps: [], cpu: [] });
              samples.get(key)!.mbps.push(megabytes / seconds);
              samples.get(key)!.cpu.push((cpu / megabytes) * 100);
              process.stderr.write(`  rep ${rep + 1}/${repetitions} ${kib} KiB ${c.name}: ${(megabytes / seconds).toFixed(1)} MB/s\n`);
            }
          }
        } finally {
          await client.close();
        }
      } finally {
        await stop(server.child);
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const rows: Row[] = [];
  for (const kib of BATCH_KIB) {
    const base = samples.get(`${CASES[0]!.name}|${kib}`)!;
    for (const c of CASES) {
      const s = samples.get(`${c.name}|${kib}`)!;
      rows.push({
        name: c.name,
        batchKiB: kib,
        megabytesPerSec: round(median(s.mbps), 1),
        cpuSecPer100MB: round(median(s.cpu), 2),
        throughputRatio: round(median(s.mbps) / median(base.mbps), 2),
        cpuRatio: round(median(s.cpu) / median(base.cpu), 2),
      });
    }
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const quick = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
  const rows = await run({ quick });
  console.log(`produce validation and recompression, end to end (median of ${quick ? 1 : 5}) — ${describeMachine(machineInfo())}`);
  console.table(rows);
}

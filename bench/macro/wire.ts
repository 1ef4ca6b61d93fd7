/**
 * The Kafka-protocol benchmark: kcat (librdkafka) and Brook's own client against a real
 * `brook serve` process, beside Redis Streams (redis-server + redis-benchmark XADD) measured in
 * the same run. kcat -P reads lines written to a temp file first (its stdin), timed end to end
 * from spawn to exit; kcat -C -e -o beginning reads them back (lines counted). Each case runs on
 * a fresh one-partition topic. Medians of `repetitions` runs; missing tools are reported and
 * their part skipped, nothing is installed.
 * Run: `node dist/bench/macro/wire.js [--quick]` (BENCH_QUICK=1 also shortens it).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { KafkaClient } from '../../src/client/client.js';
import { findOnPath, startServer, stop } from '../../src/bench-lib/processes.js';
import { runRedisXadd, type RedisResult } from '../../src/bench-lib/redis-baseline.js';
import { describeMachine, formatCount, machineInfo, median, type MachineInfo } from '../../src/bench-lib/stats.js';
import {
  CLIENT_IN_FLIGHT_BATCHES, CLIENT_RECORDS_PER_BATCH, KCAT_PRODUCE_SETTINGS, clientConsume, clientProduce, createTopic,
  kcatConsume, kcatProduce, writeLinesFile, type WireThroughput,
} from '../../src/bench-lib/wire-brook.js';

export interface WireCase {
  recordBytes: number;
  recordCount: number;
}

export interface WireRow {
  recordBytes: number;
  recordCount: number;
  /** Medians over repetitions; null when the tool was missing. */
  kcatProduce: WireThroughput | null;
  kcatConsume: WireThroughput | null;
  clientProduce: WireThroughput | null;
  clientConsume: WireThroughput | null;
  redisXadd: RedisResult | null;
  /** Brook produce records/s over Redis XADD records/s. */
  kcatToRedisRatio: number | null;
  clientToRedisRatio: number | null;
}

export interface WireReport {
  benchmark: 'wire';
  startedAt: string;
  machine: MachineInfo;
  repetitions: number;
  settings: Record<string, string>;
  skipped: string[];
  rows: WireRow[];
}

export const FULL_CASES: WireCase[] = [{ recordBytes: 100, recordCount: 1_000_000 }, { recordBytes: 1024, recordCount: 100_000 }];
export const QUICK_CASES: WireCase[] = [{ recordBytes: 100, recordCount: 100_000 }, { recordBytes: 1024, recordCount: 10_000 }];
const SERVER_MAIN = fileURLToPath(new URL('../../src/server/main.js', import.meta.url));

function medianOf<T extends { recordsPerSec: number }>(runs: T[]): T | null {
  if (runs.length === 0) return null;
  const m = median(runs.map((r) => r.recordsPerSec));
  // The run closest to the median keeps its other fields consistent (seconds, MB/s).
  return runs.reduce((best, r) => (Math.abs(r.recordsPerSec - m) < Math.abs(best.recordsPerSec - m) ? r : best));
}

export async function run(options: { quick?: boolean; repetitions?: number; cases?: WireCase[] } = {}): Promise<WireReport> {
  const cases = options.cases ?? (options.quick ? QUICK_CASES : FULL_CASES);
  const repetitions = options.repetitions ?? (options.quick ? 1 : 3);
  const kcat = findOnPath('kcat') ?? findOnPath('kafkacat');
  const redisServer = findOnPath('redis-server');
  const redisBenchmark = findOnPath('redis-benchmark');
  const skipped: string[] = [];
  if (kcat === null) skipped.push('kcat not found on PATH: kcat produce/consume skipped (install kcat, e.g. apt-get install kcat)');
  if (redisServer === null || redisBenchmark === null) skipped.push('redis-server or redis-benchmark not found on PATH: Redis Streams baseline skipped (apt-get install redis-server)');
  for (const s of skipped) process.stderr.write(`wire bench: ${s}\n`);
  const startedAt = new Date().toISOString();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'brook-wire-'));
  const runs = new Map<number, { kp: WireThroughput[]; kc: WireThroughput[]; cp: WireThroughput[]; cc: WireThroughput[]; redis: RedisResult[] }>();
  for (const c of cases) runs.set(c.recordBytes, { kp: [], kc: [], cp: [], cc: [], redis: [] });
  try {
    const linesFiles = new Map<number, string>();
    for (const c of cases) {
      const file = path.join(dir, `lines-${c.recordBytes}.txt`);
      writeLinesFile(file, c.recordBytes, c.recordCount);
      linesFiles.set(c.recordBytes, file);
    }
    for (let rep = 0; rep < repetitions; rep++) {
      // A fresh server per repetition, so one repetition's page cache and segments don't favour the next.
      const dataDir = path.join(dir, `brook-${rep}`);
      const server = await startServer(process.execPath, [SERVER_MAIN, '--port', '0', '--data-dir', dataDir], /^listening on /);
      try {
        const address = server.readyLine.replace(/^listening on /, '').trim();
        const client = await KafkaClient.connect(address, { clientId: 'brook-wire-bench' });
        try {
          for (const c of cases) {
            const r = runs.get(c.recordBytes)!;
            if (kcat !== null) {
              const topic = `kcat-${c.recordBytes}-${rep}`;
              await createTopic(client, topic);
              r.kp.push(await kcatProduce(kcat, address, topic, linesFiles.get(c.recordBytes)!, c.recordBytes, c.recordCount));
              r.kc.push(await kcatConsume(kcat, address, topic, c.recordBytes, c.recordCount));
            }
            const topic = `client-${c.recordBytes}-${rep}`;
            await createTopic(client, topic);
            r.cp.push(await clientProduce(client, topic, c.recordBytes, c.recordCount));
            r.cc.push(await clientConsume(client, topic, c.recordBytes, c.recordCount));
          }
        } finally {
          await client.close();
        }
      } finally {
        await stop(server.child);
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
      if (redisServer !== null && redisBenchmark !== null) {
        for (const c of cases) runs.get(c.recordBytes)!.redis.push(await runRedisXadd(redisServer, redisBenchmark, c.recordBytes, c.recordCount));
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const rows = cases.map((c): WireRow => {
    const r = runs.get(c.recordBytes)!;
    const kp = medianOf(r.kp);
    const cp = medianOf(r.cp);
    const redis = medianOf(r.redis);
    return {
      recordBytes: c.recordBytes,
      recordCount: c.recordCount,
      kcatProduce: kp,
      kcatConsume: medianOf(r.kc),
      clientProduce: cp,
      clientConsume: medianOf(r.cc),
      redisXadd: redis,
      kcatToRedisRatio: kp !== null && redis !== null ? kp.recordsPerSec / redis.recordsPerSec : null,
      clientToRedisRatio: cp !== null && redis !== null ? cp.recordsPerSec / redis.recordsPerSec : null,
    };
  });
  const report: WireReport = {
    benchmark: 'wire',
    startedAt,
    machine: machineInfo(),
    repetitions,
    settings: {
      server: `node dist/src/server/main.js --port 0 --data-dir <temp> (defaults: acks from the client, flush left to the OS)`,
      kcatProduce: `kcat -P -b <addr> -t <topic> -p 0 ${KCAT_PRODUCE_SETTINGS.join(' ')} < <lines file>`,
      kcatConsume: 'kcat -C -b <addr> -t <topic> -p 0 -o beginning -e -q | count lines',
      client: `KafkaClient: batches of ${CLIENT_RECORDS_PER_BATCH} records or ~900 KB (below message.max.bytes), ${CLIENT_IN_FLIGHT_BATCHES} Produce requests in flight, acks=1; Fetch maxBytes 16 MiB`,
      redis: 'redis-server --appendonly yes --appendfsync everysec --save "" ; redis-benchmark -P 100 (50 connections) XADD brook-bench * v <value>',
    },
    skipped,
    rows,
  };
  process.stdout.write(formatWireReport(report));
  return report;
}

function cell(t: { recordsPerSec: number; megabytesPerSec: number } | null): string {
  return t === null ? 'skipped' : `${formatCount(t.recordsPerSec)} rec/s (${t.megabytesPerSec.toFixed(1)} MB/s)`;
}

export function formatWireReport(report: WireReport): string {
  const out = [`wire bench: Kafka protocol vs Redis Streams (median of ${report.repetitions})`, `machine: ${describeMachine(report.machine)}`];
  for (const s of report.skipped) out.push(`SKIPPED: ${s}`);
  for (const r of report.rows) {
    out.push('', `${r.recordBytes} B records x ${formatCount(r.recordCount)}:`);
    out.push(`  kcat -P            ${cell(r.kcatProduce)}`, `  kcat -C            ${cell(r.kcatConsume)}`);
    out.push(`  brook client prod  ${cell(r.clientProduce)}`, `  brook client cons  ${cell(r.clientConsume)}`);
    out.push(`  redis XADD (base)  ${cell(r.redisXadd)}`);
    if (r.kcatToRedisRatio !== null) out.push(`  kcat/redis ${r.kcatToRedisRatio.toFixed(2)}x${r.recordBytes === 100 ? ` (goal >= 2x: ${r.kcatToRedisRatio >= 2 ? 'met' : 'MISSED'})` : ''}`);
    if (r.clientToRedisRatio !== null) out.push(`  client/redis ${r.clientToRedisRatio.toFixed(2)}x`);
  }
  out.push('', ...Object.entries(report.settings).map(([k, v]) => `  ${k}: ${v}`));
  return out.join('\n') + '\n';
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const quick = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
  const report = await run({ quick });
  const jsonAt = process.argv.indexOf('--json');
  if (jsonAt !== -1 && process.argv[jsonAt + 1] !== undefined) fs.writeFileSync(process.argv[jsonAt + 1]!, JSON.stringify(report, null, 2) + '\n');
}

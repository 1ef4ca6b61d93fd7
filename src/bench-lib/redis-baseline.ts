/**
 * The Redis Streams baseline for the wire benchmark: a fresh redis-server on 127.0.0.1 (free
 * port, temp dir, AOF on with fsync every second, no RDB snapshots) and redis-benchmark sending
 * `XADD <stream> * v <value>` with a fixed value of the record size, 100 commands pipelined per
 * connection (-P 100) over redis-benchmark's default 50 connections. Records/s is the rps it
 * reports. Stops the server in every case.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, runToExit, startServer, stop } from './processes.js';

export interface RedisResult {
  recordBytes: number;
  recordCount: number;
  recordsPerSec: number;
  megabytesPerSec: number;
  command: string;
}

/** Parses the rps column of redis-benchmark --csv output (the last data line). */
export function parseRedisBenchmarkCsv(csv: string): number {
  const lines = csv.trim().split('\n').filter((l) => l.startsWith('"') && !l.startsWith('"test"'));
  const fields = lines[lines.length - 1]?.match(/"([^"]*)"/g)?.map((f) => f.slice(1, -1)) ?? [];
  const rps = Number(fields[1]);
  if (!(rps > 0)) throw new Error(`cannot read rps from redis-benchmark output: ${csv.slice(0, 300)}`);
  return rps;
}

export async function runRedisXadd(redisServer: string, redisBenchmark: string, recordBytes: number, recordCount: number): Promise<RedisResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'brook-redis-'));
  const port = await freePort();
  const server = await startServer(redisServer, [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'everysec',
    '--save', '', '--daemonize', 'no', '--protected-mode', 'yes',
  ], /Ready to accept connections/);
  try {
    const value = 'v'.repeat(recordBytes);
    const args = ['-h', '127.0.0.1', '-p', String(port), '-P', '100', '-n', String(recordCount), '--csv', 'XADD', 'brook-bench', '*', 'v', value];
    const done = await runToExit(redisBenchmark, args);
    const recordsPerSec = parseRedisBenchmarkCsv(done.stdout);
    return {
      recordBytes,
      recordCount,
      recordsPerSec,
      megabytesPerSec: (recordsPerSec * recordBytes) / 1e6,
      command: `redis-benchmark -P 100 -n ${recordCount} --csv XADD brook-bench '*' v <${recordBytes}-byte value>`,
    };
  } finally {
    await stop(server.child);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Recovery scan speed: builds a log of the given size (default 1 GiB), kills it uncleanly (no
 * close, so the next open CRC-checks every batch from the recovery point, here 0), and times, in
 * the same run and in rotating order, a raw sequential read of the same files (the baseline),
 * PartitionLog.open (the scan on one thread) and PartitionLog.openAsync with a CRC pool of one
 * thread per core (crc-pool.ts; the pool is started before the timings).
 * Run: `node dist/bench/macro/recovery.js [sizeMiB] [--threads N] [--rounds N]`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { DEFAULT_LOG_CONFIG } from '../../src/storage/log-config.js';
import { CHECKPOINT_FILE } from '../../src/storage/file-names.js';
import { crc32c } from '../../src/protocol/crc32c.js';
import { createCrcPool } from '../../src/storage/crc-pool.js';

export interface RecoveryBenchResult {
  sizeBytes: number;
  recoveryMegabytesPerSec: number;
  rawReadMegabytesPerSec: number;
  ratioToRaw: number;
  /** openAsync with a CRC pool of `poolThreads` threads. */
  pooledRecoveryMegabytesPerSec: number;
  pooledRatioToRaw: number;
  /** Pooled scan speed over the single-thread scan's. */
  pooledSpeedup: number;
  poolThreads: number;
  /** CRC-32C over in-memory 4 MiB chunks: recovery must both read and checksum every byte. */
  crcMegabytesPerSec: number;
  /** The best recovery/raw ratio a read-then-CRC scan can reach: 1 / (1 + raw / crc). */
  ratioCapFromCrc: number;
  machine: { cores: number; cpu: string; node: string };
}

function rawFirstLog(dir: string): string {
  return path.join(dir, fs.readdirSync(dir).filter((n) => n.endsWith('.log')).sort()[0]!);
}

function rawRead(dir: string): number {
  const buf = Buffer.allocUnsafe(4 * 1024 * 1024);
  let total = 0;
  for (const name of fs.readdirSync(dir).filter((n) => n.endsWith('.log'))) {
    const fd = fs.openSync(path.join(dir, name), 'r');
    for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0; ) total += n;
    fs.closeSync(fd);
  }
  return total;
}

/** CRC-32C speed on a 4 MiB buffer already in memory, median of a few timed runs. */
function crcSpeed(): number {
  const buf = Buffer.alloc(4 * 1024 * 1024, 0x62);
  const mbps: number[] = [];
  for (let round = 0; round < 7; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < 64; i++) crc32c(buf);
    mbps.push((64 * buf.length) / 1e6 / (Number(process.hrtime.bigint() - start) / 1e9));
  }
  return mbps.sort((a, b) => a - b)[3]!;
}

/** Makes the log unclean again with the recovery point at 0: the next open scans everything. */
function makeUnclean(dir: string): void {
  fs.rmSync(path.join(dir, '.clean-shutdown'), { force: true });
  fs.writeFileSync(path.join(dir, CHECKPOINT_FILE), JSON.stringify({ recoveryPoint: 0, logStartOffset: 0 }));
}

export async function run(options: { sizeMiB?: number; rounds?: number; threads?: number } = {}): Promise<RecoveryBenchResult> {
  const sizeBytes = (options.sizeMiB ?? 1024) * 1024 * 1024;
  const rounds = options.rounds ?? 5;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'brook-recovery-'));
  const config = { ...DEFAULT_LOG_CONFIG, segmentBytes: 256 * 1024 * 1024 };
  const log = PartitionLog.open(dir, config);
  const value = Buffer.alloc(1024, 0x62);
  const batch = encodeRecordBatch(Array.from({ length: 1000 }, () => ({ value })), { baseTimestamp: Date.now() });
  while (log.sizeBytes < sizeBytes) log.append(batch);
  log.flush();
  // No close(): an unclean shutdown. Point the recovery checkpoint at 0 so everything is scanned.
  makeUnclean(dir);
  const poolThreads = options.threads ?? os.availableParallelism();
  const pool = createCrcPool({ threads: poolThreads });
  const recoverySec: number[] = [];
  const pooledSec: number[] = [];
  const rawSec: number[] = [];
  const timeRaw = async () => {
    const start = process.hrtime.bigint();
    rawRead(dir);
    rawSec.push(Number(process.hrtime.bigint() - start) / 1e9);
  };
  const timeOpen = async (pooled: boolean) => {
    const start = process.hrtime.bigint();
    const reopened = pooled ? await PartitionLog.openAsync(dir, config, { crcPool: pool }) : PartitionLog.open(dir, config);
    (pooled ? pooledSec : recoverySec).push(Number(process.hrtime.bigint() - start) / 1e9);
    if (reopened.logEndOffset !== log.logEndOffset) throw new Error(`recovery lost data: ${reopened.logEndOffset} != ${log.logEndOffset}`);
    if (reopened.recovery.cleanShutdown) throw new Error('recovery did not scan');
    makeUnclean(dir); // no close(): it would leave the log clean
  };
  try {
    await pool.run({ path: rawFirstLog(dir), start: 0, end: 0 }); // the workers are up before any timing
    const steps = [timeRaw, () => timeOpen(false), () => timeOpen(true)];
    for (let i = 0; i < rounds; i++) {
      // The order rotates every round so no variant always runs right after the same other one.
      for (let k = 0; k < steps.length; k++) await steps[(i + k) % steps.length]!();
    }
  } finally {
    await pool.destroy();
  }
  fs.rmSync(dir, { recursive: true, force: true });
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const mb = log.sizeBytes / 1e6;
  const recoveryMegabytesPerSec = mb / median(recoverySec);
  const rawReadMegabytesPerSec = mb / median(rawSec);
  const pooledRecoveryMegabytesPerSec = mb / median(pooledSec);
  const crcMegabytesPerSec = crcSpeed();
  return {
    crcMegabytesPerSec: Math.round(crcMegabytesPerSec),
    ratioCapFromCrc: Number((1 / (1 + rawReadMegabytesPerSec / crcMegabytesPerSec)).toFixed(3)),
    sizeBytes: log.sizeBytes,
    recoveryMegabytesPerSec: Math.round(recoveryMegabytesPerSec),
    rawReadMegabytesPerSec: Math.round(rawReadMegabytesPerSec),
    ratioToRaw: Number((recoveryMegabytesPerSec / rawReadMegabytesPerSec).toFixed(3)),
    pooledRecoveryMegabytesPerSec: Math.round(pooledRecoveryMegabytesPerSec),
    pooledRatioToRaw: Number((pooledRecoveryMegabytesPerSec / rawReadMegabytesPerSec).toFixed(3)),
    pooledSpeedup: Number((pooledRecoveryMegabytesPerSec / recoveryMegabytesPerSec).toFixed(2)),
    poolThreads,
    machine: { cores: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', node: process.version },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const flag = (name: string) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : undefined);
  const size = args.find((a, i) => /^\d+$/.test(a) && !args[i - 1]?.startsWith('--'));
  const result = await run({ sizeMiB: Number(size ?? 1024), threads: flag('--threads'), rounds: flag('--rounds') });
  console.log(`recovery bench — ${result.machine.cores} cores, ${result.machine.cpu}, Node ${result.machine.node}`);
  console.log(result);
  console.log(`goal >= 50% of raw sequential read: one thread ${(result.ratioToRaw * 100).toFixed(0)}%, CRC pool of ${result.poolThreads} ${(result.pooledRatioToRaw * 100).toFixed(0)}% (${result.pooledSpeedup}x the single-thread scan)`);
}

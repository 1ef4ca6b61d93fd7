import { beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { DEFAULT_LOG_CONFIG } from '../../src/storage/log-config.js';
import { batchOf, readAll, tempDir } from './helpers.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

beforeAll(() => {
  // Children and workers run compiled code from dist/, built by `npm test` before vitest starts
  // (rebuilding here would race with other test files starting workers from dist/).
  const built = fileURLToPath(new URL('../../dist/src/storage/partition-log.js', import.meta.url));
  if (!fs.existsSync(built)) throw new Error(`${built} is missing: run npx tsc -p tsconfig.json first`);
});

/** Runs the appender until it has acknowledged `acks` batches, then SIGKILLs it. */
function appendThenKill(dir: string, flushMessages: string, acks: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fixture('appender.mjs'), dir, flushMessages], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acked: number[] = [];
    let pending = '';
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) acked.push(Number(line));
      if (acked.length >= acks && !child.killed) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve(acked) : reject(new Error(`appender exited ${code}: ${stderr}`))));
  });
}

describe('crash safety with a real process', () => {
  it('after SIGKILL at random moments every acknowledged batch is present once, in order, and appends continue', async () => {
    const seed = Number(process.env.SEED ?? 2024);
    let state = seed;
    const random = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const config = { ...DEFAULT_LOG_CONFIG, segmentBytes: 16 * 1024, indexIntervalBytes: 512 };
    const dir = tempDir();
    let acknowledged = 0;
    for (let round = 0; round < 5; round++) {
      const flush = round % 2 === 0 ? '9223372036854775807' : '1';
      const acked = await appendThenKill(dir, flush, 50 + Math.floor(random() * 1500));
      acknowledged = Math.max(acknowledged, acked.length > 0 ? acked[acked.length - 1]! + 3 : 0);
      const log = PartitionLog.open(dir, config);
      expect(log.logEndOffset, `seed ${seed} round ${round}`).toBeGreaterThanOrEqual(acknowledged);
      expect(log.logEndOffset % 3).toBe(0);
      const values = readAll((o, m) => log.read(o, m), 0, log.logEndOffset);
      expect(values.map((v) => v.offset)).toEqual(Array.from({ length: log.logEndOffset }, (_, i) => i));
      for (const v of values) expect(v.value).toBe(`b${Math.floor(v.offset / 3)}-${v.offset % 3}`);
      const next = log.logEndOffset;
      expect(log.append(batchOf(`b${next / 3}`, 3, 1)).baseOffset).toBe(next);
      acknowledged = next + 3;
      log.close();
    }
  });
});

describe('LogReader in a worker thread', () => {
  it('never sees a partial batch or bytes at the high watermark while the writer appends and rolls', async () => {
    const dir = tempDir();
    const log = PartitionLog.open(dir, { ...DEFAULT_LOG_CONFIG, segmentBytes: 8 * 1024, indexIntervalBytes: 256 });
    const hwm = new Int32Array(new SharedArrayBuffer(4));
    const target = 3 * 3000;
    const worker = new Worker(fixture('reader-worker.mjs'), { workerData: { dir, hwm, target } });
    const done = new Promise<{ offset: number; reads: number; problems: string[] }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    for (let i = 0; i < 3000; i++) {
      log.append(batchOf(`w${i}`, 3, 1000 + i));
      Atomics.store(hwm, 0, log.highWatermark);
    }
    const result = await done;
    expect(result.problems).toEqual([]);
    expect(result.offset).toBe(target);
    expect(result.reads).toBeGreaterThan(0);
    log.close();
    await worker.terminate();
  });
});

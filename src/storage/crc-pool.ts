/**
 * CRC-32C of large segments at recovery, in a piscina pool of worker threads. One thread checks
 * ~6 GB/s of CRC-32C but reads the page cache at ~17 GB/s, so an unclean segment's scan is
 * CRC-bound (docs/benchmarks.md, "recovery"); spreading the CRCs over threads is the one way to
 * scan faster.
 *
 * verifySegmentCrcs walks the segment's batch headers on the calling thread (reading 64 KiB at a
 * batch boundary, so a walk over large batches reads a fraction of the file), cuts it into ranges
 * of about RANGE_BYTES at batch boundaries, and sends each range as soon as its end is known: a
 * task gets only (path, start, end), reads its bytes from the file itself and runs the same scan
 * with CRC checks (batch-scan.ts). Nothing big travels through postMessage. The answer, per range,
 * is where its first bad batch starts; the loader's own scan then skips the CRC of every batch
 * before that and stops at the same batch it would have stopped at alone.
 *
 * The pool is the caller's (the engine decides its lifetime): createCrcPool, then destroy().
 */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import type { Piscina } from 'piscina';
import { scanBatches, type ScanResult, type VerifiedRange } from './batch-scan.js';
import type { FileIo } from './io.js';

// piscina (and its 30-odd modules) loads when a pool is first made: most processes never make one.
const require = createRequire(import.meta.url);
const piscina = (): typeof import('piscina') => require('piscina') as typeof import('piscina');

/** One task: check every batch in [start, end) of the .log at `path`; start is a batch boundary. */
export interface CrcTask {
  path: string;
  start: number;
  end: number;
}

/** What loadLogAsync needs of a pool (a Piscina from createCrcPool). */
export interface CrcPool {
  run(task: CrcTask): Promise<ScanResult>;
}

/** Bytes of segment per task: the CRC of 16 MiB (~3 ms) dwarfs a task's round trip (~0.1 ms). */
export const CRC_RANGE_BYTES = 16 * 1024 * 1024;
/** Segments under two ranges are checked on the loading thread: a few ms, less than the hand-off. */
export const CRC_POOL_MIN_RANGES = 2;
/** The header walk reads this much at each boundary it does not find in what it read before. */
const WALK_CHUNK_BYTES = 64 * 1024;

/** The worker runs from dist/ (tsc output), also when this module is loaded from src/ by tests. */
function workerScriptPath(): string {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) return path.join(path.dirname(here), 'crc-worker.js');
  return path.resolve(path.dirname(here), '../../dist/src/storage/crc-worker.js');
}

/** A pool of `threads` workers (default: one per core), all started now. Destroy it when done. */
export function createCrcPool(options: { threads?: number } = {}): Piscina<CrcTask, ScanResult> {
  const threads = options.threads ?? os.availableParallelism();
  // Two tasks per worker in flight: a worker finds its next range already queued instead of
  // idling while its answer travels to the loading thread's event loop and a new task comes back.
  return new (piscina().Piscina)<CrcTask, ScanResult>({ filename: workerScriptPath(), name: 'default', minThreads: threads, maxThreads: threads, idleTimeout: Infinity, concurrentTasksPerWorker: 2 });
}

/**
 * The ranges of the .log at `logPath` whose batches the pool found intact (each from a range's
 * start to its first bad batch). Empty for a segment under CRC_POOL_MIN_RANGES ranges. Tests pass
 * a small `rangeBytes` to run the pool on small logs.
 */
export async function verifySegmentCrcs(pool: CrcPool, io: FileIo, logPath: string, rangeBytes = CRC_RANGE_BYTES): Promise<VerifiedRange[]> {
  const tasks: Promise<VerifiedRange>[] = [];
  const send = (start: number, end: number) => {
    if (end > start) tasks.push(pool.run({ path: logPath, start, end }).then((result) => ({ start, end: result.validEndPosition })));
  };
  const fd = io.openSync(logPath, 'r');
  try {
    const sizeBytes = io.fstatSizeSync(fd);
    if (sizeBytes < CRC_POOL_MIN_RANGES * rangeBytes) return [];
    let rangeStart = 0;
    const walked = scanBatches(io, fd, 0, sizeBytes, { verify: false, chunkBytes: WALK_CHUNK_BYTES }, (batch) => {
      if (batch.position - rangeStart >= rangeBytes) {
        send(rangeStart, batch.position);
        rangeStart = batch.position;
      }
      return true;
    });
    // The walk stops where lengths or magic go wrong; the loader's scan stops there too.
    send(rangeStart, walked.validEndPosition);
  } catch (err) {
    await Promise.allSettled(tasks);
    throw err;
  } finally {
    io.closeSync(fd);
  }
  return Promise.all(tasks);
}

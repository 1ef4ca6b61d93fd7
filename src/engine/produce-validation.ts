/**
 * The record pass of a produce that needs one (storage/log-validator.ts validateProduce): a
 * compressed batch is decompressed to check its records against its header, and a batch whose
 * codec differs from the topic's compression.type is recompressed. Uncompressed batches for a
 * `producer` topic skip it (the partition worker walks those), so the common path costs nothing.
 *
 * Where it runs: small produces on the calling (main) thread, where a pool round trip would cost
 * more than the work; larger ones in a piscina pool (created on first use, closed with the
 * broker) so the main thread keeps serving connections while zstd or gzip runs. The threshold and
 * its measurement are in docs/benchmarks.md ("produce validation"). The pool holds at most
 * POOL_BYTES_MAX of batches at once; past that the work runs inline, which slows the main thread's
 * intake instead of queueing without bound.
 *
 * Order: produces to one partition reach `append` in call order, whichever path each took: a
 * produce waits for the one before it to be handed over. Main thread only; not thread-safe.
 */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import type { Piscina } from 'piscina';
import { kafkaCodeFor } from '../common/error-table.js';
import type { LogConfig } from '../storage/log-config.js';
import { needsRecordPass, recordPolicyOf, targetCompressionOf, validateProduce, type Refusal } from '../storage/log-validator.js';
import type { BatchPoolResult, BatchPoolTask } from './batch-pool-worker.js';
import { produceError } from './partition/worker-handle.js';
import type { ProduceResult } from './broker-types.js';
import { workerExecArgv } from './worker-exec-argv.js';

// piscina (and its 30-odd modules) loads when a pool is first made: most processes never make one.
const require = createRequire(import.meta.url);
const piscina = (): typeof import('piscina') => require('piscina') as typeof import('piscina');

/** Produces of at least this many bytes go to the pool (docs/benchmarks.md, "produce validation"). */
export const POOL_MIN_BYTES = 128 * 1024;
/** Batch bytes the pool may hold at once (queued or running). */
export const POOL_BYTES_MAX = 64 * 1024 * 1024;
/** A pool thread with nothing to do exits after this long. */
const POOL_IDLE_TIMEOUT_MS = 30_000;

function poolWorkerPath(): string {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) return path.join(path.dirname(here), 'batch-pool-worker.js');
  return path.resolve(path.dirname(here), '../../dist/src/engine/batch-pool-worker.js');
}

type Prepared = Buffer | Refusal;

export class ProduceValidation {
  private pool: Piscina<BatchPoolTask, BatchPoolResult> | null = null;
  private poolBytes = 0;
  /** Per partition: settles once its latest produce has been handed to `append`. */
  private readonly handedOver = new Map<string, Promise<void>>();

  constructor(private readonly options: { poolMinBytes?: number } = {}) {}

  /** Tests: how many produces ran in the pool so far. */
  poolRunCount = 0;

  /**
   * Runs the record pass on `batches` if they need one, then `append`s the result (or answers
   * the refusal), keeping `partitionKey`'s produces in call order.
   */
  produce(partitionKey: string, batches: Buffer, config: LogConfig, append: (batches: Buffer) => Promise<ProduceResult>): Promise<ProduceResult> {
    const previous = this.handedOver.get(partitionKey);
    const prepared = this.prepare(batches, config);
    if (previous === undefined && !(prepared instanceof Promise)) return deliver(prepared, append);
    let markHandedOver!: () => void;
    const gate = new Promise<void>((resolve) => (markHandedOver = resolve));
    this.handedOver.set(partitionKey, gate);
    const release = (): void => {
      markHandedOver();
      if (this.handedOver.get(partitionKey) === gate) this.handedOver.delete(partitionKey);
    };
    return (async () => {
      let ready: Prepared;
      try {
        ready = await prepared;
      } catch (err) {
        // Only a pool run rejects (a thread that died, a closed pool); none of those errors carries
        // a code of the table (a task's error crosses postMessage without its own properties), so
        // the table answers KAFKA_STORAGE_ERROR.
        ready = { errorCode: kafkaCodeFor(err, 'partition'), errorMessage: `record validation failed: ${(err as Error).message}` };
      }
      await previous;
      const result = deliver(ready, append); // handed over here, synchronously
      release();
      return result;
    })();
  }

  private prepare(batches: Buffer, config: LogConfig): Prepared | Promise<Prepared> {
    const target = targetCompressionOf(config);
    if (!needsRecordPass(batches, target)) return batches;
    const policy = recordPolicyOf(config);
    const nowMs = Date.now();
    const poolMinBytes = this.options.poolMinBytes ?? POOL_MIN_BYTES;
    if (batches.length < poolMinBytes || this.poolBytes + batches.length > POOL_BYTES_MAX) {
      return validateProduce(batches, policy, nowMs, target);
    }
    return this.runInPool(batches, { policy, nowMs, target });
  }

  private async runInPool(batches: Buffer, task: Omit<BatchPoolTask, 'batches'>): Promise<Prepared> {
    this.pool ??= new (piscina().Piscina)<BatchPoolTask, BatchPoolResult>({
      filename: poolWorkerPath(),
      minThreads: 0,
      maxThreads: Math.max(1, os.availableParallelism() - 1),
      idleTimeout: POOL_IDLE_TIMEOUT_MS,
      execArgv: workerExecArgv(),
    });
    this.poolRunCount++;
    const copy = new Uint8Array(batches); // the request frame's bytes stay with the connection
    this.poolBytes += copy.byteLength;
    try {
      const result = await this.pool.run({ ...task, batches: copy }, { transferList: [copy.buffer] });
      return result instanceof Uint8Array ? Buffer.from(result.buffer, result.byteOffset, result.byteLength) : result;
    } finally {
      this.poolBytes -= batches.length;
    }
  }

  /** Stops the pool's threads (the broker is closing; nothing is in flight any more). */
  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = null;
    await pool?.destroy();
  }
}

function deliver(prepared: Prepared, append: (batches: Buffer) => Promise<ProduceResult>): Promise<ProduceResult> {
  return Buffer.isBuffer(prepared) ? append(prepared) : Promise.resolve(produceError(prepared.errorCode, prepared.errorMessage));
}

/**
 * The fixed set of partition workers (default: one per core) and which partition each one owns.
 * Owned by the Broker (main thread); not thread-safe.
 *
 * Assignment: a partition is assigned when it opens, to the worker holding the fewest partitions,
 * ties going to the one that has carried the fewest produced bytes, then the lowest index. It stays
 * there for as long as it is open (and across that worker's restarts), so no partition ever moves
 * while it has work in flight; a partition closed and opened again may land elsewhere.
 */
import { assert } from '../../common/assert.js';
import { framePayloadLimit } from '../ring.js';
import type { FaultSpec } from '../fault-injection.js';
import { PRODUCE_FRAME_HEADER_BYTES } from './produce-frame.js';
import type { Partition } from './partition.js';
import { PartitionWorkerHandle, type PartitionWorkerStats } from './worker-handle.js';
import type { WorkerCounters } from './worker-control.js';

export interface PartitionWorkersOptions {
  workerCount: number;
  /** Each worker's produce ring. */
  ringBytes: number;
  /** File descriptors each worker may hold open at once. */
  descriptorBudgetPerWorker: number;
  faults?: FaultSpec;
}

export class PartitionWorkers {
  private readonly workers: PartitionWorkerHandle[];

  private constructor(private readonly options: PartitionWorkersOptions) {
    assert(Number.isInteger(options.workerCount) && options.workerCount >= 1, `worker count ${options.workerCount}`);
    this.workers = Array.from({ length: options.workerCount }, (_, index) => new PartitionWorkerHandle({
      index,
      ringBytes: options.ringBytes,
      descriptorBudget: options.descriptorBudgetPerWorker,
      ...(options.faults === undefined ? {} : { faults: options.faults }),
    }));
  }

  /**
   * Starts every worker (resolving when all are ready), or with `lazy` none: each then starts with
   * the first partition assigned to it, so a command that opens no partition starts no thread.
   */
  static async start(options: PartitionWorkersOptions, lazy = false): Promise<PartitionWorkers> {
    const pool = new PartitionWorkers(options);
    if (lazy) return pool;
    const started = await Promise.allSettled(pool.workers.map((w) => w.start()));
    const failure = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failure !== undefined) {
      await pool.close();
      throw failure.reason;
    }
    return pool;
  }

  get count(): number {
    return this.workers.length;
  }

  /** The largest produce for one partition a ring frame carries (the same on every worker). */
  get maxProduceBytes(): number {
    return framePayloadLimit(this.options.ringBytes) - PRODUCE_FRAME_HEADER_BYTES;
  }

  /** The worker a partition opening now goes to (see the header). */
  readonly assign = (_partition: Partition): PartitionWorkerHandle => {
    let best: PartitionWorkerHandle | null = null;
    for (const worker of this.workers) {
      if (!worker.isOnline) continue;
      if (best === null || worker.partitions.size < best.partitions.size
        || (worker.partitions.size === best.partitions.size && worker.producedBytes < best.producedBytes)) best = worker;
    }
    // Every worker offline: any of them answers the open with its error.
    return best ?? this.workers[0]!;
  };

  worker(index: number): PartitionWorkerHandle | undefined {
    return this.workers[index];
  }

  stats(): PartitionWorkerStats[] {
    return this.workers.map((w) => w.stats());
  }

  counters(): WorkerCounters[] {
    return this.workers.map((w) => w.control.counters());
  }

  /** fsyncs every open partition (after appending what is queued). */
  async flush(): Promise<void> {
    await Promise.all(this.workers.filter((w) => w.isOnline).map((w) => w.flush()));
  }

  /** Stops every worker; each closes its logs (clean-shutdown markers) first. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.shutdown()));
  }
}

/**
 * How long the partition-scaling cases run and warm up (partition-scaling.ts). A module of its own
 * so that `brook bench --help` shows the defaults without loading the engine.
 */
import os from 'node:os';

/** ~1 s per case: shorter ones mostly measure noise. */
export const MIN_CASE_MS_DEFAULT = 1000;
/**
 * Untimed produce before each timed one, per core's worth of partitions. Measured on 2 vCPUs: with
 * a 500 ms warm-up, 16 partitions ran their first timed second at ~60% of their steady rate,
 * TurboFan still compiling 16 copies of the append path (perf); the rate settled after 5-6 s.
 */
export const WARMUP_MS_DEFAULT = 1000;

/**
 * The warm-up of a case: `warmupMs` while its partitions use no more worker threads than there are
 * cores, longer in proportion past that, so that every worker thread runs its append path about as
 * often as a lone worker does in `warmupMs`. Partition workers are shared by many partitions, so
 * past `workerCount` partitions more partitions need no more warm-up.
 */
export function warmupMsFor(partitionCount: number, warmupMs: number, workerCount = os.availableParallelism(), cores = os.availableParallelism()): number {
  return Math.round(warmupMs * Math.max(1, Math.min(partitionCount, workerCount) / cores));
}


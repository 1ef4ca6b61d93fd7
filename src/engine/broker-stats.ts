/**
 * What the Broker tells /readyz and /metrics about its workers, computed from the handles it
 * already holds (no round trip, no file I/O). Today's engine runs one worker per partition; the
 * sharded engine (issue 11) reports a few partition workers each owning many partitions, with the
 * same shapes. Main thread only.
 */
import type { PartitionHandle } from './partition-handle.js';
import type { GroupsService } from './coordinator-groups.js';

export interface Readiness {
  /** Recovery finished and every partition is open. */
  ready: boolean;
  partitionsOpen: number;
  partitionsTotal: number;
}

export interface WorkerStats {
  kind: 'partition' | 'coordinator';
  index: number;
  partitionCount: number;
  ringUsedBytes: number;
  ringCapacityBytes: number;
  /** Produces waiting for ring space, in the ring or being appended (coordinators: requests waiting for an answer). */
  queuedProduceCount: number;
  restartCount: number;
}

/**
 * Broker.open resolves only after every partition's log is recovered and open, so today every
 * partition that is not offline counts as open. (The lazy engine will report partitions still
 * opening here.)
 */
export function readinessOf(handles: readonly PartitionHandle[]): Readiness {
  let open = 0;
  for (const handle of handles) if (handle.isOnline) open++;
  return { ready: open === handles.length, partitionsOpen: open, partitionsTotal: handles.length };
}

export function workerStatsOf(handles: readonly PartitionHandle[], groups: GroupsService | null): WorkerStats[] {
  const stats: WorkerStats[] = handles.map((handle, index) => ({
    kind: 'partition',
    index,
    partitionCount: 1,
    ringUsedBytes: handle.ringUsedBytes,
    ringCapacityBytes: handle.ringCapacityBytes,
    queuedProduceCount: handle.pendingProduceCount,
    restartCount: handle.restartCount,
  }));
  for (const [index, coordinator] of (groups?.workerStats() ?? []).entries()) {
    stats.push({
      kind: 'coordinator', index, partitionCount: coordinator.partitionCount, ringUsedBytes: 0, ringCapacityBytes: 0,
      queuedProduceCount: coordinator.pendingRequestCount, restartCount: coordinator.restartCount,
    });
  }
  return stats;
}

/**
 * How many partitions are in each status, kept up to date as each one changes (Partition reports
 * every change), so readiness (/readyz, brook_ready) costs the same with 10,000 partitions as with
 * one: no walk over every partition per probe. The offline partitions are also kept by reference
 * (normally none), for the reasons /readyz names. Main thread; owned by the Broker, not thread-safe.
 */
import type { Partition, PartitionStatus } from './partition.js';

export class PartitionCensus {
  private readonly counts: Record<PartitionStatus, number> = { unopened: 0, opening: 0, open: 0, closing: 0, closed: 0, offline: 0 };
  private readonly offline = new Set<Partition>();

  /** `onOffline` hears each partition that goes offline (a failed open, its worker gone for good). */
  constructor(private readonly onOffline: (partition: Partition) => void = () => {}) {}

  /** A partition changed status (from null: it was just made). */
  moved(partition: Partition, from: PartitionStatus | null, to: PartitionStatus): void {
    if (from !== null) this.counts[from]--;
    this.counts[to]++;
    if (from === 'offline') this.offline.delete(partition);
    if (to === 'offline') {
      this.offline.add(partition);
      this.onOffline(partition);
    }
  }

  count(status: PartitionStatus): number {
    return this.counts[status];
  }

  /** Partitions of the topics that exist: every status but those of a partition closing or closed (deleted, or shut down). */
  get partitionCount(): number {
    return this.counts.unopened + this.counts.opening + this.counts.open + this.counts.offline;
  }

  /** The first `max` offline partitions' reasons, oldest first. */
  offlineReasons(max: number): string[] {
    const reasons: string[] = [];
    for (const partition of this.offline) {
      if (reasons.length === max) break;
      reasons.push(partition.offlineReason);
    }
    return reasons;
  }
}

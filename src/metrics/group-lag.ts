/**
 * Consumer groups with their lag: for each committed offset, how far the partition's high
 * watermark is ahead of it (Kafka's consumer lag, as kafka-consumer-groups --describe shows it).
 * Shared by /metrics, the console and `brook top` over HTTP. Main thread.
 */
import type { Access } from '../http/access.js';
import type { GroupMemberDescription } from '../engine/coordinator/coordinator-groups.js';
import type { MetricsBroker } from './source.js';

export interface GroupPartitionLag {
  topic: string;
  partition: number;
  committedOffset: number;
  highWatermark: number;
  /** highWatermark - committedOffset, never below 0; null when the partition no longer exists. */
  lag: number | null;
}

export interface GroupLagView {
  groupId: string;
  state: string;
  protocolType: string;
  members: GroupMemberDescription[];
  partitions: GroupPartitionLag[];
  /** Sum of the partitions' lag. */
  totalLag: number;
}

/** Lag of each committed offset the caller may see (describe on the topic). */
export function lagOf(broker: MetricsBroker, offsets: readonly { topic: string; partition: number; offset: number }[], access: Access): GroupPartitionLag[] {
  const rows: GroupPartitionLag[] = [];
  for (const { topic, partition, offset } of offsets) {
    if (!access.seesTopic(topic)) continue;
    const state = broker.partitionState(topic, partition);
    const highWatermark = state?.highWatermark ?? -1;
    rows.push({ topic, partition, committedOffset: offset, highWatermark, lag: state === undefined || offset < 0 ? null : Math.max(0, highWatermark - offset) });
  }
  return rows;
}

/**
 * The groups `access` may describe, each described (members, assignment, committed offsets) with
 * its lag. A group whose coordinator cannot answer right now (restarting) is left out rather than
 * failing the whole answer. `only` restricts to one group id.
 */
export async function groupLagViews(broker: MetricsBroker, access: Access, only?: string): Promise<GroupLagView[]> {
  if (!broker.hasGroups) return [];
  const ids = only !== undefined ? [only] : (await broker.groups.listGroups()).map((g) => g.groupId);
  const views = await Promise.all(
    ids.filter((id) => access.seesGroup(id)).map(async (groupId) => {
      try {
        const described = await broker.groups.describeGroup(groupId);
        const partitions = lagOf(broker, described.offsets, access);
        const members = described.members.map((m) => ({ ...m, assignment: m.assignment.filter((a) => access.seesTopic(a.topic)) }));
        const totalLag = partitions.reduce((sum, p) => sum + (p.lag ?? 0), 0);
        return { groupId, state: described.state, protocolType: described.protocolType, members, partitions, totalLag };
      } catch {
        return null;
      }
    }),
  );
  return views.filter((v): v is GroupLagView => v !== null && (only === undefined || v.state !== 'Dead' || v.partitions.length > 0));
}

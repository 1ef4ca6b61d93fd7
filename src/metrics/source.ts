/**
 * What metrics, the console and `brook top --http` read from the broker: the Broker's public
 * methods (it satisfies this structurally), never a partition's handle or files. Everything here
 * answers from memory the main thread already holds (metadata, the partition state the workers
 * publish, the traffic counters), except the group calls, one round trip to a coordinator worker.
 */
import type { PartitionState, Readiness, TopicInfo, WorkerStats } from '../engine/broker.js';
import type { GroupDescription, GroupListing } from '../engine/coordinator/coordinator-groups.js';
import type { PartitionTraffic } from './traffic.js';

export interface GroupsSource {
  listGroups(): Promise<GroupListing[]>;
  describeGroup(groupId: string): Promise<GroupDescription>;
}

export interface MetricsBroker {
  readonly clusterId: string;
  topics(): TopicInfo[];
  topicConfig(name: string): Record<string, string>;
  partitionState(topic: string, partition: number): PartitionState | undefined;
  readonly traffic: { partition(topic: string, partition: number): PartitionTraffic; topic(topic: string): PartitionTraffic };
  readiness(): Readiness;
  workerStats(): WorkerStats[];
  readonly hasGroups: boolean;
  readonly groups: GroupsSource;
}

/**
 * The Broker's `groups` facade: routes group requests to the coordinator worker that owns the
 * group's __consumer_offsets partition (Kafka's abs(hashCode(groupId)) % partitionCount, then
 * partition % workerCount), merges the answers of requests that span groups (ListGroups,
 * DescribeGroups, DeleteGroups), and offers typed helpers for the CLI (`brook groups ...`).
 * Main thread only; owned by the Broker.
 *
 * Errors: `handle` resolves with the response body; when the coordinator cannot answer (restarting,
 * closing) it rejects with CoordinatorUnavailableError, which the server handlers turn into
 * COORDINATOR_NOT_AVAILABLE. The typed helpers throw KafkaCodeError with the Kafka code.
 */
import path from 'node:path';
import { KafkaCodeError } from '../../common/errors.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { coordinatorIndexFor, decodeAssignment, type GroupConfig } from '../../groups/index.js';
import type * as G from '../../groups/types.js';
import { partitionDirName } from '../../storage/topic-names.js';
import type { TopicMetadata } from '../../storage/metadata-log.js';
import { offsetsLogConfig, OFFSETS_TOPIC } from './coordinator-config.js';
import { CoordinatorHandle, CoordinatorUnavailableError } from './coordinator-handle.js';
import type { GroupCall, OffsetToCommit } from './coordinator-messages.js';
import type { FaultSpec } from '../fault-injection.js';
import type { WorkerStats } from '../broker-types.js';

export { CoordinatorUnavailableError } from './coordinator-handle.js';
export type { OffsetToCommit } from './coordinator-messages.js';

/** Kafka api keys of the group APIs and the coordinator call each one is. */
const CALL_BY_API_KEY: ReadonlyMap<number, GroupCall> = new Map<number, GroupCall>([
  [8, 'offsetCommit'], [9, 'offsetFetch'], [11, 'joinGroup'], [12, 'heartbeat'], [13, 'leaveGroup'],
  [14, 'syncGroup'], [15, 'describeGroups'], [16, 'listGroups'], [42, 'deleteGroups'], [47, 'offsetDelete'],
]);

export interface GroupsServiceOptions {
  dataDir: string;
  offsetsTopic: TopicMetadata;
  workerCount: number;
  groupConfig: Partial<GroupConfig>;
  topics: [string, number][];
  tickIntervalMs?: number;
  /** Tests only: coordinator workers open their logs through a seeded FaultyIo. */
  faults?: FaultSpec;
}

export interface GroupRequestContext {
  clientId: string;
  clientHost: string;
}

export interface GroupListing {
  groupId: string;
  protocolType: string;
  state: string;
}

export interface CommittedOffset {
  topic: string;
  partition: number;
  offset: number;
  metadata: string;
}

export interface GroupMemberDescription {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  /** The partitions assigned to this member, decoded when the group uses the consumer protocol. */
  assignment: { topic: string; partitions: number[] }[];
}

export interface GroupDescription {
  groupId: string;
  /** Kafka's states: Empty, PreparingRebalance, CompletingRebalance, Stable, Dead (= unknown group). */
  state: string;
  protocolType: string;
  protocolName: string;
  members: GroupMemberDescription[];
  offsets: CommittedOffset[];
}

export class GroupsService {
  private constructor(
    private readonly workers: CoordinatorHandle[],
    readonly offsetsPartitionCount: number,
  ) {}

  /**
   * Starts the coordinator workers; resolves once each has replayed its partitions. With `lazy`
   * each worker starts on its first request instead.
   */
  static async start(options: GroupsServiceOptions, lazy = false): Promise<GroupsService> {
    const partitionCount = options.offsetsTopic.partitionCount;
    const workerCount = Math.max(1, Math.min(options.workerCount, partitionCount));
    const logConfig = offsetsLogConfig(options.offsetsTopic);
    const workers: CoordinatorHandle[] = [];
    for (let w = 0; w < workerCount; w++) {
      const partitionDirs = [];
      for (let p = w; p < partitionCount; p += workerCount) {
        partitionDirs.push({ partition: p, dir: path.join(options.dataDir, partitionDirName(OFFSETS_TOPIC, p)) });
      }
      workers.push(new CoordinatorHandle({
        workerIndex: w, partitionDirs, logConfig, groupConfig: options.groupConfig,
        topics: options.topics, tickIntervalMs: options.tickIntervalMs ?? 100,
        ...(options.faults === undefined ? {} : { faults: options.faults }),
      }));
    }
    if (lazy) return new GroupsService(workers, partitionCount);
    const started = await Promise.allSettled(workers.map((w) => w.start()));
    const failure = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failure !== undefined) {
      await Promise.all(workers.map((w) => w.close()));
      throw failure.reason;
    }
    return new GroupsService(workers, partitionCount);
  }

  get workerCount(): number {
    return this.workers.length;
  }

  /** The __consumer_offsets partition that holds a group (Kafka's partitionFor). */
  partitionFor(groupId: string): number {
    return coordinatorIndexFor(groupId, this.offsetsPartitionCount);
  }

  private workerFor(partition: number): CoordinatorHandle {
    return this.workers[partition % this.workers.length]!;
  }

  private call<T>(partition: number, call: GroupCall, apiVersion: number, body: unknown, ctx: GroupRequestContext): Promise<T> {
    return this.workerFor(partition).request<T>({ type: 'call', partition, call, apiVersion, body, ctx });
  }

  /** Every partition's coordinator, for requests about all groups. */
  private allPartitions(): number[] {
    return Array.from({ length: this.offsetsPartitionCount }, (_, p) => p);
  }

  /**
   * Serves one decoded group request (api key 8, 9, 11-16, 42, 47) and resolves with the response
   * body, in the shapes of src/groups/types.ts (= the generated codecs' shapes).
   */
  async handle(apiKey: number, apiVersion: number, body: unknown, ctx: GroupRequestContext): Promise<unknown> {
    const call = CALL_BY_API_KEY.get(apiKey);
    if (call === undefined) throw new KafkaCodeError(ErrorCode.UNSUPPORTED_VERSION, `api key ${apiKey} is not a group API`);
    switch (call) {
      case 'listGroups': return this.listGroupsCall(apiVersion, body as G.ListGroupsRequest, ctx);
      case 'describeGroups': return this.describeGroupsCall(apiVersion, body as G.DescribeGroupsRequest, ctx);
      case 'deleteGroups': return this.deleteGroupsCall(apiVersion, body as G.DeleteGroupsRequest, ctx);
      default: {
        const groupId = (body as { groupId?: string }).groupId ?? '';
        return this.call(this.partitionFor(groupId), call, apiVersion, body, ctx);
      }
    }
  }

  /** Every coordinator's groups: one request per worker, each answering for all of its offsets partitions. */
  private async listGroupsCall(apiVersion: number, body: G.ListGroupsRequest, ctx: GroupRequestContext): Promise<G.ListGroupsResponse> {
    const answers = await Promise.all(this.workers.map((worker, index) => {
      const partitions = this.allPartitions().filter((p) => p % this.workers.length === index);
      return worker.request<G.ListGroupsResponse[]>({ type: 'callEach', partitions, call: 'listGroups', apiVersion, body, ctx });
    }));
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, groups: answers.flat().flatMap((a) => a.groups) };
  }

  /** Splits the groups by partition, asks each coordinator, answers in request order. */
  private async perGroup<R extends { groupId: string }>(
    groupIds: string[],
    ask: (partition: number, ids: string[]) => Promise<R[]>,
  ): Promise<R[]> {
    const byPartition = new Map<number, string[]>();
    for (const id of groupIds) {
      const p = this.partitionFor(id);
      byPartition.set(p, [...(byPartition.get(p) ?? []), id]);
    }
    const results = new Map<string, R>();
    await Promise.all([...byPartition].map(async ([p, ids]) => {
      for (const r of await ask(p, ids)) results.set(r.groupId, r);
    }));
    return groupIds.map((id) => results.get(id)!);
  }

  private async describeGroupsCall(apiVersion: number, body: G.DescribeGroupsRequest, ctx: GroupRequestContext): Promise<G.DescribeGroupsResponse> {
    const groups = await this.perGroup(body.groups, async (p, ids) =>
      (await this.call<G.DescribeGroupsResponse>(p, 'describeGroups', apiVersion, { ...body, groups: ids }, ctx)).groups);
    return { throttleTimeMs: 0, groups };
  }

  private async deleteGroupsCall(apiVersion: number, body: G.DeleteGroupsRequest, ctx: GroupRequestContext): Promise<G.DeleteGroupsResponse> {
    const results = await this.perGroup(body.groupsNames, async (p, ids) =>
      (await this.call<G.DeleteGroupsResponse>(p, 'deleteGroups', apiVersion, { groupsNames: ids }, ctx)).results);
    return { throttleTimeMs: 0, results };
  }

  // ------------------------------------------------------------ typed helpers for the CLI

  async listGroups(): Promise<GroupListing[]> {
    const response = await this.listGroupsCall(2, {}, CLI_CONTEXT);
    return response.groups
      .map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, state: g.groupState }))
      .sort((a, b) => a.groupId.localeCompare(b.groupId));
  }

  /** Members with decoded assignments and the group's committed offsets; state Dead = unknown group. */
  async describeGroup(groupId: string): Promise<GroupDescription> {
    const partition = this.partitionFor(groupId);
    const [described, offsets] = await Promise.all([
      this.call<G.DescribeGroupsResponse>(partition, 'describeGroups', 2, { groups: [groupId] }, CLI_CONTEXT),
      this.committedOffsets(groupId),
    ]);
    const g = described.groups[0]!;
    return {
      groupId,
      state: g.groupState,
      protocolType: g.protocolType,
      protocolName: g.protocolData,
      offsets,
      members: g.members.map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        assignment: g.protocolType === 'consumer' ? decodeMemberAssignment(m.memberAssignment) : [],
      })),
    };
  }

  /** Every committed offset of the group, by topic then partition. */
  async committedOffsets(groupId: string): Promise<CommittedOffset[]> {
    const response = await this.call<G.OffsetFetchResponse>(this.partitionFor(groupId), 'offsetFetch', 4, { groupId, topics: null }, CLI_CONTEXT);
    return response.topics
      .flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, metadata: p.metadata ?? '' })))
      .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  }

  /**
   * Sets committed offsets of a group that has no members (Kafka's kafka-consumer-groups
   * --reset-offsets rule). Throws KafkaCodeError NON_EMPTY_GROUP when members are present, or the
   * first per-partition error (e.g. UNKNOWN_TOPIC_OR_PARTITION).
   */
  async resetOffsets(groupId: string, offsets: OffsetToCommit[]): Promise<void> {
    if (groupId === '') throw new KafkaCodeError(ErrorCode.INVALID_GROUP_ID, 'the group id is empty');
    const partition = this.partitionFor(groupId);
    const result = await this.workerFor(partition).request<G.OffsetCommitResponse | number>({ type: 'resetOffsets', partition, groupId, offsets });
    if (typeof result === 'number') throw new KafkaCodeError(result, `group '${groupId}' has active members; stop them first`);
    for (const t of result.topics) {
      for (const p of t.partitions) {
        if (p.errorCode !== ErrorCode.NONE) throw new KafkaCodeError(p.errorCode, `cannot commit ${t.name}-${p.partitionIndex} (error code ${p.errorCode})`);
      }
    }
  }

  /** Deletes an empty group and its offsets; GROUP_ID_NOT_FOUND / NON_EMPTY_GROUP otherwise. */
  async deleteGroup(groupId: string): Promise<void> {
    const response = await this.deleteGroupsCall(1, { groupsNames: [groupId] }, CLI_CONTEXT);
    const errorCode = response.results[0]!.errorCode;
    if (errorCode === ErrorCode.GROUP_ID_NOT_FOUND) throw new KafkaCodeError(errorCode, `group '${groupId}' does not exist`);
    if (errorCode === ErrorCode.NON_EMPTY_GROUP) throw new KafkaCodeError(errorCode, `group '${groupId}' has active members`);
    if (errorCode !== ErrorCode.NONE) throw new KafkaCodeError(errorCode, `cannot delete group '${groupId}' (error code ${errorCode})`);
  }

  /** Tells every coordinator of partition counts that changed, 0 = deleted (for UNKNOWN_TOPIC_OR_PARTITION on commits). */
  updateTopics(changes: [string, number][]): void {
    for (const w of this.workers) w.updateTopics(changes);
  }

  /** One entry per coordinator worker, in the shape of the Broker's workerStats(). */
  stats(): WorkerStats[] {
    return this.workers.map((w, index) => ({
      kind: 'coordinator', index, partitionCount: this.allPartitions().filter((p) => p % this.workers.length === index).length,
      ringUsedBytes: 0, ringCapacityBytes: 0, queuedProduceCount: 0, restartCount: w.restartCount,
    }));
  }

  /** Fault injection for tests: the worker owning this offsets partition dies (after a simulated power loss if asked). */
  crashWorkerOf(partition: number, powerLoss = false): void {
    this.workerFor(partition).crash(powerLoss);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
  }
}

const CLI_CONTEXT: GroupRequestContext = { clientId: 'brook', clientHost: '' };

function decodeMemberAssignment(bytes: Buffer): { topic: string; partitions: number[] }[] {
  if (bytes.length === 0) return [];
  try {
    return decodeAssignment(bytes).assignedPartitions.map((tp) => ({ topic: tp.topic, partitions: [...tp.partitions] }));
  } catch {
    return []; // not the standard consumer layout (a client's own protocol): opaque to us
  }
}

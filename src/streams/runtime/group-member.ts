/**
 * The application's member of its consumer group (group id = applicationId): joins with the
 * streams assignor, fetches the committed offsets of the inputs of the tasks it gets, commits
 * offsets for its threads with the current generation, and tells the application when the group
 * rebalances. One per KafkaStreams instance (process), main thread.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { BrookBackend, GroupTransport } from '../../embedded/backend.js';
import { GroupMembership, isRejoinCode } from '../../embedded/group-membership.js';
import { KafkaError } from '../../embedded/kafka-error.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { ResolvedConfig } from '../config.js';
import { StreamsConfigError, TaskMigratedError } from '../errors.js';
import { CHECKPOINT_FILE } from '../state/checkpoint.js';
import { streamsAssignor, tasksOfAssignment, type TaskPlan } from './assignor.js';
import type { OffsetToCommit } from './commit.js';
import type { TopicLayout } from './internal-topics.js';

export class StreamsGroupMember {
  readonly processId = randomUUID();
  private readonly transport: GroupTransport;
  private readonly membership: GroupMembership;
  /** Tasks of the current generation (sent as ownedTasks when rejoining: stickiness). */
  ownedTasks: string[] = [];
  private onRebalance: (() => void) | null = null;

  constructor(
    backend: BrookBackend,
    private readonly config: ResolvedConfig,
    private readonly layout: TopicLayout,
  ) {
    if (backend.groups === undefined) throw new StreamsConfigError('this backend has no group coordinator, which a streams application needs');
    this.transport = backend.groups;
    const topics = [...new Set([...layout.sources.values()].flat().map((s) => s.topic))];
    this.membership = new GroupMembership(this.transport, backend, {
      groupId: config.applicationId,
      topic: topics[0]!,
      topics,
      assignor: 'range',
      customAssignor: streamsAssignor({
        memberInfo: () => ({ processId: this.processId, threads: config.numStreamThreads, ownedTasks: this.ownedTasks, localTasks: this.localTasks() }),
        tasks: async () => ({ tasks: this.allTasks(), sources: layout.sources }),
      }),
      sessionTimeoutMs: config.sessionTimeoutMs,
      rebalanceTimeoutMs: config.rebalanceTimeoutMs,
      heartbeatIntervalMs: config.heartbeatIntervalMs,
    }, () => this.onRebalance?.());
  }

  get memberId(): string {
    return this.membership.memberId;
  }

  get generationId(): number {
    return this.membership.generationId;
  }

  get needsRejoin(): boolean {
    return this.membership.needsRejoin;
  }

  /** Joins (or rejoins) and returns this member's task ids; null when stopped meanwhile. */
  async join(): Promise<string[] | null> {
    const partitions = await this.membership.join();
    if (partitions === null) return null;
    this.ownedTasks = tasksOfAssignment(this.membership.lastAssignment?.userData ?? null);
    return this.ownedTasks;
  }

  /** Resolves when the group starts a rebalance (or at once if it already has). */
  rebalanced(): Promise<void> {
    if (this.membership.needsRejoin) return Promise.resolve();
    return new Promise((resolve) => (this.onRebalance = resolve));
  }

  /** Committed offsets (with metadata) of the given topic partitions; -1 where nothing is committed. */
  async committed(partitions: Array<{ topic: string; partition: number }>): Promise<Map<string, { offset: number; metadata: string | null }>> {
    const byTopic = new Map<string, number[]>();
    for (const { topic, partition } of partitions) byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
    const out = new Map<string, { offset: number; metadata: string | null }>();
    if (byTopic.size === 0) return out;
    const response = await this.transport.offsetFetch({ groupId: this.config.applicationId, topics: [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes })) });
    if (response.errorCode !== ErrorCode.NONE) throw new KafkaError(response.errorCode, `fetching the committed offsets of application '${this.config.applicationId}'`);
    for (const t of response.topics) {
      for (const p of t.partitions) {
        if (p.errorCode !== ErrorCode.NONE) throw new KafkaError(p.errorCode, `fetching the committed offset of ${t.name}-${p.partitionIndex}`);
        out.set(`${t.name}\u0000${p.partitionIndex}`, { offset: p.committedOffset, metadata: p.metadata ?? null });
      }
    }
    return out;
  }

  /** Commits with the current generation; a rebalance in between is a TaskMigratedError. */
  async commit(offsets: OffsetToCommit[]): Promise<void> {
    const byTopic = new Map<string, OffsetToCommit[]>();
    for (const o of offsets) byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), o]);
    const response = await this.transport.offsetCommit({
      groupId: this.config.applicationId, generationIdOrMemberEpoch: this.membership.generationId, memberId: this.membership.memberId,
      groupInstanceId: null, retentionTimeMs: -1,
      topics: [...byTopic].map(([name, list]) => ({
        name, partitions: list.map((o) => ({ partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: -1, committedMetadata: o.metadata })),
      })),
    });
    for (const t of response.topics) {
      for (const p of t.partitions) {
        if (p.errorCode === ErrorCode.NONE) continue;
        if (isRejoinCode(p.errorCode)) {
          this.membership.requestRejoin(p.errorCode);
          throw new TaskMigratedError(`the group moved to a new generation before ${t.name}-${p.partitionIndex} was committed (${new KafkaError(p.errorCode).code})`);
        }
        throw new KafkaError(p.errorCode, `committing ${t.name}-${p.partitionIndex} for application '${this.config.applicationId}'`);
      }
    }
  }

  stop(): void {
    this.membership.stop();
    this.onRebalance?.();
  }

  leave(): Promise<void> {
    return this.membership.leave();
  }

  /** Every task of the application. */
  allTasks(): TaskPlan[] {
    const tasks: TaskPlan[] = [];
    for (const [subtopology, count] of this.layout.taskCounts) {
      for (let partition = 0; partition < count; partition++) tasks.push({ id: `${subtopology}_${partition}`, subtopology, partition });
    }
    return tasks;
  }

  /** Tasks with checkpointed state in this process's state dir. */
  private localTasks(): string[] {
    const dir = path.join(this.config.stateDir, this.config.applicationId);
    try {
      return fs.readdirSync(dir).filter((name) => /^\d+_\d+$/.test(name) && fs.existsSync(path.join(dir, name, CHECKPOINT_FILE)));
    } catch {
      return [];
    }
  }
}

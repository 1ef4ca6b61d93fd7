/**
 * All groups one coordinator owns and their committed offsets: Kafka's GroupCoordinator and
 * GroupMetadataManager for a single host. One method per API takes (apiVersion, request body) and
 * returns the response body, or a Promise of it when the answer waits for a rebalance or for the
 * GroupStore to make a write durable (a commit is answered only after `write` resolves).
 *
 * Pure logic: persistence through the host's GroupStore, time through the Clock, topic existence
 * through `topicExists`; the host calls `tick()` periodically (e.g. every 100 ms).
 *
 * Not thread-safe: owned by one coordinator worker, driven from its event loop.
 */
import type { Clock } from '../common/clock.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { CONSUMER_PROTOCOL_TYPE } from './consumer-protocol.js';
import { AUTHORIZED_OPERATIONS_OMITTED, Group } from './group.js';
import { offsetRecordBytesMax, type GroupRecord, type GroupStore, type GroupValue, type OffsetValue } from './group-record.js';
import { DEFAULT_GROUP_CONFIG, supportsProtocols, type GroupConfig } from './group-rules.js';
import { OffsetStore } from './offset-store.js';
import type * as T from './types.js';

export interface GroupCoordinatorOptions {
  clock: Clock;
  store: GroupStore;
  /** Whether a partition exists; offsets of unknown ones get UNKNOWN_TOPIC_OR_PARTITION. */
  topicExists(topic: string, partition: number): boolean;
  config?: Partial<GroupConfig>;
  /** Source of the uuid part of generated member ids; injectable for deterministic tests. */
  newUuid?: () => string;
  /**
   * The largest write the store takes in one piece (the offsets log's segment.bytes): a commit
   * whose records could exceed it is refused with INVALID_COMMIT_OFFSET_SIZE, as Kafka answers a
   * commit too large for its log, before any of it is built. Unbounded when not given.
   */
  maxWriteBytes?: number;
}

const NO_CONTEXT: T.RequestContext = { clientId: '', clientHost: '' };
/** Tombstones per offsets-expiry write: keeps one expiry write small (the store splits batches anyway). */
const EXPIRY_RECORDS_PER_WRITE = 1000;
/** ListGroups v5 group type of every group here: Kafka's classic protocol. */
const CLASSIC_GROUP_TYPE = 'classic';

export class GroupCoordinator {
  private readonly groups = new Map<string, Group>();
  private readonly offsets = new OffsetStore();
  private readonly config: GroupConfig;
  /** Commits whose write is in flight, per group: offsets retention leaves those groups alone. */
  private readonly pendingCommits = new Map<string, number>();
  private nextExpiryCheckMs: number;
  private expiring = false;

  constructor(private readonly options: GroupCoordinatorOptions) {
    this.config = { ...DEFAULT_GROUP_CONFIG, ...options.config };
    this.nextExpiryCheckMs = options.clock.nowMs() + this.config.offsetsRetentionCheckIntervalMs;
  }

  /** The live group, for the host's introspection and tests. */
  group(groupId: string): Group | undefined {
    return this.groups.get(groupId);
  }

  private createGroup(groupId: string): Group {
    const group = new Group(groupId, {
      clock: this.options.clock,
      config: this.config,
      persist: (value) => this.options.store.write([{ type: 'group', groupId, value }]),
      newUuid: this.options.newUuid,
    });
    this.groups.set(groupId, group);
    return group;
  }

  tick(): void {
    for (const group of this.groups.values()) group.tick();
    const nowMs = this.options.clock.nowMs();
    if (nowMs >= this.nextExpiryCheckMs && !this.expiring) {
      this.nextExpiryCheckMs = nowMs + this.config.offsetsRetentionCheckIntervalMs;
      void this.expireOffsets();
    }
  }

  /**
   * Offsets retention (Kafka's cleanupGroupMetadata, KIP-211): an Empty group's offsets expire
   * offsets.retention.minutes after it became Empty; a group without a protocol type (offsets
   * committed without joining) loses each offset that long after its commit; a Stable consumer
   * group only the offsets of topics it no longer subscribes to. An Empty group left without
   * offsets is removed. Without this, every group id ever used would stay in memory and in the log.
   *
   * Tombstones first, memory after: a group's tombstones are written (EXPIRY_RECORDS_PER_WRITE per
   * write, so one pass never holds a huge write), then only the entries that are still
   * the expired ones are dropped, so a commit that lands meanwhile survives in both. Groups with a
   * commit in flight wait for the next check; a failed write stops the pass (the next one retries).
   * Runs from tick() every offsets.retention.check.interval.ms; returns what it removed.
   */
  async expireOffsets(): Promise<{ offsetCount: number; groupIds: string[] }> {
    this.expiring = true;
    const removed = { offsetCount: 0, groupIds: [] as string[] };
    try {
      const nowMs = this.options.clock.nowMs();
      for (const [groupId, group] of [...this.groups]) {
        if (this.pendingCommits.has(groupId) || group.state === 'Dead' || this.groups.get(groupId) !== group) continue;
        const entries = this.offsets.entries(groupId);
        const expired = entries.filter((o) => offsetExpired(group, o.topic, o.value, nowMs, this.config.offsetsRetentionMs));
        const removeGroup = group.state === 'Empty' && expired.length === entries.length;
        if (expired.length === 0 && !removeGroup) continue;
        const tombstones: GroupRecord[] = expired.map((o) => ({ type: 'offset', groupId, topic: o.topic, partition: o.partition, value: null }));
        if (removeGroup) tombstones.push({ type: 'group', groupId, value: null });
        for (let i = 0; i < tombstones.length; i += EXPIRY_RECORDS_PER_WRITE) {
          const written = await this.options.store.write(tombstones.slice(i, i + EXPIRY_RECORDS_PER_WRITE)).then(() => true, () => false);
          if (!written) return removed;
        }
        for (const o of expired) {
          if (this.offsets.get(groupId, o.topic, o.partition) !== o.value) continue; // committed again meanwhile
          this.offsets.delete(groupId, o.topic, o.partition);
          removed.offsetCount++;
        }
        // A member that joined, or a commit, since the check keeps the group (its next record
        // supersedes the tombstone in the log).
        if (removeGroup && this.groups.get(groupId) === group && group.state === 'Empty' && !this.offsets.hasGroup(groupId) && !this.pendingCommits.has(groupId)) {
          group.markDead();
          this.groups.delete(groupId);
          removed.groupIds.push(groupId);
        }
      }
      return removed;
    } finally {
      this.expiring = false;
    }
  }

  /** Rebuilds state from the log at start-up: the last record per key wins, null deletes. */
  load(records: Iterable<GroupRecord>): void {
    for (const r of records) {
      if (r.type === 'offset') {
        if (r.value === null) this.offsets.delete(r.groupId, r.topic, r.partition);
        else this.offsets.set(r.groupId, r.topic, r.partition, r.value);
      } else if (r.value === null) {
        this.groups.delete(r.groupId);
      } else {
        this.groups.delete(r.groupId);
        this.createGroup(r.groupId).restore(r.value);
      }
    }
    // A group known only by its offsets (simple commits) still exists, Empty, as in Kafka.
    for (const groupId of this.offsets.groupIds()) if (!this.groups.has(groupId)) this.createGroup(groupId);
  }

  // ---------------------------------------------------------------- membership APIs

  joinGroup(apiVersion: number, req: T.JoinGroupRequest, ctx: T.RequestContext = NO_CONTEXT): Promise<T.JoinGroupResponse> {
    return new Promise((resolve) => {
      const fail = (errorCode: number): void =>
        resolve({
          throttleTimeMs: 0, errorCode, generationId: -1, protocolType: null,
          protocolName: apiVersion < 7 ? '' : null, leader: '', skipAssignment: false,
          memberId: req.memberId, members: [],
        });
      if (req.groupId === '') return fail(ErrorCode.INVALID_GROUP_ID);
      let group = this.groups.get(req.groupId);
      if (group === undefined) {
        // Only a new member may create a group; a known member id of an unknown group is stale.
        if (req.memberId !== '') return fail(ErrorCode.UNKNOWN_MEMBER_ID);
        // Refused joins must not leave an Empty group behind (Kafka checks these before creating).
        if (req.sessionTimeoutMs < this.config.minSessionTimeoutMs || req.sessionTimeoutMs > this.config.maxSessionTimeoutMs) {
          return fail(ErrorCode.INVALID_SESSION_TIMEOUT);
        }
        if (!supportsProtocols({ state: 'Empty', protocolType: null, members: new Map() }, req.protocolType, req.protocols)) {
          return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
        }
        group = this.createGroup(req.groupId);
      }
      group.join(apiVersion, req, ctx, resolve);
    });
  }

  syncGroup(apiVersion: number, req: T.SyncGroupRequest): Promise<T.SyncGroupResponse> {
    return new Promise((resolve) => {
      const group = req.groupId === '' ? undefined : this.groups.get(req.groupId);
      if (group === undefined) {
        const errorCode = req.groupId === '' ? ErrorCode.INVALID_GROUP_ID : ErrorCode.UNKNOWN_MEMBER_ID;
        return resolve({ throttleTimeMs: 0, errorCode, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) });
      }
      group.sync(apiVersion, req, resolve);
    });
  }

  heartbeat(apiVersion: number, req: T.HeartbeatRequest): T.HeartbeatResponse {
    if (req.groupId === '') return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_GROUP_ID };
    const group = this.groups.get(req.groupId);
    if (group === undefined) return { throttleTimeMs: 0, errorCode: ErrorCode.UNKNOWN_MEMBER_ID };
    return group.heartbeat(apiVersion, req);
  }

  leaveGroup(apiVersion: number, req: T.LeaveGroupRequest): T.LeaveGroupResponse {
    if (req.groupId === '') return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_GROUP_ID, members: [] };
    const group = this.groups.get(req.groupId);
    if (group !== undefined) return group.leave(apiVersion, req);
    // Kafka: an unknown group answers every leaving member with UNKNOWN_MEMBER_ID.
    if (apiVersion < 3) return { throttleTimeMs: 0, errorCode: ErrorCode.UNKNOWN_MEMBER_ID, members: [] };
    const members = (req.members ?? []).map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId ?? null,
      errorCode: ErrorCode.UNKNOWN_MEMBER_ID,
    }));
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, members };
  }

  listGroups(apiVersion: number, req: T.ListGroupsRequest): T.ListGroupsResponse {
    const states = new Set((apiVersion >= 4 ? (req.statesFilter ?? []) : []).map((s) => s.toLowerCase()));
    const types = new Set((apiVersion >= 5 ? (req.typesFilter ?? []) : []).map((s) => s.toLowerCase()));
    const groups: T.ListGroupsResponse['groups'] = [];
    if (types.size > 0 && !types.has(CLASSIC_GROUP_TYPE)) return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, groups };
    for (const g of this.groups.values()) {
      if (g.state === 'Dead' || (states.size > 0 && !states.has(g.state.toLowerCase()))) continue;
      groups.push({ groupId: g.groupId, protocolType: g.protocolType ?? '', groupState: g.state, groupType: CLASSIC_GROUP_TYPE });
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, groups };
  }

  describeGroups(_apiVersion: number, req: T.DescribeGroupsRequest): T.DescribeGroupsResponse {
    const groups = req.groups.map((groupId): T.DescribedGroup => {
      const g = this.groups.get(groupId);
      if (g !== undefined) return g.describe();
      // Kafka describes an unknown group as Dead with no error.
      return {
        errorCode: ErrorCode.NONE, groupId, groupState: 'Dead', protocolType: '', protocolData: '',
        members: [], authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
      };
    });
    return { throttleTimeMs: 0, groups };
  }

  async deleteGroups(_apiVersion: number, req: T.DeleteGroupsRequest): Promise<T.DeleteGroupsResponse> {
    const results: T.DeleteGroupsResponse['results'] = [];
    const tombstones: GroupRecord[] = [];
    const deleted: { groupId: string; value: GroupValue; offsets: ReturnType<OffsetStore['entries']> }[] = [];
    for (const groupId of req.groupsNames) {
      const g = this.groups.get(groupId);
      if (g === undefined || g.state === 'Dead') {
        results.push({ groupId, errorCode: ErrorCode.GROUP_ID_NOT_FOUND });
      } else if (g.state !== 'Empty') {
        results.push({ groupId, errorCode: ErrorCode.NON_EMPTY_GROUP });
      } else {
        // Gone at once, as in Kafka (Dead, then tombstones), so no request sees a half-deleted group.
        // Its value is taken first: markDead() restamps the state time, the retention clock.
        const value = g.toValue();
        g.markDead();
        this.groups.delete(groupId);
        const offsets = this.offsets.entries(groupId);
        for (const o of offsets) {
          tombstones.push({ type: 'offset', groupId, topic: o.topic, partition: o.partition, value: null });
        }
        this.offsets.deleteGroup(groupId);
        tombstones.push({ type: 'group', groupId, value: null });
        deleted.push({ groupId, value, offsets });
        results.push({ groupId, errorCode: ErrorCode.NONE });
      }
    }
    if (tombstones.length > 0) {
      const failed = await this.options.store.write(tombstones).then(() => false, () => true);
      if (failed) {
        // The log still holds the group: put it back (unless a commit recreated it meanwhile), so
        // memory matches what a restart would load and the client's retry finds it to delete.
        for (const d of deleted) {
          if (!this.groups.has(d.groupId)) {
            this.createGroup(d.groupId).restore(d.value);
            for (const o of d.offsets) this.offsets.set(d.groupId, o.topic, o.partition, o.value);
          }
        }
        for (const r of results) if (deleted.some((d) => d.groupId === r.groupId)) r.errorCode = ErrorCode.COORDINATOR_NOT_AVAILABLE;
      }
    }
    return { throttleTimeMs: 0, results };
  }

  // ---------------------------------------------------------------- offset APIs

  async offsetCommit(apiVersion: number, req: T.OffsetCommitRequest): Promise<T.OffsetCommitResponse> {
    const generationId = apiVersion >= 1 ? (req.generationIdOrMemberEpoch ?? -1) : -1;
    const memberId = apiVersion >= 1 ? (req.memberId ?? '') : '';
    const instanceId = apiVersion >= 7 ? (req.groupInstanceId ?? null) : null;
    const answerAll = (errorCode: number): T.OffsetCommitResponse => ({
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })),
      })),
    });
    let group = this.groups.get(req.groupId);
    if (group === undefined) {
      // Not under group management (generation -1): a "simple" commit creates the group, Empty.
      if (generationId >= 0) return answerAll(ErrorCode.ILLEGAL_GENERATION);
      group = this.createGroup(req.groupId);
    }
    const groupError = this.commitGroupError(group, generationId, memberId, instanceId);
    if (groupError !== ErrorCode.NONE) return answerAll(groupError);

    const nowMs = this.options.clock.nowMs();
    const maxWriteBytes = this.options.maxWriteBytes ?? Infinity;
    const groupIdBytes = Buffer.byteLength(req.groupId);
    let writeBytes = 0;
    const records: (GroupRecord & { type: 'offset' })[] = [];
    const response: T.OffsetCommitResponse = { throttleTimeMs: 0, topics: [] };
    const pendingCodes: { errorCode: number }[] = [];
    for (const t of req.topics) {
      const partitions: { partitionIndex: number; errorCode: number }[] = [];
      response.topics.push({ name: t.name, partitions });
      for (const p of t.partitions) {
        // Kafka stores a null metadata as "" and bounds it by Java String length.
        const metadata = p.committedMetadata ?? '';
        let errorCode: number = ErrorCode.NONE;
        if (!this.options.topicExists(t.name, p.partitionIndex)) errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        else if (metadata.length > this.config.offsetMetadataMaxBytes) errorCode = ErrorCode.OFFSET_METADATA_TOO_LARGE;
        const entry = { partitionIndex: p.partitionIndex, errorCode };
        partitions.push(entry);
        if (errorCode !== ErrorCode.NONE) continue;
        pendingCodes.push(entry);
        writeBytes += offsetRecordBytesMax(groupIdBytes, t.name, metadata);
        if (writeBytes > maxWriteBytes) continue; // refused below; nothing more is built
        const commitTimestampMs = apiVersion === 1 && p.commitTimestamp !== undefined && p.commitTimestamp >= 0
          ? p.commitTimestamp : nowMs;
        const value: OffsetValue = {
          offset: p.committedOffset,
          leaderEpoch: apiVersion >= 6 ? (p.committedLeaderEpoch ?? -1) : -1,
          metadata,
          commitTimestampMs,
        };
        records.push({ type: 'offset', groupId: req.groupId, topic: t.name, partition: p.partitionIndex, value });
      }
    }
    if (writeBytes > maxWriteBytes) {
      for (const entry of pendingCodes) entry.errorCode = ErrorCode.INVALID_COMMIT_OFFSET_SIZE;
      return response;
    }
    if (records.length === 0) return response;
    this.pendingCommits.set(req.groupId, (this.pendingCommits.get(req.groupId) ?? 0) + 1);
    const written = await this.options.store.write(records).then(() => true, () => false);
    const pending = this.pendingCommits.get(req.groupId)! - 1;
    if (pending === 0) this.pendingCommits.delete(req.groupId);
    else this.pendingCommits.set(req.groupId, pending);
    if (!written) {
      for (const entry of pendingCodes) entry.errorCode = ErrorCode.COORDINATOR_NOT_AVAILABLE;
      return response;
    }
    // A group deleted while the write was in flight stays deleted.
    if (this.groups.get(req.groupId) === group) {
      for (const r of records) this.offsets.set(r.groupId, r.topic, r.partition, r.value!);
    }
    return response;
  }

  /** Kafka's doCommitOffsets checks, in its order. */
  private commitGroupError(group: Group, generationId: number, memberId: string, instanceId: string | null): number {
    if (group.state === 'Dead') return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (group.isStaticMemberFenced(instanceId, memberId)) return ErrorCode.FENCED_INSTANCE_ID;
    if (generationId < 0 && group.state === 'Empty') return ErrorCode.NONE;
    const member = group.members.get(memberId);
    if (member === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    // Members got the new generation from JoinGroup but no assignment yet: commit after SyncGroup.
    if (group.state === 'CompletingRebalance') return ErrorCode.REBALANCE_IN_PROGRESS;
    // A commit from a live member counts as a heartbeat (PreparingRebalance still accepts it).
    member.lastHeartbeatMs = this.options.clock.nowMs();
    return ErrorCode.NONE;
  }

  offsetFetch(apiVersion: number, req: T.OffsetFetchRequest): T.OffsetFetchResponse {
    if (apiVersion >= 8) {
      const groups = (req.groups ?? []).map((g) => ({
        groupId: g.groupId,
        topics: this.fetchOffsets(g.groupId, g.topics),
        errorCode: ErrorCode.NONE,
      }));
      return { throttleTimeMs: 0, topics: [], errorCode: ErrorCode.NONE, groups };
    }
    const topics = this.fetchOffsets(req.groupId ?? '', req.topics ?? null);
    return { throttleTimeMs: 0, topics, errorCode: ErrorCode.NONE, groups: [] };
  }

  /** Requested partitions (all committed ones when `topics` is null); -1 where none is committed. */
  private fetchOffsets(groupId: string, topics: T.OffsetFetchRequestTopic[] | null): T.OffsetFetchResponseTopic[] {
    const toPartition = (partitionIndex: number, v: OffsetValue | undefined): T.OffsetFetchResponsePartition => ({
      partitionIndex,
      committedOffset: v?.offset ?? -1,
      committedLeaderEpoch: v?.leaderEpoch ?? -1,
      metadata: v === undefined ? '' : (v.metadata ?? ''),
      errorCode: ErrorCode.NONE,
    });
    if (topics !== null) {
      return topics.map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((p) => toPartition(p, this.offsets.get(groupId, t.name, p))),
      }));
    }
    const out: T.OffsetFetchResponseTopic[] = [];
    for (const o of this.offsets.entries(groupId)) {
      if (out.at(-1)?.name !== o.topic) out.push({ name: o.topic, partitions: [] });
      out.at(-1)!.partitions.push(toPartition(o.partition, o.value));
    }
    return out;
  }

  /** KIP-496: delete committed offsets of partitions the group no longer consumes. */
  async offsetDelete(_apiVersion: number, req: T.OffsetDeleteRequest): Promise<T.OffsetDeleteResponse> {
    const group = this.groups.get(req.groupId);
    if (group === undefined || group.state === 'Dead') {
      return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, throttleTimeMs: 0, topics: [] };
    }
    const isConsumerGroup = group.protocolType === CONSUMER_PROTOCOL_TYPE;
    if (group.state !== 'Empty' && !isConsumerGroup) {
      return { errorCode: ErrorCode.NON_EMPTY_GROUP, throttleTimeMs: 0, topics: [] };
    }
    const tombstones: GroupRecord[] = [];
    const deletable: { entry: { errorCode: number }; topic: string; partition: number }[] = [];
    const topics = req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => {
        const entry = { partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE as number };
        if (!this.options.topicExists(t.name, p.partitionIndex)) entry.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        else if (group.state !== 'Empty' && group.isSubscribedToTopic(t.name)) entry.errorCode = ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC;
        else if (this.offsets.get(req.groupId, t.name, p.partitionIndex) !== undefined) {
          deletable.push({ entry, topic: t.name, partition: p.partitionIndex });
          tombstones.push({ type: 'offset', groupId: req.groupId, topic: t.name, partition: p.partitionIndex, value: null });
        }
        return entry;
      }),
    }));
    if (tombstones.length > 0) {
      const written = await this.options.store.write(tombstones).then(() => true, () => false);
      for (const d of deletable) {
        if (written) this.offsets.delete(req.groupId, d.topic, d.partition);
        else d.entry.errorCode = ErrorCode.COORDINATOR_NOT_AVAILABLE;
      }
    }
    return { errorCode: ErrorCode.NONE, throttleTimeMs: 0, topics };
  }
}

/** Whether one committed offset has outlived offsets.retention.minutes (see expireOffsets). */
function offsetExpired(group: Group, topic: string, value: OffsetValue, nowMs: number, retentionMs: number): boolean {
  if (group.protocolType === null) return value.commitTimestampMs + retentionMs <= nowMs;
  if (group.state === 'Empty') return group.currentStateTimestampMs + retentionMs <= nowMs;
  // Stable only (KAFKA-13636): while rebalancing, the subscription is the previous generation's.
  if (group.protocolType === CONSUMER_PROTOCOL_TYPE && group.state === 'Stable' && !group.isSubscribedToTopic(topic)) {
    return value.commitTimestampMs + retentionMs <= nowMs;
  }
  return false;
}

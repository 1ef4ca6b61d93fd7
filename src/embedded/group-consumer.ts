/**
 * The embedded consumer as a member of a consumer group (Kafka's KafkaConsumer with subscribe()):
 * the group's coordinator splits the topic's partitions among the members (group-membership.ts),
 * each member reads its partitions from the group's committed offsets and commits how far it has
 * delivered.
 *
 * Positions per assigned partition:
 *   committedOffset <= consumedOffset <= fetchOffset
 *   fetchOffset      next offset to fetch
 *   consumedOffset   next offset after the last record handed to the caller: what a commit stores
 *   committedOffset  what the group has stored (-1: nothing yet)
 *
 * Delivery is at least once: offsets are committed every autoCommitIntervalMs (Kafka's
 * auto.commit.interval.ms) from poll(), before every rejoin, on close, and by commit(). On a
 * rebalance the member commits, drops ALL its partitions (eager protocol) and rejoins; records
 * fetched but not yet handed out are discarded, so nothing of a revoked partition is delivered
 * after the revocation, and whoever gets the partition next starts at the committed offset.
 *
 * Main thread only; owned by its Consumer.
 */
import { RecordWalker } from '../protocol/record-walker.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { FETCH_MAX_BYTES } from '../common/limits.js';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, offsetAt, type BrookBackend, type GroupTransport } from './backend.js';
import { GroupMembership, isCoordinatorUnavailable, isRejoinCode, type AssignorName } from './group-membership.js';
import { KafkaError, unknownTopicError } from './kafka-error.js';
import type { ConsumerRecord } from './consumer.js';
import { collectRecords, type FetchedBatches } from './record-delivery.js';
import { checkFetched, CorruptDataError } from './fetch-checks.js';

export interface GroupConsumerOptions {
  topic: string;
  groupId: string;
  /** Where a partition without a committed offset starts (Kafka's auto.offset.reset). Default 'end'. */
  from?: 'beginning' | 'end';
  maxWaitMs?: number;
  partitionMaxBytes?: number;
  /** Kafka's session.timeout.ms. Default 10000. */
  sessionTimeoutMs?: number;
  /** Kafka's heartbeat.interval.ms. Default 3000. */
  heartbeatIntervalMs?: number;
  /** How long the coordinator waits for members to rejoin (Kafka's max.poll.interval.ms). Default 60000. */
  rebalanceTimeoutMs?: number;
  /** Kafka's enable.auto.commit. Default true. */
  autoCommit?: boolean;
  /** Kafka's auto.commit.interval.ms. Default 5000. */
  autoCommitIntervalMs?: number;
  /** Kafka's partition.assignment.strategy. Default 'range'. */
  assignor?: AssignorName;
}

interface GroupPosition {
  fetchOffset: number;
  consumedOffset: number;
  committedOffset: number;
}

export class GroupConsumer {
  /** Damage found by the last fetch, raised by the next poll (fetch-checks.ts). */
  private pendingError: CorruptDataError | null = null;
  private readonly transport: GroupTransport;
  private readonly membership: GroupMembership;
  private readonly positions = new Map<number, GroupPosition>();
  /** Fetched records not yet handed out (poll's maxRecords), of the current generation only. */
  private pending: ConsumerRecord[] = [];
  private readonly walker = new RecordWalker();
  private readonly maxWaitMs: number;
  private readonly autoCommit: boolean;
  private readonly autoCommitIntervalMs: number;
  private lastCommitMs = Date.now();
  private closed = false;
  /** Resolves the current wait early (a rebalance was noticed, or close()). */
  private wake: (() => void) | null = null;
  private running: Promise<unknown> = Promise.resolve();
  private closing: Promise<void> | null = null;

  constructor(
    private readonly backend: BrookBackend,
    private readonly options: GroupConsumerOptions,
  ) {
    if (backend.groups === undefined) throw new Error('this backend has no group coordinator; omit groupId to read partitions directly');
    if (options.groupId === '') throw new KafkaError(ErrorCode.INVALID_GROUP_ID, 'the group id is empty');
    this.transport = backend.groups;
    this.maxWaitMs = options.maxWaitMs ?? 500;
    this.autoCommit = options.autoCommit ?? true;
    this.autoCommitIntervalMs = options.autoCommitIntervalMs ?? 5000;
    const sessionTimeoutMs = options.sessionTimeoutMs ?? 10_000;
    this.membership = new GroupMembership(this.transport, backend, {
      groupId: options.groupId,
      topic: options.topic,
      assignor: options.assignor ?? 'range',
      sessionTimeoutMs,
      rebalanceTimeoutMs: options.rebalanceTimeoutMs ?? 60_000,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? Math.min(3000, Math.floor(sessionTimeoutMs / 3)),
    }, () => this.wake?.());
  }

  /** This member's partitions of the topic in the current generation (empty while rebalancing). */
  assignment(): number[] {
    return [...this.positions.keys()].sort((a, b) => a - b);
  }

  get topic(): string {
    return this.options.topic;
  }

  get memberId(): string {
    return this.membership.memberId;
  }

  get generationId(): number {
    return this.membership.generationId;
  }

  /** The next offset to read of an assigned partition. */
  position(partition: number): number | undefined {
    return this.positions.get(partition)?.fetchOffset;
  }

  /**
   * The records of one fetch (at most maxRecords, Kafka's max.poll.records; the rest wait for the
   * next poll), all counted as delivered; [] when none came within maxWaitMs or a rebalance
   * intervened; null once closed.
   */
  poll(maxRecords = Infinity): Promise<ConsumerRecord[] | null> {
    const polling = this.pollOnce(maxRecords);
    this.running = polling.catch(() => undefined);
    return polling;
  }

  /**
   * Commits the next offset after every delivered record. Throws KafkaError when the group has
   * moved to a new generation meanwhile (Kafka's CommitFailedException): those partitions are
   * no longer this member's, and the next poll rejoins.
   */
  async commit(): Promise<void> {
    await this.commitConsumed(true);
  }

  /** Stops polling, commits what was delivered (auto-commit), leaves the group. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  private async closeOnce(): Promise<void> {
    this.closed = true;
    this.membership.stop();
    this.wake?.();
    await this.running;
    if (this.autoCommit) await this.commitConsumed(false).catch(() => undefined);
    this.positions.clear();
    await this.membership.leave();
  }

  private async pollOnce(maxRecords: number): Promise<ConsumerRecord[] | null> {
    if (this.closed) return null;
    if (this.pending.length > 0 && !this.membership.needsRejoin) return this.deliver(this.pending, maxRecords);
    if (this.membership.needsRejoin) {
      await this.rebalance();
      if (this.closed) return null;
    }
    if (this.autoCommit && Date.now() - this.lastCommitMs >= this.autoCommitIntervalMs) await this.commitConsumed(false);
    if (this.positions.size === 0) {
      // Nothing assigned (more members than partitions): idle until a rebalance or the wait ends.
      await this.interruptible(new Promise((resolve) => setTimeout(resolve, this.maxWaitMs).unref()));
      return this.closed ? null : [];
    }
    const generationId = this.membership.generationId;
    const records = await this.fetchOnce();
    if (this.closed) return null;
    if (records === null || this.membership.needsRejoin || generationId !== this.membership.generationId) return [];
    return this.deliver(records, maxRecords);
  }

  private deliver(records: ConsumerRecord[], maxRecords: number): ConsumerRecord[] {
    const count = Math.min(records.length, maxRecords);
    const out = count === records.length ? records : records.slice(0, count); // no copy when all go
    this.pending = count === records.length ? [] : records.slice(count);
    for (const record of out) this.positions.get(record.partition)!.consumedOffset = record.offset + 1;
    return out;
  }

  /** Commit (eager revocation), drop everything, join, and start each new partition at its committed offset. */
  private async rebalance(): Promise<void> {
    if (this.positions.size > 0 && this.autoCommit) await this.commitConsumed(false).catch(() => undefined);
    this.positions.clear();
    this.pending = [];
    const partitions = await this.membership.join();
    if (partitions === null || this.closed) return;
    const committed = await this.committedOffsets(partitions);
    for (const partition of partitions) {
      const committedOffset = committed.get(partition) ?? -1;
      const fetchOffset = committedOffset >= 0 ? committedOffset : await this.resetOffset(partition);
      this.positions.set(partition, { fetchOffset, consumedOffset: fetchOffset, committedOffset });
    }
    this.lastCommitMs = Date.now();
  }

  private async committedOffsets(partitions: number[]): Promise<Map<number, number>> {
    const { groupId, topic } = this.options;
    const offsets = new Map<number, number>();
    if (partitions.length === 0) return offsets;
    const response = await this.transport.offsetFetch({ groupId, topics: [{ name: topic, partitionIndexes: partitions }] });
    if (response.errorCode !== ErrorCode.NONE) throw new KafkaError(response.errorCode, `fetching committed offsets of group '${groupId}'`);
    for (const t of response.topics) {
      if (t.name !== topic) continue;
      for (const p of t.partitions) {
        if (p.errorCode !== ErrorCode.NONE) throw new KafkaError(p.errorCode, `fetching the committed offset of ${topic}-${p.partitionIndex}`);
        offsets.set(p.partitionIndex, p.committedOffset);
      }
    }
    return offsets;
  }

  /** Kafka's auto.offset.reset: no committed offset, or one outside the log. */
  private async resetOffset(partition: number): Promise<number> {
    const timestamp = this.options.from === 'beginning' ? EARLIEST_TIMESTAMP : LATEST_TIMESTAMP;
    return offsetAt(this.backend, this.options.topic, partition, timestamp);
  }

  /**
   * Commits consumed offsets that moved. `strict` (commit()): any partition error throws.
   * Otherwise (auto-commit) a finished generation or an unavailable coordinator is not an
   * error: the records will be delivered again, which at-least-once allows.
   */
  private async commitConsumed(strict: boolean): Promise<void> {
    const { groupId, topic } = this.options;
    const moved = [...this.positions].filter(([, p]) => p.consumedOffset !== p.committedOffset);
    this.lastCommitMs = Date.now();
    if (moved.length === 0 || this.membership.generationId < 0) return;
    let response;
    try {
      response = await this.transport.offsetCommit({
        groupId, generationIdOrMemberEpoch: this.membership.generationId, memberId: this.membership.memberId,
        groupInstanceId: null, retentionTimeMs: -1,
        topics: [{ name: topic, partitions: moved.map(([partitionIndex, p]) => ({ partitionIndex, committedOffset: p.consumedOffset, committedLeaderEpoch: -1, committedMetadata: '' })) }],
      });
    } catch (err) {
      if (!strict && isCoordinatorUnavailable(err)) return;
      throw err;
    }
    for (const t of response.topics) {
      for (const p of t.partitions) {
        const position = this.positions.get(p.partitionIndex);
        if (p.errorCode === ErrorCode.NONE) {
          if (position !== undefined) position.committedOffset = moved.find(([q]) => q === p.partitionIndex)![1].consumedOffset;
          continue;
        }
        if (isRejoinCode(p.errorCode)) this.membership.requestRejoin(p.errorCode);
        if (strict || !(isRejoinCode(p.errorCode) || new KafkaError(p.errorCode).retriable)) {
          throw new KafkaError(p.errorCode, `committing ${topic}-${p.partitionIndex} for group '${groupId}'`);
        }
      }
    }
  }

  /** Waits for `work` unless a rebalance or close() comes first (then null; the work is abandoned). */
  private async interruptible<T>(work: Promise<T>): Promise<T | null> {
    const interrupted = new Promise<null>((resolve) => (this.wake = () => resolve(null)));
    try {
      if (this.closed || this.membership.needsRejoin) return null;
      return await Promise.race([work, interrupted]);
    } finally {
      this.wake = null;
      work.catch(() => undefined);
    }
  }

  private async fetchOnce(): Promise<ConsumerRecord[] | null> {
    const { topic } = this.options;
    if (this.pendingError !== null) throw this.pendingError;
    const requests = [...this.positions].map(([partition, p]) => ({
      topic, partition, fetchOffset: p.fetchOffset, partitionMaxBytes: this.options.partitionMaxBytes ?? 1_048_576,
    }));
    const results = await this.interruptible(this.backend.fetch(requests, { maxWaitMs: this.maxWaitMs, minBytes: 1, maxBytes: FETCH_MAX_BYTES }));
    if (results === null) return null;
    // Fail before moving any fetchOffset: the records of the partitions that did answer are fetched
    // again by the next poll instead of being skipped (and later committed past).
    const failed = results.find((r) => r.errorCode !== ErrorCode.NONE && r.errorCode !== ErrorCode.OFFSET_OUT_OF_RANGE);
    if (failed?.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) throw unknownTopicError(topic);
    if (failed !== undefined) throw new KafkaError(failed.errorCode, `fetching ${topic}-${failed.partition}`);
    const records: ConsumerRecord[] = [];
    for (const result of results) {
      const position = this.positions.get(result.partition);
      if (position === undefined) continue;
      if (result.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
        position.fetchOffset = await this.resetOffset(result.partition);
        position.consumedOffset = position.fetchOffset;
        continue;
      }
      if (result.records === null) continue;
      const fetched: FetchedBatches = { topic, partition: result.partition, records: result.records, fromOffset: position.fetchOffset, stopOffset: Infinity };
      // CRC-32C of every batch (check.crcs): what precedes a damaged batch is delivered, then
      // the next poll raises it. Gaps are not judged here (the member does not know the policy).
      const checked = checkFetched(fetched, { gapsAllowed: true, skip: false });
      if (checked.fetched !== null) collectRecords(this.walker, checked.fetched, records);
      position.fetchOffset = checked.nextOffset;
      if (checked.problems.length > 0) this.pendingError ??= new CorruptDataError(checked.problems[0]!);
    }
    return records;
  }
}

/**
 * The state and rebalance machinery of one classic-protocol group (Kafka's GroupMetadata plus the
 * DelayedJoin / DelayedSync / heartbeat timers of its GroupCoordinator). The request handlers that
 * drive it live in group.ts, which extends this class; the split only keeps files readable.
 *
 *            first join                 all members rejoined          leader's SyncGroup
 *   Empty ──────────────▶ Preparing ─────────────────────────▶ Completing ──────────────▶ Stable
 *     ▲                   Rebalance   or rebalance timeout      Rebalance                    │
 *     │                      ▲  (laggards removed)                 │                         │
 *     └── no members left ───┤◀────────── join / leave / expiry ───┴─────────────────────────┘
 *                            Dead: deleted or unloaded; every request gets an error.
 *
 * Timers are deadlines compared with the injected Clock, evaluated by `tick()` (the host calls
 * it periodically) and after every request that could complete them.
 *
 * Not thread-safe: owned by one coordinator worker, driven from its event loop.
 */
import type { Clock } from '../common/clock.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { DecodeError } from '../protocol/decode-error.js';
import { CONSUMER_PROTOCOL_TYPE, decodeSubscription } from './consumer-protocol.js';
import type { GroupValue } from './group-record.js';
import { EMPTY_BYTES, Member } from './member.js';
import { joinError, selectProtocol, syncError, type GroupConfig } from './group-rules.js';
import type { JoinGroupResponse } from './types.js';

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

export interface GroupOptions {
  clock: Clock;
  config: GroupConfig;
  /** Durably store the group's metadata (the coordinator writes it to its GroupStore). */
  persist(value: GroupValue): Promise<void>;
  /** Source of the uuid part of generated member ids; injectable for deterministic tests. */
  newUuid?: () => string;
}

/** The pending JoinGroup completion: Kafka's DelayedJoin, or InitialDelayedJoin for a new group. */
interface JoinTimer {
  deadlineMs: number;
  initial: boolean;
  /** InitialDelayedJoin: how much longer it may keep extending while new members arrive. */
  remainingMs: number;
}

export abstract class GroupCore {
  state: GroupState = 'Empty';
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  currentStateTimestampMs: number;
  /** Members in join order (the leader fallback picks the first). */
  readonly members = new Map<string, Member>();
  protected readonly staticMembers = new Map<string, string>();
  /** Member ids handed out with MEMBER_ID_REQUIRED, each with its expiry time. */
  protected readonly pendingMembers = new Map<string, number>();
  /** Members of this generation that have not yet sent SyncGroup (Kafka's pendingSyncMembers). */
  protected readonly pendingSyncMembers = new Set<string>();
  private syncDeadlineMs: number | null = null;
  private joinTimer: JoinTimer | null = null;
  protected newMemberAdded = false;
  /** Topics the members subscribe to (consumer protocol); null = unknown, assume any. */
  private subscribedTopics: Set<string> | null = null;

  constructor(
    readonly groupId: string,
    protected readonly options: GroupOptions,
  ) {
    this.currentStateTimestampMs = options.clock.nowMs();
  }

  protected get nowMs(): number {
    return this.options.clock.nowMs();
  }

  protected get config(): GroupConfig {
    return this.options.config;
  }

  protected transitionTo(state: GroupState): void {
    this.state = state;
    this.currentStateTimestampMs = this.nowMs;
  }

  get rebalanceTimeoutMs(): number {
    let max = 0;
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs);
    return max;
  }

  isSubscribedToTopic(topic: string): boolean {
    return this.subscribedTopics === null || this.subscribedTopics.has(topic);
  }

  /** A member id that no longer owns its groupInstanceId: a zombie to be shut down. */
  isStaticMemberFenced(groupInstanceId: string | null | undefined, memberId: string): boolean {
    if (groupInstanceId === null || groupInstanceId === undefined) return false;
    const owner = this.staticMembers.get(groupInstanceId);
    return owner !== undefined && owner !== memberId;
  }

  /** Ends the group (deleted or unloaded): waiting calls are answered with `errorCode`. */
  markDead(errorCode: number = ErrorCode.NOT_COORDINATOR): void {
    for (const m of this.members.values()) {
      m.awaitingJoin?.(joinError(errorCode, m.memberId));
      m.awaitingSync?.(syncError(errorCode));
      m.awaitingJoin = m.awaitingSync = null;
    }
    this.joinTimer = null;
    this.syncDeadlineMs = null;
    this.transitionTo('Dead');
  }

  /** Evaluates session expiry, pending-id expiry and the join and sync deadlines. */
  tick(): void {
    if (this.state === 'Dead') return;
    const nowMs = this.nowMs;
    for (const [memberId, expiryMs] of [...this.pendingMembers]) {
      if (expiryMs <= nowMs) this.pendingMembers.delete(memberId);
    }
    for (const m of [...this.members.values()]) {
      if (!m.shouldKeepAlive(nowMs, this.config.newMemberJoinTimeoutMs)) this.removeMemberAndUpdateGroup(m);
    }
    if (this.syncDeadlineMs !== null && nowMs >= this.syncDeadlineMs) this.expirePendingSync();
    this.maybeCompleteJoin();
  }

  /**
   * Kafka's DelayedSync: members that never sent SyncGroup within the rebalance timeout after the
   * join completed (e.g. a leader that died before assigning) are removed, and the group
   * rebalances without them instead of waiting forever.
   */
  private expirePendingSync(): void {
    this.syncDeadlineMs = null;
    if (this.state !== 'CompletingRebalance' && this.state !== 'Stable') return;
    if (this.pendingSyncMembers.size === 0) return;
    for (const memberId of [...this.pendingSyncMembers]) {
      const m = this.members.get(memberId);
      if (m !== undefined) this.removeMember(m, ErrorCode.UNKNOWN_MEMBER_ID);
    }
    this.prepareRebalance();
    this.maybeCompleteJoin();
  }

  protected removeMemberAndUpdateGroup(member: Member): void {
    this.removeMember(member, ErrorCode.UNKNOWN_MEMBER_ID);
    if (this.state === 'Stable' || this.state === 'CompletingRebalance') this.prepareRebalance();
    this.maybeCompleteJoin();
  }

  /** Drops a member; its waiting calls get `errorCode`; leadership passes to the first member. */
  protected removeMember(member: Member, errorCode: number): void {
    member.awaitingJoin?.(joinError(errorCode, member.memberId));
    member.awaitingSync?.(syncError(errorCode));
    member.awaitingJoin = member.awaitingSync = null;
    this.members.delete(member.memberId);
    if (member.groupInstanceId !== null && this.staticMembers.get(member.groupInstanceId) === member.memberId) {
      this.staticMembers.delete(member.groupInstanceId);
    }
    this.pendingSyncMembers.delete(member.memberId);
    if (this.leaderId === member.memberId) {
      this.leaderId = this.members.size > 0 ? this.members.keys().next().value! : null;
    }
  }

  protected removePendingMember(memberId: string): boolean {
    const removed = this.pendingMembers.delete(memberId);
    if (removed) this.maybeCompleteJoin();
    return removed;
  }

  protected maybePrepareRebalance(): void {
    if (this.state === 'Stable' || this.state === 'CompletingRebalance' || this.state === 'Empty') {
      this.prepareRebalance();
    }
  }

  protected prepareRebalance(): void {
    if (this.state === 'CompletingRebalance') this.resetAndPropagateAssignmentError(ErrorCode.REBALANCE_IN_PROGRESS);
    this.pendingSyncMembers.clear();
    this.syncDeadlineMs = null;
    const initialDelayMs = this.config.initialRebalanceDelayMs;
    this.joinTimer =
      this.state === 'Empty'
        ? {
            deadlineMs: this.nowMs + initialDelayMs,
            initial: true,
            remainingMs: Math.max(this.rebalanceTimeoutMs - initialDelayMs, 0),
          }
        : { deadlineMs: this.nowMs + this.rebalanceTimeoutMs, initial: false, remainingMs: 0 };
    this.transitionTo('PreparingRebalance');
  }

  /** Completes the JoinGroup round when its condition holds. */
  protected maybeCompleteJoin(): void {
    const timer = this.joinTimer;
    if (this.state !== 'PreparingRebalance' || timer === null) return;
    if (timer.initial) {
      if (this.nowMs < timer.deadlineMs) return;
      if (this.newMemberAdded && timer.remainingMs > 0) {
        // Members keep arriving at a new group: wait one more delay, bounded by the rebalance timeout.
        this.newMemberAdded = false;
        const delayMs = Math.min(this.config.initialRebalanceDelayMs, timer.remainingMs);
        timer.remainingMs = Math.max(timer.remainingMs - this.config.initialRebalanceDelayMs, 0);
        timer.deadlineMs = this.nowMs + delayMs;
        if (delayMs > 0) return;
      }
      return this.completeJoin();
    }
    if (this.allMembersJoined() || this.nowMs >= timer.deadlineMs) this.completeJoin();
  }

  private allMembersJoined(): boolean {
    if (this.pendingMembers.size > 0) return false;
    for (const m of this.members.values()) if (m.awaitingJoin === null) return false;
    return true;
  }

  /** Kafka's onCompleteJoin. */
  private completeJoin(): void {
    this.joinTimer = null;
    this.newMemberAdded = false;
    // Dynamic members that did not rejoin in time are gone; static ones keep their place until
    // their session expires (KIP-345), so a slow restart does not reshuffle partitions.
    for (const m of [...this.members.values()]) {
      if (m.awaitingJoin === null && !m.isStatic) this.removeMember(m, ErrorCode.UNKNOWN_MEMBER_ID);
    }
    if (this.members.size > 0 && !this.electLeaderFromJoined()) {
      // Only static members that have not rejoined remain: wait for them or their expiry.
      this.joinTimer = { deadlineMs: this.nowMs + this.rebalanceTimeoutMs, initial: false, remainingMs: 0 };
      return;
    }
    this.initNextGeneration();
    if (this.state === 'Empty') {
      this.persistQuietly();
      return;
    }
    this.syncDeadlineMs = this.nowMs + this.rebalanceTimeoutMs;
    for (const m of this.members.values()) {
      this.pendingSyncMembers.add(m.memberId);
      const respond = m.awaitingJoin;
      m.awaitingJoin = null;
      m.isNew = false;
      m.lastHeartbeatMs = this.nowMs;
      respond?.(this.joinResult(m));
    }
  }

  /** The leader must be a member that rejoined; otherwise the first one that did. */
  private electLeaderFromJoined(): boolean {
    const leader = this.leaderId === null ? undefined : this.members.get(this.leaderId);
    if (leader !== undefined && leader.awaitingJoin !== null) return true;
    for (const m of this.members.values()) {
      if (m.awaitingJoin !== null) {
        this.leaderId = m.memberId;
        return true;
      }
    }
    return false;
  }

  private initNextGeneration(): void {
    this.generationId += 1;
    if (this.members.size === 0) {
      this.protocolName = null;
      this.subscribedTopics = null;
      this.transitionTo('Empty');
      return;
    }
    this.protocolName = selectProtocol(this.members.values());
    this.subscribedTopics = this.computeSubscribedTopics();
    this.transitionTo('CompletingRebalance');
  }

  private computeSubscribedTopics(): Set<string> | null {
    if (this.protocolType !== CONSUMER_PROTOCOL_TYPE || this.protocolName === null) return null;
    const topics = new Set<string>();
    try {
      for (const m of this.members.values()) {
        for (const t of decodeSubscription(m.metadataFor(this.protocolName)).topics) topics.add(t);
      }
    } catch (e) {
      if (e instanceof DecodeError) return null;
      throw e;
    }
    return topics;
  }

  /** A JoinGroup answer for `member` in the current generation; only the leader gets the members. */
  protected joinResult(member: Member): JoinGroupResponse {
    const protocolName = this.protocolName ?? '';
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      generationId: this.generationId,
      protocolType: this.protocolType,
      protocolName: this.protocolName,
      leader: this.leaderId ?? '',
      skipAssignment: false,
      memberId: member.memberId,
      members:
        member.memberId === this.leaderId
          ? [...this.members.values()].map((m) => ({
              memberId: m.memberId,
              groupInstanceId: m.groupInstanceId,
              metadata: m.metadataFor(protocolName),
            }))
          : [],
    };
  }

  protected resetAndPropagateAssignmentError(errorCode: number): void {
    for (const m of this.members.values()) {
      m.assignment = EMPTY_BYTES;
      m.awaitingSync?.(syncError(errorCode));
      m.awaitingSync = null;
    }
  }

  protected setAndPropagateAssignment(assignments: ReadonlyMap<string, Buffer>): void {
    for (const m of this.members.values()) {
      m.assignment = assignments.get(m.memberId) ?? EMPTY_BYTES;
      const respond = m.awaitingSync;
      m.awaitingSync = null;
      if (respond !== null) {
        m.lastHeartbeatMs = this.nowMs;
        respond({ ...syncError(ErrorCode.NONE), protocolType: this.protocolType, protocolName: this.protocolName, assignment: m.assignment });
      }
    }
  }

  /** The persisted form (Kafka's GroupMetadataValue), with `assignments` overriding members'. */
  toValue(assignments?: ReadonlyMap<string, Buffer>): GroupValue {
    const protocolName = this.protocolName;
    return {
      protocolType: this.protocolType,
      generationId: this.generationId,
      protocolName,
      leader: this.leaderId,
      currentStateTimestampMs: this.currentStateTimestampMs,
      members: [...this.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        sessionTimeoutMs: m.sessionTimeoutMs,
        subscription: protocolName === null ? EMPTY_BYTES : m.metadataFor(protocolName),
        assignment: assignments?.get(m.memberId) ?? m.assignment,
      })),
    };
  }

  /**
   * Rebuilds from a persisted value, as Kafka does when it loads __consumer_offsets: members
   * come back Stable with fresh session deadlines (they must heartbeat to stay).
   */
  restore(value: GroupValue): void {
    const nowMs = this.nowMs;
    this.protocolType = value.protocolType;
    this.generationId = value.generationId;
    this.protocolName = value.protocolName;
    this.currentStateTimestampMs = value.currentStateTimestampMs;
    for (const v of value.members) {
      const m = new Member(
        v.memberId, v.groupInstanceId, v.clientId, v.clientHost, v.sessionTimeoutMs, v.rebalanceTimeoutMs,
        value.protocolType ?? '', [{ name: value.protocolName ?? '', metadata: v.subscription }], nowMs,
      );
      m.assignment = v.assignment;
      m.isNew = false;
      this.members.set(m.memberId, m);
      if (m.groupInstanceId !== null) this.staticMembers.set(m.groupInstanceId, m.memberId);
    }
    this.leaderId = this.members.size > 0 ? value.leader : null;
    this.state = this.members.size > 0 ? 'Stable' : 'Empty';
    this.subscribedTopics = this.members.size > 0 ? this.computeSubscribedTopics() : null;
  }

  /**
   * Stores metadata that no answer waits on (a group going Empty). A failed write is harmless:
   * the next generation's write supersedes it, and an older record only restores an older state.
   */
  protected persistQuietly(): void {
    this.options.persist(this.toValue()).catch(() => undefined);
  }
}

/**
 * One consumer group: the request handlers of Kafka's classic group protocol (JoinGroup,
 * SyncGroup, Heartbeat, LeaveGroup, DescribeGroups) over the state machine in group-core.ts.
 * Each wrong move gets Kafka's exact error code. JoinGroup and SyncGroup may answer later, through
 * their `respond` callback; Heartbeat and LeaveGroup answer at once.
 *
 * Not thread-safe: owned by one coordinator worker, driven from its event loop.
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode } from '../protocol/error-codes.js';
import { GroupCore, type GroupOptions } from './group-core.js';
import { joinError, selectProtocol, supportsProtocols, syncError } from './group-rules.js';
import { EMPTY_BYTES, Member, type JoinCallback, type ProtocolMetadata, type SyncCallback } from './member.js';
import type {
  DescribedGroup,
  HeartbeatRequest,
  HeartbeatResponse,
  JoinGroupRequest,
  LeaveGroupRequest,
  LeaveGroupResponse,
  MemberIdentity,
  RequestContext,
  SyncGroupRequest,
} from './types.js';

export type { GroupState, GroupOptions } from './group-core.js';

/** A JoinGroup request, validated and normalised. */
interface Joining {
  instanceId: string | null;
  ctx: RequestContext;
  respond: JoinCallback;
  protocolType: string;
  protocols: ProtocolMetadata[];
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  requireKnownMemberId: boolean;
}

/** DescribeGroups' authorizedOperations when not requested (Kafka's Int.MinValue). */
export const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;

export class Group extends GroupCore {
  private readonly newUuid: () => string;

  constructor(groupId: string, options: GroupOptions) {
    super(groupId, options);
    this.newUuid = options.newUuid ?? randomUUID;
  }

  // ---------------------------------------------------------------- JoinGroup

  join(apiVersion: number, req: JoinGroupRequest, ctx: RequestContext, respond: JoinCallback): void {
    // Before v7 protocolName is not nullable on the wire; Kafka sends "" there.
    const answer: JoinCallback =
      apiVersion < 7 ? (r) => respond(r.protocolName === null ? { ...r, protocolName: '' } : r) : respond;
    const fail = (errorCode: number, memberId = req.memberId): void => answer(joinError(errorCode, memberId));
    const { minSessionTimeoutMs, maxSessionTimeoutMs } = this.config;
    if (req.sessionTimeoutMs < minSessionTimeoutMs || req.sessionTimeoutMs > maxSessionTimeoutMs) {
      return fail(ErrorCode.INVALID_SESSION_TIMEOUT);
    }
    if (!this.acceptsJoiningMember(req.memberId)) return fail(ErrorCode.GROUP_MAX_SIZE_REACHED);
    if (this.state === 'Dead') return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (!supportsProtocols(this, req.protocolType, req.protocols)) return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const joining: Joining = {
      instanceId: apiVersion >= 5 ? (req.groupInstanceId ?? null) : null,
      ctx,
      respond: answer,
      protocolType: req.protocolType,
      protocols: req.protocols.map((p) => ({ name: p.name, metadata: p.metadata })),
      sessionTimeoutMs: req.sessionTimeoutMs,
      // JoinGroup v0 has no rebalance timeout; Kafka uses the session timeout for it.
      rebalanceTimeoutMs:
        apiVersion === 0 || req.rebalanceTimeoutMs === undefined || req.rebalanceTimeoutMs < 0
          ? req.sessionTimeoutMs
          : req.rebalanceTimeoutMs,
      requireKnownMemberId: apiVersion >= 4,
    };
    if (req.memberId === '') this.joinNewMember(joining);
    else this.joinKnownMember(req.memberId, joining, fail);
  }

  /** Kafka's acceptJoiningMember: known members always, new ones up to group.max.size. */
  private acceptsJoiningMember(memberId: string): boolean {
    if (this.state === 'Empty' || this.state === 'Dead') return true;
    if (this.members.has(memberId) || this.pendingMembers.has(memberId)) return true;
    return this.members.size < this.config.groupMaxSize;
  }

  private joinNewMember(j: Joining): void {
    const newMemberId = `${j.ctx.clientId}-${this.newUuid()}`;
    if (j.instanceId !== null) {
      const oldMemberId = this.staticMembers.get(j.instanceId);
      if (oldMemberId !== undefined) return this.replaceStaticMember(oldMemberId, newMemberId, j);
      return this.addMemberAndRebalance(newMemberId, j);
    }
    if (j.requireKnownMemberId) {
      // KIP-394: hand out the id first, so a client that dies before rejoining leaves only a
      // pending id (expiring after its session timeout), not a member the group must wait for.
      this.pendingMembers.set(newMemberId, this.nowMs + j.sessionTimeoutMs);
      return j.respond(joinError(ErrorCode.MEMBER_ID_REQUIRED, newMemberId));
    }
    this.addMemberAndRebalance(newMemberId, j);
  }

  private joinKnownMember(memberId: string, j: Joining, fail: (code: number) => void): void {
    if (this.pendingMembers.has(memberId)) return this.addMemberAndRebalance(memberId, j);
    if (this.isStaticMemberFenced(j.instanceId, memberId)) return fail(ErrorCode.FENCED_INSTANCE_ID);
    const member = this.members.get(memberId);
    if (member === undefined || (j.instanceId !== null && !this.staticMembers.has(j.instanceId))) {
      return fail(ErrorCode.UNKNOWN_MEMBER_ID);
    }
    switch (this.state) {
      case 'PreparingRebalance':
        return this.updateMemberAndRebalance(member, j);
      case 'CompletingRebalance':
        // The same metadata again means the client missed our JoinGroup answer: repeat it.
        if (member.matches(j.protocols)) return j.respond(this.joinResult(member));
        return this.updateMemberAndRebalance(member, j);
      case 'Stable':
        // A leader's rejoin forces a rebalance: it is how a consumer leader reacts to metadata
        // changes (new partitions) that do not change any member's subscription.
        if (memberId === this.leaderId || !member.matches(j.protocols)) {
          return this.updateMemberAndRebalance(member, j);
        }
        member.lastHeartbeatMs = this.nowMs;
        return j.respond(this.joinResult(member));
      default:
        return fail(ErrorCode.UNKNOWN_MEMBER_ID);
    }
  }

  private addMemberAndRebalance(memberId: string, j: Joining): void {
    const member = new Member(
      memberId, j.instanceId, j.ctx.clientId, j.ctx.clientHost, j.sessionTimeoutMs,
      j.rebalanceTimeoutMs, j.protocolType, j.protocols, this.nowMs,
    );
    member.awaitingJoin = j.respond;
    if (this.state === 'PreparingRebalance' && this.generationId === 0) this.newMemberAdded = true;
    this.pendingMembers.delete(memberId);
    if (this.members.size === 0) this.protocolType = member.protocolType;
    if (this.leaderId === null) this.leaderId = memberId;
    this.members.set(memberId, member);
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, memberId);
    this.maybePrepareRebalance();
    this.maybeCompleteJoin();
  }

  private updateMemberAndRebalance(member: Member, j: Joining): void {
    member.protocols = j.protocols;
    member.sessionTimeoutMs = j.sessionTimeoutMs;
    member.rebalanceTimeoutMs = j.rebalanceTimeoutMs;
    // A client has at most one JoinGroup in flight; a superseded one is answered, not dropped.
    member.awaitingJoin?.(joinError(ErrorCode.REBALANCE_IN_PROGRESS, member.memberId));
    member.awaitingJoin = j.respond;
    member.lastHeartbeatMs = this.nowMs;
    this.maybePrepareRebalance();
    this.maybeCompleteJoin();
  }

  /**
   * KIP-345 static membership: a restarted instance takes over its old member id's place and
   * assignment, and the old id is fenced (its waiting calls get FENCED_INSTANCE_ID). In a Stable
   * group whose protocol choice does not change, there is no rebalance; the answer names the old
   * leader so the rejoining member never believes it leads and reassigns.
   */
  private replaceStaticMember(oldMemberId: string, newMemberId: string, j: Joining): void {
    const member = this.members.get(oldMemberId)!;
    member.awaitingJoin?.(joinError(ErrorCode.FENCED_INSTANCE_ID, oldMemberId));
    member.awaitingSync?.(syncError(ErrorCode.FENCED_INSTANCE_ID));
    member.awaitingSync = null;
    const previousLeaderId = this.leaderId;
    this.members.delete(oldMemberId);
    member.memberId = newMemberId;
    this.members.set(newMemberId, member);
    this.staticMembers.set(j.instanceId!, newMemberId);
    if (this.leaderId === oldMemberId) this.leaderId = newMemberId;
    if (this.pendingSyncMembers.delete(oldMemberId)) this.pendingSyncMembers.add(newMemberId);
    member.protocols = j.protocols;
    member.sessionTimeoutMs = j.sessionTimeoutMs;
    member.rebalanceTimeoutMs = j.rebalanceTimeoutMs;
    member.lastHeartbeatMs = this.nowMs;
    member.awaitingJoin = j.respond;
    if (this.state === 'Stable' && selectProtocol(this.members.values()) === this.protocolName) {
      const answer = { ...this.joinResult(member), leader: previousLeaderId ?? '', members: [] };
      member.awaitingJoin = null;
      this.options.persist(this.toValue()).then(
        () => j.respond(answer),
        () => j.respond(joinError(ErrorCode.COORDINATOR_NOT_AVAILABLE, newMemberId)),
      );
      return;
    }
    // In CompletingRebalance the leader may already hold the old id: rebalance so ids match.
    if (this.state === 'Stable' || this.state === 'CompletingRebalance') this.prepareRebalance();
    this.maybeCompleteJoin();
  }

  // ---------------------------------------------------------------- SyncGroup

  sync(apiVersion: number, req: SyncGroupRequest, respond: SyncCallback): void {
    const instanceId = apiVersion >= 3 ? req.groupInstanceId : null;
    const member = this.members.get(req.memberId);
    if (this.state === 'Dead') return respond(syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
    if (this.isStaticMemberFenced(instanceId, req.memberId)) return respond(syncError(ErrorCode.FENCED_INSTANCE_ID));
    if (member === undefined) return respond(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    if (req.generationId !== this.generationId) return respond(syncError(ErrorCode.ILLEGAL_GENERATION));
    if (
      (req.protocolType != null && req.protocolType !== this.protocolType) ||
      (req.protocolName != null && req.protocolName !== this.protocolName)
    ) {
      return respond(syncError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    }
    switch (this.state) {
      case 'PreparingRebalance':
        return respond(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
      case 'Stable':
        this.pendingSyncMembers.delete(member.memberId);
        member.lastHeartbeatMs = this.nowMs;
        return respond({
          ...syncError(ErrorCode.NONE),
          protocolType: this.protocolType,
          protocolName: this.protocolName,
          assignment: member.assignment,
        });
      case 'CompletingRebalance':
        break;
      default:
        return respond(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    }
    member.awaitingSync?.(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
    member.awaitingSync = respond;
    this.pendingSyncMembers.delete(member.memberId);
    if (member.memberId !== this.leaderId) return;
    // The leader's plan: members it left out get an empty assignment; unknown ids are ignored.
    const assignments = new Map<string, Buffer>();
    for (const a of req.assignments) if (this.members.has(a.memberId)) assignments.set(a.memberId, a.assignment);
    const generationId = this.generationId;
    const stillCurrent = (): boolean => this.state === 'CompletingRebalance' && this.generationId === generationId;
    // Answer only once the assignment is durable, so a coordinator restart cannot forget it.
    this.options.persist(this.toValue(assignments)).then(
      () => {
        if (!stillCurrent()) return;
        this.setAndPropagateAssignment(assignments);
        this.transitionTo('Stable');
      },
      () => {
        if (!stillCurrent()) return;
        this.resetAndPropagateAssignmentError(ErrorCode.COORDINATOR_NOT_AVAILABLE);
        this.prepareRebalance();
        this.maybeCompleteJoin();
      },
    );
  }

  // ---------------------------------------------------------------- Heartbeat

  heartbeat(apiVersion: number, req: HeartbeatRequest): HeartbeatResponse {
    const answer = (errorCode: number): HeartbeatResponse => ({ throttleTimeMs: 0, errorCode });
    const instanceId = apiVersion >= 3 ? req.groupInstanceId : null;
    const member = this.members.get(req.memberId);
    if (this.state === 'Dead') return answer(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (this.isStaticMemberFenced(instanceId, req.memberId)) return answer(ErrorCode.FENCED_INSTANCE_ID);
    if (member === undefined) return answer(ErrorCode.UNKNOWN_MEMBER_ID);
    if (req.generationId !== this.generationId) return answer(ErrorCode.ILLEGAL_GENERATION);
    if (this.state === 'Empty') return answer(ErrorCode.UNKNOWN_MEMBER_ID);
    member.lastHeartbeatMs = this.nowMs;
    return answer(this.state === 'PreparingRebalance' ? ErrorCode.REBALANCE_IN_PROGRESS : ErrorCode.NONE);
  }

  // ---------------------------------------------------------------- LeaveGroup

  leave(apiVersion: number, req: LeaveGroupRequest): LeaveGroupResponse {
    const identities: MemberIdentity[] =
      apiVersion >= 3 ? (req.members ?? []) : [{ memberId: req.memberId ?? '', groupInstanceId: null }];
    if (this.state === 'Dead') {
      return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] };
    }
    const members = identities.map((id) => ({
      memberId: id.memberId,
      groupInstanceId: id.groupInstanceId ?? null,
      errorCode: this.leaveOne(id),
    }));
    // v0-v2 carry one member and report its result at the top level.
    if (apiVersion < 3) return { throttleTimeMs: 0, errorCode: members[0]!.errorCode, members: [] };
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, members };
  }

  private leaveOne(id: MemberIdentity): number {
    const instanceId = id.groupInstanceId ?? null;
    if (id.memberId === '' && instanceId !== null) {
      // KIP-345: an admin may remove a static member by its instance id alone.
      const memberId = this.staticMembers.get(instanceId);
      if (memberId === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      this.removeMemberAndUpdateGroup(this.members.get(memberId)!);
      return ErrorCode.NONE;
    }
    if (this.isStaticMemberFenced(instanceId, id.memberId)) return ErrorCode.FENCED_INSTANCE_ID;
    if (this.removePendingMember(id.memberId)) return ErrorCode.NONE;
    const member = this.members.get(id.memberId);
    if (member === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    this.removeMemberAndUpdateGroup(member);
    return ErrorCode.NONE;
  }

  // ---------------------------------------------------------------- DescribeGroups

  /** Kafka's GroupMetadata.summary: member metadata and assignments only when Stable. */
  describe(): DescribedGroup {
    const stable = this.state === 'Stable';
    return {
      errorCode: ErrorCode.NONE,
      groupId: this.groupId,
      groupState: this.state,
      protocolType: this.protocolType ?? '',
      protocolData: stable ? (this.protocolName ?? '') : '',
      members: [...this.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        memberMetadata: stable ? m.metadataFor(this.protocolName ?? '') : EMPTY_BYTES,
        memberAssignment: stable ? m.assignment : EMPTY_BYTES,
      })),
      authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
    };
  }
}

/**
 * One member of a Kafka consumer group, client side (Kafka's ConsumerCoordinator /
 * AbstractCoordinator, classic eager protocol): JoinGroup (with the MEMBER_ID_REQUIRED round trip
 * of v4+), the leader's assignment from the members' ConsumerProtocolSubscription bytes, SyncGroup,
 * heartbeats on a timer, LeaveGroup. It speaks the standard consumer protocol, so kafkajs, librdkafka
 * and Java members can share a group with it.
 *
 * The heartbeat only notices a rebalance (REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION,
 * UNKNOWN_MEMBER_ID) and calls `onRejoinNeeded`; the owner (group-consumer.ts) commits, drops its
 * partitions and calls join() again, so records are never fetched for a partition across a
 * rebalance (eager revocation).
 *
 * Main thread only; owned by one GroupConsumer.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import {
  ASSIGNORS,
  CONSUMER_PROTOCOL_TYPE,
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
  roundRobinAssignor,
  type Assignor,
  type ConsumerProtocolAssignment,
  type ConsumerProtocolSubscription,
} from '../groups/index.js';
import type * as G from '../groups/types.js';
import type { BrookBackend, GroupTransport } from './backend.js';
import { KafkaError } from './kafka-error.js';

export type AssignorName = 'range' | 'roundrobin';

/**
 * An assignor computed by the application instead of Brook's built-in ones (Kafka Streams'
 * StreamsPartitionAssignor is one): its protocol name, the userData of this member's
 * subscription, and the leader's plan from every member's subscription.
 */
export interface CustomAssignor {
  name: string;
  userData(): Buffer | null;
  assign(members: Array<{ memberId: string; subscription: ConsumerProtocolSubscription }>): Promise<Array<{ memberId: string; assignment: Buffer }>>;
}

export interface MembershipOptions {
  groupId: string;
  topic: string;
  /** Topics to subscribe to; default [topic]. */
  topics?: string[];
  assignor: AssignorName;
  /** Replaces the built-in assignors (every member of the group must use the same one). */
  customAssignor?: CustomAssignor;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  heartbeatIntervalMs: number;
}

/** kafkajs' default assignor; computed here with Kafka's round robin, so mixed groups agree on one. */
const KAFKAJS_ROUND_ROBIN = 'RoundRobinAssigner';
/** Bound on join/sync round trips for one join() (each failed one is a rebalance or a retry). */
const JOIN_ATTEMPTS_MAX = 100;
const RETRY_BACKOFF_MS = 100;

/** Codes after which the member must join again; the last two also void its member id. */
const REJOIN_CODES: ReadonlySet<number> = new Set([
  ErrorCode.REBALANCE_IN_PROGRESS, ErrorCode.ILLEGAL_GENERATION, ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.FENCED_INSTANCE_ID,
]);
const COORDINATOR_CODES: ReadonlySet<number> = new Set([
  ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
]);

export function isRejoinCode(errorCode: number): boolean {
  return REJOIN_CODES.has(errorCode);
}

/** The in-process coordinator rejects (instead of answering a code) while it restarts. */
export function isCoordinatorUnavailable(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'COORDINATOR_NOT_AVAILABLE';
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class GroupMembership {
  memberId = '';
  generationId = -1;
  private rejoinNeeded = true;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private heartbeatInFlight = false;
  private stopped = false;
  /** This member's whole assignment in the current generation (all topics, userData). */
  lastAssignment: ConsumerProtocolAssignment | null = null;

  constructor(
    private readonly transport: GroupTransport,
    private readonly backend: BrookBackend,
    private readonly options: MembershipOptions,
    private readonly onRejoinNeeded: () => void,
  ) {}

  get needsRejoin(): boolean {
    return this.rejoinNeeded;
  }

  /** Marks the current generation as over (stops heartbeats) and tells the owner. */
  requestRejoin(errorCode: number = ErrorCode.REBALANCE_IN_PROGRESS): void {
    if (errorCode === ErrorCode.UNKNOWN_MEMBER_ID || errorCode === ErrorCode.FENCED_INSTANCE_ID) this.memberId = '';
    this.stopHeartbeat();
    if (this.rejoinNeeded) return;
    this.rejoinNeeded = true;
    this.onRejoinNeeded();
  }

  /**
   * Joins the group and syncs; resolves with this member's partitions of the topic, or null when
   * stop() was called meanwhile. Throws KafkaError for codes no retry can fix.
   */
  async join(): Promise<number[] | null> {
    for (let attempt = 0; attempt < JOIN_ATTEMPTS_MAX; attempt++) {
      if (this.stopped) return null;
      const join = await this.retrying(() => this.transport.joinGroup(this.joinRequest()));
      if (join === null) continue;
      if (join.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
        this.memberId = join.memberId; // the coordinator's id for us; the next join is the real one
        continue;
      }
      if (!this.retriable(join.errorCode)) throw new KafkaError(join.errorCode, `joining group '${this.options.groupId}'`);
      if (join.errorCode !== ErrorCode.NONE) continue;
      this.memberId = join.memberId;
      this.generationId = join.generationId;
      if (this.stopped) return null;
      const assignments = join.leader !== join.memberId ? [] : this.options.customAssignor !== undefined
        ? await this.options.customAssignor.assign(join.members.map((m) => ({ memberId: m.memberId, subscription: decodeSubscription(m.metadata) })))
        : await this.assign(join);
      const sync = await this.retrying(() => this.transport.syncGroup({
        groupId: this.options.groupId, generationId: this.generationId, memberId: this.memberId, groupInstanceId: null,
        protocolType: CONSUMER_PROTOCOL_TYPE, protocolName: join.protocolName, assignments,
      }));
      if (sync === null) continue;
      if (!this.retriable(sync.errorCode)) throw new KafkaError(sync.errorCode, `syncing group '${this.options.groupId}'`);
      if (sync.errorCode !== ErrorCode.NONE) continue;
      this.rejoinNeeded = false;
      this.startHeartbeat();
      this.lastAssignment = sync.assignment.length === 0 ? { version: 0, assignedPartitions: [], userData: null } : decodeAssignment(sync.assignment);
      return this.partitionsOf(sync.assignment);
    }
    throw new KafkaError(ErrorCode.REBALANCE_IN_PROGRESS, `group '${this.options.groupId}' did not settle after ${JOIN_ATTEMPTS_MAX} join attempts`);
  }

  /** Stops heartbeats and leaves the group (best effort: the session timeout covers a failure). */
  async leave(): Promise<void> {
    this.stopped = true;
    this.stopHeartbeat();
    if (this.memberId === '') return;
    const memberId = this.memberId;
    this.memberId = '';
    this.generationId = -1;
    try {
      await this.transport.leaveGroup({ groupId: this.options.groupId, members: [{ memberId, groupInstanceId: null, reason: 'the consumer is closing' }] });
    } catch {
      // Unreachable coordinator: it expires the member after session.timeout.ms anyway.
    }
  }

  /** No more joins (a pending one returns null when it can). */
  stop(): void {
    this.stopped = true;
    this.stopHeartbeat();
  }

  private joinRequest(): G.JoinGroupRequest {
    const { groupId, topic, sessionTimeoutMs, rebalanceTimeoutMs, assignor, customAssignor } = this.options;
    const topics = this.options.topics ?? [topic];
    if (customAssignor !== undefined) {
      const metadata = encodeSubscription({ version: 0, topics, userData: customAssignor.userData() });
      return {
        groupId, sessionTimeoutMs, rebalanceTimeoutMs, memberId: this.memberId, groupInstanceId: null,
        protocolType: CONSUMER_PROTOCOL_TYPE, protocols: [{ name: customAssignor.name, metadata }], reason: null,
      };
    }
    const metadata = encodeSubscription({ version: 0, topics });
    // The configured assignor first (the coordinator takes the first one all members support),
    // then the others Brook can compute, so a group with kafkajs' or Java's defaults still forms.
    const names = [assignor, ...['range', 'roundrobin', KAFKAJS_ROUND_ROBIN].filter((n) => n !== assignor)];
    return {
      groupId, sessionTimeoutMs, rebalanceTimeoutMs, memberId: this.memberId, groupInstanceId: null,
      protocolType: CONSUMER_PROTOCOL_TYPE, protocols: names.map((name) => ({ name, metadata })), reason: null,
    };
  }

  /** NONE and rejoin codes are handled by looping; coordinator codes after a pause. */
  private retriable(errorCode: number): boolean {
    if (errorCode === ErrorCode.NONE) return true;
    if (REJOIN_CODES.has(errorCode)) {
      if (errorCode === ErrorCode.UNKNOWN_MEMBER_ID || errorCode === ErrorCode.FENCED_INSTANCE_ID) this.memberId = '';
      return true;
    }
    return COORDINATOR_CODES.has(errorCode);
  }

  /** Runs a call; a coordinator that cannot answer yet (code or rejection) gives null after a pause. */
  private async retrying<T extends { errorCode: number }>(call: () => Promise<T>): Promise<T | null> {
    try {
      const response = await call();
      if (COORDINATOR_CODES.has(response.errorCode)) {
        await sleep(RETRY_BACKOFF_MS);
        return null;
      }
      return response;
    } catch (err) {
      if (!isCoordinatorUnavailable(err)) throw err;
      await sleep(RETRY_BACKOFF_MS);
      return null;
    }
  }

  /** The leader's job: every member's partitions from their subscriptions and the topics' sizes. */
  private async assign(join: G.JoinGroupResponse): Promise<{ memberId: string; assignment: Buffer }[]> {
    const assignor = assignorFor(join.protocolName ?? '');
    const subscriptions = new Map<string, { topics: string[] }>();
    for (const member of join.members) {
      let topics: string[] = [];
      try {
        topics = decodeSubscription(member.metadata).topics;
      } catch {
        // A member whose metadata is not the consumer protocol gets nothing rather than breaking the group.
      }
      subscriptions.set(member.memberId, { topics });
    }
    const partitionCounts = new Map<string, number>();
    for (const topic of new Set([...subscriptions.values()].flatMap((s) => s.topics))) {
      const details = await this.backend.describeTopic(topic);
      if (details !== undefined) partitionCounts.set(topic, details.partitionCount);
    }
    const plan = assignor.assign(partitionCounts, subscriptions);
    return [...plan].map(([memberId, topics]) => ({
      memberId,
      assignment: encodeAssignment({ version: 0, assignedPartitions: [...topics].map(([topic, partitions]) => ({ topic, partitions })) }),
    }));
  }

  private partitionsOf(assignment: Buffer): number[] {
    if (assignment.length === 0) return [];
    const assigned = decodeAssignment(assignment).assignedPartitions;
    return assigned.filter((tp) => tp.topic === this.options.topic).flatMap((tp) => tp.partitions).sort((a, b) => a - b);
  }

  private startHeartbeat(): void {
    this.stopHeartbeat();
    const timer = setInterval(() => void this.heartbeat(), this.options.heartbeatIntervalMs);
    // The fetch loop keeps the process alive; a forgotten consumer's timer should not.
    timer.unref();
    this.heartbeatTimer = timer;
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer !== null) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }

  private async heartbeat(): Promise<void> {
    if (this.heartbeatInFlight || this.rejoinNeeded || this.stopped) return;
    this.heartbeatInFlight = true;
    const generationId = this.generationId;
    try {
      const response = await this.transport.heartbeat({
        groupId: this.options.groupId, generationId, memberId: this.memberId, groupInstanceId: null,
      });
      if (REJOIN_CODES.has(response.errorCode) && generationId === this.generationId) this.requestRejoin(response.errorCode);
    } catch {
      // Coordinator restarting or connection trouble: the next beat tries again; the fetch path
      // reports a lost connection.
    } finally {
      this.heartbeatInFlight = false;
    }
  }
}

function assignorFor(protocolName: string): Assignor {
  if (protocolName === KAFKAJS_ROUND_ROBIN) return roundRobinAssignor;
  const assignor = ASSIGNORS.get(protocolName);
  if (assignor === undefined) throw new KafkaError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, `the group chose assignor '${protocolName}', which Brook cannot compute`);
  return assignor;
}

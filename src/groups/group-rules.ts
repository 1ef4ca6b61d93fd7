/**
 * The small rules of Kafka's classic group protocol that do not need a group's private state:
 * configuration bounds, which protocols a group can accept, the protocol vote, error answers.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import type { Member, ProtocolMetadata } from './member.js';
import type { JoinGroupResponse, SyncGroupResponse } from './types.js';

/** Broker settings for groups, named after the Kafka configs they mirror. */
export interface GroupConfig {
  /** group.initial.rebalance.delay.ms: how long a new group waits for more members. */
  initialRebalanceDelayMs: number;
  /** group.min.session.timeout.ms / group.max.session.timeout.ms */
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  /** group.max.size */
  groupMaxSize: number;
  /** Kafka's GroupCoordinator.NewMemberJoinTimeoutMs (not configurable there). */
  newMemberJoinTimeoutMs: number;
  /** offset.metadata.max.bytes */
  offsetMetadataMaxBytes: number;
  /** offsets.retention.minutes, in ms: how long committed offsets outlive their use (KIP-211). */
  offsetsRetentionMs: number;
  /** offsets.retention.check.interval.ms: how often expired offsets are looked for. */
  offsetsRetentionCheckIntervalMs: number;
}

export const DEFAULT_GROUP_CONFIG: Readonly<GroupConfig> = {
  initialRebalanceDelayMs: 3000,
  minSessionTimeoutMs: 6000,
  maxSessionTimeoutMs: 1_800_000,
  groupMaxSize: Number.MAX_SAFE_INTEGER,
  newMemberJoinTimeoutMs: 300_000,
  offsetMetadataMaxBytes: 4096,
  offsetsRetentionMs: 7 * 24 * 3600 * 1000,
  offsetsRetentionCheckIntervalMs: 600_000,
};

/**
 * Kafka's GroupMetadata.supportsProtocols: an empty group takes any non-empty protocol type and
 * list; otherwise the type must match and at least one offered protocol must be supported by
 * every current member.
 */
export function supportsProtocols(
  group: { state: string; protocolType: string | null; members: ReadonlyMap<string, Member> },
  protocolType: string,
  protocols: readonly { name: string }[],
): boolean {
  if (group.state === 'Empty') return protocolType !== '' && protocols.length > 0;
  if (group.protocolType !== protocolType) return false;
  const candidates = candidateProtocols(group.members.values());
  return protocols.some((p) => candidates.has(p.name));
}

/** Protocols every member supports. */
function candidateProtocols(members: Iterable<Member>): Set<string> {
  let candidates: Set<string> | null = null;
  for (const m of members) {
    const names = new Set(m.protocols.map((p) => p.name));
    if (candidates === null) candidates = names;
    else for (const n of [...candidates]) if (!names.has(n)) candidates.delete(n);
  }
  return candidates ?? new Set<string>();
}

/**
 * Kafka's selectProtocol: each member votes for its most preferred protocol among those all
 * members support; the most votes win (ties go to the protocol voted for first, deterministic
 * where Kafka's is unspecified). Null only when the members share no protocol.
 */
export function selectProtocol(members: Iterable<Member>): string | null {
  const list = [...members];
  const candidates = candidateProtocols(list);
  const votes = new Map<string, number>();
  for (const m of list) {
    const choice = m.protocols.find((p: ProtocolMetadata) => candidates.has(p.name));
    if (choice !== undefined) votes.set(choice.name, (votes.get(choice.name) ?? 0) + 1);
  }
  let best: string | null = null;
  let bestVotes = 0;
  for (const [name, count] of votes) {
    if (count > bestVotes) [best, bestVotes] = [name, count];
  }
  return best;
}

export function joinError(errorCode: number, memberId: string): JoinGroupResponse {
  return {
    throttleTimeMs: 0,
    errorCode,
    generationId: -1,
    protocolType: null,
    protocolName: null,
    leader: '',
    skipAssignment: false,
    memberId,
    members: [],
  };
}

export function syncError(errorCode: number): SyncGroupResponse {
  return { throttleTimeMs: 0, errorCode, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) };
}

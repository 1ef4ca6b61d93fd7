/**
 * KIP-320 leader-epoch fencing, shared by Fetch (v9+), ListOffsets (v4+) and OffsetForLeaderEpoch:
 * a request names the leader epoch its sender believes current; Kafka's Partition checks it against
 * the leader's own. One host's epoch only changes when a topic is created again under the same
 * name (metadata-log.ts), so a mismatch means the client's metadata predates that.
 */
import { ErrorCode } from '../../protocol/error-codes.js';

/** "No epoch": the sender does not know or does not check (older versions, old clients). */
export const NO_LEADER_EPOCH = -1;

/**
 * NONE when `currentLeaderEpoch` is unset or matches; FENCED_LEADER_EPOCH when the sender is
 * behind (it must refresh metadata); UNKNOWN_LEADER_EPOCH when it is ahead of us (retriable).
 */
export function leaderEpochError(currentLeaderEpoch: number, leaderEpoch: number): number {
  if (currentLeaderEpoch === NO_LEADER_EPOCH || currentLeaderEpoch === leaderEpoch) return ErrorCode.NONE;
  return currentLeaderEpoch < leaderEpoch ? ErrorCode.FENCED_LEADER_EPOCH : ErrorCode.UNKNOWN_LEADER_EPOCH;
}

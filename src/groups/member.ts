/**
 * One member of a classic-protocol group, as Kafka's MemberMetadata: its timeouts, the protocols
 * it supports (in preference order), its current assignment and the at most one JoinGroup and one
 * SyncGroup it is waiting on. Owned by its Group; not thread-safe.
 */
import type { JoinGroupResponse, SyncGroupResponse } from './types.js';

export interface ProtocolMetadata {
  name: string;
  metadata: Buffer;
}

export type JoinCallback = (response: JoinGroupResponse) => void;
export type SyncCallback = (response: SyncGroupResponse) => void;

export const EMPTY_BYTES: Buffer = Buffer.alloc(0);

export class Member {
  assignment: Buffer = EMPTY_BYTES;
  awaitingJoin: JoinCallback | null = null;
  awaitingSync: SyncCallback | null = null;
  /**
   * A member added during the current rebalance that has not yet received a JoinGroup answer.
   * Kafka gives such members NewMemberJoinTimeoutMs (5 min) instead of keeping them alive forever
   * while they wait, so a client that vanished mid-join does not hold the rebalance hostage.
   */
  isNew = true;

  constructor(
    public memberId: string,
    readonly groupInstanceId: string | null,
    readonly clientId: string,
    readonly clientHost: string,
    public sessionTimeoutMs: number,
    public rebalanceTimeoutMs: number,
    readonly protocolType: string,
    public protocols: ProtocolMetadata[],
    public lastHeartbeatMs: number,
  ) {}

  get isStatic(): boolean {
    return this.groupInstanceId !== null;
  }

  metadataFor(protocolName: string): Buffer {
    return this.protocols.find((p) => p.name === protocolName)?.metadata ?? EMPTY_BYTES;
  }

  /** Same protocols with the same metadata in the same order: a rejoin that changes nothing. */
  matches(protocols: readonly ProtocolMetadata[]): boolean {
    return (
      protocols.length === this.protocols.length &&
      protocols.every((p, i) => p.name === this.protocols[i]!.name && p.metadata.equals(this.protocols[i]!.metadata))
    );
  }

  /**
   * Kafka's MemberMetadata.shouldKeepAlive: a member waiting on JoinGroup is bounded by the
   * rebalance timeout instead (except new members), one waiting on SyncGroup by the leader;
   * otherwise its heartbeats must arrive within sessionTimeoutMs.
   */
  shouldKeepAlive(nowMs: number, newMemberJoinTimeoutMs: number): boolean {
    if (this.awaitingJoin !== null) return !this.isNew || this.lastHeartbeatMs + newMemberJoinTimeoutMs > nowMs;
    if (this.awaitingSync !== null) return true;
    return this.lastHeartbeatMs + this.sessionTimeoutMs > nowMs;
  }
}

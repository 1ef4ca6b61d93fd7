/**
 * The two GroupTransports (backend.ts): one hands Kafka bodies to the in-process Broker's group
 * facade, the other sends them over the Kafka protocol with src/client/. Both are thin; the group
 * protocol itself lives once, in group-consumer.ts / group-membership.ts.
 * Main thread only; owned by the backend that created it.
 */
import type { KafkaClient } from '../client/client.js';
import * as joinGroupApi from '../protocol/apis/join-group.js';
import * as leaveGroupApi from '../protocol/apis/leave-group.js';
import * as offsetCommitApi from '../protocol/apis/offset-commit.js';
import * as offsetDeleteApi from '../protocol/apis/offset-delete.js';
import * as offsetFetchApi from '../protocol/apis/offset-fetch.js';
import * as syncGroupApi from '../protocol/apis/sync-group.js';
import type * as G from '../groups/types.js';
import type { GroupTransport } from './backend.js';

/** What the Broker's group facade offers: one decoded group request in, its response body out. */
export interface GroupFacade {
  handle(apiKey: number, apiVersion: number, body: unknown, ctx: { clientId: string; clientHost: string }): Promise<unknown>;
}

/**
 * The version each in-process call claims: the newest whose body shape GroupTransport uses
 * (JoinGroup v4+ answers MEMBER_ID_REQUIRED first, as real clients see it; OffsetFetch v7 is the
 * last with top-level `topics`).
 */
const IN_PROCESS = {
  offsetCommit: [8, 8], offsetFetch: [9, 7], joinGroup: [11, 7], heartbeat: [12, 4], leaveGroup: [13, 4],
  syncGroup: [14, 5], describeGroups: [15, 5], listGroups: [16, 4], deleteGroups: [42, 2], offsetDelete: [47, 0],
} as const satisfies Record<keyof GroupTransport, readonly [number, number]>;

export class InProcessGroupTransport implements GroupTransport {
  constructor(
    private readonly facade: GroupFacade,
    private readonly ctx: { clientId: string; clientHost: string } = { clientId: 'brook-embedded', clientHost: 'localhost' },
  ) {}

  private call<T>(name: keyof GroupTransport, body: unknown): Promise<T> {
    const [apiKey, apiVersion] = IN_PROCESS[name];
    return this.facade.handle(apiKey, apiVersion, body, this.ctx) as Promise<T>;
  }

  joinGroup(body: G.JoinGroupRequest): Promise<G.JoinGroupResponse> { return this.call('joinGroup', body); }
  syncGroup(body: G.SyncGroupRequest): Promise<G.SyncGroupResponse> { return this.call('syncGroup', body); }
  heartbeat(body: G.HeartbeatRequest): Promise<G.HeartbeatResponse> { return this.call('heartbeat', body); }
  leaveGroup(body: G.LeaveGroupRequest): Promise<G.LeaveGroupResponse> { return this.call('leaveGroup', body); }
  offsetCommit(body: G.OffsetCommitRequest): Promise<G.OffsetCommitResponse> { return this.call('offsetCommit', body); }
  offsetFetch(body: G.OffsetFetchRequest): Promise<G.OffsetFetchResponse> { return this.call('offsetFetch', body); }
  listGroups(body: G.ListGroupsRequest): Promise<G.ListGroupsResponse> { return this.call('listGroups', body); }
  describeGroups(body: G.DescribeGroupsRequest): Promise<G.DescribeGroupsResponse> { return this.call('describeGroups', body); }
  deleteGroups(body: G.DeleteGroupsRequest): Promise<G.DeleteGroupsResponse> { return this.call('deleteGroups', body); }
  offsetDelete(body: G.OffsetDeleteRequest): Promise<G.OffsetDeleteResponse> { return this.call('offsetDelete', body); }
}

/**
 * Over the wire the codecs refuse a field the negotiated version does not carry, so the few
 * version-dependent fields are moved here: LeaveGroup's single memberId (v0-v2) versus `members`
 * (v3+), SyncGroup's protocolType/Name (v5+), OffsetFetch's top-level group (v0-v7) versus
 * `groups` (v8+).
 */
export class NetworkGroupTransport implements GroupTransport {
  constructor(private readonly client: KafkaClient) {}

  private version(codec: Parameters<KafkaClient['connection']['versionFor']>[0]): number {
    return this.client.connection.versionFor(codec);
  }

  async joinGroup(body: G.JoinGroupRequest): Promise<G.JoinGroupResponse> {
    const v = this.version(joinGroupApi);
    const request = { ...body, groupInstanceId: v >= 5 ? (body.groupInstanceId ?? null) : null, reason: v >= 8 ? (body.reason ?? null) : null };
    return this.client.joinGroup(request as Partial<joinGroupApi.JoinGroupRequest>);
  }

  async syncGroup(body: G.SyncGroupRequest): Promise<G.SyncGroupResponse> {
    const v = this.version(syncGroupApi);
    const request = v >= 5 ? body : { ...body, protocolType: null, protocolName: null };
    return this.client.syncGroup(request as Partial<syncGroupApi.SyncGroupRequest>);
  }

  heartbeat(body: G.HeartbeatRequest): Promise<G.HeartbeatResponse> {
    return this.client.heartbeat(body);
  }

  async leaveGroup(body: G.LeaveGroupRequest): Promise<G.LeaveGroupResponse> {
    const v = this.version(leaveGroupApi);
    const members = body.members ?? (body.memberId !== undefined ? [{ memberId: body.memberId }] : []);
    const request = v >= 3
      ? { groupId: body.groupId, members: members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId ?? null, reason: v >= 5 ? (m.reason ?? null) : null })) }
      : { groupId: body.groupId, memberId: members[0]?.memberId ?? '' };
    return this.client.leaveGroup(request as Partial<leaveGroupApi.LeaveGroupRequest>) as Promise<G.LeaveGroupResponse>;
  }

  offsetCommit(body: G.OffsetCommitRequest): Promise<G.OffsetCommitResponse> {
    // Nested entries need every field (commitTimestamp exists only in v1, at its default -1 elsewhere).
    const topics = body.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ ...offsetCommitApi.defaultOffsetCommitRequestPartition(), ...p })),
    }));
    return this.client.offsetCommit({ ...body, topics } as Partial<offsetCommitApi.OffsetCommitRequest>);
  }

  async offsetFetch(body: G.OffsetFetchRequest): Promise<G.OffsetFetchResponse> {
    const v = this.version(offsetFetchApi);
    if (v <= 7) {
      return this.client.offsetFetch({ groupId: body.groupId ?? '', topics: body.topics ?? null, requireStable: false }) as Promise<G.OffsetFetchResponse>;
    }
    const response = await this.client.offsetFetch({
      groups: [{ groupId: body.groupId ?? '', memberId: null, memberEpoch: -1, topics: body.topics ?? null }],
    });
    const group = response.groups[0];
    return {
      throttleTimeMs: response.throttleTimeMs,
      errorCode: group?.errorCode ?? response.errorCode,
      topics: (group?.topics ?? []) as G.OffsetFetchResponseTopic[],
      groups: [],
    };
  }

  listGroups(body: G.ListGroupsRequest): Promise<G.ListGroupsResponse> {
    return this.client.listGroups(body) as Promise<G.ListGroupsResponse>;
  }

  describeGroups(body: G.DescribeGroupsRequest): Promise<G.DescribeGroupsResponse> {
    return this.client.describeGroups(body) as Promise<G.DescribeGroupsResponse>;
  }

  deleteGroups(body: G.DeleteGroupsRequest): Promise<G.DeleteGroupsResponse> {
    return this.client.deleteGroups(body);
  }

  offsetDelete(body: G.OffsetDeleteRequest): Promise<G.OffsetDeleteResponse> {
    return this.client.call(offsetDeleteApi, body as Partial<offsetDeleteApi.OffsetDeleteRequest>);
  }
}

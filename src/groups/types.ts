/**
 * Request and response bodies of the group APIs: the generated codecs' own types
 * (src/protocol/apis/*.ts, from Kafka's JSON schemas), so the coordinator and the wire cannot drift
 * apart. On requests, the fields that only some versions carry are optional (a coordinator call
 * made by Brook's own client or tests leaves them out); the coordinator reads them per version.
 */
import type * as join from '../protocol/apis/join-group.js';
import type * as sync from '../protocol/apis/sync-group.js';
import type * as heartbeat from '../protocol/apis/heartbeat.js';
import type * as leave from '../protocol/apis/leave-group.js';
import type * as commit from '../protocol/apis/offset-commit.js';
import type * as fetch from '../protocol/apis/offset-fetch.js';
import type * as list from '../protocol/apis/list-groups.js';
import type * as describe from '../protocol/apis/describe-groups.js';
import type * as del from '../protocol/apis/delete-groups.js';
import type * as offsetDelete from '../protocol/apis/offset-delete.js';

/** A codec type whose `K` fields (present only in some versions) may be left out. */
type WithOptional<T, K extends keyof T> = Omit<T, K> & Partial<Pick<T, K>>;

/** Connection facts from the request header that JoinGroup and DescribeGroups need. */
export interface RequestContext {
  clientId: string;
  clientHost: string;
}

export type JoinGroupRequest = WithOptional<join.JoinGroupRequest, 'rebalanceTimeoutMs' | 'groupInstanceId' | 'reason'>;
export type JoinGroupResponseMember = join.JoinGroupResponseMember;
export type JoinGroupResponse = join.JoinGroupResponse;

export type SyncGroupRequest = WithOptional<sync.SyncGroupRequest, 'groupInstanceId' | 'protocolType' | 'protocolName'>;
export type SyncGroupResponse = sync.SyncGroupResponse;

export type HeartbeatRequest = WithOptional<heartbeat.HeartbeatRequest, 'groupInstanceId'>;
export type HeartbeatResponse = heartbeat.HeartbeatResponse;

export type MemberIdentity = WithOptional<leave.MemberIdentity, 'groupInstanceId' | 'reason'>;
export type LeaveGroupRequest = Omit<WithOptional<leave.LeaveGroupRequest, 'memberId' | 'members'>, 'members'> & { members?: MemberIdentity[] };
export type LeaveGroupResponse = leave.LeaveGroupResponse;

type CommitPartition = WithOptional<commit.OffsetCommitRequestPartition, 'committedLeaderEpoch' | 'commitTimestamp'>;
export type OffsetCommitRequest = Omit<WithOptional<commit.OffsetCommitRequest, 'generationIdOrMemberEpoch' | 'memberId' | 'groupInstanceId' | 'retentionTimeMs'>, 'topics'>
  & { topics: { name: string; partitions: CommitPartition[] }[] };
export type OffsetCommitResponse = commit.OffsetCommitResponse;

export type OffsetFetchRequestTopic = fetch.OffsetFetchRequestTopic;
export type OffsetFetchRequest = Omit<WithOptional<fetch.OffsetFetchRequest, 'groupId' | 'topics' | 'requireStable'>, 'groups'>
  & { groups?: WithOptional<fetch.OffsetFetchRequestGroup, 'memberId' | 'memberEpoch'>[] };
export type OffsetFetchResponsePartition = fetch.OffsetFetchResponsePartition;
export type OffsetFetchResponseTopic = fetch.OffsetFetchResponseTopic;
export type OffsetFetchResponse = fetch.OffsetFetchResponse;

export type ListGroupsRequest = Partial<list.ListGroupsRequest>;
export type ListGroupsResponse = list.ListGroupsResponse;

export type DescribeGroupsRequest = WithOptional<describe.DescribeGroupsRequest, 'includeAuthorizedOperations'>;
export type DescribedGroupMember = describe.DescribedGroupMember;
export type DescribedGroup = describe.DescribedGroup;
export type DescribeGroupsResponse = describe.DescribeGroupsResponse;

export type DeleteGroupsRequest = del.DeleteGroupsRequest;
export type DeleteGroupsResponse = del.DeleteGroupsResponse;

export type OffsetDeleteRequest = offsetDelete.OffsetDeleteRequest;
export type OffsetDeleteResponse = offsetDelete.OffsetDeleteResponse;

/**
 * Authorization for the consumer-group APIs, as a wrapper around their handlers (registered by
 * handlers/index.ts), so the group handlers stay about groups. Answers as Kafka's KafkaApis does:
 *
 *   JoinGroup, SyncGroup, Heartbeat,
 *   LeaveGroup                             group read       else GROUP_AUTHORIZATION_FAILED
 *   OffsetCommit                           group read, and topic read per topic (TOPIC_AUTHORIZATION_FAILED
 *                                          on its partitions; the allowed ones are still committed)
 *   OffsetDelete                           group delete, and topic read per topic
 *   DescribeGroups / DeleteGroups          group describe / delete, per group
 *   ListGroups                             lists only the groups the principal may describe
 *
 * FindCoordinator and OffsetFetch check their groups themselves (v4+ / v8+ batch several groups
 * per request; see handlers/groups/). Without a session (or
 * without --acl) every check passes and the wrapped handler runs unchanged.
 */
import * as commit from '../../protocol/apis/offset-commit.js';
import * as describeGroups from '../../protocol/apis/describe-groups.js';
import * as deleteGroups from '../../protocol/apis/delete-groups.js';
import * as offsetDelete from '../../protocol/apis/offset-delete.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { ApiHandler, RequestContext } from '../handler.js';
import { allowed } from './session.js';

const GAF = ErrorCode.GROUP_AUTHORIZATION_FAILED;
const TAF = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
const MEMBERSHIP_KEYS = new Set([11, 12, 13, 14]); // JoinGroup, Heartbeat, LeaveGroup, SyncGroup

type Handle = (request: any, context: RequestContext) => Promise<any>;

export function withGroupAcls<Request, Response>(handler: ApiHandler<Request, Response>): ApiHandler<Request, Response> {
  const inner: Handle = async (request, context) => handler.handle(request, context);
  const guard = guardFor(handler.codec.API_KEY, inner, handler);
  if (guard === null) return handler;
  return { ...handler, handle: (request, context) => (context.session === undefined ? inner(request, context) : guard(request, context)) };
}

function guardFor(apiKey: number, inner: Handle, handler: ApiHandler<any, any>): Handle | null {
  if (MEMBERSHIP_KEYS.has(apiKey)) {
    return async (request, context) => {
      if (allowed(context, 'read', 'group', request.groupId)) return inner(request, context);
      // Each of these responses has a top-level errorCode; JoinGroup echoes the memberId.
      return { ...handler.errorResponse!(GAF, context.apiVersion), memberId: request.memberId ?? '' };
    };
  }
  switch (apiKey) {
    case commit.API_KEY:
      return (request, context) => offsetCommit(request, context, inner);
    case offsetDelete.API_KEY:
      return guardedOffsetDelete(inner);
    case describeGroups.API_KEY:
      return perGroup('describe', inner, (request: describeGroups.DescribeGroupsRequest) => request.groups, (groups) => ({ groups }),
        (response: describeGroups.DescribeGroupsResponse) => response.groups, (groupId) => ({ ...describeGroups.defaultDescribedGroup(), groupId, errorCode: GAF }),
        (response, groups) => ({ ...response, groups }));
    case deleteGroups.API_KEY:
      return perGroup('delete', inner, (request: deleteGroups.DeleteGroupsRequest) => request.groupsNames, (groupsNames) => ({ groupsNames }),
        (response: deleteGroups.DeleteGroupsResponse) => response.results, (groupId) => ({ ...deleteGroups.defaultDeletableGroupResult(), groupId, errorCode: GAF }),
        (response, results) => ({ ...response, results }));
    case 16: // ListGroups
      return async (request, context) => {
        const response = await inner(request, context);
        return { ...response, groups: response.groups.filter((g: { groupId: string }) => allowed(context, 'describe', 'group', g.groupId)) };
      };
    default:
      return null;
  }
}

/** DescribeGroups / DeleteGroups: denied groups answered here, the rest forwarded, request order kept. */
function perGroup<Req, Res, Item extends { groupId: string }>(
  operation: 'describe' | 'delete',
  inner: Handle,
  namesOf: (request: Req) => string[],
  withNames: (names: string[]) => Partial<Req>,
  itemsOf: (response: Res) => Item[],
  denied: (groupId: string) => Item,
  withItems: (response: Res, items: Item[]) => Res,
): Handle {
  return async (request: Req, context) => {
    const names = namesOf(request);
    const permitted = names.filter((name) => allowed(context, operation, 'group', name));
    const response: Res = await inner({ ...request, ...withNames(permitted) }, context);
    const answered = new Map(itemsOf(response).map((item) => [item.groupId, item]));
    return withItems(response, names.map((name) => answered.get(name) ?? denied(name)));
  };
}

async function offsetCommit(request: commit.OffsetCommitRequest, context: RequestContext, inner: Handle): Promise<commit.OffsetCommitResponse> {
  const groupDenied = !allowed(context, 'read', 'group', request.groupId);
  const refusedTopic = (topic: commit.OffsetCommitRequestTopic, errorCode: number): commit.OffsetCommitResponseTopic => ({
    ...commit.defaultOffsetCommitResponseTopic(),
    name: topic.name,
    partitions: topic.partitions.map((p) => ({ ...commit.defaultOffsetCommitResponsePartition(), partitionIndex: p.partitionIndex, errorCode })),
  });
  if (groupDenied) return { ...commit.defaultOffsetCommitResponse(), topics: request.topics.map((t) => refusedTopic(t, GAF)) };
  const permitted = request.topics.filter((t) => allowed(context, 'read', 'topic', t.name));
  const response: commit.OffsetCommitResponse =
    permitted.length > 0 ? await inner({ ...request, topics: permitted }, context) : commit.defaultOffsetCommitResponse();
  const answered = new Map(response.topics.map((t) => [t.name, t]));
  return { ...response, topics: request.topics.map((t) => answered.get(t.name) ?? refusedTopic(t, TAF)) };
}

function guardedOffsetDelete(inner: Handle): Handle {
  return async (request: offsetDelete.OffsetDeleteRequest, context) => {
    if (!allowed(context, 'delete', 'group', request.groupId)) return { ...offsetDelete.defaultOffsetDeleteResponse(), errorCode: GAF };
    const permitted = request.topics.filter((t) => allowed(context, 'read', 'topic', t.name));
    const response: offsetDelete.OffsetDeleteResponse =
      permitted.length > 0 ? await inner({ ...request, topics: permitted }, context) : offsetDelete.defaultOffsetDeleteResponse();
    const answered = new Map(response.topics.map((t) => [t.name, t]));
    const refused = (t: offsetDelete.OffsetDeleteRequestTopic): offsetDelete.OffsetDeleteResponseTopic => ({
      ...offsetDelete.defaultOffsetDeleteResponseTopic(),
      name: t.name,
      partitions: t.partitions.map((p) => ({ ...offsetDelete.defaultOffsetDeleteResponsePartition(), partitionIndex: p.partitionIndex, errorCode: TAF })),
    });
    return { ...response, topics: request.topics.map((t) => answered.get(t.name) ?? refused(t)) };
  };
}

/**
 * Committed offsets: OffsetCommit (8) v0-9, OffsetFetch (9) v0-9, OffsetDelete (47) v0. Stored by
 * the group's coordinator worker in its __consumer_offsets partition before the commit is answered.
 * (Kafka 0.8 kept v0 commits in ZooKeeper; one host keeps every version in the same store.)
 *
 * OffsetFetch: v0-v7 ask for one group, v8+ for several (KIP-709), each routed to the worker that
 * owns it; topics null (v2+, and per group in v8+) means every offset the group committed, at every
 * version including the flexible ones. Authorization per group (DESCRIBE, else
 * GROUP_AUTHORIZATION_FAILED) and per topic (DESCRIBE, else TOPIC_AUTHORIZATION_FAILED; "all
 * topics" leaves undescribable ones out), as Kafka's KafkaApis. v0-v1 have no top-level error
 * code: a group-level error goes on every requested partition.
 */
import * as commit from '../../../protocol/apis/offset-commit.js';
import * as fetch from '../../../protocol/apis/offset-fetch.js';
import * as del from '../../../protocol/apis/offset-delete.js';
import { ErrorCode } from '../../../protocol/error-codes.js';
import { defineHandler, type RequestContext } from '../../handler.js';
import { allowed } from '../../security/session.js';
import { forward } from './groups-of.js';

/** The single-group shape the coordinator serves (v7: requireStable, no batching). */
const COORDINATOR_FETCH_VERSION = 7;
/** The first OffsetFetch version with a top-level error code, with leader epochs, with groups. */
const TOP_LEVEL_ERROR_FROM = 2;
const LEADER_EPOCH_FROM = 5;
const BATCHED_FROM = 8;

export const offsetCommitHandler = defineHandler<commit.OffsetCommitRequest, commit.OffsetCommitResponse>({
  codec: commit,
  exclusive: false,
  async handle(request, context) {
    // Every partition of the request carries the error: OffsetCommit has no top-level code.
    const fail = (errorCode: number): commit.OffsetCommitResponse => ({
      ...commit.defaultOffsetCommitResponse(),
      topics: request.topics.map((t) => ({
        ...commit.defaultOffsetCommitResponseTopic(),
        name: t.name,
        partitions: t.partitions.map((p) => ({ ...commit.defaultOffsetCommitResponsePartition(), partitionIndex: p.partitionIndex, errorCode })),
      })),
    });
    return { ...commit.defaultOffsetCommitResponse(), ...(await forward(commit.API_KEY, request, context, fail)) };
  },
  errorResponse: () => commit.defaultOffsetCommitResponse(),
});

interface GroupQuery {
  groupId: string;
  topics: fetch.OffsetFetchRequestTopic[] | null;
}

interface GroupAnswer {
  errorCode: number;
  topics: fetch.OffsetFetchResponseTopic[];
}

export const offsetFetchHandler = defineHandler<fetch.OffsetFetchRequest, fetch.OffsetFetchResponse>({
  codec: fetch,
  exclusive: false,
  async handle(request, context) {
    const version = context.apiVersion;
    const queries: GroupQuery[] = version >= BATCHED_FROM
      ? request.groups.map((g) => ({ groupId: g.groupId, topics: g.topics }))
      : [{ groupId: request.groupId, topics: request.topics }];
    const answers = await Promise.all(queries.map((q) => fetchGroup(q, request.requireStable, context)));
    const shaped = answers.map((answer) => ({ ...answer, topics: answer.topics.map((t) => withEpochs(t, version)) }));
    if (version >= BATCHED_FROM) {
      const groups = shaped.map((answer, i) => ({
        ...fetch.defaultOffsetFetchResponseGroup(),
        groupId: queries[i]!.groupId,
        errorCode: answer.errorCode,
        topics: answer.errorCode === ErrorCode.NONE ? answer.topics : [],
      }));
      return { ...fetch.defaultOffsetFetchResponse(), groups };
    }
    const [answer] = shaped;
    if (version >= TOP_LEVEL_ERROR_FROM) return { ...fetch.defaultOffsetFetchResponse(), errorCode: answer!.errorCode, topics: answer!.topics };
    // v0-v1: the group's error on every requested partition.
    const topics = answer!.errorCode === ErrorCode.NONE ? answer!.topics : partitionsWithError(queries[0]!.topics ?? [], answer!.errorCode);
    return { ...fetch.defaultOffsetFetchResponse(), topics };
  },
  errorResponse: (errorCode, version) => ({
    ...fetch.defaultOffsetFetchResponse(),
    errorCode: version >= TOP_LEVEL_ERROR_FROM && version < BATCHED_FROM ? errorCode : 0,
  }),
});

/** One group's committed offsets, authorized, from the coordinator that owns it. */
async function fetchGroup(query: GroupQuery, requireStable: boolean, context: RequestContext): Promise<GroupAnswer> {
  if (!allowed(context, 'describe', 'group', query.groupId)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, topics: [] };
  const describable = (name: string): boolean => allowed(context, 'describe', 'topic', name);
  const permitted = query.topics === null ? null : query.topics.filter((t) => describable(t.name));
  const body = { groupId: query.groupId, topics: permitted, requireStable };
  const fail = (errorCode: number): fetch.OffsetFetchResponse => ({ ...fetch.defaultOffsetFetchResponse(), errorCode });
  const response = permitted !== null && permitted.length === 0 && query.topics!.length > 0
    ? fetch.defaultOffsetFetchResponse()
    : await forward(fetch.API_KEY, body, { ...context, apiVersion: COORDINATOR_FETCH_VERSION }, fail);
  if (response.errorCode !== ErrorCode.NONE) return { errorCode: response.errorCode, topics: [] };
  if (query.topics === null) return { errorCode: ErrorCode.NONE, topics: response.topics.filter((t) => describable(t.name)) };
  const answered = new Map(response.topics.map((t) => [t.name, t]));
  const refused = (t: fetch.OffsetFetchRequestTopic): fetch.OffsetFetchResponseTopic => partitionsWithError([t], ErrorCode.TOPIC_AUTHORIZATION_FAILED)[0]!;
  return { errorCode: ErrorCode.NONE, topics: query.topics.map((t) => answered.get(t.name) ?? refused(t)) };
}

function partitionsWithError(topics: fetch.OffsetFetchRequestTopic[], errorCode: number): fetch.OffsetFetchResponseTopic[] {
  return topics.map((t) => ({
    ...fetch.defaultOffsetFetchResponseTopic(),
    name: t.name,
    partitions: t.partitionIndexes.map((partitionIndex) => ({
      ...fetch.defaultOffsetFetchResponsePartition(), partitionIndex, committedOffset: -1, metadata: '', errorCode,
    })),
  }));
}

/** Leader epochs exist from v5; earlier versions must carry the default (-1). */
function withEpochs(topic: fetch.OffsetFetchResponseTopic, version: number): fetch.OffsetFetchResponseTopic {
  if (version >= LEADER_EPOCH_FROM) return topic;
  return { ...topic, partitions: topic.partitions.map((p) => ({ ...p, committedLeaderEpoch: -1 })) };
}

export const offsetDeleteHandler = defineHandler<del.OffsetDeleteRequest, del.OffsetDeleteResponse>({
  codec: del,
  exclusive: false,
  async handle(request, context) {
    const fail = (errorCode: number): del.OffsetDeleteResponse => ({ ...del.defaultOffsetDeleteResponse(), errorCode });
    return { ...del.defaultOffsetDeleteResponse(), ...(await forward(del.API_KEY, request, context, fail)) };
  },
  errorResponse: (errorCode) => ({ ...del.defaultOffsetDeleteResponse(), errorCode }),
});

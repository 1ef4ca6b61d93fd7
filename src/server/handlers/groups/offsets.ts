/**
 * Committed offsets: OffsetCommit (8) v2-5, OffsetFetch (9) v1-4, OffsetDelete (47) v0. Stored by
 * the group's coordinator worker in its __consumer_offsets partition before the commit is answered.
 */
import * as commit from '../../../protocol/apis/offset-commit.js';
import * as fetch from '../../../protocol/apis/offset-fetch.js';
import * as del from '../../../protocol/apis/offset-delete.js';
import { defineHandler } from '../../handler.js';
import { forward } from './groups-of.js';

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

export const offsetFetchHandler = defineHandler<fetch.OffsetFetchRequest, fetch.OffsetFetchResponse>({
  codec: fetch,
  exclusive: false,
  async handle(request, context) {
    // v2+ has a top-level code; v1 clients read it per partition, so both carry it.
    const fail = (errorCode: number): fetch.OffsetFetchResponse => ({
      ...fetch.defaultOffsetFetchResponse(),
      errorCode: context.apiVersion >= 2 ? errorCode : 0,
      topics: (request.topics ?? []).map((t) => ({
        ...fetch.defaultOffsetFetchResponseTopic(),
        name: t.name,
        partitions: t.partitionIndexes.map((partitionIndex) => ({
          ...fetch.defaultOffsetFetchResponsePartition(), partitionIndex, committedOffset: -1, errorCode,
        })),
      })),
    });
    const response = { ...fetch.defaultOffsetFetchResponse(), ...(await forward(fetch.API_KEY, request, context, fail)) };
    if (context.apiVersion < 2) response.errorCode = 0; // not in v1's layout
    return response;
  },
  errorResponse: (errorCode, version) => ({ ...fetch.defaultOffsetFetchResponse(), errorCode: version >= 2 ? errorCode : 0 }),
});

export const offsetDeleteHandler = defineHandler<del.OffsetDeleteRequest, del.OffsetDeleteResponse>({
  codec: del,
  exclusive: false,
  async handle(request, context) {
    const fail = (errorCode: number): del.OffsetDeleteResponse => ({ ...del.defaultOffsetDeleteResponse(), errorCode });
    return { ...del.defaultOffsetDeleteResponse(), ...(await forward(del.API_KEY, request, context, fail)) };
  },
  errorResponse: (errorCode) => ({ ...del.defaultOffsetDeleteResponse(), errorCode }),
});

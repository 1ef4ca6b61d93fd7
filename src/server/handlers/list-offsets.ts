/**
 * ListOffsets (api key 2), v0-v9, per partition by Kafka's special timestamps:
 *   -1 latest (the high watermark; without transactions also the last stable offset),
 *   -2 earliest (log start), -4 earliest local (v8+, KIP-405: log start, there is no tiered
 *   storage), -5 latest tiered (v9+, KIP-1005: offset -1, nothing is tiered), -3 max timestamp
 *   (v7+, KIP-734: the first record carrying the largest timestamp),
 *   else the first offset whose timestamp is >= the one asked (offset and timestamp -1 when none).
 * v4+ answer the leader epoch of the offset found and check the client's current leader epoch
 * (leader-epoch.ts). v0 answers `oldStyleOffsets`: at most one offset here (Kafka listed segment
 * start offsets too, newest first, which no client of that era needed beyond the first), none when
 * maxNumOffsets is 0. A partition listed twice answers INVALID_REQUEST, as Kafka does.
 */
import * as api from '../../protocol/apis/list-offsets.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { BrokerApi } from '../broker-api.js';
import { defineHandler, type RequestContext } from '../handler.js';
import { kafkaErrorOf } from './errors.js';
import { allowed } from '../security/session.js';
import { leaderEpochError } from './leader-epoch.js';

type PartitionResponse = api.ListOffsetsPartitionResponse;

export const ListOffsetsTimestamp = { LATEST: -1, EARLIEST: -2, MAX_TIMESTAMP: -3, EARLIEST_LOCAL: -4, LATEST_TIERED: -5 } as const;

/** Timestamps beyond this are past any real clock; the max-timestamp search stops there. */
const TIMESTAMP_SEARCH_MAX = Number.MAX_SAFE_INTEGER;

interface Found {
  errorCode: number;
  offset: number;
  timestamp: number;
}

export const listOffsetsHandler = defineHandler<api.ListOffsetsRequest, api.ListOffsetsResponse>({
  codec: api,
  exclusive: false,
  async handle(request, context: RequestContext): Promise<api.ListOffsetsResponse> {
    const version = context.apiVersion;
    const seen = new Set<string>();
    const duplicates = new Set<string>();
    for (const topic of request.topics) {
      for (const partition of topic.partitions) {
        const id = `${topic.name}\u0000${partition.partitionIndex}`;
        if (seen.has(id)) duplicates.add(id);
        seen.add(id);
      }
    }
    const topics = await Promise.all(
      request.topics.map(async (topic) => ({
        ...api.defaultListOffsetsTopicResponse(),
        name: topic.name,
        partitions: await Promise.all(
          topic.partitions.map(async (partition): Promise<PartitionResponse> => {
            const answer = (errorCode: number, found?: Found, leaderEpoch = -1): PartitionResponse =>
              partitionResponse(version, partition, errorCode, found, leaderEpoch);
            if (duplicates.has(`${topic.name}\u0000${partition.partitionIndex}`)) return answer(ErrorCode.INVALID_REQUEST);
            if (!allowed(context, 'describe', 'topic', topic.name)) return answer(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
            const info = context.server.broker.topic(topic.name);
            if (info === undefined) return answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
            const fenced = leaderEpochError(partition.currentLeaderEpoch, info.leaderEpoch);
            if (fenced !== ErrorCode.NONE) return answer(fenced);
            try {
              const found = await lookUp(context.server.broker, topic.name, partition.partitionIndex, partition.timestamp);
              if (found.errorCode !== ErrorCode.NONE) return answer(found.errorCode);
              return answer(ErrorCode.NONE, found, found.offset >= 0 ? info.leaderEpoch : -1);
            } catch (error) {
              return answer(kafkaErrorOf(error).errorCode);
            }
          }),
        ),
      })),
    );
    return { ...api.defaultListOffsetsResponse(), topics };
  },
  errorResponse: () => api.defaultListOffsetsResponse(),
});

function partitionResponse(version: number, partition: api.ListOffsetsPartition, errorCode: number, found: Found | undefined, leaderEpoch: number): PartitionResponse {
  const base = { ...api.defaultListOffsetsPartitionResponse(), partitionIndex: partition.partitionIndex, errorCode };
  if (found === undefined || errorCode !== ErrorCode.NONE) return base;
  if (version === 0) {
    const oldStyleOffsets = found.offset >= 0 && partition.maxNumOffsets > 0 ? [found.offset] : [];
    return { ...base, oldStyleOffsets };
  }
  return { ...base, offset: found.offset, timestamp: found.timestamp, leaderEpoch: version >= 4 ? leaderEpoch : -1 };
}

async function lookUp(broker: BrokerApi, topic: string, partition: number, timestamp: number): Promise<Found> {
  switch (timestamp) {
    case ListOffsetsTimestamp.EARLIEST_LOCAL:
      return broker.listOffset(topic, partition, ListOffsetsTimestamp.EARLIEST);
    case ListOffsetsTimestamp.LATEST_TIERED: {
      const state = await broker.listOffset(topic, partition, ListOffsetsTimestamp.EARLIEST);
      return { errorCode: state.errorCode, offset: -1, timestamp: -1 };
    }
    case ListOffsetsTimestamp.MAX_TIMESTAMP:
      return maxTimestampOffset(broker, topic, partition);
    default:
      return broker.listOffset(topic, partition, timestamp);
  }
}

/**
 * The first record with the largest timestamp, found through the time index alone: the largest T
 * for which "first offset with timestamp >= T" exists, by bisection (~53 lookups at most), then
 * that lookup's offset. Only Broker.listOffset is used, so the engine needs no extra method.
 */
async function maxTimestampOffset(broker: BrokerApi, topic: string, partition: number): Promise<Found> {
  const first = await broker.listOffset(topic, partition, 0);
  if (first.errorCode !== ErrorCode.NONE || first.offset < 0) return { errorCode: first.errorCode, offset: -1, timestamp: -1 };
  let low = first.timestamp; // found
  let high = TIMESTAMP_SEARCH_MAX; // not found (nothing is stamped at the end of safe integers)
  while (high - low > 1) {
    const middle = low + Math.floor((high - low) / 2);
    const probe = await broker.listOffset(topic, partition, middle);
    if (probe.errorCode !== ErrorCode.NONE) return { errorCode: probe.errorCode, offset: -1, timestamp: -1 };
    if (probe.offset >= 0) low = Math.max(middle, probe.timestamp);
    else high = middle;
  }
  const found = await broker.listOffset(topic, partition, low);
  return { errorCode: found.errorCode, offset: found.offset, timestamp: low };
}

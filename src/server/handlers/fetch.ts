/**
 * Fetch (api key 1), v4-v11, sessionless (KIP-227 fetch sessions are declined: we always answer
 * sessionId 0, which tells a client to keep sending full fetches; a request naming a session id
 * gets FETCH_SESSION_ID_NOT_FOUND).
 *
 * maxWaitMs / minBytes / maxBytes / partitionMaxBytes are handed to Broker.fetch (which long-polls
 * and always returns at least one whole batch for the first non-empty partition, KIP-74), clamped
 * to Brook's limits. No transactions exist, so for either isolationLevel the last stable offset is
 * the high watermark and abortedTransactions is an empty array (never null: librdkafka reads it
 * under read_committed, its default). The record bytes the Broker read go into the response
 * frame by reference (Writer.writeChunk), not copied.
 */
import * as api from '../../protocol/apis/fetch.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { FETCH_MAX_BYTES, FETCH_MAX_WAIT_MS_LIMIT } from '../../common/limits.js';
import type { FetchPartitionRequest, FetchPartitionResult } from '../broker-api.js';
import { defineHandler, type RequestContext } from '../handler.js';
import { allowed } from '../security/session.js';

type Request = api.FetchRequest;
type Response = api.FetchResponse;
type PartitionData = api.PartitionData;

const EMPTY_RECORDS = Buffer.alloc(0);

export const fetchHandler = defineHandler<Request, Response>({
  codec: api,
  exclusive: false,
  async handle(request: Request, context: RequestContext): Promise<Response> {
    if (request.sessionId !== 0) return errorBody(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
    const wanted: FetchPartitionRequest[] = [];
    const deniedTopics = new Set<string>();
    for (const topic of request.topics) {
      if (!allowed(context, 'read', 'topic', topic.topic)) {
        deniedTopics.add(topic.topic);
        continue;
      }
      for (const partition of topic.partitions) {
        wanted.push({
          topic: topic.topic,
          partition: partition.partition,
          fetchOffset: partition.fetchOffset,
          partitionMaxBytes: clamp(partition.partitionMaxBytes, 0, FETCH_MAX_BYTES),
        });
      }
    }
    const budget = context.server.fetchBudget;
    // The records go into the response by reference: pooled buffers only when we learn that it
    // was written (and may then be reused), fresh ones otherwise.
    const buffers = context.afterResponseWritten === undefined ? undefined : context.server.fetchBuffers;
    // The engine takes from the budget what it read (FetchOptions.budget); released once written.
    // Every partition denied: answer now, as Kafka does, rather than long-poll on nothing for maxWaitMs
    // (which also held every later request of the connection behind it).
    const nothingReadable = wanted.length === 0 && deniedTopics.size > 0;
    const results = nothingReadable ? [] : await context.server.broker.fetch(wanted, {
      maxWaitMs: clamp(request.maxWaitMs, 0, FETCH_MAX_WAIT_MS_LIMIT),
      minBytes: Math.max(0, request.minBytes),
      maxBytes: clamp(request.maxBytes, 0, FETCH_MAX_BYTES),
      budget,
      ...(buffers === undefined ? {} : { buffers }),
    });
    const heldBytes = results.reduce((sum, result) => sum + (result.records?.length ?? 0), 0);
    const releaseHeld = () => {
      budget?.release(heldBytes);
      if (buffers !== undefined) for (const result of results) buffers.release(result.records);
    };
    if (context.afterResponseWritten === undefined) releaseHeld();
    else context.afterResponseWritten(releaseHeld);
    const byKey = new Map<string, FetchPartitionResult>();
    for (const result of results) byKey.set(key(result.topic, result.partition), result);
    return {
      ...api.defaultFetchResponse(),
      responses: request.topics.map((topic) => ({
        ...api.defaultFetchableTopicResponse(),
        topic: topic.topic,
        partitions: topic.partitions.map((partition) =>
          deniedTopics.has(topic.topic)
            ? { ...partitionData(partition.partition, undefined), errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED }
            : partitionData(partition.partition, byKey.get(key(topic.topic, partition.partition))),
        ),
      })),
    };
  },
  errorResponse: (errorCode) => errorBody(errorCode),
});

function partitionData(partitionIndex: number, result: FetchPartitionResult | undefined): PartitionData {
  const found = result ?? {
    errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    highWatermark: -1,
    lastStableOffset: -1,
    logStartOffset: -1,
    records: null,
  };
  return {
    ...api.defaultPartitionData(),
    partitionIndex,
    errorCode: found.errorCode,
    highWatermark: found.highWatermark,
    // No transactions: everything below the high watermark is stable.
    lastStableOffset: found.highWatermark,
    logStartOffset: found.logStartOffset,
    abortedTransactions: [],
    preferredReadReplica: -1,
    // Never null: Kafka answers a partition with an error with empty records (size 0), and
    // librdkafka cannot parse a size of -1 (it refetches forever and never applies
    // auto.offset.reset).
    records: found.records ?? EMPTY_RECORDS,
  };
}

function errorBody(errorCode: number): Response {
  return { ...api.defaultFetchResponse(), errorCode };
}

function key(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

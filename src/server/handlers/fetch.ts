/**
 * Fetch (api key 1), v0-v17, sessionless (KIP-227 fetch sessions are declined: we always answer
 * sessionId 0, which tells a client to keep sending full fetches; a request naming a session id
 * gets FETCH_SESSION_ID_NOT_FOUND).
 *
 * maxWaitMs / minBytes / maxBytes / partitionMaxBytes are handed to Broker.fetch (which long-polls
 * and always returns at least one whole batch for the first non-empty partition, KIP-74), clamped
 * to Brook's limits (v0-v2 have no maxBytes: its default, int32 max, is clamped the same way). No
 * transactions exist, so for either isolationLevel the last stable offset is the high watermark
 * and abortedTransactions is an empty array (never null: librdkafka reads it under
 * read_committed, its default). The record bytes the Broker read go into the response frame by
 * reference (Writer.writeChunk), not copied.
 *
 * By version: v13+ name topics by id (an unknown id: UNKNOWN_TOPIC_ID); v9+ carry the leader
 * epoch the client believes current (leader-epoch.ts; a mismatch answers FENCED_LEADER_EPOCH or
 * UNKNOWN_LEADER_EPOCH, with the current leader at v12+ as KIP-951 asks); below v10 a topic
 * whose compression.type is zstd answers UNSUPPORTED_COMPRESSION_TYPE, as Kafka decides it (by the
 * topic's config, not the batches: kafka-python 2.0.2 produces zstd at Produce v7 yet fetches at
 * v4, and reads zstd batches of a `producer` topic fine); v0-v3 consumers read message format 0
 * (v0-v1) or 1 (v2-v3), so their records are down-converted (legacy-records.ts), as Kafka 3.9 does,
 * unless the topic's message.downconversion.enable is false: then a partition with records to
 * convert answers UNSUPPORTED_VERSION (Kafka's KafkaApis does the same for consumers).
 *
 * A partition with an error always gets empty records (size 0), never null (-1): librdkafka cannot
 * parse -1, refetches in a loop and never applies auto.offset.reset.
 */
import * as api from '../../protocol/apis/fetch.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { downConvert } from '../../protocol/legacy-records.js';
import { FETCH_MAX_BYTES, FETCH_MAX_WAIT_MS_LIMIT } from '../../common/limits.js';
import type { FetchPartitionRequest, FetchPartitionResult, TopicInfo } from '../broker-api.js';
import { defineHandler, type RequestContext } from '../handler.js';
import { allowed } from '../security/session.js';
import { leaderEpochError } from './leader-epoch.js';

type Request = api.FetchRequest;
type Response = api.FetchResponse;
type PartitionData = api.PartitionData;

const EMPTY_RECORDS = Buffer.alloc(0);
/** Fetch versions that read zstd (KIP-110) and the first that reads message format 2. */
const ZSTD_FETCH_VERSION_MIN = 10;
const V2_FORMAT_FETCH_VERSION_MIN = 4;

/** What the request asked for one topic, resolved to a topic (or why it cannot be read). */
interface ResolvedTopic {
  request: api.FetchTopic;
  info: TopicInfo | undefined;
  /** Set when the whole topic is answered with an error. */
  errorCode: number;
}

export const fetchHandler = defineHandler<Request, Response>({
  codec: api,
  exclusive: false,
  async handle(request: Request, context: RequestContext): Promise<Response> {
    if (request.sessionId !== 0) return errorBody(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
    const version = context.apiVersion;
    const topics = resolveTopics(request, context);
    const wanted: FetchPartitionRequest[] = [];
    const presetErrors = new Map<string, number>();
    for (const topic of topics) {
      for (const partition of topic.request.partitions) {
        // currentLeaderEpoch is -1 (no check) below v9.
        const errorCode = topic.errorCode !== ErrorCode.NONE ? topic.errorCode : leaderEpochError(partition.currentLeaderEpoch, topic.info!.leaderEpoch);
        if (errorCode !== ErrorCode.NONE) {
          presetErrors.set(key(topic.info?.name ?? topic.request.topicId, partition.partition), errorCode);
          continue;
        }
        wanted.push({
          topic: topic.info!.name,
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
    // Nothing readable (every partition refused): answer now, as Kafka does, rather than long-poll
    // on nothing for maxWaitMs (which also held every later request of the connection behind it).
    const nothingReadable = wanted.length === 0 && presetErrors.size > 0;
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
    const { broker, advertisedHost, advertisedPort } = context.server;
    let fenced = false;
    const readRules = oldReaderRules(topics, version, context);
    const responses = topics.map((topic) => ({
      ...api.defaultFetchableTopicResponse(),
      topic: topic.request.topic,
      topicId: topic.request.topicId,
      partitions: topic.request.partitions.map((partition) => {
        const name = topic.info?.name ?? topic.request.topicId;
        const preset = presetErrors.get(key(name, partition.partition));
        if (preset === undefined) return partitionData(partition, byKey.get(key(name, partition.partition)), version, readRules.get(name));
        const data = errorPartition(partition.partition, preset);
        if (version >= 12 && (preset === ErrorCode.FENCED_LEADER_EPOCH || preset === ErrorCode.UNKNOWN_LEADER_EPOCH)) {
          fenced = true;
          data.currentLeader = { leaderId: broker.nodeId, leaderEpoch: topic.info!.leaderEpoch };
        }
        return data;
      }),
    }));
    const nodeEndpoints = fenced && version >= 16 ? [{ ...api.defaultNodeEndpoint(), nodeId: broker.nodeId, host: advertisedHost, port: advertisedPort }] : [];
    return { ...api.defaultFetchResponse(), responses, nodeEndpoints };
  },
  errorResponse: (errorCode) => errorBody(errorCode),
});

/** Names (v0-v12) or ids (v13+) to topics, with the topic-level refusals. */
function resolveTopics(request: Request, context: RequestContext): ResolvedTopic[] {
  const { broker } = context.server;
  const byId = context.apiVersion >= 13 ? new Map(broker.topics().map((t) => [t.topicId, t])) : null;
  return request.topics.map((topic) => {
    const info = byId === null ? broker.topic(topic.topic) : byId.get(topic.topicId);
    if (info === undefined && byId !== null) return { request: topic, info, errorCode: ErrorCode.UNKNOWN_TOPIC_ID };
    const name = info?.name ?? topic.topic;
    if (!allowed(context, 'read', 'topic', name)) return { request: topic, info, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED };
    if (info === undefined) return { request: topic, info, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
    return { request: topic, info, errorCode: ErrorCode.NONE };
  });
}

/** What an old (v0-v9) fetcher may read of one topic, by the topic's configs. */
interface OldReaderRules {
  /** compression.type is zstd: below v10, UNSUPPORTED_COMPRESSION_TYPE. */
  zstd: boolean;
  /** message.downconversion.enable: false refuses v0-v3 records with UNSUPPORTED_VERSION. */
  downConversion: boolean;
}

/** Per topic name, the configs that refuse old fetch versions; empty from v10 on (nothing to refuse). */
function oldReaderRules(topics: ResolvedTopic[], version: number, context: RequestContext): Map<string, OldReaderRules> {
  const rules = new Map<string, OldReaderRules>();
  if (version >= ZSTD_FETCH_VERSION_MIN) return rules;
  for (const { info } of topics) {
    if (info === undefined || rules.has(info.name)) continue;
    const config = context.server.broker.topicConfig(info.name);
    rules.set(info.name, { zstd: config['compression.type'] === 'zstd', downConversion: config['message.downconversion.enable'] !== 'false' });
  }
  return rules;
}

function partitionData(partition: api.FetchPartition, result: FetchPartitionResult | undefined, version: number, rules: OldReaderRules | undefined): PartitionData {
  if (result === undefined) return errorPartition(partition.partition, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  let errorCode = result.errorCode;
  let records = result.records ?? EMPTY_RECORDS;
  if (errorCode === ErrorCode.NONE && rules?.zstd === true) errorCode = ErrorCode.UNSUPPORTED_COMPRESSION_TYPE;
  if (errorCode === ErrorCode.NONE && records.length > 0 && version < V2_FORMAT_FETCH_VERSION_MIN) {
    // Kafka checks message.downconversion.enable only when there are records to convert.
    if (rules?.downConversion === false) errorCode = ErrorCode.UNSUPPORTED_VERSION;
    else records = downConvert(records, version <= 1 ? 0 : 1, partition.fetchOffset);
  }
  if (errorCode !== ErrorCode.NONE) records = EMPTY_RECORDS;
  return {
    ...api.defaultPartitionData(),
    partitionIndex: partition.partition,
    errorCode,
    highWatermark: result.highWatermark,
    // No transactions: everything below the high watermark is stable.
    lastStableOffset: result.highWatermark,
    logStartOffset: result.logStartOffset,
    abortedTransactions: [],
    preferredReadReplica: -1,
    records,
  };
}

/** Kafka's FetchResponse.partitionResponse(error): offsets -1 and EMPTY records. */
function errorPartition(partitionIndex: number, errorCode: number): PartitionData {
  return {
    ...api.defaultPartitionData(),
    partitionIndex,
    errorCode,
    highWatermark: -1,
    lastStableOffset: -1,
    logStartOffset: -1,
    abortedTransactions: [],
    preferredReadReplica: -1,
    records: EMPTY_RECORDS,
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

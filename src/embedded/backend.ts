/**
 * The seam between Brook's user-facing layers (the embedded API and the `brook` CLI) and whatever
 * holds the logs. Today the only implementation wraps an in-process Broker (broker-backend.ts);
 * a Kafka-protocol implementation (for `brook --broker host:port`, talking to `brook serve`) drops
 * in behind the same interface, which is why every method is async even where the in-process
 * broker answers synchronously.
 *
 * Error convention, the same as the Broker's: admin calls throw (KafkaCodeError carries the Kafka
 * errorCode, other BrookErrors for operating failures); produce, fetch and listOffsets return
 * Kafka error codes as data.
 */
import type * as G from '../groups/types.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { KafkaError } from './kafka-error.js';

export interface TopicDescription {
  name: string;
  topicId: string;
  partitionCount: number;
  configs: Record<string, string>;
  internal: boolean;
}

export interface PartitionDescription {
  partition: number;
  logStartOffset: number;
  logEndOffset: number;
  highWatermark: number;
  sizeBytes: number;
  segmentCount: number;
}

export interface TopicDetails extends TopicDescription {
  partitions: PartitionDescription[];
}

/** Kafka's acks: 0 = no acknowledgement, 1 = written to the log, 'all' = the same as 1 on one host. */
export type Acks = 0 | 1 | 'all';

export interface BackendProduceResult {
  errorCode: number;
  errorMessage: string | null;
  baseOffset: number;
  logAppendTimeMs: number;
}

export interface BackendFetchRequest {
  topic: string;
  partition: number;
  fetchOffset: number;
  partitionMaxBytes: number;
}

export interface BackendFetchResult {
  topic: string;
  partition: number;
  errorCode: number;
  highWatermark: number;
  logStartOffset: number;
  /** Whole record batches, byte for byte as stored; may start before fetchOffset. */
  records: Buffer | null;
}

export interface BackendFetchOptions {
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
}

/**
 * The group APIs, taking and returning Kafka's request/response bodies (src/groups/types.ts: field
 * names from Kafka's JSON schemas, lower-camel) so one consumer-side group protocol runs over the
 * in-process coordinator and over the network alike. Kafka error codes come back as data; a call
 * rejects only when the coordinator cannot answer at all (BrookError code
 * 'COORDINATOR_NOT_AVAILABLE', retriable) or on an operating failure (connection lost).
 * Requests use the newest shapes (LeaveGroup `members`, OffsetFetch `groupId`/`topics`);
 * implementations translate for the version they speak.
 */
export interface GroupTransport {
  joinGroup(body: G.JoinGroupRequest): Promise<G.JoinGroupResponse>;
  syncGroup(body: G.SyncGroupRequest): Promise<G.SyncGroupResponse>;
  heartbeat(body: G.HeartbeatRequest): Promise<G.HeartbeatResponse>;
  leaveGroup(body: G.LeaveGroupRequest): Promise<G.LeaveGroupResponse>;
  offsetCommit(body: G.OffsetCommitRequest): Promise<G.OffsetCommitResponse>;
  /** Answers in the v0-v7 shape (`topics`, `errorCode`) whatever version was used. */
  offsetFetch(body: G.OffsetFetchRequest): Promise<G.OffsetFetchResponse>;
  listGroups(body: G.ListGroupsRequest): Promise<G.ListGroupsResponse>;
  describeGroups(body: G.DescribeGroupsRequest): Promise<G.DescribeGroupsResponse>;
  deleteGroups(body: G.DeleteGroupsRequest): Promise<G.DeleteGroupsResponse>;
  offsetDelete(body: G.OffsetDeleteRequest): Promise<G.OffsetDeleteResponse>;
}

/** Kafka's ListOffsets sentinels. */
export const LATEST_TIMESTAMP = -1;
export const EARLIEST_TIMESTAMP = -2;

/** The offset `backend.listOffset` finds, or a KafkaError naming the partition (and `where`, if given). */
export async function offsetAt(backend: BrookBackend, topic: string, partition: number, timestamp: number, where = ''): Promise<number> {
  const answer = await backend.listOffset(topic, partition, timestamp);
  if (answer.errorCode !== ErrorCode.NONE) {
    const why = answer.errorMessage === undefined ? '' : `: ${answer.errorMessage}`;
    throw new KafkaError(answer.errorCode, `listing offsets of ${topic}-${partition}${where === '' ? '' : ` ${where}`}${why}`);
  }
  return answer.offset;
}

export interface BrookBackend {
  createTopic(name: string, options: { partitions: number; configs?: Record<string, string> }): Promise<void>;
  deleteTopic(name: string): Promise<void>;
  createPartitions(name: string, totalCount: number): Promise<void>;
  alterTopicConfigs(name: string, configs: Record<string, string>, mode: 'replace' | 'incremental'): Promise<void>;
  listTopics(): Promise<TopicDescription[]>;
  /** Undefined when the topic does not exist. */
  describeTopic(name: string): Promise<TopicDetails | undefined>;
  /** Record batches (RecordBatch v2, one or more) for one partition. */
  produce(topic: string, partition: number, batches: Buffer, acks: Acks): Promise<BackendProduceResult>;
  fetch(requests: BackendFetchRequest[], options: BackendFetchOptions): Promise<BackendFetchResult[]>;
  /**
   * A fresh producerId and epoch for an idempotent producer (Kafka's InitProducerId without a
   * transactional id). Throws KafkaCodeError when the broker answers an error code.
   */
  initProducerId(): Promise<{ producerId: number; producerEpoch: number }>;
  /** timestamp: LATEST_TIMESTAMP, EARLIEST_TIMESTAMP or a time in ms (first offset at or after it). */
  /** `errorMessage`: why, when the in-process broker knows more than the code says. */
  listOffset(topic: string, partition: number, timestamp: number): Promise<{ errorCode: number; offset: number; timestamp: number; errorMessage?: string }>;
  deleteRecords(topic: string, partition: number, offset: number): Promise<{ errorCode: number; lowWatermark: number }>;
  /** Whether producing to an unknown topic should create it (Kafka's auto.create.topics.enable). */
  readonly autoCreateTopics: boolean;
  /** Partition count for auto-created topics (Kafka's num.partitions). */
  readonly numPartitions: number;
  /** The group coordinator's APIs; undefined when the backend has none (consumer groups refused). */
  readonly groups?: GroupTransport;
  flush(): Promise<void>;
  close(): Promise<void>;
}

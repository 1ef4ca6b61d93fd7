/**
 * Brook's small Kafka-protocol client: one typed call per API over the generated codecs in
 * src/protocol/apis/. Owned by its creator on the main thread; not thread-safe.
 *
 * Each call takes the API's request body with any field left out set to its schema default
 * (nested entries are whole objects; build them with the codec's `default*()` helpers), sends it
 * at the negotiated version, and returns the decoded response. Kafka error codes stay in the
 * response as data (STYLE.md's first kind); only operating failures -- broker unreachable,
 * connection lost, timeout, API not supported -- reject (src/client/errors.ts).
 *
 * One connection: Brook is a single host, so the bootstrap broker is also every partition's
 * leader and every group's coordinator. A client for a Kafka cluster would route by Metadata and
 * FindCoordinator; this one does not.
 */
import { BrokerConnection, type ApiCodec, type ConnectionOptions, type SendOptions, type VersionRange } from './connection.js';
import * as alterConfigs from '../protocol/apis/alter-configs.js';
import * as createPartitions from '../protocol/apis/create-partitions.js';
import * as createTopics from '../protocol/apis/create-topics.js';
import * as describeLogDirs from '../protocol/apis/describe-log-dirs.js';
import * as deleteGroups from '../protocol/apis/delete-groups.js';
import * as deleteRecords from '../protocol/apis/delete-records.js';
import * as deleteTopics from '../protocol/apis/delete-topics.js';
import * as describeConfigs from '../protocol/apis/describe-configs.js';
import * as describeGroups from '../protocol/apis/describe-groups.js';
import * as fetch from '../protocol/apis/fetch.js';
import * as findCoordinator from '../protocol/apis/find-coordinator.js';
import * as heartbeat from '../protocol/apis/heartbeat.js';
import * as incrementalAlterConfigs from '../protocol/apis/incremental-alter-configs.js';
import * as initProducerId from '../protocol/apis/init-producer-id.js';
import * as joinGroup from '../protocol/apis/join-group.js';
import * as leaveGroup from '../protocol/apis/leave-group.js';
import * as listGroups from '../protocol/apis/list-groups.js';
import * as listOffsets from '../protocol/apis/list-offsets.js';
import * as metadata from '../protocol/apis/metadata.js';
import * as offsetCommit from '../protocol/apis/offset-commit.js';
import * as offsetFetch from '../protocol/apis/offset-fetch.js';
import * as produce from '../protocol/apis/produce.js';
import * as syncGroup from '../protocol/apis/sync-group.js';

export type { ConnectionOptions, SendOptions, VersionRange };

/** Kafka's ConfigResource.Type values used with DescribeConfigs / AlterConfigs. */
export const ConfigResourceType = { TOPIC: 2, BROKER: 4 } as const;

/**
 * JoinGroup, SyncGroup and a long-polling Fetch legitimately wait on the broker; their timeout is
 * the request timeout plus what they ask the broker to wait (as the Java client does).
 */
function withWaitMs(client: KafkaClient, waitMs: number, options: SendOptions): SendOptions {
  return { timeoutMs: options.timeoutMs ?? client.requestTimeoutMs + Math.max(0, waitMs) };
}

export class KafkaClient {
  private constructor(readonly connection: BrokerConnection) {}

  /** Connects to `host:port` and negotiates versions. Rejects with BrokerUnreachableError. */
  static async connect(address: string, options: ConnectionOptions = {}): Promise<KafkaClient> {
    return new KafkaClient(await BrokerConnection.connect(address, options));
  }

  get address(): string {
    return this.connection.address;
  }

  get requestTimeoutMs(): number {
    return this.connection.requestTimeoutMs;
  }

  /** The broker's ApiVersions answer: api key -> advertised range. */
  get apiVersions(): ReadonlyMap<number, VersionRange> {
    return this.connection.apiVersions;
  }

  /** Whether the broker advertises an API at a version this client can send. */
  supports(codec: ApiCodec<unknown, unknown>): boolean {
    try {
      this.connection.versionFor(codec);
      return true;
    } catch {
      return false;
    }
  }

  /** Any API: the request with defaults filled in, sent at the negotiated version. */
  call<Req extends object, Res>(codec: ApiCodec<Req, Res>, request: Partial<Req>, options: SendOptions = {}): Promise<Res> {
    return this.connection.send(codec, { ...codec.defaultRequest(), ...request }, options);
  }

  // ---- Data plane -----------------------------------------------------------------------------

  /** Resolves null for acks=0, which the broker does not answer (once the bytes are written). */
  async produce(request: Partial<produce.ProduceRequest>, options: SendOptions = {}): Promise<produce.ProduceResponse | null> {
    const body = { ...produce.defaultRequest(), ...request };
    if (body.acks === 0) {
      await this.connection.sendWithoutResponse(produce, body);
      return null;
    }
    return this.connection.send(produce, body, withWaitMs(this, body.timeoutMs, options));
  }

  fetch(request: Partial<fetch.FetchRequest>, options: SendOptions = {}): Promise<fetch.FetchResponse> {
    const body = { ...fetch.defaultRequest(), ...request };
    return this.connection.send(fetch, body, withWaitMs(this, body.maxWaitMs, options));
  }

  listOffsets(request: Partial<listOffsets.ListOffsetsRequest>, options?: SendOptions): Promise<listOffsets.ListOffsetsResponse> {
    return this.call(listOffsets, request, options);
  }

  metadata(request: Partial<metadata.MetadataRequest> = {}, options?: SendOptions): Promise<metadata.MetadataResponse> {
    return this.call(metadata, request, options);
  }

  initProducerId(request: Partial<initProducerId.InitProducerIdRequest> = {}, options?: SendOptions): Promise<initProducerId.InitProducerIdResponse> {
    return this.call(initProducerId, request, options);
  }

  // ---- Admin ----------------------------------------------------------------------------------

  createTopics(request: Partial<createTopics.CreateTopicsRequest>, options?: SendOptions): Promise<createTopics.CreateTopicsResponse> {
    return this.call(createTopics, request, options);
  }

  deleteTopics(request: Partial<deleteTopics.DeleteTopicsRequest>, options?: SendOptions): Promise<deleteTopics.DeleteTopicsResponse> {
    return this.call(deleteTopics, request, options);
  }

  createPartitions(request: Partial<createPartitions.CreatePartitionsRequest>, options?: SendOptions): Promise<createPartitions.CreatePartitionsResponse> {
    return this.call(createPartitions, request, options);
  }

  describeConfigs(request: Partial<describeConfigs.DescribeConfigsRequest>, options?: SendOptions): Promise<describeConfigs.DescribeConfigsResponse> {
    return this.call(describeConfigs, request, options);
  }

  describeLogDirs(request: Partial<describeLogDirs.DescribeLogDirsRequest>, options?: SendOptions): Promise<describeLogDirs.DescribeLogDirsResponse> {
    return this.call(describeLogDirs, request, options);
  }

  alterConfigs(request: Partial<alterConfigs.AlterConfigsRequest>, options?: SendOptions): Promise<alterConfigs.AlterConfigsResponse> {
    return this.call(alterConfigs, request, options);
  }

  incrementalAlterConfigs(
    request: Partial<incrementalAlterConfigs.IncrementalAlterConfigsRequest>,
    options?: SendOptions,
  ): Promise<incrementalAlterConfigs.IncrementalAlterConfigsResponse> {
    return this.call(incrementalAlterConfigs, request, options);
  }

  deleteRecords(request: Partial<deleteRecords.DeleteRecordsRequest>, options?: SendOptions): Promise<deleteRecords.DeleteRecordsResponse> {
    return this.call(deleteRecords, request, options);
  }

  // ---- Consumer groups ------------------------------------------------------------------------

  findCoordinator(request: Partial<findCoordinator.FindCoordinatorRequest>, options?: SendOptions): Promise<findCoordinator.FindCoordinatorResponse> {
    return this.call(findCoordinator, request, options);
  }

  /** Waits up to rebalanceTimeoutMs (or sessionTimeoutMs when that is -1) for the rebalance. */
  joinGroup(request: Partial<joinGroup.JoinGroupRequest>, options: SendOptions = {}): Promise<joinGroup.JoinGroupResponse> {
    const body = { ...joinGroup.defaultRequest(), ...request };
    const waitMs = body.rebalanceTimeoutMs >= 0 ? body.rebalanceTimeoutMs : body.sessionTimeoutMs;
    return this.connection.send(joinGroup, body, withWaitMs(this, waitMs, options));
  }

  syncGroup(request: Partial<syncGroup.SyncGroupRequest>, options?: SendOptions): Promise<syncGroup.SyncGroupResponse> {
    return this.call(syncGroup, request, options);
  }

  heartbeat(request: Partial<heartbeat.HeartbeatRequest>, options?: SendOptions): Promise<heartbeat.HeartbeatResponse> {
    return this.call(heartbeat, request, options);
  }

  leaveGroup(request: Partial<leaveGroup.LeaveGroupRequest>, options?: SendOptions): Promise<leaveGroup.LeaveGroupResponse> {
    return this.call(leaveGroup, request, options);
  }

  offsetCommit(request: Partial<offsetCommit.OffsetCommitRequest>, options?: SendOptions): Promise<offsetCommit.OffsetCommitResponse> {
    return this.call(offsetCommit, request, options);
  }

  offsetFetch(request: Partial<offsetFetch.OffsetFetchRequest>, options?: SendOptions): Promise<offsetFetch.OffsetFetchResponse> {
    return this.call(offsetFetch, request, options);
  }

  listGroups(request: Partial<listGroups.ListGroupsRequest> = {}, options?: SendOptions): Promise<listGroups.ListGroupsResponse> {
    return this.call(listGroups, request, options);
  }

  describeGroups(request: Partial<describeGroups.DescribeGroupsRequest>, options?: SendOptions): Promise<describeGroups.DescribeGroupsResponse> {
    return this.call(describeGroups, request, options);
  }

  deleteGroups(request: Partial<deleteGroups.DeleteGroupsRequest>, options?: SendOptions): Promise<deleteGroups.DeleteGroupsResponse> {
    return this.call(deleteGroups, request, options);
  }

  // ---- Lifecycle ------------------------------------------------------------------------------

  /** Waits for in-flight requests, then closes the connection. */
  close(): Promise<void> {
    return this.connection.close();
  }

  /** Closes at once; in-flight requests reject with ConnectionClosedError. */
  destroy(): void {
    this.connection.destroy();
  }
}
